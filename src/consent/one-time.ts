import crypto from 'node:crypto';
import type { Config } from '../config';
import type { Queryable } from '../db';
import type { Channel } from './decision';

/**
 * One-time links sent to a member's own address (table member_links, migration 150):
 *  - `entry`: asked for on the public preference entry page; opens the member's preference
 *    centre once, within 30 minutes;
 *  - `confirm`: a pending opt-in grant (double opt-in); only the click on it grants.
 *
 * Token = base64url(id(8) ‖ secret(16) ‖ HMAC-SHA256(kid key, "member-link" ‖ id ‖ secret)[0..16])
 * prefixed with the kid: signed (a forged or altered token is refused before PostgreSQL is asked)
 * and single-use (consumed in one UPDATE … WHERE consumed_at IS NULL). Only sha256(secret) is stored.
 *
 * After the click the member works in a short **session**: a signed, expiring token
 * (`memberId`, how the member got in, until when) carried in the form's URL, never in a cookie.
 */
export type MemberLinkPurpose = 'entry' | 'confirm';

export const ENTRY_LINK_MINUTES = 30;
/** A confirmation may sit in an inbox for a while; a week is what members expect of "confirm your subscription". */
export const CONFIRM_LINK_HOURS = 7 * 24;
/** How long the preference centre stays open after a one-time link or a letter code was used. */
export const SESSION_MINUTES = 30;

export interface MemberLinkRow {
  id: number;
  purpose: MemberLinkPurpose;
  memberId: number;
  sentChannel: 'email' | 'sms';
  category: string | null;
  consentChannel: Channel | null;
  expiresAt: Date;
  consumedAt: Date | null;
}

const mac = (secret: string, ...parts: (string | Buffer)[]) => {
  const h = crypto.createHmac('sha256', crypto.createHmac('sha256', secret).update('budstikke member link v1').digest());
  for (const p of parts) h.update(p).update('\0');
  return h.digest();
};
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest();

function encode(config: Pick<Config, 'linkSigningKeys'>, id: number, secret: Buffer): string {
  const { kid, secret: key } = config.linkSigningKeys[0];
  const idBuf = Buffer.alloc(8);
  idBuf.writeBigUInt64BE(BigInt(id));
  const tag = mac(key, 'member-link', kid, idBuf, secret).subarray(0, 16);
  return `${kid}.${Buffer.concat([idBuf, secret, tag]).toString('base64url')}`;
}

/** The id and secret of a well-signed token, or null (no database access). */
export function decodeMemberLink(config: Pick<Config, 'linkSigningKeys'>, token: string): { id: number; secret: Buffer } | null {
  if (typeof token !== 'string' || token.length > 100) return null;
  const m = /^([A-Za-z0-9_-]{1,40})\.([A-Za-z0-9_-]{54})$/.exec(token);
  if (!m) return null;
  const key = config.linkSigningKeys.find((k) => k.kid === m[1]);
  if (!key) return null;
  const raw = Buffer.from(m[2], 'base64url');
  if (raw.length !== 40) return null;
  const idBuf = raw.subarray(0, 8);
  const secret = raw.subarray(8, 24);
  const want = mac(key.secret, 'member-link', m[1], idBuf, secret).subarray(0, 16);
  if (!crypto.timingSafeEqual(want, raw.subarray(24))) return null;
  const id = idBuf.readBigUInt64BE();
  if (id < 1n || id > BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return { id: Number(id), secret: Buffer.from(secret) };
}

/** Creates a link row and returns its token (to be sent to the member's address). */
export async function createMemberLink(db: Queryable, config: Pick<Config, 'linkSigningKeys'>, l: {
  purpose: MemberLinkPurpose; memberId: number; sentChannel: 'email' | 'sms'; category?: string | null; consentChannel?: Channel | null; now: Date;
}): Promise<{ id: number; token: string; expiresAt: Date }> {
  const secret = crypto.randomBytes(16);
  const ttlMs = l.purpose === 'entry' ? ENTRY_LINK_MINUTES * 60_000 : CONFIRM_LINK_HOURS * 3_600_000;
  const expiresAt = new Date(l.now.getTime() + ttlMs);
  const { rows } = await db.query(
    `INSERT INTO member_links (purpose, member_id, sent_channel, category, consent_channel, secret_hash, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [l.purpose, l.memberId, l.sentChannel, l.category ?? null, l.consentChannel ?? null, sha(secret), l.now, expiresAt]);
  // Used and expired links are kept a week (a member asking "what happened to my link?"), then removed.
  if (Math.random() < 0.05) await db.query('DELETE FROM member_links WHERE expires_at < $1', [new Date(l.now.getTime() - 7 * 86_400_000)]);
  return { id: Number(rows[0].id), token: encode(config, Number(rows[0].id), secret), expiresAt };
}

function rowOf(r: Record<string, any>): MemberLinkRow {
  return {
    id: Number(r.id), purpose: r.purpose, memberId: Number(r.member_id), sentChannel: r.sent_channel, category: r.category,
    consentChannel: r.consent_channel, expiresAt: r.expires_at, consumedAt: r.consumed_at,
  };
}

export type LinkState = { ok: true; link: MemberLinkRow } | { ok: false; why: 'invalid' | 'used' | 'expired' };

/** What a token stands for now, without using it (for the GET that shows the button). */
export async function peekMemberLink(db: Queryable, config: Pick<Config, 'linkSigningKeys'>, token: string, purpose: MemberLinkPurpose, now: Date): Promise<LinkState> {
  const d = decodeMemberLink(config, token);
  if (!d) return { ok: false, why: 'invalid' };
  const r = (await db.query('SELECT * FROM member_links WHERE id = $1 AND secret_hash = $2 AND purpose = $3', [d.id, sha(d.secret), purpose])).rows[0];
  if (!r) return { ok: false, why: 'invalid' };
  const link = rowOf(r);
  if (link.consumedAt) return { ok: false, why: 'used' };
  if (link.expiresAt.getTime() <= now.getTime()) return { ok: false, why: 'expired' };
  return { ok: true, link };
}

/**
 * Uses the link: one UPDATE that only succeeds for an unused, unexpired link, so two clicks at
 * once (or a replay) get one success. Pass the transaction that makes the link's change.
 */
export async function consumeMemberLink(db: Queryable, config: Pick<Config, 'linkSigningKeys'>, token: string, purpose: MemberLinkPurpose, now: Date): Promise<LinkState> {
  const d = decodeMemberLink(config, token);
  if (!d) return { ok: false, why: 'invalid' };
  const { rows } = await db.query(
    `UPDATE member_links SET consumed_at = $4 WHERE id = $1 AND secret_hash = $2 AND purpose = $3 AND consumed_at IS NULL AND expires_at > $4 RETURNING *`,
    [d.id, sha(d.secret), purpose, now]);
  if (rows[0]) return { ok: true, link: rowOf(rows[0]) };
  return peekMemberLink(db, config, token, purpose, now);
}

// ---------- sessions ----------

/** How the member got into the preference centre: decides the ledger source and what may be granted. */
export type SessionVia = 'preference_link' | 'letter_code';

export interface PrefSession {
  memberId: number;
  via: SessionVia;
  /** The channel whose address the member proved just now (entry links), null for letter codes. */
  proven: 'email' | 'sms' | null;
  expiresAt: Date;
}

const VIA = ['preference_link', 'letter_code'] as const;
const PROVEN = ['-', 'email', 'sms'] as const;

export function signSession(config: Pick<Config, 'linkSigningKeys'>, s: Omit<PrefSession, 'expiresAt'>, now: Date): string {
  const { kid, secret } = config.linkSigningKeys[0];
  const exp = Math.floor(now.getTime() / 1000) + SESSION_MINUTES * 60;
  const body = `${s.memberId.toString(36)}-${VIA.indexOf(s.via)}${PROVEN.indexOf(s.proven ?? '-')}-${exp.toString(36)}`;
  return `${kid}.${body}.${mac(secret, 'session', kid, body).subarray(0, 18).toString('base64url')}`;
}

export function verifySession(config: Pick<Config, 'linkSigningKeys'>, token: string, now: Date): PrefSession | null {
  if (typeof token !== 'string' || token.length > 120) return null;
  const m = /^([A-Za-z0-9_-]{1,40})\.(([0-9a-z]{1,12})-([01])([012])-([0-9a-z]{1,10}))\.([A-Za-z0-9_-]{24})$/.exec(token);
  if (!m) return null;
  const key = config.linkSigningKeys.find((k) => k.kid === m[1]);
  if (!key) return null;
  const want = mac(key.secret, 'session', m[1], m[2]).subarray(0, 18);
  const got = Buffer.from(m[7], 'base64url');
  if (got.length !== want.length || !crypto.timingSafeEqual(want, got)) return null;
  const exp = parseInt(m[6], 36) * 1000;
  if (exp <= now.getTime()) return null;
  const proven = PROVEN[Number(m[5])];
  return { memberId: parseInt(m[3], 36), via: VIA[Number(m[4])], proven: proven === '-' ? null : proven, expiresAt: new Date(exp) };
}
