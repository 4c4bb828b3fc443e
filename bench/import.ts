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
 * process.resourceUsage().maxRSS and an RSS sample every 100 ms); per phase it reports wall
 * seconds, the child's CPU seconds, its PostgreSQL backend's CPU seconds (with parallel workers,
 * from /proc) and what the backend waited on (pg_stat_activity every 100 ms). A second import of
 * the same file (all unchanged) is timed as well. Then the register is emptied and the file
 * imported as production runs it, whole process timed from outside: `npm run start:import` (the
 * compiled script under plain node, when `npm run build` has made dist/: production's command, the
 * one the 150 MB target applies to) and `npm run import` (tsx's loader, the development command).
 * Prints one JSON line, then a short table, with the load average at start and end.
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
import { loadAverage, procTicks } from './helpers/system';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const secs = (ms: number) => Number((ms / 1000).toFixed(2));

/**
 * Child: one import of FILE into DB, reporting wall time, peak RSS, the report's counts and, per
 * phase, wall seconds, the import process's CPU seconds and the CPU seconds of its PostgreSQL
 * backend (with any parallel workers it starts, sampled every 100 ms: a lower bound), from /proc.
 */
async function child(file: string, url: string): Promise<void> {
  let peak = process.memoryUsage().rss;
  const db = createDb(url, { max: 2, applicationName: 'budstikke-bench-import' });
  // The import's own connection: the pool hands this idle client back to importMembers.
  const pre = await db.pool.connect();
  const backend = Number((await pre.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
  pre.release();
  const workerTicks = new Map<number, number>();
  // What the import's backend waits on, sampled every 100 ms (counts per phase; CPU = not waiting).
  const waits: Record<string, Record<string, number>> = {};
  let phaseName = 'prepare';
  const workers = createDb(url, { max: 1, applicationName: 'budstikke-bench-import-sampler' });
  let sampling = true;
  const sampleWorkers = async () => {
    while (sampling) {
      const act = await workers.many(`SELECT pid, coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w, pid = $1 AS leader, state
                                        FROM pg_stat_activity WHERE pid = $1 OR leader_pid = $1`, [backend]);
      const pids = act.filter((r) => !r.leader).map((r) => Number(r.pid));
      const lead = act.find((r) => r.leader);
      if (lead && lead.state !== 'idle') { const w = (waits[phaseName] ??= {}); w[String(lead.w)] = (w[String(lead.w)] ?? 0) + 1; }
      for (const [pid, t] of procTicks(pids)) workerTicks.set(pid, t);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const sampler = sampleWorkers();
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 100);
  const pgTicks = () => (procTicks([backend]).get(backend) ?? 0) + [...workerTicks.values()].reduce((a, b) => a + b, 0);
  const phases: Record<string, number> = {};
  const nodeCpu: Record<string, number> = {};
  const pgCpu: Record<string, number> = {};
  const rssAt: Record<string, number> = {};
  const r2 = (x: number) => Number(x.toFixed(2));
  let cpu = process.cpuUsage();
  let pg = pgTicks();
  const t0 = performance.now();
  const report: ImportReport = await importMembers({ db, clock: systemClock, log: createLogger('warn') },
    { kind: 'csv', data: fs.createReadStream(file, { highWaterMark: 256 * 1024 }) },
    {
      staff: null, actor: 'bench', via: 'bench', onPhase: (name, ms) => {
        const c = process.cpuUsage(cpu); cpu = process.cpuUsage();
        const p = pgTicks();
        phases[name] = r2((phases[name] ?? 0) + ms / 1000);
        nodeCpu[name] = r2((nodeCpu[name] ?? 0) + (c.user + c.system) / 1e6);
        pgCpu[name] = r2((pgCpu[name] ?? 0) + (p - pg) / 100);
        rssAt[name] = Math.round(process.memoryUsage().rss / 1048576);
        pg = p;
        phaseName = `after ${name}`;
      },
    });
  const wall = performance.now() - t0;
  clearInterval(timer);
  sampling = false;
  await sampler;
  await workers.close();
  await db.close();
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const { errors, warnings, ...counts } = report;
  process.stdout.write(`${JSON.stringify({ wall_ms: wall, peak_rss_mb: Math.round(peak / 1048576), ...counts, errors: errors.length, warnings, phases, node_cpu: nodeCpu, pg_cpu: pgCpu, rss_mb_at_phase_end: rssAt, waits })}\n`);
}

interface ChildResult {
  wall_ms: number; peak_rss_mb: number; inserted: number; updated: number; unchanged: number; rejected: number; errors: number;
  phases: Record<string, number>; node_cpu: Record<string, number>; pg_cpu: Record<string, number>; rss_mb_at_phase_end: Record<string, number>;
  waits: Record<string, Record<string, number>>;
}

async function runChild(file: string, url: string): Promise<ChildResult> {
  const tsx = path.join(__dirname, '..', 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const p = spawn(process.execPath, [tsx, __filename, '--child', file, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  const [code] = await once(p, 'exit');
  if (code !== 0) throw new Error(`import child exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!);
}

/** A production import process (`node …args FILE`, DATABASE_URL=url): wall time and peak RSS (VmHWM from /proc, read every 50 ms). */
async function runScript(args: string[], url: string, cwd: string): Promise<{ wall_s: number; peak_rss_mb: number }> {
  const t0 = performance.now();
  const p = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DATABASE_URL: url } });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  let hwm = 0;
  const poll = setInterval(() => {
    try { hwm = Math.max(hwm, Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${p.pid}/status`, 'utf8'))?.[1] ?? 0)); } catch { /* ended */ }
  }, 50);
  const [code] = await once(p, 'exit');
  clearInterval(poll);
  const wall = performance.now() - t0;
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}`);
  const report = JSON.parse(out) as ImportReport;
  if (!report.inserted) throw new Error(`production import inserted nothing: ${out.slice(0, 200)}`);
  return { wall_s: secs(wall), peak_rss_mb: Math.round(hwm / 1024) };
}

const phaseTable = (r: ChildResult) => Object.entries(r.phases).filter(([k, v]) => v >= 0.01 || (r.pg_cpu[k] ?? 0) >= 0.01)
  .map(([k, v]) => `${k} ${v}/${r.node_cpu[k] ?? 0}/${r.pg_cpu[k] ?? 0}`).join(', ');

async function main(): Promise<void> {
  const rows = flag('rows', 1_000_000);
  const keep = process.argv.includes('--keep');
  const loadStart = loadAverage();
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

    // What production runs: `npm run import -- FILE` (scripts/import.ts under tsx's loader) and the
    // compiled script with plain node (`npm run build` first; skipped without dist/), each a fresh
    // first load of the same file (the register emptied first), whole process timed from outside.
    const production: Record<string, { wall_s: number; peak_rss_mb: number }> = {};
    const root = path.join(__dirname, '..');
    const compiled = path.join(root, 'dist', 'scripts', 'import.js');
    const commands: [string, string[]][] = [['tsx', ['--import', 'tsx', path.join(root, 'scripts', 'import.ts'), file]]];
    if (fs.existsSync(compiled)) commands.push(['node_dist', [compiled, file]]);
    for (const [name, args] of commands) {
      await db.query('TRUNCATE members CASCADE');
      await db.query('CHECKPOINT');
      production[name] = await runScript(args, url, root);
    }

    const sum = (r: Record<string, number>) => Number(Object.values(r).reduce((a, b) => a + b, 0).toFixed(2));
    const result = {
      bench: 'import',
      rows,
      wall_s: secs(first.wall_ms),
      floor_s: secs(floorMs),
      peak_rss_mb: first.peak_rss_mb,
      ratio_to_floor: Number((first.wall_ms / floorMs).toFixed(1)),
      node_cpu_s: sum(first.node_cpu),
      postgres_cpu_s: sum(first.pg_cpu),
      inserted: first.inserted,
      rejected: first.rejected,
      phases_s: first.phases,
      phases_node_cpu_s: first.node_cpu,
      phases_postgres_cpu_s: first.pg_cpu,
      rss_mb_at_phase_end: first.rss_mb_at_phase_end,
      postgres_waits_100ms: first.waits,
      reimport_wall_s: secs(second.wall_ms),
      reimport_ratio_to_floor: Number((second.wall_ms / floorMs).toFixed(1)),
      reimport_node_cpu_s: sum(second.node_cpu),
      reimport_postgres_cpu_s: sum(second.pg_cpu),
      reimport_phases_s: second.phases,
      reimport_phases_node_cpu_s: second.node_cpu,
      reimport_phases_postgres_cpu_s: second.pg_cpu,
      reimport_peak_rss_mb: second.peak_rss_mb,
      production_import: production,
      // What production runs (`npm run start:import` = node dist/scripts/import.js), the figure the 150 MB applies to.
      production_peak_rss_mb: production.node_dist?.peak_rss_mb ?? null,
      production_wall_s: production.node_dist?.wall_s ?? null,
      loadavg_start: loadStart,
      loadavg_end: loadAverage(),
      file_mb: Math.round(bytes / 1048576),
      generate_s: secs(genMs),
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const table: [string, string][] = [
      ['rows (Norwegian headers, ;, UTF-8)', `${rows} (${result.file_mb} MB)`],
      ['import wall (importMembers, fresh db)', `${result.wall_s} s (target ≤ 10 s)`],
      ['floor: PostgreSQL COPY into plain table', `${result.floor_s} s`],
      ['import / floor', `${result.ratio_to_floor}×`],
      ['CPU: import process / PostgreSQL backend', `${result.node_cpu_s} s / ${result.postgres_cpu_s} s`],
      ['peak RSS of the import process', `${result.peak_rss_mb} MB (target ≤ 150 MB)`],
      ['re-import, all unchanged', `${result.reimport_wall_s} s (${result.reimport_ratio_to_floor}× floor), ${result.reimport_peak_rss_mb} MB; CPU ${result.reimport_node_cpu_s} / ${result.reimport_postgres_cpu_s} s`],
      ['phases: wall / node CPU / PG CPU (s)', phaseTable(first)],
      ['re-import phases (s)', phaseTable(second)],
      ['load average (1/5/15 min) start → end', `${loadStart.join(' ')} → ${result.loadavg_end.join(' ')} on ${result.cpus} CPUs`],
      ['production: npm run start:import (compiled)', production.node_dist ? `${production.node_dist.wall_s} s, ${production.node_dist.peak_rss_mb} MB peak RSS (target ≤ 150 MB)` : '— (run npm run build first)'],
      ['development: npm run import (tsx)', production.tsx ? `${production.tsx.wall_s} s, ${production.tsx.peak_rss_mb} MB` : '—'],
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
