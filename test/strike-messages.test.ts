import { loadLatestVersionByKey } from '../src/render';
import { loadCampaign } from '../src/campaigns';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';


const LINKS = { info: 'https://forbund.example/streik' };

async function api(rig: CampaignRig, auth: { authorization: string }, method: string, p: string, body?: unknown) {
  const res = await fetch(`${rig.url}/api${p}`, {
    method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function finished(rig: CampaignRig, id: number) {
  return until(async () => (await loadCampaign(rig.hub.db, id)).state === 'completed', 60_000, `campaign ${id} completed`);
}

describe('strike messages through the campaigns, the workers and the SendGrid/Twilio emulators', () => {
  let rig: CampaignRig;
  let org: Org;
  let comms: { authorization: string };
  let templates: Record<string, number>;

  beforeAll(async () => {
    // Quiet hours almost all day: strike SMS must still go at once.
    rig = await campaignRig({ env: { SMS_QUIET_HOURS: '00:00-23:59' } });
    org = await createOrg(rig.hub.db);
    comms = (await staffWithToken(rig.hub, 'communications')).auth;
    const v = await loadLatestVersionByKey(rig.hub.db, 'strike_notice');
    templates = { email: v.id, sms: v.id, letter: v.id };
  });
  afterAll(async () => { await rig.close(); });

  async function strikeWithPhases(): Promise<{ id: number; phase1: number; phase2: number }> {
    const s = await api(rig, comms, 'POST', '/strikes', { name: 'Streik ved verkstedet', agreementId: org.agreementId });
    await api(rig, comms, 'POST', `/strikes/${s.body.id}/state`, { state: 'notice_given' });
    const p1 = await api(rig, comms, 'POST', `/strikes/${s.body.id}/phases`, { name: 'Uttak 1', startsAt: new Date().toISOString(), selection: { workplace: [org.workplaceId] } });
    const p2 = await api(rig, comms, 'POST', `/strikes/${s.body.id}/phases`, { name: 'Opptrapping', startsAt: new Date(Date.now() + 86_400_000).toISOString(), selection: { workplace: [org.otherWorkplaceId] } });
    return { id: s.body.id, phase1: p1.body.phase.id, phase2: p2.body.phase.id };
  }

  test('a phase announcement reaches exactly the members that phase took out and still has out, email → SMS → letter, even those who declined everything they may', async () => {
    const A = org.agreementId;
    const email = await insertMember(rig.hub.db, { firstName: 'Eli', workplaceId: org.workplaceId, agreementIds: [A], phone: '+4791100001' });
    const smsOnly = await insertMember(rig.hub.db, { firstName: 'Sindre', email: null, phone: '+4791100002', workplaceId: org.workplaceId, agreementIds: [A] });
    const letterOnly = await insertMember(rig.hub.db, { firstName: 'Liv', email: null, phone: null, street: 'Brevveien 3', postcode: '5003', workplaceId: org.workplaceId, agreementIds: [A] });
    const declinedAll = await insertMember(rig.hub.db, { firstName: 'Dag', email: null, phone: '+4791100003', workplaceId: org.workplaceId, agreementIds: [A] });
    await rig.hub.db.query(`SELECT consent_record($1, NULL, NULL, false, 'preference_page', NULL, 'member', NULL, NULL, now())`, [declinedAll.id]);
    const takenBack = await insertMember(rig.hub.db, { firstName: 'Tor', email: null, phone: '+4791100004', workplaceId: org.workplaceId, agreementIds: [A] });
    const notCovered = await insertMember(rig.hub.db, { firstName: 'Ola', email: null, phone: '+4791100005', workplaceId: org.workplaceId, agreementIds: [org.otherAgreementId] });
    const otherPhase = await insertMember(rig.hub.db, { firstName: 'Per', email: null, phone: '+4791100006', workplaceId: org.otherWorkplaceId, agreementIds: [A] });

    const s = await strikeWithPhases();
    await api(rig, comms, 'POST', `/strikes/${s.id}/phases/${s.phase1}/take-back`, { selection: { memberNumbers: [takenBack.memberNumber] } });

    const sent = await api(rig, comms, 'POST', `/strikes/${s.id}/messages`, {
      purpose: 'announcement', phaseId: s.phase1, name: 'Uttak 1: du er tatt ut', templates, links: LINKS, launch: true,
    });
    expect(sent.status).toBe(202);
    const id = sent.body.campaign.id;
    expect(sent.body.campaign).toMatchObject({ category: 'strike', channels: ['email', 'sms', 'letter'] });
    const link = await rig.hub.db.one('SELECT strike_id, strike_phase_id, strike_purpose FROM campaigns WHERE id = $1', [id]);
    expect(link).toEqual({ strike_id: s.id, strike_phase_id: s.phase1, strike_purpose: 'announcement' });
    await finished(rig, id);

    const log = await rig.hub.db.many(`SELECT m.member_number, s.channel, s.state FROM send_log s JOIN members m ON m.id = s.member_id WHERE s.campaign_id = $1`, [id]);
    const by = (m: { memberNumber: string }) => log.filter((r) => r.member_number === m.memberNumber).map((r) => `${r.channel}:${r.state === 'delivered' ? 'sent' : r.state}`);
    expect(by(email)).toEqual(['email:sent']);
    expect(by(smsOnly)).toEqual(['sms:sent']);
    expect(by(letterOnly)).toEqual(['letter:sent']);
    expect(by(declinedAll)).toEqual(['sms:sent']);
    expect(log).toHaveLength(4);

    await rig.em.sendgrid.drainWebhooks();
    const mails = rig.em.sendgrid.ledger.recent({ limit: 100 }).filter((m) => m.customArgs.campaign_id === String(id));
    expect(mails.map((m) => m.to)).toEqual([`${email.memberNumber.toLowerCase()}@example.no`]);
    expect(rig.em.twilio.ledger.countFor('+4791100002')).toBe(1);
    expect(rig.em.twilio.ledger.countFor('+4791100003')).toBe(1);
    for (const never of ['+4791100001', '+4791100004', '+4791100005', '+4791100006']) expect(rig.em.twilio.ledger.countFor(never)).toBe(0);
    expect([notCovered, otherPhase, takenBack].flatMap(by)).toEqual([]);
  });

  test('a representative messages only the strike members in their scope, and only once communications staff approve', async () => {
    org = await createOrg(rig.hub.db);
    const A = org.agreementId;
    const holder = await insertMember(rig.hub.db, { workplaceId: org.otherWorkplaceId });
    await rig.hub.db.query(`INSERT INTO member_roles (member_id, role, workplace_id, starts_on) VALUES ($1, 'shop_steward', $2, '2020-01-01')`, [holder.id, org.otherWorkplaceId]);
    const rep = await staffWithToken(rig.hub, 'representative', { memberId: holder.id });
    const inScope = await insertMember(rig.hub.db, { email: null, phone: '+4791200001', workplaceId: org.otherWorkplaceId, agreementIds: [A] });
    const outOfScope = await insertMember(rig.hub.db, { email: null, phone: '+4791200002', workplaceId: org.workplaceId, agreementIds: [A] });
    const s = await strikeWithPhases();

    const draft = await api(rig, rep.auth, 'POST', `/strikes/${s.id}/messages`, { purpose: 'instruction', name: 'Oppmøte i morgen', templates: { sms: templates.sms }, channels: ['sms'], links: LINKS, launch: true });
    expect(draft.status).toBe(201);
    expect(draft.body.campaign.state).toBe('draft');
    const id = draft.body.campaign.id;
    // The representative cannot send it themselves.
    expect((await api(rig, rep.auth, 'POST', `/strikes/${s.id}/messages/${id}/approve`, {})).status).toBe(403);
    // Asking to launch it only asks for approval (a representative's launch always waits for communications staff).
    const asked = await api(rig, rep.auth, 'POST', `/campaigns/${id}/launch`, {});
    expect(asked.status).toBe(202);
    expect(asked.body.approvalRequired).toBe(true);
    expect(asked.body.campaign.state).not.toBe('running');
    const mine = await api(rig, rep.auth, 'GET', `/strikes/${s.id}/messages`);
    expect(mine.body.messages.map((m: any) => m.id)).toEqual([id]);

    const approved = await api(rig, comms, 'POST', `/strikes/${s.id}/messages/${id}/approve`, {});
    expect(approved.status).toBe(202);
    await finished(rig, id);
    expect(rig.em.twilio.ledger.countFor('+4791200001')).toBe(1);
    expect(rig.em.twilio.ledger.countFor('+4791200002')).toBe(0);
    const log = await rig.hub.db.many('SELECT member_id FROM send_log WHERE campaign_id = $1', [id]);
    expect(log.map((r) => r.member_id)).toEqual([inScope.id]);
    // Both were taken out; only the one in the representative's scope was reached.
    const out = await rig.hub.db.many('SELECT member_id FROM strike_takeouts WHERE strike_id = $1 ORDER BY member_id', [s.id]);
    expect(out.map((r) => r.member_id)).toEqual(expect.arrayContaining([inScope.id, outOfScope.id]));
  });

  test('a phase announcement without its phase, or a message of an ended strike, is refused', async () => {
    const s = await strikeWithPhases();
    const noPhase = await api(rig, comms, 'POST', `/strikes/${s.id}/messages`, { purpose: 'announcement', name: 'x', templates, links: LINKS });
    expect(noPhase.status).toBe(400);
    expect(noPhase.body.errors[0].field).toBe('body.phaseId');
    const foreign = await api(rig, comms, 'POST', `/strikes/${s.id}/messages`, { purpose: 'announcement', phaseId: 999999, name: 'x', templates, links: LINKS });
    expect(foreign.status).toBe(404);
    await api(rig, comms, 'POST', `/strikes/${s.id}/state`, { state: 'ended' });
    const ended = await api(rig, comms, 'POST', `/strikes/${s.id}/messages`, { purpose: 'end', name: 'Streiken er over', templates, links: LINKS });
    expect(ended.status).toBe(409);
    expect(ended.body.state).toBe('ended');
  });

  test('ending the strike waits for a message that has not taken its recipients (409), then erases the recipient lists of its messages', async () => {
    const A = org.agreementId;
    await insertMember(rig.hub.db, { email: null, phone: '+4791300001', workplaceId: org.workplaceId, agreementIds: [A] });
    const s = await strikeWithPhases();
    const rep = await insertMember(rig.hub.db, { workplaceId: org.workplaceId });
    await rig.hub.db.query(`INSERT INTO member_roles (member_id, role, workplace_id, starts_on) VALUES ($1, 'shop_steward', $2, '2020-01-01')`, [rep.id, org.workplaceId]);
    const future = await api(rig, comms, 'POST', `/strikes/${s.id}/messages`, {
      purpose: 'end', name: 'Streiken er over', templates: { sms: templates.sms }, channels: ['sms'], links: LINKS, sendAt: new Date(Date.now() + 3_600_000).toISOString(), launch: true,
    });
    expect(future.body.campaign.state).toBe('scheduled');
    const refused = await api(rig, comms, 'POST', `/strikes/${s.id}/state`, { state: 'ended' });
    expect(refused.status).toBe(409);
    expect(refused.body.campaigns).toEqual([{ id: future.body.campaign.id, state: 'scheduled' }]);
    await api(rig, comms, 'POST', `/campaigns/${future.body.campaign.id}/cancel`, {});

    const now = await api(rig, comms, 'POST', `/strikes/${s.id}/messages`, { purpose: 'end', name: 'Streiken er over', templates: { sms: templates.sms }, channels: ['sms'], links: LINKS, launch: true });
    await finished(rig, now.body.campaign.id);
    const ended = await api(rig, comms, 'POST', `/strikes/${s.id}/state`, { state: 'ended' });
    expect(ended.status).toBe(200);
    expect((await rig.hub.db.one('SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1', [now.body.campaign.id]))!.n).toBe(0);
    const counted = await rig.hub.db.one('SELECT sum(n)::int AS n FROM send_log_counts WHERE campaign_id = $1', [now.body.campaign.id]);
    expect(counted!.n).toBeGreaterThan(0);
  });
});
