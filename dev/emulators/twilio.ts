import crypto from 'node:crypto';
import http from 'node:http';
import twilio from 'twilio';
import { overSmsLimit, smsLength, type SmsEncoding } from '../../src/providers';
import { BodyTooLarge, Ring, cpuMs, callbackAgent, closeServer, listen, postRaw, readBody, sendJson, sleep, slowWait, type LedgerMode } from './http';

/**
 * Loopback emulator of Twilio's `POST /2010-04-01/Accounts/{Sid}/Messages.json` with signed
 * status callbacks, plus `sendInboundSms` to play a member texting the hub. Contract:
 * ../shared/PROVIDERS.md and Twilio's Message resource / error / webhook security docs.
 */

export interface TwilioEmulatorOptions {
  port?: number;
  host?: string;
  accountSid: string;
  authToken: string;
  /**
   * Deliver status callbacks to this origin instead of the StatusCallback URL's own origin
   * (path and query kept). The signature is still computed over the StatusCallback URL as given,
   * as a proxy in front of the hub would see it: lets a test hub on a random port be called
   * while it validates against its configured PUBLIC_BASE_URL.
   */
  statusCallbackBase?: string;
  /** Used when a message carries no StatusCallback (a Messaging Service's own callback URL). */
  defaultStatusCallback?: string;
  /** Sender the "Messaging Service" assigns, reported as From in callbacks (default +4759440000). */
  serviceFrom?: string;
  /** Full records for the last N messages (default 2000). */
  keepBodies?: number;
  ledgerMode?: LedgerMode;
  /** Status callbacks in flight at once (default 16). */
  callbackConcurrency?: number;
  /** Wait between accepting a message and its `sent` callback, and between `sent` and the final one (default 0). */
  callbackDelayMs?: number;
  faults?: TwilioFaultPatch;
}

export interface TwilioFaultState {
  /** The next N requests answer 429 with code 20429. */
  rateLimit: number;
  /** The next N requests answer `serverErrorStatus` (default 500). */
  serverError: number;
  serverErrorStatus: number;
  /** The next N valid requests are recorded, then the connection is destroyed before the answer. */
  acceptThenDrop: number;
  latencyMs: number;
  /**
   * An account or configuration refusal answered to every Messages request until cleared (null):
   * 20003 (authentication: bad SID/token, deleted key, suspended account) or one of the sender
   * codes in TWILIO_ACCOUNT_ERRORS, with Twilio's JSON error body. Nothing is recorded or sent.
   */
  accountError: TwilioAccountErrorCode | null;
  /** The next N valid requests are recorded (and their callbacks queued), then answered only after `slowReplyMs`. */
  slowReplies: number;
  slowReplyMs: number;
  /** Numbers that replied STOP: 21610, 400, nothing sent. */
  optedOut: string[];
  /** E.164-shaped numbers that are nevertheless not valid: 21211. */
  invalid: string[];
  /** Numbers whose delivery fails: final callback `undelivered`/`failed` with ErrorCode. */
  failing: { to: string; status: 'undelivered' | 'failed'; errorCode: number }[];
}

export type TwilioFaultPatch = Partial<TwilioFaultState> & {
  addOptedOut?: string[];
  addInvalid?: string[];
  addFailing?: TwilioFaultState['failing'];
  reset?: boolean;
};

export interface TwilioFaults {
  state(): TwilioFaultState;
  set(patch: TwilioFaultPatch): TwilioFaultState;
  reset(): void;
  rateLimit(n: number): void;
  serverError(n: number, status?: number): void;
  acceptThenDrop(n: number): void;
  latency(ms: number): void;
  /** Refuse every request with this account-level code (null: the cause is fixed). */
  accountError(code: TwilioAccountErrorCode | null): void;
  /** The next n accepted requests answer after ms (default 5000). */
  slowReplies(n: number, ms?: number): void;
  optOut(...numbers: string[]): void;
  invalid(...numbers: string[]): void;
  /** Default: undelivered, 30003 (unreachable destination handset). */
  fail(to: string, status?: 'undelivered' | 'failed', errorCode?: number): void;
}

export interface SmsMessage {
  sid: string;
  to: string;
  from: string | null;
  messagingServiceSid: string | null;
  body: string;
  encoding: SmsEncoding;
  numSegments: number;
  statusCallback: string | null;
  at: Date;
  /** Final outcome the callbacks report. */
  outcome: 'delivered' | 'undelivered' | 'failed';
}

export interface SmsCompactRecord { to: string; sid: string }

export interface TwilioLedger {
  readonly mode: LedgerMode;
  /** Messages accepted (201). */
  readonly accepted: number;
  /** Sum of segments over accepted messages. */
  readonly segments: number;
  recent(filter?: { to?: string; limit?: number }): SmsMessage[];
  compact(): SmsCompactRecord[];
  countByRecipient(): Map<string, number>;
  countFor(to: string): number;
  clear(): void;
}

export interface TwilioStats {
  requests: number;
  accepted: number;
  segments: number;
  /** Resident memory of the process the emulator runs in. */
  rssMb: number;
  /** CPU time (user + system) the emulator's process has used, ms. */
  cpuMs: number;
  rejected: Record<string, number>;
  injected: { rateLimited: number; serverErrors: number; dropped: number; accountErrors: number; slowed: number };
  callbacks: { sent: number; failed: number; pending: number; inFlight: number };
}

export interface TwilioEmulator {
  url: string;
  ledger: TwilioLedger;
  faults: TwilioFaults;
  stats(): TwilioStats;
  /** Resolves when every queued status callback has been POSTed. */
  drainCallbacks(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Account- and sender-level refusals of POST …/Messages.json (status, message; the body is
 * Twilio's `{code, message, more_info, status}`). `{to}`/`{from}` are filled from the request.
 */
export const TWILIO_ACCOUNT_ERRORS = {
  20003: { status: 401, message: 'Authenticate' },
  21606: { status: 400, message: "The From phone number {from} is not a valid, SMS-capable inbound phone number or short code for your account." },
  21608: { status: 400, message: 'The number {to} is unverified. Trial accounts cannot send messages to unverified numbers; verify {to} at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers.' },
  21612: { status: 400, message: "The 'To' phone number: {to}, is not currently reachable using the 'From' phone number: {from} via SMS." },
  21408: { status: 400, message: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number: {to}." },
} as const;
export type TwilioAccountErrorCode = keyof typeof TWILIO_ACCOUNT_ERRORS;

const E164 = /^\+[1-9]\d{7,14}$/;
const MORE = (code: number) => `https://www.twilio.com/docs/errors/${code}`;
const twErr = (code: number, message: string, status: number) => ({ code, message, more_info: MORE(code), status });

/** `SM` + 32 hex, like Twilio's message SIDs. */
export function newMessageSid(prefix = 'SM'): string {
  return prefix + crypto.randomBytes(16).toString('hex');
}

function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

function newFaults(): TwilioFaultState {
  return { rateLimit: 0, serverError: 0, serverErrorStatus: 500, acceptThenDrop: 0, latencyMs: 0, accountError: null, slowReplies: 0, slowReplyMs: 5000, optedOut: [], invalid: [], failing: [] };
}

interface Callback { url: string; signUrl: string; params: Record<string, string> }

export async function startTwilioEmulator(opts: TwilioEmulatorOptions): Promise<TwilioEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const { accountSid, authToken } = opts;
  const keepBodies = opts.keepBodies ?? 2000;
  const mode: LedgerMode = opts.ledgerMode ?? 'compact';
  const serviceFrom = opts.serviceFrom ?? '+4759440000';
  const concurrency = opts.callbackConcurrency ?? 16;
  const delay = opts.callbackDelayMs ?? 0;
  const agent = callbackAgent(concurrency + 2);
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const path = `/2010-04-01/Accounts/${accountSid}/Messages.json`;

  // ---- ledger ----
  let ring = new Ring<SmsMessage>(mode === 'full' ? 0 : keepBodies);
  let all: SmsMessage[] = [];
  let cTo: string[] = [];
  let cSid: string[] = [];
  let accepted = 0;
  let segments = 0;
  const ledger: TwilioLedger = {
    mode,
    get accepted() { return accepted; },
    get segments() { return segments; },
    recent(filter = {}) {
      const src = mode === 'full' ? all : ring.toArray();
      const out: SmsMessage[] = [];
      const limit = filter.limit ?? Infinity;
      for (let i = src.length - 1; i >= 0 && out.length < limit; i--) {
        if (filter.to && src[i].to !== filter.to) continue;
        out.push(src[i]);
      }
      return out;
    },
    compact() {
      if (mode === 'count') throw new Error('the Twilio emulator ledger is in count mode: no per-message records');
      return mode === 'full' ? all.map((m) => ({ to: m.to, sid: m.sid })) : cTo.map((to, i) => ({ to, sid: cSid[i] }));
    },
    countByRecipient() {
      const m = new Map<string, number>();
      for (const r of ledger.compact()) m.set(r.to, (m.get(r.to) ?? 0) + 1);
      return m;
    },
    countFor(to) { return ledger.countByRecipient().get(to) ?? 0; },
    clear() {
      ring = new Ring<SmsMessage>(mode === 'full' ? 0 : keepBodies);
      all = []; cTo = []; cSid = []; accepted = 0; segments = 0;
    },
  };

  // ---- faults ----
  let f = newFaults();
  let optedOut = new Set<string>();
  let invalid = new Set<string>();
  let failing = new Map<string, { status: 'undelivered' | 'failed'; errorCode: number }>();
  const faults: TwilioFaults = {
    state: () => ({ ...f, optedOut: [...optedOut], invalid: [...invalid], failing: [...failing].map(([to, v]) => ({ to, ...v })) }),
    set(patch) {
      if (patch.reset) { f = newFaults(); optedOut = new Set(); invalid = new Set(); failing = new Map(); }
      for (const k of ['rateLimit', 'serverError', 'serverErrorStatus', 'acceptThenDrop', 'latencyMs', 'slowReplies', 'slowReplyMs'] as const) {
        if (patch[k] !== undefined) f[k] = Number(patch[k]);
      }
      if (patch.accountError !== undefined) {
        const code = patch.accountError === null ? null : Number(patch.accountError);
        if (code !== null && !(code in TWILIO_ACCOUNT_ERRORS)) {
          throw new Error(`unknown Twilio accountError ${patch.accountError}; one of ${Object.keys(TWILIO_ACCOUNT_ERRORS).join(', ')} or null`);
        }
        f.accountError = code as TwilioAccountErrorCode | null;
      }
      if (patch.optedOut) optedOut = new Set(patch.optedOut);
      if (patch.invalid) invalid = new Set(patch.invalid);
      if (patch.failing) failing = new Map(patch.failing.map((x) => [x.to, { status: x.status, errorCode: x.errorCode }]));
      for (const n of patch.addOptedOut ?? []) optedOut.add(n);
      for (const n of patch.addInvalid ?? []) invalid.add(n);
      for (const x of patch.addFailing ?? []) failing.set(x.to, { status: x.status, errorCode: x.errorCode });
      return faults.state();
    },
    reset() { faults.set({ reset: true }); },
    rateLimit(n) { faults.set({ rateLimit: n }); },
    serverError(n, status) { faults.set({ serverError: n, ...(status !== undefined ? { serverErrorStatus: status } : {}) }); },
    acceptThenDrop(n) { faults.set({ acceptThenDrop: n }); },
    latency(ms) { faults.set({ latencyMs: ms }); },
    accountError(code) { faults.set({ accountError: code }); },
    slowReplies(n, ms) { faults.set({ slowReplies: n, ...(ms !== undefined ? { slowReplyMs: ms } : {}) }); },
    optOut(...numbers) { faults.set({ addOptedOut: numbers }); },
    invalid(...numbers) { faults.set({ addInvalid: numbers }); },
    fail(to, status = 'undelivered', errorCode = 30003) { faults.set({ addFailing: [{ to, status, errorCode }] }); },
  };
  if (opts.faults) faults.set(opts.faults);

  const st = { requests: 0, rejected: {} as Record<string, number>, rateLimited: 0, serverErrors: 0, dropped: 0, accountErrors: 0, slowed: 0, cbSent: 0, cbFailed: 0 };
  const fail = (res: http.ServerResponse, status: number, code: number, message: string) => {
    st.rejected[code] = (st.rejected[code] ?? 0) + 1;
    sendJson(res, status, twErr(code, message, status));
  };

  // ---- status callbacks: per message, `sent` then the final status, in order ----
  let queue: Callback[][] = [];
  let qHead = 0;
  let inFlight = 0;
  let drainWaiters: (() => void)[] = [];
  const qLen = () => queue.length - qHead;
  const checkDrained = () => {
    if (qLen() === 0 && inFlight === 0) { const w = drainWaiters; drainWaiters = []; w.forEach((r) => r()); }
  };
  const pump = () => {
    while (inFlight < concurrency && qLen() > 0) {
      const chain = queue[qHead++];
      if (qHead > 10_000 && qHead > queue.length / 2) { queue = queue.slice(qHead); qHead = 0; }
      inFlight++;
      (async () => {
        for (const cb of chain) {
          if (delay > 0) await sleep(delay);
          const headers = { 'Content-Type': 'application/x-www-form-urlencoded', 'User-Agent': 'TwilioProxy/1.1',
            'X-Twilio-Signature': twilio.getExpectedTwilioSignature(authToken, cb.signUrl, cb.params) };
          try {
            const r = await postRaw(cb.url, new URLSearchParams(cb.params).toString(), headers, agent);
            if (r.status >= 200 && r.status < 300) st.cbSent++; else st.cbFailed++;
          } catch { st.cbFailed++; }
        }
      })().finally(() => { inFlight--; pump(); checkDrained(); });
    }
    checkDrained();
  };
  const callbackTarget = (statusCallback: string): string => {
    if (!opts.statusCallbackBase) return statusCallback;
    const u = new URL(statusCallback);
    return opts.statusCallbackBase.replace(/\/+$/, '') + u.pathname + u.search;
  };

  const handleCreate = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    st.requests++;
    let raw: Buffer;
    try { raw = await readBody(req, 1024 * 1024); } catch (e) {
      if (e instanceof BodyTooLarge) { fail(res, 413, 20001, 'Request entity too large'); return; }
      throw e;
    }
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    if (req.headers.authorization !== expectedAuth) { fail(res, 401, 20003, 'Authenticate'); return; }
    if (f.accountError) {
      const form = new URLSearchParams(raw.toString('utf8'));
      const e = TWILIO_ACCOUNT_ERRORS[f.accountError];
      st.accountErrors++;
      fail(res, e.status, f.accountError, e.message.replaceAll('{to}', form.get('To') ?? '').replaceAll('{from}', form.get('From') ?? serviceFrom));
      return;
    }
    if (f.rateLimit > 0) { f.rateLimit--; st.rateLimited++; sendJson(res, 429, twErr(20429, 'Too Many Requests', 429)); return; }
    if (f.serverError > 0) { f.serverError--; st.serverErrors++; sendJson(res, f.serverErrorStatus, twErr(20500, 'Internal Server Error', f.serverErrorStatus)); return; }
    const form = new URLSearchParams(raw.toString('utf8'));
    const to = form.get('To');
    const from = form.get('From');
    const mss = form.get('MessagingServiceSid');
    const body = form.get('Body');
    const statusCallback = form.get('StatusCallback') ?? opts.defaultStatusCallback ?? null;
    if (!to) { fail(res, 400, 21604, "A 'To' phone number is required."); return; }
    if (!E164.test(to) || invalid.has(to)) { fail(res, 400, 21211, `Invalid 'To' Phone Number: ${to.replace(/\d(?=\d{2})/g, 'X')}`); return; }
    if (!from && !mss) { fail(res, 400, 21603, "A 'From' phone number is required."); return; }
    if (mss && !/^MG[0-9a-fA-F]{32}$/.test(mss)) { fail(res, 400, 21701, 'The Messaging Service Sid is invalid.'); return; }
    if (!body && !form.get('MediaUrl') && !form.get('ContentSid')) { fail(res, 400, 21602, 'Message body is required.'); return; }
    if (overSmsLimit(body ?? '')) { fail(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.'); return; }
    if (statusCallback && !/^https?:\/\/[^\s_]+$/.test(statusCallback)) { fail(res, 400, 21609, 'Invalid StatusCallback'); return; }
    if (optedOut.has(to)) { fail(res, 400, 21610, 'Attempt to send to unsubscribed recipient'); return; }

    const sid = newMessageSid();
    const now = new Date();
    const text = body ?? '';
    const len = smsLength(text);
    const fault = failing.get(to);
    const msg: SmsMessage = { sid, to, from: from ?? null, messagingServiceSid: mss ?? null, body: text, encoding: len.encoding,
      numSegments: len.segments, statusCallback, at: now, outcome: fault?.status ?? 'delivered' };
    if (mode === 'full') all.push(msg); else ring.push(msg);
    if (mode === 'compact') { cTo.push(to); cSid.push(sid); }
    accepted++;
    segments += len.segments;

    if (statusCallback) {
      const base: Record<string, string> = { SmsSid: sid, MessageSid: sid, AccountSid: accountSid, From: from ?? serviceFrom, To: to, ApiVersion: '2010-04-01',
        ...(mss ? { MessagingServiceSid: mss } : {}) };
      const target = callbackTarget(statusCallback);
      const final = fault
        ? { ...base, SmsStatus: fault.status, MessageStatus: fault.status, ErrorCode: String(fault.errorCode) }
        : { ...base, SmsStatus: 'delivered', MessageStatus: 'delivered' };
      queue.push([
        { url: target, signUrl: statusCallback, params: { ...base, SmsStatus: 'sent', MessageStatus: 'sent' } },
        { url: target, signUrl: statusCallback, params: final },
      ]);
      setImmediate(pump);
    }
    if (f.acceptThenDrop > 0) { f.acceptThenDrop--; st.dropped++; req.socket.destroy(); return; }
    if (f.slowReplies > 0) { f.slowReplies--; st.slowed++; await slowWait(f.slowReplyMs); if (res.destroyed || !res.socket || res.socket.destroyed) return; }

    const date = rfc2822(now);
    sendJson(res, 201, {
      account_sid: accountSid,
      api_version: '2010-04-01',
      body: text,
      date_created: date,
      date_sent: null,
      date_updated: date,
      direction: 'outbound-api',
      error_code: null,
      error_message: null,
      from: from ?? null,
      messaging_service_sid: mss ?? null,
      num_media: '0',
      // Twilio answers "0" through a Messaging Service (no sender assigned yet).
      num_segments: mss && !from ? '0' : String(len.segments),
      price: null,
      price_unit: null,
      sid,
      status: mss && !from ? 'accepted' : 'queued',
      subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
      to,
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    });
  };

  const stats = (): TwilioStats => ({
    requests: st.requests, accepted, segments, rssMb: Math.round(process.memoryUsage().rss / 1048576), cpuMs: cpuMs(), rejected: { ...st.rejected },
    injected: { rateLimited: st.rateLimited, serverErrors: st.serverErrors, dropped: st.dropped, accountErrors: st.accountErrors, slowed: st.slowed },
    callbacks: { sent: st.cbSent, failed: st.cbFailed, pending: qLen(), inFlight },
  });

  const handleControl = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (url.pathname === '/__emulator/faults') {
      if (req.method === 'GET') { sendJson(res, 200, faults.state()); return; }
      const raw = await readBody(req, 1024 * 1024);
      let patch: TwilioFaultPatch;
      try { patch = raw.length ? JSON.parse(raw.toString('utf8')) : {}; } catch { sendJson(res, 400, { error: 'invalid JSON' }); return; }
      try { sendJson(res, 200, faults.set(patch)); } catch (e: any) { sendJson(res, 400, { error: e.message }); }
      return;
    }
    if (url.pathname === '/__emulator/messages' && req.method === 'GET') {
      const to = url.searchParams.get('to') ?? undefined;
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 50) || 50, 1000);
      sendJson(res, 200, { messages: ledger.recent({ to, limit }) });
      return;
    }
    if (url.pathname === '/__emulator/stats' && req.method === 'GET') { sendJson(res, 200, stats()); return; }
    if (url.pathname === '/__emulator/reset' && req.method === 'POST') { ledger.clear(); faults.reset(); sendJson(res, 200, { ok: true }); return; }
    sendJson(res, 404, twErr(20404, 'The requested resource was not found', 404));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = url.pathname === path && req.method === 'POST' ? handleCreate(req, res)
      : url.pathname.startsWith('/__emulator/') ? handleControl(req, res, url)
        : /^\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(url.pathname) && req.method === 'POST'
          ? Promise.resolve(fail(res, 401, 20003, 'Authenticate')) // another account's path
          : Promise.resolve(sendJson(res, 404, twErr(20404, 'The requested resource was not found', 404)));
    route.catch((e) => { if (!res.headersSent) sendJson(res, 500, twErr(20500, `emulator error: ${e?.message ?? e}`, 500)); else res.destroy(); });
  });
  server.keepAliveTimeout = 65_000;
  const url = await listen(server, opts.port ?? 0, host);

  return {
    url,
    ledger,
    faults,
    stats,
    drainCallbacks(timeoutMs = 30_000) {
      if (qLen() === 0 && inFlight === 0) return Promise.resolve();
      return new Promise<void>((resolve, rejectP) => {
        const t = setTimeout(() => rejectP(new Error(`Twilio emulator callbacks not drained after ${timeoutMs} ms`)), timeoutMs);
        drainWaiters.push(() => { clearTimeout(t); resolve(); });
        pump();
      });
    },
    async close() {
      queue = []; qHead = 0;
      await closeServer(server);
      agent.destroy();
    },
  };
}

/** The Advanced Opt-Out keywords (whole message, trimmed, case-insensitive), with the Norwegian STOPP. */
const OPT_OUT = new Set(['STOP', 'STOPP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT']);
const OPT_IN = new Set(['START', 'YES', 'UNSTOP']);
const HELP_WORDS = new Set(['HELP', 'INFO']);

export interface InboundSmsInput {
  /** The hub's inbound webhook URL to POST to (e.g. http://127.0.0.1:PORT/webhooks/twilio/inbound). */
  to: string;
  /** The member's number (E.164). */
  from: string;
  body: string;
  authToken: string;
  /** The URL to sign, when the hub validates against a public URL other than `to` (default `to`). */
  signatureUrl?: string;
  accountSid?: string;
  /** The hub's number the member texted (default +4759440000). */
  hubNumber?: string;
  messagingServiceSid?: string;
  /** Add OptOutType for keywords, as Advanced Opt-Out does (default true). */
  advancedOptOut?: boolean;
  /** Send a wrong signature (for negative tests). */
  badSignature?: boolean;
}

/** Plays Twilio delivering an inbound SMS to the hub: a signed form POST. */
export async function sendInboundSms(input: InboundSmsInput): Promise<{ status: number; body: string; params: Record<string, string> }> {
  const sid = newMessageSid('SM');
  const keyword = input.body.trim().toUpperCase();
  const optOutType = OPT_OUT.has(keyword) ? 'STOP' : OPT_IN.has(keyword) ? 'START' : HELP_WORDS.has(keyword) ? 'HELP' : null;
  const params: Record<string, string> = {
    ToCountry: 'NO', ToState: '', SmsMessageSid: sid, NumMedia: '0', ToCity: '', FromZip: '', SmsSid: sid, FromState: '',
    SmsStatus: 'received', FromCity: '', Body: input.body, FromCountry: 'NO', To: input.hubNumber ?? '+4759440000',
    ToZip: '', NumSegments: String(smsLength(input.body).segments), MessageSid: sid,
    AccountSid: input.accountSid ?? 'AC00000000000000000000000000000000', From: input.from, ApiVersion: '2010-04-01',
    ...(input.messagingServiceSid ? { MessagingServiceSid: input.messagingServiceSid } : {}),
    ...((input.advancedOptOut ?? true) && optOutType ? { OptOutType: optOutType } : {}),
  };
  let signature = twilio.getExpectedTwilioSignature(input.authToken, input.signatureUrl ?? input.to, params);
  if (input.badSignature) signature = Buffer.from('not-the-signature').toString('base64');
  const r = await postRaw(input.to, new URLSearchParams(params).toString(),
    { 'Content-Type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': signature, 'User-Agent': 'TwilioProxy/1.1' });
  return { ...r, params };
}
