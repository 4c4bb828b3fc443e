import { loadLatestVersionByKey } from '../src/render';
import { loadCampaign } from '../src/campaigns';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { workerProcess, killHard } from './helpers/worker-process';
import type { ChildProcess } from 'node:child_process';

const MEMBERS = 20_000;
/** Small steps, so the snapshot of this audience takes many committed steps (a kill lands mid-way). */
const STEP = '250';

async function seed(rig: CampaignRig, prefix: string, n: number): Promise<void> {
  await rig.hub.db.query(
    `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code)
     SELECT '${prefix}' || g, 'Lise', 'Lansering' || g, lower('${prefix}') || g || '@example.no', 'Gata 1', '0150', '0301', '03' FROM generate_series(1, ${n}) g`);
}

async function api(rig: CampaignRig, auth: Record<string, string>, method: string, path: string, body?: unknown) {
  const res = await fetch(`${rig.url}/api${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) as any };
}

describe('launch: the audience is taken by queue jobs after the answer', () => {
  let rig: CampaignRig;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    rig = await campaignRig({ workers: false, ledgerMode: 'compact', env: { CAMPAIGN_SNAPSHOT_STEP: STEP, APPROVAL_THRESHOLD: '1000000' } });
    await seed(rig, 'L', MEMBERS);
  });
  afterAll(async () => {
    for (const c of children) await killHard(c);
    await rig.close();
  });

  test('launch answers 202 with the snapshot pending; its progress shows as it is taken; each member is logged once', async () => {
    const { auth } = await staffWithToken(rig.hub, 'communications');
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const created = await api(rig, auth, 'POST', '/campaigns', {
      name: 'Stor lansering', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { all: [] }, links: { action: 'https://forbund.example/a' },
    });
    expect(created.status).toBe(201);
    expect(created.body.snapshot).toEqual({ state: 'pending', taken: 0 });
    const launched = await api(rig, auth, 'POST', `/campaigns/${created.body.id}/launch`, {});
    expect(launched.status).toBe(202);
    expect(launched.body.campaign.state).toBe('running');
    // No worker runs yet: the answer cannot have waited for the snapshot.
    expect(launched.body.campaign.snapshot).toEqual({ state: 'pending', taken: 0 });
    expect((await rig.hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1`, [created.body.id]))!.n).toBe(0);

    await rig.startWorkers();
    const seen = new Set<string>();
    await until(async () => {
      const s = (await api(rig, auth, 'GET', `/campaigns/${created.body.id}`)).body.snapshot;
      seen.add(s.state);
      return s.state === 'done';
    }, 240_000, 'the snapshot to be taken');
    const c = await loadCampaign(rig.hub.db, created.body.id);
    expect(c.snapshot).toEqual({ state: 'done', taken: MEMBERS });
    expect(c.audienceSize).toBe(MEMBERS);
    expect(seen.has('taking')).toBe(true);
    await until(async () => (await loadCampaign(rig.hub.db, c.id)).state === 'completed', 240_000, 'the campaign to complete');
    const counts = rig.em.sendgrid.ledger.countByRecipient();
    let missing = 0; let twice = 0;
    for (let g = 1; g <= MEMBERS; g++) { const k = counts.get(`l${g}@example.no`) ?? 0; if (k === 0) missing++; if (k > 1) twice++; }
    expect({ missing, twice }).toEqual({ missing: 0, twice: 0 });
    await rig.workers!.close();
    rig.workers = null;
  });

  test('a snapshot job killed mid-way (SIGKILL) is continued by another worker; nobody is logged twice or left out', async () => {
    await seed(rig, 'M', MEMBERS);
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const { auth } = await staffWithToken(rig.hub, 'communications');
    const big = await api(rig, auth, 'POST', '/campaigns', {
      name: 'Krasj', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { all: [] }, links: { action: 'https://forbund.example/a' },
    });
    const id = big.body.id as number;
    // Email slowed down so the batches do not race the snapshot for the machine.
    rig.em.sendgrid.faults.latency(500);
    expect((await api(rig, auth, 'POST', `/campaigns/${id}/launch`, {})).status).toBe(202);
    const first = workerProcess(rig, { CAMPAIGN_SNAPSHOT_STEP: STEP });
    children.push(first);
    await until(async () => {
      const s = (await loadCampaign(rig.hub.db, id)).snapshot;
      return s.state === 'taking' && s.taken > 0 && s.taken < MEMBERS;
    }, 120_000, 'the snapshot to be under way in the worker process');
    await killHard(first);
    const atKill = (await loadCampaign(rig.hub.db, id)).snapshot;
    expect(atKill.state).toBe('taking');
    const second = workerProcess(rig, { CAMPAIGN_SNAPSHOT_STEP: STEP });
    children.push(second);
    await until(async () => (await loadCampaign(rig.hub.db, id)).snapshot.state === 'done', 240_000, 'the snapshot to be continued and done');
    rig.em.sendgrid.faults.latency(0);
    const dup = await rig.hub.db.one(`SELECT count(*)::int AS rows, count(DISTINCT member_id)::int AS members FROM send_log WHERE campaign_id = $1`, [id]);
    expect(dup).toEqual({ rows: 2 * MEMBERS, members: 2 * MEMBERS });
    expect((await loadCampaign(rig.hub.db, id)).snapshot.taken).toBe(2 * MEMBERS);
    await until(async () => (await loadCampaign(rig.hub.db, id)).state === 'completed', 240_000, 'the campaign to complete');
    await killHard(second);
  });
});
