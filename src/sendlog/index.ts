import { prepared, type Queryable } from '../db';
import { IN_FLIGHT_IDS, COVERED, PROVIDER_ID, ROWS_WITH_PROVIDER_ID } from './attempts';

/**
 * The send log: the ONLY module that writes `send_log` (and `send_log_counts`). Every write is a
 * named function here: the send path's below, the provider events' (events.ts), the launch
 * snapshot's (snapshot.ts: `writeSnapshotRows`) and erasure/retention's (privacy.ts). Other
 * areas only read it. test/sendlog-writer.test.ts fails if a file outside src/sendlog writes it.
 * One row per (campaign, member, channel).
 *
 * Lifecycle of a row:
 *
 *   queued ──markSending(attempt)──▶ sending ──markSent(attempt)──▶ sent ──event──▶ delivered | bounced | failed
 *     (email: openAttempt writes ONE send_attempts row for the request; a queued row under an
 *      unfinished attempt is `sending` (attempts.ts); markAttemptSent finishes it and marks its rows)
 *     │                                 │ releaseAttempt (provider answered: not accepted) ──▶ queued
 *     │                                 │ markFailed (recipient refusal)                  ──▶ failed (+ fallback_due)
 *     │                                 └ a later attempt finds it still 'sending' (worker died, answer lost):
 *     │                                      declinable category  ──▶ in_doubt (sent again only if staff ask)
 *     │                                      mandatory category   ──▶ sent again (at least once)
 *     ├ markSkipped (consent re-check)   ──▶ skipped (+ fallback_due when the next channel may carry it)
 *     └ cancelPending                     ──▶ cancelled
 *
 * Rules:
 *  - delivered, bounced and failed are FINAL: the first final outcome wins (`FIRST_FINAL_WINS`,
 *    the one SQL fragment every writer here puts in its WHERE or CASE).
 *  - the fallback decision (`fallback_due`) is written in the SAME statement as the outcome that
 *    causes it; campaigns/fallback.ts turns it into the next channel's row (queue job, poller, sweep).
 *  - last_event / last_event_at record the NEWEST provider event by its time.
 *  - sent_at (the sending date) is set once.
 */
export type SendLogState = 'queued' | 'sending' | 'sent' | 'delivered' | 'bounced' | 'failed' | 'skipped' | 'cancelled' | 'in_doubt';
export const FINAL_STATES: SendLogState[] = ['delivered', 'bounced', 'failed'];

/** "The first final outcome wins": true while the row `a` has no final state yet. Every writer uses it. */
export const FIRST_FINAL_WINS = (a = 's') => `${a}.state NOT IN ('delivered', 'bounced', 'failed')`;

/**
 * The fallback decision for row `a`: its campaign offers a channel after this one and is not
 * cancelled. Evaluated in the same UPDATE that writes the outcome.
 */
const FALLBACK_DUE = (a = 's') => `EXISTS (SELECT 1 FROM campaigns fc WHERE fc.id = ${a}.campaign_id AND fc.state <> 'cancelled'
  AND array_position(fc.channels, ${a}.channel) < cardinality(fc.channels))`;

/** Consent re-check reasons after which the next channel is tried: this channel cannot carry it, the member may still be reached. */
export const FALL_THROUGH_REASONS: ReadonlySet<string> = new Set(['no_address', 'suppressed', 'channel_not_allowed']);

export type ProviderEvent =
  | 'sent' | 'delivered' | 'bounced' | 'failed' | 'dropped' | 'undelivered' | 'deferred' | 'blocked'
  | 'processed' | 'queued' | 'accepted' | 'sending' | (string & {});

export interface ProviderOutcome {
  sendLogId?: number | null;
  /** Used when sendLogId is not given; must name exactly one row (Twilio MessageSid). */
  providerMessageId?: string | null;
  event: ProviderEvent;
  at: Date;
  reason?: string | null;
}

export interface OutcomeResult {
  found: boolean;
  /** The state changed in this call. */
  changed: boolean;
  /** This call moved the row into a final state. */
  becameFinal: boolean;
  /** This call recorded that the member falls back to the campaign's next channel (send_log.fallback_due). */
  fallbackDue: boolean;
  previousState: SendLogState | null;
  /** The row's state after the call. */
  finalState: SendLogState | null;
  sendLogId: number | null;
  campaignId: number | null;
  memberId: number | null;
  channel: 'email' | 'sms' | 'letter' | null;
}

/** Which state an event asks for, or null when it only updates last_event. */
export function stateForEvent(event: string): SendLogState | null {
  switch (event) {
    case 'sent': return 'sent';
    case 'delivered': return 'delivered';
    case 'bounced': case 'bounce': return 'bounced';
    case 'failed': case 'dropped': case 'undelivered': case 'blocked': return 'failed';
    default: return null;
  }
}

const NOT_FOUND: OutcomeResult = {
  found: false, changed: false, becameFinal: false, fallbackDue: false, previousState: null, finalState: null,
  sendLogId: null, campaignId: null, memberId: null, channel: null,
};

/**
 * A provider's event for one row (SendGrid event, Twilio status callback), called by the
 * webhook handlers inside their transaction. A bounce or failure that makes the row final also
 * writes the fallback decision, in the same statement. `processed` (SendGrid has the message)
 * settles a row we were unsure of (`sending` from a lost answer, `in_doubt`) as sent.
 */
export async function applyProviderOutcome(db: Queryable, o: ProviderOutcome): Promise<OutcomeResult> {
  let id = o.sendLogId ?? null;
  if (id === null) {
    if (!o.providerMessageId) return NOT_FOUND;
    const { rows } = await db.query(`SELECT s.id FROM send_log s WHERE s.id IN ${ROWS_WITH_PROVIDER_ID('$1')} AND ${PROVIDER_ID('s')} = $1 LIMIT 2`, [o.providerMessageId]);
    if (rows.length !== 1) return NOT_FOUND;
    id = rows[0].id as number;
  }
  const target = o.event === 'processed' ? 'sent' : stateForEvent(o.event);
  const setsSentAt = ['sent', 'processed', 'deferred', 'delivered', 'bounced', 'bounce'].includes(o.event);
  const { rows } = await db.query(
    `WITH old AS (SELECT id, state, (state = 'queued' AND ${COVERED('s')}) AS in_flight FROM send_log s WHERE id = $1 FOR UPDATE),
     next AS (
       SELECT old.id, old.state AS prev,
         CASE
           WHEN $2::text IS NULL OR NOT (${FIRST_FINAL_WINS('old')}) THEN old.state
           WHEN $2 = 'sent' AND old.state NOT IN ('queued', 'sending', 'in_doubt', 'skipped', 'cancelled') THEN old.state
           WHEN $3 = 'processed' AND old.state NOT IN ('sending', 'in_doubt') AND NOT old.in_flight THEN old.state
           ELSE $2 END AS state
       FROM old)
     UPDATE send_log s SET
       state = next.state,
       reason = CASE WHEN next.state <> next.prev AND next.state IN ('bounced', 'failed') THEN COALESCE($5, s.reason) ELSE s.reason END,
       fallback_due = s.fallback_due OR (next.state <> next.prev AND next.state IN ('bounced', 'failed') AND ${FALLBACK_DUE('s')}),
       sent_at = CASE WHEN $6 THEN COALESCE(s.sent_at, $4) ELSE s.sent_at END,
       last_event = CASE WHEN s.last_event_at IS NULL OR $4 >= s.last_event_at THEN $3 ELSE s.last_event END,
       last_event_at = GREATEST(s.last_event_at, $4),
       updated_at = now()
     FROM next WHERE s.id = next.id
     RETURNING s.id, s.campaign_id, s.member_id, s.channel, s.state, s.fallback_due, next.prev`,
    [id, target, o.event, o.at, o.reason ?? null, setsSentAt],
  );
  const r = rows[0];
  if (!r) return NOT_FOUND;
  const changed = r.state !== r.prev;
  return {
    found: true,
    changed,
    becameFinal: changed && FINAL_STATES.includes(r.state),
    fallbackDue: changed && r.fallback_due,
    previousState: r.prev,
    finalState: r.state,
    sendLogId: r.id,
    campaignId: r.campaign_id,
    memberId: r.member_id,
    channel: r.channel,
  };
}

// ---------------------------------------------------------------------------------------------
// The send path's writes. `ids` are send_log ids; every statement is one per batch/request.

export interface PendingRow { id: number; memberId: number; state?: SendLogState }

/** A batch's rows still to send (queued, or sending under an earlier attempt); erased members' rows are never sent. */
export async function pendingRows(db: Queryable, campaignId: number, channel: string, batchNo: number): Promise<PendingRow[]> {
  const { rows } = await db.query(
    prepared(`SELECT s.id, s.member_id, s.state FROM send_log s
      WHERE s.campaign_id = $1 AND s.channel = $2 AND s.batch_no = $3 AND s.state IN ('queued', 'sending') AND s.member_id IS NOT NULL`),
    [campaignId, channel, batchNo]);
  return rows.map((r) => ({ id: Number(r.id), memberId: Number(r.member_id), state: r.state }));
}

/**
 * Rows of this batch still `sending` from an earlier attempt: its worker died, or its answer was
 * lost, after the request may have left. Declinable: `in_doubt` (never sent twice unless staff
 * ask). Mandatory: back to `queued` so this attempt sends them (at least once). Returns how many
 * went in doubt.
 */
export async function settleEarlierAttempts(db: Queryable, campaignId: number, channel: string, batchNo: number, declinable: boolean): Promise<number> {
  // Email: the batch's unfinished attempts are finished as interrupted; their rows still queued
  // are the ones that were `sending`. One statement.
  const a = await db.query(
    declinable
      ? prepared(`WITH open AS (
           UPDATE send_attempts SET finished_at = now(), outcome = 'interrupted'
            WHERE campaign_id = $1 AND channel = $2 AND batch_no = $3 AND finished_at IS NULL RETURNING id, send_log_ids),
         x AS (SELECT o.id AS attempt, unnest(o.send_log_ids) AS sid FROM open o)
         UPDATE send_log s SET state = 'in_doubt', attempt_id = x.attempt, reason = 'in_doubt: attempt ' || x.attempt || ' was interrupted', updated_at = now()
           FROM x WHERE s.id = x.sid AND s.state = 'queued'`)
      : prepared(`UPDATE send_attempts SET finished_at = now(), outcome = 'interrupted'
          WHERE campaign_id = $1 AND channel = $2 AND batch_no = $3 AND finished_at IS NULL`),
    [campaignId, channel, batchNo]);
  // SMS and letters (and email rows marked before migration 190): the row itself says `sending`.
  const r = await db.query(
    declinable
      ? prepared(`UPDATE send_log s SET state = 'in_doubt', reason = 'in_doubt: attempt ' || COALESCE(s.attempt_id, '?') || ' was interrupted', updated_at = now()
          WHERE s.campaign_id = $1 AND s.channel = $2 AND s.batch_no = $3 AND s.state = 'sending'`)
      : prepared(`UPDATE send_log s SET state = 'queued', attempt_id = NULL, updated_at = now()
          WHERE s.campaign_id = $1 AND s.channel = $2 AND s.batch_no = $3 AND s.state = 'sending'`),
    [campaignId, channel, batchNo]);
  return declinable ? (a.rowCount ?? 0) + (r.rowCount ?? 0) : 0;
}

/** The same for one row (an SMS message job): true when it went in doubt. */
export async function settleEarlierAttemptOfRow(db: Queryable, id: number, declinable: boolean): Promise<boolean> {
  const r = await db.query(
    declinable
      ? `UPDATE send_log s SET state = 'in_doubt', reason = 'in_doubt: attempt ' || COALESCE(s.attempt_id, '?') || ' was interrupted', updated_at = now()
          WHERE s.id = $1 AND s.state = 'sending'`
      : `UPDATE send_log s SET state = 'queued', attempt_id = NULL, updated_at = now() WHERE s.id = $1 AND s.state = 'sending'`, [id]);
  return declinable && (r.rowCount ?? 0) > 0;
}

/** Before the provider call: the request's rows are `sending` under this attempt (one statement). Returns the ids it marked. */
export async function markSending(db: Queryable, attemptId: string, ids: number[], addresses: (string | null)[]): Promise<number[]> {
  if (!ids.length) return [];
  const { rows } = await db.query(
    `UPDATE send_log s SET state = 'sending', attempt_id = $3, address = COALESCE(v.address, s.address), updated_at = now()
       FROM unnest($1::bigint[], $2::text[]) AS v(id, address)
      WHERE s.id = v.id AND s.state = 'queued'
      RETURNING s.id`,
    [ids, addresses, attemptId]);
  return rows.map((r) => Number(r.id));
}

/**
 * Before an email request: ONE `send_attempts` row naming the request's rows still `queued` (they
 * are `sending` from now on, for every reader: see IN_FLIGHT_IDS). Folded into the same statement,
 * the campaign's gate: nothing is written, and null returned, unless the campaign is running or
 * completed (the caller then asks the gate what to do). Returns the ids the attempt covers.
 */
export async function openAttempt(db: Queryable, attemptId: string, batch: { campaignId: number; channel: string; batchNo: number }, ids: number[]): Promise<number[] | null> {
  const { rows } = await db.query(
    prepared(`WITH c AS (SELECT 1 FROM campaigns WHERE id = $2 AND state IN ('running', 'completed')),
     -- By primary key only, the state tested above an OFFSET 0 fence: a state or campaign
     -- condition next to the ids lets the planner AND in the partial index send_log_pending, i.e.
     -- read every pending row of the campaign (up to a million) for each request of 250.
     ok AS (SELECT x.id FROM (SELECT s.id, s.state FROM send_log s WHERE s.id = ANY($1::bigint[]) OFFSET 0) x
             WHERE x.state = 'queued' AND EXISTS (SELECT 1 FROM c)),
     ins AS (INSERT INTO send_attempts (id, campaign_id, channel, batch_no, send_log_ids)
             SELECT $3, $2, $4, $5, array_agg(id) FROM ok HAVING count(*) > 0 RETURNING send_log_ids)
     SELECT EXISTS (SELECT 1 FROM c) AS open, (SELECT send_log_ids FROM ins) AS ids`),
    [ids, batch.campaignId, attemptId, batch.channel, batch.batchNo]);
  if (!rows[0].open) return null;
  return ((rows[0].ids ?? []) as (string | number)[]).map(Number);
}

/**
 * After SendGrid accepted an attempt's request: the attempt finished with its X-Message-Id and
 * its rows `sent` in one statement. A row a webhook already made final keeps its state; a row
 * erased meanwhile gets no address or provider id back; a row a concurrent cancel or erasure
 * marked cancelled while the request was out is `sent` (it was). Returns the rows marked.
 */
export async function markAttemptSent(db: Queryable, attemptId: string, rows: { id: number; address: string | null }[], providerMessageId: string | null, at: Date): Promise<number> {
  if (!rows.length) return 0;
  const r = await db.query(
    prepared(`WITH a AS (UPDATE send_attempts SET finished_at = COALESCE(finished_at, now()), outcome = 'sent', provider_message_id = $5 WHERE id = $3)
     UPDATE send_log s SET state = CASE WHEN s.state IN ('queued', 'in_doubt', 'cancelled') THEN 'sent' ELSE s.state END,
            reason = CASE WHEN s.state IN ('in_doubt', 'cancelled') THEN NULL ELSE s.reason END,
            -- The request's id stays on the attempt (PROVIDER_ID): no indexed column changes, so
            -- every row version here is HOT (migration 211). An erased row names no attempt.
            attempt_id = CASE WHEN s.member_id IS NULL THEN NULL ELSE $3 END, sent_at = COALESCE(s.sent_at, $4),
            address = CASE WHEN s.member_id IS NULL THEN NULL ELSE COALESCE(v.address, s.address) END, updated_at = now()
       FROM unnest($1::bigint[], $2::text[]) AS v(id, address)
      WHERE s.id = v.id AND s.state IN ('queued', 'sent', 'in_doubt', 'cancelled') AND ${FIRST_FINAL_WINS('s')}`),
    [rows.map((x) => x.id), rows.map((x) => x.address), attemptId, at, providerMessageId]);
  return r.rowCount ?? 0;
}

/** An attempt that ends without `sent`: released (the provider answered, did not take it) or failed (recipient refusal, marked apart). Its rows are no longer `sending`. */
export async function finishAttempt(db: Queryable, attemptId: string, outcome: 'released' | 'failed'): Promise<void> {
  await db.query(`UPDATE send_attempts SET finished_at = now(), outcome = $2 WHERE id = $1 AND finished_at IS NULL`, [attemptId, outcome]);
}

/** The rows of a campaign that are `sending` right now: marked so (SMS, letters) or covered by an unfinished email attempt. */
export async function rowsInFlight(db: Queryable, campaignId: number): Promise<number[]> {
  const { rows } = await db.query(
    // A row sending is waiting, so its batch is open (batches.ts): only the open batches are read.
    `SELECT s.id FROM send_log s JOIN send_batches b ON b.campaign_id = s.campaign_id AND b.channel = s.channel AND b.batch_no = s.batch_no
      WHERE b.campaign_id = $1 AND b.open AND s.state = 'sending'
     UNION SELECT x.id FROM (SELECT s.id, s.state FROM send_log s WHERE s.id IN ${IN_FLIGHT_IDS('$1')} OFFSET 0) x WHERE x.state = 'queued'`, [campaignId]);
  return rows.map((r) => Number(r.id));
}

/**
 * After the provider accepted: `sent` with its id. Only rows still under this attempt; a
 * webhook that got there first (delivered before we heard 202) keeps its final state.
 */
export async function markSent(db: Queryable, attemptId: string, ids: number[], providerIds: (string | null)[], at: Date): Promise<number> {
  if (!ids.length) return 0;
  const r = await db.query(
    `UPDATE send_log s SET state = CASE WHEN s.state IN ('sending', 'in_doubt') THEN 'sent' ELSE s.state END,
            reason = CASE WHEN s.state = 'in_doubt' THEN NULL ELSE s.reason END,
            sent_at = COALESCE(s.sent_at, $4), provider_message_id = COALESCE(s.provider_message_id, v.pid), updated_at = now()
       FROM unnest($1::bigint[], $2::text[]) AS v(id, pid)
      WHERE s.id = v.id AND s.attempt_id = $3 AND ${FIRST_FINAL_WINS('s')}`,
    [ids, providerIds, attemptId, at]);
  return r.rowCount ?? 0;
}

/** The provider answered and did not take the request (429, 5xx, account refusal): the rows are queued again, untouched. */
export async function releaseAttempt(db: Queryable, attemptId: string, ids: number[]): Promise<number> {
  if (!ids.length) return 0;
  const r = await db.query(
    `UPDATE send_log s SET state = 'queued', attempt_id = NULL, updated_at = now() WHERE s.id = ANY($1::bigint[]) AND s.attempt_id = $2 AND s.state = 'sending'`,
    [ids, attemptId]);
  return r.rowCount ?? 0;
}

/**
 * A refusal that is about these members (invalid address, STOP, template that cannot carry their
 * fields): `failed` with the reason, and the fallback decision in the same statement.
 */
export async function markFailed(db: Queryable, rows: { id: number; address?: string | null }[], reason: string): Promise<number> {
  if (!rows.length) return 0;
  const r = await db.query(
    `UPDATE send_log s SET state = 'failed', reason = $2, address = COALESCE(v.address, s.address), fallback_due = ${FALLBACK_DUE('s')}, updated_at = now()
       FROM unnest($1::bigint[], $3::text[]) AS v(id, address)
      WHERE s.id = v.id AND s.state IN ('queued', 'sending') AND ${FIRST_FINAL_WINS('s')}`,
    [rows.map((x) => x.id), reason.slice(0, 500), rows.map((x) => x.address ?? null)]);
  return r.rowCount ?? 0;
}

/** Consent re-check: skipped with the reason; those this channel cannot carry get the fallback decision in the same statement. */
export async function markSkipped(db: Queryable, rows: { id: number; reason: string }[]): Promise<number> {
  if (!rows.length) return 0;
  const r = await db.query(
    `UPDATE send_log s SET state = 'skipped', reason = v.reason,
            fallback_due = (v.reason = ANY($3::text[])) AND ${FALLBACK_DUE('s')}, updated_at = now()
       FROM unnest($1::bigint[], $2::text[]) AS v(id, reason)
      WHERE s.id = v.id AND s.state IN ('queued', 'sending')`,
    [rows.map((x) => x.id), rows.map((x) => x.reason), [...FALL_THROUGH_REASONS]]);
  return r.rowCount ?? 0;
}

/** A cancelled campaign: what has not left is cancelled (one batch, or the whole campaign); rows `sending` finish. */
export async function cancelPending(db: Queryable, campaignId: number, where: { channel: string; batchNo: number } | null = null): Promise<number> {
  const r = where
    ? await db.query(
      `UPDATE send_log s SET state = 'cancelled', reason = 'campaign_cancelled', updated_at = now()
        WHERE s.campaign_id = $1 AND s.channel = $2 AND s.batch_no = $3 AND s.state = 'queued'
          AND s.id NOT IN ${IN_FLIGHT_IDS('$1', { channel: '$2', batchNo: '$3' })}`, [campaignId, where.channel, where.batchNo])
    : await db.query(
      `UPDATE send_log s SET state = 'cancelled', reason = 'campaign_cancelled', fallback_due = false, updated_at = now()
        WHERE s.campaign_id = $1 AND ((s.state = 'queued' AND s.id NOT IN ${IN_FLIGHT_IDS('$1')}) OR s.fallback_due)`, [campaignId]);
  return r.rowCount ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Fallback: the decisions written above become the next channel's rows.

export interface DueFallback { id: number; campaignId: number; memberId: number | null; channel: 'email' | 'sms' | 'letter'; state: SendLogState; reason: string | null }

/** Rows whose fallback is due, locked for this transaction (other workers skip them). */
export async function lockDueFallbacks(db: Queryable, limit = 1000): Promise<DueFallback[]> {
  const { rows } = await db.query(
    `SELECT s.id, s.campaign_id, s.member_id, s.channel, s.state, s.reason FROM send_log s
      WHERE s.fallback_due ORDER BY s.campaign_id, s.id LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit]);
  return rows.map((r) => ({ id: Number(r.id), campaignId: Number(r.campaign_id), memberId: r.member_id === null ? null : Number(r.member_id), channel: r.channel, state: r.state, reason: r.reason }));
}

/**
 * In the same transaction as lockDueFallbacks: the next channel's rows (queued, in one new batch
 * per 1000, marked with the channel they fell back from) and the decisions cleared. The unique
 * log key makes it happen once however many times a bounce is reported. Returns the new batches.
 */
export async function writeFallbackRows(db: Queryable, campaignId: number, next: string | null, rows: DueFallback[]): Promise<number[]> {
  const batches: number[] = [];
  const live = next ? rows.filter((r) => r.memberId !== null) : [];
  for (let i = 0; i < live.length; i += 1000) {
    const list = live.slice(i, i + 1000);
    const { rows: made } = await db.query(
      `WITH b AS (SELECT -nextval('send_log_fallback_batch')::int AS batch_no)
       INSERT INTO send_log (campaign_id, member_id, channel, state, fallback_from, reason, batch_no)
       SELECT $1, v.member_id, $2, 'queued', v.from_channel, 'fallback: ' || v.reason, b.batch_no
         FROM unnest($3::bigint[], $4::text[], $5::text[]) AS v(member_id, from_channel, reason), b
       ON CONFLICT (campaign_id, member_id, channel) DO NOTHING
       RETURNING batch_no`,
      [campaignId, next, list.map((r) => r.memberId), list.map((r) => r.channel), list.map((r) => r.reason ?? r.state)]);
    if (made[0]) batches.push(made[0].batch_no);
  }
  await db.query(`UPDATE send_log SET fallback_due = false WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
  return batches;
}

// ---------------------------------------------------------------------------------------------
// Staff actions: retry failed rows, send in-doubt rows again.

/**
 * Failures worth trying again once their cause is fixed: refusals of the request as a whole
 * (`rejected: …`, recorded as member failures before halts existed, e.g. "SendGrid 401 … revoked")
 * and template errors. Recipient refusals (invalid address, STOP, bounce) are never retried.
 */
export const RETRYABLE_FAILURE_SQL = (a = 's') => `(${a}.state = 'failed' AND (${a}.reason LIKE 'rejected: %' OR ${a}.reason LIKE 'template: %'))`;

/**
 * Rows of a campaign back to `queued` in fresh batches (new job ids), never a row that is sent
 * or final otherwise, and never one whose member the campaign already reached on a fallback
 * channel. `which`: retryable failures, or in-doubt rows (optionally only these ids).
 */
export async function requeueRows(db: Queryable, campaignId: number, which: 'retryable' | 'in_doubt', ids: number[] | null = null):
  Promise<{ rows: number; batches: { channel: string; batchNo: number }[] }> {
  const cond = which === 'retryable' ? RETRYABLE_FAILURE_SQL('s') : `s.state = 'in_doubt'`;
  const { rows } = await db.query(
    `WITH locked AS (
       SELECT s.id, s.channel FROM send_log s
        WHERE s.campaign_id = $1 AND ${cond} AND s.member_id IS NOT NULL AND ($2::bigint[] IS NULL OR s.id = ANY($2::bigint[]))
          AND NOT EXISTS (SELECT 1 FROM send_log f WHERE f.campaign_id = s.campaign_id AND f.member_id = s.member_id AND f.fallback_from = s.channel)
        FOR UPDATE OF s),
     picked AS (SELECT id, channel, (row_number() OVER (PARTITION BY channel ORDER BY id) - 1) / 1000 AS k FROM locked),
     nums AS (SELECT channel, k, -nextval('send_log_fallback_batch')::int AS batch_no FROM (SELECT DISTINCT channel, k FROM picked) d)
     UPDATE send_log s SET state = 'queued', attempt_id = NULL, batch_no = nums.batch_no, fallback_due = false,
            reason = 'requeued: ' || COALESCE(s.reason, s.state), updated_at = now()
       FROM picked JOIN nums USING (channel, k) WHERE s.id = picked.id
     RETURNING s.channel, s.batch_no`,
    [campaignId, ids]);
  const seen = new Map<string, { channel: string; batchNo: number }>();
  for (const r of rows) seen.set(`${r.channel}:${r.batch_no}`, { channel: r.channel, batchNo: r.batch_no });
  return { rows: rows.length, batches: [...seen.values()] };
}
export * from './events';
export { IN_FLIGHT_IDS } from './attempts';
export { writeSnapshotRows, type SnapshotRows, type SnapshotStepWrite } from './snapshot';
export { anonymiseMembersRows, reduceSendLogRows } from './privacy';
export { campaignCounts } from './counts';
export { closeBatchIfDone, closeDoneBatches, openBatches, NO_OPEN_BATCH, type BatchKey } from './batches';
