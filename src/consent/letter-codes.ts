import crypto from 'node:crypto';
import type { Config } from '../config';
import type { Queryable } from '../db';

/**
 * Personal codes printed on letters (issue 14): a member who is reached only by post types the
 * code at `<PUBLIC_BASE_URL>/p` (or scans the QR code, `/p/<code>`) and reaches their
 * preference centre.
 *
 * A code is 12 characters of Crockford's base32 (no I, L, O, U; typed I/L read as 1 and O as 0),
 * printed as XXXX-XXXX-XXXX: 60 bits, the first 60 bits of HMAC-SHA256(signing key, member id ‖
 * issue day), so it cannot be guessed or derived from anything printed, and printing a run again
 * on the same day prints the same codes. The code is registered in letter_codes with its expiry
 * (LETTER_CODE_DAYS, default 180) when the letter is produced; `/p` accepts only registered,
 * unexpired codes, and guessing is bounded by the entry page's per-client rate limit.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LETTER_CODE_LENGTH = 12;

function encode(bytes: Buffer, length: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
    if (out.length >= length) break;
  }
  return out;
}

export function letterCodeFor(config: Pick<Config, 'linkSigningKeys'>, memberId: number, issueDay: string): string {
  const { secret } = config.linkSigningKeys[0];
  const mac = crypto.createHmac('sha256', crypto.createHmac('sha256', secret).update('budstikke letter code v1').digest())
    .update(`${memberId}\0${issueDay}`).digest();
  return encode(mac, LETTER_CODE_LENGTH);
}

/** What a member typed, as a code (spaces, dashes and case ignored; I/L → 1, O → 0), or null. */
export function normaliseLetterCode(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length > 40) return null;
  const s = raw.toUpperCase().replace(/[\s-]+/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  return s.length === LETTER_CODE_LENGTH && [...s].every((c) => ALPHABET.includes(c)) ? s : null;
}

/**
 * Registers (or finds) today's codes of these members, valid for `days` days, and returns them
 * by member id. One statement for a whole print run.
 */
export async function issueLetterCodes(db: Queryable, config: Pick<Config, 'linkSigningKeys' | 'letterCodeDays'>, memberIds: number[], now: Date): Promise<Map<number, { code: string; expiresAt: Date }>> {
  const day = now.toISOString().slice(0, 10);
  // The expiry counts from the issue day, so every letter of a day's codes says the same date.
  const expiresAt = new Date(Date.parse(`${day}T00:00:00Z`) + config.letterCodeDays * 86_400_000);
  const codes = memberIds.map((id) => letterCodeFor(config, id, day));
  if (memberIds.length) {
    await db.query(
      `INSERT INTO letter_codes (code, member_id, created_at, expires_at)
       SELECT c, m, $3, $4 FROM unnest($1::text[], $2::bigint[]) AS x(c, m)
       ON CONFLICT (code) DO NOTHING`, [codes, memberIds, now, expiresAt]);
    // Expired codes open nothing; they are removed with the next print run.
    await db.query('DELETE FROM letter_codes WHERE expires_at < $1', [now]);
  }
  return new Map(memberIds.map((id, i) => [id, { code: codes[i], expiresAt }]));
}

/** The member a code belongs to, if it is registered and has not expired. */
export async function memberOfLetterCode(db: Queryable, code: string, now: Date): Promise<number | null> {
  const r = await db.query(
    `SELECT lc.member_id FROM letter_codes lc JOIN members m ON m.id = lc.member_id
      WHERE lc.code = $1 AND lc.expires_at > $2 AND m.status = 'active'`, [code, now]);
  return r.rows[0] ? Number(r.rows[0].member_id) : null;
}
