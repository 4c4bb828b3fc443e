import crypto from 'node:crypto';
import type { Hub } from '../hub';

/**
 * Sign-in throttling with growing delays (OWASP ASVS 2.2.1), kept in PostgreSQL so every API
 * process sees the same counters. Three keys per attempt:
 *  - the normalised email (any address): 10 free failures, then a delay doubling from 1 s and
 *    capped at one minute, so a stranger hammering someone's address slows them down but can
 *    never lock them out for long;
 *  - the email from this client address: 3 free failures, then doubling up to 15 minutes (a
 *    guesser from one address is slowed hard; the real user elsewhere is not);
 *  - the client address: 30 free failures across all emails, then doubling up to 15 minutes.
 * While a delay runs, an attempt is refused (429 with Retry-After) without checking the password
 * and without counting. A successful sign-in resets its email counters (not the address's: a
 * guesser with one valid account of their own must not reset it). Counters older than
 * COUNTER_LIFETIME_MS start again.
 *
 * The second step of a sign-in (a TOTP or recovery code, src/web/two-factor-pages.ts) is throttled
 * the same way on counters of its own (`step: 'code'`), keyed on the user's email and the address:
 * a guesser who has the password still gets a handful of codes a minute at most.
 */
export const THROTTLE = {
  email: { free: 10, capMs: 60_000 },
  pair: { free: 3, capMs: 15 * 60_000 },
  ip: { free: 30, capMs: 15 * 60_000 },
  counterLifetimeMs: 60 * 60_000,
  maxEmailLength: 254,
} as const;

type Kind = 'email' | 'pair' | 'ip';
/** Which step of the sign-in the counters are for: the password, or the second factor's code. */
export type Step = 'password' | 'code';

/**
 * The email as a throttle key and as sign-in input: trimmed, NFC, lower-cased; null when empty or
 * longer than an email address can be (checked BEFORE it is used as a key, so padding the address
 * cannot make a fresh counter per attempt).
 */
export function normaliseEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  if (raw.length > THROTTLE.maxEmailLength * 4) return null;
  const e = raw.normalize('NFC').trim().toLowerCase();
  if (!e || e.length > THROTTLE.maxEmailLength) return null;
  return e;
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

function keysFor(email: string | null, ip: string, step: Step): { kind: Kind; key: string }[] {
  const p = step === 'code' ? 'code:' : '';
  const keys: { kind: Kind; key: string }[] = [{ kind: 'ip', key: `${p}ip:${ip.slice(0, 60)}` }];
  if (email) {
    keys.push({ kind: 'email', key: `${p}email:${sha(email)}` });
    keys.push({ kind: 'pair', key: `${p}pair:${sha(`${email}\n${ip}`)}` });
  }
  return keys;
}

/** How long after the last failure the next attempt must wait, for `failures` failures of a kind. */
export function delayMs(kind: Kind, failures: number): number {
  const rule = THROTTLE[kind];
  if (failures < rule.free) return 0;
  return Math.min(rule.capMs, 1000 * 2 ** Math.min(30, failures - rule.free));
}

/** Milliseconds this attempt must still wait (0: go ahead). */
export async function throttleWait(hub: Hub, email: string | null, ip: string, step: Step = 'password'): Promise<number> {
  const keys = keysFor(email, ip, step);
  const rows = await hub.db.many('SELECT key, failures, last_failure_at FROM login_throttle WHERE key = ANY($1::text[])', [keys.map((k) => k.key)]);
  const now = hub.clock.now().getTime();
  let wait = 0;
  for (const r of rows) {
    const kind = keys.find((k) => k.key === r.key)!.kind;
    const last = new Date(r.last_failure_at).getTime();
    if (now - last > THROTTLE.counterLifetimeMs) continue;
    wait = Math.max(wait, last + delayMs(kind, r.failures) - now);
  }
  return Math.max(0, wait);
}

/** Counts a failed attempt on all its keys. */
export async function recordFailure(hub: Hub, email: string | null, ip: string, step: Step = 'password'): Promise<void> {
  const keys = keysFor(email, ip, step).map((k) => k.key);
  const now = hub.clock.now();
  await hub.db.query(
    `INSERT INTO login_throttle (key, failures, last_failure_at) SELECT k, 1, $2 FROM unnest($1::text[]) k
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN login_throttle.last_failure_at < $3 THEN 1 ELSE login_throttle.failures + 1 END,
       last_failure_at = $2`,
    [keys, now, new Date(now.getTime() - THROTTLE.counterLifetimeMs)],
  );
  // Opportunistic clean-up of counters nobody needs any more.
  await hub.db.query('DELETE FROM login_throttle WHERE last_failure_at < $1', [new Date(now.getTime() - 2 * THROTTLE.counterLifetimeMs)]);
}

/** A successful sign-in resets the counters of its email (everywhere and from this address). */
export async function recordSuccess(hub: Hub, email: string, ip: string, step: Step = 'password'): Promise<void> {
  const keys = keysFor(email, ip, step).filter((k) => k.kind !== 'ip').map((k) => k.key);
  await hub.db.query('DELETE FROM login_throttle WHERE key = ANY($1::text[])', [keys]);
}
