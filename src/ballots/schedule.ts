import type { Hub } from '../hub';
import type { Job } from 'bullmq';
import { ballotQueue, syncWakeups, upsertBallotSweep, LIVE_STATES, type BallotWakeup, type BallotJobData } from '../../queues/ballots';

/**
 * A ballot's schedule in the queue. The schedule itself is ballots and ballot_notifications in
 * PostgreSQL; the queue's jobs are only wake-ups derived from it (queues/ballots.ts), so they can
 * always be derived again: after a change, on a worker's start, after a lost Redis.
 */

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

/**
 * Makes the queue hold exactly the wake-ups PostgreSQL says one ballot needs: removes the
 * stale (moved or cancelled), adds the missing. Call after every change to a ballot's times,
 * state or notifications.
 */
export async function syncBallotJobs(hub: Hub, ballotId: number, existing?: Job<BallotJobData>[]): Promise<{ added: number; removed: number }> {
  return syncWakeups(hub, ballotId, await desiredWakeups(hub, ballotId), existing);
}

/** On start and after a lost Redis: every ballot that is not finished gets its wake-ups; wake-ups of other ballots go; the sweep is scheduled. */
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
  await upsertBallotSweep(hub);
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
