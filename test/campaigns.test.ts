import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { loadLatestVersionByKey } from '../src/render';
import { quietUntil, runCampaignSweep, loadCampaign, takeSnapshot } from '../src/campaigns';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { campaignQueues } from '../queues/campaigns';
import { staffWithToken } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';


/** Every campaign link the built-in templates use. */
const LINKS = { action: 'https://forbund.example/a', read: 'https://forbund.example/r', payment: 'https://forbund.example/p', info: 'https://forbund.example/i' };

async function api(rig: CampaignRig, auth: { authorization: string }, method: string, p: string, body?: unknown) {
  const res = await fetch(`${rig.url}/api${p}`, {
    method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function templatesFor(rig: CampaignRig, key: string, channels: string[]) {
  const v = await loadLatestVersionByKey(rig.hub.db, key);
  return Object.fromEntries(channels.map((ch) => [ch, v.id]));
}

async function rows(rig: CampaignRig, campaignId: number) {
  return rig.hub.db.many(
    `SELECT s.*, m.member_number FROM send_log s LEFT JOIN members m ON m.id = s.member_id WHERE campaign_id = $1 ORDER BY s.id`, [campaignId]);
}

async function finished(rig: CampaignRig, id: number, state = 'completed') {
  return until(async () => (await loadCampaign(rig.hub.db, id)).state === state, 60_000, `campaign ${id} ${state}`);
}

async function optOut(rig: CampaignRig, memberId: number, category: string | null, channel: string | null) {
  await rig.hub.db.query(`SELECT consent_record($1, $2, $3, false, 'preference_page', NULL, 'member', NULL, NULL, now())`, [memberId, category, channel]);
}

describe('campaigns end to end (PostgreSQL, Redis, BullMQ workers, SendGrid and Twilio emulators)', () => {
  let rig: CampaignRig;
  let org: Org;
  let comms: { authorization: string };
  let comms2: { authorization: string };

  beforeAll(async () => {
    rig = await campaignRig({ env: { APPROVAL_THRESHOLD: '50' } });
    org = await createOrg(rig.hub.db);
    comms = (await staffWithToken(rig.hub, 'communications', { email: 'komm1@budstikke.example' })).auth;
    comms2 = (await staffWithToken(rig.hub, 'communications', { email: 'komm2@budstikke.example' })).auth;
  });
  afterAll(async () => { await rig.close(); });

  test('a filtered campaign reaches exactly its members, each on the first channel consent allows, one personalization each', async () => {
    const A = org.agreementId;
    const email = await insertMember(rig.hub.db, { firstName: 'Eli', agreementIds: [A], phone: '+4790000001' });
    const smsOnly = await insertMember(rig.hub.db, { firstName: 'Sindre', email: null, phone: '+4790000002', agreementIds: [A] });
    const letterOnly = await insertMember(rig.hub.db, { firstName: 'Liv', email: null, phone: null, street: 'Brevveien 3', postcode: '5003', agreementIds: [A] });
    const suppressed = await insertMember(rig.hub.db, { firstName: 'Sara', email: 'sperret@example.no', phone: '+4790000004', agreementIds: [A] });
    await rig.hub.db.query(`INSERT INTO suppressions (channel, address, reason) VALUES ('email', 'sperret@example.no', 'hard_bounce')`);
    const declined = await insertMember(rig.hub.db, { firstName: 'Dag', phone: '+4790000005', agreementIds: [A] });
    await optOut(rig, declined.id, 'campaign', null);
    const unreachable = await insertMember(rig.hub.db, { firstName: 'Ulf', email: null, phone: null, street: null, postcode: null, agreementIds: [A] });
    const outside = await insertMember(rig.hub.db, { firstName: 'Ola', agreementIds: [org.otherAgreementId] });
    const resigned = await insertMember(rig.hub.db, { firstName: 'Rita', status: 'resigned', agreementIds: [A] });

    const created = await api(rig, comms, 'POST', '/campaigns', {
      name: 'Tariffoppgjøret', category: 'campaign', channels: ['email', 'sms', 'letter'],
      templates: await templatesFor(rig, 'campaign', ['email', 'sms', 'letter']),
      audience: { all: [{ agreement: [A] }] }, links: LINKS,
    });
    expect(created.status).toBe(201);
    expect(created.body.state).toBe('draft');
    const id = created.body.id;
    const launched = await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    expect(launched.status).toBe(202);
    expect(launched.body.approvalRequired).toBe(false);
    await finished(rig, id);

    const log = await rows(rig, id);
    // A delivery receipt may already have arrived: delivered counts as sent here.
    const by = (m: { memberNumber: string }) => log.filter((r) => r.member_number === m.memberNumber)
      .map((r) => `${r.channel}:${r.state === 'delivered' ? 'sent' : r.state}${r.reason ? `:${r.reason}` : ''}`);
    expect(by(email)).toEqual(['email:sent']);
    expect(by(smsOnly)).toEqual(['sms:sent']);
    expect(by(letterOnly)).toEqual(['letter:sent']);
    expect(by(suppressed)).toEqual(['sms:sent']);
    expect(by(declined)).toEqual(['email:skipped:opted_out']);
    expect(by(unreachable)).toEqual(['email:skipped:no_address']);
    expect(by(outside)).toEqual([]);
    expect(by(resigned)).toEqual([]);
    for (const r of log.filter((x) => x.state === 'sent')) expect(r.sent_at).toBeTruthy();

    // What the providers accepted: exactly these members, once, each alone in their To.
    await rig.em.sendgrid.drainWebhooks();
    const mails = rig.em.sendgrid.ledger.recent({ limit: 100 }).filter((m) => m.customArgs.campaign_id === String(id));
    expect(mails.map((m) => m.to).sort()).toEqual([`${email.memberNumber.toLowerCase()}@example.no`]);
    expect(mails[0].kind).toBe('to');
    expect(mails[0].html).toContain('Eli');
    expect(mails[0].headers['List-Unsubscribe']).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/u\/[A-Za-z0-9._-]+>$/);
    expect(mails[0].headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(rig.em.twilio.ledger.countFor('+4790000002')).toBe(1);
    expect(rig.em.twilio.ledger.countFor('+4790000004')).toBe(1);
    expect(rig.em.twilio.ledger.countFor('+4790000001')).toBe(0);
    expect(rig.em.twilio.ledger.countFor('+4790000005')).toBe(0);
    const dir = path.resolve(rig.config.letterOutputDir, `campaign-${id}`);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.pdf'))).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.csv'))!), 'utf8')).toContain(letterOnly.memberNumber);
    // A declinable letter carries the member's personal preference code, registered when it was printed.
    expect((await rig.hub.db.one('SELECT count(*)::int AS n FROM letter_codes WHERE member_id = $1', [letterOnly.id]))!.n).toBe(1);

    // Progress and the member's communication history.
    const progress = await api(rig, comms, 'GET', `/campaigns/${id}`);
    expect(progress.body.progress.total).toBe(6);
    expect((progress.body.progress.byState.sent ?? 0) + (progress.body.progress.byState.delivered ?? 0)).toBe(4);
    expect(progress.body.progress.byState.skipped).toBe(2);
    await until(async () => (await rows(rig, id)).find((r) => r.member_number === email.memberNumber)?.state === 'delivered', 10_000, 'delivered event');
    const history = await api(rig, comms, 'GET', `/members/${email.memberNumber}/communications`);
    expect(history.status).toBe(200);
    expect(history.body.communications[0]).toMatchObject({ campaignId: id, channel: 'email', state: 'delivered' });
    expect(history.body.communications[0].sentAt).toBeTruthy();

    // Launching again is a clear 409 and sends nothing new.
    const again = await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    expect(again.status).toBe(409);
    expect(rig.em.twilio.ledger.countFor('+4790000002')).toBe(1);
  });

  test('the preview counts what the launch does, a member\'s preferred channel first', async () => {
    const org5 = await createOrg(rig.hub.db);
    const plain = await insertMember(rig.hub.db, { clubId: org5.clubId, phone: '+4790000301' });
    const prefersSms = await insertMember(rig.hub.db, { clubId: org5.clubId, phone: '+4790000302' });
    await rig.hub.db.query(`INSERT INTO member_channel_preferences (member_id, channel) VALUES ($1, 'sms')`, [prefersSms.id]);
    const noEmail = await insertMember(rig.hub.db, { clubId: org5.clubId, email: null, phone: '+4790000303' });
    const body = { category: 'campaign', channels: ['email', 'sms'], audience: { all: [{ club: [org5.clubId] }] } };
    const preview = await api(rig, comms, 'POST', '/audiences/preview', body);
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ total: 3, byChannel: { email: 1, sms: 2 }, unreachable: 0 });
    const id = (await api(rig, comms, 'POST', '/campaigns', { ...body, name: 'Kanal', templates: await templatesFor(rig, 'campaign', ['email', 'sms']), links: LINKS })).body.id;
    await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    await finished(rig, id);
    const log = await rows(rig, id);
    expect(Object.fromEntries(log.map((r) => [r.member_number, r.channel]))).toEqual({
      [plain.memberNumber]: 'email', [prefersSms.memberNumber]: 'sms', [noEmail.memberNumber]: 'sms',
    });
  });

  test('a member who opts out between the snapshot and the send is skipped, not sent', async () => {
    await rig.workers!.close();
    rig.workers = null;
    const audience = { all: [{ workplace: [org.otherWorkplaceId] }] };
    const stay = await insertMember(rig.hub.db, { workplaceId: org.otherWorkplaceId });
    const leave = await insertMember(rig.hub.db, { workplaceId: org.otherWorkplaceId });
    const c = await api(rig, comms, 'POST', '/campaigns', { name: 'Snapshot', category: 'newsletter', channels: ['email'], templates: await templatesFor(rig, 'newsletter', ['email']), audience, links: LINKS });
    const id = c.body.id;
    const launched = await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    // The launch answered before its audience was taken: no worker runs the snapshot job now.
    expect(launched.status).toBe(202);
    expect(launched.body.campaign.snapshot).toEqual({ state: 'pending', taken: 0 });
    expect(await rows(rig, id)).toHaveLength(0);
    await takeSnapshot(rig.hub, id);
    expect((await rows(rig, id)).map((r) => r.state)).toEqual(['queued', 'queued']);
    expect((await loadCampaign(rig.hub.db, id)).snapshot).toEqual({ state: 'done', taken: 2 });
    await optOut(rig, leave.id, 'newsletter', 'email');
    await rig.startWorkers();
    await finished(rig, id);
    const log = await rows(rig, id);
    expect(['sent', 'delivered']).toContain(log.find((r) => r.member_number === stay.memberNumber)!.state);
    expect(log.find((r) => r.member_number === leave.memberNumber)).toMatchObject({ state: 'skipped', reason: 'opted_out' });
    expect(rig.em.sendgrid.ledger.countFor(`${leave.memberNumber.toLowerCase()}@example.no`)).toBe(0);
  });

  test('a member erased while the campaign runs gets nothing; the counts keep the row', async () => {
    await rig.workers!.close();
    rig.workers = null;
    const org6 = await createOrg(rig.hub.db);
    const keep = await insertMember(rig.hub.db, { clubId: org6.clubId });
    const gone = await insertMember(rig.hub.db, { clubId: org6.clubId, email: 'slettet@example.no' });
    const id = (await api(rig, comms, 'POST', '/campaigns', {
      name: 'Sletting', category: 'campaign', channels: ['email'], templates: await templatesFor(rig, 'campaign', ['email']),
      audience: { all: [{ club: [org6.clubId] }] }, links: LINKS,
    })).body.id;
    await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    await takeSnapshot(rig.hub, id);
    const admin = (await staffWithToken(rig.hub, 'admin')).auth;
    const erased = await api(rig, admin, 'POST', `/members/${gone.memberNumber}/erase`, { reason: 'Medlemmet ba om sletting' });
    expect(erased.status).toBe(200);
    await rig.startWorkers();
    await finished(rig, id);
    expect(rig.em.sendgrid.ledger.countFor('slettet@example.no')).toBe(0);
    expect(rig.em.sendgrid.ledger.countFor(`${keep.memberNumber.toLowerCase()}@example.no`)).toBe(1);
    const progress = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body.progress;
    expect(progress.total).toBe(2);
  });

  test('four eyes above the threshold; illegal transitions are 409; cancel marks the rest cancelled', async () => {
    const org2 = await createOrg(rig.hub.db);
    for (let i = 0; i < 60; i++) await insertMember(rig.hub.db, { branchId: org2.branchId });
    const body = { name: 'Stor', category: 'campaign', channels: ['email'], templates: await templatesFor(rig, 'campaign', ['email']), audience: { all: [{ branch: [org2.branchId] }] }, links: LINKS };
    const id = (await api(rig, comms, 'POST', '/campaigns', body)).body.id;
    expect((await api(rig, comms, 'POST', `/campaigns/${id}/pause`, {})).status).toBe(409);
    const asked = await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    expect(asked.status).toBe(202);
    expect(asked.body.approvalRequired).toBe(true);
    expect(asked.body.campaign.state).toBe('draft');
    expect((await rows(rig, id))).toHaveLength(0);
    const self = await api(rig, comms, 'POST', `/campaigns/${id}/approve`, {});
    expect(self.status).toBe(409);
    // Approve with workers stopped, so the cancel below meets rows still queued.
    await rig.workers!.close();
    rig.workers = null;
    const ok = await api(rig, comms2, 'POST', `/campaigns/${id}/approve`, {});
    expect(ok.status).toBe(202);
    expect(ok.body.campaign.state).toBe('running');
    // No worker takes the snapshot job now: take it here, so the rows wait queued.
    await takeSnapshot(rig.hub, id);
    expect(ok.body.campaign.approval.approvedBy).toBeTruthy();
    const audits = await rig.hub.db.many(`SELECT action FROM audit_log WHERE detail->>'campaignId' = $1 ORDER BY id`, [String(id)]);
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['campaign.create', 'campaign.launch', 'campaign.approve']));

    const cancelled = await api(rig, comms, 'POST', `/campaigns/${id}/cancel`, {});
    expect(cancelled.body.campaign.state).toBe('cancelled');
    expect(cancelled.body.campaign.progress.byState.cancelled).toBe(60);
    expect((await api(rig, comms, 'POST', `/campaigns/${id}/resume`, {})).status).toBe(409);
    await rig.startWorkers();
    await new Promise((r) => setTimeout(r, 1500));
    expect(rig.em.sendgrid.ledger.recent({ limit: 5000 }).filter((m) => m.customArgs.campaign_id === String(id))).toHaveLength(0);
  });

  test('pause stops new batches; resume continues and never sends a member twice', async () => {
    const org3 = await createOrg(rig.hub.db);
    const n = 8000;
    await rig.hub.db.query(
      `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code, branch_id)
       SELECT 'P' || $2 || '-' || g, 'Per', 'Pause', 'pause' || $2 || '-' || g || '@example.no', 'Gata 1', '0150', '0301', '03', $1
         FROM generate_series(1, ${n}) g`, [org3.branchId, org3.branchId]);
    rig.em.sendgrid.faults.latency(1000);
    const id = (await api(rig, comms2, 'POST', '/campaigns', {
      name: 'Pause', category: 'service', channels: ['email'], templates: await templatesFor(rig, 'dues_reminder', ['email']), audience: { all: [{ branch: [org3.branchId] }] }, links: LINKS,
    })).body.id;
    await rig.hub.db.query(`UPDATE campaigns SET approved_at = now(), approval_requested_at = now() WHERE id = $1`, [id]);
    await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    const paused = await api(rig, comms, 'POST', `/campaigns/${id}/pause`, {});
    expect(paused.body.campaign.state).toBe('paused');
    // The snapshot goes on while paused; a batch that had passed its gate before the pause
    // finishes, and every batch job after it finds the campaign paused and ends without sending.
    // Once the email queue holds no job at all (none running, waiting or delayed), nothing can
    // leave: the rows not queued then are all that was sent, and the rest waits for resume.
    const q = campaignQueues(rig.hub);
    const drained = async () => {
      const e = await q.email.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      return (await loadCampaign(rig.hub.db, id)).snapshot.state === 'done' && (await q.snapshot.getActiveCount()) === 0
        && e.active + e.waiting + e.delayed + e.prioritized === 0;
    };
    await until(drained, 60_000, 'the snapshot and every batch job of the paused campaign to end');
    const sentAtPause = (await rows(rig, id)).filter((r) => r.state !== 'queued').length;
    expect(sentAtPause).toBeLessThan(n);
    expect(await drained()).toBe(true);
    expect((await loadCampaign(rig.hub.db, id)).state).toBe('paused');
    rig.em.sendgrid.faults.latency(0);
    const resumed = await api(rig, comms, 'POST', `/campaigns/${id}/resume`, {});
    expect(resumed.body.campaign.state).toBe('running');
    await finished(rig, id);
    const counts = rig.em.sendgrid.ledger.countByRecipient();
    const mine = [...counts].filter(([to]) => to.startsWith(`pause${org3.branchId}-`));
    expect(mine).toHaveLength(n);
    expect(mine.every(([, k]) => k === 1)).toBe(true);
  });

  test('a 429 storm is waited out: every member gets the message exactly once', async () => {
    const org4 = await createOrg(rig.hub.db);
    await rig.hub.db.query(
      `INSERT INTO members (member_number, first_name, last_name, email, street, postcode, branch_id)
       SELECT 'R' || $2 || '-' || g, 'Rate', 'Limit', 'storm' || $2 || '-' || g || '@example.no', 'Gata 1', '0150', $1 FROM generate_series(1, 1500) g`,
      [org4.branchId, String(org4.branchId)]);
    const before = rig.em.sendgrid.stats().injected.rateLimited;
    rig.em.sendgrid.faults.rateLimit(6, 1);
    rig.em.sendgrid.faults.serverError(2, 503);
    const id = (await api(rig, comms, 'POST', '/campaigns', {
      name: 'Storm', category: 'service', channels: ['email'], templates: await templatesFor(rig, 'dues_reminder', ['email']), audience: { all: [{ branch: [org4.branchId] }] }, links: LINKS,
    })).body.id;
    await rig.hub.db.query(`UPDATE campaigns SET approved_at = now(), approval_requested_at = now() WHERE id = $1`, [id]);
    await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    await finished(rig, id);
    expect(rig.em.sendgrid.stats().injected.rateLimited - before).toBe(6);
    const mine = [...rig.em.sendgrid.ledger.countByRecipient()].filter(([to]) => to.startsWith(`storm${org4.branchId}-`));
    expect(mine).toHaveLength(1500);
    expect(mine.every(([, k]) => k === 1)).toBe(true);
    expect((await rows(rig, id)).every((r) => r.state === 'sent' || r.state === 'delivered')).toBe(true);
  });

  test('a hard bounce falls back to SMS within the campaign; late and duplicated events change nothing', async () => {
    const m = await insertMember(rig.hub.db, { email: 'spretter@example.no', phone: '+4790000099', clubId: org.clubId });
    rig.em.sendgrid.faults.bounce('spretter@example.no');
    const id = (await api(rig, comms, 'POST', '/campaigns', {
      name: 'Bounce', category: 'campaign', channels: ['email', 'sms'], templates: await templatesFor(rig, 'campaign', ['email', 'sms']), audience: { memberNumbers: [m.memberNumber] }, links: LINKS,
    })).body.id;
    await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    const smsRow = await until(async () => (await rows(rig, id)).find((r) => r.channel === 'sms' && r.sent_at), 60_000, 'SMS fallback');
    expect(smsRow!.fallback_from).toBe('email');
    const emailRow = (await rows(rig, id)).find((r) => r.channel === 'email')!;
    expect(emailRow.state).toBe('bounced');
    expect(rig.em.twilio.ledger.countFor('+4790000099')).toBe(1);
    // The same bounce again, a late 'delivered', an older 'deferred': the first final outcome stays.
    const ts = Math.floor(Date.now() / 1000);
    const r = await rig.em.sendgrid.postEvents([
      { email: 'spretter@example.no', timestamp: ts + 10, event: 'delivered', sg_event_id: `late-${id}`, send_log_id: String(emailRow.id) },
      { email: 'spretter@example.no', timestamp: ts - 100, event: 'deferred', sg_event_id: `old-${id}`, send_log_id: String(emailRow.id) },
      { email: 'spretter@example.no', timestamp: ts, event: 'bounce', type: 'bounce', sg_event_id: `dup-${id}`, send_log_id: String(emailRow.id) },
      { email: 'spretter@example.no', timestamp: ts, event: 'bounce', type: 'bounce', sg_event_id: `dup-${id}`, send_log_id: String(emailRow.id) },
    ]);
    expect(r.status).toBeLessThan(300);
    await finished(rig, id);
    const after = await rows(rig, id);
    expect(after.find((x) => x.channel === 'email')!.state).toBe('bounced');
    expect(after.filter((x) => x.channel === 'sms')).toHaveLength(1);
    expect(rig.em.twilio.ledger.countFor('+4790000099')).toBe(1);
  });

  test('POST /api/messages sends one message once per idempotency key, logged like any campaign', async () => {
    const m = await insertMember(rig.hub.db, { firstName: 'Enkelt' });
    const body = { memberNumber: m.memberNumber, template: 'dues_reminder', links: LINKS, idempotencyKey: `dues-${m.memberNumber}-2026-12` };
    const first = await api(rig, comms, 'POST', '/messages', body);
    expect(first.status).toBe(201);
    const second = await api(rig, comms, 'POST', '/messages', body);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    await finished(rig, first.body.id);
    expect(rig.em.sendgrid.ledger.countFor(`${m.memberNumber.toLowerCase()}@example.no`)).toBe(1);
    expect((await api(rig, comms, 'POST', '/messages', { ...body, idempotencyKey: 'another-key-1', memberNumber: 'NOPE1' })).status).toBe(404);
    const bad = await api(rig, comms, 'POST', '/messages', { memberNumber: m.memberNumber, idempotencyKey: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field)).toEqual(expect.arrayContaining(['body.idempotencyKey']));
  });

  test('bad campaigns are refused with the field named; nothing is stored', async () => {
    const before = (await rig.hub.db.one('SELECT count(*)::int AS n FROM campaigns'))!.n;
    const r = await api(rig, comms, 'POST', '/campaigns', {
      name: 'Feil', category: 'newsletter', channels: ['email', 'sms'], templates: await templatesFor(rig, 'newsletter', ['email']), audience: { all: [] },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: any) => e.field)).toEqual(expect.arrayContaining(['body.channels.1', 'body.templates.sms']));
    const r2 = await api(rig, comms, 'POST', '/campaigns', {
      name: 'Feil', category: 'campaign', channels: ['email'], templates: await templatesFor(rig, 'campaign', ['email']), audience: { all: [{ county: 'Oslo' }] }, links: LINKS,
    });
    const r3 = await api(rig, comms, 'POST', '/campaigns', {
      name: 'Feil', category: 'campaign', channels: ['email'], templates: await templatesFor(rig, 'campaign', ['email']), audience: { all: [] },
    });
    expect(r3.status).toBe(400);
    expect(r3.body.errors.map((e: any) => e.field)).toEqual(['body.links.action']);
    expect(r2.status).toBe(400);
    expect(JSON.stringify(r2.body.errors)).toContain('audience');
    expect((await rig.hub.db.one('SELECT count(*)::int AS n FROM campaigns'))!.n).toBe(before);
  });

  test('a scheduled campaign starts at send_at; a test send goes to staff addresses only', async () => {
    const m = await insertMember(rig.hub.db, { firstName: 'Senere', clubId: org.clubId });
    const sendAt = new Date(rig.clock.now().getTime() + 3600_000).toISOString();
    const id = (await api(rig, comms, 'POST', '/campaigns', {
      name: 'Senere', category: 'campaign', channels: ['email'], templates: await templatesFor(rig, 'campaign', ['email']), audience: { memberNumbers: [m.memberNumber] }, sendAt, links: LINKS,
    })).body.id;
    const badTest = await api(rig, comms, 'POST', `/campaigns/${id}/test`, { to: ['noen@example.no'] });
    expect(badTest.status).toBe(400);
    const test = await api(rig, comms, 'POST', `/campaigns/${id}/test`, { to: ['komm1@budstikke.example'] });
    expect(test.status).toBe(200);
    const testMail = rig.em.sendgrid.ledger.recent({ to: 'komm1@budstikke.example', limit: 1 })[0];
    expect(testMail.subject).toMatch(/^\[TEST\]/);
    const launched = await api(rig, comms, 'POST', `/campaigns/${id}/launch`, {});
    expect(launched.body.campaign.state).toBe('scheduled');
    expect((await runCampaignSweep(rig.hub)).started).toBe(0);
    rig.clock.advance(3601_000);
    expect((await runCampaignSweep(rig.hub)).started).toBe(1);
    rig.clock.reset();
    await finished(rig, id);
    expect(rig.em.sendgrid.ledger.countFor(`${m.memberNumber.toLowerCase()}@example.no`)).toBe(1);
  });

  test('the register: a new member is welcomed and a resignation confirmed, once, when enabled', async () => {
    const leaving = await insertMember(rig.hub.db, { firstName: 'Går' });
    await rig.hub.db.query(`UPDATE register_event_watermarks SET at = now()`);
    const joined = await insertMember(rig.hub.db, { firstName: 'Ny' });
    await rig.hub.db.query(`UPDATE members SET status = 'resigned', resigned_at = current_date, resignation_reason = 'resigned', updated_at = now() WHERE id = $1`, [leaving.id]);
    expect((await runCampaignSweep(rig.hub)).registerEvents).toBe(0); // off by default
    (rig.hub.config as any).registerEventMessages = true;
    try {
      expect((await runCampaignSweep(rig.hub)).registerEvents).toBe(2);
      expect((await runCampaignSweep(rig.hub)).registerEvents).toBe(0);
    } finally {
      (rig.hub.config as any).registerEventMessages = false;
    }
    for (const [m, subject] of [[joined, /velkommen/i], [leaving, /utmeld|medlemskap/i]] as const) {
      // The campaign names its member in its audience; its send log is written by the snapshot
      // job, which may not have run yet.
      const c = await rig.hub.db.many(`SELECT id FROM campaigns WHERE kind = 'register_event' AND audience->'memberNumbers' ? $1`, [m.memberNumber]);
      expect(c).toHaveLength(1);
      await finished(rig, c[0].id);
      const mail = rig.em.sendgrid.ledger.recent({ to: `${m.memberNumber.toLowerCase()}@example.no` });
      expect(mail).toHaveLength(1);
      expect(mail[0].subject).toMatch(subject);
    }
  });
});

describe('SMS quiet hours', () => {
  const cfg = { smsQuietHours: { start: '21:00', end: '08:00' } };
  const oslo = (s: string) => DateTime.fromISO(s, { zone: 'Europe/Oslo' }).toJSDate();
  test('held until 08:00 Oslo time, across midnight and DST; strike messages are not held', () => {
    expect(quietUntil(cfg, 'campaign', oslo('2026-12-01T12:00'))).toBeNull();
    expect(quietUntil(cfg, 'campaign', oslo('2026-12-01T22:30'))).toEqual(oslo('2026-12-02T08:00'));
    expect(quietUntil(cfg, 'campaign', oslo('2026-12-02T03:00'))).toEqual(oslo('2026-12-02T08:00'));
    expect(quietUntil(cfg, 'campaign', oslo('2026-03-28T23:00'))).toEqual(oslo('2026-03-29T08:00'));
    expect(quietUntil(cfg, 'strike', oslo('2026-12-01T22:30'))).toBeNull();
    expect(quietUntil({ smsQuietHours: { start: '00:00', end: '00:00' } }, 'campaign', oslo('2026-12-01T22:30'))).toBeNull();
  });
});
