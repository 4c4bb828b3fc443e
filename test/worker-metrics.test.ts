import type { ChildProcess } from 'node:child_process';
import { loadLatestVersionByKey } from '../src/render';
import { loadCampaign } from '../src/campaigns';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { createOrg, insertMember } from './helpers/fixtures';
import { killHard, workerProcess } from './helpers/worker-process';

/**
 * A worker-only process (`src/main.ts worker`) serves its own /metrics on WORKER_METRICS_PORT,
 * behind METRICS_TOKEN like the API's: the halt counter is counted where the halt happens, in the
 * worker, so that is where an operator must be able to read it.
 */
const TOKEN = 'worker-metrics-token-0123456789';

describe('worker process /metrics', () => {
  let rig: CampaignRig;
  let worker: ChildProcess;
  let metricsUrl: string;

  beforeAll(async () => {
    rig = await campaignRig({ workers: false, env: { APPROVAL_THRESHOLD: '100000' } });
    worker = workerProcess(rig, { WORKER_METRICS_PORT: '0', METRICS_TOKEN: TOKEN });
    let out = '';
    worker.stdout!.on('data', (d) => { out += String(d); });
    const port = await until(async () => /\/metrics on port (\d+)/.exec(out)?.[1], 60_000, 'the worker to print its metrics port');
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  }, 400_000);
  afterAll(async () => {
    if (worker) await killHard(worker);
    await rig.close();
  });

  test('without the bearer token the worker answers 401 with a problem document; with it, the metrics', async () => {
    const denied = await fetch(metricsUrl);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toContain('application/problem+json');
    expect((await fetch(metricsUrl, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    const ok = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).toContain('# TYPE budstikke_campaign_halts_total counter');
    expect(text).toMatch(/^budstikke_process_resident_memory_bytes \d+/m);
    // Only /metrics: the worker serves no API.
    expect((await fetch(metricsUrl.replace('/metrics', '/api/campaigns'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  test('a halt in the worker (revoked SendGrid key) shows in the worker\'s budstikke_campaign_halts_total', async () => {
    const org = await createOrg(rig.hub.db);
    const { auth } = await staffWithToken(rig.hub, 'communications');
    const ms = [];
    for (let i = 0; i < 3; i++) ms.push(await insertMember(rig.hub.db, { clubId: org.clubId, memberNumber: `WM${i}`, email: `wm${i}@example.no` }));
    rig.em.sendgrid.faults.accountError('revoked_key');
    try {
      const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
      const post = (p: string, body: unknown) => fetch(`${rig.url}/api${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const created = await post('/campaigns', {
        name: 'Metrikk', category: 'campaign', channels: ['email'], templates: { email: v.id }, audience: { memberNumbers: ms.map((m) => m.memberNumber) },
        links: { action: 'https://forbund.example/a', read: 'https://forbund.example/r', payment: 'https://forbund.example/p', info: 'https://forbund.example/i' },
      });
      expect(created.status).toBe(201);
      const id = (await created.json()).id;
      expect((await post(`/campaigns/${id}/launch`, {})).status).toBeLessThan(300);
      await until(async () => (await loadCampaign(rig.hub.db, id)).state === 'paused', 120_000, 'the halt');
      const text = await (await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
      expect(text).toMatch(/^budstikke_campaign_halts_total\{channel="email",reason="provider_unavailable",provider="sendgrid"\} 1$/m);
    } finally {
      rig.em.sendgrid.faults.accountError(null);
    }
  });
});
