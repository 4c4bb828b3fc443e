/**
 * The one error type the provider adapters throw. Workers decide on `kind` alone:
 *
 * - `rate_limited`: the provider said 429 (SendGrid 429, Twilio 429/20429). Nothing was sent;
 *   retry the whole request after `retryAfterMs`.
 * - `transient`: 5xx, timeout or network failure. Nothing known to be sent; retry with backoff
 *   (a timeout may hide an accepted request: the provider may have sent it).
 * - `rejected`: any other 4xx. Permanent for this request as it stands; do not retry. `errors`
 *   carries the provider's error list (SendGrid `{message, field, help}`).
 * - `opted_out` (Twilio 21610): the recipient replied STOP to our sender. Permanent per recipient.
 * - `invalid_number` (Twilio 21211 and the other invalid-`To` codes): permanent per recipient.
 */
export type ProviderErrorKind = 'rate_limited' | 'transient' | 'rejected' | 'opted_out' | 'invalid_number';

export interface ProviderErrorDetail {
  message: string;
  field?: string | null;
  help?: string | null;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly provider: 'sendgrid' | 'twilio';
  readonly kind: ProviderErrorKind;
  /** HTTP status, or null for network failures. */
  readonly status: number | null;
  /** Twilio error code (21610, 21211, 20429…), or null. */
  readonly code: number | null;
  /** For `rate_limited`: how long to wait before retrying, in ms (≥ 0). Null otherwise. */
  readonly retryAfterMs: number | null;
  /** The provider's error list (SendGrid `errors[]`, Twilio `{message}`); empty for network errors. */
  readonly errors: ProviderErrorDetail[];

  constructor(init: {
    provider: 'sendgrid' | 'twilio';
    kind: ProviderErrorKind;
    message: string;
    status?: number | null;
    code?: number | null;
    retryAfterMs?: number | null;
    errors?: ProviderErrorDetail[];
    cause?: unknown;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.provider = init.provider;
    this.kind = init.kind;
    this.status = init.status ?? null;
    this.code = init.code ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.errors = init.errors ?? [];
  }

  /** True for `rate_limited` and `transient`: the same request may be sent again later. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'transient';
  }

  /** True for the per-recipient outcomes that should trigger fallback, never a retry. */
  get recipientPermanent(): boolean {
    return this.kind === 'opted_out' || this.kind === 'invalid_number';
  }

  toJSON() {
    return { name: this.name, provider: this.provider, kind: this.kind, message: this.message, status: this.status,
      code: this.code, retryAfterMs: this.retryAfterMs, errors: this.errors };
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return err instanceof ProviderError;
}
