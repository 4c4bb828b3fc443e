import { Worker, type Job } from 'bullmq';
import type { Hub } from '../src/hub';
import { advanceBallot } from '../src/ballots/advance';
import { reconcileBallotJobs, dueBallots } from '../src/ballots/schedule';
import type { CampaignGateway } from '../src/ballots/notify';
import { BALLOT_QUEUE, type BallotJobData } from './ballots';
import { watchQueues } from './watchdog';

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
 * PostgreSQL first, so a restart loses no notification, and again after a lost Redis (the
 * watchdog). Returns a close function; it is also registered with hub.onClose for SIGTERM.
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
  worker.on('error', (err) => hub.log.warn({ err: err.message }, 'ballot worker error'));
  await watchQueues(hub, 'ballots', () => reconcileBallotJobs(hub));
  let closed = false;
  const close = async () => { if (!closed) { closed = true; await worker.close(); } };
  hub.onClose(close);
  return { worker, close };
}
