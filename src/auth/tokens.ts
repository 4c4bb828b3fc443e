import crypto from 'node:crypto';
import type { Db, Queryable } from '../db';
import { staffFromRow, type Staff } from './staff';
import { staffAccessSql } from './access';
import { endLapsedAccess } from './lifecycle';

const PREFIX = 'bst_';

/** Tokens are 256 random bits; a plain SHA-256 of such a token is enough to store it safely. */
export function hashToken(token: string): Buffer {
  return crypto.createHash('sha256').update(token).digest();
}

export async function createApiToken(db: Queryable, staffUserId: number, name: string): Promise<{ id: number; token: string }> {
  const token = PREFIX + crypto.randomBytes(32).toString('base64url');
  const { rows } = await db.query('INSERT INTO api_tokens (staff_user_id, name, token_hash) VALUES ($1, $2, $3) RETURNING id', [staffUserId, name, hashToken(token)]);
  return { id: rows[0].id, token };
}

export async function staffForToken(db: Db, token: string): Promise<Staff | null> {
  if (!token.startsWith(PREFIX) || token.length > 200) return null;
  const row = await db.one(
    `UPDATE api_tokens t SET last_used_at = now()
       FROM staff_users u
      WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.staff_user_id AND ${staffAccessSql('u')}
      RETURNING u.id, u.email, u.name, u.role, u.member_id`,
    [hashToken(token)],
  );
  if (row) return staffFromRow(row);
  // A live token of a user who may no longer act (disabled, tillitsverv ended, member resigned): end it now.
  const lapsed = await db.one('SELECT staff_user_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL', [hashToken(token)]);
  if (lapsed) await endLapsedAccess(db, lapsed.staff_user_id);
  return null;
}

export async function createStaffUser(db: Queryable, u: { email: string; name: string; role: string; memberId?: number | null; passwordHash?: string | null }): Promise<Staff> {
  const { rows } = await db.query(
    `INSERT INTO staff_users (email, name, role, member_id, password_hash) VALUES (lower($1), $2, $3, $4, $5)
     RETURNING id, email, name, role, member_id`,
    [u.email, u.name, u.role, u.memberId ?? null, u.passwordHash ?? null],
  );
  return staffFromRow(rows[0]);
}
