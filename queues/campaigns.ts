import { Queue, type JobsOptions } from 'bullmq';
import type { Hub } from '../src/hub';

/**
 * The campaign queues' producer side: queue names, job payloads, job ids and the helpers that
 * add jobs. It imports nothing of the domain (domain code imports this; the workers that call
 * the domain are in campaigns.worker.ts), so no import cycle runs through the queues.
 *
 * Jobs carry ids only; PostgreSQL (campaigns, send_log) holds the state, so a job that runs
 * twice sends nothing the second time (a batch is one job's alone), and every job id is
 * deterministic, so adding a job that is already waiting, delayed or running changes nothing:
 * the sweep and the watchdog (watchdog.ts) re-add whatever PostgreSQL says is pending.
 *
 *  - `campaign-snapshot`: one job per launched campaign (`snapshot-c<id>`) that takes the
 *    audience into the send log in committed steps and enqueues each step's batches.
 *  - `campaign-email`, `campaign-letter`: one job per batch of log rows,
 *    id `c<campaign>-<channel>-b<batch>` (fallback batches are negative: `…-b-7`).
 *  - `campaign-sms`: one job per batch of SMS rows: re-checks consent for the batch and fans out
 *    to `sms-message`, one job per message (`c<campaign>-sms-m<row>`), so the BullMQ limiter
 *    (SMS_RATE_PER_SECOND) counts messages, not batches.
 *  - `campaign-control`: delayed launches at `send_at` (`launch-c<id>-<ms>`) and a job scheduler
 *    (`campaign-sweep`, every 30 s) that launches what is due, continues snapshots, re-enqueues
 *    the pending batches of running campaigns, finishes campaigns and sends the register's
 *    event messages.
 */
export const CAMPAIGN_QUEUES = {
  snapshot: 'campaign-snapshot',
  email: 'campaign-email',
  sms: 'campaign-sms',
  letter: 'campaign-letter',
  smsMessage: 'sms-message',
  control: 'campaign-control',
} as const;

/** The channels a batch can be on (the consent module's Channel; spelled here so the producer imports no domain code). */
export type BatchChannel = 'email' | 'sms' | 'letter';

/** A batch: the rows of one campaign and channel with this batch number (negative: fallback rows). */
export interface BatchJob { campaignId: number; channel: BatchChannel; batchNo: number }
/** A batch to enqueue, optionally not before `notBefore` (ms since the epoch: the campaign's delivery window). */
export interface BatchEnqueue extends BatchJob { notBefore?: number }
export interface SmsMessageJob { campaignId: number; sendLogId: number }
export interface SnapshotJob { campaignId: number }
export type ControlJob = { launch: number } | { sweep: true };

export const CAMPAIGN_SWEEP_ID = 'campaign-sweep';
export const SWEEP_EVERY_MS = 30_000;

/**
 * Transient provider errors and lost connections: retried with backoff (SEND_RETRY_ATTEMPTS,
 * SEND_RETRY_DELAY_MS); when a provider's transient errors use up the attempts, the channel
 * halts (campaigns.worker.ts).
 */
export function sendJobOpts(hub: Hub): JobsOptions {
  return {
    attempts: hub.config.sendRetry.attempts,
    backoff: { type: 'exponential', delay: hub.config.sendRetry.delayMs },
    removeOnComplete: true,
    // A job failed for another reason than a provider's (those halt instead) is removed, so the
    // sweep, which enqueues the pending batches of running campaigns under the same id, can add it again.
    removeOnFail: true,
  };
}

export interface CampaignQueues {
  snapshot: Queue<SnapshotJob>;
  email: Queue<BatchJob>;
  sms: Queue<BatchJob>;
  letter: Queue<BatchJob>;
  smsMessage: Queue<SmsMessageJob>;
  control: Queue<ControlJob>;
}

const cache = new WeakMap<Hub, CampaignQueues>();

export function campaignQueues(hub: Hub): CampaignQueues {
  let q = cache.get(hub);
  if (!q) {
    const connection = hub.redis();
    const make = <T>(name: string) => new Queue<T>(name, { connection, prefix: hub.config.queuePrefix });
    const created: CampaignQueues = {
      snapshot: make<SnapshotJob>(CAMPAIGN_QUEUES.snapshot),
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

export function snapshotJobId(campaignId: number): string {
  return `snapshot-c${campaignId}`;
}

/**
 * Adds batch jobs; an id already waiting, delayed or running is left alone (BullMQ dedupes on
 * jobId). A batch with `notBefore` in the future is delayed until then: the delay lives in the
 * queue, so every worker process keeps to it.
 */
export async function enqueueBatches(hub: Hub, jobs: BatchEnqueue[]): Promise<void> {
  if (!jobs.length) return;
  const now = hub.clock.now().getTime();
  const q = campaignQueues(hub);
  for (const channel of ['email', 'sms', 'letter'] as const) {
    const mine = jobs.filter((j) => j.channel === channel);
    for (let i = 0; i < mine.length; i += 500) {
      await q[channel].addBulk(mine.slice(i, i + 500).map(({ notBefore, ...data }) => ({
        name: channel, data,
        opts: { ...sendJobOpts(hub), jobId: batchJobId(data), ...(notBefore && notBefore > now ? { delay: notBefore - now } : {}) },
      })));
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

/**
 * The snapshot job of a launched campaign. Retried with backoff (a PostgreSQL outage); a failed
 * one is removed, so the next sweep adds it again rather than finding a dead id in the way.
 */
export async function enqueueSnapshot(hub: Hub, campaignId: number): Promise<void> {
  await campaignQueues(hub).snapshot.add('snapshot', { campaignId }, {
    jobId: snapshotJobId(campaignId), attempts: 20, backoff: { type: 'exponential', delay: 1_000 },
    removeOnComplete: true, removeOnFail: true,
  });
}

/** A launch at `send_at`: delayed job, id changes when the time does. */
export async function scheduleLaunch(hub: Hub, campaignId: number, at: Date): Promise<void> {
  const delay = Math.max(0, at.getTime() - hub.clock.now().getTime());
  await campaignQueues(hub).control.add('launch', { launch: campaignId }, {
    jobId: `launch-c${campaignId}-${at.getTime()}`, delay, attempts: 10, backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: true, removeOnFail: { count: 1000 },
  });
}

/** The campaign sweep's job scheduler (upserting it again is harmless: one schedule per id). */
export async function upsertCampaignSweep(hub: Hub): Promise<void> {
  await campaignQueues(hub).control.upsertJobScheduler(CAMPAIGN_SWEEP_ID, { every: SWEEP_EVERY_MS },
    { name: 'sweep', data: { sweep: true }, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } });
}
