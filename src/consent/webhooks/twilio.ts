import express, { type Request, type Response } from 'express';
import twilio from 'twilio';
import type { Hub } from '../../hub';
import type { Queryable } from '../../db';
import { Problem } from '../../errors';
import { applyProviderOutcome, matchEventRow, recordProviderEvent, type OutcomeResult } from '../../sendlog';
import { twilioParamsProblem } from './fields';
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
  const body = req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {};
  // A repeated parameter arrives as a list; copied so twilio's `instanceof Array` holds in any realm.
  const params = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v])) as Record<string, any>;
  try {
    return twilio.validateRequest(hub.config.twilio.authToken, sig, url, params);
  } catch {
    return false;
  }
}

/** Twilio posts its webhooks form-encoded; anything else is not Twilio (and carries no usable signature). */
function requireForm(req: Request): void {
  if (!req.is('application/x-www-form-urlencoded')) {
    throw new Problem(415, 'Unsupported Media Type', 'Twilio webhooks are form-encoded (application/x-www-form-urlencoded).');
  }
}

export function mountTwilioWebhooks(app: express.Express, hub: Hub): void {
  const form = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });

  app.post('/webhooks/twilio/inbound', form, async (req: Request, res: Response) => {
    requireForm(req);
    if (!validSignature(hub, req)) throw Problem.forbidden('The Twilio signature does not verify.');
    const reply = await hub.db.tx((client) => applyInboundSms(client, hub, req.body as Record<string, unknown>));
    res.status(200).type('text/xml').send(reply
      ? `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${xml(reply)}</Message></Response>`
      : '<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
  });

  app.post('/webhooks/twilio/status', form, async (req: Request, res: Response) => {
    requireForm(req);
    if (!validSignature(hub, req)) throw Problem.forbidden('The Twilio signature does not verify.');
    const logId = typeof req.query.log === 'string' && /^\d{1,15}$/.test(req.query.log) ? Number(req.query.log) : null;
    await hub.db.tx((client) => applySmsStatus(client, hub, req.body as Record<string, unknown>, { sendLogId: logId }));
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
 * consent). A number shared by several members (a family's phone) speaks for each of them: one
 * ledger event per member. Unusable parameters are recorded as skipped and change nothing.
 */
export async function applyInboundSms(db: Queryable, hub: Hub, p: Record<string, unknown>): Promise<string | null> {
  const problem = twilioParamsProblem(p, ['From', 'MessageSid']);
  if (problem) {
    const sid = typeof p?.MessageSid === 'string' && p.MessageSid ? p.MessageSid : null;
    if (sid) await recordProviderEvent(db, { provider: 'twilio', eventId: `in:${sid}`, event: 'inbound', outcome: 'skipped', reason: problem });
    hub.log.warn({ reason: problem }, 'Twilio inbound SMS skipped: unusable parameters');
    return null;
  }
  const params = p as Record<string, string>;
  const kw = keywordOf(params.Body);
  if (kw === 'help') return helpText(hub.config.unionName);
  if (!kw) return null;
  const sid = params.MessageSid;
  const from = params.From.trim();
  const members = await db.query('SELECT id FROM members WHERE phone = $1 ORDER BY id', [from]);
  const fresh = await recordProviderEvent(db, {
    provider: 'twilio', eventId: `in:${sid}`, event: `inbound_${kw}`,
    outcome: members.rows.length ? 'applied' : 'rejected', reason: members.rows.length ? null : 'no member has this number',
  });
  if (!fresh || !members.rows.length) return null;
  const at = hub.clock.now();
  const reason = `SMS keyword ${params.Body.trim().toUpperCase()} (${sid})`.slice(0, 200);
  const cats = kw === 'start'
    ? (await db.query(`SELECT code FROM message_categories WHERE declinable AND default_on AND 'sms' = ANY (channels) ORDER BY code`)).rows.map((c) => c.code as string)
    : [];
  for (const m of members.rows) {
    const memberId = m.id as number;
    if (kw === 'stop') {
      await recordConsentChange(db, { memberId, category: null, channel: 'sms', granted: false, source: 'sms_keyword', actor: 'member', reason, at });
    } else {
      for (const code of cats) {
        await recordConsentChange(db, { memberId, category: code, channel: 'sms', granted: true, source: 'sms_keyword', actor: 'member', reason, at });
      }
    }
  }
  return null;
}

const STATUS_EVENT: Record<string, string> = {
  sent: 'sent', delivered: 'delivered', undelivered: 'undelivered', failed: 'failed',
};

/**
 * A status callback: the send-log row with that MessageSid (or named by the `log` parameter of
 * the StatusCallback URL, for a callback that arrives before the row has its sid), only when the
 * row is an SMS row and its number agrees with `To`; suppression on 21610 and invalid numbers
 * acts on the row's own number. A mismatch is recorded as rejected and changes nothing.
 */
export async function applySmsStatus(db: Queryable, hub: Hub, p: Record<string, unknown>, opts: { sendLogId?: number | null } = {}): Promise<OutcomeResult | null> {
  const problem = twilioParamsProblem(p, ['MessageSid', 'MessageStatus']);
  const sid = typeof p?.MessageSid === 'string' ? p.MessageSid : '';
  if (problem) {
    if (sid) await recordProviderEvent(db, { provider: 'twilio', eventId: `st:${sid}:invalid`, event: 'status', outcome: 'skipped', reason: problem });
    hub.log.warn({ reason: problem }, 'Twilio status callback skipped: unusable parameters');
    return null;
  }
  const params = p as Record<string, string>;
  const status = params.MessageStatus.toLowerCase();
  const code = (params.ErrorCode ?? '').trim();
  const eventId = `st:${sid}:${status}:${code}`;
  const match = await matchEventRow(db, { provider: 'twilio', channel: 'sms', sendLogId: opts.sendLogId, providerMessageId: sid, address: params.To ?? null });
  if (!match.ok) {
    if (await recordProviderEvent(db, { provider: 'twilio', eventId, event: status, outcome: 'rejected', reason: match.reason, sendLogId: match.sendLogId })) {
      hub.log.warn({ status, reason: match.reason, sendLogId: match.sendLogId }, 'Twilio status callback rejected: it does not belong to the row it names');
    }
    return null;
  }
  const row = match.row;
  if (!(await recordProviderEvent(db, { provider: 'twilio', eventId, event: status, outcome: 'applied', sendLogId: row.id }))) return null;
  const at = hub.clock.now();
  const outcome = await applyProviderOutcome(db, {
    sendLogId: row.id, event: STATUS_EVENT[status] ?? status, at, reason: code ? `twilio error ${code}` : null,
  });
  const reason = SUPPRESSING_ERRORS[code];
  if (reason && row.address) {
    await suppress(db, { channel: 'sms', address: row.address, reason, sourceEvent: `twilio:${sid}:${code}`, at });
  }
  return outcome;
}
