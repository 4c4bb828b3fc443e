import { Queue, Worker, type Job } from 'bullmq';
import type { Hub } from '../src/hub';
import { advanceBallot } from '../src/ballots/advance';
import type { CampaignGateway } from '../src/ballots/notify';

/**
 * The ballots queue. Its jobs are wake-ups, not state: the schedule is ballots and
 * ballot_notifications in PostgreSQL, and each job just runs advanceBallot for its ballot.
 *
 * Job ids are deterministic, `ballot-<id>-<step>-<due ms>` (no ':'), so adding the same wake-up
 * twice is a no-op, and a moved time is a different id: syncBallotJobs removes the old one and
 * adds the new. On start, reconcileBallotJobs does the same for every live ballot, and a job
 * scheduler (`ballot-sweep`, every minute) advances any ballot whose time has come even if its
 * delayed job was lost with Redis.
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

/** The wake-ups a ballot needs, derived from PostgreSQL. */
export async function desiredWakeups(hub: Hub, ballotId: number): Promise<BallotWakeup[]> {
  const b = await hub.db.one(`SELECT id, state, opens_at, closes_at FROM ballots WHERE id = $1`, [ballotId]);
  if (!b || b.state === 'cancelled') return [];
  const out: BallotWakeup[] = [];
  if (b.state === 'draft') out.push({ ballotId, step: 'open', dueAt: b.opens_at.getTime() });
  if (b.state === 'draft' || b.state === 'open') out.push({ ballotId, step: 'close', dueAt: b.closes_at.getTime() });
  const notes = await hub.db.many(`SELECT kind, offset_before_close, due_at FROM ballot_notifications
    WHERE ballot_id = $1 AND state IN ('pending', 'launching')`, [ballotId]);
  for (const n of notes) {
    if (n.kind === 'opened') continue; // the 'open' wake-up launches it
    out.push({ ballotId, step: n.kind === 'reminder' ? `reminder-${n.offset_before_close}` : n.kind, dueAt: n.due_at.getTime() });
  }
  return out;
}

const LIVE_STATES = ['delayed', 'waiting', 'prioritized', 'waiting-children'] as const;

/**
 * Makes the queue hold exactly the wake-ups PostgreSQL says one ballot needs: removes the
 * stale (moved or cancelled), adds the missing. Call after every change to a ballot's times,
 * state or notifications.
 */
export async function syncBallotJobs(hub: Hub, ballotId: number, existing?: Job<BallotJobData>[]): Promise<{ added: number; removed: number }> {
  const q = ballotQueue(hub);
  const want = await desiredWakeups(hub, ballotId);
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

/** On start: every ballot that is not finished gets its wake-ups; wake-ups of other ballots go. */
export async function reconcileBallotJobs(hub: Hub): Promise<{ ballots: number; added: number; removed: number }> {
  const q = ballotQueue(hub);
  const live = (await hub.db.many(`SELECT id FROM ballots WHERE state IN ('draft', 'open')
    UNION SELECT ballot_id FROM ballot_notifications WHERE state IN ('pending', 'launching')`)).map((r) => r.id as number);
  const jobs = await q.getJobs([...LIVE_STATES]);
  const liveSet = new Set(live);
  let added = 0;
  let removed = 0;
  for (const j of jobs) {
    const m = /^ballot-(\d+)-/.exec(j?.id ?? '');
    if (m && !liveSet.has(Number(m[1]))) { try { await j.remove(); removed++; } catch { /* running */ } }
  }
  for (const id of live) {
    const r = await syncBallotJobs(hub, id, jobs);
    added += r.added;
    removed += r.removed;
  }
  await q.upsertJobScheduler(BALLOT_SWEEP_ID, { every: SWEEP_EVERY_MS }, { name: 'sweep', data: { sweep: true }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } });
  return { ballots: live.length, added, removed };
}

/** Ballots with something due now (the sweep's safety net). */
export async function dueBallots(hub: Hub): Promise<number[]> {
  const now = hub.clock.now();
  return (await hub.db.many(`SELECT id FROM ballots WHERE (state = 'draft' AND opens_at <= $1) OR (state = 'open' AND closes_at <= $1)
    UNION SELECT n.ballot_id FROM ballot_notifications n JOIN ballots b ON b.id = n.ballot_id
     WHERE n.state IN ('pending', 'launching') AND n.due_at <= $1 AND b.state <> 'cancelled'
       AND (n.kind <> 'result' OR b.state = 'closed')`, [now])).map((r) => r.id as number);
}

async function processBallotJob(hub: Hub, job: Job<BallotJobData>, gateway?: CampaignGateway): Promise<unknown> {
  if ('sweep' in job.data) {
    const ids = await dueBallots(hub);
    for (const id of ids) await advanceBallot(hub, id, gateway);
    return { advanced: ids.length };
  }
  const r = await advanceBallot(hub, job.data.ballotId, gateway);
  return { state: r.state, launched: r.launched.length, skipped: r.skipped.length };
}

/**
 * Starts the ballots worker (call once per worker process, from main). Reconciles the queue with
 * PostgreSQL first, so a restart loses no notification. Returns a close function; it is also
 * registered with hub.onClose for a graceful SIGTERM.
 */
export async function startBallotWorkers(hub: Hub, opts: { gateway?: CampaignGateway } = {}): Promise<{ worker: Worker<BallotJobData>; close: () => Promise<void> }> {
  const reconciled = await reconcileBallotJobs(hub);
  hub.log.info(reconciled, 'ballot schedule reconciled with the queue');
  const worker = new Worker<BallotJobData>(BALLOT_QUEUE, (job) => processBallotJob(hub, job, opts.gateway), {
    connection: hub.redis(),
    prefix: hub.config.queuePrefix,
    concurrency: 4,
  });
  worker.on('failed', (job, err) => hub.log.warn({ jobId: job?.id, err: err.message }, 'ballot job failed'));
  let closed = false;
  const close = async () => { if (!closed) { closed = true; await worker.close(); } };
  hub.onClose(close);
  return { worker, close };
}
