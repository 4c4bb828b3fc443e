import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { Hub } from '../hub';
import { staffAccessSql, staffFromRow, type Staff } from '../auth';
import { clearCookie, cookieName, readCookies, setCookie, signedValue, unsign } from './session';

/**
 * A sign-in half done (table web_sign_in_steps, written only here): the password was right and
 * the second step is still to come — a code (`purpose: 'code'`) or, for a role that must have
 * two-factor sign-in and has none yet, enrolment (`'enrol'`). It is not a session: no page or API
 * route accepts it, so nothing is reachable before the second step. Ten minutes to finish it.
 */
export type StepPurpose = 'code' | 'enrol';
export interface SignInStep { staff: Staff; purpose: StepPurpose; csrf: string; next: string }

const STEP_COOKIE = 'bst_step';
const STEP_MS = 10 * 60_000;

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest();

export async function startStep(hub: Hub, res: Response, staff: Staff, purpose: StepPurpose, next: string): Promise<void> {
  const id = crypto.randomBytes(32).toString('base64url');
  const now = hub.clock.now();
  await hub.db.query('DELETE FROM web_sign_in_steps WHERE expires_at < $1', [now]);
  await hub.db.query(
    `INSERT INTO web_sign_in_steps (id_hash, staff_user_id, purpose, csrf_token, next_path, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [sha256(id), staff.id, purpose, crypto.randomBytes(32).toString('base64url'), next.slice(0, 500), now, new Date(now.getTime() + STEP_MS)]);
  setCookie(hub, res, STEP_COOKIE, signedValue(hub, id), STEP_MS);
}

/** The request's unfinished sign-in, if its user may still act. */
export async function loadStep(hub: Hub, req: Request): Promise<SignInStep | null> {
  const id = unsign(hub, readCookies(req)[cookieName(hub, STEP_COOKIE)]);
  if (!id) return null;
  const row = await hub.db.one(
    `SELECT s.purpose, s.csrf_token, s.next_path, u.id, u.email, u.name, u.role, u.member_id
       FROM web_sign_in_steps s JOIN staff_users u ON u.id = s.staff_user_id
      WHERE s.id_hash = $1 AND s.expires_at > $2 AND ${staffAccessSql('u')}`,
    [sha256(id), hub.clock.now()]);
  return row ? { staff: staffFromRow(row), purpose: row.purpose, csrf: row.csrf_token, next: row.next_path } : null;
}

/** Ends the request's unfinished sign-in (done, or given up). */
export async function endStep(hub: Hub, req: Request, res: Response): Promise<void> {
  const id = unsign(hub, readCookies(req)[cookieName(hub, STEP_COOKIE)]);
  if (id) await hub.db.query('DELETE FROM web_sign_in_steps WHERE id_hash = $1', [sha256(id)]);
  clearCookie(hub, res, STEP_COOKIE);
}
