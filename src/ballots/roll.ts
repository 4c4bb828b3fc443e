import crypto from 'node:crypto';
import { csvObjects } from '../csv';
import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { labelOf } from '../vocabulary';
import { memberScopeSql } from '../members/scope';
import { eligibleSql } from './eligibility';
import { loadBallot, type BallotRow } from './service';
import { osloIso } from './time';
import { encryptFor, readProviderKey } from './pgp';

/**
 * Freezes the electoral roll (manntall) of a ballot at `cutoffAt` in one INSERT … SELECT.
 * Runs inside the caller's transaction with the ballot row locked. Returns the roll size.
 */
export async function freezeRollIn(c: Queryable, b: BallotRow, cutoffAt: Date, frozenAt: Date, staff: Staff | null): Promise<number> {
  await c.query('DELETE FROM ballot_roll_entries WHERE ballot_id = $1', [b.id]);
  const params: unknown[] = [b.id, cutoffAt];
  const where = eligibleSql(b.eligibility, params, '$1', { mode: 'cutoff', atParam: '$2' });
  const r = await c.query(`INSERT INTO ballot_roll_entries (ballot_id, member_id)
    SELECT $1, m.id FROM members m WHERE ${where}`, params);
  const size = r.rowCount ?? 0;
  await c.query(`UPDATE ballots SET roll_cutoff_at = $2, roll_frozen_at = $3, roll_frozen_by = $4, roll_size = $5, updated_at = $3 WHERE id = $1`,
    [b.id, cutoffAt, frozenAt, staff?.id ?? null, size]);
  await audit(c, { staff, action: 'ballot.roll_freeze', rowCount: size, detail: { ballotId: b.id, cutoffAt: cutoffAt.toISOString() } });
  return size;
}

/**
 * Staff freeze the roll at a cut-off that has passed (default: now). Allowed while the ballot is
 * a draft; a roll that has already been exported to the provider is final (409), since the
 * provider holds it.
 */
export async function freezeRoll(hub: Hub, staff: Staff | null, id: number, cutoffAt?: Date): Promise<{ cutoffAt: string; size: number }> {
  const now = hub.clock.now();
  const cutoff = cutoffAt ?? now;
  if (cutoff.getTime() > now.getTime()) {
    throw Problem.badRequest('Ugyldig skjæringstidspunkt.', [{ field: 'body.cutoffAt', message: 'cutoffAt (skjæringstidspunkt) kan ikke være fram i tid: manntallet låses slik registeret var på skjæringstidspunktet' }]);
  }
  return hub.db.tx(async (c) => {
    const b = await loadBallot(c, id, { forUpdate: true });
    if (b.state !== 'draft') throw Problem.conflict(`Manntallet kan bare låses før uravstemningen åpner; nå er den ${labelOf('ballotState', b.state).toLowerCase()}.`, { state: b.state });
    const exported = await c.query('SELECT 1 FROM ballot_roll_exports WHERE ballot_id = $1 LIMIT 1', [id]);
    if (exported.rowCount) throw Problem.conflict('Manntallet er allerede eksportert til valgleverandøren; det kan ikke låses på nytt.');
    const size = await freezeRollIn(c, b, cutoff, now, staff);
    return { cutoffAt: osloIso(cutoff)!, size };
  });
}

export type DifferenceReason = 'joined' | 'coverage_started' | 'now_in_scope' | 'resigned' | 'coverage_ended' | 'out_of_scope';

export interface DifferenceEntry {
  memberNumber: string;
  firstName: string;
  lastName: string;
  status: string;
  reason: DifferenceReason;
  joinedAt: string;
  resignedAt: string | null;
}

export interface RollDifference {
  ballotId: number;
  cutoffAt: string;
  rollSize: number;
  /** Eligible now, not on the roll: joined, became covered, or moved into the ballot's scope after the cut-off. */
  notOnRoll: DifferenceEntry[];
  /** On the roll, not eligible now: resigned, coverage ended, or moved out of scope after the cut-off. They are not notified. */
  noLongerEligible: DifferenceEntry[];
}

/**
 * Members whose eligibility changed after the cut-off, reported for staff to settle with the
 * provider. Nothing is added to or removed from the roll by this.
 */
export async function rollDifference(hub: Hub, staff: Staff, id: number): Promise<RollDifference> {
  const b = await loadBallot(hub.db, id);
  if (!b.roll_frozen_at || !b.roll_cutoff_at) throw Problem.conflict('Manntallet er ikke låst ennå.');
  const params: unknown[] = [id, b.roll_cutoff_at, hub.clock.now()];
  const eligibleNow = eligibleSql(b.eligibility, params, '$1', { mode: 'now', atParam: '$3' });
  const scope = memberScopeSql(staff, 'm', params);
  const rows = await hub.db.many(`
    WITH roll AS (SELECT member_id FROM ballot_roll_entries WHERE ballot_id = $1),
         now_eligible AS (SELECT m.id FROM members m WHERE ${eligibleNow}),
         cut AS (SELECT ($2::timestamptz AT TIME ZONE 'Europe/Oslo')::date AS day)
    SELECT m.member_number, m.first_name, m.last_name, m.status, m.joined_at, m.resigned_at,
           (m.id IN (SELECT member_id FROM roll)) AS on_roll,
           EXISTS (SELECT 1 FROM member_agreements ma JOIN ballot_agreements ba ON ba.agreement_id = ma.agreement_id
                    WHERE ba.ballot_id = $1 AND ma.member_id = m.id) AS covered,
           EXISTS (SELECT 1 FROM member_agreements ma JOIN ballot_agreements ba ON ba.agreement_id = ma.agreement_id
                    WHERE ba.ballot_id = $1 AND ma.member_id = m.id AND ma.covered_from <= (SELECT day FROM cut)) AS covered_at_cutoff,
           m.joined_at > (SELECT day FROM cut) AS joined_after
      FROM members m
     WHERE ((m.id IN (SELECT member_id FROM roll)) <> (m.id IN (SELECT id FROM now_eligible)))
       AND ${scope}
     ORDER BY m.last_name, m.first_name, m.member_number`, params);
  const entry = (r: any, reason: DifferenceReason): DifferenceEntry => ({
    memberNumber: r.member_number, firstName: r.first_name, lastName: r.last_name, status: r.status, reason,
    joinedAt: r.joined_at, resignedAt: r.resigned_at,
  });
  const notOnRoll: DifferenceEntry[] = [];
  const noLongerEligible: DifferenceEntry[] = [];
  for (const r of rows) {
    if (r.on_roll) noLongerEligible.push(entry(r, r.status !== 'active' ? 'resigned' : !r.covered ? 'coverage_ended' : 'out_of_scope'));
    else notOnRoll.push(entry(r, r.joined_after ? 'joined' : !r.covered_at_cutoff ? 'coverage_started' : 'now_in_scope'));
  }
  await audit(hub.db, { staff, action: 'member.list', rowCount: rows.length, detail: { ballotId: id, view: 'ballot.roll_difference' } });
  return { ballotId: id, cutoffAt: osloIso(b.roll_cutoff_at)!, rollSize: b.roll_size ?? 0, notOnRoll, noLongerEligible };
}

export type ContactField = 'email' | 'phone' | 'address';

export interface RollExport {
  exportId: number;
  filename: string;
  /** ASCII-armored OpenPGP message; the only form in which the roll leaves the hub. */
  armored: string;
  rowCount: number;
  keyFingerprint: string;
}

/**
 * The roll for the provider: member number and name, plus the contact fields staff chose,
 * as CSV encrypted to the provider's OpenPGP key (given now, or stored on the ballot). Without a
 * key there is no export. The plaintext exists only in memory here; the export is recorded
 * (who, when, which fields, how many rows, which key) and audited.
 */
export async function exportRoll(hub: Hub, staff: Staff, id: number, opts: { fields: ContactField[]; publicKey?: string }): Promise<RollExport> {
  const b = await loadBallot(hub.db, id);
  if (b.state === 'cancelled') throw Problem.conflict('Uravstemningen er avlyst.', { state: b.state });
  if (!b.roll_frozen_at) throw Problem.conflict('Lås manntallet før det eksporteres.');
  if (b.roll_erased_at) throw Problem.conflict('Manntallet er slettet etter reglene for lagringstid.');
  const armoredKey = opts.publicKey ?? b.provider_public_key;
  if (!armoredKey) {
    throw Problem.unprocessable('Manntallet sendes bare ut kryptert: oppgi valgleverandørens offentlige OpenPGP-nøkkel (publicKey), eller lagre den på uravstemningen.',
      [{ field: 'body.publicKey', message: 'publicKey må oppgis når uravstemningen ikke har leverandørens nøkkel' }]);
  }
  const key = await readProviderKey(armoredKey, opts.publicKey ? 'body.publicKey' : 'ballot.providerPublicKey');
  const fields = [...new Set(opts.fields)];
  const rows = await hub.db.many(`SELECT m.member_number, m.first_name, m.last_name, m.email, m.phone, m.street, m.postcode, pc.place
      FROM ballot_roll_entries r JOIN members m ON m.id = r.member_id LEFT JOIN postal_codes pc ON pc.postcode = m.postcode
     WHERE r.ballot_id = $1 ORDER BY m.member_number`, [id]);
  const header = ['member_number', 'first_name', 'last_name'];
  if (fields.includes('email')) header.push('email');
  if (fields.includes('phone')) header.push('phone');
  if (fields.includes('address')) header.push('street', 'postcode', 'place');
  const plaintext = Buffer.from(csvObjects(rows, header, { recordDelimiter: 'windows' }), 'utf8');
  const stamp = hub.clock.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const filename = `manntall-${id}-${stamp}.csv`;
  let armored: string;
  try {
    armored = await encryptFor(key, plaintext, filename);
  } finally {
    plaintext.fill(0);
  }
  const sha = crypto.createHash('sha256').update(armored).digest('hex');
  const exportId = await hub.db.tx(async (c) => {
    const r = await c.query(`INSERT INTO ballot_roll_exports (ballot_id, created_at, created_by, fields, row_count, key_fingerprint, ciphertext_sha256)
      VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, [id, hub.clock.now(), staff.id, fields, rows.length, key.fingerprint, sha]);
    await audit(c, { staff, action: 'ballot.roll_export', rowCount: rows.length,
      detail: { ballotId: id, exportId: r.rows[0].id, fields, keyFingerprint: key.fingerprint } });
    return r.rows[0].id as number;
  });
  hub.log.info({ ballotId: id, exportId, rows: rows.length, keyFingerprint: key.fingerprint }, 'ballot roll exported (encrypted)');
  return { exportId, filename: `${filename}.asc`, armored, rowCount: rows.length, keyFingerprint: key.fingerprint };
}

/** The exports made of a ballot's roll (no content: none is kept). */
export async function listRollExports(hub: Hub, id: number): Promise<{ id: number; createdAt: string; createdBy: number | null; fields: string[]; rowCount: number; keyFingerprint: string }[]> {
  await loadBallot(hub.db, id);
  const rows = await hub.db.many(`SELECT * FROM ballot_roll_exports WHERE ballot_id = $1 ORDER BY id`, [id]);
  return rows.map((r) => ({ id: r.id, createdAt: osloIso(r.created_at)!, createdBy: r.created_by, fields: r.fields, rowCount: r.row_count, keyFingerprint: r.key_fingerprint }));
}
