/**
 * Benchmark: one-click unsubscribe (RFC 8058 POST /u/:token) against the hub's real app.
 *
 *   npm run bench -- unsubscribe        (via the dispatcher bench/run.ts)
 *   npx tsx bench/unsubscribe.ts        (standalone)
 *
 * Creates a fresh bench database (migrated), seeds members with SQL, starts the hub's app in a
 * child process (so the load generator and the server do not share one event loop), signs one
 * distinct valid token per request, warms the path up with 2,000 POSTs for other members, then:
 *   (1) steady: 500 POSTs/s for 20 s, open loop — one request every 2 ms by the clock, on a pool
 *       of keep-alive connections, each latency counted from the instant the request was due
 *       (so a server or generator that falls behind shows in the figures: no coordinated omission);
 *       Its floor, taken just before: the same arrivals for as long as bare durable commits,
 *       grouped as the hub's writer groups them (commitFloorOpenLoop): on a disk whose WAL flushes
 *       stall, no server's p99 can be below that one's;
 *   (2) saturation: 10,000 POSTs as fast as 200 connections allow (autocannon), the rate taken
 *       from our own clock (first request to last answer).
 * ledger_rows = new consent_events rows over both parts; it must equal the request count.
 * Why not autocannon's `overallRate` for (1) (used until the fifth session; BENCH_AUTOCANNON_STEADY=1
 * runs it too, for comparison): a connection with a rate sends its quota for the second back to
 * back, each request on the previous answer, then waits for the next second — 500/s over 20
 * connections is a closed-loop burst of 500 at the top of each second, idle after; and its
 * coordinated-omission correction uses ceil(1 / rate) = 1 ms as the expected interval, so an
 * answer of L ms is recorded as L samples (L, L−1, …, 1): its p50/p99 are of a latency-weighted
 * distribution, not of the answers. And autocannon's `duration` (behind the saturation rate until
 * then) is read at its 1-second sampling tick: 10,000 requests done in 3.1 s were reported as
 * 4.02 s (2,488 /s).
 * Env: BENCH_DATABASE_URL (default: DATABASE_URL's server, database budstikke_bench_unsubscribe),
 * BENCH_STEADY_RATE, BENCH_STEADY_SECONDS, BENCH_SATURATION_REQUESTS, BENCH_STEADY_CONNECTIONS
 * (the steady pool's connections at most, default 64), BENCH_AUTOCANNON_STEADY=1.
 */
import { fork, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { Pool } from 'undici';
import { loadConfig } from '../src/config';
import { createDb, dropDatabase, ensureDatabase, type Queryable } from '../src/db';
import { migrate } from '../src/db/migrate';
import { createHub } from '../src/hub';
import { buildApp, listenApp } from '../src/http/app';
import { GROUP_COMMIT_DEFAULTS, signLinkToken } from '../src/consent';
import { loadAverage, pgBackendPids, procTicks, tickSeconds } from './helpers/system';

const RATE = Number(process.env.BENCH_STEADY_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
const SATURATION = Number(process.env.BENCH_SATURATION_REQUESTS ?? 10000);
const CONNECTIONS = 200;
/** The steady part's pool: connections opened as needed, at most this many (requests queue beyond, counted in their latency). */
const STEADY_CONNECTIONS = Number(process.env.BENCH_STEADY_CONNECTIONS ?? 64);
const AUTOCANNON_STEADY = process.env.BENCH_AUTOCANNON_STEADY === '1';

function benchDbUrl(): string {
  if (process.env.BENCH_DATABASE_URL) return process.env.BENCH_DATABASE_URL;
  const u = new URL(loadConfig(process.env).databaseUrl);
  u.pathname = '/budstikke_bench_unsubscribe';
  return u.toString();
}

/** Child process: the hub's app, as in production (api role), on an ephemeral port. */
async function serve(): Promise<void> {
  const config = loadConfig({ ...process.env, PORT: '0', LOG_LEVEL: 'silent', EMULATORS: '0', DEMO_SEED: '0' });
  const hub = createHub(config, { dbMax: 20 });
  const app = buildApp(hub);
  const server = await listenApp(app, 0, '127.0.0.1');
  const addr = server.address();
  process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  process.on('message', (m: any) => {
    if (m === 'cpu') process.send!({ cpu: process.cpuUsage() });
  });
  // A normal exit on SIGTERM, so that --cpu-prof writes its profile.
  process.on('SIGTERM', () => process.exit(0));
}

function serverCpuMs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: any) => resolve((m.cpu.user + m.cpu.system) / 1000));
    child.send('cpu');
  });
}

/** CPU of the PostgreSQL backends serving the bench database (bench/helpers/system.ts). */
async function pgBackendCpu(db: { many(sql: string): Promise<Record<string, unknown>[]> }): Promise<Map<number, number>> {
  return procTicks(await pgBackendPids(db));
}
/** ms of CPU between two readings: per backend, a new backend counted from zero. */
const pgCpuDeltaMs = (a: Map<number, number>, b: Map<number, number>): number => tickSeconds(a, b) * 1000;

function run(opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(opts, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Percentile of sorted values (nearest rank). */
function pct(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Steady { requests: number; errors: number; p50: number; p99: number; max: number; achieved: number; lateStartsP99: number }

/**
 * Open-loop steady load: request k is due at start + k / rate; a 1 ms timer sends whatever is due
 * (never more than is due, never fewer: a late timer sends the missed ones at once). The latency of
 * each is its answer's end minus its due time. `send(k)` answers whether request k succeeded.
 */
async function openLoop(rate: number, total: number, send: (k: number) => Promise<boolean>): Promise<Steady> {
  const lat: number[] = [];
  const late: number[] = [];
  let errors = 0;
  let sent = 0;
  let done = 0;
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const one = (k: number, due: number) => {
      late.push(performance.now() - due);
      send(k)
        .then((ok) => { if (!ok) errors++; })
        .catch(() => { errors++; })
        .finally(() => { lat.push(performance.now() - due); if (++done === total) resolve(); });
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
      while (sent < due) { one(sent, t0 + (sent * 1000) / rate); sent++; }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const wall = (performance.now() - t0) / 1000;
  lat.sort((a, b) => a - b);
  late.sort((a, b) => a - b);
  const r1 = (x: number) => Number(x.toFixed(1));
  return { requests: total, errors, p50: r1(pct(lat, 50)), p99: r1(pct(lat, 99)), max: r1(lat[lat.length - 1] ?? 0), achieved: Math.round(total / wall), lateStartsP99: r1(pct(late, 99)) };
}

/** The steady part: POST /u/<token> on a pool of keep-alive connections, open loop. */
async function steadyOpenLoop(base: string, paths: string[], rate: number, total: number): Promise<Steady> {
  const pool = new Pool(base, { connections: STEADY_CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  try {
    return await openLoop(rate, total, async (k) => {
      const r = await pool.request({ path: paths[k], method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      await r.body.dump();
      return r.statusCode === 200;
    });
  } finally {
    await pool.close();
  }
}

/**
 * The steady part's floor: the same arrivals (rate, open loop, latency from the due time) as
 * bare durable commits, grouped as the hub's writer groups them and with as many commits in
 * flight (GROUP_COMMIT_DEFAULTS): whatever arrived while a commit was in flight is one INSERT of
 * those rows in the next, answered when it commits. No HTTP, no token, no consent rules: what
 * the machine's WAL flush alone gives a group-committing writer at this rate. On a disk whose
 * flushes stall (seen: a bare pgbench at 500 commits/s, one client, p99 58 ms) the hub's p99
 * cannot be below this one's, so the budget's 20 ms is judged against it.
 */
async function commitFloorOpenLoop(db: Queryable, rate: number, total: number): Promise<Steady> {
  await db.query('CREATE TABLE IF NOT EXISTS bench_commit_floor (k int NOT NULL)');
  const queue: { k: number; done: (ok: boolean) => void }[] = [];
  let inFlight = 0;
  const pump = () => {
    while (inFlight < GROUP_COMMIT_DEFAULTS.maxInFlight && queue.length) {
      const batch = queue.splice(0, GROUP_COMMIT_DEFAULTS.maxBatch);
      inFlight++;
      db.query('INSERT INTO bench_commit_floor SELECT unnest($1::int[])', [batch.map((b) => b.k)])
        .then(() => batch.forEach((b) => b.done(true)), () => batch.forEach((b) => b.done(false)))
        .finally(() => { inFlight--; pump(); });
    }
  };
  return openLoop(rate, total, (k) => new Promise<boolean>((done) => { queue.push({ k, done }); if (inFlight === 0) setImmediate(pump); else pump(); }));
}

/** autocannon, with the wall time from our own clock: its `duration` is read at a 1-second tick. */
async function runTimed(opts: autocannon.Options): Promise<{ result: autocannon.Result; seconds: number }> {
  const t0 = performance.now();
  let last = t0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const inst = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    inst.on('response', () => { last = performance.now(); });
  });
  return { result, seconds: (last - t0) / 1000 };
}

export async function main(): Promise<Record<string, unknown>> {
  const url = benchDbUrl();
  const loadStart = loadAverage(2);
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url, { max: 2 });
  await migrate(db);
  const steadyTokens = RATE * SECONDS + 500;
  const acTokens = AUTOCANNON_STEADY ? RATE * SECONDS + 500 : 0;
  const WARMUP = 2000;
  const FLOOR = 200;
  const members = steadyTokens + SATURATION + 500 + WARMUP + acTokens + FLOOR;
  await db.query(
    `INSERT INTO members (member_number, first_name, last_name, email, phone, street, postcode, language)
     SELECT 'B' || g, 'Bench', 'Member', 'bench' || g || '@example.no', NULL, 'Gate ' || g, '0150', (ARRAY['nb','nn','en'])[1 + g % 3]
       FROM generate_series(1, $1::int) g`, [members]);
  await db.query('ANALYZE');
  const ids = (await db.many('SELECT id FROM members ORDER BY id')).map((r) => r.id as number);
  const config = loadConfig({ ...process.env, DATABASE_URL: url });
  const token = (i: number) => signLinkToken(config, 'unsubscribe', { memberId: ids[i], campaignId: 1, category: 'newsletter', channel: 'email' });
  const steady0 = Array.from({ length: steadyTokens }, (_, i) => token(i));
  const sat = Array.from({ length: SATURATION + 500 }, (_, i) => token(steadyTokens + i));
  const warmup = Array.from({ length: WARMUP }, (_, i) => token(steadyTokens + SATURATION + 500 + i));
  const acSteady = Array.from({ length: acTokens }, (_, i) => token(steadyTokens + SATURATION + 500 + WARMUP + i));

  const child: ChildProcess = fork(__filename, ['serve'], {
    // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there on exit (where its time goes).
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])],
    env: { ...process.env, DATABASE_URL: url },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: any) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const base = `http://127.0.0.1:${port}`;
  const request = (list: string[]) => {
    let i = 0;
    return [{
      method: 'POST' as const,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
      setupRequest: (req: any) => ({ ...req, path: `/u/${list[i++]}` }),
    }];
  };
  try {
    // Warm-up on the measured path itself, with members the measured parts do not use: the
    // server's database pool, prepared plans and category cache, V8's optimised code. Without it
    // the first second's burst (which is over 1 % of the steady requests) measures start-up.
    const warm = await fetch(`${base}/healthz`);
    if (!warm.ok) throw new Error('server not healthy');
    await run({ url: base, connections: CONNECTIONS, amount: WARMUP, requests: request(warmup) });
    // Floor: what one durable commit of the same change costs, alone and in sequence (no HTTP).
    const floorTimes: number[] = [];
    for (let k = 0; k < FLOOR; k++) {
      const t0 = process.hrtime.bigint();
      await db.query(`SELECT consent_record($1, 'newsletter', 'email', false, 'one_click', NULL, 'member', 1, NULL, now())`, [ids[members - FLOOR + k]]);
      floorTimes.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    floorTimes.sort((a, b) => a - b);
    const floorMs = Number(floorTimes[Math.floor(FLOOR / 2)].toFixed(2));
    // The ledger's statistics, as autovacuum keeps them in production (it is off on this machine's
    // PostgreSQL, conf.d/90-ci.conf): without them the foreign-key check of consent_state.event_id
    // keeps the plan it was first given for an empty consent_events, a sequential scan, and every
    // check reads the whole ledger: per batch of 500 it took 37, 45, 53 ms… as the ledger grew,
    // which was the spread of the saturation figure (1,392–4,514 /s in five runs of one build).
    await db.query('ANALYZE consent_events, consent_state');
    const commitFloor = await commitFloorOpenLoop(db, RATE, RATE * SECONDS);
    const before = Number((await db.one('SELECT count(*) AS n FROM consent_events'))!.n);
    const steadyCpu0 = await serverCpuMs(child);
    const steadyPg0 = await pgBackendCpu(db);
    const steady = await steadyOpenLoop(base, steady0.map((t) => `/u/${t}`), RATE, RATE * SECONDS);
    const steadyCpuPerRequest = ((await serverCpuMs(child)) - steadyCpu0) / steady.requests;
    const steadyPgPerRequest = pgCpuDeltaMs(steadyPg0, await pgBackendCpu(db)) / steady.requests;
    // The method of the sessions before (see the header): for comparison only.
    const acResult = AUTOCANNON_STEADY
      ? await run({ url: base, connections: 20, overallRate: RATE, amount: RATE * SECONDS, requests: request(acSteady) })
      : null;
    const cpu0 = await serverCpuMs(child);
    const pgCpu0 = await pgBackendCpu(db);
    const { result: satResult, seconds: satSeconds } = await runTimed({ url: base, connections: CONNECTIONS, amount: SATURATION, requests: request(sat) });
    const cpuPerRequest = ((await serverCpuMs(child)) - cpu0) / Math.max(1, satResult.requests.total);
    const pgCpuPerRequest = pgCpuDeltaMs(pgCpu0, await pgBackendCpu(db)) / Math.max(1, satResult.requests.total);
    const ledgerRows = Number((await db.one('SELECT count(*) AS n FROM consent_events'))!.n) - before;
    const count = (r: autocannon.Result) => r.requests.total;
    const errs = (r: autocannon.Result) => r.errors + r.timeouts + r.non2xx;
    const requests = steady.requests + count(satResult) + (acResult ? count(acResult) : 0);
    const saturationRps = Math.round(count(satResult) / satSeconds);
    const out = {
      bench: 'unsubscribe',
      requests,
      rate_rps: RATE,
      steady_method: 'open loop, latency from the due time',
      steady_requests: steady.requests,
      steady_achieved_rps: steady.achieved,
      p50_ms: steady.p50,
      p99_ms: steady.p99,
      steady_max_ms: steady.max,
      // How late the generator itself sent (timer lag on a loaded machine); inside p99 already.
      steady_send_lag_p99_ms: steady.lateStartsP99,
      steady_server_cpu_ms_per_request: Number(steadyCpuPerRequest.toFixed(3)),
      steady_pg_backend_cpu_ms_per_request: Number(steadyPgPerRequest.toFixed(3)),
      errors: steady.errors + errs(satResult) + (acResult ? errs(acResult) : 0),
      ledger_rows: ledgerRows,
      saturation_requests: count(satResult),
      saturation_rps: saturationRps,
      saturation_seconds: Number(satSeconds.toFixed(3)),
      // What the sessions before printed: count / autocannon's duration, read at its 1-second tick.
      saturation_rps_autocannon_duration: Math.round(count(satResult) / (satResult.duration || 1)),
      saturation_p99_ms: satResult.latency.p99,
      server_cpu_ms_per_request: Number(cpuPerRequest.toFixed(3)),
      pg_backend_cpu_ms_per_request: Number(pgCpuPerRequest.toFixed(3)),
      ...(acResult ? {
        autocannon_steady_p50_ms: acResult.latency.p50,
        autocannon_steady_p99_ms: acResult.latency.p99,
        autocannon_steady_errors: errs(acResult),
      } : {}),
      // Floor: one bare durable commit of the same change (consent_record alone, no HTTP), p50.
      floor_commit_p50_ms: floorMs,
      // The steady part's arrivals as bare group commits (commitFloorOpenLoop), as long as the
      // steady part: a WAL-flush stall (seen: both in-flight commits waiting 150–230 ms at once,
      // the event loop idle) comes a few times a minute, and a shorter floor missed the ones the
      // steady part met.
      floor_steady_commits_p50_ms: commitFloor.p50,
      floor_steady_commits_p99_ms: commitFloor.p99,
      floor_steady_commits_max_ms: commitFloor.max,
      ratio_p99_to_steady_commit_floor_p99: Number((steady.p99 / Math.max(0.1, commitFloor.p99)).toFixed(2)),
      // Ratios to the floor: the steady p99 against one bare commit; saturation against bare
      // commits one after another on one connection (1000 / floor per second).
      ratio_p99_to_floor: Number((steady.p99 / floorMs).toFixed(2)),
      ratio_saturation_to_serial_floor: Number((saturationRps / (1000 / floorMs)).toFixed(2)),
      load_average_start: loadStart,
      load_average_end: loadAverage(2),
    };
    console.log(JSON.stringify(out));
    console.log([
      '',
      'part        requests  p50 ms  p99 ms  rate req/s  errors  CPU ms/request server + PostgreSQL',
      `steady      ${String(steady.requests).padEnd(8)}  ${String(steady.p50).padEnd(6)}  ${String(steady.p99).padEnd(6)}  ${String(steady.achieved).padEnd(10)}  ${String(steady.errors).padEnd(6)}  ${out.steady_server_cpu_ms_per_request} + ${out.steady_pg_backend_cpu_ms_per_request}`,
      ...(acResult ? [`(autocannon overallRate, old method) p50 ${acResult.latency.p50} p99 ${acResult.latency.p99} ms, errors ${errs(acResult)}`] : []),
      `saturation  ${String(count(satResult)).padEnd(8)}  ${String(satResult.latency.p50).padEnd(6)}  ${String(satResult.latency.p99).padEnd(6)}  ${String(saturationRps).padEnd(10)}  ${String(errs(satResult)).padEnd(6)}  ${out.server_cpu_ms_per_request} + ${out.pg_backend_cpu_ms_per_request}`,
      `(saturation by autocannon's duration, the figure of earlier sessions: ${out.saturation_rps_autocannon_duration} req/s; own clock ${out.saturation_seconds} s)`,
      `floor: one bare durable consent_record commit p50 ${floorMs} ms; ratio steady p99 / floor ${out.ratio_p99_to_floor}; saturation / serial floor (${Math.round(1000 / floorMs)} /s) ${out.ratio_saturation_to_serial_floor}`,
      `floor of the steady part: the same arrivals as bare group commits (no HTTP) p50 ${commitFloor.p50} ms, p99 ${commitFloor.p99} ms, max ${commitFloor.max} ms; ratio steady p99 / its p99 ${out.ratio_p99_to_steady_commit_floor_p99}`,
      `load average ${loadStart.join(' ')} -> ${out.load_average_end.join(' ')}`,
      `targets: p99 <= 20 ms steady, >= 2500 req/s saturation, 0 errors, ledger_rows == requests (${ledgerRows === requests ? 'ok' : 'MISMATCH'})`,
    ].join('\n'));
    return out;
  } finally {
    child.kill('SIGTERM');
    await db.close();
    await dropDatabase(url).catch(() => undefined);
  }
}

if (require.main === module) {
  if (process.argv[2] === 'serve') {
    serve().catch((err) => { console.error(err); process.exit(1); });
  } else {
    main().then(() => process.exit(0), (err) => { console.error(err); process.exit(1); });
  }
}
