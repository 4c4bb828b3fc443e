-- The send path (issue 11): durable states before and after a provider call, in-doubt rows,
-- the fallback decision stored with its cause, and halts of a campaign's channel.

-- 'sending' now always carries the attempt that marked it: a re-run that finds rows 'sending'
-- under another attempt knows the provider may have them (in doubt). 'in_doubt' is where a
-- declinable message rests when we cannot know whether it left; staff may send it again.
ALTER TABLE send_log DROP CONSTRAINT send_log_state_check;
ALTER TABLE send_log ADD CONSTRAINT send_log_state_check
  CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'skipped', 'cancelled', 'in_doubt'));
ALTER TABLE send_log
  ADD COLUMN attempt_id text,
  -- Set in the same statement as the outcome that calls for the campaign's next channel
  -- (bounce, refusal, STOP, consent skip); cleared in the transaction that writes the next row.
  ADD COLUMN fallback_due boolean NOT NULL DEFAULT false;
CREATE INDEX send_log_fallback_due ON send_log(campaign_id) WHERE fallback_due;

-- Why a paused campaign is paused: by staff, or by a halt (provider_unavailable).
ALTER TABLE campaigns ADD COLUMN paused_reason text CHECK (paused_reason IN ('staff', 'provider_unavailable'));

-- A channel stopped because the provider refused us (account, configuration) or kept failing
-- (retries exhausted). One open halt per campaign and channel; resume closes it.
CREATE TABLE campaign_halts (
  id bigserial PRIMARY KEY,
  campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  reason text NOT NULL CHECK (reason IN ('provider_unavailable', 'retries_exhausted')),
  provider text,
  status integer,
  code integer,
  message text NOT NULL,
  at timestamptz NOT NULL,
  resolved_at timestamptz,
  resolved_by bigint REFERENCES staff_users(id) ON DELETE SET NULL
);
CREATE UNIQUE INDEX campaign_halts_open ON campaign_halts(campaign_id, channel) WHERE resolved_at IS NULL;
