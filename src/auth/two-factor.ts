import crypto from 'node:crypto';
import argon2 from 'argon2';
import type { Hub } from '../hub';
import type { Config } from '../config';
import type { Queryable } from '../db';
import { audit } from '../audit';
import type { Role, Staff } from './staff';
import { endCredentials } from './lifecycle';
import { TOTP_PERIOD, newTotpSecret, totpStep, totpUri } from './totp';

/**
 * Two-factor sign-in for staff (issue 13): TOTP (RFC 6238, ./totp.ts), and ten one-time recovery codes. This module owns
 * the writes of staff_totp and staff_recovery_codes.
 *
 * - The TOTP secret is encrypted at rest (AES-256-GCM) with a key from TOTP_ENCRYPTION_KEYS, not
 *   hashed: the server must be able to compute codes. A stolen database copy without the key
 *   computes none.
 * - Recovery codes have 50 random bits each and are stored only as argon2id hashes.
 * - A code is accepted one step either side of now (clock drift) and only for a time step later
 *   than the last accepted one, so a code seen over someone's shoulder cannot be used again.
 * - "Now" is hub.clock, so tests move time instead of waiting for it.
 */

const ISSUER = 'Budstikke';
const RECOVERY_CODES = 10;
const RECOVERY_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz'; // no 0/o, 1/l/i: read aloud and typed by hand
const ARGON2_OPTS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function twoFactorRequired(config: Config, role: Role): boolean {
  return config.staff2faRequired.includes(role);
}

// --- the secret at rest -------------------------------------------------------------------

function keyBytes(secret: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', secret, Buffer.alloc(0), 'budstikke totp secret v1', 32));
}

/** `kid.iv.tag.ciphertext` (base64url), encrypted with the first key; the user id is bound in as associated data. */
export function encryptSecret(config: Config, userId: number, secret: string): string {
  const { kid, secret: k } = config.totpEncryptionKeys[0];
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', keyBytes(k), iv);
  c.setAAD(Buffer.from(`staff:${userId}`));
  const ct = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
  return [kid, iv.toString('base64url'), c.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
}

export function decryptSecret(config: Config, userId: number, stored: string): string {
  const [kid, iv, tag, ct] = stored.split('.');
  const key = config.totpEncryptionKeys.find((k) => k.kid === kid);
  if (!key) throw new Error(`no TOTP_ENCRYPTION_KEYS entry with kid ${kid}`);
  const d = crypto.createDecipheriv('aes-256-gcm', keyBytes(key.secret), Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(`staff:${userId}`));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
}

// --- state --------------------------------------------------------------------------------

export interface TwoFactorStatus { enrolled: boolean; enrolledAt: Date | null; recoveryCodesLeft: number }

export async function twoFactorStatus(db: Queryable, userId: number): Promise<TwoFactorStatus> {
  const r = (await db.query(
    `SELECT t.confirmed_at, (SELECT count(*)::int FROM staff_recovery_codes c WHERE c.staff_user_id = $1 AND c.used_at IS NULL) AS left
       FROM staff_totp t WHERE t.staff_user_id = $1`, [userId])).rows[0];
  return { enrolled: !!r?.confirmed_at, enrolledAt: r?.confirmed_at ?? null, recoveryCodesLeft: r?.confirmed_at ? r.left : 0 };
}

function nowStep(hub: Hub): { epoch: number; step: number } {
  const epoch = Math.floor(hub.clock.now().getTime() / 1000);
  return { epoch, step: Math.floor(epoch / TOTP_PERIOD) };
}

/** The time step a code belongs to (within one step of now), or null when it is not right. */
function matchStep(hub: Hub, secret: string, code: string, afterStep: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  return totpStep(secret, code, nowStep(hub).epoch, afterStep);
}

/**
 * The enrolment waiting for its first code: the same secret on every visit until it is
 * confirmed (so a QR code already scanned stays good), a new one when there is none.
 */
export async function pendingEnrolment(hub: Hub, staff: Staff): Promise<{ secret: string; uri: string } | null> {
  const row = await hub.db.one('SELECT secret_enc, confirmed_at FROM staff_totp WHERE staff_user_id = $1', [staff.id]);
  if (row?.confirmed_at) return null;
  let secret: string;
  if (row) secret = decryptSecret(hub.config, staff.id, row.secret_enc);
  else {
    secret = newTotpSecret();
    await hub.db.query(
      `INSERT INTO staff_totp (staff_user_id, secret_enc) VALUES ($1, $2)
       ON CONFLICT (staff_user_id) DO NOTHING`, [staff.id, encryptSecret(hub.config, staff.id, secret)]);
    // Two first visits at once: keep whichever secret was stored first.
    const stored = await hub.db.one('SELECT secret_enc, confirmed_at FROM staff_totp WHERE staff_user_id = $1', [staff.id]);
    if (!stored || stored.confirmed_at) return null;
    secret = decryptSecret(hub.config, staff.id, stored.secret_enc);
  }
  return { secret, uri: totpUri(ISSUER, staff.email, secret) };
}

function newRecoveryCode(): string {
  const bytes = crypto.randomBytes(10);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

async function replaceRecoveryCodes(db: Queryable, userId: number): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
  const hashes = await Promise.all(codes.map((c) => argon2.hash(normaliseRecovery(c), ARGON2_OPTS)));
  await db.query('DELETE FROM staff_recovery_codes WHERE staff_user_id = $1', [userId]);
  await db.query('INSERT INTO staff_recovery_codes (staff_user_id, code_hash) SELECT $1, h FROM unnest($2::text[]) h', [userId, hashes]);
  return codes;
}

/**
 * Confirms the pending enrolment with its first code. Returns the ten recovery codes (to be shown
 * once, never stored in the clear), or null when the code is not right.
 */
export async function confirmEnrolment(hub: Hub, staff: Staff, code: string): Promise<string[] | null> {
  const row = await hub.db.one('SELECT secret_enc FROM staff_totp WHERE staff_user_id = $1 AND confirmed_at IS NULL', [staff.id]);
  if (!row) return null;
  const step = matchStep(hub, decryptSecret(hub.config, staff.id, row.secret_enc), code.replace(/\s+/g, ''), 0);
  if (step === null) {
    await audit(hub.db, { staff, action: 'twofactor.failed', detail: { userId: staff.id, stage: 'enrol', reason: 'wrong_code' } });
    return null;
  }
  return hub.db.tx(async (c) => {
    const done = await c.query('UPDATE staff_totp SET confirmed_at = $2, last_step = $3 WHERE staff_user_id = $1 AND confirmed_at IS NULL',
      [staff.id, hub.clock.now(), step]);
    if (!done.rowCount) return null; // a double submit: the first one enrolled
    const codes = await replaceRecoveryCodes(c, staff.id);
    await audit(c, { staff, action: 'twofactor.enrol', detail: { userId: staff.id, recoveryCodes: codes.length } });
    return codes;
  });
}

/**
 * Enrols a user with a given secret, confirmed at once: the demo seed's fixed demo-only secret
 * and the test fixtures. Never reachable from a request.
 */
export async function enrolWithSecret(hub: Hub, staff: Staff, secret: string, o: { actor?: string } = {}): Promise<string[]> {
  return hub.db.tx(async (c) => {
    await c.query(
      `INSERT INTO staff_totp (staff_user_id, secret_enc, confirmed_at, last_step) VALUES ($1, $2, $3, 0)
       ON CONFLICT (staff_user_id) DO UPDATE SET secret_enc = EXCLUDED.secret_enc, confirmed_at = EXCLUDED.confirmed_at, last_step = 0`,
      [staff.id, encryptSecret(hub.config, staff.id, secret), hub.clock.now()]);
    const codes = await replaceRecoveryCodes(c, staff.id);
    await audit(c, { staff: null, actor: o.actor ?? 'system', action: 'twofactor.enrol', detail: { userId: staff.id, recoveryCodes: codes.length } });
    return codes;
  });
}

function normaliseRecovery(code: string): string {
  return code.toLowerCase().replace(/[\s-]+/g, '');
}

export type SecondFactorResult = 'totp' | 'recovery' | 'replay' | 'wrong';

/**
 * Checks the second step of a sign-in: a 6-digit code, or one of the recovery codes (used up by
 * this). A code of a time step already used is 'replay'. Failures and recovery-code use are audited.
 */
export async function verifySecondFactor(hub: Hub, staff: Staff, input: string): Promise<SecondFactorResult> {
  const result = await check(hub, staff, input.trim().slice(0, 40));
  if (result === 'replay' || result === 'wrong') {
    await audit(hub.db, { staff, action: 'twofactor.failed', detail: { userId: staff.id, stage: 'sign_in', reason: result === 'replay' ? 'replayed_code' : 'wrong_code' } });
  }
  return result;
}

async function check(hub: Hub, staff: Staff, input: string): Promise<SecondFactorResult> {
  const row = await hub.db.one('SELECT secret_enc, last_step FROM staff_totp WHERE staff_user_id = $1 AND confirmed_at IS NOT NULL', [staff.id]);
  if (!row) return 'wrong';
  const code = input.replace(/\s+/g, '');
  if (/^\d{6}$/.test(code)) {
    const secret = decryptSecret(hub.config, staff.id, row.secret_enc);
    const step = matchStep(hub, secret, code, Number(row.last_step));
    if (step === null) return matchStep(hub, secret, code, 0) === null ? 'wrong' : 'replay';
    // Compare-and-set: of two sign-ins racing with the same code, one wins.
    const won = await hub.db.query('UPDATE staff_totp SET last_step = $2 WHERE staff_user_id = $1 AND last_step < $2', [staff.id, step]);
    return won.rowCount ? 'totp' : 'replay';
  }
  const wanted = normaliseRecovery(code);
  if (!/^[a-z0-9]{10}$/.test(wanted)) return 'wrong';
  const unused = await hub.db.many('SELECT id, code_hash FROM staff_recovery_codes WHERE staff_user_id = $1 AND used_at IS NULL ORDER BY id', [staff.id]);
  for (const r of unused) {
    if (!(await argon2.verify(r.code_hash, wanted).catch(() => false))) continue;
    const spent = await hub.db.query('UPDATE staff_recovery_codes SET used_at = $2 WHERE id = $1 AND used_at IS NULL', [r.id, hub.clock.now()]);
    if (!spent.rowCount) return 'replay';
    await audit(hub.db, { staff, action: 'twofactor.recovery_used', detail: { userId: staff.id, recoveryCodesLeft: unused.length - 1 } });
    return 'recovery';
  }
  return 'wrong';
}

/**
 * An admin's reset (a lost phone): the authenticator and recovery codes are removed and the
 * user's web sessions end, so they sign in again and, where their role needs it, enrol anew.
 * API tokens stay: they were made by a signed-in user and are revoked separately.
 */
export async function resetTwoFactor(db: Queryable, actor: Staff, userId: number): Promise<{ removed: boolean; sessions: number }> {
  const removed = ((await db.query('DELETE FROM staff_totp WHERE staff_user_id = $1', [userId])).rowCount ?? 0) > 0;
  await db.query('DELETE FROM staff_recovery_codes WHERE staff_user_id = $1', [userId]);
  const { sessions } = await endCredentials(db, userId, { tokens: false });
  await audit(db, { staff: actor, action: 'twofactor.reset', detail: { userId, removed, sessions } });
  return { removed, sessions };
}
