import { Worker, type Queue } from 'bullmq';
import type { Hub } from '../src/hub';
import { runRetentionSweep, type SweepReport } from '../src/privacy';
import { sweepEndedStrikes } from '../src/strikes';
import { RETENTION_QUEUE, retentionQueue, upsertRetentionSchedule, type RetentionJobData } from './retention';
import { watchQueues } from './watchdog';

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
  const queue = retentionQueue<SweepReport>(hub);
  await upsertRetentionSchedule(queue, opts.pattern);
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
  worker.on('error', (err) => hub.log.warn({ err: err.message }, 'retention worker error'));
  await watchQueues(hub, 'retention', () => upsertRetentionSchedule(queue, opts.pattern));
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
