import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';
import { importMembers, type ImportReport } from '../src/members';

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let admin: { authorization: string };
let org: Org;
let codes: { branch: string; otherBranch: string; club: string; workplace: string; otherWorkplace: string; employer: string; agreement: string; otherAgreement: string };

beforeAll(async () => {
  t = await createTestHub();
  api = await startApi(t.hub);
  admin = (await staffWithToken(t.hub, 'admin')).auth;
  org = await createOrg(t.hub.db);
  const one = async (sql: string, id: number) => (await t.hub.db.one(sql, [id]))!.v as string;
  codes = {
    branch: await one('SELECT code AS v FROM branches WHERE id = $1', org.branchId),
    otherBranch: await one('SELECT code AS v FROM branches WHERE id = $1', org.otherBranchId),
    club: await one('SELECT code AS v FROM clubs WHERE id = $1', org.clubId),
    workplace: await one('SELECT org_number AS v FROM workplaces WHERE id = $1', org.workplaceId),
    otherWorkplace: await one('SELECT org_number AS v FROM workplaces WHERE id = $1', org.otherWorkplaceId),
    employer: await one('SELECT org_number AS v FROM employers WHERE id = $1', org.employerId),
    agreement: await one('SELECT code AS v FROM agreements WHERE id = $1', org.agreementId),
    otherAgreement: await one('SELECT code AS v FROM agreements WHERE id = $1', org.otherAgreementId),
  };
});
afterAll(async () => {
  await api.close();
  await t.close();
});

let seq = 0;
/** A member number no other test uses. */
const num = () => `I${String(++seq).padStart(5, '0')}`;

async function post(body: Buffer | string, contentType = 'text/csv', auth = admin): Promise<{ status: number; body: any }> {
  const payload = typeof body === 'string' ? body : new Uint8Array(body);
  const res = await fetch(`${api.url}/api/members/import`, { method: 'POST', headers: { ...auth, 'content-type': contentType }, body: payload });
  return { status: res.status, body: await res.json() };
}

async function member(n: string) {
  return t.hub.db.one('SELECT * FROM members WHERE member_number = $1', [n]);
}
async function memberCount(): Promise<number> {
  return (await t.hub.db.one('SELECT count(*)::int AS n FROM members'))!.n;
}
function errorsFor(report: ImportReport, row: number) {
  return report.errors.filter((e) => e.row === row).map((e) => e.field);
}

const HEADER_NB = 'medlemsnummer;fornavn;etternavn;e-post;mobil;adresse;postnummer;språk;status;kategori;arbeidssted;avdeling;klubb;tariffavtale;innmeldt;utmeldt;utmeldingsårsak';

describe('CSV import', () => {
  test('a Norwegian register file: values mapped, phone in E.164, municipality and county from the postcode', async () => {
    const a = num(); const b = num();
    const csv = [HEADER_NB,
      `${a};Åse;Østby-Ærø;ase@example.com;912 34 567;Storgata 1;0150;nynorsk;aktiv;lærling;${codes.workplace};${codes.branch};${codes.club};${codes.agreement}|${codes.otherAgreement};01.02.2020;;`,
      `${b};Ola;Nordmann;OLA@Example.com;+47 41234567;Bryggen 2;5003;bokmål;aktiv;yrkesaktiv;;;;;2019-05-06;;`,
    ].join('\r\n');
    const { status, body } = await post(csv);
    expect(status).toBe(200);
    expect(body).toEqual({ inserted: 2, updated: 0, unchanged: 0, rejected: 0, warnings: [], errors: [] });
    const m = await member(a);
    expect(m).toMatchObject({
      first_name: 'Åse', last_name: 'Østby-Ærø', email: 'ase@example.com', phone: '+4791234567', street: 'Storgata 1', postcode: '0150',
      municipality_number: '0301', county_code: '03', language: 'nn', status: 'active', category: 'apprentice',
      workplace_id: org.workplaceId, branch_id: org.branchId, club_id: org.clubId, joined_at: '2020-02-01', resigned_at: null,
    });
    const ag = await t.hub.db.many('SELECT agreement_id FROM member_agreements WHERE member_id = $1 ORDER BY agreement_id', [m!.id]);
    expect(ag.map((r) => r.agreement_id)).toEqual([org.agreementId, org.otherAgreementId].sort((x, y) => x - y));
    expect(await member(b)).toMatchObject({ email: 'ola@example.com', phone: '+4741234567', municipality_number: '4601', county_code: '46', language: 'nb' });
    const auditRow = await t.hub.db.one(`SELECT * FROM audit_log WHERE action = 'member.import' ORDER BY id DESC LIMIT 1`);
    expect(auditRow).toMatchObject({ action: 'member.import', row_count: 2 });
    expect(auditRow!.detail).toMatchObject({ inserted: 2, updated: 0, unchanged: 0, rejected: 0, format: 'csv' });
  });

  test('English headers with a comma delimiter', async () => {
    const a = num();
    const csv = `member_number,first_name,last_name,email,phone,postcode,language,status,category\n${a},Kari,"Hansen, jr.",kari@example.net,98765432,7010,en,active,student\n`;
    const { status, body } = await post(csv);
    expect(status).toBe(200);
    expect(body.inserted).toBe(1);
    expect(await member(a)).toMatchObject({ last_name: 'Hansen, jr.', phone: '+4798765432', language: 'en', category: 'student', county_code: '50' });
  });

  test('UTF-8 with a BOM', async () => {
    const a = num();
    const csv = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`medlemsnummer;fornavn;etternavn\n${a};Bjørn;Sæther\n`, 'utf8')]);
    const { status, body } = await post(csv);
    expect(status).toBe(200);
    expect(body.inserted).toBe(1);
    expect(await member(a)).toMatchObject({ first_name: 'Bjørn', last_name: 'Sæther' });
  });

  test('Windows-1252 bytes: æøå come out right, also when the first non-ASCII byte comes late', async () => {
    const a = num(); const b = num();
    const rows = [`medlemsnummer;fornavn;etternavn;målform`];
    for (let i = 0; i < 3000; i++) rows.push(`X${i};Per;Olsen;nb`); // > 64 KiB of plain ASCII first
    rows.push(`${a};Håkon;Grønnæs;bokmål`, `${b};Ærle;Åsmund-Øye;nynorsk`);
    const bytes = iconv.encode(rows.join('\r\n'), 'win1252');
    expect(bytes.includes(0xe5)).toBe(true); // å as one byte
    const { status, body } = await post(bytes);
    expect(status).toBe(200);
    expect(body.rejected).toBe(0);
    expect(await member(a)).toMatchObject({ first_name: 'Håkon', last_name: 'Grønnæs', language: 'nb' });
    expect(await member(b)).toMatchObject({ first_name: 'Ærle', last_name: 'Åsmund-Øye', language: 'nn' });
    const short = num();
    const small = await post(iconv.encode(`medlemsnummer;fornavn;etternavn\n${short};Sølvi;Bø\n`, 'latin1'));
    expect(small.status).toBe(200);
    expect(await member(short)).toMatchObject({ first_name: 'Sølvi', last_name: 'Bø' });
  });

  test('a file judged UTF-8 with a later invalid byte is a 400 and nothing is written', async () => {
    const before = await memberCount();
    const head = Buffer.from(`medlemsnummer;fornavn;etternavn\n${num()};Bjørn;Ås\n`, 'utf8');
    const filler = Buffer.from(Array.from({ length: 4000 }, (_, i) => `Y${i};Per;Olsen\n`).join(''), 'utf8');
    const bad = Buffer.concat([head, filler, Buffer.from('Z1;P'), Buffer.from([0xf8]), Buffer.from('l;Olsen\n')]);
    const { status, body } = await post(bad);
    expect(status).toBe(400);
    expect(body.detail).toMatch(/ikke gyldig UTF-8/);
    expect(await memberCount()).toBe(before);
  });

  test('malformed files are 400 problems and write nothing', async () => {
    const before = await memberCount();
    const auditsBefore = (await t.hub.db.one(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'member.import'`))!.n;
    const empty = await post('');
    expect(empty.status).toBe(400);
    expect(empty.body.detail).toMatch(/Filen er tom/);
    const blank = await post('\r\n\r\n');
    expect(blank.status).toBe(400);
    const png = await post(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]));
    expect(png.status).toBe(400);
    expect(png.body.detail).toMatch(/ikke CSV-tekst/);
    const prose = await post('Dear union,\nplease find our members attached.\n');
    expect(prose.status).toBe(400);
    expect(prose.body.detail).toMatch(/medlemsnummer/);
    const noNumber = await post(`fornavn;etternavn\nKari;Nordmann\n`);
    expect(noNumber.status).toBe(400);
    expect(noNumber.body.errors).toEqual([{ field: 'member_number', message: 'kolonnen member_number mangler', row: 1 }]);
    const unclosed = await post(`medlemsnummer;fornavn;etternavn\n${num()};"Kari;Nordmann\n${num()};Per;Olsen\n`);
    expect(unclosed.status).toBe(400);
    expect(unclosed.body.detail).toMatch(/ikke gyldig CSV/);
    const wrongType = await post('<members/>', 'application/xml');
    expect(wrongType.status).toBe(415);
    expect(await memberCount()).toBe(before);
    expect((await t.hub.db.one(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'member.import'`))!.n).toBe(auditsBefore);
  });

  test('every class of bad row is reported by row and field, and good rows still go in', async () => {
    const good1 = num(); const good2 = num(); const dup = num();
    const csv = [
      'medlemsnummer;fornavn;etternavn;e-post;mobil;postnummer;arbeidssted;arbeidsgiver;innmeldt;status;kategori;språk;avdeling;klubb;tariffavtale;restanse',
      `${good1};Kari;Nordmann;kari@example.com;91234567;0150;${codes.workplace};${codes.employer};2020-01-01;aktiv;student;nb;${codes.branch};;${codes.agreement};nei`, // 2 ok
      `${num()};Bad;Email;kari@@example;;;;;;;;;;;;`, // 3 email
      `${num()};Bad;Phone;;12345;;;;;;;;;;;`, // 4 phone
      `${num()};Bad;Postcode;;;9999;;;;;;;;;;`, // 5 postcode
      `${num()};Bad;Org;;;;123456789;;;;;;;;;`, // 6 workplace checksum
      `${num()};Bad;Date;;;;;;31.02.2020;;;;;;;`, // 7 date
      `${num()};Bad;Enum;;;;;;;;astronaut;;;;;`, // 8 category
      `;No;Number;;;;;;;;;;;;;`, // 9 member number
      `${dup};Dup;One;;;;;;;;;;;;;`, // 10 duplicate
      `${dup};Dup;Two;;;;;;;;;;;;;`, // 11 duplicate
      `${num()};Bad;Status;;;;;;;død;;;;;;`, // 12 status
      `${num()};Bad;Language;;;;;;;;;svensk;;;;`, // 13 language
      `${num()};Bad;Branch;;;;;;;;;;NOPE;;;`, // 14 unknown branch
      `${num()};Bad;Club;;;;;;;;;;;NOPE;;`, // 15 unknown club
      `${num()};Bad;Agreement;;;;;;;;;;;;NOPE;`, // 16 unknown agreement
      `${num()};Bad;Employer;;;;;123456785;;;;;;;;`, // 17 employer checksum
      `${num()};Unknown;Workplace;;;;${makeUnknownOrg()};;;;;;;;;`, // 18 valid checksum, no such workplace
      `${num()};Bad;Dues;;;;;;;;;;;;;kanskje`, // 19 dues
      `${num()};;Nofirstname;;;;;;;;;;;;;`, // 20 first name
      `${num()};Too;Few`, // 21 field count
      `${good2};Per;Olsen;per@example.org;+46 70 123 45 67;5003;;;15.03.2021;;;;;;;`, // 22 ok, Swedish phone
    ].join('\n');
    const { status, body } = await post(csv);
    expect(status).toBe(200);
    expect(body.inserted).toBe(2);
    expect(body.rejected).toBe(19);
    const expected: [number, string][] = [
      [3, 'email'], [4, 'phone'], [5, 'postcode'], [6, 'workplace_org_number'], [7, 'joined_at'], [8, 'category'],
      [9, 'member_number'], [10, 'member_number'], [11, 'member_number'], [12, 'status'], [13, 'language'], [14, 'branch'],
      [15, 'club'], [16, 'agreements'], [17, 'employer_org_number'], [18, 'workplace_org_number'], [19, 'dues_outstanding'],
      [20, 'first_name'], [21, 'row'],
    ];
    for (const [row, field] of expected) expect({ row, fields: errorsFor(body, row) }).toEqual({ row, fields: [field] });
    expect(body.errors.find((e: any) => e.row === 10).message).toMatch(/står i mer enn én rad \(rad 10, 11\)/);
    expect(body.errors.find((e: any) => e.row === 5).message).toMatch(/9999/);
    expect(errorsFor(body, 2)).toEqual([]);
    expect(errorsFor(body, 22)).toEqual([]);
    expect(await member(good1)).toMatchObject({ dues_outstanding: false, workplace_id: org.workplaceId, category: 'student' });
    expect(await member(good2)).toMatchObject({ phone: '+46701234567', joined_at: '2021-03-15' });
    expect(await member(dup)).toBeUndefined();
  });

  test('a bad row never overwrites a stored member', async () => {
    const n = num();
    await post(`medlemsnummer;fornavn;etternavn;e-post;postnummer\n${n};Kari;Lund;kari.lund@example.com;0150\n`);
    const { body } = await post(`medlemsnummer;fornavn;etternavn;e-post;postnummer\n${n};Karianne;Lund;not-an-email;0150\n`);
    expect(body).toMatchObject({ updated: 0, rejected: 1 });
    expect(await member(n)).toMatchObject({ first_name: 'Kari', email: 'kari.lund@example.com' });
  });

  test('importing the same file twice: the second run reports everything unchanged', async () => {
    const rows = [HEADER_NB];
    for (let i = 0; i < 50; i++) {
      rows.push(`${num()};Navn${i};Etternavn;n${i}@example.com;9${String(1000000 + i)};Gate ${i};0150;bokmål;${i % 5 === 0 ? 'utmeldt' : 'aktiv'};pensjonist;${codes.workplace};${codes.branch};${codes.club};${codes.agreement};01.01.2001;${i % 5 === 0 ? '02.02.2022' : ''};${i % 5 === 0 ? 'død' : ''}`);
    }
    rows.push(`${num()};Uten;Dato;;;;;;utmeldt;;;;;;;;strøket`); // resigned without a date: the import date, kept on re-import
    const csv = rows.join('\n');
    const first = await post(csv);
    expect(first.body).toMatchObject({ inserted: 51, updated: 0, unchanged: 0, rejected: 0 });
    const second = await post(csv);
    expect(second.body).toEqual({ inserted: 0, updated: 0, unchanged: 51, rejected: 0, warnings: [], errors: [] });
  });

  test('a resignation records resigned_at and the reason; rejoining clears them', async () => {
    const n = num();
    await post(`medlemsnummer;fornavn;etternavn;status\n${n};Ivar;Aasen;aktiv\n`);
    const r1 = await post(`medlemsnummer;fornavn;etternavn;status;utmeldt;utmeldingsårsak\n${n};Ivar;Aasen;utmeldt;15.06.2024;Overført annet LO-forbund\n`);
    expect(r1.body).toMatchObject({ updated: 1, rejected: 0 });
    expect(await member(n)).toMatchObject({ status: 'resigned', resigned_at: '2024-06-15', resignation_reason: 'moved_lo_union' });
    // Status alone: the date is the day of the import.
    const m = num();
    await post(`medlemsnummer;fornavn;etternavn\n${m};Eva;Joly\n`);
    await post(`medlemsnummer;fornavn;etternavn;medlemsstatus;årsak\n${m};Eva;Joly;resigned;struck_off\n`);
    const today = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Oslo' }).format(t.hub.clock.now());
    expect(await member(m)).toMatchObject({ status: 'resigned', resigned_at: today, resignation_reason: 'struck_off' });
    await post(`medlemsnummer;fornavn;etternavn;status\n${n};Ivar;Aasen;aktiv\n`);
    expect(await member(n)).toMatchObject({ status: 'active', resigned_at: null, resignation_reason: null });
  });

  test('columns the file does not have keep their stored values; an empty cell clears', async () => {
    const n = num();
    await post(`medlemsnummer;fornavn;etternavn;e-post;mobil;tariffavtale\n${n};Siv;Berg;siv@example.com;91234567;${codes.agreement}\n`);
    const r = await post(`medlemsnummer;fornavn;etternavn;mobil\n${n};Siv;Berg;\n`);
    expect(r.body.updated).toBe(1);
    const m = await member(n);
    expect(m).toMatchObject({ email: 'siv@example.com', phone: null });
    expect((await t.hub.db.one('SELECT count(*)::int AS n FROM member_agreements WHERE member_id = $1', [m!.id]))!.n).toBe(1);
    const r2 = await post(`medlemsnummer;fornavn;etternavn;tariffavtale\n${n};Siv;Berg;${codes.otherAgreement}\n`);
    expect(r2.body.updated).toBe(1);
    const ag = await t.hub.db.many('SELECT agreement_id FROM member_agreements WHERE member_id = $1', [m!.id]);
    expect(ag.map((x) => x.agreement_id)).toEqual([org.otherAgreementId]);
  });

  // Small imports read each member's coverage by index, large ones aggregate all of it once: the same rule either way.
  test.each([['per member', undefined], ['aggregated once', 0]] as const)('a re-import changes coverage only where a row lists other agreements; coverage it keeps keeps its start date (coverage read %s)', async (_form, aggregateCoverageFrom) => {
    const load = async (csv: string) => importMembers(t.hub, { kind: 'csv', data: (async function* () { yield Buffer.from(csv); })() },
      { staff: null, actor: 'test', via: 'bench', aggregateCoverageFrom });
    const [same, renamed, moved, gained, lost, added] = [num(), num(), num(), num(), num(), num()];
    const A = codes.agreement;
    const B = codes.otherAgreement;
    const head = 'medlemsnummer;fornavn;etternavn;tariffavtale';
    await load(`${head}\n${same};Ola;Lie;${A}\n${renamed};Kari;Lie;${A}|${B}\n${moved};Per;Lie;${A}\n${gained};Liv;Lie;\n${lost};Tor;Lie;${B}\n`);
    // Coverage recorded by an earlier import keeps the date it started.
    await t.hub.db.query(`UPDATE member_agreements SET covered_from = DATE '2020-01-01'
                           WHERE member_id IN (SELECT id FROM members WHERE member_number = ANY ($1))`, [[same, renamed, moved, gained, lost]]);
    const r = await load(`${head}\n${same};Ola;Lie;${A}\n${renamed};Kari;Lie-Berg;${B}|${A}\n${moved};Per;Lie;${B}\n${gained};Liv;Lie;${A}\n${lost};Tor;Lie;\n${added};Siv;Lie;${A}|${B}\n`);
    expect(r).toMatchObject({ inserted: 1, updated: 4, unchanged: 1, rejected: 0 });
    const coverage = async (n: string) => (await t.hub.db.many(
      `SELECT ma.agreement_id AS id, to_char(ma.covered_from, 'YYYY-MM-DD') AS since FROM member_agreements ma JOIN members m ON m.id = ma.member_id
        WHERE m.member_number = $1 ORDER BY ma.agreement_id`, [n])).map((x) => ({ id: Number(x.id), old: x.since === '2020-01-01' }));
    const both = [org.agreementId, org.otherAgreementId].sort((x, y) => x - y);
    expect(await coverage(same)).toEqual([{ id: org.agreementId, old: true }]);
    // Listed in another order, with the name changed: the same coverage, still from 2020.
    expect(await coverage(renamed)).toEqual(both.map((id) => ({ id, old: true })));
    expect(await coverage(moved)).toEqual([{ id: org.otherAgreementId, old: false }]);
    expect(await coverage(gained)).toEqual([{ id: org.agreementId, old: false }]);
    expect(await coverage(lost)).toEqual([]);
    expect(await coverage(added)).toEqual(both.map((id) => ({ id, old: false })));
  });

  test('a national identity number column is dropped with a warning and stored nowhere', async () => {
    const n = num();
    const fnr = '01017012345';
    const dnr = '41017012345';
    const csv = `Medlemsnummer;Fødselsnummer;Fornavn;Etternavn;D-nummer;personnr;E-post\n${n};${fnr};Nils;Nilsen;${dnr};${fnr};nils@example.com\n`;
    const { status, body } = await post(csv);
    expect(status).toBe(200);
    expect(body.inserted).toBe(1);
    expect(body.warnings).toHaveLength(3);
    for (const col of ['Fødselsnummer', 'D-nummer', 'personnr']) expect(body.warnings.some((w: string) => w.includes(`«${col}»`) && /ser ut til å være fødselsnummer/.test(w))).toBe(true);
    expect(JSON.stringify(body)).not.toContain(fnr);
    expect(JSON.stringify(body)).not.toContain('70123');
    // A bad row in the same file must not echo it either.
    const bad = await post(`fnr;medlemsnummer;fornavn;etternavn;e-post\n${fnr};${num()};Nils;Nilsen;x@\n`);
    expect(bad.body.rejected).toBe(1);
    expect(JSON.stringify(bad.body)).not.toContain(fnr);
    // JSON too.
    const json = await post(JSON.stringify([{ member_number: num(), first_name: 'Nina', last_name: 'Nes', fodselsnummer: fnr }]), 'application/json');
    expect(json.body.inserted).toBe(1);
    expect(json.body.warnings[0]).toMatch(/ser ut til å være fødselsnummer/);
    // Nowhere in the database: every text-like column of every table.
    const cols = await t.hub.db.many(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE table_schema = 'public' AND data_type IN ('text', 'character', 'character varying', 'jsonb', 'json', 'ARRAY')`);
    expect(cols.length).toBeGreaterThan(20);
    for (const c of cols) {
      const hit = await t.hub.db.one(`SELECT count(*)::int AS n FROM "${c.table_name}" WHERE "${c.column_name}"::text LIKE $1 OR "${c.column_name}"::text LIKE $2`, [`%${fnr}%`, `%${dnr}%`]);
      expect({ column: `${c.table_name}.${c.column_name}`, hits: hit!.n }).toEqual({ column: `${c.table_name}.${c.column_name}`, hits: 0 });
    }
  });

  test('representatives and auditors cannot import (403); no token is 401', async () => {
    const holder = await insertMember(t.hub.db, { branchId: org.branchId });
    await t.hub.db.query(`INSERT INTO member_roles (member_id, role, branch_id) VALUES ($1, 'branch_board', $2)`, [holder.id, org.branchId]);
    const rep = await staffWithToken(t.hub, 'representative', { memberId: holder.id });
    const auditor = await staffWithToken(t.hub, 'auditor');
    const csv = `medlemsnummer;fornavn;etternavn\n${num()};Kari;Nordmann\n`;
    expect((await post(csv, 'text/csv', rep.auth)).status).toBe(403);
    expect((await post(csv, 'text/csv', auditor.auth)).status).toBe(403);
    const put = await fetch(`${api.url}/api/members/${num()}`, { method: 'PUT', headers: { ...auditor.auth, 'content-type': 'application/json' }, body: JSON.stringify({ first_name: 'A', last_name: 'B' }) });
    expect(put.status).toBe(403);
    expect((await post(csv, 'text/csv', { authorization: '' })).status).toBe(401);
    const comms = await staffWithToken(t.hub, 'communications');
    expect((await post(csv, 'text/csv', comms.auth)).status).toBe(200);
  });
});

function makeUnknownOrg(): string {
  // A valid mod-11 number that is no workplace here.
  return '974760673';
}

describe('JSON import and single-member upsert', () => {
  test('an array of members with English keys, or { members: [...] }, same validation and report', async () => {
    const a = num(); const b = num();
    const r = await post(JSON.stringify([
      { member_number: a, first_name: 'Lise', last_name: 'Lund', email: 'lise@example.com', phone: '99887766', postcode: '9008', language: 'nn',
        status: 'active', category: 'pensioner', workplace_org_number: codes.workplace, branch: codes.branch, club: codes.club, agreements: [codes.agreement], joined_at: '2010-10-10', dues_outstanding: true },
      { member_number: b, first_name: 'Tor', last_name: 'Lie', email: 'nope' },
      'not an object',
    ]), 'application/json');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ inserted: 1, rejected: 2 });
    expect(r.body.errors).toEqual([
      { row: 2, field: 'email', message: expect.stringMatching(/email/) },
      { row: 3, field: 'row', message: expect.any(String) },
    ]);
    expect(await member(a)).toMatchObject({ county_code: '55', phone: '+4799887766', category: 'pensioner', dues_outstanding: true, language: 'nn' });
    const wrapped = await post(JSON.stringify({ members: [{ member_number: b, first_name: 'Tor', last_name: 'Lie', email: 'tor@example.com' }] }), 'application/json');
    expect(wrapped.body).toMatchObject({ inserted: 1, rejected: 0 });
    const notArray = await post(JSON.stringify({ nope: 1 }), 'application/json');
    expect(notArray.status).toBe(400);
  });

  test('PUT /api/members/:memberNumber creates (201) then updates (200) and returns the member', async () => {
    const n = num();
    const put = (body: unknown) => fetch(`${api.url}/api/members/${n}`, { method: 'PUT', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const r1 = await put({ first_name: 'Guro', last_name: 'Haugen', postcode: '0150', phone: '+47 912 34 567', club: codes.club });
    expect(r1.status).toBe(201);
    expect(await r1.json()).toMatchObject({ memberNumber: n, firstName: 'Guro', phone: '+4791234567', municipalityNumber: '0301', clubCode: codes.club, branchCode: codes.branch });
    const r2 = await put({ first_name: 'Guro', last_name: 'Haugen', status: 'resigned', resigned_at: '2025-01-31', resignation_reason: 'deceased' });
    expect(r2.status).toBe(200);
    expect(await r2.json()).toMatchObject({ status: 'resigned', resignedAt: '2025-01-31', resignationReason: 'deceased', phone: '+4791234567' });
    const bad = await put({ first_name: 'Guro', last_name: 'Haugen', postcode: '0000' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors).toEqual([{ field: 'postcode', message: expect.stringMatching(/0000/) }]);
    const mismatch = await put({ member_number: 'OTHER', first_name: 'A', last_name: 'B' });
    expect(mismatch.status).toBe(400);
    const audits = await t.hub.db.many(`SELECT action FROM audit_log WHERE action = 'member.upsert'`);
    expect(audits.length).toBeGreaterThanOrEqual(2);
  });
});

describe('CLI', () => {
  test('npm run import -- FILE gives the same report as the endpoint', async () => {
    const other = await createTestHub();
    try {
      // The same reference data in both databases.
      for (const db of [other.hub.db]) {
        await db.query('INSERT INTO branches (code, name) SELECT code, name FROM unnest($1::text[], $2::text[]) AS x(code, name)', [[codes.branch], ['B']]);
      }
      const rows = ['Medlemsnr;Fornavn;Etternavn;Mobil;Postnr;Avdeling;Fødselsnummer;Favorittfarge'];
      for (let i = 0; i < 20; i++) rows.push(`C${i};Navn;Etter;${i === 3 ? '123' : `4${String(1000000 + i)}`};${i === 5 ? '0000' : '0150'};${codes.branch};01017012345;blå`);
      rows.push('C4;Dobbel;Rad;;;;;');
      const file = path.join(os.tmpdir(), `budstikke-import-${process.pid}.csv`);
      fs.writeFileSync(file, iconv.encode(rows.join('\r\n'), 'win1252'));
      const fromApi = await post(fs.readFileSync(file));
      const fromCli = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [path.join(__dirname, '../node_modules/tsx/dist/cli.mjs'), path.join(__dirname, '../scripts/import.ts'), file], {
          env: { ...process.env, DATABASE_URL: other.config.databaseUrl, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
        }, (err, stdout, stderr) => resolve({ code: err ? (err as any).code ?? 1 : 0, stdout, stderr }));
      });
      fs.rmSync(file, { force: true });
      expect(fromCli.stderr).toBe('');
      expect(fromCli.code).toBe(0);
      const cliReport = JSON.parse(fromCli.stdout);
      expect(fromApi.body.rejected).toBe(4);
      expect(cliReport).toEqual(fromApi.body);
      // A malformed file: one clear line and a non-zero exit.
      const empty = path.join(os.tmpdir(), `budstikke-empty-${process.pid}.csv`);
      fs.writeFileSync(empty, '');
      const failed = await new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, [path.join(__dirname, '../node_modules/tsx/dist/cli.mjs'), path.join(__dirname, '../scripts/import.ts'), empty], {
          env: { ...process.env, DATABASE_URL: other.config.databaseUrl, LOG_LEVEL: 'silent', NODE_ENV: 'test' },
        }, (err, _stdout, stderr) => resolve({ code: err ? (err as any).code ?? 1 : 0, stderr }));
      });
      fs.rmSync(empty, { force: true });
      expect(failed.code).not.toBe(0);
      expect(failed.stderr.trim().split('\n')).toHaveLength(1);
      expect(failed.stderr).toMatch(/Filen er tom/);
    } finally {
      await other.close();
    }
  });

  test('importMembers is callable directly with records (the path the demo seed uses)', async () => {
    const n = num();
    const report = await importMembers(t.hub, { kind: 'records', records: (function* () { yield { member_number: n, first_name: 'Gen', last_name: 'Erert' }; })() }, { staff: null, actor: 'test', via: 'seed' });
    expect(report).toEqual({ inserted: 1, updated: 0, unchanged: 0, rejected: 0, warnings: [], errors: [] });
  });
});
