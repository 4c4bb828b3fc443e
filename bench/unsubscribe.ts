/**
 * Benchmark: one-click unsubscribe (RFC 8058 POST /u/:token) against the hub's real app.
 *
 *   npm run bench -- unsubscribe        (via the dispatcher bench/run.ts)
 *   npx tsx bench/unsubscribe.ts        (standalone)
 *
 * Creates a fresh bench database (migrated), seeds members with SQL, starts the hub's app in a
 * child process (so the load generator and the server do not share one event loop), signs one
 * distinct valid token per request, warms the path up with 2,000 POSTs for other members, then with autocannon:
 *   (1) steady: 500 POSTs/s for 20 s (overallRate, 20 connections of 25/s each);
 *   (2) saturation: 10,000 POSTs as fast as 200 connections allow.
 * ledger_rows = new consent_events rows over both parts; it must equal the request count.
 * Env: BENCH_DATABASE_URL (default: DATABASE_URL's server, database budstikke_bench_unsubscribe),
 * BENCH_STEADY_RATE, BENCH_STEADY_SECONDS, BENCH_SATURATION_REQUESTS, BENCH_STEADY_CONNECTIONS (default 20).
 */
import { fork, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { loadConfig } from '../src/config';
import { createDb, dropDatabase, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { createHub } from '../src/hub';
import { buildApp } from '../src/http/app';
import { signLinkToken } from '../src/consent';
import { loadAverage, pgBackendPids, procTicks, tickSeconds } from './helpers/system';

const RATE = Number(process.env.BENCH_STEADY_RATE ?? 500);
const SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
const SATURATION = Number(process.env.BENCH_SATURATION_REQUESTS ?? 10000);
const CONNECTIONS = 200;
/**
 * autocannon's overall rate is split evenly over the connections, rounded down per connection, and
 * the connections fire in step: 500/s over 200 connections is 2/s each, 400/s in all, in bursts of
 * 200 every second, which measures the bursts rather than a steady rate. 20 connections of 25/s
 * each give the asked 500/s in bursts of 20 every 40 ms. Saturation uses all 200.
 */
const STEADY_CONNECTIONS = Number(process.env.BENCH_STEADY_CONNECTIONS ?? 20);

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
  const server = app.listen(0, '127.0.0.1', () => {
    const addr = server.address();
    process.send!({ port: typeof addr === 'object' && addr ? addr.port : 0 });
  });
  server.keepAliveTimeout = 65_000;
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

export async function main(): Promise<Record<string, unknown>> {
  const url = benchDbUrl();
  const loadStart = loadAverage(2);
  await dropDatabase(url);
  await ensureDatabase(url);
  const db = createDb(url, { max: 2 });
  await migrate(db);
  const steadyTokens = RATE * SECONDS + 500;
  const WARMUP = 2000;
  const FLOOR = 200;
  const members = steadyTokens + SATURATION + 500 + WARMUP + FLOOR;
  await db.query(
    `INSERT INTO members (member_number, first_name, last_name, email, phone, street, postcode, language)
     SELECT 'B' || g, 'Bench', 'Member', 'bench' || g || '@example.no', NULL, 'Gate ' || g, '0150', (ARRAY['nb','nn','en'])[1 + g % 3]
       FROM generate_series(1, $1::int) g`, [members]);
  await db.query('ANALYZE');
  const ids = (await db.many('SELECT id FROM members ORDER BY id')).map((r) => r.id as number);
  const config = loadConfig({ ...process.env, DATABASE_URL: url });
  const token = (i: number) => signLinkToken(config, 'unsubscribe', { memberId: ids[i], campaignId: 1, category: 'newsletter', channel: 'email' });
  const steady = Array.from({ length: steadyTokens }, (_, i) => token(i));
  const sat = Array.from({ length: SATURATION + 500 }, (_, i) => token(steadyTokens + i));
  const warmup = Array.from({ length: WARMUP }, (_, i) => token(steadyTokens + SATURATION + 500 + i));

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
    const before = Number((await db.one('SELECT count(*) AS n FROM consent_events'))!.n);
    const steadyResult = await run({ url: base, connections: STEADY_CONNECTIONS, overallRate: RATE, amount: RATE * SECONDS, requests: request(steady) });
    const cpu0 = await serverCpuMs(child);
    const pgCpu0 = await pgBackendCpu(db);
    const satResult = await run({ url: base, connections: CONNECTIONS, amount: SATURATION, requests: request(sat) });
    const cpuPerRequest = ((await serverCpuMs(child)) - cpu0) / Math.max(1, satResult.requests.total);
    const pgCpuPerRequest = pgCpuDeltaMs(pgCpu0, await pgBackendCpu(db)) / Math.max(1, satResult.requests.total);
    const ledgerRows = Number((await db.one('SELECT count(*) AS n FROM consent_events'))!.n) - before;
    const count = (r: autocannon.Result) => r.requests.total;
    const errs = (r: autocannon.Result) => r.errors + r.timeouts + r.non2xx;
    const requests = count(steadyResult) + count(satResult);
    const out = {
      bench: 'unsubscribe',
      requests,
      rate_rps: RATE,
      steady_requests: count(steadyResult),
      p50_ms: steadyResult.latency.p50,
      p99_ms: steadyResult.latency.p99,
      errors: errs(steadyResult) + errs(satResult),
      ledger_rows: ledgerRows,
      saturation_requests: count(satResult),
      saturation_rps: Math.round(count(satResult) / (satResult.duration || 1)),
      saturation_p99_ms: satResult.latency.p99,
      server_cpu_ms_per_request: Number(cpuPerRequest.toFixed(3)),
      pg_backend_cpu_ms_per_request: Number(pgCpuPerRequest.toFixed(3)),
      // Floor: one bare durable commit of the same change (consent_record alone, no HTTP), p50.
      floor_commit_p50_ms: floorMs,
      load_average_start: loadStart,
      load_average_end: loadAverage(2),
    };
    console.log(JSON.stringify(out));
    console.log([
      '',
      'part        requests  p50 ms  p99 ms  rate req/s  errors',
      `steady      ${String(count(steadyResult)).padEnd(8)}  ${String(steadyResult.latency.p50).padEnd(6)}  ${String(steadyResult.latency.p99).padEnd(6)}  ${String(Math.round(count(steadyResult) / steadyResult.duration)).padEnd(10)}  ${errs(steadyResult)}`,
      `saturation  ${String(count(satResult)).padEnd(8)}  ${String(satResult.latency.p50).padEnd(6)}  ${String(satResult.latency.p99).padEnd(6)}  ${String(out.saturation_rps).padEnd(10)}  ${errs(satResult)}`,
      `floor: one bare durable consent_record commit p50 ${floorMs} ms; server CPU ${out.server_cpu_ms_per_request} ms + PostgreSQL backends ${out.pg_backend_cpu_ms_per_request} ms per request`,
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
