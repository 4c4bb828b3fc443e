import http from 'node:http';
import { configFromEnvironment, ConfigError, type Config } from './config';
import { ensureDatabase } from './db';
import { migrate } from './db/migrate';
import { pingRedis } from './redis';
import { createHub, closeHub, type Hub } from './hub';
import { buildApp, buildMetricsApp, listenApp } from './http/app';
import { createMetrics } from './metrics';
import { seedDemoUnion, DEMO_PASSWORD, DEMO_TOTP_SECRET } from './demo/seed';
import { syncBuiltInTemplates } from './render';
import { emulatorKeyConflict, loadDevEmulators, type DevEmulatorsHandle } from './dev-emulators';
import { startCampaignWorkers } from '../queues/campaigns.worker';
import { startBallotWorkers } from '../queues/ballots.worker';
import { startRetentionScheduler } from '../queues/retention.worker';

type Mode = 'all' | 'api' | 'worker';

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** One clear line and a non-zero exit: what was tried and which variable to set. */
function fatal(line: string, code = 1): never {
  process.stderr.write(`budstikke: ${line}\n`);
  process.exit(code);
}

async function checkServices(config: Config): Promise<void> {
  try {
    await ensureDatabase(config.databaseUrl);
  } catch (err: any) {
    fatal(`cannot reach PostgreSQL at ${redact(config.databaseUrl)} (${err.code ?? err.message}); set DATABASE_URL`);
  }
  try {
    await pingRedis(config.redisUrl);
  } catch (err: any) {
    fatal(`cannot reach Redis at ${redact(config.redisUrl)} (${err.code ?? err.message}); set REDIS_URL`);
  }
}

export async function start(mode: Mode, config: Config): Promise<{ hub: Hub; server?: http.Server; stop: () => Promise<void> }> {
  // Development: in-process SendGrid and Twilio emulators, unless real (or external emulator) URLs are set.
  // They live in dev/emulators and are loaded only here, never in production (see src/dev-emulators.ts).
  const withEmulators = mode === 'all' && config.emulators && config.nodeEnv !== 'production' && !config.sendgrid.baseUrl && !config.twilio.baseUrl;
  const conflict = withEmulators ? emulatorKeyConflict(config) : null;
  if (conflict) fatal(conflict, 2);
  await checkServices(config);
  let emulators: DevEmulatorsHandle | undefined;
  if (withEmulators) {
    emulators = await loadDevEmulators(config).startForHub(config);
    config = emulators.config;
  }
  // Worker processes run long set-based jobs (snapshots, retention) under their own limits; the
  // API (and the development all-in-one) gets the statement timeout.
  const hub = createHub(config, { statementTimeoutMs: mode === 'worker' ? 0 : config.dbStatementTimeoutMs });
  if (emulators) hub.onClose(() => emulators!.close());
  await migrate(hub.db);
  const templates = await syncBuiltInTemplates(hub);
  if (templates.invalid.length) hub.log.error({ invalid: templates.invalid }, 'built-in templates that do not compile were not stored');

  let server: http.Server | undefined;
  let seededLine = '';
  if (mode !== 'worker') {
    if (config.demoSeed) {
      const seeded = await seedDemoUnion(hub);
      if (seeded.seeded) {
        hub.log.info('seeded the demo union');
        seededLine = `\nDemo union created. API token for ${seeded.adminEmail} (shown once):\n  ${seeded.adminToken}\n`;
      }
    }
    const metrics = createMetrics(true);
    const app = buildApp(hub, { metrics });
    if (config.metrics.port) {
      const internal = buildMetricsApp(hub, metrics).listen(config.metrics.port);
      internal.on('error', (err: any) => fatal(`cannot listen on METRICS_PORT ${config.metrics.port} (${err.code ?? err.message})`));
      hub.onClose(() => new Promise<void>((r) => internal.close(() => r())));
    }
    server = await listenApp(app, config.port).catch((err: any) => fatal(`cannot listen on port ${config.port} (${err.code ?? err.message}); set PORT`));
  }
  let workerMetricsLine = '';
  if (mode === 'worker' && config.metrics.workerPort !== null) {
    // The halt counter and the process metrics are counted here, in the worker: it serves them itself.
    const listener = buildMetricsApp(hub, createMetrics(true)).listen(config.metrics.workerPort);
    await new Promise<void>((resolve) => {
      listener.once('listening', resolve);
      listener.once('error', (err: any) => fatal(`cannot listen on WORKER_METRICS_PORT ${config.metrics.workerPort} (${err.code ?? err.message})`));
    });
    hub.onClose(() => new Promise<void>((r) => listener.close(() => r())));
    workerMetricsLine = `; /metrics on port ${(listener.address() as { port: number }).port}`;
  }
  if (mode !== 'api') {
    await startCampaignWorkers(hub);
    await startBallotWorkers(hub);
    await startRetentionScheduler(hub);
  }
  if (server) {
    process.stdout.write(`${seededLine}\nBudstikke is running at ${config.publicBaseUrl}/app (mode: ${mode})\n`);
    if (config.demoSeed) {
      process.stdout.write(`Sign in as admin@budstikke.example (or kommunikasjon@, revisor@, tillitsvalgt.klubb@ …) with the password ${DEMO_PASSWORD}\n`);
      if (config.staff2faRequired.length) process.stdout.write(`${config.staff2faRequired.join(' and ')} also give a code: \`npm run demo-code\` prints it (demo secret ${DEMO_TOTP_SECRET})\n`);
    }
    if (emulators) process.stdout.write(`${emulators.describe}; what they accepted: ${config.publicBaseUrl}/dev/outbox\n`);
  } else {
    process.stdout.write(`Budstikke workers running (queue prefix ${config.queuePrefix})${workerMetricsLine}\n`);
  }

  const stop = async () => {
    if (server) await new Promise<void>((r) => server!.close(() => r()));
    await closeHub(hub);
  };
  return { hub, server, stop };
}

if (require.main === module) {
  const mode = (process.argv[2] ?? 'all') as Mode;
  if (!['all', 'api', 'worker'].includes(mode)) fatal(`unknown mode "${mode}"; use all, api or worker`, 2);
  let config: Config;
  try {
    config = configFromEnvironment();
  } catch (err) {
    if (err instanceof ConfigError) fatal(err.message, 2);
    throw err;
  }
  start(mode, config).then(({ hub, stop }) => {
    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      hub.log.info({ signal }, 'shutting down');
      stop().then(() => process.exit(0), (err) => { hub.log.error({ err: err.message }, 'shutdown failed'); process.exit(1); });
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  }).catch((err: any) => fatal(`start-up failed: ${err.message}`));
}
