import { Queue, Worker, DelayedError, RateLimitError, type Job, type JobsOptions } from 'bullmq';
import type { Hub } from '../src/hub';
import type { Channel } from '../src/consent';
import { isProviderError } from '../src/providers';
import { sendEmailBatch, sendLetterBatch, fanOutSmsBatch, sendSmsMessage, QuietHours } from '../src/campaigns/send';
import { runCampaignSweep, reconcileCampaigns, launchDueCampaign } from '../src/campaigns/launch';
import { startFallbackPoller } from '../src/campaigns/fallback';
import { haltChannel } from '../src/campaigns/halts';

/**
 * The campaign queues. Jobs carry ids only; PostgreSQL (campaigns, send_log) holds the state, so
 * a job that runs twice sends nothing the second time (a batch is one job's alone).
 *
 *  - `campaign-email`, `campaign-letter`: one job per batch of up to 1000 log rows,
 *    id `c<campaign>-<channel>-b<batch>` (fallback batches are negative: `…-b-7`).
 *  - `campaign-sms`: one job per batch of up to 1000 SMS rows: re-checks consent for the batch and
 *    fans out to `sms-message`, one job per message (`c<campaign>-sms-m<row>`), so the BullMQ
 *    limiter (SMS_RATE_PER_SECOND) counts messages, not batches.
 *  - `campaign-control`: delayed launches at `send_at` (`launch-c<id>-<ms>`) and a job scheduler
 *    (`campaign-sweep`, every 30 s) that launches what is due, finishes campaigns, sends the
 *    register's event messages and re-enqueues work a lost Redis forgot.
 */
export const CAMPAIGN_QUEUES = {
  email: 'campaign-email',
  sms: 'campaign-sms',
  letter: 'campaign-letter',
  smsMessage: 'sms-message',
  control: 'campaign-control',
} as const;

/** A batch: the rows of one campaign and channel with this batch number (negative: fallback rows). */
export interface BatchJob { campaignId: number; channel: Channel; batchNo: number }
export interface SmsMessageJob { campaignId: number; sendLogId: number }
export type ControlJob = { launch: number } | { sweep: true };

export const CAMPAIGN_SWEEP_ID = 'campaign-sweep';
const SWEEP_EVERY_MS = 30_000;

/**
 * Transient provider errors and lost connections: retried with backoff (SEND_RETRY_ATTEMPTS,
 * SEND_RETRY_DELAY_MS). When a provider's transient errors use up the attempts, the channel
 * halts (see handle). A job failed for another reason is removed, so the sweep (which enqueues
 * the pending batches of running campaigns under the same id) can add it again.
 */
function sendJobOpts(hub: Hub): JobsOptions {
  return {
    attempts: hub.config.sendRetry.attempts,
    backoff: { type: 'exponential', delay: hub.config.sendRetry.delayMs },
    removeOnComplete: true,
    removeOnFail: true,
  };
}

interface Queues {
  email: Queue<BatchJob>;
  sms: Queue<BatchJob>;
  letter: Queue<BatchJob>;
  smsMessage: Queue<SmsMessageJob>;
  control: Queue<ControlJob>;
}

const cache = new WeakMap<Hub, Queues>();

export function campaignQueues(hub: Hub): Queues {
  let q = cache.get(hub);
  if (!q) {
    const connection = hub.redis();
    const make = <T>(name: string) => new Queue<T>(name, { connection, prefix: hub.config.queuePrefix });
    const created: Queues = {
      email: make<BatchJob>(CAMPAIGN_QUEUES.email),
      sms: make<BatchJob>(CAMPAIGN_QUEUES.sms),
      letter: make<BatchJob>(CAMPAIGN_QUEUES.letter),
      smsMessage: make<SmsMessageJob>(CAMPAIGN_QUEUES.smsMessage),
      control: make<ControlJob>(CAMPAIGN_QUEUES.control),
    };
    cache.set(hub, created);
    hub.onClose(async () => { await Promise.all(Object.values(created).map((x) => x.close())); });
    q = created;
  }
  return q;
}

export function batchJobId(job: BatchJob): string {
  return `c${job.campaignId}-${job.channel}-b${job.batchNo}`;
}

/** Adds batch jobs; an id already waiting, delayed or running is left alone (BullMQ dedupes on jobId). */
export async function enqueueBatches(hub: Hub, jobs: BatchJob[]): Promise<void> {
  if (!jobs.length) return;
  const q = campaignQueues(hub);
  for (const channel of ['email', 'sms', 'letter'] as const) {
    const mine = jobs.filter((j) => j.channel === channel);
    for (let i = 0; i < mine.length; i += 500) {
      await q[channel].addBulk(mine.slice(i, i + 500).map((data) => ({ name: channel, data, opts: { ...sendJobOpts(hub), jobId: batchJobId(data) } })));
    }
  }
}

export async function enqueueSmsMessages(hub: Hub, campaignId: number, ids: number[], delayMs = 0): Promise<void> {
  const q = campaignQueues(hub).smsMessage;
  for (let i = 0; i < ids.length; i += 1000) {
    await q.addBulk(ids.slice(i, i + 1000).map((sendLogId) => ({
      name: 'sms', data: { campaignId, sendLogId }, opts: { ...sendJobOpts(hub), jobId: `c${campaignId}-sms-m${sendLogId}`, delay: delayMs },
    })));
  }
}

/** A launch at `send_at`: delayed job, id changes when the time does. */
export async function scheduleLaunch(hub: Hub, campaignId: number, at: Date): Promise<void> {
  const delay = Math.max(0, at.getTime() - hub.clock.now().getTime());
  await campaignQueues(hub).control.add('launch', { launch: campaignId }, {
    jobId: `launch-c${campaignId}-${at.getTime()}`, delay, attempts: 10, backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: true, removeOnFail: { count: 1000 },
  });
}

/**
 * What a send job does with a failure: a 429 pauses the whole queue for the provider's reset
 * time and puts the job back (the batch is not dropped and counts no attempt); quiet hours delay
 * it (a paused campaign's jobs just end: resume enqueues them again); a transient provider error
 * on the job's last attempt halts the campaign's channel (`retries_exhausted`: never a silent
 * per-member failure; the job ends, resume enqueues it again); anything else is thrown for
 * BullMQ's backoff.
 */
async function handle<T extends { campaignId: number; channel?: Channel }>(hub: Hub, worker: () => Worker<any>, job: Job<T>, token: string | undefined,
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
  workers.push(email, sms, letter, smsMessage, control);
  for (const w of workers) w.on('failed', (job, err) => hub.log.warn({ queue: w.name, jobId: job?.id, attempts: job?.attemptsMade, err: err.message }, 'campaign job failed'));

  const stopPoller = startFallbackPoller(hub);
  if (opts.sweep !== false) {
    await campaignQueues(hub).control.upsertJobScheduler(CAMPAIGN_SWEEP_ID, { every: SWEEP_EVERY_MS },
      { name: 'sweep', data: { sweep: true }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } });
    const r = await reconcileCampaigns(hub);
    hub.log.info(r, 'campaign queues reconciled with PostgreSQL');
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
