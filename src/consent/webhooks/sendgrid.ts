import crypto from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Hub } from '../../hub';
import type { Queryable } from '../../db';
import { Problem } from '../../errors';
import { applyProviderOutcome, matchEventRow, recordProviderEvent, type OutcomeResult } from '../../sendlog';
import { sendgridEventProblem } from './fields';
import { suppress } from '../suppressions';
import { recordConsentChange } from '../ledger';

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/** Signed timestamps older (or further in the future) than this are refused. */
export const MAX_SKEW_S = 600;
/** Events applied per transaction (a SendGrid batch holds up to a few thousand). */
const EVENTS_PER_COMMIT = 500;

/**
 * Custom args the email worker puts on each personalization (they come back on every event):
 * `send_log_id` (required for send-log updates), optionally `campaign_id` and `category`.
 */
export const SENDGRID_CUSTOM_ARGS = { sendLogId: 'send_log_id', campaignId: 'campaign_id', category: 'category' } as const;

const keyCache = new Map<string, crypto.KeyObject>();

/** The configured key is base64 SPKI DER (what SendGrid shows); PEM is accepted too. */
export function sendgridPublicKey(configured: string): crypto.KeyObject {
  let k = keyCache.get(configured);
  if (!k) {
    k = configured.includes('BEGIN PUBLIC KEY')
      ? crypto.createPublicKey(configured)
      : crypto.createPublicKey({ key: Buffer.from(configured, 'base64'), format: 'der', type: 'spki' });
    keyCache.set(configured, k);
  }
  return k;
}

/**
 * ECDSA P-256 / SHA-256 over `timestamp + rawBody` (the raw bytes), signature base64 DER —
 * the scheme of @sendgrid/eventwebhook's verifySignature, done with node:crypto (the SDK's
 * pure-JS ECDSA is slow and stringifies the body). Never throws.
 */
export function verifySendgridSignature(publicKey: string, rawBody: Buffer, signature: string, timestamp: string): boolean {
  try {
    return crypto.verify('sha256', Buffer.concat([Buffer.from(timestamp, 'utf8'), rawBody]),
      { key: sendgridPublicKey(publicKey), dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export function mountSendgridWebhook(app: express.Express, hub: Hub): void {
  app.post('/webhooks/sendgrid/events', express.raw({ type: () => true, limit: '10mb' }), async (req: Request, res: Response) => {
    const key = hub.config.sendgrid.webhookPublicKey;
    const sig = req.get(SENDGRID_SIGNATURE_HEADER);
    const ts = req.get(SENDGRID_TIMESTAMP_HEADER);
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    if (!key) {
      hub.log.warn('SendGrid event webhook refused: SENDGRID_WEBHOOK_PUBLIC_KEY is not configured');
      throw Problem.forbidden('The SendGrid webhook verification key is not configured.');
    }
    if (!sig || !ts) throw Problem.unauthorized('The SendGrid signature headers are missing.');
    const now = hub.clock.now().getTime() / 1000;
    if (!/^\d{1,12}$/.test(ts) || Math.abs(now - Number(ts)) > MAX_SKEW_S) throw Problem.forbidden('The signed timestamp is outside the allowed window.');
    if (!verifySendgridSignature(key, raw, sig, ts)) throw Problem.forbidden('The signature does not verify.');
    let events: unknown;
    try { events = JSON.parse(raw.toString('utf8')); } catch { throw Problem.badRequest('The body is not JSON.'); }
    if (!Array.isArray(events)) throw Problem.badRequest('The body must be a JSON array of events.');
    const counts = { received: events.length, applied: 0, rejected: 0, skipped: 0, duplicates: 0 };
    let batchHash: string | null = null;
    // Events of one row keep their order (a stable sort), rows go in id order, so two batches
    // applied at once take their row locks in the same order and cannot deadlock.
    const order = events.map((ev, i) => ({ ev, i, row: intArg((ev as any)?.[SENDGRID_CUSTOM_ARGS.sendLogId]) ?? Number.MAX_SAFE_INTEGER }))
      .sort((a, b) => a.row - b.row);
    // One transaction per EVENTS_PER_COMMIT events, not per event: one commit (one WAL flush)
    // per chunk instead of one per event (a 2,000-event batch took ~50 ms per event under load,
    // so a large campaign's events queued behind each other for minutes). An unexpected error
    // rolls its chunk back and answers 5xx: SendGrid retries the batch, and provider_events finds
    // the chunks already committed, so nothing is applied twice.
    for (let start = 0; start < order.length; start += EVENTS_PER_COMMIT) {
      const chunk = order.slice(start, start + EVENTS_PER_COMMIT);
      const c = { applied: 0, rejected: 0, skipped: 0, duplicates: 0 };
      await hub.db.tx(async (client) => {
        for (const { ev, i } of chunk) {
          const problem = sendgridEventProblem(ev, Math.floor(now));
          if (problem) {
            // Skipped, recorded, and the rest of the batch goes on. Its id: SendGrid's when usable,
            // else one derived from the batch's bytes and position (a retry of the batch finds it).
            const own = (ev as any)?.sg_event_id;
            batchHash ??= crypto.createHash('sha256').update(raw).digest('base64url');
            const id = typeof own === 'string' && own && own.length <= 200 ? own : `skip:${batchHash}:${i}`;
            const fresh = await recordProviderEvent(client, { provider: 'sendgrid', eventId: id, event: 'invalid', outcome: 'skipped', reason: problem });
            if (fresh) { c.skipped++; hub.log.warn({ reason: problem, index: i }, 'SendGrid event skipped: unusable fields'); } else c.duplicates++;
            continue;
          }
          const r = await applySendgridEvent(client, hub, ev as Record<string, any>);
          if (r.status === 'applied') c.applied++;
          else if (r.status === 'rejected') c.rejected++;
          else c.duplicates++;
        }
      });
      counts.applied += c.applied; counts.rejected += c.rejected; counts.skipped += c.skipped; counts.duplicates += c.duplicates;
    }
    res.status(200).json(counts);
  });
}

function eventId(ev: Record<string, any>): string {
  if (typeof ev.sg_event_id === 'string' && ev.sg_event_id) return ev.sg_event_id;
  // Safe to serialise: sendgridEventProblem has bounded its depth and size.
  return `h:${crypto.createHash('sha256').update(JSON.stringify(ev)).digest('base64url')}`;
}

function intArg(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

export type SendgridEventResult = { status: 'applied'; outcome?: OutcomeResult } | { status: 'rejected'; reason: string; outcome?: undefined } | { status: 'duplicate'; outcome?: undefined };

/**
 * One event (its fields already checked), inside one transaction: matched to the send-log row it
 * names (src/sendlog/events.ts), recorded in provider_events with the verdict (a retry finds it
 * there and changes nothing), then — only when it agrees with the row — its effect, on the row's
 * own address and member. Unknown event types are recorded and ignored.
 */
export async function applySendgridEvent(db: Queryable, hub: Hub, ev: Record<string, any>): Promise<SendgridEventResult> {
  const type = str(ev.event) ?? 'unknown';
  const id = eventId(ev);
  const match = await matchEventRow(db, {
    provider: 'sendgrid', channel: 'email', sendLogId: intArg(ev[SENDGRID_CUSTOM_ARGS.sendLogId]),
    providerMessageId: str(ev.sg_message_id), address: str(ev.email),
  });
  if (!match.ok) {
    const fresh = await recordProviderEvent(db, { provider: 'sendgrid', eventId: id, event: type, outcome: 'rejected', reason: match.reason, sendLogId: match.sendLogId });
    if (!fresh) return { status: 'duplicate' };
    hub.log.warn({ event: type, reason: match.reason, sendLogId: match.sendLogId }, 'SendGrid event rejected: it does not belong to the row it names');
    return { status: 'rejected', reason: match.reason };
  }
  const row = match.row;
  if (!(await recordProviderEvent(db, { provider: 'sendgrid', eventId: id, event: type, outcome: 'applied', sendLogId: row.id }))) return { status: 'duplicate' };
  const at = new Date(ev.timestamp * 1000);
  const address = row.address!;
  const source = `sendgrid:${id}`;
  let outcome: OutcomeResult | undefined;
  const logOutcome = async (event: string, reason?: string | null) => {
    outcome = await applyProviderOutcome(db, { sendLogId: row.id, event, at, reason: reason ?? null });
  };
  const withdraw = async (category: string | null, reason: string) => {
    if (!row.memberId) return;
    await recordConsentChange(db, {
      memberId: row.memberId, category, channel: 'email', granted: false, source: 'provider_event',
      actor: 'provider:sendgrid', campaignId: row.campaignId, reason, at,
    });
  };
  switch (type) {
    case 'delivered':
    case 'deferred':
    case 'processed':
      await logOutcome(type, typeof ev.response === 'string' ? ev.response.slice(0, 500) : null);
      break;
    case 'dropped':
      await logOutcome('dropped', typeof ev.reason === 'string' ? `dropped: ${ev.reason}`.slice(0, 500) : 'dropped');
      break;
    case 'bounce': {
      const blocked = ev.type === 'blocked';
      const reason = typeof ev.reason === 'string' ? ev.reason.slice(0, 500) : null;
      await logOutcome(blocked ? 'blocked' : 'bounced', blocked ? `blocked: ${reason ?? ''}` : reason);
      if (!blocked) await suppress(db, { channel: 'email', address, reason: 'hard_bounce', sourceEvent: source, at });
      break;
    }
    case 'spamreport':
      // The row's own address and member: never an address taken from the event.
      await suppress(db, { channel: 'email', address, reason: 'spam_complaint', sourceEvent: source, at });
      await withdraw(null, 'spam complaint');
      break;
    case 'unsubscribe':
    case 'group_unsubscribe':
      await withdraw(await categoryFor(db, row.id, ev[SENDGRID_CUSTOM_ARGS.category]), `sendgrid ${type}`);
      break;
    default:
      // open, click, group_resubscribe and anything new: recorded above, no effect.
      break;
  }
  return { status: 'applied', outcome };
}

/**
 * The category to withdraw: the send log row's campaign category, else a `category` custom arg
 * naming a declinable category; when neither is known, every declinable category (NULL).
 */
async function categoryFor(db: Queryable, sendLogId: number, arg: unknown): Promise<string | null> {
  const r = await db.query(
    `SELECT c.category FROM send_log s JOIN campaigns c ON c.id = s.campaign_id
       JOIN message_categories mc ON mc.code = c.category AND mc.declinable WHERE s.id = $1`, [sendLogId]);
  if (r.rows[0]) return r.rows[0].category;
  if (typeof arg === 'string') {
    const r = await db.query('SELECT code FROM message_categories WHERE code = $1 AND declinable', [arg]);
    if (r.rows[0]) return r.rows[0].code;
  }
  return null;
}
