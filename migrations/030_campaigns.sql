-- Campaigns: what a campaign sends (a template version per channel), approval, scheduling, single
-- messages (idempotency keys) and the claim that keeps two workers from sending one log row.

ALTER TABLE campaigns
  ADD COLUMN templates jsonb NOT NULL DEFAULT '{}'::jsonb,   -- { "email": <template_versions.id>, ... }
  ADD COLUMN links jsonb NOT NULL DEFAULT '{}'::jsonb,       -- the campaign's named links ({{links.signup}})
  ADD COLUMN print_mode text NOT NULL DEFAULT 'letters' CHECK (print_mode IN ('letters', 'address_list')),
  ADD COLUMN idempotency_key text,
  ADD COLUMN approval_requested_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  ADD COLUMN approval_requested_at timestamptz,
  ADD COLUMN approved_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  ADD COLUMN approved_at timestamptz,
  ADD COLUMN launched_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  ADD COLUMN launched_at timestamptz,
  ADD COLUMN snapshot_at timestamptz,                         -- NULL while the snapshot is still being taken
  ADD COLUMN next_batch integer NOT NULL DEFAULT 0,          -- the next batch number the snapshot hands out
  ADD COLUMN completed_at timestamptz,
  ADD COLUMN cancelled_at timestamptz,
  ADD COLUMN audience_size integer;

CREATE UNIQUE INDEX campaigns_idempotency ON campaigns(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX campaigns_state ON campaigns(state, send_at);

ALTER TABLE send_log ADD COLUMN fallback_from text CHECK (fallback_from IN ('email', 'sms', 'letter'));

-- Every row belongs to one batch, and one batch to one job (its id is the batch): the snapshot
-- numbers batches 0, 1, 2…; rows that fall back to another channel get negative numbers from
-- this sequence, so no two jobs ever hold the same row.
CREATE SEQUENCE send_log_fallback_batch;

-- Finding what is left to send must not scan a million finished rows. It replaces
-- send_log_batch: every query by batch asks for rows still queued or sending, and each index on
-- send_log costs a write per recipient at a million recipients (bench/campaign.ts).
CREATE INDEX send_log_pending ON send_log(campaign_id, channel, batch_no) WHERE state IN ('queued', 'sending');
DROP INDEX send_log_batch;

-- Register events (membership confirmation, confirmation of resignation): members already in the
-- register when this landed are not welcomed again.
CREATE TABLE register_event_watermarks (
  event text PRIMARY KEY CHECK (event IN ('joined', 'resigned')),
  at timestamptz NOT NULL
);
INSERT INTO register_event_watermarks (event, at) VALUES ('joined', now()), ('resigned', now());
