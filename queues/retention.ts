import { Queue, Worker } from 'bullmq';
import type { Hub } from '../src/hub';
import { runRetentionSweep, type SweepReport } from '../src/privacy';
import { sweepEndedStrikes } from '../src/strikes';

/**
 * The retention queue: one job scheduler (`retention-daily`, deterministic id, upserted on every
 * start so several processes agree on one schedule) runs the sweep every night at 03:30
 * Europe/Oslo. State lives in PostgreSQL: a sweep that runs twice removes nothing the second
 * time, and two sweeps never overlap (advisory lock in runRetentionSweep).
 */
export const RETENTION_QUEUE = 'retention';
export const RETENTION_SCHEDULER_ID = 'retention-daily';
export const RETENTION_PATTERN = '30 3 * * *';
export const RETENTION_TZ = 'Europe/Oslo';

export interface RetentionJobData { sweep: true }

export function retentionQueue(hub: Hub): Queue<RetentionJobData, SweepReport> {
  const q = new Queue<RetentionJobData, SweepReport>(RETENTION_QUEUE, { connection: hub.redis(), prefix: hub.config.queuePrefix });
  hub.onClose(() => q.close());
  return q;
}

/**
 * Upserts the daily job scheduler and starts the worker that runs it (call once per worker
 * process, from main). Returns the queue (tests add a one-off job with `runNow`) and a close
 * function; closing is also registered with hub.onClose for SIGTERM.
 */
export async function startRetentionScheduler(hub: Hub, opts: { pattern?: string } = {}): Promise<{
  queue: Queue<RetentionJobData, SweepReport>;
  worker: Worker<RetentionJobData, SweepReport>;
  runNow: (jobId?: string) => Promise<void>;
  close: () => Promise<void>;
}> {
  const queue = retentionQueue(hub);
  await queue.upsertJobScheduler(RETENTION_SCHEDULER_ID, { pattern: opts.pattern ?? RETENTION_PATTERN, tz: RETENTION_TZ }, {
    name: 'sweep',
    data: { sweep: true },
    opts: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } },
  });
  // The strikes' rule runs after the privacy sweep (src/strikes depends on src/privacy, not the reverse).
  const sweep = async (): Promise<SweepReport> => {
    const report = await runRetentionSweep(hub);
    if (!report.skipped) {
      const strikes = await sweepEndedStrikes(hub);
      if (strikes.rows || strikes.campaigns) hub.log.info(strikes, 'retention: ended strikes erased');
    }
    return report;
  };
  const worker = new Worker<RetentionJobData, SweepReport>(RETENTION_QUEUE, sweep, {
    connection: hub.redis(),
    prefix: hub.config.queuePrefix,
    concurrency: 1,
    // A large first sweep can take a while; keep the lock renewed rather than have it stolen.
    lockDuration: 120_000,
  });
  worker.on('failed', (job, err) => hub.log.error({ jobId: job?.id, err: err.message }, 'retention sweep failed'));
  let closed = false;
  const close = async () => { if (!closed) { closed = true; await worker.close(); } };
  hub.onClose(close);
  return {
    queue,
    worker,
    async runNow(jobId = `retention-now-${Date.now()}`) {
      await queue.add('sweep', { sweep: true }, { jobId, removeOnComplete: { count: 30 }, removeOnFail: { count: 30 } });
    },
    close,
  };
}
