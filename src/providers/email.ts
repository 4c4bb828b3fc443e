import http from 'node:http';
import https from 'node:https';
import type { Client } from '@sendgrid/client';
import type { ClientRequest } from '@sendgrid/client/src/request';
import type { ClientResponse } from '@sendgrid/client/src/response';
import type { Config } from '../config';
import type { EmailMessage } from '../render';
import { ProviderError, type ProviderErrorDetail, type FailureClass } from './errors';

/** An address as SendGrid v3 takes it. */
export interface SendgridAddress {
  email: string;
  name?: string;
}

/** One personalization of a v3 mail/send body (snake_case, exactly as SendGrid documents it). */
export interface SendgridPersonalization {
  to: SendgridAddress[];
  cc?: SendgridAddress[];
  bcc?: SendgridAddress[];
  subject?: string;
  headers?: Record<string, string>;
  substitutions?: Record<string, string>;
  dynamic_template_data?: Record<string, unknown>;
  custom_args?: Record<string, string>;
  send_at?: number;
}

/** The SendGrid v3 `POST /v3/mail/send` JSON body, built here from a provider-neutral message (`toSendgridBody`). */
export interface SendgridMailBody {
  personalizations: SendgridPersonalization[];
  from: SendgridAddress;
  reply_to?: SendgridAddress;
  subject?: string;
  content?: { type: string; value: string }[];
  template_id?: string;
  headers?: Record<string, string>;
  categories?: string[];
  custom_args?: Record<string, string>;
  send_at?: number;
  batch_id?: string;
  asm?: { group_id: number; groups_to_display?: number[] };
  ip_pool_name?: string;
  mail_settings?: Record<string, unknown> & { sandbox_mode?: { enable?: boolean } };
  tracking_settings?: Record<string, unknown>;
}

export interface EmailSendResult {
  /** The request's `X-Message-Id`. Event `sg_message_id`s start with it (`<X-Message-Id>.…`).
   *  Empty in sandbox mode (200: validated, nothing delivered). */
  messageId: string;
  /** 202, or 200 in sandbox mode (nothing delivered). */
  statusCode: number;
}

export interface EmailProvider {
  /** One message (up to 1000 recipients) as one v3 mail/send request. Throws `ProviderError`. */
  send(message: EmailMessage): Promise<EmailSendResult>;
  /** The same for a body already in SendGrid's JSON (the adapter's own tests, fault modes). */
  sendBody(body: SendgridMailBody): Promise<EmailSendResult>;
}

/**
 * A provider-neutral message as SendGrid's JSON: one personalization per recipient (their To,
 * subject, headers, substitutions = their values, custom_args.send_log_id = our reference, which
 * every event carries back), the shared content, request-wide custom_args, tracking, sandbox.
 */
export function toSendgridBody(m: EmailMessage): SendgridMailBody {
  const common = commonHeaders(m.recipients);
  return {
    from: m.from,
    ...(m.replyTo ? { reply_to: m.replyTo } : {}),
    ...(common ? { headers: common } : {}),
    personalizations: m.recipients.map((r) => ({
      to: [r.to],
      subject: r.subject,
      ...headersOf(r.headers, common),
      ...(r.values ? { substitutions: r.values } : {}),
      ...(r.ref !== undefined ? { custom_args: { send_log_id: r.ref } } : {}),
    })),
    content: [{ type: 'text/plain', value: m.text }, { type: 'text/html', value: m.html }],
    categories: m.categories,
    ...(Object.keys(m.metadata).length ? { custom_args: m.metadata } : {}),
    ...(m.sandbox ? { mail_settings: { sandbox_mode: { enable: true } } } : {}),
    tracking_settings: {
      click_tracking: { enable: m.tracking.clicks, enable_text: m.tracking.clicks },
      open_tracking: { enable: m.tracking.opens },
    },
  };
}

/**
 * Headers every recipient has with the same value (List-Unsubscribe-Post, say), for the body's
 * top-level `headers`: SendGrid gives each personalization the top-level headers overlaid with
 * its own, so what every member gets is unchanged, and the request carries the header once
 * instead of once per member (53 of a campaign personalization's ~680 bytes).
 */
function commonHeaders(recipients: EmailMessage['recipients']): Record<string, string> | null {
  if (recipients.length < 2) return null;
  let headers: Record<string, string> | null = null;
  for (const [k, v] of Object.entries(recipients[0].headers)) {
    if (recipients.every((r) => r.headers[k] === v)) (headers ??= {})[k] = v;
  }
  return headers;
}

/** A personalization's `headers`: the recipient's less those sent at the top level (none left: no field). */
function headersOf(headers: Record<string, string>, common: Record<string, string> | null): { headers?: Record<string, string> } {
  if (!common) return { headers };
  let own: Record<string, string> | undefined;
  for (const k in headers) if (!(k in common)) (own ??= {})[k] = headers[k];
  return own ? { headers: own } : {};
}

export interface EmailProviderOptions {
  /** Request timeout in ms (default 30 000). A timeout is `transient`: the request may have been accepted. */
  timeoutMs?: number;
  /** Sockets kept open to the API (default 16). */
  maxSockets?: number;
  /** For retryAfterMs: the current time in ms (default Date.now). */
  now?: () => number;
  /** Fallback wait when a 429 carries no usable X-RateLimit-Reset (default 1000 ms). */
  defaultRetryAfterMs?: number;
}

/**
 * SendGrid adapter on `@sendgrid/mail`, one MailService (and so one HTTP client) per provider.
 *
 * The body goes out through `mail.client.request({ method: 'POST', url: '/v3/mail/send', body })`,
 * the same SDK client `mail.send()` ends in, rather than through `mail.send()` itself:
 * `send()` rebuilds the body via its `Mail` helper, which wraps every substitution key in
 * `{{…}}` (so a renderer's `-name-` keys would become `{{-name-}}`), camel/snake-converts keys,
 * and copies the top-level mail `headers` into HTTP request headers. `toSendgridBody` builds the
 * exact v3 JSON from the renderer's message; sending it unchanged keeps what SendGrid merges
 * identical to what we rendered. The client is ours (a typed `@sendgrid/client` Client handed to
 * the MailService), so nothing reaches into the MailService's private fields.
 */
export function createEmailProvider(config: { sendgrid: Config['sendgrid'] }, opts: EmailProviderOptions = {}): EmailProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { MailService } = require('@sendgrid/mail') as { MailService: new () => import('@sendgrid/mail').MailService };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Client: SendgridClient } = require('@sendgrid/client') as { Client: new () => Client };
  const client = new SendgridClient();
  const mail = new MailService();
  mail.setClient(client);
  mail.setApiKey(config.sendgrid.apiKey);
  // setApiKey resets the base URL, so this must come after it.
  if (config.sendgrid.baseUrl) client.setDefaultRequest('baseUrl', withSlash(config.sendgrid.baseUrl));
  const maxSockets = opts.maxSockets ?? 16;
  client.setDefaultRequest('httpsAgent', new https.Agent({ keepAlive: true, maxSockets }));
  // The client hands its default request to axios as it is; its type lists neither axios'
  // `timeout` nor `httpAgent` (the loopback emulators are plain http), so they are added here.
  const axiosDefaults: Partial<ClientRequest> & { timeout: number; httpAgent: http.Agent } = {
    timeout: opts.timeoutMs ?? 30_000,
    httpAgent: new http.Agent({ keepAlive: true, maxSockets }),
  };
  client.setDefaultRequest(axiosDefaults as ClientRequest);
  const now = opts.now ?? Date.now;
  const defaultRetry = opts.defaultRetryAfterMs ?? 1000;

  async function sendBody(body: SendgridMailBody): Promise<EmailSendResult> {
    let response: ClientResponse;
    try {
      [response] = await client.request({ method: 'POST', url: '/v3/mail/send', body });
    } catch (err) {
      throw classifySendgridError(err, now(), defaultRetry);
    }
    const messageId = header(response.headers, 'x-message-id');
    if (!messageId && response.statusCode !== 200) {
      throw new ProviderError({ provider: 'sendgrid', kind: 'transient', status: response.statusCode,
        message: `SendGrid answered ${response.statusCode} without X-Message-Id` });
    }
    return { messageId: messageId ?? '', statusCode: response.statusCode };
  }
  return { sendBody, send: (message) => sendBody(toSendgridBody(message)) };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** A response header from axios' headers (an AxiosHeaders with get(), or a plain object). */
function header(headers: unknown, name: string): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  const h = headers as { get?: (n: string) => unknown } & Record<string, unknown>;
  const v = typeof h.get === 'function' ? h.get(name) : h[name] ?? h[name.toLowerCase()];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? String(v[0]) : String(v);
}

/**
 * THE table of SendGrid answers: what each means for the campaign (PROVIDERS.md "Failure classes",
 * SendGrid's v3 mail/send error reference). Read top to bottom; the first row that matches wins.
 * Per-recipient outcomes of accepted mail (bounce, dropped, spam report) arrive later as events.
 */
export const SENDGRID_FAILURES: readonly { when: string; test: (status: number, errors: ProviderErrorDetail[]) => boolean; failureClass: FailureClass }[] = [
  // Bad, expired, revoked or rotated key.
  { when: '401', test: (s) => s === 401, failureClass: 'account' },
  // Key without the mail.send scope, suspended account, or a from address that is not a verified Sender Identity.
  { when: '403', test: (s) => s === 403, failureClass: 'account' },
  { when: '429', test: (s) => s === 429, failureClass: 'transient' },
  { when: '5xx', test: (s) => s >= 500, failureClass: 'transient' },
  // 400 whose every error names a recipient's address (personalizations.N.to.M.email): those members only.
  { when: '400 recipient address', test: (s, e) => s === 400 && e.length > 0 && e.every((x) => RECIPIENT_FIELD.test(x.field ?? '')), failureClass: 'recipient' },
  // Any other 400 names a field of OUR body (from, content, headers…), 413 is too large, other 4xx: our side.
  { when: 'other 4xx', test: () => true, failureClass: 'request' },
];
const RECIPIENT_FIELD = /^personalizations\.(\d+)\.(?:to|cc|bcc)\.\d+\.email$/;

/** Network errors after which the request may have reached SendGrid (no answer, body sent or sending). */
const MAYBE_SENT_CODES = new Set(['ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'ESOCKETTIMEDOUT', 'ERR_SOCKET_CONNECTION_TIMEOUT']);

/** Turns what `@sendgrid/client` throws (ResponseError, axios/network errors) into a ProviderError. */
export function classifySendgridError(err: any, nowMs = Date.now(), defaultRetryAfterMs = 1000): ProviderError {
  const status: number | undefined = typeof err?.code === 'number' ? err.code : undefined;
  if (status !== undefined && err.response) {
    const body = err.response.body;
    const errors: ProviderErrorDetail[] = Array.isArray(body?.errors)
      ? body.errors.map((e: any) => ({ message: String(e?.message ?? ''), field: e?.field ?? null, help: e?.help ?? null }))
      : [];
    const first = errors[0]?.message;
    const message = `SendGrid ${status}${first ? `: ${first}` : ''}`;
    const failureClass = SENDGRID_FAILURES.find((r) => r.test(status, errors))!.failureClass;
    const base = { provider: 'sendgrid' as const, status, errors, message, cause: err, failureClass };
    if (status === 429) {
      const reset = Number(header(err.response.headers, 'x-ratelimit-reset'));
      const retryAfter = Number(header(err.response.headers, 'retry-after'));
      let retryAfterMs = defaultRetryAfterMs;
      if (Number.isFinite(reset) && reset > 0) retryAfterMs = Math.max(0, reset * 1000 - nowMs);
      else if (Number.isFinite(retryAfter) && retryAfter >= 0) retryAfterMs = retryAfter * 1000;
      return new ProviderError({ ...base, kind: 'rate_limited', retryAfterMs });
    }
    if (failureClass === 'transient') return new ProviderError({ ...base, kind: 'transient' });
    const recipientIndexes = failureClass === 'recipient'
      ? [...new Set(errors.map((e) => Number(RECIPIENT_FIELD.exec(e.field ?? '')![1])))].sort((a, b) => a - b) : null;
    return new ProviderError({ ...base, kind: 'rejected', recipientIndexes });
  }
  // axios errors without a response: ECONNREFUSED (never reached SendGrid), ECONNRESET / timeouts (may have).
  const code = typeof err?.code === 'string' ? err.code : 'network error';
  const maybe = MAYBE_SENT_CODES.has(code) || /socket hang up|timeout/i.test(String(err?.message ?? ''));
  return new ProviderError({ provider: 'sendgrid', kind: 'transient', failureClass: 'transient', mayHaveBeenAccepted: maybe,
    message: `SendGrid request failed: ${code} ${err?.message ?? ''}`.trim(), cause: err });
}
