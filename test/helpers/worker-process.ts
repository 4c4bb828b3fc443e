import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { TWILIO_SERVICE, TWILIO_SID, TWILIO_TOKEN, type CampaignRig } from './campaign';

const ROOT = path.resolve(__dirname, '../..');

/**
 * A real worker process (`src/main.ts worker`) on the rig's database, queues and emulators;
 * `env` overrides (another Redis, a smaller snapshot step). Kill it with SIGKILL to test crashes.
 */
export function workerProcess(rig: CampaignRig, env: Record<string, string> = {}): ChildProcess {
  const full = {
    ...process.env,
    NODE_ENV: 'test', DATABASE_URL: rig.config.databaseUrl, REDIS_URL: rig.config.redisUrl, QUEUE_PREFIX: rig.config.queuePrefix,
    PUBLIC_BASE_URL: rig.url, LINK_SIGNING_KEYS: rig.config.linkSigningKeys.map((k) => `${k.kid}:${k.secret}`).join(','),
    SENDGRID_BASE_URL: rig.em.sendgrid.url, SENDGRID_API_KEY: 'SG.test-key', SENDGRID_WEBHOOK_PUBLIC_KEY: rig.em.sendgrid.publicKeyBase64,
    TWILIO_BASE_URL: rig.em.twilio.url, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_MESSAGING_SERVICE_SID: TWILIO_SERVICE,
    EMULATORS: '0', DEMO_SEED: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', SMS_QUIET_HOURS: '00:00-00:00', SMS_RATE_PER_SECOND: '0',
    ...env,
  };
  // tsx's loader in this very process, not tsx's CLI: the CLI runs the worker as a CHILD process,
  // so a SIGKILL to the CLI would leave the worker running (and sending) as an orphan.
  const child = spawn(process.execPath, ['--require', path.join(ROOT, 'node_modules/tsx/dist/preflight.cjs'),
    '--import', `file://${path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')}`, 'src/main.ts', 'worker'], { cwd: ROOT, env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (d) => { if (process.env.TEST_LOG_LEVEL) process.stderr.write(d); });
  return child;
}

/** Kills with SIGKILL and waits for the exit. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}
