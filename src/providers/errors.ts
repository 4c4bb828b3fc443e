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

/**
 * What an answer means for the campaign (PROVIDERS.md, "Failure classes"); each adapter decides
 * it in ONE table (`SENDGRID_FAILURES` in email.ts, `TWILIO_FAILURES` in sms.ts):
 *
 * - `recipient`: about these members only (invalid address, STOP, not a mobile): their rows fail,
 *   with suppression where `suppress` says, and fall back to the campaign's next channel.
 * - `account`: about us (bad/revoked/under-scoped key, unverified sender, a Messaging Service that
 *   cannot send): every request fails the same way until someone fixes it → the channel halts.
 * - `request`: our request as we built it is refused (a SendGrid 400 naming a field of ours, 413,
 *   an unknown 4xx): a bug or a setting on our side → the channel halts too, never member failures.
 * - `transient`: 429, 5xx, timeouts, lost connections → retried with backoff; when the attempts
 *   run out, the channel halts (`retries_exhausted`).
 */
export type FailureClass = 'recipient' | 'account' | 'request' | 'transient';

/** Suppression a recipient-class refusal calls for. */
export type SuppressionReason = 'invalid_number' | 'carrier_opt_out';

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
  /** What this answer means for the campaign (see FailureClass). */
  readonly failureClass: FailureClass;
  /**
   * True when the request may have been accepted although we got no answer (a timeout, a
   * connection reset after the body left): the rows stay `sending` and a re-run treats them as
   * in doubt. False when the provider answered (any status) or the connection never opened.
   */
  readonly mayHaveBeenAccepted: boolean;
  /** For `recipient`: the suppression to record for the address, if any. */
  readonly suppress: SuppressionReason | null;
  /**
   * For a SendGrid `recipient` refusal of a whole request: the personalization indexes it names
   * (`personalizations.3.to.0.email`); the other personalizations of the request were not refused.
   */
  readonly recipientIndexes: number[] | null;

  constructor(init: {
    provider: 'sendgrid' | 'twilio';
    kind: ProviderErrorKind;
    message: string;
    status?: number | null;
    code?: number | null;
    retryAfterMs?: number | null;
    errors?: ProviderErrorDetail[];
    cause?: unknown;
    failureClass?: FailureClass;
    mayHaveBeenAccepted?: boolean;
    suppress?: SuppressionReason | null;
    recipientIndexes?: number[] | null;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.provider = init.provider;
    this.kind = init.kind;
    this.status = init.status ?? null;
    this.code = init.code ?? null;
    this.retryAfterMs = init.retryAfterMs ?? null;
    this.errors = init.errors ?? [];
    this.failureClass = init.failureClass
      ?? (init.kind === 'rate_limited' || init.kind === 'transient' ? 'transient' : init.kind === 'rejected' ? 'request' : 'recipient');
    this.mayHaveBeenAccepted = init.mayHaveBeenAccepted ?? false;
    this.suppress = init.suppress ?? null;
    this.recipientIndexes = init.recipientIndexes ?? null;
  }

  /** True for `rate_limited` and `transient`: the same request may be sent again later. */
  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'transient';
  }

  /** True for the per-recipient outcomes that should trigger fallback, never a retry. */
  get recipientPermanent(): boolean {
    return this.failureClass === 'recipient';
  }

  toJSON() {
    return { name: this.name, provider: this.provider, kind: this.kind, message: this.message, status: this.status,
      code: this.code, retryAfterMs: this.retryAfterMs, errors: this.errors, failureClass: this.failureClass,
      mayHaveBeenAccepted: this.mayHaveBeenAccepted, suppress: this.suppress, recipientIndexes: this.recipientIndexes };
  }
}

export function isProviderError(err: unknown): err is ProviderError {
  return err instanceof ProviderError;
}
