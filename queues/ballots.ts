import { Queue, type Job } from 'bullmq';
import type { Hub } from '../src/hub';

/**
 * The ballots queue's producer side (no domain imports; the worker is ballots.worker.ts, what a
 * ballot needs is derived in src/ballots/schedule.ts). Its jobs are wake-ups, not state: the
 * schedule is ballots and ballot_notifications in PostgreSQL, and each job just runs
 * advanceBallot for its ballot.
 *
 * Job ids are deterministic, `ballot-<id>-<step>-<due ms>` (no ':'), so adding the same wake-up
 * twice is a no-op, and a moved time is a different id: syncWakeups removes the old one and adds
 * the new. A job scheduler (`ballot-sweep`, every minute) advances any ballot whose time has
 * come even if its delayed job was lost; after a lost Redis the watchdog (watchdog.ts) has the
 * wake-ups and the sweep put back.
 */
export const BALLOT_QUEUE = 'ballots';
export const BALLOT_SWEEP_ID = 'ballot-sweep';
const SWEEP_EVERY_MS = 60_000;

export interface BallotWakeup {
  ballotId: number;
  step: string;
  dueAt: number;
}
export type BallotJobData = BallotWakeup | { sweep: true };

const queues = new WeakMap<Hub, Queue<BallotJobData>>();

export function ballotQueue(hub: Hub): Queue<BallotJobData> {
  let q = queues.get(hub);
  if (!q) {
    const created = new Queue<BallotJobData>(BALLOT_QUEUE, { connection: hub.redis(), prefix: hub.config.queuePrefix });
    queues.set(hub, created);
    hub.onClose(() => created.close());
    q = created;
  }
  return q;
}

export function ballotJobId(w: BallotWakeup): string {
  return `ballot-${w.ballotId}-${w.step}-${w.dueAt}`;
}

export const LIVE_STATES = ['delayed', 'waiting', 'prioritized', 'waiting-children'] as const;

/**
 * Makes the queue hold exactly `want` for one ballot: removes its other wake-ups (moved or
 * cancelled), adds the missing ones.
 */
export async function syncWakeups(hub: Hub, ballotId: number, want: BallotWakeup[], existing?: Job<BallotJobData>[]): Promise<{ added: number; removed: number }> {
  const q = ballotQueue(hub);
  const wantIds = new Set(want.map(ballotJobId));
  const jobs = existing ?? await q.getJobs([...LIVE_STATES]);
  const prefix = `ballot-${ballotId}-`;
  let removed = 0;
  for (const j of jobs) {
    if (!j?.id?.startsWith(prefix) || wantIds.has(j.id)) continue;
    try { await j.remove(); removed++; } catch { /* active right now: it will find nothing to do */ }
  }
  let added = 0;
  const now = hub.clock.now().getTime();
  for (const w of want) {
    const id = ballotJobId(w);
    const old = await q.getJob(id);
    if (old) {
      const state = await old.getState();
      if (state !== 'completed' && state !== 'failed') continue;
      await old.remove().catch(() => undefined);
    }
    await q.add(w.step, w, {
      jobId: id,
      delay: Math.max(0, w.dueAt - now),
      attempts: 8,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: true,
      removeOnFail: { count: 1000 },
    });
    added++;
  }
  return { added, removed };
}

/** The ballot sweep's job scheduler (upserting again is harmless). */
export async function upsertBallotSweep(hub: Hub): Promise<void> {
  await ballotQueue(hub).upsertJobScheduler(BALLOT_SWEEP_ID, { every: SWEEP_EVERY_MS },
    { name: 'sweep', data: { sweep: true }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } });
}
