import { Writable } from 'node:stream';
import pino from 'pino';
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { findTraces, runRetentionSweep, trackingSettings } from '../src/privacy';
import { loadConfig } from '../src/config';

/** A valid Norwegian fødselsnummer (11 digits, two mod-11 check digits) for a birth date and serial. */
function fodselsnummer(ddmmyy: string, serial: number): string | null {
  const base = `${ddmmyy}${String(serial).padStart(3, '0')}`;
  const d = base.split('').map(Number);
  const k1w = [3, 7, 6, 1, 8, 9, 4, 5, 2];
  let k1 = 11 - (d.reduce((s, x, i) => s + x * k1w[i], 0) % 11);
  if (k1 === 11) k1 = 0;
  if (k1 === 10) return null;
  const k2w = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  let k2 = 11 - ([...d, k1].reduce((s, x, i) => s + x * k2w[i], 0) % 11);
  if (k2 === 11) k2 = 0;
  if (k2 === 10) return null;
  return `${base}${k1}${k2}`;
}

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
const lines: string[] = [];

beforeAll(async () => {
  t = await createTestHub();
  // Everything the hub logs, at every level, captured as written.
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(chunk.toString()); cb(); } });
  t.hub.log = pino({ level: 'trace', name: 'budstikke' }, sink);
  api = await startApi(t.hub);
});

afterAll(async () => {
  await api.close();
  await t.close();
});

test('no column anywhere in the schema is meant for a national identity number', async () => {
  const cols = await t.hub.db.many(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`);
  expect(cols.length).toBeGreaterThan(50);
  const suspicious = cols.filter((c) => /(^|_)(fnr|ssn|nin|pnr|dnr|hnr)($|_)|f(ø|o|oe)dsel|personn|national_?id|identity_?n|birth_?n|d_?nummer/i.test(c.column_name));
  expect(suspicious).toEqual([]);
});

test('an import with an fnr column, an export and an erasure log member ids only, and no fødselsnummer is kept anywhere', async () => {
  const admin = await staffWithToken(t.hub, 'admin');
  const people: { number: string; fnr: string; first: string; last: string; email: string; phone: string }[] = [];
  for (let i = 0; people.length < 5; i++) {
    const fnr = fodselsnummer(`${String(10 + i).padStart(2, '0')}0785`, 400 + i);
    if (!fnr) continue;
    const n = people.length;
    people.push({ number: `MIN${1000 + n}`, fnr, first: `Solveig${n}x`, last: `Qvarnstrøm${n}x`, email: `solveig${n}.q@minimal.example`, phone: `+479800${String(1000 + n)}` });
  }
  const csv = ['medlemsnummer;fnr;fornavn;etternavn;epost;mobil;postnummer',
    ...people.map((p) => `${p.number};${p.fnr};${p.first};${p.last};${p.email};${p.phone};0150`)].join('\r\n');
  const imported = await fetch(`${api.url}/api/members/import`, { method: 'POST', headers: { ...admin.auth, 'content-type': 'text/csv' }, body: csv });
  expect(imported.status).toBe(200);
  const report = await imported.json();
  expect(report.inserted).toBe(5);
  expect(report.warnings.join(' ')).toMatch(/ser ut til å være fødselsnummer/);

  expect((await fetch(`${api.url}/api/members/${people[0].number}/export`, { headers: admin.auth })).status).toBe(200);
  expect((await fetch(`${api.url}/api/members/${people[0].number}/export.html`, { headers: admin.auth })).status).toBe(200);
  expect((await fetch(`${api.url}/api/members?q=${encodeURIComponent(people[1].last)}`, { headers: admin.auth })).status).toBe(200);
  const erased = await fetch(`${api.url}/api/members/${people[1].number}/erase`, {
    method: 'POST', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'krav om sletting' }),
  });
  expect(erased.status).toBe(200);
  await runRetentionSweep(t.hub);

  const log = lines.join('');
  expect(lines.some((l) => /member import/.test(l))).toBe(true);
  expect(lines.some((l) => /member erased on request/.test(l))).toBe(true);
  expect(lines.some((l) => /retention sweep/.test(l))).toBe(true);
  for (const p of people) {
    for (const s of [p.fnr, p.first, p.last, p.email, p.phone, p.phone.slice(3)]) expect(log).not.toContain(s);
  }
  // Not even as a value in the database: the fnr column was dropped before its values were read.
  expect(await findTraces(t.hub.db, people.map((p) => p.fnr))).toEqual([]);
});

test('per-member open and click tracking is off unless TRACK_OPENS_AND_CLICKS is on', () => {
  const off = trackingSettings(loadConfig({ NODE_ENV: 'test' }));
  expect(off).toMatchObject({ open_tracking: { enable: false }, click_tracking: { enable: false } });
  const on = trackingSettings(loadConfig({ NODE_ENV: 'test', TRACK_OPENS_AND_CLICKS: '1' }));
  expect(on).toMatchObject({ open_tracking: { enable: true }, click_tracking: { enable: true } });
});
