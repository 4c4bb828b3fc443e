import type { Queryable } from '../db';
import { IN_FLIGHT_IDS } from './attempts';

/**
 * A campaign's outcomes per channel and state: the live send-log rows plus the anonymous counts
 * that retention leaves when it reduces old rows (send_log_counts). Email rows under an
 * unfinished attempt are `queued` in the table and counted as `sending` (attempts.ts). Reads
 * only; lives with the send log so campaigns and privacy both read it without importing each other.
 */
export async function campaignCounts(db: Queryable, campaignId: number): Promise<{ channel: string; state: string; n: number }[]> {
  const { rows } = await db.query(
    `WITH fl AS (
       SELECT s.channel, count(*) AS n FROM send_log s WHERE s.id IN ${IN_FLIGHT_IDS('$1')} AND s.campaign_id = $1 AND s.state = 'queued' GROUP BY 1)
     SELECT channel, state, sum(n)::int AS n FROM (
       SELECT channel, state, count(*) AS n FROM send_log WHERE campaign_id = $1 GROUP BY 1, 2
       UNION ALL SELECT channel, state, n FROM send_log_counts WHERE campaign_id = $1
       UNION ALL SELECT channel, 'sending', n FROM fl
       UNION ALL SELECT channel, 'queued', -n FROM fl) x
      GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2`, [campaignId]);
  return rows as { channel: string; state: string; n: number }[];
}
