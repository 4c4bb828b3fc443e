import type pg from 'pg';
import { makeOrgNumber } from '../members/org-number';
import { EMPLOYER_KINDS, EMPLOYER_STEMS, FEMALE_FIRST, LAST, MALE_FIRST, STREETS } from './names';

/** mulberry32: a small, fast, seeded PRNG so the demo union is the same on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** A postcode with the county it lies in (first two digits of its municipality number). */
export interface Postcode { postcode: string; county: string }

export interface DemoOrganisation {
  employers: { orgNumber: string; name: string }[];
  workplaces: { orgNumber: string; name: string; employerOrg: string; street: string; postcode: string; agreement: string }[];
  branches: { code: string; name: string; counties: string[] }[];
  clubs: { code: string; name: string; branch: string }[];
  agreements: { code: string; name: string; bargainingArea: string }[];
}

/** The county of a postcode decides the branch; together the branches cover the country. */
const BRANCHES = [
  { code: 'OST', name: 'Avdeling Østlandet', counties: ['03', '31', '32', '33', '34', '39', '40'] },
  { code: 'VEST', name: 'Avdeling Vestlandet og Agder', counties: ['11', '15', '42', '46'] },
  { code: 'MIDT', name: 'Avdeling Trøndelag', counties: ['50'] },
  { code: 'NORD', name: 'Avdeling Nord-Norge', counties: ['18', '55', '56', '21', '22'] },
];

/** The demo union's structure: 30 employers, 60 workplaces, 4 branches, 8 clubs, 2 agreements. */
export function demoOrganisation(postcodes: Postcode[], seed = 2026): DemoOrganisation {
  const r = prng(seed);
  const employers = Array.from({ length: 30 }, (_, i) => ({
    orgNumber: makeOrgNumber(9_100_000 + i * 1_000),
    name: `${EMPLOYER_STEMS[i]} ${EMPLOYER_KINDS[i % EMPLOYER_KINDS.length]}`,
  }));
  const agreements = [
    { code: 'HTA', name: 'Hovedtariffavtalen i staten', bargainingArea: 'Staten' },
    { code: 'IND', name: 'Industrioverenskomsten', bargainingArea: 'NHO' },
  ];
  const workplaces = Array.from({ length: 60 }, (_, j) => {
    const e = employers[j % 30];
    const pc = pick(r, postcodes);
    return {
      orgNumber: makeOrgNumber(9_500_000 + j * 1_000),
      name: `${e.name.replace(/ (AS|HF|KF)$/, '')} avd. ${j < 30 ? 'hovedkontor' : 'drift'}`,
      employerOrg: e.orgNumber,
      street: `${pick(r, STREETS)} ${1 + Math.floor(r() * 120)}`,
      postcode: pc.postcode,
      agreement: j % 30 < 15 ? 'HTA' : 'IND',
    };
  });
  const clubs = BRANCHES.flatMap((b) => [1, 2].map((k) => ({ code: `${b.code}-K${k}`, name: `Klubb ${k} ${b.name.replace('Avdeling ', '')}`, branch: b.code })));
  return { employers, workplaces, branches: BRANCHES.map((b) => ({ ...b })), clubs, agreements };
}

/** Writes the structure (idempotently: a re-run after a crash changes nothing). */
export async function insertOrganisation(c: pg.PoolClient, o: DemoOrganisation): Promise<void> {
  await c.query(`INSERT INTO employers (org_number, name) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
    [o.employers.map((e) => e.orgNumber), o.employers.map((e) => e.name)]);
  await c.query(
    `INSERT INTO workplaces (org_number, name, employer_id, street, postcode)
     SELECT w.org, w.name, e.id, w.street, w.pc FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS w(org, name, emp, street, pc)
       JOIN employers e ON e.org_number = w.emp
     ON CONFLICT DO NOTHING`,
    [o.workplaces.map((w) => w.orgNumber), o.workplaces.map((w) => w.name), o.workplaces.map((w) => w.employerOrg),
      o.workplaces.map((w) => w.street), o.workplaces.map((w) => w.postcode)]);
  await c.query(`INSERT INTO branches (code, name) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT DO NOTHING`,
    [o.branches.map((b) => b.code), o.branches.map((b) => b.name)]);
  await c.query(
    `INSERT INTO clubs (code, name, branch_id) SELECT x.code, x.name, b.id FROM unnest($1::text[], $2::text[], $3::text[]) AS x(code, name, branch)
       JOIN branches b ON b.code = x.branch ON CONFLICT DO NOTHING`,
    [o.clubs.map((c2) => c2.code), o.clubs.map((c2) => c2.name), o.clubs.map((c2) => c2.branch)]);
  await c.query(`INSERT INTO agreements (code, name, bargaining_area) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
    [o.agreements.map((a) => a.code), o.agreements.map((a) => a.name), o.agreements.map((a) => a.bargainingArea)]);
}

/** A synthetic member with the import's English keys and canonical values. */
export interface DemoMember {
  member_number: string;
  first_name: string;
  last_name: string;
  email: string | null;
  phone: string | null;
  street: string;
  postcode: string;
  language: 'nb' | 'nn' | 'en';
  status: 'active' | 'resigned';
  category: 'employee' | 'self_employed' | 'apprentice' | 'student' | 'pupil' | 'pensioner';
  workplace_org_number: string | null;
  branch: string;
  club: string | null;
  agreements: string[];
  joined_at: string;
  resigned_at: string | null;
  resignation_reason: string | null;
  dues_outstanding: boolean;
}

const CATEGORIES: [DemoMember['category'], number][] = [
  ['employee', 0.74], ['self_employed', 0.04], ['apprentice', 0.05], ['student', 0.04], ['pupil', 0.02], ['pensioner', 0.11],
];
const REASONS: [string, number][] = [['resigned', 0.55], ['moved_lo_union', 0.15], ['moved_outside_lo', 0.1], ['struck_off', 0.12], ['deceased', 0.08]];
const DOMAINS = ['example.com', 'example.net', 'example.org'];

function weighted<T>(r: () => number, xs: [T, number][]): T {
  let x = r();
  for (const [v, w] of xs) { if ((x -= w) < 0) return v; }
  return xs[xs.length - 1][0];
}

function ascii(s: string): string {
  return s.toLowerCase().replace(/æ/g, 'ae').replace(/ø/g, 'o').replace(/å/g, 'a').normalize('NFD').replace(/[^a-z]/g, '');
}

const DAY = 86_400_000;
const BASE = Date.UTC(1975, 0, 1);
const SPAN_DAYS = Math.floor((Date.UTC(2025, 11, 31) - BASE) / DAY);
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * `count` synthetic members, one at a time: a generator, so a million of them never sit in
 * memory. Deterministic for a seed, postcode list and organisation.
 */
export function* generateMembers(opts: { count: number; seed?: number; postcodes: Postcode[]; organisation: DemoOrganisation; firstNumber?: number }): Generator<DemoMember> {
  const r = prng(opts.seed ?? 7);
  const o = opts.organisation;
  const branchOf = new Map<string, string>();
  for (const b of o.branches) for (const c of b.counties) branchOf.set(c, b.code);
  const clubsOf = new Map<string, string[]>();
  for (const c of o.clubs) clubsOf.set(c.branch, [...(clubsOf.get(c.branch) ?? []), c.code]);
  const first = opts.firstNumber ?? 100_001;
  for (let i = 0; i < opts.count; i++) {
    const female = r() < 0.5;
    const firstName = pick(r, female ? FEMALE_FIRST : MALE_FIRST);
    const lastName = r() < 0.08 ? `${pick(r, LAST)}-${pick(r, LAST)}` : pick(r, LAST);
    const pc = pick(r, opts.postcodes);
    const branch = branchOf.get(pc.county) ?? o.branches[0].code;
    const category = weighted(r, CATEGORIES);
    const working = category === 'employee' || category === 'apprentice';
    const workplace = working && r() < 0.92 ? pick(r, o.workplaces) : null;
    const joinedDay = Math.floor(r() * SPAN_DAYS);
    const resigned = r() < 0.08;
    const resignedDay = resigned ? Math.min(SPAN_DAYS, joinedDay + 30 + Math.floor(r() * 3000)) : 0;
    const agreements: string[] = [];
    if (workplace && r() < 0.85) agreements.push(workplace.agreement);
    if (workplace && r() < 0.03) agreements.push(workplace.agreement === 'HTA' ? 'IND' : 'HTA');
    const language = weighted<DemoMember['language']>(r, [['nb', 0.85], ['nn', 0.12], ['en', 0.03]]);
    const hasEmail = r() < 0.94;
    const hasPhone = r() < 0.9;
    const n = first + i;
    const clubs = clubsOf.get(branch) ?? [];
    yield {
      member_number: String(n),
      first_name: firstName,
      last_name: lastName,
      email: hasEmail ? `${ascii(firstName)}.${ascii(lastName)}${n % 1000}@${DOMAINS[n % 3]}` : null,
      phone: hasPhone ? `+47${r() < 0.55 ? '9' : '4'}${String(Math.floor(r() * 10_000_000)).padStart(7, '0')}` : null,
      street: `${pick(r, STREETS)} ${1 + Math.floor(r() * 150)}${r() < 0.15 ? pick(r, ['A', 'B', 'C']) : ''}`,
      postcode: pc.postcode,
      language,
      status: resigned ? 'resigned' : 'active',
      category,
      workplace_org_number: workplace?.orgNumber ?? null,
      branch,
      club: clubs.length && r() < 0.6 ? pick(r, clubs) : null,
      agreements,
      joined_at: iso(BASE + joinedDay * DAY),
      resigned_at: resigned ? iso(BASE + resignedDay * DAY) : null,
      resignation_reason: resigned ? weighted(r, REASONS) : null,
      dues_outstanding: !resigned && r() < 0.03,
    };
  }
}

/** Street-address postcodes (categories G and B) in postcode order, from the database. */
export async function streetPostcodes(db: { query: (sql: string) => Promise<{ rows: any[] }> }): Promise<Postcode[]> {
  const { rows } = await db.query(
    `SELECT postcode, left(municipality_number, 2) AS county FROM postal_codes WHERE in_register AND category IN ('G', 'B') ORDER BY postcode`);
  return rows.map((x) => ({ postcode: x.postcode, county: x.county }));
}

// ---- CSV as a Norwegian office's register export would write it (for the import benchmark) ----

export const CSV_HEADER = [
  'Medlemsnummer', 'Fornavn', 'Etternavn', 'E-post', 'Mobil', 'Adresse', 'Postnummer', 'Målform', 'Medlemsstatus', 'Medlemskategori',
  'Arbeidssted', 'Avdeling', 'Klubb', 'Tariffavtale', 'Innmeldt', 'Utmeldt', 'Utmeldingsårsak', 'Restanse',
];
const NB_STATUS = { active: 'Aktiv', resigned: 'Utmeldt' };
const NB_CATEGORY: Record<DemoMember['category'], string> = {
  employee: 'Yrkesaktiv', self_employed: 'Selvstendig', apprentice: 'Lærling', student: 'Student', pupil: 'Elev', pensioner: 'Pensjonist',
};
const NB_LANGUAGE = { nb: 'Bokmål', nn: 'Nynorsk', en: 'Engelsk' };
const NB_REASON: Record<string, string> = {
  resigned: 'Utmeldt', moved_lo_union: 'Overført LO-forbund', moved_outside_lo: 'Overgang utenfor LO', struck_off: 'Strøket', deceased: 'Død',
};
const nbDate = (d: string) => `${d.slice(8, 10)}.${d.slice(5, 7)}.${d.slice(0, 4)}`;

function cell(v: string): string {
  return /[;"\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One `;`-separated line; phones and dates in the spellings real exports use. */
export function memberCsvLine(m: DemoMember, i: number): string {
  let phone = '';
  if (m.phone) {
    const d = m.phone.slice(3);
    phone = i % 4 === 0 ? `+47 ${d.slice(0, 3)} ${d.slice(3, 5)} ${d.slice(5)}` : i % 4 === 1 ? d : i % 4 === 2 ? m.phone : `${d.slice(0, 3)} ${d.slice(3, 5)} ${d.slice(5)}`;
  }
  return [
    m.member_number, m.first_name, m.last_name, m.email ?? '', phone, m.street, m.postcode, NB_LANGUAGE[m.language],
    NB_STATUS[m.status], NB_CATEGORY[m.category], m.workplace_org_number ?? '', m.branch, m.club ?? '', m.agreements.join('|'),
    nbDate(m.joined_at), m.resigned_at ? nbDate(m.resigned_at) : '', m.resignation_reason ? NB_REASON[m.resignation_reason] : '',
    m.dues_outstanding ? 'Ja' : 'Nei',
  ].map(cell).join(';');
}

/** The whole file as a stream of text chunks (header first), never all in memory. */
export function* memberCsv(members: Iterable<DemoMember>, linesPerChunk = 2000): Generator<string> {
  let chunk = `${CSV_HEADER.join(';')}\r\n`;
  let k = 0;
  let i = 0;
  for (const m of members) {
    chunk += `${memberCsvLine(m, i++)}\r\n`;
    if (++k >= linesPerChunk) { yield chunk; chunk = ''; k = 0; }
  }
  if (chunk) yield chunk;
}
