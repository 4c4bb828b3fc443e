import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import iconv from 'iconv-lite';
import { DATA_DIR } from '../paths';

export interface PostalRow { postcode: string; place: string; municipalityNumber: string; municipalityName: string; category: string }

/**
 * Bring publishes the register as tab-separated text (postcode, place, municipality number,
 * municipality name, category), historically in Windows-1252: decode it either way.
 */
export function parsePostalRegister(buf: Buffer): PostalRow[] {
  const text = isUtf8(buf) ? buf.toString('utf8').replace(/^\uFEFF/, '') : iconv.decode(buf, 'win1252');
  const rows: PostalRow[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const [postcode, place, municipalityNumber, municipalityName, category] = line.split('\t');
    if (!/^\d{4}$/.test(postcode ?? '') || !/^\d{4}$/.test(municipalityNumber ?? '') || !place || !municipalityName) {
      throw new Error(`postal register line ${i + 1} is not "postcode<TAB>place<TAB>municipality number<TAB>municipality name<TAB>category"`);
    }
    rows.push({ postcode, place, municipalityNumber, municipalityName, category: (category ?? '').trim() });
  });
  return rows;
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

export function readCounties(): { code: string; name: string }[] {
  return fs.readFileSync(path.join(DATA_DIR, 'counties.tsv'), 'utf8').split(/\r?\n/).slice(1)
    .filter((l) => l.trim())
    .map((l) => { const [code, name] = l.split('\t'); return { code, name }; });
}

/** Upserts counties, municipalities and postcodes; postcodes no longer published are marked, not deleted. */
export async function applyPostalRegister(client: pg.PoolClient, rows: PostalRow[]): Promise<{ postcodes: number; retired: number }> {
  const counties = readCounties();
  await client.query(
    `INSERT INTO counties (code, name) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name`,
    [counties.map((c) => c.code), counties.map((c) => c.name)],
  );
  const munis = new Map<string, string>();
  for (const r of rows) munis.set(r.municipalityNumber, r.municipalityName);
  await client.query(
    `INSERT INTO municipalities (number, name, county_code)
     SELECT n, name, left(n, 2) FROM unnest($1::text[], $2::text[]) AS t(n, name)
     ON CONFLICT (number) DO UPDATE SET name = EXCLUDED.name`,
    [[...munis.keys()], [...munis.values()]],
  );
  await client.query(
    `INSERT INTO postal_codes (postcode, place, municipality_number, category, in_register)
     SELECT p, pl, m, c, true FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(p, pl, m, c)
     ON CONFLICT (postcode) DO UPDATE SET place = EXCLUDED.place, municipality_number = EXCLUDED.municipality_number,
       category = EXCLUDED.category, in_register = true`,
    [rows.map((r) => r.postcode), rows.map((r) => r.place), rows.map((r) => r.municipalityNumber), rows.map((r) => r.category)],
  );
  const retired = await client.query(
    `UPDATE postal_codes SET in_register = false WHERE in_register AND NOT (postcode = ANY($1::text[]))`,
    [rows.map((r) => r.postcode)],
  );
  return { postcodes: rows.length, retired: retired.rowCount ?? 0 };
}

/** At migration time: load the register shipped in data/ when the table is empty. */
export async function loadPostalRegister(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query('SELECT count(*)::int AS n FROM postal_codes');
  if (rows[0].n > 0) return;
  await client.query('BEGIN');
  try {
    await applyPostalRegister(client, parsePostalRegister(fs.readFileSync(path.join(DATA_DIR, 'postal-codes.tsv'))));
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}
