import { Worker, DelayedError, RateLimitError, type Job } from 'bullmq';
import type { Hub } from '../src/hub';
import { isProviderError } from '../src/providers';
import { sendEmailBatch, sendLetterBatch, fanOutSmsBatch, sendSmsMessage, QuietHours } from '../src/campaigns/send';
import { launchDueCampaign } from '../src/campaigns/launch';
import { takeSnapshot } from '../src/campaigns/snapshot';
import { runCampaignSweep, reconcileCampaigns } from '../src/campaigns/sweep';
import { startFallbackPoller } from '../src/campaigns/fallback';
import { haltChannel } from '../src/campaigns/halts';
import { watchQueues } from './watchdog';
import { CAMPAIGN_QUEUES, upsertCampaignSweep, type BatchJob, type ControlJob, type SmsMessageJob, type SnapshotJob } from './campaigns';

/**
 * What a send job does with a failure: a 429 pauses the whole queue for the provider's reset
 * time and puts the job back (the batch is not dropped and counts no attempt); quiet hours delay
 * it (a paused campaign's jobs just end: resume enqueues them again); a transient provider error
 * on the job's last attempt halts the campaign's channel (`retries_exhausted`: never a silent
 * per-member failure; the job ends, resume enqueues it again); anything else is thrown for
 * BullMQ's backoff.
 */
async function handle<T extends { campaignId: number; channel?: BatchJob['channel'] }>(hub: Hub, worker: () => Worker<any>, job: Job<T>, token: string | undefined,
  run: () => Promise<unknown>): Promise<unknown> {
  try {
    return await run();
  } catch (err) {
    if (isProviderError(err) && err.failureClass === 'transient' && err.kind !== 'rate_limited' && job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      await haltChannel(hub, job.data.campaignId, job.data.channel ?? 'sms', 'retries_exhausted', err);
      return { halted: 'retries_exhausted' };
    }
    if (isProviderError(err) && err.kind === 'rate_limited') {
      await worker().rateLimit(Math.max(100, err.retryAfterMs ?? 1000));
      throw new RateLimitError();
    }
    if (err instanceof QuietHours) {
      await job.moveToDelayed(err.until.getTime(), token);
      throw new DelayedError();
    }
    throw err;
  }
}

export interface CampaignWorkers { close(): Promise<void> }

/**
 * Starts the campaign workers in this process (call once per worker process). Several processes,
 * on one or several machines, may run them at once. SIGTERM: close() lets running jobs finish.
 */
export async function startCampaignWorkers(hub: Hub, opts: { concurrency?: number; sweep?: boolean } = {}): Promise<CampaignWorkers> {
  const connection = hub.redis();
  const lock = hub.config.sendJobLockMs;
  const base = { connection, prefix: hub.config.queuePrefix, lockDuration: lock, stalledInterval: Math.min(5_000, Math.floor(lock / 2)), maxStalledCount: 20 };
  const workers: Worker<any>[] = [];
  const snapshot = new Worker<SnapshotJob>(CAMPAIGN_QUEUES.snapshot, (job) => takeSnapshot(hub, job.data.campaignId),
    { ...base, concurrency: 2, lockDuration: 60_000 });
  const email: Worker<BatchJob> = new Worker<BatchJob>(CAMPAIGN_QUEUES.email, (job, token) => handle(hub, () => email, job, token, () => sendEmailBatch(hub, job.data)),
    { ...base, concurrency: opts.concurrency ?? 2 });
  const sms: Worker<BatchJob> = new Worker<BatchJob>(CAMPAIGN_QUEUES.sms, (job, token) => handle(hub, () => sms, job, token, () => fanOutSmsBatch(hub, job.data)),
    { ...base, concurrency: 2 });
  const letter: Worker<BatchJob> = new Worker<BatchJob>(CAMPAIGN_QUEUES.letter, (job, token) => handle(hub, () => letter, job, token, () => sendLetterBatch(hub, job.data, job.id!)),
    { ...base, concurrency: 1, lockDuration: 120_000 });
  const rate = hub.config.smsRatePerSecond;
  const smsMessage: Worker<SmsMessageJob> = new Worker<SmsMessageJob>(CAMPAIGN_QUEUES.smsMessage, (job, token) => handle(hub, () => smsMessage, job, token, () => sendSmsMessage(hub, job.data)),
    { ...base, concurrency: 32, ...(rate > 0 ? { limiter: { max: rate, duration: 1000 } } : {}) });
  const control = new Worker<ControlJob>(CAMPAIGN_QUEUES.control, async (job) => {
    if ('launch' in job.data) return launchDueCampaign(hub, job.data.launch);
    return runCampaignSweep(hub);
  }, { ...base, concurrency: 1, lockDuration: 120_000 });
  workers.push(snapshot, email, sms, letter, smsMessage, control);
  for (const w of workers) {
    w.on('failed', (job, err) => hub.log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'campaign job failed'));
    // A job whose keys went with a lost Redis cannot be finished there; the watchdog re-enqueues it.
    w.on('error', (err) => hub.log.warn({ queue: w.name, err: err.message }, 'campaign worker error'));
  }

  const stopPoller = startFallbackPoller(hub);
  if (opts.sweep !== false) {
    await upsertCampaignSweep(hub);
    const r = await reconcileCampaigns(hub);
    hub.log.info(r, 'campaign queues reconciled with PostgreSQL');
    // After a lost Redis, the same again, without a restart (watchdog.ts).
    await watchQueues(hub, 'campaigns', async () => {
      await upsertCampaignSweep(hub);
      return reconcileCampaigns(hub);
    });
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    stopPoller();
    await Promise.all(workers.map((w) => w.close()));
  };
  hub.onClose(close);
  return { close };
}
