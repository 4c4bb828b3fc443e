import twilio from 'twilio';
import type { Config } from '../config';
import { ProviderError } from './errors';
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

/** Twilio error codes meaning "this To can never receive an SMS from us" → fallback, no retry. */
export const TWILIO_INVALID_NUMBER_CODES: ReadonlySet<number> = new Set([
  21211, // Invalid 'To' Phone Number
  21217, // Phone number does not appear to be valid
  21401, // Invalid Phone Number
  21407, // This Phone Number type does not support SMS or MMS
  21612, // The 'To' phone number is not currently reachable via SMS
  21614, // 'To' number is not a valid mobile number
]);
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

/** Turns what the twilio SDK throws (RestException, TwilioServiceException, axios errors) into a ProviderError. */
export function classifyTwilioError(err: any, retryAfterMs = 1000): ProviderError {
  const status: number | undefined = typeof err?.status === 'number' ? err.status : undefined;
  const code: number | undefined = typeof err?.code === 'number' ? err.code : undefined;
  if (status !== undefined) {
    const message = `Twilio ${status}${code ? ` ${code}` : ''}: ${err.message ?? ''}`.trim();
    const errors = [{ message: String(err.message ?? ''), field: null, help: err.moreInfo ?? null }];
    const base = { provider: 'twilio' as const, status, code: code ?? null, errors, message, cause: err };
    if (status === 429 || code === 20429) return new ProviderError({ ...base, kind: 'rate_limited', retryAfterMs });
    if (status >= 500) return new ProviderError({ ...base, kind: 'transient' });
    if (code === TWILIO_OPTED_OUT_CODE) return new ProviderError({ ...base, kind: 'opted_out' });
    if (code !== undefined && TWILIO_INVALID_NUMBER_CODES.has(code)) return new ProviderError({ ...base, kind: 'invalid_number' });
    return new ProviderError({ ...base, kind: 'rejected' });
  }
  const netCode = typeof err?.code === 'string' ? err.code : 'network error';
  return new ProviderError({ provider: 'twilio', kind: 'transient', message: `Twilio request failed: ${netCode} ${err?.message ?? ''}`.trim(), cause: err });
}
