import express, { type Request, type Response } from 'express';
import twilio from 'twilio';
import type { Hub } from '../../hub';
import type { Queryable } from '../../db';
import { applyProviderOutcome, type OutcomeResult } from '../../sendlog';
import { suppress, type SuppressionReason } from '../suppressions';
import { recordConsentChange } from '../ledger';

export const STOP_WORDS = ['STOP', 'STOPP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'];
export const START_WORDS = ['START', 'YES', 'UNSTOP'];
export const HELP_WORDS = ['HELP', 'INFO'];

/** Twilio error codes in a status callback that suppress the number. */
export const SUPPRESSING_ERRORS: Record<string, SuppressionReason> = {
  21610: 'carrier_opt_out', // recipient replied STOP to the sender
  21211: 'invalid_number',
  21614: 'invalid_number', // not a mobile number
  30006: 'invalid_number', // landline or unreachable carrier
};

export function helpText(unionName: string): string {
  return `${unionName}: Svar STOPP for å melde deg av SMS som kan velges bort, START for å melde deg på igjen. `
    + 'Meldinger om medlemskap, uravstemning og streik sendes uansett. Innstillinger: se lenken i våre meldinger.';
}

const xml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' }[c]!));

function validSignature(hub: Hub, req: Request): boolean {
  const sig = req.get('x-twilio-signature');
  if (!sig) return false;
  // The URL Twilio called, as configured (never the Host header), with any query string.
  const url = hub.config.publicBaseUrl + req.originalUrl;
  const params = req.body && typeof req.body === 'object' ? (req.body as Record<string, any>) : {};
  try {
    return twilio.validateRequest(hub.config.twilio.authToken, sig, url, params);
  } catch {
    return false;
  }
}

export function mountTwilioWebhooks(app: express.Express, hub: Hub): void {
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });

  app.post('/webhooks/twilio/inbound', form, async (req: Request, res: Response) => {
    if (!validSignature(hub, req)) { res.status(403).type('text/plain').send('invalid signature'); return; }
    const reply = await hub.db.tx((client) => applyInboundSms(client, hub, req.body as Record<string, string>));
    res.status(200).type('text/xml').send(reply
      ? `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${xml(reply)}</Message></Response>`
      : '<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });

  app.post('/webhooks/twilio/status', form, async (req: Request, res: Response) => {
    if (!validSignature(hub, req)) { res.status(403).type('text/plain').send('invalid signature'); return; }
    await hub.db.tx((client) => applySmsStatus(client, hub, req.body as Record<string, string>));
    res.status(204).end();
  });
}

export type Keyword = 'stop' | 'start' | 'help' | null;

export function keywordOf(body: unknown): Keyword {
  if (typeof body !== 'string') return null;
  const w = body.trim().toUpperCase();
  if (STOP_WORDS.includes(w)) return 'stop';
  if (START_WORDS.includes(w)) return 'start';
  if (HELP_WORDS.includes(w)) return 'help';
  return null;
}

/**
 * An inbound SMS. Returns the reply text (HELP/INFO) or null. STOP withdraws every declinable
 * category on SMS; START restores the declinable categories that are on by default (it does not
 * grant categories that need prior consent, such as partner offers: a keyword is not that
 * consent). Only a number that belongs to exactly one member changes anything.
 */
export async function applyInboundSms(db: Queryable, hub: Hub, p: Record<string, string>): Promise<string | null> {
  const kw = keywordOf(p.Body);
  if (kw === 'help') return helpText(hub.config.unionName);
  if (!kw) return null;
  const sid = typeof p.MessageSid === 'string' && p.MessageSid ? p.MessageSid : null;
  const from = typeof p.From === 'string' ? p.From.trim() : '';
  if (sid) {
    const claim = await db.query(
      `INSERT INTO provider_events (provider, event_id, event) VALUES ('twilio', $1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
      [`in:${sid}`, `inbound_${kw}`]);
    if (!claim.rowCount) return null;
  }
  const members = await db.query('SELECT id FROM members WHERE phone = $1 LIMIT 2', [from]);
  if (members.rows.length !== 1) {
    hub.log.info({ matches: members.rows.length, keyword: kw }, 'SMS keyword from a number matching no single member; nothing changed');
    return null;
  }
  const memberId = members.rows[0].id as number;
  const at = hub.clock.now();
  const reason = `SMS keyword ${String(p.Body).trim().toUpperCase()}${sid ? ` (${sid})` : ''}`.slice(0, 200);
  if (kw === 'stop') {
    await recordConsentChange(db, { memberId, category: null, channel: 'sms', granted: false, source: 'sms_keyword', actor: 'member', reason, at });
  } else {
    const cats = await db.query(`SELECT code FROM message_categories WHERE declinable AND default_on AND 'sms' = ANY (channels) ORDER BY code`);
    for (const c of cats.rows) {
      await recordConsentChange(db, { memberId, category: c.code, channel: 'sms', granted: true, source: 'sms_keyword', actor: 'member', reason, at });
    }
  }
  return null;
}

const STATUS_EVENT: Record<string, string> = {
  sent: 'sent', delivered: 'delivered', undelivered: 'undelivered', failed: 'failed',
};

/** A status callback: the send log row with that MessageSid, and suppression on 21610 and invalid numbers. */
export async function applySmsStatus(db: Queryable, hub: Hub, p: Record<string, string>): Promise<OutcomeResult | null> {
  const sid = typeof p.MessageSid === 'string' ? p.MessageSid : '';
  const status = typeof p.MessageStatus === 'string' ? p.MessageStatus.toLowerCase() : '';
  if (!sid || !status) return null;
  const code = typeof p.ErrorCode === 'string' ? p.ErrorCode.trim() : '';
  const claim = await db.query(
    `INSERT INTO provider_events (provider, event_id, event) VALUES ('twilio', $1, $2) ON CONFLICT DO NOTHING RETURNING 1`,
    [`st:${sid}:${status}:${code}`, status.slice(0, 64)]);
  if (!claim.rowCount) return null;
  const at = hub.clock.now();
  const outcome = await applyProviderOutcome(db, {
    providerMessageId: sid, event: STATUS_EVENT[status] ?? status, at, reason: code ? `twilio error ${code}` : null,
  });
  const reason = SUPPRESSING_ERRORS[code];
  if (reason && typeof p.To === 'string' && /^\+[1-9][0-9]{6,14}$/.test(p.To.trim())) {
    await suppress(db, { channel: 'sms', address: p.To, reason, sourceEvent: `twilio:${sid}:${code}`, at });
  }
  return outcome;
}
