import { loadLatestVersionByKey } from '../src/render';
import { createCampaign, launchCampaign, loadCampaign } from '../src/campaigns';
import { campaignQueues } from '../queues/campaigns';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { privateRedis, type PrivateRedis } from './helpers/private-redis';

jest.setTimeout(600_000);

const N = 6000;

/**
 * Redis here keeps nothing on disk: restarted, it is empty. The workers in this process are not
 * restarted; their watchdog (queues/watchdog.ts) must notice and rebuild the queues and the
 * sweep from PostgreSQL. A private redis-server, never the shared one.
 */
describe('a lost Redis is rebuilt from PostgreSQL by the running workers', () => {
  let redis: PrivateRedis;
  let rig: CampaignRig;
  beforeAll(async () => {
    redis = await privateRedis();
    rig = await campaignRig({ ledgerMode: 'compact', env: { REDIS_URL: redis.url, QUEUE_WATCHDOG_MS: '500', CAMPAIGN_SNAPSHOT_STEP: '1000' } });
    await rig.hub.db.query(
      `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code)
       SELECT 'R' || g, 'Rita', 'Redis' || g, 'redis' || g || '@example.no', 'Gata 1', '0150', '0301', '03' FROM generate_series(1, ${N}) g`);
  });
  afterAll(async () => {
    await rig?.close();
    await redis?.kill();
  });

  const sentCount = async (id: number) => (await rig.hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND sent_at IS NOT NULL`, [id]))!.n as number;

  /** Runs of the kill (REDIS_LOSS_RUNS, default 1). The figures come from scripts/redis-loss.sh (bench/redis-loss.ts: real processes, 100,000 emails). */
  const RUNS = Number(process.env.REDIS_LOSS_RUNS ?? 1);

  test('Redis killed mid-campaign and restarted empty: the campaign completes, nobody is missed, duplicates only from batches in flight', async () => {
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    for (let run = 1; run <= RUNS; run++) {
      const c = await createCampaign(rig.hub, null, {
        name: `Redis borte ${run}`, category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { all: [] }, links: { action: 'https://forbund.example/a' },
      });
      await rig.hub.db.query(`UPDATE campaigns SET approved_at = now(), approval_requested_at = now() WHERE id = $1`, [c.id]);
      const before = new Map(rig.em.sendgrid.ledger.countByRecipient());
      rig.em.sendgrid.faults.latency(400);
      await launchCampaign(rig.hub, c.id, null);
      // A random point of the campaign (run 1: early, so the test always kills mid-way).
      // REDIS_LOSS_AT=0.84 kills while the last batches are in flight (the campaign then completes
      // before the watchdog has rebuilt anything).
      const at = process.env.REDIS_LOSS_AT ? Math.floor(N * Number(process.env.REDIS_LOSS_AT)) : run === 1 ? 1000 : Math.floor(N * (0.1 + Math.random() * 0.7));
      await until(async () => (await sentCount(c.id)) >= at, 120_000, 'the campaign to be sending');
      // What was in flight when Redis went: at most these batches may be sent twice.
      const inFlight = (await campaignQueues(rig.hub).email.getActive()).length;
      await redis.kill();
      const sentAtKill = await sentCount(c.id);
      await new Promise((r) => setTimeout(r, 500 + Math.floor(Math.random() * 2500))); // Redis away a while (not an assertion)
      await redis.start();
      const back = Date.now();
      await until(async () => (await loadCampaign(rig.hub.db, c.id)).state === 'completed', 240_000, 'the campaign to complete after Redis came back empty');
      const completedAfterS = (Date.now() - back) / 1000;
      rig.em.sendgrid.faults.latency(0);
      const counts = rig.em.sendgrid.ledger.countByRecipient();
      let missing = 0;
      let duplicates = 0;
      for (let g = 1; g <= N; g++) {
        const to = `redis${g}@example.no`;
        const k = (counts.get(to) ?? 0) - (before.get(to) ?? 0);
        if (k === 0) missing++;
        if (k > 1) duplicates += k - 1;
      }
      console.log(`redis-loss run ${run}: ${JSON.stringify({ run, recipients: N, sentAtKill, inFlightBatches: inFlight, completedAfterRedisBackS: completedAfterS, lost: missing, duplicates })}`);
      expect(sentAtKill).toBeLessThan(N);
      expect(missing).toBe(0);
      expect(duplicates).toBeLessThanOrEqual((inFlight + 1) * 1000);
      expect(await rig.hub.db.many(`SELECT state FROM send_log WHERE campaign_id = $1 AND state IN ('queued', 'sending')`, [c.id])).toEqual([]);
      // The sweep's scheduler comes back in the new Redis. Waited for, not read at once: when the
      // batches in flight at the kill were the campaign's last, it completes before the
      // watchdog's next check has rebuilt anything: read at once, this failed with a kill after 84 %
      // sent (the likely cause of the unexplained run 3 of an earlier 5-run attempt).
      expect(await until(async () => campaignQueues(rig.hub).control.getJobScheduler('campaign-sweep'), 60_000, 'the sweep scheduler to be rebuilt')).toBeTruthy();
    }
  });

  test('a running campaign whose batches vanished from a Redis that kept its marker is sent by the sweep', async () => {
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const c = await createCampaign(rig.hub, null, {
      name: 'Jobber borte', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { memberNumbers: ['R1', 'R2', 'R3'] }, links: { action: 'https://forbund.example/a' },
    });
    const q = campaignQueues(rig.hub);
    await q.email.pause();
    try {
      await launchCampaign(rig.hub, c.id, null);
      await until(async () => (await loadCampaign(rig.hub.db, c.id)).snapshot.state === 'done', 120_000, 'the snapshot');
      await until(async () => (await q.email.getWaitingCount()) > 0, 60_000, 'the batch job');
      // The jobs go; the epoch marker stays: only PostgreSQL knows the rows are pending.
      await q.email.drain(true);
      expect(await q.email.getWaitingCount()).toBe(0);
    } finally {
      await q.email.resume();
    }
    await rig.hub.db.query(`UPDATE queue_heartbeats SET at = now()`);
    // Trigger the sweep now rather than wait up to 30 s for its schedule.
    await q.control.add('sweep', { sweep: true }, { jobId: `sweep-now-${c.id}` });
    await until(async () => (await loadCampaign(rig.hub.db, c.id)).state === 'completed', 120_000, 'the sweep to re-enqueue the batch');
    expect(rig.em.sendgrid.ledger.countFor('redis1@example.no')).toBe(RUNS + 1); // once per run of the first test, once here
  });
});
