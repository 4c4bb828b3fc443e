/**
 * Imports a member register file: `npm run import -- FILE` (CSV, or .json with an array of members).
 * Prints the same JSON report as POST /api/members/import. A malformed file: one line on stderr,
 * exit 1, nothing written.
 */
import fs from 'node:fs';
import os from 'node:os';
import { createDb, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import pino from 'pino';
import { systemClock } from '../src/clock';
import { importMembers, type ImportSource } from '../src/members';
import { Problem } from '../src/errors';
import { dbFailure, fail, scriptConfig } from './cli';

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file || process.argv.length > 3) fail('import', 'usage: npm run import -- FILE', 2);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) fail('import', `no such file: ${file}`, 2);
  const config = scriptConfig('import');
  let db!: ReturnType<typeof createDb>;
  try {
    await ensureDatabase(config.databaseUrl);
    db = createDb(config.databaseUrl, { max: 2, applicationName: 'budstikke-import' });
    await migrate(db);
  } catch (err) {
    fail('import', dbFailure(config, err));
  }
  try {
    let source: ImportSource;
    if (/\.json$/i.test(file)) {
      let parsed: unknown;
      try { parsed = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { throw Problem.badRequest('The file is not valid JSON; nothing was imported.'); }
      const members = Array.isArray(parsed) ? parsed : (parsed as any)?.members;
      if (!Array.isArray(members)) throw Problem.badRequest('A JSON import is an array of member objects, or { "members": [...] }; nothing was imported.');
      source = { kind: 'records', records: members };
    } else {
      source = { kind: 'csv', data: fs.createReadStream(file, { highWaterMark: 256 * 1024 }) };
    }
    const report = await importMembers({ db, clock: systemClock, log: pino({ level: 'warn' }, pino.destination(2)) }, source,
      { staff: null, actor: `cli:${os.userInfo().username}`, via: 'cli' });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } catch (err: any) {
    if (err instanceof Problem) fail('import', `${err.detail ?? err.title}`);
    fail('import', dbFailure(config, err));
  } finally {
    await db.close();
  }
}

main().catch((err) => fail('import', err?.message ?? String(err)));
