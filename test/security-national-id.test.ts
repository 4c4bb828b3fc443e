import { Readable } from 'node:stream';
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { importMembers } from '../src/members';
import { containsNationalId, isNationalId, redactNationalIds } from '../src/members/national-id';
import { prng } from '../src/demo/seed';

/**
 * Issue 13, "no national id anywhere": a checksum-valid fødselsnummer or d-nummer in any field of
 * an import, a single upsert or any API request is refused naming the field, never stored and
 * never echoed; more header spellings; CR-only line endings.
 */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let admin: Awaited<ReturnType<typeof staffWithToken>>;
const rand = prng(1313);

/** A checksum-valid fødselsnummer (or d-nummer: day + 40) for a random date. */
function nationalId(d = false): string {
  for (;;) {
    const day = 1 + Math.floor(rand() * 28) + (d ? 40 : 0);
    const month = 1 + Math.floor(rand() * 12);
    const year = Math.floor(rand() * 100);
    const ind = Math.floor(rand() * 1000);
    const base = `${String(day).padStart(2, '0')}${String(month).padStart(2, '0')}${String(year).padStart(2, '0')}${String(ind).padStart(3, '0')}`;
    const n = [...base].map(Number);
    const k = (w: number[], ds: number[]) => { const r = 11 - (w.reduce((a, x, i) => a + x * ds[i], 0) % 11); return r === 11 ? 0 : r; };
    const k1 = k([3, 7, 6, 1, 8, 9, 4, 5, 2], n);
    if (k1 === 10) continue;
    const k2 = k([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], [...n, k1]);
    if (k2 === 10) continue;
    return `${base}${k1}${k2}`;
  }
}

const csv = (text: string) => ({ kind: 'csv' as const, data: Readable.from([Buffer.from(text, 'utf8')]) });
const opts = () => ({ staff: admin.staff, via: 'api' as const });

/** Every row of every table as text: where a national id must never be. */
async function everyTableText(): Promise<string[]> {
  const tables = await t.hub.db.many(`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`);
  const out: string[] = [];
  for (const { tablename } of tables) {
    for (const r of await t.hub.db.many(`SELECT row_to_json(x)::text AS j FROM "${tablename}" x`)) out.push(`${tablename}: ${r.j}`);
  }
  return out;
}

beforeAll(async () => {
  t = await createTestHub();
  api = await startApi(t.hub);
  admin = await staffWithToken(t.hub, 'admin');
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

test('the check digits: generated numbers pass, a changed digit fails; d-numbers count; a longer digit run does not', () => {
  for (let i = 0; i < 200; i++) {
    const n = nationalId(i % 2 === 1);
    expect(isNationalId(n)).toBe(true);
    const bad = n.slice(0, 10) + String((Number(n[10]) + 1) % 10);
    expect(isNationalId(bad)).toBe(false);
    expect(containsNationalId(`Storgata ${n.slice(0, 6)} ${n.slice(6)}`)).toBe(true);
    expect(containsNationalId(`1${n}`)).toBe(false);
  }
  expect(redactNationalIds(`id ${nationalId()} her`)).toBe('id [fødselsnummer fjernet] her');
});

test('a national id in the member number or the street is a row error naming the field, not stored, not echoed', async () => {
  const a = nationalId();
  const b = nationalId(true);
  const report = await importMembers(t.hub, csv(`medlemsnummer;fornavn;etternavn;adresse\n${a};Kari;Nordmann;Storgata 1\nNID1;Ola;Nordmann;Bak ${b} gata\nNID2;Per;Hansen;Storgata 2\n`), opts());
  expect(report).toMatchObject({ inserted: 1, rejected: 2 });
  expect(report.errors).toEqual([
    { row: 2, field: 'member_number', message: 'member_number ser ut som et fødselsnummer eller d-nummer; det lagres ikke' },
    { row: 3, field: 'street', message: 'street ser ut som et fødselsnummer eller d-nummer; det lagres ikke' },
  ]);
  expect(JSON.stringify(report)).not.toContain(a);
  expect(JSON.stringify(report)).not.toContain(b);
});

test('more header spellings name a national id column: it is dropped and none of its values read', async () => {
  for (const h of ['Personal number', 'Birth no.', 'fødselsnr.', 'personnr.', 'SSN', 'Fødselsnummer (11 siffer)', 'D-nummer', 'National identity number']) {
    const id = nationalId();
    const report = await importMembers(t.hub, csv(`medlemsnummer,fornavn,etternavn,${h}\nH${h.length}x,Kari,Nordmann,${id}\n`), opts());
    expect(report.warnings.join(' ')).toMatch(/ser ut til å være fødselsnummer; den ble fjernet/);
    expect(report.rejected).toBe(0);
  }
});

test('CR-only line endings are read as lines, and the report repeats no row data', async () => {
  const id = nationalId();
  const rows = ['medlemsnummer;fornavn;etternavn;adresse', 'CR1;Kari;Nordmann;Storgata 1', 'CR2;Ola;Nordmann;Storgata 2', `CR3;Per;Hansen;${id}`];
  const report = await importMembers(t.hub, csv(`${rows.join('\r')}\r`), opts());
  expect(report).toMatchObject({ inserted: 2, rejected: 1 });
  expect(report.errors).toEqual([{ row: 4, field: 'street', message: 'street ser ut som et fødselsnummer eller d-nummer; det lagres ikke' }]);
  expect(JSON.stringify(report)).not.toContain(id);
  const stored = await t.hub.db.many(`SELECT member_number FROM members WHERE member_number LIKE 'CR%' ORDER BY 1`);
  expect(stored.map((r) => r.member_number)).toEqual(['CR1', 'CR2']);
});

test('the API refuses a national id in any field: upsert body, path, other routes (400 naming the field, value not echoed)', async () => {
  const id = nationalId();
  const put = await fetch(`${api.url}/api/members/UP1`, { method: 'PUT', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ first_name: 'Kari', last_name: 'Nordmann', street: `Vei ${id}` }) });
  expect(put.status).toBe(400);
  const p = await put.text();
  expect(JSON.parse(p).errors).toEqual([{ field: 'body.street', message: 'ser ut som et fødselsnummer eller d-nummer; det lagres ikke' }]);
  expect(p).not.toContain(id);
  const path = await fetch(`${api.url}/api/members/${id}`, { method: 'PUT', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ first_name: 'Kari', last_name: 'N' }) });
  expect(path.status).toBe(400);
  expect((await path.json() as any).errors[0].field).toBe('params.memberNumber');
  const aud = await fetch(`${api.url}/api/audiences`, { method: 'POST', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', filter: { memberNumbers: [Number(id)] } }) });
  expect(aud.status).toBe(400);
});

test('property: no string containing a checksum-valid national id reaches any table (CSV import, JSON import, upsert, API fields)', async () => {
  const fields = ['member_number', 'first_name', 'last_name', 'email', 'phone', 'street', 'postcode', 'branch', 'club', 'agreements'];
  const wrap = (id: string) => {
    const forms = [id, `${id.slice(0, 6)} ${id.slice(6)}`, `${id.slice(0, 6)}-${id.slice(6)}`, `x${id}`, `${id}@example.no`, `Gate ${id} B`];
    return forms[Math.floor(rand() * forms.length)];
  };
  for (let i = 0; i < 40; i++) {
    const f = fields[i % fields.length];
    const v = wrap(nationalId(i % 3 === 0));
    const row: Record<string, string> = { member_number: `P${i}`, first_name: 'Kari', last_name: 'Nordmann', [f]: v };
    const path = i % 4;
    if (path === 0) {
      const header = Object.keys(row);
      const r = await importMembers(t.hub, csv(`${header.join(';')}\n${header.map((h) => row[h]).join(';')}\n`), opts());
      expect(r.rejected).toBe(1);
      expect(JSON.stringify(r)).not.toContain(v);
    } else if (path === 1) {
      const r = await fetch(`${api.url}/api/members/import`, { method: 'POST', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify([row]) });
      const text = await r.text();
      expect(JSON.parse(text).rejected).toBe(1);
      expect(text).not.toContain(v);
    } else if (path === 2) {
      const { member_number: n, ...rest } = row;
      const r = await fetch(`${api.url}/api/members/${f === 'member_number' ? 'P-ok' : n}`, { method: 'PUT', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify(f === 'member_number' ? { ...rest, member_number: v } : rest) });
      expect(r.status).toBe(400);
      expect(await r.text()).not.toContain(v);
    } else {
      const r = await fetch(`${api.url}/api/audiences`, { method: 'POST', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: `Utvalg ${v}`, filter: { status: ['active'] } }) });
      expect(r.status).toBe(400);
    }
  }
  const leaked = (await everyTableText()).filter((line) => containsNationalId(line));
  expect(leaked.map((l) => l.slice(0, 80))).toEqual([]);
});
