-- Campaign sending at a million recipients (issue 5, bench/campaign.ts): every log row is
-- written three times (snapshot, claim, sent) and none of those updates can be HOT (state is in
-- send_log_pending's predicate), so each index on send_log costs three insertions per recipient.
-- send_log_batch (campaign_id, channel, batch_no) duplicates send_log_pending for every query that
-- uses batch_no (they all ask for rows still queued or sending), and send_log_unique
-- (campaign_id, member_id, channel) serves the per-campaign counts; drop it.
DROP INDEX IF EXISTS send_log_batch;
