import type { Hub } from '../hub';
import type { Staff } from '../auth';
import type { Channel } from '../consent';
import { audit } from '../audit';
import { Problem } from '../errors';
import { labelOf } from '../vocabulary';
import { requeueRows } from '../sendlog';
import { loadCampaign, type Campaign } from './model';
import { enqueueBatches } from '../../queues/campaigns';

/**
 * Staff put rows back in the queue: failures with a retryable reason (`retry`), or in-doubt
 * rows they decide to send again (`in_doubt`: the member may get the message twice). The rows
 * get fresh batches, so fresh jobs; rows already sent, or whose member the campaign reached on
 * another channel, are never touched. A finished campaign is running again until they are out.
 * Audited with the number of rows.
 */
async function requeue(hub: Hub, id: number, staff: Staff, which: 'retryable' | 'in_doubt', ids: number[] | null): Promise<{ campaign: Campaign; requeued: number }> {
  const out = await hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    if (c.state === 'draft' || c.state === 'scheduled' || c.state === 'cancelled') {
      throw Problem.conflict(`Kampanje ${id} har status «${labelOf('campaignState', c.state)}»; ingenting av den kan sendes på nytt.`, { state: c.state });
    }
    const r = await requeueRows(db, id, which, ids);
    if (r.rows && c.state === 'completed') {
      await db.query(`UPDATE campaigns SET state = 'running', completed_at = NULL, updated_at = now() WHERE id = $1`, [id]);
    }
    await audit(db, {
      staff, action: which === 'retryable' ? 'campaign.retry' : 'campaign.send_again', rowCount: r.rows,
      detail: { campaignId: id, ...(ids ? { sendLogIds: ids.length } : {}) },
    });
    return { r, state: c.state };
  });
  // A paused campaign sends them when it is resumed (resume enqueues every pending batch).
  if (out.state !== 'paused') {
    await enqueueBatches(hub, out.r.batches.map((b) => ({ campaignId: id, channel: b.channel as Channel, batchNo: b.batchNo })));
  }
  return { campaign: await loadCampaign(hub.db, id), requeued: out.r.rows };
}

export function retryFailed(hub: Hub, id: number, staff: Staff) {
  return requeue(hub, id, staff, 'retryable', null);
}

export function sendInDoubtAgain(hub: Hub, id: number, staff: Staff, ids: number[] | null = null) {
  return requeue(hub, id, staff, 'in_doubt', ids);
}
