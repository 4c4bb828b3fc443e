import { createTestHub, type TestHub } from './helpers/hub';
import { seedDemoUnion, generateMembers, demoOrganisation, insertOrganisation, memberCsv, streetPostcodes } from '../src/demo/seed';
import { importMembers, isValidOrgNumber } from '../src/members';

let t: TestHub;
beforeAll(async () => { t = await createTestHub(); });
afterAll(() => t.close());

describe('demo seed', () => {
  test('an empty database gets the demo union through the import path; a second call does nothing', async () => {
    const result = await seedDemoUnion(t.hub);
    expect(result).toMatchObject({ seeded: true, adminEmail: 'admin@budstikke.example', adminToken: expect.stringMatching(/^bst_/), members: 5000 });
    const q = async (sql: string) => (await t.hub.db.one(sql))!.n as number;
    expect(await q('SELECT count(*)::int AS n FROM members')).toBe(5000);
    expect(await q('SELECT count(*)::int AS n FROM employers')).toBe(30);
    expect(await q('SELECT count(*)::int AS n FROM workplaces')).toBe(60);
    expect(await q('SELECT count(*)::int AS n FROM branches')).toBe(4);
    expect(await q('SELECT count(*)::int AS n FROM clubs')).toBe(8);
    expect(await q('SELECT count(*)::int AS n FROM agreements')).toBe(2);
    expect(await q('SELECT count(DISTINCT agreement_id)::int AS n FROM member_agreements')).toBe(2);
    expect(await q('SELECT count(DISTINCT county_code)::int AS n FROM members')).toBeGreaterThanOrEqual(14);
    expect(await q(`SELECT count(*)::int AS n FROM members WHERE status = 'resigned' AND resignation_reason IS NOT NULL AND resigned_at >= joined_at`)).toBeGreaterThan(200);
    expect(await q(`SELECT count(*)::int AS n FROM members WHERE phone !~ '^\\+47[49][0-9]{7}$'`)).toBe(0);
    expect(await q(`SELECT count(*)::int AS n FROM members WHERE language = 'nn'`)).toBeGreaterThan(300);
    expect(await q(`SELECT count(*)::int AS n FROM members WHERE email NOT LIKE '%@example.___'`)).toBe(0);
    for (const r of await t.hub.db.many('SELECT org_number FROM employers UNION ALL SELECT org_number FROM workplaces')) expect(isValidOrgNumber(r.org_number)).toBe(true);
    const staff = await t.hub.db.many('SELECT role, member_id FROM staff_users ORDER BY role');
    expect(staff.map((s) => s.role)).toEqual(['admin', 'auditor', 'communications', 'representative', 'representative', 'strike_committee']);
    const reps = staff.filter((s) => s.role === 'representative');
    for (const r of reps) expect(await q(`SELECT count(*)::int AS n FROM member_roles WHERE member_id = ${Number(r.member_id)}`)).toBeGreaterThan(0);
    expect(await seedDemoUnion(t.hub)).toEqual({ seeded: false });
  });

  test('the generator is deterministic and streams CSV lines', async () => {
    const postcodes = await streetPostcodes(t.hub.db);
    const organisation = demoOrganisation(postcodes);
    const a = [...generateMembers({ count: 50, seed: 3, postcodes, organisation })];
    const b = [...generateMembers({ count: 50, seed: 3, postcodes, organisation })];
    expect(a).toEqual(b);
    const chunks = [...memberCsv(generateMembers({ count: 25, seed: 3, postcodes, organisation }), 10)];
    expect(chunks).toHaveLength(3);
    expect(chunks.join('').split('\r\n').filter(Boolean)).toHaveLength(26);
  });
});

describe('bulk load', () => {
  test('an import that outgrows the table rebuilds exactly the indexes and foreign keys it had', async () => {
    const other = await createTestHub();
    try {
      const db = other.hub.db;
      const shape = async () => ({
        indexes: (await db.many(`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename IN ('members', 'member_agreements') ORDER BY indexname`)),
        constraints: (await db.many(`SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
                                      WHERE conrelid IN ('members'::regclass, 'member_agreements'::regclass) ORDER BY conname`)),
      });
      const before = await shape();
      const postcodes = await streetPostcodes(db);
      const organisation = demoOrganisation(postcodes);
      await db.tx((c) => insertOrganisation(c, organisation));
      const phases: string[] = [];
      const members = [...generateMembers({ count: 300, seed: 5, postcodes, organisation })];
      const report = await importMembers(other.hub, { kind: 'records', records: members },
        { staff: null, actor: 'test', via: 'bench', bulkMinRows: 100, onPhase: (n) => phases.push(n) });
      expect(report).toMatchObject({ inserted: 300, rejected: 0 });
      expect(phases).toContain('members_bulk_indexes');
      expect(await shape()).toEqual(before);
      // A bad foreign key value is still caught: the constraints were re-validated, not skipped.
      await expect(db.query(`UPDATE members SET branch_id = 999999 WHERE member_number = $1`, [members[0].member_number])).rejects.toThrow(/foreign key/);
      const again = await importMembers(other.hub, { kind: 'records', records: members }, { staff: null, actor: 'test', via: 'bench', bulkMinRows: 100 });
      expect(again).toMatchObject({ inserted: 0, updated: 0, unchanged: 300 });
      const covered = await db.one('SELECT count(*)::int AS n FROM member_agreements');
      expect(covered!.n).toBe(members.reduce((n, m) => n + m.agreements.length, 0));
    } finally {
      await other.close();
    }
  });

  test('an import that outgrows a register that is not empty adds and updates every member with exactly its coverage', async () => {
    const other = await createTestHub();
    try {
      const db = other.hub.db;
      const postcodes = await streetPostcodes(db);
      const organisation = demoOrganisation(postcodes);
      await db.tx((c) => insertOrganisation(c, organisation));
      const members = [...generateMembers({ count: 300, seed: 7, postcodes, organisation })];
      const first = members.slice(0, 40);
      expect(await importMembers(other.hub, { kind: 'records', records: first }, { staff: null, actor: 'test', via: 'bench', bulkMinRows: 100 }))
        .toMatchObject({ inserted: 40 });
      // Ten of the forty come back changed (a name; no agreements at all), with 260 new members: more than the register holds.
      const file = members.map((m, i) => (i < 10 ? { ...m, last_name: `${m.last_name}-Ny`, agreements: [] } : m));
      const phases: string[] = [];
      const report = await importMembers(other.hub, { kind: 'records', records: file },
        { staff: null, actor: 'test', via: 'bench', bulkMinRows: 100, onPhase: (n) => phases.push(n) });
      expect(report).toMatchObject({ inserted: 260, updated: 10, unchanged: 30, rejected: 0 });
      expect(phases).toContain('members_bulk_indexes');
      const stored = await db.many(`SELECT m.member_number, m.last_name, coalesce(array_agg(a.code ORDER BY a.code) FILTER (WHERE a.code IS NOT NULL), '{}') AS codes
                                       FROM members m LEFT JOIN member_agreements ma ON ma.member_id = m.id LEFT JOIN agreements a ON a.id = ma.agreement_id
                                      GROUP BY m.member_number, m.last_name ORDER BY m.member_number`);
      const expected = file.map((m) => ({ member_number: m.member_number, last_name: m.last_name, codes: [...m.agreements].sort() }))
        .sort((x, y) => (x.member_number < y.member_number ? -1 : 1));
      expect(stored).toEqual(expected);
    } finally {
      await other.close();
    }
  });
});
