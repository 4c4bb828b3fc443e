import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { readProviderKey, encryptFor } from '../ballots';
import { loadStrike } from './model';
import { loadPhase } from './phases';
import { toCsv } from './csv';

/**
 * Plassoppsigelse lists: for one employer, the employees a phase takes out, with only what the
 * notice needs. Name, member number and workplace always; what else is the union's choice
 * (STRIKE_NOTICE_FIELDS), never contact details. A member in this employer's previous list of
 * the phase who is no longer taken out is listed once more, marked as such, so the employer knows.
 */
export const BASE_NOTICE_FIELDS = ['member_number', 'first_name', 'last_name', 'workplace'] as const;
export const OPTIONAL_NOTICE_FIELDS = ['workplace_org_number', 'employer_org_number', 'branch', 'club', 'joined_at'] as const;

/** Column headings as the employer reads them. */
const HEADING: Record<string, string> = {
  member_number: 'Medlemsnummer', first_name: 'Fornavn', last_name: 'Etternavn', workplace: 'Arbeidssted',
  workplace_org_number: 'Org.nr. arbeidssted', employer_org_number: 'Org.nr. arbeidsgiver', branch: 'Avdeling', club: 'Klubb',
  joined_at: 'Innmeldt', status: 'Status',
};
const STATUS_OUT = 'Tatt ut i streik';
const STATUS_BACK = 'Ikke lenger tatt ut';

export type ExportFormat = 'csv' | 'pgp';

export interface NoticeExport {
  exportId: number;
  filename: string;
  contentType: string;
  content: string;
  rowCount: number;
  returnedCount: number;
  fields: string[];
  keyFingerprint: string | null;
}


export async function exportNoticeList(hub: Hub, staff: Staff, strikeId: number, phaseId: number, opts: { employerId: number; format: ExportFormat; publicKey?: string }): Promise<NoticeExport> {
  const s = await loadStrike(hub.db, strikeId);
  if (s.state === 'ended') throw Problem.conflict(`Streik ${strikeId} er avsluttet; listene er slettet.`, { state: s.state });
  const phase = await loadPhase(hub.db, strikeId, phaseId);
  const employer = await hub.db.one('SELECT id, name, org_number FROM employers WHERE id = $1', [opts.employerId]);
  if (!employer) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.employerId', message: `Arbeidsgiver: fant ingen arbeidsgiver ${opts.employerId}` }]);
  const key = opts.format === 'pgp'
    ? await (opts.publicKey ? readProviderKey(opts.publicKey, 'body.publicKey')
      : Promise.reject(Problem.unprocessable('En kryptert liste trenger arbeidsgiverens offentlige OpenPGP-nøkkel.', [{ field: 'body.publicKey', message: 'publicKey må oppgis for format pgp' }])))
    : null;
  const fields = [...BASE_NOTICE_FIELDS, ...hub.config.strikeNoticeFields.filter((f) => (OPTIONAL_NOTICE_FIELDS as readonly string[]).includes(f)), 'status'];

  return hub.db.tx(async (db) => {
    // Taken out now by this phase at this employer, plus those of the previous list no longer out.
    const { rows } = await db.query(
      `WITH prev AS (SELECT id FROM strike_exports WHERE phase_id = $1 AND employer_id = $2 ORDER BY id DESC LIMIT 1),
            cur AS (SELECT t.member_id FROM strike_takeouts t JOIN members m ON m.id = t.member_id JOIN workplaces w ON w.id = m.workplace_id
                     WHERE t.phase_id = $1 AND t.returned_at IS NULL AND w.employer_id = $2),
            back AS (SELECT em.member_id FROM strike_export_members em WHERE em.export_id = (SELECT id FROM prev) AND NOT em.returned
                       AND em.member_id NOT IN (SELECT member_id FROM cur))
       SELECT m.id, m.member_number, m.first_name, m.last_name, w.name AS workplace, w.org_number AS workplace_org_number,
              e.org_number AS employer_org_number, b.name AS branch, c.name AS club, m.joined_at::text AS joined_at,
              (m.id IN (SELECT member_id FROM back)) AS returned
         FROM members m LEFT JOIN workplaces w ON w.id = m.workplace_id LEFT JOIN employers e ON e.id = w.employer_id
         LEFT JOIN branches b ON b.id = m.branch_id LEFT JOIN clubs c ON c.id = m.club_id
        WHERE m.id IN (SELECT member_id FROM cur UNION SELECT member_id FROM back)
        ORDER BY returned, m.last_name, m.first_name, m.member_number`, [phaseId, opts.employerId]);
    const table = [fields.map((f) => HEADING[f]), ...rows.map((r) => fields.map((f) => (f === 'status' ? (r.returned ? STATUS_BACK : STATUS_OUT) : String(r[f] ?? ''))))];
    const returnedCount = rows.filter((r) => r.returned).length;
    const ins = await db.query(
      `INSERT INTO strike_exports (strike_id, phase_id, employer_id, format, fields, row_count, returned_count, key_fingerprint, created_by, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [strikeId, phaseId, opts.employerId, opts.format, fields, rows.length, returnedCount, key?.fingerprint ?? null, staff.id, hub.clock.now()]);
    const exportId = Number(ins.rows[0].id);
    await db.query(`INSERT INTO strike_export_members (export_id, member_id, returned) SELECT $1, x.id, x.returned FROM unnest($2::bigint[], $3::boolean[]) AS x(id, returned)`,
      [exportId, rows.map((r) => r.id), rows.map((r) => r.returned)]);
    await audit(db, { staff, action: 'strike.export', rowCount: rows.length,
      detail: { strikeId, phaseId, employerId: opts.employerId, exportId, format: opts.format, fields, returned: returnedCount, keyFingerprint: key?.fingerprint ?? null } });

    const stamp = hub.clock.now().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const base = `plassoppsigelse-${strikeId}-uttak${phase.number}-${employer.org_number}-${stamp}.csv`;
    const plaintext = Buffer.from(toCsv(table), 'utf8');
    if (!key) return { exportId, filename: base, contentType: 'text/csv; charset=utf-8', content: plaintext.toString('utf8'), rowCount: rows.length, returnedCount, fields, keyFingerprint: null };
    try {
      const armored = await encryptFor(key, plaintext, base);
      return { exportId, filename: `${base}.asc`, contentType: 'application/pgp-encrypted', content: armored, rowCount: rows.length, returnedCount, fields, keyFingerprint: key.fingerprint };
    } finally {
      plaintext.fill(0);
    }
  });
}

/** The exports made in a strike (no content: none is kept). */
export async function listNoticeExports(hub: Hub, strikeId: number) {
  await loadStrike(hub.db, strikeId);
  const rows = await hub.db.many(
    `SELECT x.id, x.phase_id, p.number AS phase, x.employer_id, e.name AS employer, x.format, x.fields, x.row_count, x.returned_count, x.key_fingerprint, x.created_by, x.created_at
       FROM strike_exports x JOIN strike_phases p ON p.id = x.phase_id JOIN employers e ON e.id = x.employer_id
      WHERE x.strike_id = $1 ORDER BY x.id DESC`, [strikeId]);
  return rows.map((r) => ({
    id: Number(r.id), phaseId: Number(r.phase_id), phase: r.phase, employerId: Number(r.employer_id), employer: r.employer, format: r.format, fields: r.fields,
    rowCount: r.row_count, returnedCount: r.returned_count, keyFingerprint: r.key_fingerprint, createdBy: r.created_by, createdAt: r.created_at.toISOString(),
  }));
}

/** Employers with members taken out in a phase, and how many (for choosing a list to export). */
export async function phaseEmployers(hub: Hub, strikeId: number, phaseId: number) {
  await loadPhase(hub.db, strikeId, phaseId);
  const rows = await hub.db.many(
    `SELECT e.id, e.name, e.org_number, count(*) FILTER (WHERE t.returned_at IS NULL)::int AS taken_out, count(*) FILTER (WHERE t.returned_at IS NOT NULL)::int AS taken_back
       FROM strike_takeouts t JOIN members m ON m.id = t.member_id JOIN workplaces w ON w.id = m.workplace_id JOIN employers e ON e.id = w.employer_id
      WHERE t.phase_id = $1 GROUP BY e.id ORDER BY e.name`, [phaseId]);
  return rows.map((r) => ({ id: Number(r.id), name: r.name, orgNumber: r.org_number, takenOut: r.taken_out, takenBack: r.taken_back }));
}
