import crypto from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Hub } from '../../hub';
import type { Queryable } from '../../db';
import { applyProviderOutcome, type OutcomeResult } from '../../sendlog';
import { suppress } from '../suppressions';
import { recordConsentChange } from '../ledger';

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
/** Signed timestamps older (or further in the future) than this are refused. */
export const MAX_SKEW_S = 600;

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
      res.status(403).json({ error: 'webhook verification key not configured' });
      return;
    }
    if (!sig || !ts) { res.status(401).json({ error: 'missing signature' }); return; }
    const now = hub.clock.now().getTime() / 1000;
    if (!/^\d{1,12}$/.test(ts) || Math.abs(now - Number(ts)) > MAX_SKEW_S) { res.status(403).json({ error: 'timestamp outside the allowed window' }); return; }
    if (!verifySendgridSignature(key, raw, sig, ts)) { res.status(403).json({ error: 'bad signature' }); return; }
    let events: unknown;
    try { events = JSON.parse(raw.toString('utf8')); } catch { res.status(400).json({ error: 'body is not JSON' }); return; }
    if (!Array.isArray(events)) { res.status(400).json({ error: 'body must be a JSON array of events' }); return; }
    let applied = 0;
    for (const ev of events) {
      if (!ev || typeof ev !== 'object') continue;
      const r = await hub.db.tx((client) => applySendgridEvent(client, hub, ev as Record<string, any>));
      if (r.applied) applied++;
    }
    res.status(200).json({ received: events.length, applied });
  });
}

function eventId(ev: Record<string, any>): string {
  if (typeof ev.sg_event_id === 'string' && ev.sg_event_id) return ev.sg_event_id;
  return `h:${crypto.createHash('sha256').update(JSON.stringify(ev)).digest('base64url')}`;
}

function intArg(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * One event, inside one transaction: claimed in provider_events first (a retry finds it there
 * and changes nothing), then its effect. Unknown event types are stored and ignored.
 */
export async function applySendgridEvent(db: Queryable, hub: Hub, ev: Record<string, any>): Promise<{ applied: boolean; outcome?: OutcomeResult }> {
  const type = typeof ev.event === 'string' ? ev.event : 'unknown';
  const id = eventId(ev);
  const claim = await db.query(
    `INSERT INTO provider_events (provider, event_id, event) VALUES ('sendgrid', $1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
    [id, type.slice(0, 64)]);
  if (!claim.rowCount) return { applied: false };
  const at = typeof ev.timestamp === 'number' ? new Date(ev.timestamp * 1000) : hub.clock.now();
  const sendLogId = intArg(ev[SENDGRID_CUSTOM_ARGS.sendLogId]);
  const email = typeof ev.email === 'string' ? ev.email : null;
  const source = `sendgrid:${id}`;
  let outcome: OutcomeResult | undefined;
  const logOutcome = async (event: string, reason?: string | null) => {
    if (sendLogId) outcome = await applyProviderOutcome(db, { sendLogId, event, at, reason: reason ?? null });
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
      if (!blocked && email) await suppress(db, { channel: 'email', address: email, reason: 'hard_bounce', sourceEvent: source, at });
      break;
    }
    case 'spamreport': {
      if (email) await suppress(db, { channel: 'email', address: email, reason: 'spam_complaint', sourceEvent: source, at });
      const memberId = await memberFor(db, sendLogId, email);
      if (memberId) {
        await recordConsentChange(db, {
          memberId, category: null, channel: 'email', granted: false, source: 'provider_event',
          actor: 'provider:sendgrid', campaignId: intArg(ev[SENDGRID_CUSTOM_ARGS.campaignId]), reason: 'spam complaint', at,
        });
      }
      break;
    }
    case 'unsubscribe':
    case 'group_unsubscribe': {
      const memberId = await memberFor(db, sendLogId, email);
      if (!memberId) break;
      const category = await categoryFor(db, sendLogId, ev[SENDGRID_CUSTOM_ARGS.category]);
      await recordConsentChange(db, {
        memberId, category, channel: 'email', granted: false, source: 'provider_event',
        actor: 'provider:sendgrid', campaignId: intArg(ev[SENDGRID_CUSTOM_ARGS.campaignId]), reason: `sendgrid ${type}`, at,
      });
      break;
    }
    default:
      // open, click, group_resubscribe and anything new: stored above, no effect.
      break;
  }
  return { applied: true, outcome };
}

/** The member an event concerns: the send log row's member, else the one member with that email (several: none, no guessing). */
async function memberFor(db: Queryable, sendLogId: number | null, email: string | null): Promise<number | null> {
  if (sendLogId) {
    const r = await db.query('SELECT member_id FROM send_log WHERE id = $1', [sendLogId]);
    if (r.rows[0]?.member_id) return r.rows[0].member_id;
  }
  if (!email) return null;
  const r = await db.query('SELECT id FROM members WHERE lower(email) = lower(btrim($1)) LIMIT 2', [email]);
  return r.rows.length === 1 ? r.rows[0].id : null;
}

/**
 * The category to withdraw: the send log row's campaign category, else a `category` custom arg
 * naming a declinable category; when neither is known, every declinable category (NULL).
 */
async function categoryFor(db: Queryable, sendLogId: number | null, arg: unknown): Promise<string | null> {
  if (sendLogId) {
    const r = await db.query(
      `SELECT c.category FROM send_log s JOIN campaigns c ON c.id = s.campaign_id
         JOIN message_categories mc ON mc.code = c.category AND mc.declinable WHERE s.id = $1`, [sendLogId]);
    if (r.rows[0]) return r.rows[0].category;
  }
  if (typeof arg === 'string') {
    const r = await db.query('SELECT code FROM message_categories WHERE code = $1 AND declinable', [arg]);
    if (r.rows[0]) return r.rows[0].code;
  }
  return null;
}
