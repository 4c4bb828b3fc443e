/**
 * Email requests are marked `sending` by ONE `send_attempts` row naming the rows it covers (not by
 * a new version of each row, migration 190): a row `queued` and covered by an unfinished attempt
 * is `sending`. SMS (one message per request) and letters mark the row itself. SQL fragments for
 * the readers of that state; no imports (index.ts, privacy.ts and counts.ts use them).
 */

/** The ids of a campaign's rows under unfinished attempts (optionally one batch's), as a subquery for `IN` / `NOT IN`. */
export const IN_FLIGHT_IDS = (campaign: string, batch?: { channel: string; batchNo: string }) =>
  `(SELECT unnest(t.send_log_ids) FROM send_attempts t WHERE t.campaign_id = ${campaign} AND t.finished_at IS NULL` +
  (batch ? ` AND t.channel = ${batch.channel} AND t.batch_no = ${batch.batchNo}` : '') + ')';

/** True when row `a` is covered by an unfinished email attempt (with state `queued`: it is `sending`). */
export const COVERED = (a = 's') => `EXISTS (SELECT 1 FROM send_attempts t WHERE t.finished_at IS NULL AND t.campaign_id = ${a}.campaign_id
  AND t.channel = ${a}.channel AND t.batch_no = ${a}.batch_no AND ${a}.id = ANY(t.send_log_ids))`;

/**
 * The provider's id for row `a`: its own (SMS SID, letter file, email rows sent before migration
 * 211) or, for email, the X-Message-Id of the request that sent it (its attempt). Email rows keep
 * none of their own so that the mark is a HOT update (migration 211).
 */
export const PROVIDER_ID = (a = 's') =>
  `COALESCE(${a}.provider_message_id, (SELECT t.provider_message_id FROM send_attempts t WHERE t.id = ${a}.attempt_id))`;

/** Ids of the rows that may carry provider id `param` (then test PROVIDER_ID = param), as a subquery for `IN`: two index lookups. */
export const ROWS_WITH_PROVIDER_ID = (param: string) =>
  `(SELECT x.id FROM send_log x WHERE x.provider_message_id = ${param}
    UNION ALL SELECT unnest(t.send_log_ids) FROM send_attempts t WHERE t.provider_message_id = ${param})`;
