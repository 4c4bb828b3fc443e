import type { Queryable } from '../db';
import { audit } from '../audit';
import { staffAccessSql } from './access';

/**
 * Ending a staff user's credentials: their API tokens (revoked, kept for the record) and web
 * sessions (deleted). Everything that ends access — disabling, a role change, a lapsed
 * tillitsverv, a password change — goes through here, so no path forgets one of the two.
 */
export async function endCredentials(db: Queryable, userId: number, o: { tokens?: boolean; sessions?: boolean; exceptSessionHash?: Buffer | null } = {}):
  Promise<{ tokens: number; sessions: number }> {
  let tokens = 0;
  let sessions = 0;
  if (o.tokens ?? true) {
    tokens = (await db.query('UPDATE api_tokens SET revoked_at = now() WHERE staff_user_id = $1 AND revoked_at IS NULL', [userId])).rowCount ?? 0;
  }
  if (o.sessions ?? true) {
    sessions = (await db.query('DELETE FROM web_sessions WHERE staff_user_id = $1 AND ($2::bytea IS NULL OR id_hash <> $2::bytea)',
      [userId, o.exceptSessionHash ?? null])).rowCount ?? 0;
  }
  return { tokens, sessions };
}

/**
 * Called when a credential was presented for a user who may no longer act (see staffAccessSql):
 * their remaining tokens and sessions end now, so they do not come back to life if, say, the
 * member is re-registered as active. Returns whether anything was ended.
 */
export async function endLapsedAccess(db: Queryable, userId: number): Promise<boolean> {
  const u = await db.query(`SELECT 1 FROM staff_users u WHERE u.id = $1 AND NOT ${staffAccessSql('u')}`, [userId]);
  if (!u.rowCount) return false;
  const ended = await endCredentials(db, userId);
  if (ended.tokens || ended.sessions) {
    await audit(db, { staff: null, action: 'access.lapsed', detail: { userId, tokens: ended.tokens, sessions: ended.sessions } });
  }
  return true;
}
