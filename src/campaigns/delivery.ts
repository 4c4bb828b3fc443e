import { randomUUID } from 'node:crypto';
import type { Hub } from '../hub';
import type { Queryable } from '../db';
import { suppress, type Channel } from '../consent';
import { markSending, markSent, markFailed, releaseAttempt, openAttempt, markAttemptSent, finishAttempt } from '../sendlog';
import { createEmailProvider, createSmsProvider, isProviderError, type EmailProvider, type SmsProvider } from '../providers';
import { haltChannel } from './halts';

/**
 * The sending service: the one way anything in the hub reaches a provider. Campaign batches,
 * single messages (campaigns of one) and test sends all take their provider from here;
 * campaign rows go through `deliverTracked`, which keeps the send log's durable states around
 * the call and applies the provider's failure class.
 */
const emailProviders = new WeakMap<Hub, EmailProvider>();
const smsProviders = new WeakMap<Hub, SmsProvider>();
export function emailProvider(hub: Hub): EmailProvider {
  let p = emailProviders.get(hub);
  if (!p) emailProviders.set(hub, (p = createEmailProvider(hub.config)));
  return p;
}
export function smsProvider(hub: Hub): SmsProvider {
  let p = smsProviders.get(hub);
  if (!p) smsProviders.set(hub, (p = createSmsProvider(hub.config)));
  return p;
}

const LOST_CONNECTION = /Connection terminated|connection error|ECONNREFUSED|ECONNRESET|terminating connection|the database system is|timeout exceeded when trying to connect|Client was closed/i;
const LOST_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);

/** True for errors meaning "PostgreSQL is not there right now" (not a wrong query). */
export function isConnectionLost(err: any): boolean {
  return LOST_CODES.has(err?.code) || LOST_CONNECTION.test(String(err?.message ?? ''));
}

/**
 * Writes what the provider told us, retrying while PostgreSQL is away (up to `maxMs`): the
 * worker knows the outcome and holds it, so an outage between the provider's answer and the
 * mark neither re-sends nor leaves rows in doubt. Only the death of this process does.
 */
export async function persist<T>(hub: Hub, what: string, fn: () => Promise<T>, maxMs = 10 * 60_000): Promise<T> {
  const end = Date.now() + maxMs;
  for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionLost(err) || Date.now() > end) throw err;
      hub.log.warn({ what, err: (err as Error).message }, 'PostgreSQL unavailable; holding the provider outcome and retrying');
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

export interface TrackedRow { id: number; memberId: number; address: string }
export interface TrackedResult {
  sent: number;
  /** Rows refused as recipients (failed, suppressed where it applies, fallback decided). */
  failed: number;
  /** Rows of a request refused for other members only: queued again, to be sent in a request of their own. */
  retry: TrackedRow[];
  halted: boolean;
  /** Email: the campaign was no longer running (paused, cancelled) when the attempt was to be written; nothing was sent. */
  closed?: boolean;
}

/**
 * One provider request for these rows, with the send log's durable states around it:
 *  1. the rows are `sending` under a fresh attempt id, in one statement: for email ONE
 *     `send_attempts` row naming them (the campaign's gate checked in the same statement), for
 *     SMS and letters the rows themselves;
 *  2. the provider is called with the rows that were marked (a row no longer queued is left out);
 *  3. accepted → `sent` with the provider's id (held through a PostgreSQL outage);
 *     recipient refusal → those rows `failed` (+ suppression, + fallback decision), others released;
 *     account or request refusal → rows released (no row changes state), the channel halts;
 *     transient, answered (429, 5xx, refused connection) → rows released, the error thrown for the retry;
 *     transient, unanswered (timeout, reset after the body left) → rows stay `sending` (the
 *     attempt unfinished), the error thrown: the retry finds them from an earlier attempt, i.e. in doubt.
 */
export async function deliverTracked(hub: Hub, batch: { campaignId: number; channel: Channel; batchNo: number }, rows: TrackedRow[],
  call: (rows: TrackedRow[]) => Promise<(string | null)[]>): Promise<TrackedResult> {
  const { campaignId, channel } = batch;
  const attempt = randomUUID();
  const none: TrackedResult = { sent: 0, failed: 0, retry: [], halted: false };
  // Email marks the request, not each row (migration 190): one INSERT instead of one more row
  // version (and its index entries) per recipient.
  const byAttempt = channel === 'email';
  let markedIds: number[];
  if (byAttempt) {
    const covered = await openAttempt(hub.db, attempt, batch, rows.map((r) => r.id));
    if (covered === null) return { ...none, closed: true };
    markedIds = covered;
  } else {
    markedIds = await markSending(hub.db, attempt, rows.map((r) => r.id), rows.map((r) => r.address));
  }
  const marked = new Set(markedIds);
  const mine = rows.filter((r) => marked.has(r.id));
  const ids = mine.map((r) => r.id);
  if (!mine.length) return none;
  const release = async (db: Queryable, which: number[], outcome: 'released' | 'failed' = 'released'): Promise<void> => {
    if (byAttempt) await finishAttempt(db, attempt, outcome);
    else await releaseAttempt(db, attempt, which);
  };
  let providerIds: (string | null)[];
  try {
    providerIds = await call(mine);
  } catch (err) {
    if (!isProviderError(err)) {
      // Thrown before or around the request by our own code: nothing is known to have left.
      await persist(hub, 'release attempt', () => release(hub.db, ids));
      throw err;
    }
    if (err.failureClass === 'recipient') {
      const idx = err.recipientIndexes && err.recipientIndexes.every((i) => i < mine.length) ? new Set(err.recipientIndexes) : null;
      const refused = idx ? mine.filter((_r, i) => idx.has(i)) : mine;
      const others = idx ? mine.filter((_r, i) => !idx.has(i)) : [];
      const reason = `recipient: ${err.message}`;
      const failed = await persist(hub, 'recipient refusal', () => hub.db.tx(async (db) => {
        if (err.suppress && channel === 'sms') {
          for (const r of refused) await suppress(db, { channel: 'sms', address: r.address, reason: err.suppress, sourceEvent: `${err.provider}:${err.code ?? err.status}` });
        }
        const n = await markFailed(db, refused, reason);
        await release(db, others.map((r) => r.id), 'failed');
        return n;
      }));
      return { sent: 0, failed, retry: others, halted: false };
    }
    if (err.failureClass === 'account' || err.failureClass === 'request') {
      await persist(hub, 'release attempt', () => release(hub.db, ids));
      await persist(hub, 'halt', () => haltChannel(hub, campaignId, channel, 'provider_unavailable', err));
      return { ...none, halted: true };
    }
    if (!err.mayHaveBeenAccepted) await persist(hub, 'release attempt', () => release(hub.db, ids));
    throw err;
  }
  const now = hub.clock.now();
  const sent = await persist(hub, 'mark sent', () => (byAttempt
    ? markAttemptSent(hub.db, attempt, mine.map((r) => ({ id: r.id, address: r.address })), providerIds[0] ?? null, now)
    : markSent(hub.db, attempt, ids, providerIds, now)));
  return { ...none, sent };
}

/** Another run of the same batch is alive (BullMQ thought its job stalled): this run retries later and finds it done. */
export class BatchBusy extends Error {
  constructor(key: string) { super(`batch ${key} is being sent by another run`); }
}

/**
 * Runs `fn` holding a PostgreSQL session advisory lock on this batch. A worker whose lock in
 * Redis lapsed (a starved event loop, not a death) while it still sends must not have a second
 * run of its job take its `sending` rows for an earlier attempt's: the second run cannot take the
 * lock and ends with BatchBusy (retried; by then the first has marked its rows). A killed
 * worker's session ends with its connection, so its lock goes with it, and the next run may
 * settle the rows it left. One connection per running batch job.
 */
export async function withBatchLock<T>(hub: Hub, key: string, fn: () => Promise<T>): Promise<T> {
  // Held for the whole job, mostly idle. A lost connection (PostgreSQL restarting) is caught by
  // the db module's one pool-wide listener (the worker survives it) and the client is discarded
  // on release; the lock went with the session, and the job goes on (its writes retry through
  // persist).
  const client = await hub.db.connect();
  // An unlock that fails leaves the lock on the session: the client is then discarded, and its lock with it.
  let unlockFailed: Error | undefined;
  try {
    const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [key]);
    if (!rows[0].ok) throw new BatchBusy(key);
    try {
      return await fn();
    } finally {
      const lost = hub.db.connectionLost(client);
      if (lost) hub.log.warn({ key, err: lost.message }, 'batch lock connection lost');
      else await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]).catch((err: Error) => { unlockFailed = err; });
    }
  } finally {
    client.release(unlockFailed);
  }
}
