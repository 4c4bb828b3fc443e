import { loadLatestVersionByKey } from '../src/render';
import { loadCampaign } from '../src/campaigns';
import { campaignHaltsTotal } from '../src/metrics';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';

/**
 * One test per failure class (PROVIDERS.md "Failure classes"): what the campaign's state, its
 * rows and the emulator show afterwards. Real workers, queues, PostgreSQL and the emulators.
 */
const LINKS = { action: 'https://forbund.example/a', read: 'https://forbund.example/r', payment: 'https://forbund.example/p', info: 'https://forbund.example/i' };

async function api(rig: CampaignRig, auth: { authorization: string }, method: string, p: string, body?: unknown) {
  const res = await fetch(`${rig.url}/api${p}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

describe('failure classes: recipient, account, transient', () => {
  let rig: CampaignRig;
  let org: Org;
  let comms: { authorization: string };
  let seq = 0;

  beforeAll(async () => {
    // Few, fast attempts: the transient class must run out of them within the test.
    rig = await campaignRig({ env: { APPROVAL_THRESHOLD: '100000', SEND_RETRY_ATTEMPTS: '3', SEND_RETRY_DELAY_MS: '100' } });
    org = await createOrg(rig.hub.db);
    comms = (await staffWithToken(rig.hub, 'communications')).auth;
  });
  afterAll(async () => { await rig.close(); });

  /** n members of their own club (the audience), with email, phone and a postal address. */
  async function members(n: number, opts: { email?: boolean; phone?: boolean } = {}) {
    const tag = `f${++seq}`;
    const out: { id: number; memberNumber: string; email: string; phone: string }[] = [];
    for (let i = 0; i < n; i++) {
      const email = `${tag}-${i}@example.no`;
      const phone = `+479${String(seq).padStart(2, '0')}${String(i).padStart(5, '0')}`;
      const m = await insertMember(rig.hub.db, {
        email: opts.email === false ? null : email, phone: opts.phone === false ? null : phone, clubId: org.clubId,
        street: 'Brevveien 3', postcode: '5003', memberNumber: `${tag.toUpperCase()}N${i}`,
      });
      out.push({ ...m, email, phone });
    }
    return out;
  }

  async function campaign(key: string, category: string, channels: string[], who: { memberNumber: string }[]) {
    const v = await loadLatestVersionByKey(rig.hub.db, key);
    const r = await api(rig, comms, 'POST', '/campaigns', {
      name: `Feil ${seq}`, category, channels, templates: Object.fromEntries(channels.map((ch) => [ch, v.id])),
      audience: { memberNumbers: who.map((m) => m.memberNumber) }, links: LINKS,
    });
    expect(r.status).toBe(201);
    const launched = await api(rig, comms, 'POST', `/campaigns/${r.body.id}/launch`, {});
    expect(launched.status).toBeLessThan(300);
    return r.body.id as number;
  }

  const state = (id: number, want: string) => until(async () => (await loadCampaign(rig.hub.db, id)).state === want, 120_000, `campaign ${id} ${want}`);
  const logStates = async (id: number) => (await rig.hub.db.many(
    `SELECT channel, state, count(*)::int AS n FROM send_log WHERE campaign_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`, [id])).map((r) => `${r.channel}:${r.state}:${r.n}`);

  test('recipient: an invalid number fails that row with the reason, suppresses it and falls back to a letter; the others get their SMS', async () => {
    const ms = await members(4, { email: false });
    rig.em.twilio.faults.invalid(ms[1].phone);
    const id = await campaign('campaign', 'campaign', ['sms', 'letter'], ms);
    await state(id, 'completed');
    const rows = await rig.hub.db.many(`SELECT member_id, channel, state, reason, fallback_from FROM send_log WHERE campaign_id = $1 ORDER BY id`, [id]);
    const bad = rows.filter((r) => r.member_id === ms[1].id);
    expect(bad).toEqual([
      expect.objectContaining({ channel: 'sms', state: 'failed', reason: expect.stringMatching(/^recipient: Twilio 400 21211/) }),
      expect.objectContaining({ channel: 'letter', state: 'sent', fallback_from: 'sms' }),
    ]);
    expect((await rig.hub.db.one(`SELECT reason FROM suppressions WHERE channel = 'sms' AND address = $1 AND lifted_at IS NULL`, [ms[1].phone]))?.reason).toBe('invalid_number');
    for (const m of [ms[0], ms[2], ms[3]]) expect(rig.em.twilio.ledger.countFor(m.phone)).toBe(1);
    expect(rig.em.twilio.ledger.countFor(ms[1].phone)).toBe(0);
    expect(rows.filter((r) => r.channel === 'letter')).toHaveLength(1);
  });

  test('account: a revoked SendGrid key halts the email channel (paused, reason, no row changed, nothing printed); resume after the fix sends each member once', async () => {
    const ms = await members(30, { phone: false });
    const before = (await campaignHaltsTotal.get()).values.find((v) => v.labels.channel === 'email' && v.labels.reason === 'provider_unavailable')?.value ?? 0;
    rig.em.sendgrid.faults.accountError('revoked_key');
    const id = await campaign('campaign', 'campaign', ['email', 'letter'], ms);
    await state(id, 'paused');
    const c = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
    expect(c.pausedReason).toBe('provider_unavailable');
    expect(c.halts).toEqual([{ channel: 'email', reason: 'provider_unavailable', message: expect.stringContaining('invalid, expired, or revoked'), at: expect.any(String) }]);
    expect(c.counts).toEqual(expect.objectContaining({ queued: 30, sent: 0, failed: 0, in_doubt: 0, cancelled: 0 }));
    expect(await logStates(id)).toEqual(['email:queued:30']);
    expect(ms.every((m) => rig.em.sendgrid.ledger.countByRecipient().get(m.email) === undefined)).toBe(true);
    const after = (await campaignHaltsTotal.get()).values.find((v) => v.labels.channel === 'email' && v.labels.reason === 'provider_unavailable')?.value ?? 0;
    expect(after).toBe(before + 1);

    rig.em.sendgrid.faults.accountError(null);
    const resumed = await api(rig, comms, 'POST', `/campaigns/${id}/resume`, {});
    expect(resumed.status).toBe(200);
    expect(resumed.body.campaign.halts).toEqual([]);
    await state(id, 'completed');
    const counts = rig.em.sendgrid.ledger.countByRecipient();
    expect(ms.map((m) => counts.get(m.email))).toEqual(ms.map(() => 1));
    expect((await logStates(id)).filter((s) => s.startsWith('letter'))).toEqual([]);
  });

  test('account: Twilio 20003 halts the SMS channel with nothing failed or fallen back; resume sends each once', async () => {
    const ms = await members(5, { email: false });
    rig.em.twilio.faults.accountError(20003);
    const id = await campaign('campaign', 'campaign', ['sms', 'letter'], ms);
    await state(id, 'paused');
    const c = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
    expect(c.halts).toEqual([expect.objectContaining({ channel: 'sms', reason: 'provider_unavailable', message: expect.stringContaining('20003') })]);
    // A message job already in flight when the halt opened gets the same refusal and releases its
    // row a moment later: every row ends queued, none failed, sent or fallen back.
    await until(async () => JSON.stringify(await logStates(id)) === JSON.stringify(['sms:queued:5']), 30_000, 'every SMS row released to queued');
    expect(await logStates(id)).toEqual(['sms:queued:5']);
    rig.em.twilio.faults.accountError(null);
    expect((await api(rig, comms, 'POST', `/campaigns/${id}/resume`, {})).status).toBe(200);
    await state(id, 'completed');
    expect(ms.map((m) => rig.em.twilio.ledger.countFor(m.phone))).toEqual(ms.map(() => 1));
    const st = await rig.hub.db.many(`SELECT state FROM send_log WHERE campaign_id = $1`, [id]);
    expect(st.every((r) => r.state === 'sent' || r.state === 'delivered')).toBe(true);
  });

  test('transient: 5xx until the attempts run out halts the channel (retries_exhausted), never a member failure; resume sends each once', async () => {
    const ms = await members(12, { phone: false });
    rig.em.sendgrid.faults.serverError(1000, 503);
    const id = await campaign('dues_reminder', 'service', ['email', 'letter'], ms);
    await state(id, 'paused');
    const c = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
    expect(c.pausedReason).toBe('provider_unavailable');
    expect(c.halts).toEqual([expect.objectContaining({ channel: 'email', reason: 'retries_exhausted', message: expect.stringContaining('503') })]);
    expect(await logStates(id)).toEqual(['email:queued:12']);
    rig.em.sendgrid.faults.serverError(0);
    expect((await api(rig, comms, 'POST', `/campaigns/${id}/resume`, {})).status).toBe(200);
    await state(id, 'completed');
    const counts = rig.em.sendgrid.ledger.countByRecipient();
    expect(ms.map((m) => counts.get(m.email))).toEqual(ms.map(() => 1));
  });

  test('sending: rows of a request SendGrid holds show as sending (not queued) in the API; a cancel meanwhile leaves them to finish as sent', async () => {
    const ms = await members(5, { phone: false });
    rig.em.sendgrid.setWebhookUrl(undefined);
    // SendGrid takes the request and holds its answer: the rows are in flight until it comes.
    rig.em.sendgrid.faults.slowReplies(1, 15_000);
    try {
      const id = await campaign('campaign', 'campaign', ['email'], ms);
      await until(async () => {
        const c = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
        return c.counts.sending === 5 && c.counts.queued === 0;
      }, 60_000, 'the held request to show as sending');
      expect((await api(rig, comms, 'POST', `/campaigns/${id}/cancel`, {})).status).toBe(200);
      const during = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
      expect(during.counts).toEqual(expect.objectContaining({ sending: 5, queued: 0, cancelled: 0 }));
      await until(async () => (await logStates(id)).join() === 'email:sent:5', 60_000, 'the held request to be marked sent');
      const c = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
      expect(c.state).toBe('cancelled');
      expect(c.counts).toEqual(expect.objectContaining({ sending: 0, queued: 0, sent: 5, cancelled: 0 }));
      expect(ms.map((m) => rig.em.sendgrid.ledger.countByRecipient().get(m.email))).toEqual(ms.map(() => 1));
      // Each row names its address and the attempt that sent it, which carries SendGrid's X-Message-Id.
      const rows = await rig.hub.db.many(`SELECT t.provider_message_id, s.address, s.attempt_id FROM send_log s
        LEFT JOIN send_attempts t ON t.id = s.attempt_id WHERE s.campaign_id = $1`, [id]);
      expect(rows.every((r) => r.provider_message_id && r.address && r.attempt_id)).toBe(true);
    } finally {
      rig.em.sendgrid.faults.slowReplies(0);
      rig.em.sendgrid.setWebhookUrl(`${rig.url}/webhooks/sendgrid/events`);
    }
  });

  test('in doubt: an answer lost after acceptance leaves a declinable message in doubt (never sent twice); staff may send it again, audited', async () => {
    const ms = await members(6, { phone: false });
    // No events from the emulator: nothing may settle the doubt behind the test's back.
    rig.em.sendgrid.setWebhookUrl(undefined);
    rig.em.sendgrid.faults.acceptThenDrop(1);
    try {
      const id = await campaign('campaign', 'campaign', ['email'], ms);
      await state(id, 'completed');
      const counts = rig.em.sendgrid.ledger.countByRecipient();
      expect(ms.map((m) => counts.get(m.email))).toEqual(ms.map(() => 1));
      const c = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
      expect(c.counts.in_doubt).toBe(6);
      expect(await logStates(id)).toEqual(['email:in_doubt:6']);
      const again = await api(rig, comms, 'POST', `/campaigns/${id}/in-doubt/send-again`, {});
      expect(again.status).toBe(200);
      expect(again.body.requeued).toBe(6);
      await until(async () => (await logStates(id)).join() === 'email:sent:6', 60_000, 'sent again');
      await state(id, 'completed');
      expect(ms.map((m) => rig.em.sendgrid.ledger.countByRecipient().get(m.email))).toEqual(ms.map(() => 2));
      const a = await rig.hub.db.one(`SELECT row_count, detail FROM audit_log WHERE action = 'campaign.send_again' ORDER BY id DESC LIMIT 1`);
      expect(a).toEqual({ row_count: 6, detail: expect.objectContaining({ campaignId: id }) });
    } finally {
      rig.em.sendgrid.setWebhookUrl(`${rig.url}/webhooks/sendgrid/events`);
    }
  });

  test('in doubt, mandatory category: an answer lost after acceptance is sent again (at least once), nothing left in doubt', async () => {
    const ms = await members(6, { phone: false });
    // No events: the retry alone must decide (SendGrid's 'processed' event would otherwise settle it as sent).
    rig.em.sendgrid.setWebhookUrl(undefined);
    rig.em.sendgrid.faults.acceptThenDrop(1);
    const id = await campaign('dues_reminder', 'service', ['email'], ms);
    await state(id, 'completed');
    rig.em.sendgrid.setWebhookUrl(`${rig.url}/webhooks/sendgrid/events`);
    const counts = rig.em.sendgrid.ledger.countByRecipient();
    expect(ms.map((m) => counts.get(m.email))).toEqual(ms.map(() => 2));
    const c = (await api(rig, comms, 'GET', `/campaigns/${id}`)).body;
    expect(c.counts.in_doubt).toBe(0);
    expect(c.counts.queued + c.counts.sending).toBe(0);
  });

  test('retry: rows failed for a retryable reason are sent again, audited; rows already sent and recipient refusals are not touched', async () => {
    const ms = await members(4, { phone: false });
    // No events: the rows below are made failed by hand after SendGrid accepted them, so a late
    // 'delivered' for the first send would settle a retried row before its batch sends it again.
    rig.em.sendgrid.setWebhookUrl(undefined);
    try {
      await retryCase(ms);
    } finally {
      rig.em.sendgrid.setWebhookUrl(`${rig.url}/webhooks/sendgrid/events`);
    }
  });

  async function retryCase(ms: Awaited<ReturnType<typeof members>>) {
    const id = await campaign('campaign', 'campaign', ['email'], ms);
    await state(id, 'completed');
    // As the hub recorded a revoked key before halts existed, and a recipient refusal.
    await rig.hub.db.query(`UPDATE send_log SET state = 'failed', reason = 'rejected: SendGrid 401: The provided authorization grant is invalid, expired, or revoked' WHERE campaign_id = $1 AND member_id = ANY($2::bigint[])`, [id, [ms[0].id, ms[1].id]]);
    await rig.hub.db.query(`UPDATE send_log SET state = 'failed', reason = 'recipient: SendGrid 400: Does not contain a valid address.' WHERE campaign_id = $1 AND member_id = $2`, [id, ms[2].id]);
    const r = await api(rig, comms, 'POST', `/campaigns/${id}/retry`, {});
    expect(r.status).toBe(200);
    expect(r.body.requeued).toBe(2);
    await until(async () => (await rig.hub.db.many(`SELECT 1 FROM send_log WHERE campaign_id = $1 AND member_id = ANY($2::bigint[]) AND state IN ('sent', 'delivered')`, [id, [ms[0].id, ms[1].id]])).length === 2, 60_000, 'retried rows sent');
    await state(id, 'completed');
    const counts = rig.em.sendgrid.ledger.countByRecipient();
    expect(ms.map((m) => counts.get(m.email))).toEqual([2, 2, 1, 1]);
    expect((await rig.hub.db.one(`SELECT state FROM send_log WHERE campaign_id = $1 AND member_id = $2`, [id, ms[2].id]))!.state).toBe('failed');
    expect((await rig.hub.db.one(`SELECT row_count FROM audit_log WHERE action = 'campaign.retry' ORDER BY id DESC LIMIT 1`))!.row_count).toBe(2);
  }
});
