import type { Queryable } from '../db';

/**
 * The send log's outcome function, shared by the consent webhooks (SendGrid events, Twilio status
 * callbacks) and the campaign workers (provider accepted → 'sent', permanent error → 'failed').
 *
 * Rules:
 *  - delivered, bounced and failed are FINAL: the first final outcome wins; a late 'deferred',
 *    or a 'delivered' arriving after 'bounced', never changes the state again.
 *  - 'sent' moves queued / sending / skipped / cancelled to sent (the provider has it); it never
 *    moves a row back from a final state.
 *  - every other event (deferred, processed, queued, accepted, sending, open, click…) changes no
 *    state; it is still recorded as the last event.
 *  - last_event / last_event_at always record the NEWEST event by its time (an older event
 *    arriving late does not overwrite a newer one).
 *  - sent_at (the sending date) is set once, by the first of sent / deferred / delivered / bounced.
 *
 * Hook for fallback (campaigns): the result says whether this call made the row final
 * (`becameFinal`) and with which state; when `becameFinal && state === 'bounced'` (or 'failed')
 * the caller may enqueue the member on the campaign's next channel. The webhook handlers call
 * the optional `onFinal` listeners registered with `onSendLogFinal` after their transaction commits.
 */
export type SendLogState = 'queued' | 'sending' | 'sent' | 'delivered' | 'bounced' | 'failed' | 'skipped' | 'cancelled';
export const FINAL_STATES: SendLogState[] = ['delivered', 'bounced', 'failed'];

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
  /** This call moved the row into a final state (fallback hook). */
  becameFinal: boolean;
  previousState: SendLogState | null;
  /** The row's state after the call (named finalState for the fallback hook's readers). */
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
  found: false, changed: false, becameFinal: false, previousState: null, finalState: null,
  sendLogId: null, campaignId: null, memberId: null, channel: null,
};

export async function applyProviderOutcome(db: Queryable, o: ProviderOutcome): Promise<OutcomeResult> {
  let id = o.sendLogId ?? null;
  if (id === null) {
    if (!o.providerMessageId) return NOT_FOUND;
    const { rows } = await db.query('SELECT id FROM send_log WHERE provider_message_id = $1 LIMIT 2', [o.providerMessageId]);
    if (rows.length !== 1) return NOT_FOUND;
    id = rows[0].id as number;
  }
  const target = stateForEvent(o.event);
  const setsSentAt = ['sent', 'deferred', 'delivered', 'bounced', 'bounce'].includes(o.event);
  const { rows } = await db.query(
    `WITH old AS (SELECT id, state FROM send_log WHERE id = $1 FOR UPDATE),
     next AS (
       SELECT old.id, old.state AS prev,
         CASE
           WHEN $2::text IS NULL OR old.state IN ('delivered', 'bounced', 'failed') THEN old.state
           WHEN $2 = 'sent' AND old.state NOT IN ('queued', 'sending', 'skipped', 'cancelled') THEN old.state
           ELSE $2 END AS state
       FROM old)
     UPDATE send_log s SET
       state = next.state,
       reason = CASE WHEN next.state <> next.prev AND next.state IN ('bounced', 'failed') THEN COALESCE($5, s.reason) ELSE s.reason END,
       sent_at = CASE WHEN $6 THEN COALESCE(s.sent_at, $4) ELSE s.sent_at END,
       last_event = CASE WHEN s.last_event_at IS NULL OR $4 >= s.last_event_at THEN $3 ELSE s.last_event END,
       last_event_at = GREATEST(s.last_event_at, $4),
       updated_at = now()
     FROM next WHERE s.id = next.id
     RETURNING s.id, s.campaign_id, s.member_id, s.channel, s.state, next.prev`,
    [id, target, o.event, o.at, o.reason ?? null, setsSentAt],
  );
  const r = rows[0];
  if (!r) return NOT_FOUND;
  const changed = r.state !== r.prev;
  return {
    found: true,
    changed,
    becameFinal: changed && FINAL_STATES.includes(r.state),
    previousState: r.prev,
    finalState: r.state,
    sendLogId: r.id,
    campaignId: r.campaign_id,
    memberId: r.member_id,
    channel: r.channel,
  };
}

/**
 * Listeners called (after commit) when a webhook moved a send log row into a final state —
 * the campaigns worker registers one to enqueue fallback to the next channel. A listener that
 * throws is logged by the caller and does not fail the webhook.
 */
export type FinalListener = (r: OutcomeResult) => Promise<void> | void;
const listeners = new WeakMap<object, FinalListener[]>();

/** Register per hub (pass the Hub object): `onSendLogFinal(hub, async (r) => { if (r.finalState === 'bounced') … })`. */
export function onSendLogFinal(hub: object, fn: FinalListener): void {
  const list = listeners.get(hub) ?? [];
  list.push(fn);
  listeners.set(hub, list);
}

export function sendLogFinalListeners(hub: object): FinalListener[] {
  return listeners.get(hub) ?? [];
}
export * from './events';
export { campaignCounts } from './counts';
