import type { Hub } from '../hub';
import type { Channel } from '../consent';
import { onSendLogFinal } from '../sendlog';
import { loadCampaign, type Campaign } from './model';
import { enqueueBatches } from '../../queues/campaigns';

export interface FallbackRow { id: number; memberId: number; channel: Channel; reason: string }

/**
 * Sends these members on the campaign's next channel, within the same campaign: a new log row
 * (campaign, member, next channel) marked with the channel it fell back from. The unique log key
 * makes it happen once, however many times a bounce is reported.
 */
export async function fallBack(hub: Hub, c: Campaign, rows: FallbackRow[]): Promise<number> {
  if (!rows.length || c.state === 'cancelled') return 0;
  const byNext = new Map<Channel, FallbackRow[]>();
  for (const r of rows) {
    const next = c.channels[c.channels.indexOf(r.channel) + 1];
    if (!next) continue;
    let list = byNext.get(next);
    if (!list) byNext.set(next, (list = []));
    list.push(r);
  }
  let added = 0;
  const jobs: { campaignId: number; channel: Channel; batchNo: number }[] = [];
  for (const [next, all] of byNext) {
    for (let i = 0; i < all.length; i += 1000) {
      const list = all.slice(i, i + 1000);
      const { rowCount, rows } = await hub.db.query(
        `WITH b AS (SELECT -nextval('send_log_fallback_batch')::int AS batch_no)
         INSERT INTO send_log (campaign_id, member_id, channel, state, fallback_from, reason, batch_no)
         SELECT $1, v.member_id, $2, 'queued', v.from_channel, 'fallback: ' || v.reason, b.batch_no
           FROM unnest($3::bigint[], $4::text[], $5::text[]) AS v(member_id, from_channel, reason), b
         ON CONFLICT (campaign_id, member_id, channel) DO NOTHING
         RETURNING batch_no`,
        [c.id, next, list.map((r) => r.memberId), list.map((r) => r.channel), list.map((r) => r.reason)]);
      added += rowCount ?? 0;
      if (rows[0]) jobs.push({ campaignId: c.id, channel: next, batchNo: rows[0].batch_no });
    }
  }
  if (jobs.length) {
    // A finished campaign is running again until its fallback messages are out.
    await hub.db.query(`UPDATE campaigns SET state = 'running', completed_at = NULL, updated_at = now() WHERE id = $1 AND state = 'completed'`, [c.id]);
    await enqueueBatches(hub, jobs);
  }
  return added;
}

const registered = new WeakSet<Hub>();

/**
 * A hard bounce or a failed SMS reported by a provider webhook (in the API process) moves the
 * member to the campaign's next channel.
 */
export function registerFallbackListener(hub: Hub): void {
  if (registered.has(hub)) return;
  registered.add(hub);
  onSendLogFinal(hub, async (r) => {
    if (!r.becameFinal || (r.finalState !== 'bounced' && r.finalState !== 'failed')) return;
    if (!r.campaignId || !r.memberId || !r.channel || !r.sendLogId) return;
    const c = await loadCampaign(hub.db, r.campaignId);
    await fallBack(hub, c, [{ id: r.sendLogId, memberId: r.memberId, channel: r.channel, reason: r.finalState }]);
  });
}
