import crypto, { type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { SendgridMailBody, SendgridPersonalization } from '../../src/providers';
import { BodyTooLarge, Ring, cpuMs, callbackAgent, closeServer, listen, postRaw, readBody, sendEmpty, sendJson, sleep, slowWait, type LedgerMode } from './http';

/**
 * Loopback emulator of SendGrid's v3 `POST /v3/mail/send` and its signed Event Webhook.
 * Contract: ../shared/PROVIDERS.md and SendGrid's docs (mail-send errors, rate limits, event
 * webhook security). Never started in production (config refuses EMULATORS there).
 */

export interface SendgridEmulatorOptions {
  /** 0 (default) = a random free port. */
  port?: number;
  /** Default 127.0.0.1 (loopback only). */
  host?: string;
  /** Where signed event batches are POSTed (the hub's /webhooks/sendgrid/events). No URL: no events. */
  webhookUrl?: string;
  /** P-256 private key that signs events; generated when absent. */
  signingKey?: KeyObject;
  /** When set, `Authorization: Bearer <apiKey>` must match exactly; otherwise any `Bearer …` is accepted. */
  apiKey?: string;
  /** Full message bodies kept for the most recent N recipients (default 2000). */
  keepBodies?: number;
  /** 'compact' (default): full bodies for the last keepBodies + a compact record of every recipient;
   *  'count': full bodies for the last keepBodies + counts; 'full': everything in full (small tests). */
  ledgerMode?: LedgerMode;
  /** Request size limit, default 20 MB (413 above). */
  maxBodyBytes?: number;
  /** Events per webhook POST (default 2000: processed + delivered for 1000 recipients). */
  webhookBatchSize?: number;
  /** Wait before flushing a partial batch, ms (default 25). */
  webhookIntervalMs?: number;
  /** Webhook POSTs in flight at once (default 2). */
  webhookConcurrency?: number;
  /** Attempts per batch on a non-2xx or network error (default 5), spaced webhookRetryDelayMs × 2^n. */
  webhookAttempts?: number;
  webhookRetryDelayMs?: number;
  /** Initial faults. */
  faults?: SendgridFaultPatch;
}

export interface SendgridFaultState {
  /** The next N mail/send requests answer 429 (X-RateLimit-* headers, SendGrid's body). */
  rateLimit: number;
  /** X-RateLimit-Reset on an injected 429 = now + this many seconds (default 1). */
  rateLimitResetSeconds: number;
  /** The next N requests answer `serverErrorStatus` (default 500). */
  serverError: number;
  serverErrorStatus: number;
  /** The next N valid requests are recorded as accepted, then the connection is destroyed before the answer. */
  acceptThenDrop: number;
  /** Added to every API answer, ms. */
  latencyMs: number;
  /**
   * An account or configuration refusal answered to every mail/send request until cleared (null):
   * nothing is recorded, as SendGrid accepts nothing. Bodies are SendGrid's own (SENDGRID_ACCOUNT_ERRORS).
   */
  accountError: SendgridAccountError | null;
  /** The next N valid requests are recorded as accepted, then answered only after `slowReplyMs` (a client timeout leaves them in doubt). */
  slowReplies: number;
  slowReplyMs: number;
  /** Recipients (lower-cased) that hard-bounce: `bounce` event (type bounce, status 5.1.1) instead of `delivered`. */
  bounces: string[];
}

export type SendgridFaultPatch = Partial<SendgridFaultState> & { addBounces?: string[]; reset?: boolean };

export interface SendgridFaults {
  state(): SendgridFaultState;
  /** Merge a patch (the same JSON as POST /__emulator/faults). `reset: true` clears first. */
  set(patch: SendgridFaultPatch): SendgridFaultState;
  reset(): void;
  rateLimit(n: number, resetSeconds?: number): void;
  serverError(n: number, status?: number): void;
  acceptThenDrop(n: number): void;
  latency(ms: number): void;
  /** Refuse every request the way SendGrid refuses this account (null: the cause is fixed). */
  accountError(kind: SendgridAccountError | null): void;
  /** The next n accepted requests answer after ms (default 5000). */
  slowReplies(n: number, ms?: number): void;
  bounce(...emails: string[]): void;
}

/** A recipient's merged message, as the member would receive it. */
export interface EmailMessage {
  to: string;
  toName: string | null;
  /** 'to' | 'cc' | 'bcc' */
  kind: 'to' | 'cc' | 'bcc';
  from: string;
  fromName: string | null;
  replyTo: string | null;
  subject: string;
  html: string | null;
  text: string | null;
  /** Top-level headers overlaid with the personalization's. */
  headers: Record<string, string>;
  /** Top-level custom_args overlaid with the personalization's. */
  customArgs: Record<string, string>;
  categories: string[];
  templateId: string | null;
  dynamicTemplateData: Record<string, unknown> | null;
  /** The request's X-Message-Id. */
  messageId: string;
  /** This recipient's sg_message_id in events: `<messageId>.filter…`. */
  sgMessageId: string;
  at: Date;
  outcome: 'delivered' | 'bounced';
}

export interface EmailCompactRecord {
  to: string;
  customArgs: Record<string, string>;
  messageId: string;
}

export interface SendgridLedger {
  readonly mode: LedgerMode;
  /** Accepted (non-sandbox) requests. */
  readonly requests: number;
  /** Recipients accepted (to + cc + bcc), duplicates included. */
  readonly recipients: number;
  /** Full messages, newest first, optionally for one address (case-insensitive). */
  recent(filter?: { to?: string; limit?: number }): EmailMessage[];
  /** Every accepted recipient, oldest first ('compact' and 'full' modes; throws in 'count'). */
  compact(): EmailCompactRecord[];
  /** How many times each address was accepted ('compact' and 'full'). */
  countByRecipient(): Map<string, number>;
  /** Accepted copies for one address. */
  countFor(to: string): number;
  clear(): void;
}

export interface SendgridStats {
  requests: number;
  accepted: number;
  sandbox: number;
  recipients: number;
  /** Resident memory of the process the emulator runs in. */
  rssMb: number;
  /** CPU time (user + system) the emulator's process has used, ms. */
  cpuMs: number;
  rejected: Record<string, number>;
  injected: { rateLimited: number; serverErrors: number; dropped: number; accountErrors: number; slowed: number };
  webhook: { batches: number; events: number; failedBatches: number; retries: number; pendingRecipients: number; inFlight: number };
}

export interface SendgridEmulator {
  url: string;
  /** Base64 SPKI DER of the signing key: the value of SENDGRID_WEBHOOK_PUBLIC_KEY. */
  publicKeyBase64: string;
  ledger: SendgridLedger;
  faults: SendgridFaults;
  stats(): SendgridStats;
  /** Sign and POST a JSON array of events as SendGrid would (for duplicate/out-of-order tests). */
  postEvents(events: object[], url?: string): Promise<{ status: number; body: string }>;
  /** Resolves when every queued event has been delivered (or given up on). */
  drainWebhooks(timeoutMs?: number): Promise<void>;
  setWebhookUrl(url: string | undefined): void;
  close(): Promise<void>;
}

/**
 * Account or configuration refusals of POST /v3/mail/send, with SendGrid's real status and body:
 * a bad or a revoked (rotated, deleted) key answers 401 with the same body; a key without the
 * `mail.send` scope (or a suspended account) 403 "access forbidden"; a From address that is not a
 * verified Sender Identity 403 naming the `from` field.
 */
export const SENDGRID_ACCOUNT_ERRORS = {
  invalid_key: { status: 401, body: { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] } },
  revoked_key: { status: 401, body: { errors: [{ message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null }] } },
  under_scoped_key: { status: 403, body: { errors: [{ field: null, message: 'access forbidden' }] } },
  unverified_sender: {
    status: 403,
    body: { errors: [{ message: 'The from address does not match a verified Sender Identity. Mail cannot be sent until this error is resolved. Visit https://sendgrid.com/docs/for-developers/sending-email/sender-identity/ to see the Sender Identity requirements', field: 'from', help: null }] },
  },
} as const;
export type SendgridAccountError = keyof typeof SENDGRID_ACCOUNT_ERRORS;

const HELP = 'http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html';
const EMAIL_RE = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:"]+$/;

interface SgError { message: string; field: string | null; help: string | null }
const err = (message: string, field: string | null, anchor?: string): SgError => ({ message, field, help: anchor ? `${HELP}#${anchor}` : null });

/** SendGrid's own mail/send validation, as far as its documented errors go. Exported for tests. */
export function validateMailSend(body: any): SgError[] {
  const errors: SgError[] = [];
  if (!body || typeof body !== 'object' || Array.isArray(body)) return [err('Bad Request', null)];
  const ps = body.personalizations;
  const template: string | undefined = typeof body.template_id === 'string' && body.template_id ? body.template_id : undefined;
  if (!Array.isArray(ps) || ps.length === 0) {
    errors.push(err('The personalizations field is required and must have at least one personalization.', 'personalizations', 'message.personalizations'));
  } else {
    if (ps.length > 1000) {
      errors.push(err(`The personalization block is limited to 1000 personalizations per API request. You have provided ${ps.length} personalizations. Please consider splitting this into multiple requests and resending your request.`, 'personalizations', 'message.personalizations'));
    }
    let total = 0;
    let subjectEverywhere = true;
    ps.forEach((p: any, i: number) => {
      if (!p || typeof p !== 'object') { errors.push(err('Personalizations must be objects.', `personalizations.${i}`)); subjectEverywhere = false; return; }
      if (!Array.isArray(p.to) || p.to.length === 0) {
        errors.push(err('The to array is required for all personalization objects, and must have at least one email object with a valid email address.', `personalizations.${i}.to`, 'message.personalizations.to'));
      }
      const seen = new Set<string>();
      for (const kind of ['to', 'cc', 'bcc'] as const) {
        const list = p[kind];
        if (list === undefined) continue;
        if (!Array.isArray(list)) { errors.push(err(`The ${kind} field must be an array.`, `personalizations.${i}.${kind}`)); continue; }
        list.forEach((a: any, j: number) => {
          total++;
          const email = typeof a?.email === 'string' ? a.email.trim() : '';
          if (!EMAIL_RE.test(email)) {
            errors.push(err('Does not contain a valid address.', `personalizations.${i}.${kind}.${j}.email`, `message.personalizations.${kind}`));
            return;
          }
          const key = email.toLowerCase();
          if (seen.has(key)) {
            errors.push(err(`Each email address in the personalization block should be unique between to, cc, and bcc. We found the first duplicate instance of [${email}] in the personalizations.${i}.${kind} field.`, `personalizations.${i}`, 'message.recipient_errors'));
          }
          seen.add(key);
        });
      }
      if (typeof p.subject !== 'string' || p.subject === '') subjectEverywhere = false;
      if (p.custom_args !== undefined && jsonBytesOver(p.custom_args, 10000)) {
        errors.push(err('The custom_args field must be a collection of key/value pairs, with a total size of less than 10,000 bytes.', `personalizations.${i}.custom_args`, 'message.custom_args'));
      }
      if (p.substitutions !== undefined) {
        if (template?.startsWith('d-')) errors.push(err('Substitutions may not be used with dynamic templating', `personalizations.${i}.substitutions`, 'message.personalizations.substitutions'));
        else if (jsonBytesOver(p.substitutions, 10000)) {
          errors.push(err('The substitutions field must be a collection of key/value pairs, with a total size of less than 10,000 bytes.', `personalizations.${i}.substitutions`, 'message.personalizations.substitutions'));
        }
      }
      if (p.headers !== undefined) validateHeaders(p.headers, `personalizations.${i}.headers`, errors);
    });
    if (total > 1000) errors.push(err('There is a limit of 1000 total recipients (to + cc + bcc) per request.', 'personalizations', 'message.personalizations'));
    if (!template && (typeof body.subject !== 'string' || body.subject === '') && !subjectEverywhere) {
      errors.push(err('The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.', 'subject', 'message.subject'));
    }
  }
  if (!body.from || typeof body.from !== 'object') {
    errors.push(err('The from object must be provided for every email send. It is an object that requires an email address, and may contain a name.', 'from', 'message.from'));
  } else if (typeof body.from.email !== 'string' || !EMAIL_RE.test(body.from.email.trim())) {
    errors.push(err('The from email does not contain a valid address.', 'from.email', 'message.from'));
  }
  if (body.content !== undefined || !template) {
    if (!Array.isArray(body.content) || body.content.length === 0) {
      if (!template) errors.push(err('Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.', 'content', 'message.content'));
    } else {
      body.content.forEach((c: any, i: number) => {
        if (typeof c?.type !== 'string' || c.type === '') errors.push(err('The content type must be a string at least one character in length.', `content.${i}.type`, 'message.content.type'));
        if (typeof c?.value !== 'string' || c.value === '') errors.push(err('The content value must be a string at least one character in length.', `content.${i}.value`, 'message.content.value'));
      });
    }
  }
  if (body.headers !== undefined) validateHeaders(body.headers, 'headers', errors);
  if (body.custom_args !== undefined && Buffer.byteLength(JSON.stringify(body.custom_args)) > 10000) {
    errors.push(err('The custom_args field must be a collection of key/value pairs, with a total size of less than 10,000 bytes.', 'custom_args', 'message.custom_args'));
  }
  return errors;
}

/**
 * Whether `value` serialised as JSON is more than `limit` bytes (SendGrid's 10,000-byte limits
 * on a personalization's substitutions and custom_args). An object of short strings is answered
 * without serialising it: each UTF-16 unit of a key or value takes at most 6 bytes in JSON (a
 * \u escape), so when six times the characters plus the punctuation is under the limit, the
 * exact size is too. Serialising every personalization's objects again cost the emulator a
 * quarter of its time per request at a million recipients (bench/RESULTS.md, sixth session).
 */
export function jsonBytesOver(value: unknown, limit: number): boolean {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    let bound = 2;
    let plain = true;
    for (const k in value as Record<string, unknown>) {
      const v = (value as Record<string, unknown>)[k];
      if (typeof v !== 'string') { plain = false; break; }
      bound += 6 * (k.length + v.length) + 6;
      if (bound > limit) { plain = false; break; }
    }
    if (plain) return false;
  }
  return Buffer.byteLength(JSON.stringify(value)) > limit;
}

function validateHeaders(headers: any, field: string, errors: SgError[]): void {
  if (!headers || typeof headers !== 'object' || Array.isArray(headers)) { errors.push(err('The headers parameter must be an object.', field, 'message.headers')); return; }
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v !== 'string') errors.push(err('Invalid type. Expected: string, given: ' + (v === null ? 'null' : typeof v) + '.', `${field}.${k}`, 'message.headers'));
  }
}

function substitute(text: string | null, subs: Record<string, string> | undefined): string | null {
  if (text === null || !subs) return text;
  let out = text;
  for (const [k, v] of Object.entries(subs)) if (k) out = out.split(k).join(String(v));
  return out;
}

/** What the ring holds: references, merged only when someone reads them. */
interface LazyEntry {
  body: SendgridMailBody;
  p: SendgridPersonalization;
  address: { email: string; name?: string };
  kind: 'to' | 'cc' | 'bcc';
  messageId: string;
  sgMessageId: string;
  at: number;
  bounced: boolean;
}

function materialize(e: LazyEntry): EmailMessage {
  const { body, p } = e;
  const content = Array.isArray(body.content) ? body.content : [];
  const html = content.find((c) => c.type === 'text/html')?.value ?? null;
  const text = content.find((c) => c.type === 'text/plain')?.value ?? null;
  return {
    to: e.address.email,
    toName: e.address.name ?? null,
    kind: e.kind,
    from: body.from.email,
    fromName: body.from.name ?? null,
    replyTo: body.reply_to?.email ?? null,
    subject: substitute(p.subject ?? body.subject ?? '', p.substitutions) ?? '',
    html: substitute(html, p.substitutions),
    text: substitute(text, p.substitutions),
    headers: { ...(body.headers ?? {}), ...(p.headers ?? {}) },
    customArgs: { ...(body.custom_args ?? {}), ...(p.custom_args ?? {}) },
    categories: body.categories ?? [],
    templateId: body.template_id ?? null,
    dynamicTemplateData: (p.dynamic_template_data as Record<string, unknown> | undefined) ?? null,
    messageId: e.messageId,
    sgMessageId: e.sgMessageId,
    at: new Date(e.at),
    outcome: e.bounced ? 'bounced' : 'delivered',
  };
}

/** Events owed for one accepted request: strings shared with the ledger, nothing per recipient but two array slots. */
interface PendingChunk { messageId: string; ts: number; categories?: string[]; to: string[]; args: string[]; bounced: Uint8Array | null; pos: number }

const sgMessageIdFor = (messageId: string, n: number, ts: number) => `${messageId}.filterdrecv-${process.pid}-${n.toString(16)}-${ts}.0`;

function newFaults(): SendgridFaultState {
  return { rateLimit: 0, rateLimitResetSeconds: 1, serverError: 0, serverErrorStatus: 500, acceptThenDrop: 0, latencyMs: 0, accountError: null, slowReplies: 0, slowReplyMs: 5000, bounces: [] };
}

/** base64url-ish ids shaped like SendGrid's (22 characters). */
export function newSendgridMessageId(): string {
  return crypto.randomBytes(16).toString('base64url');
}

/** Signature headers for an event webhook body, exactly as SendGrid computes them. */
export function signSendgridEvents(privateKey: KeyObject, rawBody: string, timestamp = String(Math.floor(Date.now() / 1000))): Record<string, string> {
  const signature = crypto.sign('sha256', Buffer.from(timestamp + rawBody), privateKey).toString('base64');
  return {
    'X-Twilio-Email-Event-Webhook-Signature': signature,
    'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
  };
}

export async function startSendgridEmulator(opts: SendgridEmulatorOptions = {}): Promise<SendgridEmulator> {
  const host = opts.host ?? '127.0.0.1';
  const keepBodies = opts.keepBodies ?? 2000;
  const mode: LedgerMode = opts.ledgerMode ?? 'compact';
  const maxBody = opts.maxBodyBytes ?? 20 * 1024 * 1024;
  const signingKey = opts.signingKey ?? crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const publicKeyBase64 = crypto.createPublicKey(signingKey).export({ type: 'spki', format: 'der' }).toString('base64');
  let webhookUrl = opts.webhookUrl;
  const batchSize = opts.webhookBatchSize ?? 2000;
  const intervalMs = opts.webhookIntervalMs ?? 25;
  const concurrency = opts.webhookConcurrency ?? 2;
  const attempts = opts.webhookAttempts ?? 5;
  const retryDelay = opts.webhookRetryDelayMs ?? 500;
  const agent = callbackAgent(concurrency + 2);

  // ---- ledger ----
  let ring = new Ring<LazyEntry>(mode === 'full' ? 0 : keepBodies);
  let all: LazyEntry[] = [];
  let cTo: string[] = [];
  let cArgs: string[] = [];
  let cMsg: number[] = [];
  let msgIds: string[] = [];
  let requests = 0;
  let recipients = 0;
  const ledger: SendgridLedger = {
    mode,
    get requests() { return requests; },
    get recipients() { return recipients; },
    recent(filter = {}) {
      const src = mode === 'full' ? all : ring.toArray();
      const to = filter.to?.toLowerCase();
      const limit = filter.limit ?? Infinity;
      const out: EmailMessage[] = [];
      for (let i = src.length - 1; i >= 0 && out.length < limit; i--) {
        if (to && src[i].address.email.toLowerCase() !== to) continue;
        out.push(materialize(src[i]));
      }
      return out;
    },
    compact() {
      if (mode === 'count') throw new Error('the SendGrid emulator ledger is in count mode: no per-recipient records');
      if (mode === 'full') return all.map((e) => ({ to: e.address.email, customArgs: { ...(e.body.custom_args ?? {}), ...(e.p.custom_args ?? {}) }, messageId: e.messageId }));
      return cTo.map((to, i) => ({ to, customArgs: JSON.parse(cArgs[i]), messageId: msgIds[cMsg[i]] }));
    },
    countByRecipient() {
      if (mode === 'count') throw new Error('the SendGrid emulator ledger is in count mode: no per-recipient records');
      const m = new Map<string, number>();
      const list = mode === 'full' ? all.map((e) => e.address.email) : cTo;
      for (const t of list) { const k = t.toLowerCase(); m.set(k, (m.get(k) ?? 0) + 1); }
      return m;
    },
    countFor(to) {
      return ledger.countByRecipient().get(to.toLowerCase()) ?? 0;
    },
    clear() {
      ring = new Ring<LazyEntry>(mode === 'full' ? 0 : keepBodies);
      all = []; cTo = []; cArgs = []; cMsg = []; msgIds = [];
      requests = 0; recipients = 0;
    },
  };

  // ---- faults ----
  let f = newFaults();
  let bounceSet = new Set<string>();
  const faults: SendgridFaults = {
    state: () => ({ ...f, bounces: [...bounceSet] }),
    set(patch) {
      if (patch.reset) { f = newFaults(); bounceSet = new Set(); }
      for (const k of ['rateLimit', 'rateLimitResetSeconds', 'serverError', 'serverErrorStatus', 'acceptThenDrop', 'latencyMs', 'slowReplies', 'slowReplyMs'] as const) {
        if (patch[k] !== undefined) f[k] = Number(patch[k]);
      }
      if (patch.accountError !== undefined) {
        if (patch.accountError !== null && !(patch.accountError in SENDGRID_ACCOUNT_ERRORS)) {
          throw new Error(`unknown SendGrid accountError "${patch.accountError}"; one of ${Object.keys(SENDGRID_ACCOUNT_ERRORS).join(', ')} or null`);
        }
        f.accountError = patch.accountError;
      }
      if (patch.bounces) bounceSet = new Set(patch.bounces.map((b) => b.toLowerCase()));
      for (const b of patch.addBounces ?? []) bounceSet.add(b.toLowerCase());
      return faults.state();
    },
    reset() { faults.set({ reset: true }); },
    rateLimit(n, resetSeconds) { faults.set({ rateLimit: n, ...(resetSeconds !== undefined ? { rateLimitResetSeconds: resetSeconds } : {}) }); },
    serverError(n, status) { faults.set({ serverError: n, ...(status !== undefined ? { serverErrorStatus: status } : {}) }); },
    acceptThenDrop(n) { faults.set({ acceptThenDrop: n }); },
    latency(ms) { faults.set({ latencyMs: ms }); },
    accountError(kind) { faults.set({ accountError: kind }); },
    slowReplies(n, ms) { faults.set({ slowReplies: n, ...(ms !== undefined ? { slowReplyMs: ms } : {}) }); },
    bounce(...emails) { faults.set({ addBounces: emails }); },
  };
  if (opts.faults) faults.set(opts.faults);

  // ---- stats ----
  const st = { requests: 0, accepted: 0, sandbox: 0, rejected: {} as Record<string, number>, rateLimited: 0, serverErrors: 0, dropped: 0, accountErrors: 0, slowed: 0,
    batches: 0, events: 0, failedBatches: 0, retries: 0 };
  const reject = (res: http.ServerResponse, status: number, errors: SgError[], headers: Record<string, string | number> = {}) => {
    st.rejected[status] = (st.rejected[status] ?? 0) + 1;
    sendJson(res, status, { errors }, headers);
  };

  // ---- webhook queue ----
  let pending: PendingChunk[] = [];
  let head = 0;
  let pendingRecipients = 0;
  let inFlight = 0;
  let timer: NodeJS.Timeout | null = null;
  let drainWaiters: (() => void)[] = [];
  const pendingCount = () => pendingRecipients;
  const schedule = () => {
    if (timer || !webhookUrl) return;
    timer = setTimeout(() => { timer = null; pump(); }, pendingCount() >= batchSize ? 0 : intervalMs);
  };
  const checkDrained = () => {
    if (pendingCount() === 0 && inFlight === 0) { const w = drainWaiters; drainWaiters = []; w.forEach((r) => r()); }
  };
  const eventsFor = (c: PendingChunk, n: number, out: object[]) => {
    const args = c.args[n] === '{}' ? {} : JSON.parse(c.args[n]);
    const common = (event: string, extra: object) => ({
      ...args,
      email: c.to[n],
      timestamp: c.ts,
      'smtp-id': `<${c.messageId}@ismtpd0001p1lon1.sendgrid.net>`,
      event,
      ...(c.categories?.length ? { category: c.categories.length === 1 ? c.categories[0] : c.categories } : {}),
      sg_event_id: crypto.randomBytes(16).toString('base64url'),
      sg_message_id: sgMessageIdFor(c.messageId, n, c.ts),
      ...extra,
    });
    out.push(common('processed', {}));
    if (c.bounced?.[n]) {
      out.push(common('bounce', { type: 'bounce', status: '5.1.1', reason: "550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.", bounce_classification: 'Invalid Address' }));
    } else {
      out.push(common('delivered', { response: '250 2.0.0 OK', ip: '127.0.0.1', tls: 1 }));
    }
  };
  const pump = () => {
    while (webhookUrl && inFlight < concurrency && pendingCount() > 0) {
      const events: object[] = [];
      let room = Math.max(1, Math.floor(batchSize / 2));
      while (room > 0 && head < pending.length) {
        const c = pending[head];
        const stop = Math.min(c.to.length, c.pos + room);
        for (let n = c.pos; n < stop; n++) eventsFor(c, n, events);
        room -= stop - c.pos;
        pendingRecipients -= stop - c.pos;
        c.pos = stop;
        if (c.pos >= c.to.length) pending[head++] = undefined as any;
      }
      if (head > 1000 && head > pending.length / 2) { pending = pending.slice(head); head = 0; }
      inFlight++;
      deliver(events).finally(() => { inFlight--; pump(); checkDrained(); });
    }
    if (pendingCount() > 0) schedule();
    checkDrained();
  };
  const deliver = async (events: object[]) => {
    const url = webhookUrl;
    if (!url) return;
    const raw = `${JSON.stringify(events)}\r\n`;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) { st.retries++; await sleep(retryDelay * 2 ** (attempt - 1)); }
      const headers = { 'Content-Type': 'application/json', 'User-Agent': 'SendGrid Event API', ...signSendgridEvents(signingKey, raw) };
      try {
        const r = await postRaw(url, raw, headers, agent);
        if (r.status >= 200 && r.status < 300) { st.batches++; st.events += events.length; return; }
      } catch { /* retried */ }
    }
    st.failedBatches++;
  };

  // ---- HTTP ----
  const handleSend = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    st.requests++;
    let raw: Buffer;
    try {
      raw = await readBody(req, maxBody);
    } catch (e) {
      if (e instanceof BodyTooLarge) { res.setHeader('Connection', 'close'); reject(res, 413, [err('The JSON payload you have included in your request is too large.', null)]); return; }
      throw e;
    }
    if (f.latencyMs > 0) await sleep(f.latencyMs);
    const auth = req.headers.authorization ?? '';
    if (!auth) { reject(res, 401, [err('authorization required', null)]); return; }
    if (!/^Bearer\s+\S+/.test(auth) || (opts.apiKey !== undefined && auth !== `Bearer ${opts.apiKey}`)) {
      reject(res, 401, [err('The provided authorization grant is invalid, expired, or revoked', null)]);
      return;
    }
    if (f.accountError) {
      const { status, body } = SENDGRID_ACCOUNT_ERRORS[f.accountError];
      st.accountErrors++;
      st.rejected[status] = (st.rejected[status] ?? 0) + 1;
      sendJson(res, status, body);
      return;
    }
    if (f.rateLimit > 0) {
      f.rateLimit--; st.rateLimited++;
      const reset = Math.floor(Date.now() / 1000) + f.rateLimitResetSeconds;
      sendJson(res, 429, { errors: [{ field: null, message: 'too many requests' }] },
        { 'X-RateLimit-Limit': 600, 'X-RateLimit-Remaining': 0, 'X-RateLimit-Reset': reset });
      return;
    }
    if (f.serverError > 0) {
      f.serverError--; st.serverErrors++;
      sendJson(res, f.serverErrorStatus, { errors: [{ field: null, message: 'internal error', help: null }] });
      return;
    }
    let body: any;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      reject(res, 400, [err('Bad Request', null)]);
      return;
    }
    const errors = validateMailSend(body);
    if (errors.length) { reject(res, 400, errors); return; }
    if (body.mail_settings?.sandbox_mode?.enable === true) { st.sandbox++; sendEmpty(res, 200); return; }

    const messageId = newSendgridMessageId();
    const at = Date.now();
    const ts = Math.floor(at / 1000);
    const msgIndex = mode === 'compact' ? msgIds.push(messageId) - 1 : -1;
    let n = 0;
    const queueEvents = !!webhookUrl;
    const chunk: PendingChunk | null = queueEvents ? { messageId, ts, categories: body.categories, to: [], args: [], bounced: null, pos: 0 } : null;
    for (const p of body.personalizations as SendgridPersonalization[]) {
      const args: Record<string, string> = body.custom_args || p.custom_args ? { ...(body.custom_args ?? {}), ...(p.custom_args ?? {}) } : {};
      const argsJson = mode === 'compact' || queueEvents ? JSON.stringify(args) : '';
      for (const kind of ['to', 'cc', 'bcc'] as const) {
        for (const address of p[kind] ?? []) {
          const sgMessageId = sgMessageIdFor(messageId, n, ts);
          n++;
          const bounced = bounceSet.size > 0 && bounceSet.has(address.email.toLowerCase());
          const entry: LazyEntry = { body, p, address, kind, messageId, sgMessageId, at, bounced };
          if (mode === 'full') all.push(entry); else ring.push(entry);
          if (mode === 'compact') { cTo.push(address.email); cArgs.push(argsJson); cMsg.push(msgIndex); }
          if (chunk) {
            chunk.to.push(address.email);
            chunk.args.push(argsJson);
            if (bounced) (chunk.bounced ??= new Uint8Array(1000))[chunk.to.length - 1] = 1;
          }
        }
      }
    }
    requests++;
    recipients += n;
    st.accepted++;
    if (chunk && chunk.to.length) { pending.push(chunk); pendingRecipients += chunk.to.length; schedule(); }
    if (f.acceptThenDrop > 0) { f.acceptThenDrop--; st.dropped++; req.socket.destroy(); return; }
    if (f.slowReplies > 0) { f.slowReplies--; st.slowed++; await slowWait(f.slowReplyMs); if (res.destroyed || !res.socket || res.socket.destroyed) return; }
    sendEmpty(res, 202, { 'X-Message-Id': messageId });
  };

  const handleControl = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (url.pathname === '/__emulator/faults') {
      if (req.method === 'GET') { sendJson(res, 200, faults.state()); return; }
      const raw = await readBody(req, 1024 * 1024);
      let patch: SendgridFaultPatch;
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
    if (url.pathname === '/__emulator/recipients' && req.method === 'GET') {
      // How many times each address was accepted (what each member received), for kill and
      // outage measurements run against a separate emulator process. Compact and full ledgers only.
      if (mode === 'count') { sendJson(res, 409, { error: 'the ledger is in count mode: no per-recipient records; start with --ledger compact' }); return; }
      const min = Number(url.searchParams.get('min') ?? 1) || 1;
      const counts: Record<string, number> = {};
      let distinct = 0;
      for (const [to, n] of ledger.countByRecipient()) { distinct++; if (n >= min) counts[to] = n; }
      sendJson(res, 200, { recipients, distinct, counts });
      return;
    }
    if (url.pathname === '/__emulator/reset' && req.method === 'POST') { ledger.clear(); faults.reset(); sendJson(res, 200, { ok: true }); return; }
    if (url.pathname === '/__emulator/webhook' && req.method === 'POST') {
      const raw = await readBody(req, 64 * 1024);
      const { url: u } = JSON.parse(raw.toString('utf8') || '{}');
      webhookUrl = u || undefined;
      sendJson(res, 200, { webhookUrl: webhookUrl ?? null });
      return;
    }
    sendJson(res, 404, { errors: [err('not found', null)] });
  };

  const stats = (): SendgridStats => ({
    requests: st.requests, accepted: st.accepted, sandbox: st.sandbox, recipients, rssMb: Math.round(process.memoryUsage().rss / 1048576), cpuMs: cpuMs(),
    rejected: { ...st.rejected },
    injected: { rateLimited: st.rateLimited, serverErrors: st.serverErrors, dropped: st.dropped, accountErrors: st.accountErrors, slowed: st.slowed },
    webhook: { batches: st.batches, events: st.events, failedBatches: st.failedBatches, retries: st.retries, pendingRecipients: pendingCount(), inFlight },
  });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    const route = p === '/v3/mail/send' && req.method === 'POST' ? handleSend(req, res)
      : p.startsWith('/__emulator/') ? handleControl(req, res, url)
        : Promise.resolve(sendJson(res, 404, { errors: [err('not found', null)] }));
    route.catch((e) => { if (!res.headersSent) sendJson(res, 500, { errors: [err(`emulator error: ${e?.message ?? e}`, null)] }); else res.destroy(); });
  });
  server.keepAliveTimeout = 65_000;
  const url = await listen(server, opts.port ?? 0, host);

  return {
    url,
    publicKeyBase64,
    ledger,
    faults,
    stats,
    async postEvents(events, target) {
      const u = target ?? webhookUrl;
      if (!u) throw new Error('no webhook URL');
      const raw = `${JSON.stringify(events)}\r\n`;
      return postRaw(u, raw, { 'Content-Type': 'application/json', 'User-Agent': 'SendGrid Event API', ...signSendgridEvents(signingKey, raw) }, agent);
    },
    drainWebhooks(timeoutMs = 30_000) {
      if (!webhookUrl || (pendingCount() === 0 && inFlight === 0)) return Promise.resolve();
      return new Promise<void>((resolve, rejectP) => {
        const t = setTimeout(() => rejectP(new Error(`SendGrid emulator webhooks not drained after ${timeoutMs} ms (${pendingCount()} recipients pending)`)), timeoutMs);
        drainWaiters.push(() => { clearTimeout(t); resolve(); });
        pump();
      });
    },
    setWebhookUrl(u) { webhookUrl = u; if (u) pump(); },
    async close() {
      if (timer) clearTimeout(timer);
      webhookUrl = undefined;
      await closeServer(server);
      agent.destroy();
    },
  };
}
