/**
 * Member import: a 1,000,000-row register CSV (Norwegian headers, `;`, UTF-8, phones and dates
 * in the spellings real exports use) through the real import path — `importMembers`, the same
 * function POST /api/members/import and `npm run import` call — into a fresh database.
 *
 *   npm run bench -- import            (or: npx tsx bench/import.ts)
 *   options: --rows 1000000 --keep (keep the bench database and the CSV)
 *
 * Floor, taken in the same run: PostgreSQL's own COPY of the same file into a plain table of
 * text columns. The import runs in a child process so its peak RSS is its own (max of
 * process.resourceUsage().maxRSS and an RSS sample every 100 ms). A second import of the same
 * file (all unchanged) is timed as well. Prints one JSON line, then a short table.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { configFromEnvironment } from '../src/config';
import { createDb, dropDatabase, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { createLogger } from '../src/log';
import { systemClock } from '../src/clock';
import { importMembers, type ImportReport } from '../src/members';
import { CSV_HEADER, demoOrganisation, generateMembers, insertOrganisation, memberCsv, streetPostcodes } from '../src/demo/seed';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const secs = (ms: number) => Number((ms / 1000).toFixed(2));

/** Child: one import of FILE into DB, reporting wall time, peak RSS and the report's counts. */
async function child(file: string, url: string): Promise<void> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  const db = createDb(url, { max: 2, applicationName: 'budstikke-bench-import' });
  const phases: Record<string, number> = {};
  const t0 = performance.now();
  const report: ImportReport = await importMembers({ db, clock: systemClock, log: createLogger('warn') },
    { kind: 'csv', data: fs.createReadStream(file, { highWaterMark: 256 * 1024 }) },
    { staff: null, actor: 'bench', via: 'bench', onPhase: (name, ms) => { phases[name] = Number(((phases[name] ?? 0) + ms / 1000).toFixed(2)); } });
  const wall = performance.now() - t0;
  clearInterval(timer);
  await db.close();
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const { errors, warnings, ...counts } = report;
  process.stdout.write(`${JSON.stringify({ wall_ms: wall, peak_rss_mb: Math.round(peak / 1048576), ...counts, errors: errors.length, warnings, phases })}\n`);
}

async function runChild(file: string, url: string): Promise<{ wall_ms: number; peak_rss_mb: number; inserted: number; updated: number; unchanged: number; rejected: number; errors: number; phases: Record<string, number> }> {
  const tsx = path.join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const p = spawn(process.execPath, [tsx, __filename, '--child', file, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  const [code] = await once(p, 'exit');
  if (code !== 0) throw new Error(`import child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const rows = flag('rows', 1_000_000);
  const keep = process.argv.includes('--keep');
  const config = configFromEnvironment();
  const u = new URL(config.databaseUrl);
  u.pathname = '/budstikke_bench_import';
  const url = u.toString();
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url, { max: 2 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'budstikke-bench-import-'));
  const file = path.join(dir, 'members.csv');
  try {
    await migrate(db);
    const postcodes = await streetPostcodes(db);
    const organisation = demoOrganisation(postcodes);
    await db.tx((c) => insertOrganisation(c, organisation));

    const g0 = performance.now();
    const out = fs.createWriteStream(file);
    for (const chunk of memberCsv(generateMembers({ count: rows, seed: 1, postcodes, organisation }), 5000)) {
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    const genMs = performance.now() - g0;
    const bytes = fs.statSync(file).size;

    // Floor: PostgreSQL's own COPY of the same file into a plain table.
    await db.query(`CREATE TABLE bench_floor (${CSV_HEADER.map((_, i) => `c${i} text`).join(', ')})`);
    const client = await db.pool.connect();
    const f0 = performance.now();
    try {
      await pipeline(fs.createReadStream(file, { highWaterMark: 256 * 1024 }),
        client.query(copyFrom(`COPY bench_floor FROM STDIN WITH (FORMAT csv, HEADER true, DELIMITER ';', ENCODING 'UTF8')`)));
    } finally {
      client.release();
    }
    const floorMs = performance.now() - f0;
    await db.query('DROP TABLE bench_floor');
    await db.query('CHECKPOINT');

    const first = await runChild(file, url);
    if (first.inserted + first.rejected !== rows) throw new Error(`import counted ${first.inserted} + ${first.rejected} rejected of ${rows}`);
    const second = await runChild(file, url);
    if (second.unchanged !== first.inserted || second.updated || second.inserted) throw new Error(`re-import was not all unchanged: ${JSON.stringify(second)}`);

    const result = {
      bench: 'import',
      rows,
      wall_s: secs(first.wall_ms),
      floor_s: secs(floorMs),
      peak_rss_mb: first.peak_rss_mb,
      ratio_to_floor: Number((first.wall_ms / floorMs).toFixed(1)),
      inserted: first.inserted,
      rejected: first.rejected,
      phases_s: first.phases,
      reimport_wall_s: secs(second.wall_ms),
      reimport_phases_s: second.phases,
      reimport_peak_rss_mb: second.peak_rss_mb,
      file_mb: Math.round(bytes / 1048576),
      generate_s: secs(genMs),
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const table: [string, string][] = [
      ['rows (Norwegian headers, ;, UTF-8)', `${rows} (${result.file_mb} MB)`],
      ['import wall (importMembers, fresh db)', `${result.wall_s} s (target ≤ 60 s)`],
      ['floor: PostgreSQL COPY into plain table', `${result.floor_s} s`],
      ['import / floor', `${result.ratio_to_floor}×`],
      ['peak RSS of the import process', `${result.peak_rss_mb} MB (target ≤ 300 MB)`],
      ['re-import, all unchanged', `${result.reimport_wall_s} s, ${result.reimport_peak_rss_mb} MB`],
      ['phases (s)', Object.entries(first.phases).map(([k, v]) => `${k} ${v}`).join(', ')],
      ['re-import phases (s)', Object.entries(second.phases).map(([k, v]) => `${k} ${v}`).join(', ')],
      ['inserted / rejected', `${result.inserted} / ${result.rejected}`],
      ['CSV generation (not timed above)', `${result.generate_s} s`],
    ];
    const w = Math.max(...table.map((r) => r[0].length));
    for (const [k, v] of table) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
  } finally {
    await db.close();
    if (!keep) {
      fs.rmSync(dir, { recursive: true, force: true });
      await dropDatabase(url);
    } else process.stderr.write(`kept ${file} and database budstikke_bench_import\n`);
  }
}

export default main;

if (require.main === module) {
  const i = process.argv.indexOf('--child');
  const run = i >= 0 ? child(process.argv[i + 1], process.argv[i + 2]) : main();
  run.then(() => process.exit(0), (e) => { process.stderr.write(`bench import: ${e?.message ?? e}\n`); process.exit(1); });
}
