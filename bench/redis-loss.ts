/**
 * Redis lost mid-campaign, measured as an operator would see it (issue 11):
 *
 *   npm run bench -- redis-loss            (or: scripts/redis-loss.sh, which keeps the full log)
 *   options: --runs 5 (Redis-loss runs) --members 100000 --api-kill 1 (runs of the API-killed case)
 *            --away-min-ms 500 --away-max-ms 5000 --limit-s 1200 (per run, waiting for completion)
 *            --control 0 (runs with nothing killed: the same random point, then the time to completion,
 *            the floor for back→completed) --keep (keep the databases) --log FILE (every process's output; default /tmp/redis-loss-<ts>.log)
 *
 * Per run, everything fresh and separate: a PRIVATE `redis-server --save "" --appendonly no` on a
 * free port (never the shared 6379), a database copied from a template built once (migrated,
 * built-in templates, N members with an email address, a staff API token), the SendGrid emulator
 * as its own process (`dev/emulators/cli.ts --ledger compact`: it can tell how many times each
 * address was accepted, `GET /__emulator/recipients`), TWO worker processes (`src/main.ts worker`,
 * node with tsx's loader in the process itself, as test/campaign-crash.test.ts starts them) and
 * the API (`src/main.ts api`), all with the app's defaults (watchdog 5 s, sweep 30 s, job lock 15 s).
 * The campaign (category `campaign`, declinable: a row in doubt is never sent again by the hub) is
 * created and launched through the API.
 *
 * Redis-loss run: once a random number of rows (5–90 % of N) is sent, redis-server is SIGKILLed,
 * kept away a random 0.5–5 s and started again EMPTY on the same port. Workers and API are not
 * touched. Then we wait (state-based, --limit-s) for the campaign to be `completed`.
 * API-killed run: the API's Redis connections go through a proxy in this script that, from the
 * launch on, holds what the API writes; the API is SIGKILLed as soon as PostgreSQL says the
 * campaign is `running` (the launch committed; its enqueue of the snapshot job never reached
 * Redis). Nobody restarts it; we wait for the campaign to complete by itself (the sweep).
 *
 * Judged on behaviour only: send_log states, the emulator's ledger, the campaign's state.
 *  - sent at kill: rows with sent_at when Redis was killed;
 *  - in flight at kill: rows `sending` just before or just after the kill (an attempt open:
 *    src/sendlog's `rowsInFlight` where it exists, else `state = 'sending'`);
 *  - lost: a row that ends neither sent (and accepted by the emulator), failed with a reason, nor
 *    in doubt; also an accepted address whose row says otherwise is counted (`accepted_not_sent`);
 *  - duplicates: accepted copies beyond the first (all addresses of the run); `dup_outside` those
 *    of addresses that were not in flight at the kill (must be 0);
 *  - back→done: seconds from Redis answering again (API run: from the API's death) to `completed`;
 *    back→rebuilt: to the first worker log line "queues rebuilt from PostgreSQL"; back→moving: to
 *    the first newly sent row; rest at the pre-kill rate: what sending the rows left at the kill
 *    takes at the launch→kill rate (so back→completed minus that is what the loss cost);
 *  - load average (1 min) at the kill and at the end; whether both workers are still alive.
 * One JSON line per run on stdout (`redis-loss run …`), then a table; every process's output goes
 * to the log file, prefixed with its name, so a failed run can be explained afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { configFromEnvironment } from '../src/config';
import { createDb, dropDatabase, ensureDatabase, type Db } from '../src/db';
import * as sendlog from '../src/sendlog';
import { migrate } from '../src/db/migrate';
import { createLogger } from '../src/log';
import { syncBuiltInTemplates } from '../src/render';
import { createApiToken, createStaffUser } from '../src/auth';
import { loadAverage } from './helpers/system';

const ROOT = path.join(__dirname, '..');
const API_KEY = 'SG.bench-redis-loss-key';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => Number((ms / 1000).toFixed(2));

const logPath = option('log') ?? path.join(os.tmpdir(), `redis-loss-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
const logFile = fs.createWriteStream(logPath, { flags: 'a' });
/** To stderr and the log file. */
function note(s: string): void {
  const line = `${new Date().toISOString()} redis-loss: ${s}\n`;
  process.stderr.write(line);
  logFile.write(line);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

// ---------------------------------------------------------------- processes

interface Proc { name: string; child: ChildProcess; lines: string[] }

/** Every line a process writes goes to the log file; `lines` keeps the ones a caller asks about. */
function startNodeProcess(name: string, args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Proc {
  // tsx's loader in the process itself, not tsx's CLI (which runs the script as a CHILD: a SIGKILL
  // to the CLI would leave the real process running).
  const child = spawn(process.execPath, [...nodeArgs, '--require', path.join(ROOT, 'node_modules/tsx/dist/preflight.cjs'),
    '--import', `file://${path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')}`, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, lines: [] };
  for (const s of [child.stdout!, child.stderr!]) {
    readline.createInterface({ input: s }).on('line', (line) => {
      logFile.write(`[${name}] ${line}\n`);
      if (line.includes('rebuil') || line.startsWith('{"sendgrid"') || /running/.test(line)) p.lines.push(line);
    });
  }
  child.on('exit', (code, signal) => logFile.write(`[${name}] exited (code ${code}, signal ${signal})\n`));
  return p;
}

const alive = (p: Proc | ChildProcess | null | undefined): boolean => {
  const c = p && 'child' in p ? p.child : p;
  return !!c && c.exitCode === null && c.signalCode === null;
};

async function waitForLine(p: Proc, re: RegExp, ms = 180_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const l = p.lines.find((x) => re.test(x));
    if (l) return l;
    if (!alive(p)) throw new Error(`${p.name} exited before it was ready (see ${logPath})`);
    if (Date.now() > end) throw new Error(`${p.name} not ready after ${ms} ms (see ${logPath})`);
    await sleep(100);
  }
}

async function stop(p: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p || !alive(p)) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill(signal);
  await Promise.race([exited, sleep(15_000)]);
  if (alive(p)) { p.child.kill('SIGKILL'); await exited; }
}

/** A redis-server of this script's own, keeping nothing on disk. */
class PrivateRedis {
  child: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url(): string { return `redis://127.0.0.1:${this.port}`; }
  async start(): Promise<void> {
    const c = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const s of [c.stdout!, c.stderr!]) readline.createInterface({ input: s }).on('line', (l) => logFile.write(`[redis] ${l}\n`));
    this.child = c;
    const end = Date.now() + 30_000;
    while (!(await this.answers())) {
      if (!alive(c)) throw new Error(`redis-server on ${this.port} exited`);
      if (Date.now() > end) throw new Error(`redis-server on ${this.port} did not answer`);
      await sleep(20);
    }
  }
  /** PING over a raw socket (no client library state to reset between kills). */
  answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, '127.0.0.1');
      const done = (v: boolean) => { s.destroy(); resolve(v); };
      s.setTimeout(500, () => done(false));
      s.on('error', () => done(false));
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => done(d.toString().startsWith('+PONG')));
    });
  }
  async kill(): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || !alive(c)) return;
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
}

/**
 * A TCP proxy in front of Redis for the API only. `hold()`: from now on nothing the API writes
 * reaches Redis (it is kept here, counted, and thrown away): the API's launch commits in
 * PostgreSQL, its enqueue waits for an answer that never comes, and we kill it meanwhile.
 */
class HoldingProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  held = 0;
  private holding = false;
  port = 0;
  constructor(private readonly upstreamPort: number) {
    this.server = net.createServer((client) => {
      const up = net.connect(this.upstreamPort, '127.0.0.1');
      this.sockets.add(client); this.sockets.add(up);
      client.on('data', (d) => { if (this.holding) this.held += d.length; else up.write(d); });
      up.on('data', (d) => client.write(d));
      const end = () => { client.destroy(); up.destroy(); this.sockets.delete(client); this.sockets.delete(up); };
      client.on('error', end); up.on('error', end); client.on('close', end); up.on('close', end);
    });
  }
  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  hold(): void { this.holding = true; }
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

// ---------------------------------------------------------------- the database

async function buildTemplate(url: string, members: number): Promise<{ token: string; templateId: number }> {
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url, { max: 2, applicationName: 'budstikke-bench-redis-loss' });
  try {
    await migrate(db);
    const config = configFromEnvironment();
    await syncBuiltInTemplates({ db, config: { ...config, databaseUrl: url }, log: createLogger('warn') });
    await db.query(
      `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code)
       SELECT 'RL' || g, 'Rita', 'Redis' || g, 'redis' || g || '@example.no', 'Gata 1', '0150', '0301', '03' FROM generate_series(1, $1::int) g`, [members]);
    await db.query('VACUUM ANALYZE');
    const admin = await createStaffUser(db, { email: 'bench-redis-loss@budstikke.example', name: 'Bench', role: 'admin' });
    const { token } = await createApiToken(db, admin.id, 'bench-redis-loss');
    const templateId = (await db.one(`SELECT id FROM templates WHERE key = 'campaign'`))!.id as number;
    return { token, templateId };
  } finally {
    await db.close();
  }
}


// ---------------------------------------------------------------- one run

interface RunResult {
  run: number; kind: 'redis-loss' | 'api-kill' | 'control'; recipients: number; ok: boolean; problems: string[];
  sent_at_kill: number; in_flight_at_kill: number; away_s: number;
  /** Rows per second from the launch to the kill, and the time the rest would take at that rate (no loss at all). */
  rate_before_kill_per_s: number; rest_at_that_rate_s: number | null;
  back_to_rebuilt_s: number | null; back_to_moving_s: number | null; back_to_done_s: number | null;
  lost: number; accepted_not_sent: number; duplicates: number; dup_outside: number; in_doubt: number; failed: number;
  states: Record<string, number>; workers_alive: number; api_alive: boolean;
  load_at_kill: number; load_at_end: number; log: string;
}

interface Shared { baseUrl: URL; template: string; token: string; templateId: number; members: number; keep: boolean; limitMs: number }

async function oneRun(run: number, kind: RunResult['kind'], sh: Shared): Promise<RunResult> {
  const N = sh.members;
  const dbName = `bench_redis_loss_${process.pid}_${run}`;
  const u = new URL(sh.baseUrl.toString());
  u.pathname = `/${dbName}`;
  const dbUrl = u.toString();
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl, sh.template);
  const db = createDb(dbUrl, { max: 3, applicationName: 'budstikke-bench-redis-loss' });
  const redis = new PrivateRedis(await freePort());
  const procs: Proc[] = [];
  let proxy: HoldingProxy | null = null;
  const problems: string[] = [];
  note(`run ${run} (${kind}): database ${dbName}, redis port ${redis.port}`);
  try {
    await redis.start();
    const emu = startNodeProcess(`r${run} emulator`, ['dev/emulators/cli.ts', '--ledger', 'compact', '--sendgrid-api-key', API_KEY, '--heap-mb', '0'],
      { ...process.env, NODE_ENV: 'development' }, ['--max-old-space-size=512']);
    procs.push(emu);
    const emuInfo = JSON.parse(await waitForLine(emu, /^\{"sendgrid"/)) as { sendgrid: { url: string; publicKeyBase64: string }; twilio: { url: string } };
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env, NODE_ENV: 'development', DATABASE_URL: dbUrl, REDIS_URL: redis.url, QUEUE_PREFIX: `redis-loss-${process.pid}-${run}`,
      DEMO_SEED: '0', LOG_LEVEL: 'info', EMULATORS: '0', PUBLIC_BASE_URL: base,
      SENDGRID_BASE_URL: emuInfo.sendgrid.url, SENDGRID_API_KEY: API_KEY, SENDGRID_WEBHOOK_PUBLIC_KEY: emuInfo.sendgrid.publicKeyBase64,
      TWILIO_BASE_URL: emuInfo.twilio.url, APPROVAL_THRESHOLD: String(10 * N + 1_000_000_000),
    };
    delete env.PORT;
    delete env.WORKER_METRICS_PORT;
    const workers = [1, 2].map((k) => startNodeProcess(`r${run} worker${k}`, ['src/main.ts', 'worker'], env, ['--max-old-space-size=256']));
    procs.push(...workers);
    for (const w of workers) await waitForLine(w, /workers running/);
    let apiRedis = redis.url;
    if (kind === 'api-kill') {
      proxy = new HoldingProxy(redis.port);
      await proxy.listen();
      apiRedis = `redis://127.0.0.1:${proxy.port}`;
    }
    const api = startNodeProcess(`r${run} api`, ['src/main.ts', 'api'], { ...env, REDIS_URL: apiRedis, PORT: String(port) });
    procs.push(api);
    await waitForLine(api, /is running/);

    const headers = { authorization: `Bearer ${sh.token}`, 'content-type': 'application/json' };
    const created = await fetch(`${base}/api/campaigns`, { method: 'POST', headers, body: JSON.stringify({
      name: `Redis borte ${run}`, category: 'campaign', channels: ['email'], templates: { email: { templateId: sh.templateId } },
      audience: { all: [] }, links: { action: 'https://budstikke.example/aksjon' },
    }) });
    if (created.status !== 201) throw new Error(`create campaign: ${created.status} ${await created.text()}`);
    const id = (await created.json() as { id: number }).id;
    const one = async (sql: string): Promise<number> => (await db.one(sql, [id]))!.n as number;
    const sentNow = () => one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND sent_at IS NOT NULL`);
    // The rows `sending` right now, as the send log's owner defines it (src/sendlog's rowsInFlight:
    // marked `sending`, or covered by an unfinished provider attempt), else the state itself.
    const inFlightRows = (sendlog as Record<string, unknown>).rowsInFlight as ((q: Db, c: number) => Promise<number[]>) | undefined;
    const sendingIds = async () => (inFlightRows ? await inFlightRows(db, id)
      : (await db.many(`SELECT id FROM send_log WHERE campaign_id = $1 AND state = 'sending'`, [id])).map((r) => Number(r.id)));
    const state = async () => (await db.one(`SELECT state FROM campaigns WHERE id = $1`, [id]))!.state as string;

    let sentAtKill = 0;
    let awayMs = 0;
    let back = 0;
    const inFlight = new Set<number>();
    let loadAtKill = 0;
    let rateBefore = 0;
    if (kind === 'redis-loss' || kind === 'control') {
      const launchedAt = Date.now();
      const launched = await fetch(`${base}/api/campaigns/${id}/launch`, { method: 'POST', headers, body: '{}' });
      if (!launched.ok) throw new Error(`launch: ${launched.status} ${await launched.text()}`);
      const at = Math.floor(N * (0.05 + Math.random() * 0.85));
      note(`run ${run}: campaign ${id} launched; ${kind === 'control' ? 'the clock starts' : 'Redis goes'} at ${at} sent`);
      const end = Date.now() + sh.limitMs;
      while ((await sentNow()) < at) {
        if (Date.now() > end) throw new Error(`run ${run}: not ${at} sent after ${sh.limitMs} ms`);
        await sleep(50);
      }
      for (const m of await sendingIds()) inFlight.add(m);
      if (kind === 'redis-loss') await redis.kill();
      note(`run ${run}: ${kind === 'redis-loss' ? 'redis-server killed' : 'control: nothing killed'}`);
      loadAtKill = loadAverage()[0];
      sentAtKill = await sentNow();
      rateBefore = sentAtKill / ((Date.now() - launchedAt) / 1000);
      for (const m of await sendingIds()) inFlight.add(m);
    }
    if (kind === 'control') {
      back = Date.now();
    } else if (kind === 'redis-loss') {
      const lo = flag('away-min-ms', 500);
      awayMs = lo + Math.floor(Math.random() * (flag('away-max-ms', 5000) - lo));
      await sleep(awayMs);
      await redis.start();
      back = Date.now();
      note(`run ${run}: redis-server back, empty, after ${awayMs} ms (${sentAtKill} sent at the kill, ${inFlight.size} in flight)`);
    } else {
      proxy!.hold();
      // Not awaited: the API commits `running`, then waits (up to 2 s) for an enqueue that is held.
      const launching = fetch(`${base}/api/campaigns/${id}/launch`, { method: 'POST', headers, body: '{}' }).then((r) => r.status, (e) => `error ${e?.cause?.code ?? e?.message}`);
      const end = Date.now() + 60_000;
      while ((await state()) !== 'running') {
        if (Date.now() > end) throw new Error(`run ${run}: the API did not commit the launch within 60 s while its Redis was held`);
        await sleep(10);
      }
      api.child.kill('SIGKILL');
      await new Promise((r) => (alive(api) ? api.child.once('exit', r) : r(null)));
      back = Date.now();
      loadAtKill = loadAverage()[0];
      note(`run ${run}: API SIGKILLed once the launch had committed (its Redis writes held: ${proxy!.held} bytes); launch request: ${await launching}`);
      await proxy!.close();
      const snap = await db.one(`SELECT snapshot_taken, snapshot_at FROM campaigns WHERE id = $1`, [id]);
      const rows = await one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1`);
      note(`run ${run}: at the kill: campaign running, snapshot_taken ${snap!.snapshot_taken}, snapshot_at ${snap!.snapshot_at}, ${rows} log rows`);
    }

    // ---- wait for completion, state-based ----
    let movingAt: number | null = null;
    const sentAtBack = await sentNow();
    let doneAt: number | null = null;
    const end = back + sh.limitMs;
    let lastNote = 0;
    for (;;) {
      const st = await state();
      if (st === 'completed') { doneAt = Date.now(); break; }
      const s = await sentNow();
      if (movingAt === null && s > sentAtBack) movingAt = Date.now();
      if (Date.now() > end) { problems.push(`not completed ${sh.limitMs / 1000} s after Redis came back (state ${st}, ${s} sent)`); break; }
      if (Date.now() - lastNote > 15_000) { lastNote = Date.now(); note(`run ${run}: ${secs(Date.now() - back)} s after: ${st}, ${s} sent, workers alive ${workers.filter(alive).length}`); }
      await sleep(100);
    }
    const loadAtEnd = loadAverage()[0];

    // ---- the rebuild, from the workers' logs ----
    let rebuiltAt: number | null = null;
    for (const w of workers) {
      for (const l of w.lines) {
        if (!l.includes('queues rebuilt from PostgreSQL')) continue;
        try { const t = JSON.parse(l).time as number; if (t >= back - 60_000 && (rebuiltAt === null || t < rebuiltAt)) rebuiltAt = t; } catch { /* not JSON */ }
      }
    }

    // ---- judge: rows against the emulator's ledger ----
    const r = await fetch(`${emuInfo.sendgrid.url}/__emulator/recipients`);
    if (!r.ok) throw new Error(`emulator recipients: ${r.status} ${await r.text()}`);
    const ledger = await r.json() as { recipients: number; distinct: number; counts: Record<string, number> };
    const rows = await db.many(`SELECT s.id, s.state, s.reason, s.sent_at, m.email FROM send_log s JOIN members m ON m.id = s.member_id WHERE s.campaign_id = $1`, [id]);
    const states: Record<string, number> = {};
    let lost = 0; let acceptedNotSent = 0; let duplicates = 0; let dupOutside = 0; let inDoubt = 0; let failed = 0;
    for (const row of rows) {
      states[row.state] = (states[row.state] ?? 0) + 1;
      const k = ledger.counts[String(row.email).toLowerCase()] ?? 0;
      const sent = row.state === 'sent' || row.state === 'delivered';
      const ok = row.state === 'in_doubt' || (sent && k >= 1) || (row.state === 'failed' && !!row.reason);
      if (!ok) lost++;
      if (k >= 1 && !sent && row.state !== 'in_doubt') acceptedNotSent++;
      if (k > 1) { duplicates += k - 1; if (!inFlight.has(Number(row.id))) dupOutside++; }
      if (row.state === 'in_doubt') inDoubt++;
      if (row.state === 'failed') failed++;
    }
    if (rows.length !== N) problems.push(`${rows.length} log rows, expected ${N}`);
    if (doneAt === null) problems.push('not completed');
    if (lost) problems.push(`${lost} lost`);
    if (acceptedNotSent) problems.push(`${acceptedNotSent} accepted by SendGrid but not marked sent`);
    if (dupOutside) problems.push(`${dupOutside} addresses duplicated outside the rows in flight`);
    const workersAlive = workers.filter(alive).length;
    if (workersAlive !== 2) problems.push(`${2 - workersAlive} worker(s) died`);
    if (kind === 'redis-loss' && !alive(api)) problems.push('the API died');
    const res: RunResult = {
      run, kind, recipients: N, ok: problems.length === 0, problems,
      sent_at_kill: sentAtKill, in_flight_at_kill: inFlight.size, away_s: secs(awayMs),
      rate_before_kill_per_s: Math.round(rateBefore), rest_at_that_rate_s: rateBefore > 0 ? secs(((N - sentAtKill) / rateBefore) * 1000) : null,
      back_to_rebuilt_s: rebuiltAt === null ? null : secs(rebuiltAt - back),
      back_to_moving_s: movingAt === null ? null : secs(movingAt - back),
      back_to_done_s: doneAt === null ? null : secs(doneAt - back),
      lost, accepted_not_sent: acceptedNotSent, duplicates, dup_outside: dupOutside, in_doubt: inDoubt, failed,
      states, workers_alive: workersAlive, api_alive: alive(api), load_at_kill: loadAtKill, load_at_end: loadAtEnd, log: logPath,
    };
    return res;
  } finally {
    for (const p of [...procs].reverse()) await stop(p);
    await proxy?.close().catch(() => undefined);
    await redis.kill();
    await db.close();
    if (!sh.keep) await dropDatabase(dbUrl).catch((e) => note(`drop ${dbName}: ${e.message}`));
  }
}

async function main(): Promise<void> {
  const runs = flag('runs', 5);
  const apiKills = flag('api-kill', 1);
  const members = flag('members', 100_000);
  const keep = process.argv.includes('--keep');
  const config = configFromEnvironment();
  const baseUrl = new URL(config.databaseUrl);
  const template = `bench_redis_loss_tmpl_${process.pid}`;
  const tu = new URL(baseUrl.toString());
  tu.pathname = `/${template}`;
  note(`log: ${logPath}; ${runs} Redis-loss run(s) + ${apiKills} API-killed run(s) × ${members} emails; building the template database`);
  const t0 = Date.now();
  const { token, templateId } = await buildTemplate(tu.toString(), members);
  note(`template database ready in ${secs(Date.now() - t0)} s`);
  const sh: Shared = { baseUrl, template, token, templateId, members, keep, limitMs: flag('limit-s', 1200) * 1000 };
  const results: RunResult[] = [];
  try {
    const kinds: RunResult['kind'][] = [...Array(runs).fill('redis-loss'), ...Array(apiKills).fill('api-kill'), ...Array(flag('control', 0)).fill('control')];
    for (let i = 0; i < kinds.length; i++) {
      let res: RunResult;
      try {
        res = await oneRun(i + 1, kinds[i], sh);
      } catch (e: any) {
        note(`run ${i + 1} aborted: ${e?.stack ?? e}`);
        res = { run: i + 1, kind: kinds[i], recipients: members, ok: false, problems: [`aborted: ${e?.message ?? e}`], sent_at_kill: 0, in_flight_at_kill: 0, away_s: 0, rate_before_kill_per_s: 0, rest_at_that_rate_s: null,
          back_to_rebuilt_s: null, back_to_moving_s: null, back_to_done_s: null, lost: 0, accepted_not_sent: 0, duplicates: 0, dup_outside: 0, in_doubt: 0, failed: 0,
          states: {}, workers_alive: 0, api_alive: false, load_at_kill: loadAverage()[0], load_at_end: loadAverage()[0], log: logPath };
      }
      results.push(res);
      const line = `redis-loss run ${JSON.stringify(res)}`;
      process.stdout.write(`${line}\n`);
      logFile.write(`${line}\n`);
    }
  } finally {
    await dropDatabase(tu.toString()).catch(() => undefined);
  }
  const head = '| run | case | sent at kill | in flight at kill | away (s) | back→rebuilt (s) | back→moving (s) | back→completed (s) | rest at the pre-kill rate (s) | lost | duplicates | in doubt | load 1 min (kill → end) | ok |';
  const out = [head, head.replace(/[^|]/g, '-').replace(/-+/g, '---')];
  for (const r of results) {
    out.push(`| ${r.run} | ${r.kind} | ${r.sent_at_kill.toLocaleString('en')} | ${r.in_flight_at_kill} | ${r.kind === 'redis-loss' ? r.away_s : '–'} | ${r.back_to_rebuilt_s ?? '–'} | ${r.back_to_moving_s ?? '–'} | ${r.back_to_done_s ?? '–'} | ${r.rest_at_that_rate_s ?? '–'} | ${r.lost} | ${r.duplicates} | ${r.in_doubt} | ${r.load_at_kill} → ${r.load_at_end} | ${r.ok ? 'yes' : `NO: ${r.problems.join('; ')}`} |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
  logFile.write(`${out.join('\n')}\n`);
  note(`full output: ${logPath}`);
  await new Promise<void>((r) => logFile.end(() => r()));
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

if (require.main === module) {
  main().then(() => process.exit(process.exitCode ?? 0), (e) => { note(`${e?.stack ?? e}`); process.exit(1); });
}
