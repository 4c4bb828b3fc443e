/**
 * Campaign throughput: an email campaign to 1,000,000 generated members, from the launch request
 * until every log row has `sent_at` and the SendGrid emulator has accepted every recipient.
 *
 *   npm run bench -- campaign            (or: npx tsx bench/campaign.ts)
 *   options: --members 1000000 (or --recipients) --workers 1 (worker processes) --webhooks (emulator posts events
 *            to the API) --keep (keep the database bench_campaign)
 *
 * Setup (not timed): a fresh migrated database `bench_campaign`, the built-in templates, the demo
 * organisation and N members from the demo generator (`src/demo/generator.ts`) through the
 * import's COPY path (`importMembers`), every one active with an email address; ANALYZE.
 * Then three kinds of separate processes, so each one's peak RSS is its own: the SendGrid/Twilio
 * emulators (`dev/emulators/cli.ts --ledger count`), the worker (`npm run start:worker`'s command,
 * one or more) and the API (`npm run start:api`'s): the compiled code under plain node with
 * package.json's flags, as production runs them (the bench runs `npm run build` first). A staff token is created, the campaign (category
 * `campaign`, template `campaign`, audience everyone, links {action}) is created and launched
 * through the API. Measured: wall time from the launch request until no row is queued/sending,
 * all N rows have `sent_at` and the emulator's stats report N recipients accepted (polled every
 * 250 ms); launch_request_s = the launch request (it answers 202 before the audience is taken);
 * snapshot_s = launch until the snapshot jobs have taken the whole audience (campaigns.snapshot_at);
 * in_doubt = rows left in doubt at the end (0 unless a process died); load average at launch and
 * end, CPU per process kind (bench/helpers/system.ts); peak RSS = VmHWM of each serving process (the node process running main.ts / the emulator).
 * Floor, same run: a bare `INSERT INTO scratch SELECT … FROM members` of the same N log rows,
 * before the launch (the ratio) and again after the end (floor_after_s: was the machine the same?).
 * The wall ends when the end condition is seen; what the bench reads afterwards is not in it.
 * Prints one JSON line, then a short table.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import IORedis from 'ioredis';
import { configFromEnvironment } from '../src/config';
import { createDb, dropDatabase, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { createLogger } from '../src/log';
import { systemClock } from '../src/clock';
import { syncBuiltInTemplates } from '../src/render';
import { importMembers } from '../src/members';
import { createApiToken, createStaffUser } from '../src/auth';
import { demoOrganisation, generateMembers, insertOrganisation, streetPostcodes, type DemoMember } from '../src/demo/seed';
import { loadAverage, pgBackendPids, pgEndedTicks, pgStatements, procTicks, tickSeconds } from './helpers/system';

const ROOT = path.join(__dirname, '..');

const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const API_KEY = 'SG.bench-campaign-key';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const secs = (ms: number) => Number((ms / 1000).toFixed(2));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => process.stderr.write(`bench campaign: ${s}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

/** The process tree under pid (pid first). */
function tree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      for (const t of fs.readdirSync(`/proc/${out[i]}/task`)) {
        const kids = fs.readFileSync(`/proc/${out[i]}/task/${t}/children`, 'utf8').trim();
        if (kids) out.push(...kids.split(/\s+/).map(Number));
      }
    } catch { /* gone */ }
  }
  return out;
}
function statusKb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+)`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}
/** The serving node process of a `node tsx/cli.mjs …` child: the leaf of its tree (tsx runs the script in a child). */
function servingPid(pid: number): number {
  const node = fs.realpathSync(process.execPath);
  const all = tree(pid).filter((p) => { try { return fs.realpathSync(`/proc/${p}/exe`) === node; } catch { return false; } });
  return all[all.length - 1] ?? pid;
}

interface Proc { name: string; child: ChildProcess; pid: number }

/**
 * The node arguments of an npm script of package.json that runs `node [flags] dist/…` (start:api,
 * start:worker): the bench starts the hub's processes exactly as production does, so their flags
 * (the worker's heap sizes) cannot drift from what it measures, and tsx's loader (its transform
 * cache, ~40–45 MB of RSS per process here) is not counted in the hub's memory.
 */
function productionArgs(script: string): string[] {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const words = (pkg.scripts[script] ?? '').trim().split(/\s+/);
  if (words[0] !== 'node' || !words.some((w) => w.startsWith('dist/'))) throw new Error(`package.json ${script} is not "node … dist/…": ${pkg.scripts[script]}`);
  return words.slice(1);
}

/** A production process: `node <prof flags> <package.json script's arguments>` in the project root. */
function startProduction(name: string, script: string, env: NodeJS.ProcessEnv, ready: RegExp, prof: string[]): Promise<Proc & { line: string }> {
  return startNode(name, [...prof, ...productionArgs(script)], env, ready);
}

/** A development process: `args` (a .ts entry and its arguments) under tsx, `nodeArgs` for node itself. */
function startTsx(name: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp | 'json', nodeArgs: string[] = []): Promise<Proc & { line: string }> {
  return startNode(name, nodeArgs.length ? [...nodeArgs, '--import', 'tsx', ...args] : [TSX, ...args], env, ready);
}

function startNode(name: string, argv: string[], env: NodeJS.ProcessEnv, ready: RegExp | 'json'): Promise<Proc & { line: string }> {
  const child = spawn(process.execPath, argv, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
  return new Promise((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const onLine = (line: string) => {
      if (ready === 'json' ? line.startsWith('{') : ready.test(line)) {
        rl.off('line', onLine);
        child.stdout!.resume();
        resolve({ name, child, pid: child.pid!, line });
      }
    };
    rl.on('line', onLine);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready`)));
  });
}

async function stop(p: Proc | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}

async function main(): Promise<void> {
  const members = flag('members', flag('recipients', 1_000_000));
  // The hub's processes run compiled, as production does: build what is in the tree now.
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error(`npm run build failed (${build.status ?? build.error})`);
  const workerCount = flag('workers', 1);
  const webhooks = process.argv.includes('--webhooks');
  const keep = process.argv.includes('--keep');
  const config = configFromEnvironment();
  const u = new URL(config.databaseUrl);
  u.pathname = '/bench_campaign';
  const url = u.toString();
  const prefix = `bench-campaign-${process.pid}-${Date.now()}`;
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url, { max: 4, applicationName: 'budstikke-bench-campaign' });
  const procs: Proc[] = [];
  try {
    // ---- setup (not timed) ----
    await migrate(db);
    const logger = createLogger('warn');
    await syncBuiltInTemplates({ db, config: { ...config, databaseUrl: url }, log: logger });
    const postcodes = await streetPostcodes(db);
    const organisation = demoOrganisation(postcodes);
    await db.tx((c) => insertOrganisation(c, organisation));
    const g0 = performance.now();
    function* everyoneReachable(): Generator<DemoMember> {
      for (const m of generateMembers({ count: members, seed: 1, postcodes, organisation })) {
        yield { ...m, email: m.email ?? `medlem${m.member_number}@example.no`, status: 'active', resigned_at: null, resignation_reason: null, dues_outstanding: false };
      }
    }
    const report = await importMembers({ db, clock: systemClock, log: logger }, { kind: 'records', records: everyoneReachable() },
      { staff: null, actor: 'bench', via: 'bench' });
    if (report.inserted !== members) throw new Error(`import inserted ${report.inserted} of ${members}: ${JSON.stringify(report.errors.slice(0, 3))}`);
    await db.query('VACUUM ANALYZE');
    const loadMs = performance.now() - g0;
    log(`${members} members loaded and analysed in ${secs(loadMs)} s`);

    // ---- floor: the same N log rows, bare; taken again after the campaign ----
    // This machine's speed drifts between runs (the emulator's CPU for the same work varied 2x
    // in one hour): the floor after tells whether the machine was the same at the end.
    const floor = async (): Promise<number> => {
      await db.query(`CREATE TABLE scratch (LIKE send_log INCLUDING DEFAULTS)`);
      const f0 = performance.now();
      await db.query(`INSERT INTO scratch (campaign_id, member_id, channel, state, batch_no)
        SELECT 0, m.id, 'email', 'queued', (row_number() OVER (ORDER BY m.id) - 1) / 1000 FROM members m WHERE m.status = 'active' AND m.email IS NOT NULL`);
      const ms = performance.now() - f0;
      await db.query('DROP TABLE scratch');
      await db.query('CHECKPOINT');
      return ms;
    };
    const floorMs = await floor();

    const admin = await createStaffUser(db, { email: 'bench-campaign@budstikke.example', name: 'Bench', role: 'admin' });
    const { token } = await createApiToken(db, admin.id, 'bench-campaign');
    const templateId = (await db.one(`SELECT id FROM templates WHERE key = 'campaign'`))!.id as number;

    // ---- processes ----
    // --cpu-prof: a V8 CPU profile of each worker and of the emulator, in <tmpdir>/bench-campaign-prof.
    const prof = process.argv.includes('--cpu-prof') ? ['--cpu-prof', `--cpu-prof-dir=${path.join(os.tmpdir(), 'bench-campaign-prof')}`] : [];
    const emu = await startTsx('emulator', ['dev/emulators/cli.ts', '--ledger', 'count', '--sendgrid-api-key', API_KEY],
      { ...process.env, NODE_ENV: 'development' }, 'json', prof);
    const emuInfo = JSON.parse(emu.line) as { sendgrid: { url: string; publicKeyBase64: string }; twilio: { url: string }; pid: number };
    procs.push({ ...emu, pid: emuInfo.pid });
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env, NODE_ENV: 'development', DATABASE_URL: url, QUEUE_PREFIX: prefix, DEMO_SEED: '0', LOG_LEVEL: 'warn', EMULATORS: '0',
      SENDGRID_BASE_URL: emuInfo.sendgrid.url, SENDGRID_API_KEY: API_KEY, SENDGRID_WEBHOOK_PUBLIC_KEY: emuInfo.sendgrid.publicKeyBase64,
      TWILIO_BASE_URL: emuInfo.twilio.url, APPROVAL_THRESHOLD: String(10 * members + 1_000_000_000),
    };
    delete env.PORT;
    for (let i = 0; i < workerCount; i++) {
      // As `npm run start:worker` runs it (the compiled code and package.json's node flags).
      const w = await startProduction(`worker${i + 1}`, 'start:worker', env, /workers running/, prof);
      procs.push({ ...w, pid: servingPid(w.pid) });
    }
    const api = await startProduction('api', 'start:api', { ...env, PORT: String(port), PUBLIC_BASE_URL: `http://127.0.0.1:${port}` }, /is running/, []);
    procs.push({ ...api, pid: servingPid(api.pid) });
    const base = `http://127.0.0.1:${port}`;
    if (webhooks) {
      const r = await fetch(`${emuInfo.sendgrid.url}/__emulator/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${base}/webhooks/sendgrid/events` }) });
      if (!r.ok) throw new Error(`emulator webhook: ${r.status}`);
    }
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/campaigns`, { method: 'POST', headers, body: JSON.stringify({
      name: 'Bench: aksjon', category: 'campaign', channels: ['email'], templates: { email: { templateId } },
      audience: { all: [] }, links: { action: 'https://budstikke.example/aksjon' },
    }) });
    if (created.status !== 201) throw new Error(`create campaign: ${created.status} ${await created.text()}`);
    const campaignId = (await created.json() as { id: number }).id;

    // RSS sampling, every 250 ms, as a cross-check of VmHWM.
    const rssPeak = new Map<string, number>();
    const sampler = setInterval(() => {
      for (const p of procs) rssPeak.set(p.name, Math.max(rssPeak.get(p.name) ?? 0, statusKb(p.pid, 'VmRSS')));
    }, 250);
    const load0 = loadAverage();
    // CPU from /proc (utime + stime): the hub's own processes, the PostgreSQL backends of the
    // bench database (PostgreSQL runs on this host; a backend that ends between readings is
    // missed, so a lower bound) and the emulator apart, so the hub's cost shows beside the double's.
    const pgPids = () => pgBackendPids(db);
    const hubPids = () => procs.filter((p) => p.name !== 'emulator').map((p) => p.pid);
    const cpu0 = { hub: procTicks(hubPids()), pg: procTicks(await pgPids()), pgEnded: await pgEndedTicks(db), emu: procTicks([emuInfo.pid]) };
    // Load-independent measures of PostgreSQL's work (CPU seconds inflate on a busy machine):
    // buffer accesses of this database and the send log's row versions (updates, HOT updates).
    const pgWork = async () => {
      const d = (await db.one(`SELECT blks_hit + blks_read AS blks, tup_inserted, tup_updated FROM pg_stat_database WHERE datname = current_database()`))!;
      const t = (await db.one(`SELECT COALESCE(sum(n_tup_upd), 0) AS upd, COALESCE(sum(n_tup_hot_upd), 0) AS hot FROM pg_stat_user_tables WHERE relname = 'send_log'`))!;
      return { blks: Number(d.blks), ins: Number(d.tup_inserted), upd: Number(d.tup_updated), slUpd: Number(t.upd), slHot: Number(t.hot) };
    };
    const work0 = await pgWork();
    // Per-statement cost of the run (null when the server does not load pg_stat_statements).
    const statements = await pgStatements(db);

    // ---- the measured part ----
    const t0 = performance.now();
    const launched = await fetch(`${base}/api/campaigns/${campaignId}/launch`, { method: 'POST', headers, body: '{}' });
    // The launch answers 202 before the audience is taken (the snapshot is queue jobs).
    const launchRequestMs = performance.now() - t0;
    let snapshotMs = -1;
    if (!launched.ok) throw new Error(`launch: ${launched.status} ${await launched.text()}`);
    const launchBody = await launched.json() as { recipients?: number; approvalRequired?: boolean };
    if (launchBody.approvalRequired) throw new Error('launch asked for approval (APPROVAL_THRESHOLD)');
    let pending = -1;
    let accepted = 0;
    let lastLog = 0;
    const deadline = t0 + Math.max(600_000, members * 1.2);
    const openBatches = async () => (await db.one(`SELECT count(*)::int AS n FROM send_batches WHERE campaign_id = $1 AND open`, [campaignId]))!.n;
    for (;;) {
      if (snapshotMs < 0 && (await db.one(`SELECT snapshot_at FROM campaigns WHERE id = $1`, [campaignId]))!.snapshot_at) snapshotMs = performance.now() - t0;
      const st = await (await fetch(`${emuInfo.sendgrid.url}/__emulator/stats`)).json() as { recipients: number };
      accepted = st.recipients;
      // The progress line counts open batches (send_batches: a closed batch has no pending row),
      // not their rows: counting the rows of the open batches read up to 600,000 log rows every
      // 10 s (0.4 s of a backend each, 5.5 s per run, ninth session), load the measured run does
      // not have in production. Once the emulator has every recipient, the pending rows of the
      // open batches are counted, and when none is left the whole campaign once to confirm.
      const logDue = performance.now() - lastLog > 10_000;
      if (accepted >= members) {
        pending = (await db.one(`SELECT count(*)::int AS n FROM send_batches b JOIN send_log s
          ON s.campaign_id = b.campaign_id AND s.channel = b.channel AND s.batch_no = b.batch_no
          WHERE b.campaign_id = $1 AND b.open AND s.state IN ('queued', 'sending')`, [campaignId]))!.n;
        if (pending === 0) {
          pending = (await db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND state IN ('queued', 'sending')`, [campaignId]))!.n;
        }
      }
      if (pending === 0 && accepted >= members) break;
      if (performance.now() > deadline) throw new Error(`not done after ${secs(performance.now() - t0)} s: ${await openBatches()} batches open, ${accepted} accepted`);
      if (logDue) { lastLog = performance.now(); log(`${secs(lastLog - t0)} s: ${await openBatches()} batches open, ${accepted} accepted`); }
      await sleep(250);
    }
    // The wall ends when the end condition is seen, before the bench's own reading below
    // (1.5 s for the statistics to arrive, the statement profile, the count of sent rows).
    const wallMs = performance.now() - t0;
    const cpu1 = { hub: procTicks(hubPids()), pg: procTicks(await pgPids()), pgEnded: await pgEndedTicks(db), emu: procTicks([emuInfo.pid]) };
    const perMillion = (a: Map<number, number>, b: Map<number, number>, extraTicks = 0) => Number(((tickSeconds(a, b) + extraTicks / 100) * (1_000_000 / members)).toFixed(1));
    // PostgreSQL: the backends alive at the end, and those that ended during the run (pgEndedTicks,
    // less what those had used before the launch).
    let endedBefore = 0;
    for (const [pid, t] of cpu0.pg) if (!cpu1.pg.has(pid)) endedBefore += t;
    const pgEnded = cpu1.pgEnded - cpu0.pgEnded - endedBefore;
    const cpuPerMillion = { hub_s: perMillion(cpu0.hub, cpu1.hub), postgres_s: perMillion(cpu0.pg, cpu1.pg, pgEnded), emulator_s: perMillion(cpu0.emu, cpu1.emu) };
    // Statistics reach pg_stat_* from the backends within a second or so.
    await sleep(1500);
    const work1 = await pgWork();
    const per = (k: keyof typeof work0) => Number(((work1[k] - work0[k]) / members).toFixed(2));
    const pgPerRecipient = { buffers: per('blks'), tuples_inserted: per('ins'), tuples_updated: per('upd'), send_log_updates: per('slUpd'), send_log_hot_updates: per('slHot') };
    const topStatements = statements ? await statements.top(12) : null;
    const sentDone = await db.one(`SELECT count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent, count(*) FILTER (WHERE state = 'in_doubt')::int AS in_doubt,
        count(*)::int AS n FROM send_log WHERE campaign_id = $1`, [campaignId]);
    clearInterval(sampler);
    if (snapshotMs < 0) snapshotMs = wallMs;
    const inDoubt: number = sentDone!.in_doubt;
    if (sentDone!.sent + inDoubt !== members || sentDone!.n !== members) throw new Error(`log rows: ${sentDone!.sent} with sent_at of ${sentDone!.n}, expected ${members}`);
    const hwm = Object.fromEntries(procs.map((p) => [p.name, Math.round(Math.max(statusKb(p.pid, 'VmHWM'), rssPeak.get(p.name) ?? 0) / 1024)]));
    const stats = await (await fetch(`${emuInfo.sendgrid.url}/__emulator/stats`)).json() as { requests: number; recipients: number; cpuMs: number; webhook: unknown };
    const state = (await db.one(`SELECT state FROM campaigns WHERE id = $1`, [campaignId]))!.state;
    const load = loadAverage();

    const floorAfterMs = await floor();
    const workerPeaks = procs.filter((p) => p.name.startsWith('worker')).map((p) => hwm[p.name]);
    const result = {
      bench: 'campaign',
      recipients: members,
      wall_s: secs(wallMs),
      floor_s: secs(floorMs),
      floor_after_s: secs(floorAfterMs),
      launch_request_s: secs(launchRequestMs),
      snapshot_s: secs(snapshotMs),
      in_doubt: inDoubt,
      peak_rss_mb: { api: hwm.api, worker: Math.max(...workerPeaks), emulator: hwm.emulator, ...(workerCount > 1 ? { workers: workerPeaks } : {}) },
      rate_per_s: Math.round(members / (wallMs / 1000)),
      workers: workerCount,
      webhooks,
      emulator: { requests: stats.requests, recipients: stats.recipients, cpu_ms: stats.cpuMs, ledger: 'count' },
      campaign_state: state,
      member_load_s: secs(loadMs),
      cpu_s_per_million: cpuPerMillion,
      pg_per_recipient: pgPerRecipient,
      ratio: Number((wallMs / floorMs).toFixed(1)),
      load_avg: { at_launch: load0, at_end: load },
      cpus: os.cpus().length,
      pg_statements: topStatements,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const table: [string, string][] = [
      ['recipients (active, with email)', `${members}`],
      ['wall: launch → all sent_at + accepted', `${result.wall_s} s (target ≤ 30 s), ${result.rate_per_s}/s`],
      ['launch request (answers 202; the snapshot is queue jobs)', `${result.launch_request_s} s (target < 1 s)`],
      ['snapshot taken (launch → snapshot_at)', `${result.snapshot_s} s`],
      ['in doubt at the end', `${inDoubt}`],
      ['floor: bare INSERT … SELECT of N rows (before, after)', `${result.floor_s} s, ${result.floor_after_s} s`],
      ['wall / floor', `${(wallMs / floorMs).toFixed(1)}×`],
      ['peak RSS api / worker / emulator (MB)', `${hwm.api} / ${workerPeaks.join('+')} / ${hwm.emulator} (target ≤ 250 each)`],
      ['worker processes, webhooks', `${workerCount}, ${webhooks ? 'on' : 'off'}`],
      ['emulator requests / CPU', `${stats.requests} / ${stats.cpuMs} ms`],
      ['CPU s per million: hub / PostgreSQL / emulator', `${cpuPerMillion.hub_s} / ${cpuPerMillion.postgres_s} / ${cpuPerMillion.emulator_s}`],
      ['PostgreSQL per recipient: buffers / send_log updates (HOT)', `${pgPerRecipient.buffers} / ${pgPerRecipient.send_log_updates} (${pgPerRecipient.send_log_hot_updates})`],
      ['load average at launch → end (1, 5, 15 min)', `${load0.join(', ')} → ${load.join(', ')}`],
    ];
    const w = Math.max(...table.map((r) => r[0].length));
    for (const [k, v] of table) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
    if (topStatements) {
      process.stdout.write('  PostgreSQL statements by total time (pg_stat_statements; ms, calls, share):\n');
      for (const t of topStatements.slice(0, 8)) process.stdout.write(`    ${String(t.total_ms).padStart(7)} ms ${String(t.calls).padStart(7)}× ${(t.share * 100).toFixed(1).padStart(5)} %  ${t.query.slice(0, 110)}\n`);
    }
  } finally {
    for (const p of [...procs].reverse()) await stop(p);
    await db.close();
    const redis = new IORedis(config.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally { redis.disconnect(); }
    if (!keep) await dropDatabase(url);
    else log('kept database bench_campaign');
  }
}

export default main;

if (require.main === module) {
  main().then(() => process.exit(0), (e) => { process.stderr.write(`bench campaign: ${e?.stack ?? e}\n`); process.exit(1); });
}
