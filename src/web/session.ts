import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import argon2 from 'argon2';
import type { Hub } from '../hub';
import type { Db, Queryable } from '../db';
import { Problem } from '../errors';
import { endCredentials, endLapsedAccess, staffAccessSql, staffFromRow, type Staff } from '../auth';

/** Session lifetime: absolute 12 hours, idle 2 hours. */
const ABSOLUTE_MS = 12 * 3600_000;
const IDLE_MS = 2 * 3600_000;

/** argon2id with OWASP's recommended minimum (19 MiB, 2 passes, 1 lane). */
const ARGON2_OPTS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 12;

export async function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTS);
}

/**
 * Sets a staff user's password (argon2id) and ends their sessions: all of them, or all but the
 * one the user changed it from (`keepSessionHash`); their API tokens too when `endTokens`.
 * Used by the password routes, `npm run set-password` and the demo seed.
 */
export async function setPassword(db: Queryable, userId: number, password: string,
  o: { keepSessionHash?: Buffer | null; endTokens?: boolean } = {}): Promise<{ tokens: number; sessions: number }> {
  if (password.length < MIN_PASSWORD_LENGTH) throw new Error(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const hash = await hashPassword(password);
  const r = await db.query('UPDATE staff_users SET password_hash = $2, password_changed_at = now() WHERE id = $1', [userId, hash]);
  if (!r.rowCount) throw new Error(`no staff user ${userId}`);
  return endCredentials(db, userId, { tokens: o.endTokens ?? false, sessions: true, exceptSessionHash: o.keepSessionHash ?? null });
}

/** The stored hash of the request's session id (to keep that one session), or null. */
export function sessionHashOf(hub: Hub, req: Request): Buffer | null {
  const sid = unsign(hub, readCookies(req)[cookieName(hub, SESSION_COOKIE)]);
  return sid ? sha256(sid) : null;
}

let dummyHash: Promise<string> | null = null;

/** The staff user for an email and password, or null. Takes the same time whether or not the email exists. */
export async function verifyLogin(db: Db, email: string, password: string): Promise<Staff | null> {
  const row = await db.one(
    `SELECT u.id, u.email, u.name, u.role, u.member_id, u.password_hash FROM staff_users u WHERE u.email = lower($1) AND ${staffAccessSql('u')}`,
    [email.trim()],
  );
  if (!row?.password_hash) {
    dummyHash ??= hashPassword('dummy-password-for-timing');
    await argon2.verify(await dummyHash, password).catch(() => false);
    return null;
  }
  const ok = await argon2.verify(row.password_hash, password).catch(() => false);
  return ok ? staffFromRow(row) : null;
}

function sha256(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

function sign(secret: string, value: string): string {
  return crypto.createHmac('sha256', secret).update(value).digest('base64url');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function isSecure(hub: Hub): boolean {
  return hub.config.publicBaseUrl.startsWith('https:');
}

export function cookieName(hub: Hub, base: string): string {
  return isSecure(hub) ? `__Host-${base}` : base;
}

export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    if (!k || k in out) continue;
    try { out[k] = decodeURIComponent(part.slice(i + 1).trim()); } catch { /* ignore a malformed cookie */ }
  }
  return out;
}

/** A signed cookie value `value.signature`; returns the value if the signature holds. */
export function signedValue(hub: Hub, value: string): string {
  return `${value}.${sign(hub.config.sessionSecret, value)}`;
}

export function unsign(hub: Hub, cookie: string | undefined): string | null {
  if (!cookie) return null;
  const i = cookie.lastIndexOf('.');
  if (i <= 0) return null;
  const value = cookie.slice(0, i);
  return safeEqual(cookie.slice(i + 1), sign(hub.config.sessionSecret, value)) ? value : null;
}

export function setCookie(hub: Hub, res: Response, base: string, value: string, maxAgeMs?: number): void {
  res.cookie(cookieName(hub, base), value, {
    httpOnly: true,
    sameSite: 'lax',
    secure: isSecure(hub),
    path: '/',
    ...(maxAgeMs !== undefined ? { maxAge: maxAgeMs } : {}),
  });
}

export function clearCookie(hub: Hub, res: Response, base: string): void {
  res.clearCookie(cookieName(hub, base), { httpOnly: true, sameSite: 'lax', secure: isSecure(hub), path: '/' });
}

export interface Session {
  staff: Staff;
  csrf: string;
}

export const SESSION_COOKIE = 'bst_sid';

export async function createSession(hub: Hub, res: Response, staff: Staff, userAgent?: string): Promise<Session> {
  const sid = crypto.randomBytes(32).toString('base64url');
  const csrf = crypto.randomBytes(32).toString('base64url');
  const now = hub.clock.now();
  await hub.db.query(
    'INSERT INTO web_sessions (id_hash, staff_user_id, csrf_token, created_at, last_seen_at, expires_at, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6)',
    [sha256(sid), staff.id, csrf, now, new Date(now.getTime() + ABSOLUTE_MS), userAgent ? userAgent.slice(0, 200) : null],
  );
  // Opportunistic clean-up of expired sessions.
  await hub.db.query('DELETE FROM web_sessions WHERE expires_at < $1', [now]);
  setCookie(hub, res, SESSION_COOKIE, signedValue(hub, sid));
  return { staff, csrf };
}

/**
 * A session counts only while its user may be signed in without a second factor or has one: a
 * role in STAFF_2FA_REQUIRED without a confirmed authenticator (a session from before the rule,
 * or after an admin's reset) reaches nothing until enrolment is done. `param` holds the roles.
 */
function twoFactorSatisfiedSql(u: string, param: string): string {
  return `(${u}.role <> ALL(${param}::text[]) OR EXISTS (SELECT 1 FROM staff_totp tf WHERE tf.staff_user_id = ${u}.id AND tf.confirmed_at IS NOT NULL))`;
}

const CACHE = Symbol('webSession');

/** The session of a request (cached on the request), or null. */
export async function loadSession(hub: Hub, req: Request): Promise<Session | null> {
  const cached = (req as any)[CACHE] as Session | null | undefined;
  if (cached !== undefined) return cached;
  const sid = unsign(hub, readCookies(req)[cookieName(hub, SESSION_COOKIE)]);
  let session: Session | null = null;
  if (sid) {
    const now = hub.clock.now();
    const row = await hub.db.one(
      `SELECT s.csrf_token, s.last_seen_at, u.id, u.email, u.name, u.role, u.member_id
         FROM web_sessions s JOIN staff_users u ON u.id = s.staff_user_id
        WHERE s.id_hash = $1 AND s.expires_at > $2 AND s.last_seen_at > $3 AND ${staffAccessSql('u')}
          AND ${twoFactorSatisfiedSql('u', '$4')}`,
      [sha256(sid), now, new Date(now.getTime() - IDLE_MS), hub.config.staff2faRequired],
    );
    if (!row) {
      // A session of a user who may no longer act (disabled, tillitsverv ended, resigned) ends now, with their tokens.
      const lapsed = await hub.db.one('SELECT staff_user_id FROM web_sessions WHERE id_hash = $1', [sha256(sid)]);
      if (lapsed) await endLapsedAccess(hub.db, lapsed.staff_user_id);
    }
    if (row) {
      session = { staff: staffFromRow(row), csrf: row.csrf_token };
      if (now.getTime() - new Date(row.last_seen_at).getTime() > 60_000) {
        await hub.db.query('UPDATE web_sessions SET last_seen_at = $2 WHERE id_hash = $1', [sha256(sid), now]);
      }
    }
  }
  (req as any)[CACHE] = session;
  return session;
}

export async function destroySession(hub: Hub, req: Request, res: Response | null): Promise<void> {
  const sid = unsign(hub, readCookies(req)[cookieName(hub, SESSION_COOKIE)]);
  if (sid) await hub.db.query('DELETE FROM web_sessions WHERE id_hash = $1', [sha256(sid)]);
  if (res) clearCookie(hub, res, SESSION_COOKIE);
  (req as any)[CACHE] = null;
}

export function csrfMatches(session: Session, token: unknown): boolean {
  return typeof token === 'string' && safeEqual(token, session.csrf);
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The staff resolver for /api: the session cookie works like a bearer token, but a request
 * that changes something must carry the session's CSRF token in `X-CSRF-Token`.
 */
export function sessionResolver(hub: Hub, req: Request): Promise<Staff | null> {
  return (async () => {
    const session = await loadSession(hub, req);
    if (!session) return null;
    if (!SAFE.has(req.method) && !csrfMatches(session, req.headers['x-csrf-token'])) {
      throw Problem.forbidden('Skjemaet er utløpt eller kom ikke fra denne innloggingen (X-CSRF-Token mangler eller stemmer ikke). Last siden på nytt og prøv igjen.');
    }
    return session.staff;
  })();
}
