import { loadLatestVersionByKey } from '../src/render';
import { loadCampaign } from '../src/campaigns';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { createOrg, insertMember } from './helpers/fixtures';

/**
 * Representatives message their own members (issue 12, contract C6): the server confines the
 * audience in SQL to their scope, only in the categories allowed for representatives, and every
 * launch waits for communications staff's approval, whatever its size.
 */
const LINKS = { action: 'https://forbund.example/a' };

describe("representatives' campaigns (API, workers, emulators)", () => {
  let rig: CampaignRig;
  let rep: { authorization: string };
  let comms: { authorization: string };
  let inScope: { id: number; memberNumber: string };
  let outOfScope: { id: number; memberNumber: string };

  async function call(auth: { authorization: string }, method: string, p: string, body?: unknown) {
    const res = await fetch(`${rig.url}/api${p}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  beforeAll(async () => {
    rig = await campaignRig({ env: { APPROVAL_THRESHOLD: '1000' } });
    const org = await createOrg(rig.hub.db);
    const steward = await insertMember(rig.hub.db, { firstName: 'Tora', lastName: 'Tillitsvalgt', workplaceId: org.workplaceId });
    await rig.hub.db.query(`INSERT INTO member_roles (member_id, role, workplace_id, starts_on) VALUES ($1, 'shop_steward', $2, '2020-01-01')`, [steward.id, org.workplaceId]);
    inScope = await insertMember(rig.hub.db, { firstName: 'Inne', workplaceId: org.workplaceId });
    outOfScope = await insertMember(rig.hub.db, { firstName: 'Ute', workplaceId: org.otherWorkplaceId });
    rep = (await staffWithToken(rig.hub, 'representative', { memberId: steward.id })).auth;
    comms = (await staffWithToken(rig.hub, 'communications')).auth;
  });
  afterAll(async () => { await rig?.close(); });

  test("a representative's campaign naming an out-of-scope member reaches only members in their scope, after communications staff approve it", async () => {
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const created = await call(rep, 'POST', '/campaigns', {
      name: 'Klubbmøte', category: 'campaign', channels: ['email'], templates: { email: v.id }, links: LINKS,
      audience: { memberNumbers: [inScope.memberNumber, outOfScope.memberNumber] },
    });
    expect([created.status, created.body.errors ?? created.body.detail]).toEqual([201, undefined]);
    // One member, far below the threshold: still waits for approval.
    const launched = await call(rep, 'POST', `/campaigns/${created.body.id}/launch`, {});
    expect(launched.status).toBe(202);
    expect(launched.body.approvalRequired).toBe(true);
    expect((await call(rep, 'POST', `/campaigns/${created.body.id}/approve`, {})).status).toBe(403);
    const approved = await call(comms, 'POST', `/campaigns/${created.body.id}/approve`, {});
    expect([200, 202]).toContain(approved.status);
    expect(approved.body.approvalRequired).toBe(false);
    await until(async () => (await loadCampaign(rig.hub.db, created.body.id)).state === 'completed', 60_000, 'campaign completed');
    const log = await rig.hub.db.many('SELECT member_id FROM send_log WHERE campaign_id = $1', [created.body.id]);
    expect(log.map((r) => Number(r.member_id))).toEqual([inScope.id]);
    expect(rig.em.sendgrid.ledger.countFor(`${outOfScope.memberNumber.toLowerCase()}@example.no`)).toBe(0);
  });

  test('a representative cannot use a category the union has not opened to representatives, nor message a member outside the scope', async () => {
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const news = await call(rep, 'POST', '/campaigns', { name: 'Nyhetsbrev', category: 'newsletter', channels: ['email'], templates: { email: v.id }, audience: { all: [] } });
    expect(news.status).toBe(403);
    expect(news.body.detail).toMatch(/Tillitsvalgte kan ikke sende i kategorien/);
    const single = await call(rep, 'POST', '/messages', { memberNumber: outOfScope.memberNumber, templateId: v.templateId, category: 'campaign', channels: ['email'], links: LINKS, idempotencyKey: 'rep-single-0001' });
    expect(single.status).toBe(404);
  });

  test("another representative does not see the campaign; the campaign list shows a representative only their own", async () => {
    const other = (await staffWithToken(rig.hub, 'representative', { memberId: outOfScope.id })).auth;
    const list = await call(other, 'GET', '/campaigns');
    expect(list.body.campaigns.filter((c: { name: string }) => c.name === 'Klubbmøte')).toEqual([]);
  });
});
