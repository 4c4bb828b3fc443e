import type { Db } from '../db';
import type { Channel } from './decision';

/**
 * Group commit for member unsubscribes (one-click `POST /u/:token` and the page's own button).
 *
 * Each unsubscribe must be durably committed before the member is told it is done (synchronous
 * commit stays on: the ledger row is the proof of the member's choice). Committing each one in
 * its own statement makes every request pay a WAL flush, a round trip and a transaction of its
 * own; at a few thousand requests a second that, not the work, is the limit. So requests that
 * arrive while a commit is in flight wait for the next one, and each commit carries all of them:
 * ONE statement (its own transaction: `consent_unsubscribe_batch`, set-based, see BATCH_SQL) in
 * member-id order, and every request is answered only after that statement has committed. Under
 * light load a request finds no commit in flight and goes at once: no timer, no added latency.
 *
 * A burst that finds the writer idle goes together: its commit is started from `setImmediate`,
 * i.e. after the event loop has read every request that arrived in the same poll (members'
 * clients send in bursts), not from the first one's handler, and a burst of ≤ SPLIT_MAX is cut
 * into one contiguous run of member ids per free connection: twenty at once are two commits of
 * ten side by side on two backends instead of one alone, one alone and eighteen in one backend
 * after them (the burst's last answer waited for all of that: the p99 at 500 requests/s). A
 * member's requests are never cut apart. With a commit in flight nothing changes: a free
 * connection takes what waits at once, so commits overlap and the answers of one are written
 * while the next commits (deferring or splitting there synchronised the commits and cost a
 * sixth of the closed-loop saturation).
 *
 * Rules kept from the single-request path: `consent_record` (migration 010) writes the ledger
 * row and the state under the member's advisory lock, and so does the batch (migration 205), so
 * two identical changes (a double click, even inside one batch: the first of a pair writes, the
 * rest find it written) add one row; a member that no longer exists gives `found: false` and no
 * row. Locks are taken in member-id order in every batch, so two batches in flight cannot
 * deadlock each other. If a batch fails, each of
 * its requests is retried alone, so one bad request cannot fail the others.
 */

export interface Unsubscribe {
  memberId: number;
  category: string;
  channel: Channel;
  source: 'one_click' | 'unsubscribe_link';
  campaignId: number | null;
  at: Date;
}

export interface UnsubscribeResult {
  /** False when the member does not exist (erased): nothing was recorded. */
  found: boolean;
  language: string | null;
  /** The new ledger row, or null when the choice was already recorded. */
  eventId: number | null;
}

/** The writer's grouping when not told otherwise (bench/unsubscribe.ts's floor groups the same way). */
export const GROUP_COMMIT_DEFAULTS = { maxBatch: 500, maxInFlight: 2 } as const;

export interface GroupCommitOptions {
  /** Requests per commit at most (default 500). */
  maxBatch?: number;
  /** Commits in flight at once, each on its own connection (default 2). */
  maxInFlight?: number;
}

/**
 * The batch in one statement for the caller: `consent_unsubscribe_batch` (migration 205) takes
 * every member's advisory lock in key order, then in a second statement of its own (a fresh
 * snapshot, after the locks) writes the ledger rows and the state set-based, with what
 * `consent_record` would give each request called one after the other. It replaced one
 * `consent_record` call per request (five PL/pgSQL statements each).
 */
const BATCH_SQL = `SELECT i, language, event_id
  FROM consent_unsubscribe_batch($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])`;

/** A burst of at most this many requests into an idle writer is split over the free connections. */
const SPLIT_MAX = 64;

interface Pending { u: Unsubscribe; resolve: (r: UnsubscribeResult) => void; reject: (e: unknown) => void }

export class UnsubscribeWriter {
  private queue: Pending[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;

  constructor(private readonly db: Db, opts: GroupCommitOptions = {}) {
    this.maxBatch = opts.maxBatch ?? GROUP_COMMIT_DEFAULTS.maxBatch;
    this.maxInFlight = opts.maxInFlight ?? GROUP_COMMIT_DEFAULTS.maxInFlight;
  }

  /** Resolves once the change is committed. */
  record(u: Unsubscribe): Promise<UnsubscribeResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ u, resolve, reject });
      if (this.inFlight === 0) this.collectBurst();
      else this.pump();
    });
  }

  /** An idle writer: start after the requests of the current poll are read (see the module comment). */
  private collectBurst(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const free = this.maxInFlight - this.inFlight;
      if (this.inFlight > 0 || this.queue.length > SPLIT_MAX || free < 2) { this.pump(); return; }
      for (const batch of splitByMember(this.queue.splice(0), free)) this.start(batch);
    });
  }

  /** A writer with a commit in flight: a free connection takes what waits, at once (pipelining). */
  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) this.start(splitByMember(this.queue.splice(0, this.maxBatch), 1)[0]);
  }

  private start(batch: Pending[]): void {
    this.inFlight++;
    this.commit(batch).finally(() => { this.inFlight--; this.pump(); });
  }

  private async commit(sorted: Pending[]): Promise<void> {
    try {
      const results = await this.run(sorted.map((p) => p.u));
      sorted.forEach((p, k) => p.resolve(results[k]));
    } catch (err) {
      if (sorted.length === 1) { sorted[0].reject(err); return; }
      // One request's failure must not fail the others: each alone, in the same order.
      for (const p of sorted) {
        try { p.resolve((await this.run([p.u]))[0]); } catch (e) { p.reject(e); }
      }
    }
  }

  private async run(us: Unsubscribe[]): Promise<UnsubscribeResult[]> {
    const { rows } = await this.db.query(BATCH_SQL, [
      us.map((u) => u.memberId), us.map((u) => u.category), us.map((u) => u.channel),
      us.map((u) => u.source), us.map((u) => u.campaignId), us.map((u) => u.at),
    ]);
    const out: UnsubscribeResult[] = us.map(() => ({ found: false, language: null, eventId: null }));
    for (const r of rows) out[Number(r.i) - 1] = { found: true, language: r.language ?? null, eventId: r.event_id ?? null };
    return out;
  }
}

/**
 * Member-id order (stable, so a member's own requests keep their order: the lock order), cut into
 * at most `parts` contiguous runs of about equal size; a member's requests stay in one run.
 */
export function splitByMember<T extends { u: { memberId: number } }>(items: T[], parts: number): T[][] {
  const sorted = items.map((p, k) => ({ p, k })).sort((a, b) => a.p.u.memberId - b.p.u.memberId || a.k - b.k).map((x) => x.p);
  const runs: T[][] = [];
  const size = Math.ceil(sorted.length / Math.max(1, parts));
  let run: T[] = [];
  for (const p of sorted) {
    if (run.length >= size && p.u.memberId !== run[run.length - 1].u.memberId && runs.length < parts - 1) { runs.push(run); run = []; }
    run.push(p);
  }
  if (run.length) runs.push(run);
  return runs;
}

const writers = new WeakMap<Db, UnsubscribeWriter>();

/** The one writer per database pool of this process. */
export function unsubscribeWriter(db: Db): UnsubscribeWriter {
  let w = writers.get(db);
  if (!w) { w = new UnsubscribeWriter(db); writers.set(db, w); }
  return w;
}
