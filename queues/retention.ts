import { Queue } from 'bullmq';
import type { Hub } from '../src/hub';

/**
 * The retention queue's producer side (no domain imports; the worker is retention.worker.ts):
 * one job scheduler (`retention-daily`, deterministic id, upserted on every start and after a
 * lost Redis, so several processes agree on one schedule) runs the sweep every night at 03:30
 * Europe/Oslo. State lives in PostgreSQL: a sweep that runs twice removes nothing the second
 * time, and two sweeps never overlap (advisory lock in runRetentionSweep).
 */
export const RETENTION_QUEUE = 'retention';
export const RETENTION_SCHEDULER_ID = 'retention-daily';
export const RETENTION_PATTERN = '30 3 * * *';
export const RETENTION_TZ = 'Europe/Oslo';

export interface RetentionJobData { sweep: true }

export function retentionQueue<R = unknown>(hub: Hub): Queue<RetentionJobData, R> {
  const q = new Queue<RetentionJobData, R>(RETENTION_QUEUE, { connection: hub.redis(), prefix: hub.config.queuePrefix });
  hub.onClose(() => q.close());
  return q;
}

/** The nightly schedule (upserting again is harmless: one schedule per id). */
export async function upsertRetentionSchedule(queue: Queue<RetentionJobData, any>, pattern = RETENTION_PATTERN): Promise<void> {
  await queue.upsertJobScheduler(RETENTION_SCHEDULER_ID, { pattern, tz: RETENTION_TZ }, {
    name: 'sweep',
    data: { sweep: true },
    opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } },
  });
}
