import type { Hub } from '../hub';
import { completeIfDone, enqueuePending, startDue } from './launch';
import { sendRegisterEventMessages } from './messages';
import { runFallbacks } from './fallback';
import { enqueueSnapshot, scheduleLaunch } from '../../queues/campaigns';

export const CAMPAIGN_SWEEP_HEARTBEAT = 'campaign-sweep';

/**
 * What PostgreSQL says the campaign queues must hold, put back into them (job ids are
 * deterministic: what is already there stays as it is): campaigns due are started, running or
 * paused campaigns whose snapshot is unfinished get their snapshot job, and every running
 * campaign's pending batches are enqueued again. This is what makes a lost job (a lost Redis, a
 * process killed between a commit and its enqueue) a delay, never a loss.
 */
export async function requeueFromDatabase(hub: Hub): Promise<{ started: number; snapshots: number; batches: number; completed: number }> {
  const started = await startDue(hub);
  let snapshots = 0;
  let batches = 0;
  let completed = 0;
  for (const r of await hub.db.many(`SELECT id, state, snapshot_at FROM campaigns WHERE state IN ('running', 'paused') ORDER BY id`)) {
    if (r.snapshot_at === null) { await enqueueSnapshot(hub, r.id); snapshots++; continue; }
    if (r.state !== 'running') continue;
    batches += await enqueuePending(hub, r.id);
    if (await completeIfDone(hub, r.id, null)) completed++; // enqueuePending closed what it could
  }
  return { started, snapshots, batches, completed };
}

/**
 * The campaign sweep (a job scheduler, every 30 s): re-enqueues from PostgreSQL, sends the
 * register's event messages, and records that it ran (queue_heartbeats): the watchdog, which
 * lives outside Redis, rebuilds the queues when the sweep stops running.
 */
export async function runCampaignSweep(hub: Hub): Promise<{ started: number; completed: number; registerEvents: number; snapshots: number; batches: number }> {
  await hub.db.query(`INSERT INTO queue_heartbeats (name, at) VALUES ($1, now()) ON CONFLICT (name) DO UPDATE SET at = now()`, [CAMPAIGN_SWEEP_HEARTBEAT]);
  // Fallback decisions no worker's poller carried out yet (every worker was down).
  await runFallbacks(hub);
  const r = await requeueFromDatabase(hub);
  const registerEvents = hub.config.registerEventMessages ? await sendRegisterEventMessages(hub) : 0;
  return { ...r, registerEvents };
}

/** On a worker's start and after a lost Redis: the sweep's work, plus the delayed launches of scheduled campaigns. */
export async function reconcileCampaigns(hub: Hub): Promise<{ started: number; enqueued: number; snapshots: number; scheduled: number }> {
  const later = await hub.db.many(`SELECT id, send_at FROM campaigns WHERE state = 'scheduled' AND send_at > $1`, [hub.clock.now()]);
  for (const r of later) await scheduleLaunch(hub, r.id, r.send_at);
  const r = await requeueFromDatabase(hub);
  return { started: r.started, enqueued: r.batches, snapshots: r.snapshots, scheduled: later.length };
}
