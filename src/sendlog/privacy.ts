import type { Queryable } from '../db';
import { COVERED } from './attempts';

/**
 * The send log's part of erasing members (src/privacy/erase.ts, in the erasure's transaction):
 * their rows are kept for the counts but anonymised (no member, address or provider id); a
 * queued row never leaves (cancelled, `member_erased`; one `sending` under an email attempt finishes: its mark gets no address back); a reason naming them (any of `terms`,
 * lower-cased) becomes `erased`. A final outcome stays as it is (the first final outcome wins).
 */
export async function anonymiseMembersRows(db: Queryable, memberIds: number[], terms: string[], at: Date): Promise<{ anonymised: number; cancelled: number }> {
  const r = await db.query(
    `WITH old AS (SELECT l.id, l.state = 'queued' AND NOT ${COVERED('l')} AS cancel FROM send_log l WHERE l.member_id = ANY($1::bigint[]) FOR UPDATE)
     UPDATE send_log s SET
       state = CASE WHEN old.cancel THEN 'cancelled' ELSE s.state END,
       reason = CASE WHEN old.cancel THEN 'member_erased'
                     WHEN s.reason IS NOT NULL AND EXISTS (SELECT 1 FROM unnest($2::text[]) t WHERE strpos(lower(s.reason), t) > 0) THEN 'erased'
                     ELSE s.reason END,
       -- An email row's provider id is its attempt's (PROVIDER_ID): the row stops naming it.
       member_id = NULL, address = NULL, provider_message_id = NULL,
       attempt_id = CASE WHEN s.channel = 'email' THEN NULL ELSE s.attempt_id END, updated_at = $3
     FROM old WHERE s.id = old.id
     RETURNING old.cancel`, [memberIds, terms, at]);
  return { anonymised: r.rowCount ?? 0, cancelled: r.rows.filter((x) => x.cancel).length };
}

/**
 * Retention (src/privacy/retention.ts): folds send-log rows into the anonymous per-campaign
 * counts (send_log_counts) and deletes them, `batch` per statement (each statement its own
 * transaction: the DELETE and the count it adds commit together, so the counts stay true even
 * if the sweep stops half-way). Rows of campaigns in `activeStates` are left alone. Only rows
 * created before `before` (when given) and of `campaignId` (when given).
 */
export async function reduceSendLogRows(db: Queryable, where: { before?: string; campaignId?: number }, opts: { batch: number; activeStates: string[]; now: Date }): Promise<number> {
  const cond: string[] = [`c.state <> ALL($2::text[])`];
  const params: unknown[] = [opts.batch, opts.activeStates, opts.now];
  if (where.before) { params.push(where.before); cond.push(`s.created_at < $${params.length}::timestamptz`); }
  if (where.campaignId !== undefined) { params.push(where.campaignId); cond.push(`s.campaign_id = $${params.length}`); }
  // Keyset by id (ids follow time): each batch starts where the last stopped, so the whole
  // backlog costs one pass over the table, not one pass per batch over the dead rows left behind.
  params.push(0);
  const last = `$${params.length}`;
  let total = 0;
  for (;;) {
    const { rows } = await db.query(
      `WITH victims AS (
         SELECT s.id FROM send_log s JOIN campaigns c ON c.id = s.campaign_id
          WHERE s.id > ${last} AND ${cond.join(' AND ')} ORDER BY s.id LIMIT $1 FOR UPDATE OF s SKIP LOCKED),
       gone AS (DELETE FROM send_log s USING victims v WHERE s.id = v.id RETURNING s.id, s.campaign_id, s.channel, s.state),
       agg AS (SELECT campaign_id, channel, state, count(*) AS n FROM gone GROUP BY 1, 2, 3),
       ins AS (INSERT INTO send_log_counts (campaign_id, channel, state, n, updated_at)
               SELECT campaign_id, channel, state, n, $3 FROM agg
               ON CONFLICT (campaign_id, channel, state) DO UPDATE SET n = send_log_counts.n + EXCLUDED.n, updated_at = EXCLUDED.updated_at)
       SELECT count(*)::int AS n, max(id) AS last FROM gone`, params);
    total += rows[0].n;
    if (rows[0].n < opts.batch) return total;
    params[params.length - 1] = rows[0].last;
  }
}
