import type { Queryable } from '../db';
import { PROVIDER_ID, ROWS_WITH_PROVIDER_ID } from './attempts';

/**
 * Provider events belong to their row. A provider event (a SendGrid event, a Twilio status
 * callback) may change only the send-log row it names — by our log id (SendGrid custom args, or
 * the `log` parameter of a Twilio StatusCallback URL) or by the provider's message id — and only
 * when the row's channel, provider message id and address agree with the event. Anything else is
 * stored as rejected with the reason and changes nothing. The webhooks (src/consent/webhooks) ask
 * `matchEventRow` first, record the verdict with `recordProviderEvent`, and only then apply the
 * outcome (`applyProviderOutcome`) and their consent effects — on the row's own address and
 * member, never on an address or number taken from the event.
 *
 * This module owns the writes of `provider_events`.
 */

export type EventChannel = 'email' | 'sms';
export type EventProvider = 'sendgrid' | 'twilio';

export type RejectReason =
  | 'no_row_reference' // neither our log id nor a provider message id
  | 'row_not_found'
  | 'channel_mismatch' // e.g. an email event naming an SMS or letter row
  | 'provider_message_id_mismatch'
  | 'provider_message_id_missing' // the row has one, the event none
  | 'address_mismatch'
  | 'address_missing';

export interface EventRowRef {
  provider: EventProvider;
  /** The channel the provider serves: SendGrid events are email, Twilio callbacks SMS. */
  channel: EventChannel;
  sendLogId?: number | null;
  /** SendGrid: the event's sg_message_id (`<X-Message-Id>.<suffix>`); Twilio: MessageSid. */
  providerMessageId?: string | null;
  /** The address the event is about (SendGrid `email`, Twilio `To`). */
  address?: string | null;
}

/** The row an event may act on, with the address to act on (the row's, else the member's current one). */
export interface EventRow {
  id: number;
  campaignId: number;
  memberId: number | null;
  channel: 'email' | 'sms' | 'letter';
  state: string;
  providerMessageId: string | null;
  address: string | null;
}

export type EventRowMatch = { ok: true; row: EventRow } | { ok: false; reason: RejectReason; sendLogId: number | null };

export function normaliseEventAddress(channel: EventChannel, a: string): string {
  return channel === 'email' ? a.trim().toLowerCase() : a.replace(/\s+/g, '');
}

/**
 * SendGrid's request has one X-Message-Id (on the row's attempt, PROVIDER_ID); each recipient's events carry
 * `sg_message_id` = that id, a dot, and a per-recipient suffix. Twilio's MessageSid is exact.
 */
export function sameProviderMessage(provider: EventProvider, rowId: string, eventId: string): boolean {
  if (provider === 'sendgrid') return eventId === rowId || eventId.startsWith(`${rowId}.`);
  return eventId === rowId;
}

const ROW_SQL = `SELECT s.id, s.campaign_id, s.member_id, s.channel, s.state, ${PROVIDER_ID('s')} AS provider_message_id, s.address,
  m.email AS member_email, m.phone AS member_phone
  FROM send_log s LEFT JOIN members m ON m.id = s.member_id`;

/** Which row the event names, and whether it agrees with it. Reads only. */
export async function matchEventRow(db: Queryable, ref: EventRowRef): Promise<EventRowMatch> {
  let r: Record<string, any> | undefined;
  if (ref.sendLogId) {
    r = (await db.query(`${ROW_SQL} WHERE s.id = $1`, [ref.sendLogId])).rows[0];
  } else if (ref.providerMessageId && ref.provider === 'twilio') {
    const rows = (await db.query(`${ROW_SQL} WHERE s.id IN ${ROWS_WITH_PROVIDER_ID('$1')} AND ${PROVIDER_ID('s')} = $1 LIMIT 2`, [ref.providerMessageId])).rows;
    r = rows.length === 1 ? rows[0] : undefined;
  } else if (ref.providerMessageId) {
    // SendGrid's id names a request of up to 1000 recipients: without our log id the row is
    // the one of that request with this address.
    const base = ref.providerMessageId.split('.')[0];
    const rows = ref.address
      ? (await db.query(`${ROW_SQL} WHERE s.id IN ${ROWS_WITH_PROVIDER_ID('$1')} AND ${PROVIDER_ID('s')} = $1 AND s.channel = 'email'
           AND lower(btrim(COALESCE(s.address, m.email))) = $2 LIMIT 2`, [base, normaliseEventAddress('email', ref.address)])).rows
      : [];
    r = rows.length === 1 ? rows[0] : undefined;
  } else {
    return { ok: false, reason: 'no_row_reference', sendLogId: null };
  }
  if (!r) return { ok: false, reason: 'row_not_found', sendLogId: ref.sendLogId ?? null };
  const id = Number(r.id);
  const reject = (reason: RejectReason): EventRowMatch => ({ ok: false, reason, sendLogId: id });
  if (r.channel !== ref.channel) return reject('channel_mismatch');
  if (r.provider_message_id) {
    if (!ref.providerMessageId) return reject('provider_message_id_missing');
    if (!sameProviderMessage(ref.provider, r.provider_message_id, ref.providerMessageId)) return reject('provider_message_id_mismatch');
  }
  // The row's address (set when it was sent); before that, the member's current one.
  const address: string | null = r.address ?? (ref.channel === 'email' ? r.member_email : r.member_phone) ?? null;
  if (!address || !ref.address) return reject('address_missing');
  if (normaliseEventAddress(ref.channel, address) !== normaliseEventAddress(ref.channel, ref.address)) return reject('address_mismatch');
  return {
    ok: true,
    row: {
      id, campaignId: Number(r.campaign_id), memberId: r.member_id === null ? null : Number(r.member_id), channel: r.channel,
      state: r.state, providerMessageId: r.provider_message_id, address,
    },
  };
}

export type ProviderEventOutcome = 'applied' | 'rejected' | 'skipped';

export interface ProviderEventRecord {
  provider: EventProvider;
  /** The provider's own id for the event (sg_event_id, MessageSid+status), unique per provider. */
  eventId: string;
  event: string;
  outcome: ProviderEventOutcome;
  reason?: string | null;
  sendLogId?: number | null;
}

/**
 * Stores the event and its verdict. Returns false when the provider sent this event before
 * (a retry): then nothing may be applied again.
 */
export async function recordProviderEvent(db: Queryable, e: ProviderEventRecord): Promise<boolean> {
  const r = await db.query(
    `INSERT INTO provider_events (provider, event_id, event, outcome, reason, send_log_id) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING 1`,
    [e.provider, e.eventId.slice(0, 300), e.event.slice(0, 64), e.outcome, e.reason?.slice(0, 300) ?? null, e.sendLogId ?? null]);
  return (r.rowCount ?? 0) > 0;
}
