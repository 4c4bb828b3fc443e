import twilio from 'twilio';
import type { Config } from '../config';
import { ProviderError, type FailureClass, type SuppressionReason } from './errors';
import { smsLength } from './segments';
import { TwilioHttpClient } from './twilio-http';

export interface SmsSendInput {
  /** E.164, e.g. +4791234567. */
  to: string;
  body: string;
  /** Absolute URL Twilio POSTs status callbacks to (the hub's public /webhooks/twilio/status…). */
  statusCallback?: string;
  /** Seconds Twilio may keep the message queued (1–36000). */
  validityPeriod?: number;
}

export interface SmsSendResult {
  /** `SM` + 32 hex. */
  sid: string;
  /** `accepted` through a Messaging Service (`queued` with a From number). */
  status: string;
  /**
   * Segments billed. Twilio answers `num_segments: "0"` for Messaging Service sends (no sender
   * assigned yet), so 0 is replaced by our own GSM-7/UCS-2 count of the body.
   */
  numSegments: number;
}

export interface SmsProvider {
  /** One Messages.create through the Messaging Service. Throws `ProviderError`. */
  send(input: SmsSendInput): Promise<SmsSendResult>;
}

export interface SmsProviderOptions {
  /** Request timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Sockets kept open to the API (default 64): the concurrency ceiling per process. */
  maxSockets?: number;
  /** Wait suggested on a 429 (Twilio sends no reset header), default 1000 ms. */
  retryAfterMs?: number;
}

/**
 * THE table of Twilio error codes: what each means for the campaign (PROVIDERS.md "Failure
 * classes", Twilio's error reference). Codes not listed: any 5xx or 429 is transient, any other
 * 4xx is `request` (the channel halts rather than failing members on an answer we do not know).
 */
export const TWILIO_FAILURES: ReadonlyMap<number, { failureClass: FailureClass; suppress?: SuppressionReason; what: string }> = new Map([
  // recipient: this To can never get an SMS from us → that row fails, fallback, no retry
  [21211, { failureClass: 'recipient', suppress: 'invalid_number', what: "Invalid 'To' Phone Number" }],
  [21217, { failureClass: 'recipient', suppress: 'invalid_number', what: 'Phone number does not appear to be valid' }],
  [21401, { failureClass: 'recipient', suppress: 'invalid_number', what: 'Invalid Phone Number' }],
  [21407, { failureClass: 'recipient', suppress: 'invalid_number', what: 'This Phone Number type does not support SMS' }],
  [21614, { failureClass: 'recipient', suppress: 'invalid_number', what: "'To' number is not a valid mobile number" }],
  [21635, { failureClass: 'recipient', suppress: 'invalid_number', what: "'To' number cannot be a landline" }],
  [21610, { failureClass: 'recipient', suppress: 'carrier_opt_out', what: 'The recipient replied STOP to this sender' }],
  // account / configuration: about us, every message fails the same way → the channel halts
  [20003, { failureClass: 'account', what: 'Authentication failed (Account SID, Auth Token or API key)' }],
  [20005, { failureClass: 'account', what: 'Account is not active' }],
  [20404, { failureClass: 'account', what: 'The account or resource was not found' }],
  [21601, { failureClass: 'account', what: 'The From number is not SMS-capable' }],
  [21606, { failureClass: 'account', what: 'The From number is not a valid message-capable number for this destination' }],
  [21608, { failureClass: 'account', what: 'Trial account: the To number is not verified' }],
  [21408, { failureClass: 'account', what: 'Permission to send to this region is not enabled' }],
  [21612, { failureClass: 'account', what: 'The sender cannot route to this destination (PROVIDERS.md: unroutable)' }],
  [21659, { failureClass: 'account', what: 'The From is not a Twilio number of this account' }],
  [21661, { failureClass: 'account', what: 'The From number is not SMS-capable' }],
  [21701, { failureClass: 'account', what: 'The Messaging Service does not exist' }],
  [21703, { failureClass: 'account', what: 'The Messaging Service has no phone number to send from' }],
  [21704, { failureClass: 'account', what: 'The Messaging Service has no phone number in its sender pool' }],
  [30002, { failureClass: 'account', what: 'Account suspended' }],
  // transient
  [20429, { failureClass: 'transient', what: 'Too many requests' }],
]);

/** Twilio error codes meaning "this To can never receive an SMS from us" → fallback, no retry (derived from the table). */
export const TWILIO_INVALID_NUMBER_CODES: ReadonlySet<number> = new Set(
  [...TWILIO_FAILURES].filter(([, v]) => v.suppress === 'invalid_number').map(([k]) => k));
export const TWILIO_OPTED_OUT_CODE = 21610;

/**
 * Twilio adapter on the `twilio` SDK: Messages.create with `messagingServiceSid`.
 *
 * The SDK sends through `TwilioHttpClient` (./twilio-http: undici, keep-alive, `maxSockets`
 * connections per origin, instead of the SDK's axios client: half the CPU per message). `config.twilio.baseUrl`
 * replaces `https://api.twilio.com` on the Api domain (edge/region stay unset, so the SDK does
 * not rewrite the host). `autoRetry` stays off: 429 comes back to the worker as `rate_limited`.
 */
export function createSmsProvider(config: { twilio: Config['twilio'] }, opts: SmsProviderOptions = {}): SmsProvider {
  const { accountSid, authToken, messagingServiceSid, baseUrl } = config.twilio;
  const maxSockets = opts.maxSockets ?? 64;
  const timeout = opts.timeoutMs ?? 30_000;
  const httpClient = new TwilioHttpClient({ maxSockets, timeoutMs: timeout });
  const client = twilio(accountSid, authToken, { httpClient: httpClient as any, autoRetry: false });
  if (baseUrl) client.api.baseUrl = baseUrl.replace(/\/+$/, '');
  const messages = client.messages;
  const retryAfterMs = opts.retryAfterMs ?? 1000;

  return {
    async send({ to, body, statusCallback, validityPeriod }) {
      let m: any;
      try {
        m = await messages.create({ to, body, messagingServiceSid, ...(statusCallback ? { statusCallback } : {}),
          ...(validityPeriod ? { validityPeriod } : {}) });
      } catch (err) {
        throw classifyTwilioError(err, retryAfterMs);
      }
      const reported = Number(m.numSegments ?? 0);
      return { sid: m.sid, status: m.status, numSegments: reported > 0 ? reported : smsLength(body).segments };
    },
  };
}

// axios (the SDK's own client) and undici (twilio-http.ts) codes for "the request may have left, no answer came".
const MAYBE_SENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'ESOCKETTIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_ABORTED']);

/** Turns what the twilio SDK throws (RestException, TwilioServiceException, axios errors) into a ProviderError. */
export function classifyTwilioError(err: any, retryAfterMs = 1000): ProviderError {
  const status: number | undefined = typeof err?.status === 'number' ? err.status : undefined;
  const code: number | undefined = typeof err?.code === 'number' ? err.code : undefined;
  if (status !== undefined) {
    const message = `Twilio ${status}${code ? ` ${code}` : ''}: ${err.message ?? ''}`.trim();
    const errors = [{ message: String(err.message ?? ''), field: null, help: err.moreInfo ?? null }];
    const row = code !== undefined ? TWILIO_FAILURES.get(code) : undefined;
    const failureClass: FailureClass = status === 429 || status >= 500 ? 'transient' : row?.failureClass ?? (status === 401 ? 'account' : 'request');
    const base = { provider: 'twilio' as const, status, code: code ?? null, errors, message, cause: err, failureClass, suppress: row?.suppress ?? null };
    if (status === 429 || code === 20429) return new ProviderError({ ...base, kind: 'rate_limited', retryAfterMs });
    if (failureClass === 'transient') return new ProviderError({ ...base, kind: 'transient' });
    if (code === TWILIO_OPTED_OUT_CODE) return new ProviderError({ ...base, kind: 'opted_out' });
    if (row?.suppress === 'invalid_number') return new ProviderError({ ...base, kind: 'invalid_number' });
    return new ProviderError({ ...base, kind: 'rejected' });
  }
  const netCode = typeof err?.code === 'string' ? err.code : 'network error';
  const maybe = MAYBE_SENT_CODES.has(netCode) || /socket hang up|timeout/i.test(String(err?.message ?? ''));
  return new ProviderError({ provider: 'twilio', kind: 'transient', failureClass: 'transient', mayHaveBeenAccepted: maybe,
    message: `Twilio request failed: ${netCode} ${err?.message ?? ''}`.trim(), cause: err });
}
