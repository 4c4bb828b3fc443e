-- Email attempts (issue 11/15, engine): the `sending` mark of an email request is ONE row here
-- instead of one more version of each of its (up to 250) send-log rows. Before the SendGrid call
-- the attempt is written naming the rows it covers; after the answer it is finished (sent,
-- released, failed, interrupted) and the rows get their outcome in one UPDATE (queued → sent,
-- with the attempt id and SendGrid's X-Message-Id). A send-log row that is `queued` and covered
-- by an unfinished attempt IS `sending`: every reader of that state (src/sendlog: counts, the
-- rows in flight, the in-doubt settlement, cancel, erasure) reads it through this table.
-- SMS keeps the per-row mark (one message per request: one statement either way), letters too.
CREATE TABLE send_attempts (
  id text PRIMARY KEY,
  campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  batch_no integer NOT NULL,
  send_log_ids bigint[] NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  outcome text CHECK (outcome IN ('sent', 'released', 'failed', 'interrupted')),
  provider_message_id text
);
-- Only the unfinished ones are ever looked for (a batch's, a campaign's): a handful at a time.
CREATE INDEX send_attempts_open ON send_attempts(campaign_id, channel, batch_no) WHERE finished_at IS NULL;
