import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadLatestVersionByKey } from '../src/render';
import { createCampaign, startCampaign, loadCampaign } from '../src/campaigns';
import { rowsInFlight } from '../src/sendlog';
import { campaignRig, until, TWILIO_SERVICE, TWILIO_SID, TWILIO_TOKEN, type CampaignRig } from './helpers/campaign';

// 20 runs with real worker processes: more than the suite's 10-minute default on a loaded machine.
jest.setTimeout(1_500_000);

const ROOT = path.resolve(__dirname, '..');
/** Runs, each a campaign with one SIGKILL; even runs declinable (campaign), odd runs mandatory (service). */
const RUNS = 20;
/** Recipients per run: two batches (1000 + 500), so both workers hold one when one is killed. */
const PER_RUN = 1500;

/** A real worker process (`src/main.ts worker`) on the rig's database, queues and emulators. */
function workerProcess(rig: CampaignRig): ChildProcess {
  const env = {
    ...process.env,
    NODE_ENV: 'test', DATABASE_URL: rig.config.databaseUrl, REDIS_URL: rig.config.redisUrl, QUEUE_PREFIX: rig.config.queuePrefix,
    PUBLIC_BASE_URL: rig.url, LINK_SIGNING_KEYS: rig.config.linkSigningKeys.map((k) => `${k.kid}:${k.secret}`).join(','),
    SENDGRID_BASE_URL: rig.em.sendgrid.url, SENDGRID_API_KEY: 'SG.test-key', SENDGRID_WEBHOOK_PUBLIC_KEY: rig.em.sendgrid.publicKeyBase64,
    TWILIO_BASE_URL: rig.em.twilio.url, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_MESSAGING_SERVICE_SID: TWILIO_SERVICE,
    EMULATORS: '0', DEMO_SEED: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', SMS_QUIET_HOURS: '00:00-00:00',
    // A killed worker's jobs are taken over after about 5 s (the default is 15 s); retries come quickly.
    SEND_JOB_LOCK_MS: '5000', SEND_RETRY_DELAY_MS: '200', SEND_RETRY_ATTEMPTS: '20',
  };
  // tsx's loader in this very process, not tsx's CLI: the CLI runs the worker as a CHILD process,
  // so a SIGKILL to the CLI leaves the worker running (and sending) as an orphan.
  const child = spawn(process.execPath, ['--require', path.join(ROOT, 'node_modules/tsx/dist/preflight.cjs'),
    '--import', `file://${path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')}`, 'src/main.ts', 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (d) => { if (process.env.TEST_LOG_LEVEL) process.stderr.write(d); });
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`workers killed with SIGKILL at random points, ${RUNS} runs`, () => {
  let rig: CampaignRig;
  const children: ChildProcess[] = [];
  beforeAll(async () => { rig = await campaignRig({ workers: false, ledgerMode: 'compact' }); });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rig.close();
  });

  test('0 lost in every category; declinable: 0 duplicates, in doubt only among rows in flight at the kill; mandatory: none left in doubt, duplicates only among rows in flight', async () => {
    await rig.hub.db.query(
      `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code)
       SELECT 'K' || g, 'Kari', 'Krasj' || g, 'krasj' || g || '@example.no', 'Gata 1', '0150', '0301', '03' FROM generate_series(1, ${RUNS * PER_RUN}) g`);
    const templates = { campaign: await loadLatestVersionByKey(rig.hub.db, 'campaign'), service: await loadLatestVersionByKey(rig.hub.db, 'dues_reminder') };
    const workers = [workerProcess(rig), workerProcess(rig)];
    children.push(...workers);
    const totals = { lost: 0, duplicates: 0, inDoubt: 0, inFlight: 0 };
    const failures: string[] = [];

    for (let run = 0; run < RUNS; run++) {
      const declinable = run % 2 === 0;
      const category = declinable ? 'campaign' : 'service';
      const lo = run * PER_RUN + 1;
      const c = await createCampaign(rig.hub, null, {
        name: `Krasj ${run}`, category, channels: ['email'], templates: { email: templates[category].id },
        audience: { memberNumbers: Array.from({ length: PER_RUN }, (_v, i) => `K${lo + i}`) },
        links: { action: 'https://forbund.example/a', payment: 'https://forbund.example/p', info: 'https://forbund.example/i', read: 'https://forbund.example/r' },
      });
      // Half the runs hold SendGrid's answers after it accepted (the window between acceptance and
      // our mark); the other half slow every request a little, so the kill lands anywhere.
      // In those runs SendGrid's events are held too: its 'processed' event would otherwise settle the
      // doubt (it proves acceptance), and the worker's own handling of an unmarked request is the test.
      const between = run % 4 < 2;
      if (between) { rig.em.sendgrid.setWebhookUrl(undefined); rig.em.sendgrid.faults.slowReplies(2, 4000); } else rig.em.sendgrid.faults.latency(300);
      const slowedBefore = rig.em.sendgrid.stats().injected.slowed;
      const requestsBefore = rig.em.sendgrid.stats().requests;
      await startCampaign(rig.hub, c.id);
      // `sending` as every reader sees it: email rows under an unfinished attempt (src/sendlog).
      const sending = async () => (await rowsInFlight(rig.hub.db, c.id)).length;
      // Random runs: rows in flight, or (a loaded machine may poll past a short campaign) a request seen by SendGrid.
      await until(async () => (between ? rig.em.sendgrid.stats().injected.slowed > slowedBefore
        : (await sending()) > 0 || rig.em.sendgrid.stats().requests > requestsBefore), 180_000, `run ${run}: a request in flight`);
      await sleep(between ? 300 : Math.floor(Math.random() * 1000));
      // Both workers at once: a worker may hold both batches (concurrency 2), so killing one at
      // random would often kill an idle one. Both are started again at once.
      for (const w of workers) w.kill('SIGKILL');
      await Promise.all(workers.map((w) => (w.exitCode === null && w.signalCode === null ? new Promise((r) => w.once('exit', r)) : null)));
      // The rows in flight at the kill: `sending` now (nothing settles them until the job's lock lapses).
      const inFlight = new Set(await rowsInFlight(rig.hub.db, c.id));
      rig.em.sendgrid.faults.latency(0);
      for (let k = 0; k < workers.length; k++) { workers[k] = workerProcess(rig); children.push(workers[k]); }
      await until(async () => (await loadCampaign(rig.hub.db, c.id)).state === 'completed', 300_000, `run ${run}: the campaign to complete`);
      // The held events go out only now: they cannot settle the doubt behind the workers' backs.
      rig.em.sendgrid.setWebhookUrl(`${rig.url}/webhooks/sendgrid/events`);

      const counts = rig.em.sendgrid.ledger.countByRecipient();
      const rows = await rig.hub.db.many(`SELECT s.id, s.state, s.reason, m.email FROM send_log s JOIN members m ON m.id = s.member_id WHERE s.campaign_id = $1`, [c.id]);
      let lost = 0; let duplicates = 0; let inDoubt = 0; let dupOutside = 0; let doubtOutside = 0;
      for (const r of rows) {
        const k = counts.get(r.email) ?? 0;
        const ok = r.state === 'in_doubt' || ((r.state === 'sent' || r.state === 'delivered') && k >= 1) || (r.state === 'failed' && r.reason);
        if (!ok) lost++;
        if (k > 1) { duplicates += k - 1; if (!inFlight.has(Number(r.id))) dupOutside++; }
        if (r.state === 'in_doubt') { inDoubt++; if (!inFlight.has(Number(r.id))) doubtOutside++; }
      }
      totals.lost += lost; totals.duplicates += duplicates; totals.inDoubt += inDoubt; totals.inFlight += inFlight.size;
      console.log(`kill run ${String(run + 1).padStart(2)} ${category.padEnd(8)} ${between ? 'accepted-unmarked' : 'random           '}: ` +
        `rows ${rows.length}, in flight ${inFlight.size}, lost ${lost}, duplicates ${duplicates}, in doubt ${inDoubt}`);
      if (rows.length !== PER_RUN) failures.push(`run ${run}: ${rows.length} rows`);
      if (lost) failures.push(`run ${run}: ${lost} lost`);
      if (declinable && duplicates) failures.push(`run ${run} (declinable): ${duplicates} duplicates`);
      if (declinable && doubtOutside) failures.push(`run ${run} (declinable): ${doubtOutside} in doubt outside the rows in flight`);
      if (!declinable && inDoubt) failures.push(`run ${run} (mandatory): ${inDoubt} left in doubt`);
      if (!declinable && dupOutside) failures.push(`run ${run} (mandatory): ${dupOutside} duplicated outside the rows in flight`);
    }
    console.log(`kill test, ${RUNS} runs × ${PER_RUN} emails: lost ${totals.lost}, duplicates ${totals.duplicates}, in doubt ${totals.inDoubt}, rows in flight at kills ${totals.inFlight}`);
    expect(failures).toEqual([]);
  });
});
