/**
 * SMS throughput: 100,000 messages through the SMS adapter (the real `twilio` SDK) to the Twilio
 * emulator running in a separate process, no limiter.
 *
 *   npm run bench -- sms            (or: npx tsx bench/sms.ts)
 *   options: --messages 100000 --concurrency 64 --floor 20000
 *
 * Floor, taken in the same run against the same emulator process: bare keep-alive POSTs of the
 * same form bodies through the same HTTP client (undici, same concurrency) without the SDK, i.e.
 * what the emulator and loopback allow. ratio = floor rate / SDK rate (1.0 = the SDK costs nothing).
 * Prints one JSON line, then a short table; the load average at the start and the end beside it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { Agent } from 'undici';
import { createSmsProvider } from '../src/providers';

const ACCOUNT_SID = 'AC0000000000000000000000000000be4c';
const AUTH_TOKEN = 'bench-auth-token-0000000000';
const SERVICE_SID = 'MG0000000000000000000000000000be4c';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function bodyFor(i: number): string {
  return `Hei medlem ${i}! Årsmøtet i avdelingen er torsdag kl. 18. Svar STOPP for å reservere deg.`;
}
function numberFor(i: number): string {
  return `+479${String(10_000_000 + i).slice(-7)}`;
}

async function startEmulatorProcess(): Promise<{ child: ChildProcess; twilioUrl: string }> {
  const root = path.join(__dirname, '..');
  const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'dev/emulators/cli.ts',
    '--account-sid', ACCOUNT_SID, '--auth-token', AUTH_TOKEN, '--ledger', 'compact'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'development' } });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return { child, twilioUrl: JSON.parse(line).twilio.url };
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) await fn(next++);
  }));
}

async function floor(url: string, n: number, concurrency: number): Promise<number> {
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 60_000 });
  const u = new URL(`${url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
  const headers = { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' };
  const t0 = process.hrtime.bigint();
  await pool(n, concurrency, async (i) => {
    const body = new URLSearchParams({ To: numberFor(i), Body: bodyFor(i), MessagingServiceSid: SERVICE_SID }).toString();
    const res = await agent.request({ origin: u.origin, path: u.pathname, method: 'POST', headers, body });
    await res.body.text();
    if (res.statusCode !== 201) throw new Error(`floor: ${res.statusCode}`);
  });
  await agent.close();
  return n / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const load = () => os.loadavg().map((x) => Number(x.toFixed(2)));

export async function main(): Promise<Record<string, unknown>> {
  const messages = flag('messages', 100_000);
  const concurrency = flag('concurrency', 64);
  const floorN = flag('floor', 20_000);
  const loadStart = load();
  const { child, twilioUrl } = await startEmulatorProcess();
  try {
    const floorRate = await floor(twilioUrl, floorN, concurrency);
    await fetch(`${twilioUrl}/__emulator/reset`, { method: 'POST' });
    const emuCpu0 = ((await (await fetch(`${twilioUrl}/__emulator/stats`)).json()) as any).cpuMs as number;

    const sms = createSmsProvider({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, messagingServiceSid: SERVICE_SID, baseUrl: twilioUrl } },
      { maxSockets: concurrency });
    let errors = 0;
    let segments = 0;
    let peakRss = 0;
    const rssTimer = setInterval(() => { peakRss = Math.max(peakRss, process.memoryUsage().rss); }, 250);
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    await pool(messages, concurrency, async (i) => {
      try {
        const r = await sms.send({ to: numberFor(i), body: bodyFor(i) });
        segments += r.numSegments;
      } catch {
        errors++;
      }
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    clearInterval(rssTimer);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    const stats = await (await fetch(`${twilioUrl}/__emulator/stats`)).json() as any;
    if (stats.accepted !== messages - errors) errors += Math.abs(stats.accepted - (messages - errors));

    const result = {
      bench: 'sms',
      messages,
      wall_s: Number(wall.toFixed(2)),
      rate_per_s: Math.round(messages / wall),
      errors,
      concurrency,
      floor_rate_per_s: Math.round(floorRate),
      ratio: Number((floorRate / (messages / wall)).toFixed(2)),
      segments,
      emulator_accepted: stats.accepted,
      peak_rss_mb: { client: Math.round(peakRss / 1048576), emulator: stats.rssMb },
      // CPU per message is what the shared machine cannot distort much: 1e6 / µs = messages/s one core sustains.
      cpu_us_per_msg: { client: Math.round((cpu.user + cpu.system) / messages), emulator: Math.round(((stats.cpuMs - emuCpu0) * 1000) / messages) },
      cpus: os.cpus().length,
      loadavg_start: loadStart,
      loadavg_end: load(),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const rows: [string, string][] = [
      ['messages (twilio SDK → emulator process)', String(messages)],
      ['wall', `${result.wall_s} s`],
      ['rate', `${result.rate_per_s} msg/s (target ≥ 8000)`],
      ['floor: bare undici POSTs, same emulator', `${result.floor_rate_per_s} req/s`],
      ['ratio floor / SDK', `${result.ratio}×`],
      ['errors', String(errors)],
      ['concurrency', String(concurrency)],
      ['peak RSS client / emulator', `${result.peak_rss_mb.client} / ${result.peak_rss_mb.emulator} MB`],
      ['CPU per message client / emulator', `${result.cpu_us_per_msg.client} / ${result.cpu_us_per_msg.emulator} µs`],
      ['load average (1/5/15 min) start → end', `${loadStart.join(' ')} → ${result.loadavg_end.join(' ')} on ${result.cpus} CPUs`],
    ];
    const w = Math.max(...rows.map((r) => r[0].length));
    for (const [k, v] of rows) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
    return result;
  } finally {
    child.kill('SIGTERM');
  }
}

export default main;

if (require.main === module) {
  main().then(() => process.exit(0), (e) => { process.stderr.write(`bench sms: ${e?.stack ?? e}\n`); process.exit(1); });
}
