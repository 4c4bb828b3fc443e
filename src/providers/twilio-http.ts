import type { IncomingHttpHeaders } from 'node:http';
import { Agent, type Dispatcher } from 'undici';

/**
 * The HTTP client the `twilio` SDK sends through (its documented `httpClient` option): undici's
 * Agent, keep-alive, at most `maxSockets` connections per origin.
 *
 * Why not the SDK's own RequestClient: it goes through axios on node:http, and in
 * `bench/sms.ts`'s CPU profile axios (config merging, header normalisation, stream plumbing) and
 * node:http's ClientRequest/Agent machinery were more than half of the client's CPU per message
 * (463 µs → 237 µs with node:http alone, → ~120 µs with undici; commands in bench/RESULTS.md).
 * The SDK still builds the request (parameter names, Basic auth user/password, User-Agent),
 * parses the answer into a MessageInstance and raises RestException for 4xx/5xx: this class only
 * moves bytes. Contract (twilio/lib/base/RequestClient): `request(opts)` resolves
 * `{ statusCode, body, headers }` for every HTTP status and rejects only on network errors (an
 * Error with a string `code`: ECONNREFUSED, UND_ERR_SOCKET, UND_ERR_HEADERS_TIMEOUT…), which the
 * adapter classifies as transient. A POST is never retried here: a dropped connection after
 * Twilio accepted is the in-doubt case the send path decides about, not this client.
 */
export interface TwilioRequestOpts {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  authStrategy?: { getAuthString(): Promise<string> };
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
  timeout?: number;
}

export interface TwilioHttpResponse { statusCode: number; body: string; headers: IncomingHttpHeaders }

export interface TwilioHttpClientOptions { maxSockets: number; timeoutMs: number }

/** `application/x-www-form-urlencoded` as the SDK's qs `arrayFormat: 'repeat'` writes it (arrays as repeated keys). */
export function formEncode(data: Record<string, unknown>): string {
  const form = new URLSearchParams();
  for (const key of Object.keys(data)) {
    const v = data[key];
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const item of v) form.append(key, String(item));
    else form.append(key, String(v));
  }
  return form.toString();
}

export class TwilioHttpClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  /** Basic credentials are the same on every call: encode them once per pair. */
  private authKey = '';
  private authValue = '';
  /** Shape of the SDK's RequestClient (read for debugging only). */
  lastResponse: TwilioHttpResponse | undefined;
  lastRequest: { method: string; url: string } | undefined;

  constructor(opts: TwilioHttpClientOptions) {
    this.agent = new Agent({ connections: opts.maxSockets, keepAliveTimeout: 60_000, headersTimeout: opts.timeoutMs, bodyTimeout: opts.timeoutMs });
    this.timeoutMs = opts.timeoutMs;
  }

  private basic(username: string, password: string): string {
    const key = `${username}:${password}`;
    if (key !== this.authKey) { this.authKey = key; this.authValue = `Basic ${Buffer.from(key).toString('base64')}`; }
    return this.authValue;
  }

  async request(opts: TwilioRequestOpts): Promise<TwilioHttpResponse> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      // undici manages the connection itself and refuses a Connection header.
      if (k.toLowerCase() !== 'connection') headers[k] = v;
    }
    if (opts.username && opts.password) headers.Authorization = this.basic(opts.username, opts.password);
    else if (opts.authStrategy) headers.Authorization = await opts.authStrategy.getAuthString();
    const url = new URL(opts.uri);
    if (opts.params) for (const [k, v] of new URLSearchParams(formEncode(opts.params))) url.searchParams.append(k, v);
    let body: string | undefined;
    if (opts.data) body = headers['Content-Type'] === 'application/json' ? JSON.stringify(opts.data) : formEncode(opts.data);
    const method = opts.method.toUpperCase() as Dispatcher.HttpMethod;
    this.lastRequest = { method, url: url.href };
    const timeout = opts.timeout ?? this.timeoutMs;
    const res = await this.agent.request({ origin: url.origin, path: `${url.pathname}${url.search}`, method, headers, body,
      headersTimeout: timeout, bodyTimeout: timeout });
    const r: TwilioHttpResponse = { statusCode: res.statusCode, body: await res.body.text(), headers: res.headers as IncomingHttpHeaders };
    this.lastResponse = r;
    return r;
  }

  /** Closes the kept-alive connections. */
  close(): Promise<void> {
    return this.agent.close();
  }
}
