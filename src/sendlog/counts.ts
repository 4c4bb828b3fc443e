import type { Queryable } from '../db';

/**
 * A campaign's outcomes per channel and state: the live send-log rows plus the anonymous counts
 * that retention leaves when it reduces old rows (send_log_counts). Reads only; lives with the
 * send log so campaigns and privacy both read it without importing each other.
 */
export async function campaignCounts(db: Queryable, campaignId: number): Promise<{ channel: string; state: string; n: number }[]> {
  const { rows } = await db.query(
    `SELECT channel, state, sum(n)::int AS n FROM (
       SELECT channel, state, count(*) AS n FROM send_log WHERE campaign_id = $1 GROUP BY 1, 2
       UNION ALL SELECT channel, state, n FROM send_log_counts WHERE campaign_id = $1) x
      GROUP BY 1, 2 ORDER BY 1, 2`, [campaignId]);
  return rows as { channel: string; state: string; n: number }[];
}
