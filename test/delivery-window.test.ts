import { loadLatestVersionByKey } from '../src/render';
import { takeSnapshot, planWindow } from '../src/campaigns';
import { campaignQueues } from '../queues/campaigns';
import { campaignRig, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { insertMember } from './helpers/fixtures';

async function api(rig: CampaignRig, auth: Record<string, string>, method: string, path: string, body?: unknown) {
  const res = await fetch(`${rig.url}/api${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: await res.json().catch(() => null) as any };
}

describe('the optional email delivery window', () => {
  let rig: CampaignRig;
  beforeAll(async () => { rig = await campaignRig({ workers: false }); });
  afterAll(async () => { await rig.close(); });

  test('at most N an hour: batches of N/60, one a minute; over N minutes: the last batch at N minutes', () => {
    expect(planWindow({ perHour: 6000 }, 50_000, 0)).toEqual({ batchSize: 100, intervalMs: 60_000, startAt: 0 });
    const spread = planWindow({ minutes: 10 }, 5000, 0);
    expect(spread.batchSize).toBe(500);
    expect(spread.intervalMs * (Math.ceil(5000 / spread.batchSize) - 1)).toBeLessThanOrEqual(10 * 60_000);
  });

  test('a bad window is refused naming the field; none is the default', async () => {
    const { auth } = await staffWithToken(rig.hub, 'communications');
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const base = { name: 'Vindu', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { all: [] }, links: { action: 'https://forbund.example/a' } };
    const bad = await api(rig, auth, 'POST', '/campaigns', { ...base, deliveryWindow: { perHour: 0 } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.errors)).toMatch(/deliveryWindow/);
    const plain = await api(rig, auth, 'POST', '/campaigns', base);
    expect(plain.status).toBe(201);
    expect(plain.body.deliveryWindow).toBeNull();
  });

  test('the queue holds each email batch until its time under the window', async () => {
    const { auth } = await staffWithToken(rig.hub, 'communications');
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const numbers: string[] = [];
    for (let i = 0; i < 6; i++) numbers.push((await insertMember(rig.hub.db, {})).memberNumber);
    const c = await api(rig, auth, 'POST', '/campaigns', {
      name: 'Vindu', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { memberNumbers: numbers },
      links: { action: 'https://forbund.example/a' }, deliveryWindow: { perHour: 120 },
    });
    expect(c.status).toBe(201);
    expect(c.body.deliveryWindow).toEqual({ perHour: 120 });
    expect((await api(rig, auth, 'POST', `/campaigns/${c.body.id}/launch`, {})).status).toBe(202);
    await takeSnapshot(rig.hub, c.body.id);
    const q = campaignQueues(rig.hub).email;
    const delayed = (await q.getDelayed()).filter((j) => j.data.campaignId === c.body.id).map((j) => j.data.batchNo).sort();
    const waiting = (await q.getWaiting()).filter((j) => j.data.campaignId === c.body.id).map((j) => j.data.batchNo);
    // 120 an hour: batches of 2, one a minute: batch 0 now, 1 and 2 later.
    expect(waiting).toEqual([0]);
    expect(delayed).toEqual([1, 2]);
  });
});
