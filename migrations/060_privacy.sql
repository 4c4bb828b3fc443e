-- Privacy operations (issue 8): retention, erasure, the member's access export, the audit trail.
--
-- What retention and erasure leave behind is counts, never people:
--  * send_log rows older than RETENTION_SEND_LOG_MONTHS, and every row of a strike campaign
--    once the strike has ended, are folded into send_log_counts (campaign, channel, state, n)
--    and deleted. A campaign's counts are the sum of its remaining send_log rows and these.
--  * an erased member's send_log rows stay (member_id, address and provider id NULL) and their
--    consent_events stay (member_id and reason NULL): counts per campaign and outcome stay true.

CREATE TABLE send_log_counts (
  campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  state text NOT NULL,
  n bigint NOT NULL CHECK (n >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (campaign_id, channel, state)
);

-- Strikes: staff mark the strike ended; the campaign's recipient list is erased then (or by
-- the daily sweep once the campaign is no longer running). IF NOT EXISTS: the campaigns part
-- (030-049, applied earlier) may have added the marker itself.
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS strike_ended_at timestamptz;
ALTER TABLE campaigns ADD COLUMN IF NOT EXISTS recipients_erased_at timestamptz;
CREATE INDEX IF NOT EXISTS campaigns_strike_pending ON campaigns(strike_ended_at)
  WHERE strike_ended_at IS NOT NULL AND recipients_erased_at IS NULL;

-- The sweep finds old send-log rows by age. BRIN: rows arrive in time order, the index is a few
-- pages and costs the campaign pipeline's million-row inserts next to nothing.
CREATE INDEX IF NOT EXISTS send_log_created_brin ON send_log USING brin (created_at);

-- Erasure scrubs member searches whose text names the erased person (detail.q).
CREATE INDEX IF NOT EXISTS audit_log_member_search ON audit_log(id) WHERE action = 'member.search';
-- The audit API filters by action and actor, newest first.
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log(action, id);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor_user_id, id) WHERE actor_user_id IS NOT NULL;
