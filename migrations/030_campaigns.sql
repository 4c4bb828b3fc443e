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
  ADD COLUMN snapshot_at timestamptz,
  ADD COLUMN completed_at timestamptz,
  ADD COLUMN cancelled_at timestamptz,
  ADD COLUMN audience_size integer;

CREATE UNIQUE INDEX campaigns_idempotency ON campaigns(idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX campaigns_state ON campaigns(state, send_at);

-- The job that is sending a row: a re-run of the same job may send it again (the provider may
-- have accepted it before the worker died), any other job may not.
ALTER TABLE send_log
  ADD COLUMN claim text,
  ADD COLUMN fallback_from text CHECK (fallback_from IN ('email', 'sms', 'letter'));

-- Finding what is left to send must not scan a million finished rows.
CREATE INDEX send_log_pending ON send_log(campaign_id, channel, batch_no) WHERE state IN ('queued', 'sending');

-- Register events (membership confirmation, confirmation of resignation): members already in the
-- register when this landed are not welcomed again.
CREATE TABLE register_event_watermarks (
  event text PRIMARY KEY CHECK (event IN ('joined', 'resigned')),
  at timestamptz NOT NULL
);
INSERT INTO register_event_watermarks (event, at) VALUES ('joined', now()), ('resigned', now());
