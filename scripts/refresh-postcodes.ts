/**
 * Refreshes the postal code register from Bring's published file:
 *   npm run refresh-postcodes -- FILE
 * FILE is Bring's tab-separated register (Postnummerregister, Windows-1252 or UTF-8): postcode,
 * place, municipality number, municipality name, category. It is checked, written to
 * data/postal-codes.tsv as UTF-8 (so new databases load it), and applied to the database:
 * postcodes are added or updated, and those no longer published are marked, never deleted
 * (members may still have them).
 */
import fs from 'node:fs';
import path from 'node:path';
import { createDb, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { applyPostalRegister, parsePostalRegister } from '../src/geography/register';
import { DATA_DIR } from '../src/paths';
import { dbFailure, fail, scriptConfig } from './cli';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) fail('refresh-postcodes', 'usage: npm run refresh-postcodes -- FILE (Bring\'s Postnummerregister, tab-separated)', 2);
  if (!fs.existsSync(file)) fail('refresh-postcodes', `no such file: ${file}`, 2);
  let rows;
  try {
    rows = parsePostalRegister(fs.readFileSync(file));
  } catch (err: any) {
    fail('refresh-postcodes', `${file}: ${err.message}`);
  }
  if (rows.length < 1000) fail('refresh-postcodes', `${file} has only ${rows.length} postcodes; Bring's register has about 5,000 — refusing to apply it`);
  const config = scriptConfig('refresh-postcodes');
  let db: ReturnType<typeof createDb> | undefined;
  try {
    await ensureDatabase(config.databaseUrl);
    db = createDb(config.databaseUrl, { max: 1, applicationName: 'budstikke-refresh-postcodes' });
    await migrate(db);
    const result = await db.tx((c) => applyPostalRegister(c, rows));
    const out = path.join(DATA_DIR, 'postal-codes.tsv');
    const tmp = `${out}.tmp`;
    fs.writeFileSync(tmp, rows.map((r) => [r.postcode, r.place, r.municipalityNumber, r.municipalityName, r.category].join('\t')).join('\n'), 'utf8');
    fs.renameSync(tmp, out);
    process.stdout.write(`Applied ${result.postcodes} postcodes (${result.retired} no longer in the register, kept and marked); wrote ${path.relative(process.cwd(), out)}.\n`);
  } catch (err) {
    fail('refresh-postcodes', dbFailure(config, err));
  } finally {
    await db?.close();
  }
}

main().catch((err) => fail('refresh-postcodes', err?.message ?? String(err)));
