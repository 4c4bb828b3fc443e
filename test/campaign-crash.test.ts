import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { loadLatestVersionByKey } from '../src/render';
import { createCampaign, startCampaign, loadCampaign } from '../src/campaigns';
import { campaignRig, until, TWILIO_SERVICE, TWILIO_SID, TWILIO_TOKEN, type CampaignRig } from './helpers/campaign';


const ROOT = path.resolve(__dirname, '..');
const RECIPIENTS = 20_000;

/** A real worker process (`src/main.ts worker`) on the rig's database, queues and emulators. */
function workerProcess(rig: CampaignRig): ChildProcess {
  const env = {
    ...process.env,
    NODE_ENV: 'test', DATABASE_URL: rig.config.databaseUrl, REDIS_URL: rig.config.redisUrl, QUEUE_PREFIX: rig.config.queuePrefix,
    PUBLIC_BASE_URL: rig.url, LINK_SIGNING_KEYS: rig.config.linkSigningKeys.map((k) => `${k.kid}:${k.secret}`).join(','),
    SENDGRID_BASE_URL: rig.em.sendgrid.url, SENDGRID_API_KEY: 'SG.test-key', SENDGRID_WEBHOOK_PUBLIC_KEY: rig.em.sendgrid.publicKeyBase64,
    TWILIO_BASE_URL: rig.em.twilio.url, TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_MESSAGING_SERVICE_SID: TWILIO_SERVICE,
    EMULATORS: '0', DEMO_SEED: '0', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'error', SMS_QUIET_HOURS: '00:00-00:00',
  };
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts', 'worker'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout!, child.stderr!]) s.on('data', (d) => { if (process.env.TEST_LOG_LEVEL) process.stderr.write(d); });
  return child;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a worker killed with SIGKILL during a 20,000-recipient campaign', () => {
  let rig: CampaignRig;
  const children: ChildProcess[] = [];
  beforeAll(async () => { rig = await campaignRig({ workers: false, ledgerMode: 'compact' }); });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await rig.close();
  });

  test('every eligible member is sent once, except at most one batch per kill; two workers at once never double-send', async () => {
    await rig.hub.db.query(
      `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code)
       SELECT 'K' || g, 'Kari', 'Krasj' || g, 'krasj' || g || '@example.no', 'Gata 1', '0150', '0301', '03' FROM generate_series(1, ${RECIPIENTS}) g`);
    // A few who may not be sent: they must never appear at the provider.
    await rig.hub.db.query(`SELECT consent_record(id, 'campaign', 'email', false, 'preference_page', NULL, 'member', NULL, NULL, now())
      FROM members WHERE member_number IN ('K7', 'K7007', 'K17017')`);
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const c = await createCampaign(rig.hub, null, {
      name: 'Krasj', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { all: [] },
      links: { action: 'https://forbund.example/a' },
    });
    await startCampaign(rig.hub, c.id);
    // Slow answers keep batches in flight, so a kill lands mid-request.
    rig.em.sendgrid.faults.latency(1500);

    let kills = 0;
    // (kills stop early only if the campaign finishes first; the test then says how many there were)
    let w = workerProcess(rig);
    children.push(w);
    const sent = async () => (await rig.hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND sent_at IS NOT NULL`, [c.id]))!.n as number;
    const done = async () => (await loadCampaign(rig.hub.db, c.id)).state === 'completed';
    for (let i = 0; i < 3 && !(await done()); i++) {
      // Wait until this worker is sending, then kill it at a random moment.
      const before = await sent();
      if (before >= RECIPIENTS - 3) break;
      await until(async () => (await sent()) > before, 90_000, 'the worker to send').catch(async (err) => {
        const states = await rig.hub.db.many(`SELECT state, claim IS NOT NULL AS claimed, count(*)::int AS n FROM send_log WHERE campaign_id = $1 GROUP BY 1, 2`, [c.id]);
        throw new Error(`${err.message}: after ${kills} kills the log holds ${JSON.stringify(states)}`);
      });
      await sleep(200 + Math.floor(Math.random() * 1200));
      w.kill('SIGKILL');
      kills++;
      await new Promise((r) => w.once('exit', r));
      w = workerProcess(rig);
      children.push(w);
    }
    // Finish with two worker processes on the same campaign at once.
    const second = workerProcess(rig);
    children.push(second);
    rig.em.sendgrid.faults.latency(0);
    await until(async () => (await loadCampaign(rig.hub.db, c.id)).state === 'completed', 240_000, 'the campaign to complete');

    const counts = rig.em.sendgrid.ledger.countByRecipient();
    const declined = ['krasj7@example.no', 'krasj7007@example.no', 'krasj17017@example.no'];
    for (const d of declined) expect(counts.get(d) ?? 0).toBe(0);
    let missing = 0;
    let duplicates = 0;
    for (let g = 1; g <= RECIPIENTS; g++) {
      const to = `krasj${g}@example.no`;
      if (declined.includes(to)) continue;
      const k = counts.get(to) ?? 0;
      if (k === 0) missing++;
      if (k > 1) duplicates += k - 1;
    }
    const log = await rig.hub.db.many(`SELECT state, count(*)::int AS n FROM send_log WHERE campaign_id = $1 GROUP BY 1`, [c.id]);
    // The figure the issue asks for: duplicates only where a request was accepted and its answer lost to the kill.
    console.log(`SIGKILL test: ${kills} kills, ${duplicates} duplicate messages (limit ${kills * 1000}), ${missing} missing; log ${JSON.stringify(log)}; emulator ${JSON.stringify(rig.em.sendgrid.stats().injected)}`);
    expect(kills).toBeGreaterThanOrEqual(2);
    expect(missing).toBe(0);
    expect(duplicates).toBeLessThanOrEqual(kills * 1000);
    expect(log.find((r) => r.state === 'skipped')?.n).toBe(3);
    expect(log.filter((r) => ['queued', 'sending'].includes(r.state))).toEqual([]);
  });
});
