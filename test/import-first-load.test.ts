import { createTestHub, type TestHub } from './helpers/hub';
import { demoOrganisation, generateMembers, insertOrganisation, memberCsv, memberCsvLine, streetPostcodes, type DemoMember } from '../src/demo/seed';
import { importMembers, type ImportReport } from '../src/members';

// A first load into an empty register that reaches bulkMinRows switches from the staging table to
// COPY straight into members (src/members/import/merge.ts, beginFirstLoad). These tests hold it to
// the staging merge's results: same rows, same defaults, same report, same constraints.

let a: TestHub;
let b: TestHub;
beforeAll(async () => {
  [a, b] = await Promise.all([createTestHub(), createTestHub()]);
  for (const t of [a, b]) {
    const postcodes = await streetPostcodes(t.hub.db);
    await t.hub.db.tx((c) => insertOrganisation(c, demoOrganisation(postcodes)));
  }
});
afterAll(async () => { await Promise.all([a?.close(), b?.close()]); });

async function members(t: TestHub): Promise<DemoMember[]> {
  const postcodes = await streetPostcodes(t.hub.db);
  return [...generateMembers({ count: 2500, seed: 11, postcodes, organisation: demoOrganisation(postcodes) })];
}

/** Everything stored about the members and their coverage, by member number and codes (not ids). */
async function register(t: TestHub) {
  const rows = await t.hub.db.many(
    `SELECT m.member_number, m.first_name, m.last_name, m.email, m.phone, m.street, m.postcode, m.municipality_number, m.county_code,
            m.language, m.status, m.category, w.org_number AS workplace, b.code AS branch, c.code AS club, m.joined_at::text, m.resigned_at::text,
            m.resignation_reason, m.dues_outstanding,
            (SELECT array_agg(a.code || '@' || ma.covered_from::text ORDER BY a.code) FROM member_agreements ma JOIN agreements a ON a.id = ma.agreement_id
              WHERE ma.member_id = m.id) AS agreements
       FROM members m LEFT JOIN workplaces w ON w.id = m.workplace_id LEFT JOIN branches b ON b.id = m.branch_id LEFT JOIN clubs c ON c.id = m.club_id
      ORDER BY m.member_number`);
  const orphans = await t.hub.db.one('SELECT count(*)::int AS n FROM member_agreements ma WHERE NOT EXISTS (SELECT 1 FROM members m WHERE m.id = ma.member_id)');
  return { rows, orphans: orphans!.n };
}

async function shape(t: TestHub) {
  return {
    indexes: await t.hub.db.many(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename IN ('members', 'member_agreements') ORDER BY indexname`),
    constraints: await t.hub.db.many(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                                       WHERE conrelid IN ('members'::regclass, 'member_agreements'::regclass) ORDER BY conname`),
  };
}

async function load(t: TestHub, source: Parameters<typeof importMembers>[1], bulkMinRows: number): Promise<{ report: ImportReport; phases: string[] }> {
  const phases: string[] = [];
  const report = await importMembers(t.hub, source, { staff: null, actor: 'test', via: 'bench', bulkMinRows, onPhase: (n) => phases.push(n) });
  return { report, phases };
}

async function empty(t: TestHub) {
  await t.hub.db.query('TRUNCATE members CASCADE');
}

test('a first load straight into members stores the same register and report as the staging merge', async () => {
  await Promise.all([empty(a), empty(b)]);
  // Every default the merge's INSERT applies, on both sides of the switch (after the first batch of 1,000 objects).
  const records = (await members(a)).map((m, i): Record<string, unknown> => {
    const r: Record<string, unknown> = { ...m };
    switch (i % 10) {
      case 1: delete r.status; break; // a resignation date alone means resigned
      case 2: r.status = 'resigned'; r.resigned_at = null; break; // resigned on the import date
      case 3: r.joined_at = null; break;
      case 4: delete r.language; delete r.category; delete r.dues_outstanding; break;
      case 5: r.agreements = []; break;
      case 6: r.email = 'ikke-en-adresse'; break; // rejected, named by row and field
      case 7: r.status = 'resigned'; r.joined_at = null; r.resigned_at = '2001-02-03'; break;
      case 8: r.street = 'Gate\t1\\b'; r.first_name = `${String(r.first_name)} Æøå`; break; // COPY's special characters
      default: break;
    }
    return r;
  });
  const first = await load(a, { kind: 'records', records }, 100);
  const staged = await load(b, { kind: 'records', records }, 1_000_000);
  expect(first.phases).toContain('first_load_staged_rows');
  expect(staged.phases).not.toContain('first_load_staged_rows');
  expect(first.report.rejected).toBe(250);
  expect(first.report.errors.filter((e) => e.field === 'email').map((e) => e.row)).toEqual(records.map((_, i) => i + 1).filter((row) => row % 10 === 7));
  expect(first.report).toEqual(staged.report);
  expect(await register(a)).toEqual(await register(b));
  expect(await shape(a)).toEqual(await shape(b));
});

test('a first load reports every row of a duplicated member number, stores none of them nor their coverage, and keeps the unique constraint', async () => {
  await Promise.all([empty(a), empty(b)]);
  const ms = await members(a);
  const before = await shape(a);
  // Rows 2–2501 are the members (the switch comes after the first 64 KB of text, ~450 rows); then
  // row 2502 repeats row 3's member (before the switch) and row 2503 row 2250's (after it), and
  // row 2504 repeats row 2250's again.
  const csv = `${[...memberCsv(ms, 1000)].join('')}${memberCsvLine(ms[1], 1)}\r\n${memberCsvLine(ms[2248], 2248)}\r\n${memberCsvLine({ ...ms[2248], first_name: 'Annen' }, 0)}\r\n`;
  const source = () => ({ kind: 'csv' as const, data: (async function* () { yield Buffer.from(csv); })() });
  const first = await load(a, source(), 100);
  const staged = await load(b, source(), 1_000_000);
  expect(first.phases).toContain('first_load_staged_rows');
  expect(first.report).toMatchObject({ inserted: 2498, rejected: 5 });
  const dup = (n: string) => first.report.errors.filter((e) => e.field === 'member_number' && e.message.includes(`medlemsnummer ${n} `)).map((e) => e.row);
  expect(dup(ms[1].member_number)).toEqual([3, 2502]);
  expect(dup(ms[2248].member_number)).toEqual([2250, 2503, 2504]);
  expect(first.report.errors.find((e) => e.row === 2503)!.message).toContain('rad 2250, 2503, 2504');
  expect(first.report).toEqual(staged.report);
  expect(await a.hub.db.one('SELECT count(*)::int AS n FROM members WHERE member_number = ANY($1)', [[ms[1].member_number, ms[2248].member_number]])).toEqual({ n: 0 });
  expect(await register(a)).toEqual(await register(b));
  expect((await register(a)).orphans).toBe(0);
  expect(await shape(a)).toEqual(before);
  await expect(a.hub.db.query('INSERT INTO members (member_number, first_name, last_name) VALUES ($1, $2, $3)', [ms[0].member_number, 'X', 'Y'])).rejects.toThrow(/unique|duplicate/);
});

test('after a first load the member id sequence continues past the loaded ids', async () => {
  await empty(a);
  await load(a, { kind: 'records', records: await members(a) }, 100);
  const max = await a.hub.db.one('SELECT max(id)::bigint AS id FROM members');
  const next = await a.hub.db.one(`INSERT INTO members (member_number, first_name, last_name) VALUES ('SEQ-1', 'Ny', 'Person') RETURNING id`);
  expect(BigInt(next!.id)).toBeGreaterThan(BigInt(max!.id));
});
