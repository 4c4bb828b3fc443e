import type { Hub } from '../hub';
import type { Channel } from '../consent';
import { lockDueFallbacks, writeFallbackRows, type DueFallback } from '../sendlog';
import { loadCampaign } from './model';
import { enqueueBatches, type BatchJob } from '../../queues/campaigns';

/**
 * Durable fallback. The decision that a member moves to the campaign's next channel is written
 * by src/sendlog in the same statement as its cause (a bounce or failure event, a provider's
 * refusal of the recipient, a consent skip this channel cannot carry): `send_log.fallback_due`.
 * This turns the decisions into the next channel's rows, in one transaction per 1000 (rows
 * locked with SKIP LOCKED, so workers share the work), then enqueues their batches. Killing any
 * process at any moment loses nothing: an undone decision is still in PostgreSQL for the next
 * run, and a batch written but not enqueued is a pending batch of a running campaign (the sweep
 * enqueues those). Runs right after a worker wrote decisions, from every worker's poller
 * (`startFallbackPoller`, for the webhooks' decisions) and from the sweep.
 */
export async function runFallbacks(hub: Hub): Promise<number> {
  let total = 0;
  for (;;) {
    const out = await hub.db.tx(async (db) => {
      const due = await lockDueFallbacks(db, 1000);
      if (!due.length) return null;
      const jobs: BatchJob[] = [];
      const byCampaign = new Map<number, DueFallback[]>();
      for (const r of due) { let l = byCampaign.get(r.campaignId); if (!l) byCampaign.set(r.campaignId, (l = [])); l.push(r); }
      for (const [campaignId, rows] of byCampaign) {
        const c = await loadCampaign(db, campaignId);
        for (const ch of ['email', 'sms', 'letter'] as Channel[]) {
          const mine = rows.filter((r) => r.channel === ch);
          if (!mine.length) continue;
          const next = c.state === 'cancelled' ? null : c.channels[c.channels.indexOf(ch) + 1] ?? null;
          const batches = await writeFallbackRows(db, campaignId, next, mine);
          for (const b of batches) jobs.push({ campaignId, channel: next!, batchNo: b });
        }
        // A finished campaign is running again until its fallback messages are out.
        if (jobs.some((j) => j.campaignId === campaignId)) {
          await db.query(`UPDATE campaigns SET state = 'running', completed_at = NULL, updated_at = now() WHERE id = $1 AND state = 'completed'`, [campaignId]);
        }
      }
      return { n: due.length, jobs };
    });
    if (!out) return total;
    await enqueueBatches(hub, out.jobs);
    total += out.n;
    if (out.n < 1000) return total;
  }
}

/**
 * Every `everyMs` in a worker process: carry out the fallback decisions the webhooks (in the API
 * process) wrote. It holds no state: the decisions are rows; a poller that dies loses nothing.
 */
export function startFallbackPoller(hub: Hub, everyMs = 2000): () => void {
  let busy = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (busy || stopped) return;
    busy = true;
    runFallbacks(hub)
      .catch((err) => hub.log.warn({ err: err?.message }, 'fallback run failed; the next run retries'))
      .finally(() => { busy = false; });
  }, everyMs);
  timer.unref();
  const stop = () => { stopped = true; clearInterval(timer); };
  hub.onClose(async () => {
    stop();
    // Let a run that is under way finish before the pool closes.
    while (busy) await new Promise((r) => setTimeout(r, 20));
  });
  return stop;
}
