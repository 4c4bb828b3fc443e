-- The mark of an email request (issues 11 and 15): after SendGrid's 202 every row of the request
-- goes queued → sent. That UPDATE was the largest statement of a million-email campaign (19–22
-- PostgreSQL CPU-seconds, a third of the database's time, bench/RESULTS.md) because no row
-- version it wrote was HOT: `state` is in the predicate of the partial index send_log_pending
-- and `provider_message_id` is a key of send_log_provider_id, so every new version went to
-- another page and into all four b-trees. A HOT update rewrites the row on its own page and
-- touches no index (5.4 → 1.1 ms per request of 250 rows, measured on a kept bench database).
-- What that takes, all here:
--
--  1. No index reads `state`. The batch's rows are found by a plain index on (campaign_id,
--     channel, batch_no, id), the state tested on the row (a batch is at most 1,000 rows). Which
--     batches of a campaign may still have rows to send is kept in `send_batches`: a batch is
--     OPEN from the moment a statement writes a queued or sending row into it (snapshot,
--     fallback, retry, "send again") until a job or the sweep finds none left and closes it.
--     Opening is done by triggers, so no writer can forget it; closing locks the batch row
--     first and then looks (sendlog/batches.ts says why both orders of a race are safe).
--  2. An email row keeps no provider id of its own: the request's X-Message-Id is on its
--     attempt (send_attempts.provider_message_id, the row's attempt_id names it). SMS SIDs and
--     letter file names stay on the row (one per row; those marks are few).
--  3. Room on the page for the new version: fillfactor 35. The snapshot writes a row of about
--     95 bytes, the mark's version is about 165 (the address, the attempt id, the time), and the
--     old version cannot be pruned while a snapshot step's transaction is open (its xmin holds
--     it): both must fit. At 60, 55 % of the marks were HOT; at 35, 99 % (bench/RESULTS.md,
--     seventh session). 1,000,000 rows take 301 MB instead of 268 (two versions each before).
ALTER TABLE send_log SET (fillfactor = 35);

CREATE INDEX send_log_batch ON send_log (campaign_id, channel, batch_no, id);
DROP INDEX send_log_pending;

-- Every row that waits to be sent belongs to a batch.
ALTER TABLE send_log ADD CONSTRAINT send_log_pending_has_batch CHECK (state NOT IN ('queued', 'sending') OR batch_no IS NOT NULL) NOT VALID;
ALTER TABLE send_log VALIDATE CONSTRAINT send_log_pending_has_batch;

CREATE TABLE send_batches (
  campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  batch_no integer NOT NULL,
  open boolean NOT NULL DEFAULT true,
  PRIMARY KEY (campaign_id, channel, batch_no)
);
CREATE INDEX send_batches_open ON send_batches (campaign_id) WHERE open;

INSERT INTO send_batches (campaign_id, channel, batch_no, open)
  SELECT campaign_id, channel, batch_no, bool_or(state IN ('queued', 'sending'))
    FROM send_log WHERE batch_no IS NOT NULL GROUP BY 1, 2, 3;

-- Rows written waiting: their batches are open (named to fire after send_log_references_insert:
-- triggers of one event fire in name order, and a missing campaign is reported as before). The
-- lock on the batch row is held to the end of the writing transaction: a closer waits for it.
CREATE FUNCTION send_log_open_inserted_batches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO send_batches (campaign_id, channel, batch_no)
    SELECT DISTINCT n.campaign_id, n.channel, n.batch_no FROM new_rows n WHERE n.state IN ('queued', 'sending')
     ORDER BY 1, 2, 3
  ON CONFLICT (campaign_id, channel, batch_no) DO UPDATE SET open = true;
  RETURN NULL;
END $$;
CREATE TRIGGER send_log_waiting_batches_insert AFTER INSERT ON send_log
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION send_log_open_inserted_batches();

-- A row that starts waiting again (retry of a failure, "send again" of an in-doubt row, a
-- fallback moved into a batch): its batch is open. Row-level with a WHEN, so the mark (queued →
-- sent) and every other update queue nothing. The batch row is updated even when it is open
-- already: the lock is the point.
CREATE FUNCTION send_log_open_updated_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO send_batches (campaign_id, channel, batch_no) VALUES (NEW.campaign_id, NEW.channel, NEW.batch_no)
  ON CONFLICT (campaign_id, channel, batch_no) DO UPDATE SET open = true;
  RETURN NULL;
END $$;
CREATE TRIGGER send_log_waiting_batches_update AFTER UPDATE OF state, batch_no, channel, campaign_id ON send_log FOR EACH ROW
  WHEN (NEW.state IN ('queued', 'sending') AND (OLD.state NOT IN ('queued', 'sending')
        OR NEW.batch_no IS DISTINCT FROM OLD.batch_no OR NEW.channel IS DISTINCT FROM OLD.channel OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id))
  EXECUTE FUNCTION send_log_open_updated_batch();

-- Email rows sent before this keep the id on the row; readers take the row's own id first
-- (sendlog/attempts.ts: PROVIDER_ID). The lookup of a row by SendGrid's id goes through here.
CREATE INDEX send_attempts_provider_id ON send_attempts (provider_message_id) WHERE provider_message_id IS NOT NULL;
