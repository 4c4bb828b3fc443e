import twilio from 'twilio';
import { EventWebhook } from '@sendgrid/eventwebhook';
import { webhookSigning } from './helpers/webhook-signing';
import { createTestHub, startApi, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { applyProviderOutcome } from '../src/sendlog';
import type { FixedClock } from '../src/clock';

const keys = webhookSigning('twilio-test-auth-token-0123456789');
const PUBLIC_B64 = keys.sendgridPublicKey;
const AUTH_TOKEN = keys.twilioAuthToken;

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  t = await createTestHub({ env: keys.env });
  api = await startApi(t.hub);
});
afterAll(async () => { await api.close(); await t.close(); });

const clock = () => t.clock as FixedClock;
const nowS = () => Math.floor(clock().now().getTime() / 1000);

const signSendgrid = (body: string, ts = String(nowS())): Record<string, string> => keys.signSendgrid(body, ts);

const postSendgrid = (body: string, headers: Record<string, string>) => fetch(`${api.url}/webhooks/sendgrid/events`, { method: 'POST', headers, body });

async function campaignRow(memberId: number, category: string, channel: string, extra: { providerMessageId?: string; state?: string; channels?: string[] } = {}) {
  const c = await t.hub.db.one(`INSERT INTO campaigns (name, category, channels) VALUES ('test', $1, $2) RETURNING id`, [category, extra.channels ?? [channel]]);
  const s = await t.hub.db.one(
    `INSERT INTO send_log (campaign_id, member_id, channel, state, provider_message_id, sent_at) VALUES ($1, $2, $3, $4, $5, now()) RETURNING id`,
    [c!.id, memberId, channel, extra.state ?? 'sent', extra.providerMessageId ?? null]);
  return { campaignId: c!.id as number, sendLogId: s!.id as number };
}
const logRow = (id: number) => t.hub.db.one('SELECT state, reason, last_event, sent_at FROM send_log WHERE id = $1', [id]);
const activeSuppression = (channel: string, address: string) =>
  t.hub.db.one('SELECT reason FROM suppressions WHERE channel = $1 AND address = $2 AND lifted_at IS NULL', [channel, address]);
const ledger = (memberId: number) => t.hub.db.many('SELECT category, channel, granted, source FROM consent_events WHERE member_id = $1 ORDER BY id', [memberId]);

describe('SendGrid event webhook', () => {
  test('a body signed with a real P-256 key passes (and @sendgrid/eventwebhook agrees); one changed byte fails', async () => {
    const m = await insertMember(t.hub.db, { email: 'Levert@Example.no' });
    const { sendLogId } = await campaignRow(m.id, 'newsletter', 'email');
    const body = JSON.stringify([{ email: 'levert@example.no', timestamp: nowS(), event: 'delivered', sg_event_id: 'ev-del-1', send_log_id: String(sendLogId) }]) + '\r\n';
    const headers = signSendgrid(body);
    const ew = new EventWebhook();
    expect(ew.verifySignature(ew.convertPublicKeyToECDSA(PUBLIC_B64), body, headers['X-Twilio-Email-Event-Webhook-Signature'], headers['X-Twilio-Email-Event-Webhook-Timestamp'])).toBe(true);

    const tampered = body.replace('delivered', 'delivereD');
    expect((await postSendgrid(tampered, headers)).status).toBe(403);
    expect((await logRow(sendLogId))!.state).toBe('sent');
    const missing = await postSendgrid(body, { 'content-type': 'application/json' });
    expect(missing.status).toBe(401);
    const old = String(nowS() - 601);
    expect((await postSendgrid(body, signSendgrid(body, old))).status).toBe(403);
    expect(Number((await t.hub.db.one('SELECT count(*) AS n FROM provider_events'))!.n)).toBe(0);

    const ok = await postSendgrid(body, headers);
    expect(ok.status).toBe(200);
    expect(await logRow(sendLogId)).toMatchObject({ state: 'delivered', last_event: 'delivered' });
  });

  test('hard bounce suppresses and is final; blocked does not suppress; replay changes nothing; unknown types ignored', async () => {
    const m = await insertMember(t.hub.db, { email: 'Hard@Example.no' });
    const m2 = await insertMember(t.hub.db, { email: 'soft@example.no' });
    const a = await campaignRow(m.id, 'campaign', 'email', { channels: ['email', 'letter'] });
    const b = await campaignRow(m2.id, 'campaign', 'email');
    const ts = nowS();
    const events = [
      { email: 'Hard@Example.no', timestamp: ts, event: 'bounce', type: 'bounce', reason: '550 5.1.1 no such user', sg_event_id: 'b-1', send_log_id: String(a.sendLogId) },
      { email: 'soft@example.no', timestamp: ts, event: 'bounce', type: 'blocked', reason: '421 try later', sg_event_id: 'b-2', send_log_id: String(b.sendLogId) },
      { email: 'hard@example.no', timestamp: ts + 5, event: 'delivered', sg_event_id: 'b-3', send_log_id: String(a.sendLogId) },
      { email: 'hard@example.no', timestamp: ts, event: 'something_new', sg_event_id: 'b-4' },
      { email: 'hard@example.no', timestamp: ts, event: 'open', sg_event_id: 'b-5', send_log_id: String(a.sendLogId) },
    ];
    const body = JSON.stringify(events);
    const r = await postSendgrid(body, signSendgrid(body));
    expect(r.status).toBe(200);
    expect(await activeSuppression('email', 'hard@example.no')).toEqual({ reason: 'hard_bounce' });
    expect(await activeSuppression('email', 'soft@example.no')).toBeUndefined();
    expect(await logRow(a.sendLogId)).toMatchObject({ state: 'bounced', reason: '550 5.1.1 no such user', last_event: 'delivered' });
    expect((await logRow(b.sendLogId))!.state).toBe('failed');
    // The fallback decision is written with the bounce (the campaign has a next channel); b's has none.
    const due = async (id: number) => (await t.hub.db.one('SELECT fallback_due FROM send_log WHERE id = $1', [id]))!.fallback_due;
    expect(await due(a.sendLogId)).toBe(true);
    expect(await due(b.sendLogId)).toBe(false);
    await t.hub.db.query('UPDATE send_log SET fallback_due = false WHERE id = $1', [a.sendLogId]);
    const before = Number((await t.hub.db.one('SELECT count(*) AS n FROM suppressions'))!.n);
    expect((await postSendgrid(body, signSendgrid(body))).status).toBe(200);
    expect(Number((await t.hub.db.one('SELECT count(*) AS n FROM suppressions'))!.n)).toBe(before);
    // A replay decides nothing again.
    expect(await due(a.sendLogId)).toBe(false);
  });

  test('spamreport suppresses and withdraws every declinable category on email; unsubscribe withdraws the campaign category', async () => {
    const m = await insertMember(t.hub.db, { email: 'spam@example.no' });
    const s = await campaignRow(m.id, 'survey', 'email');
    const m2 = await insertMember(t.hub.db, { email: 'unsub@example.no' });
    const u = await campaignRow(m2.id, 'newsletter', 'email');
    const ts = nowS();
    const body = JSON.stringify([
      { email: 'spam@example.no', timestamp: ts, event: 'spamreport', sg_event_id: 's-1', send_log_id: String(s.sendLogId) },
      { email: 'unsub@example.no', timestamp: ts, event: 'group_unsubscribe', sg_event_id: 's-2', send_log_id: String(u.sendLogId), asm_group_id: 12 },
    ]);
    expect((await postSendgrid(body, signSendgrid(body))).status).toBe(200);
    expect(await activeSuppression('email', 'spam@example.no')).toEqual({ reason: 'spam_complaint' });
    expect(await ledger(m.id)).toEqual([{ category: null, channel: 'email', granted: false, source: 'provider_event' }]);
    expect(await ledger(m2.id)).toEqual([{ category: 'newsletter', channel: 'email', granted: false, source: 'provider_event' }]);
    expect((await postSendgrid(body, signSendgrid(body))).status).toBe(200);
    expect(await ledger(m.id)).toHaveLength(1);
    expect(await ledger(m2.id)).toHaveLength(1);
  });
});

describe('Twilio webhooks', () => {
  const url = (path: string) => `${t.config.publicBaseUrl}${path}`;
  const postTwilio = (path: string, params: Record<string, string>, sig?: string) => fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig ?? twilio.getExpectedTwilioSignature(AUTH_TOKEN, url(path), params) },
    body: new URLSearchParams(params),
  });

  test('STOP (any case, trimmed) withdraws declinable SMS; START restores; invalid signature is 403', async () => {
    const m = await insertMember(t.hub.db, { phone: '+4741111111' });
    const params = { From: '+4741111111', To: '+4759990000', Body: '  stopp ', MessageSid: 'SMin0001', AccountSid: t.config.twilio.accountSid };
    const good = twilio.getExpectedTwilioSignature(AUTH_TOKEN, url('/webhooks/twilio/inbound'), params);
    const bad = await postTwilio('/webhooks/twilio/inbound', { ...params, Body: 'START' }, good);
    expect(bad.status).toBe(403);
    expect((await postTwilio('/webhooks/twilio/inbound', params, 'AAAA')).status).toBe(403);
    expect(await ledger(m.id)).toEqual([]);

    const r = await postTwilio('/webhooks/twilio/inbound', params);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/xml/);
    expect(await ledger(m.id)).toEqual([{ category: null, channel: 'sms', granted: false, source: 'sms_keyword' }]);
    const sms = await t.hub.db.many(`SELECT category FROM consent_state WHERE member_id = $1 AND channel = 'sms' AND NOT granted ORDER BY 1`, [m.id]);
    expect(sms.map((x) => x.category)).toEqual(['benefits', 'campaign', 'survey']);
    // The same inbound message delivered twice: one effect.
    await postTwilio('/webhooks/twilio/inbound', params);
    expect(await ledger(m.id)).toHaveLength(1);

    await postTwilio('/webhooks/twilio/inbound', { ...params, Body: 'Start', MessageSid: 'SMin0002' });
    const after = await t.hub.db.many(`SELECT category, granted FROM consent_state WHERE member_id = $1 AND channel = 'sms' ORDER BY 1`, [m.id]);
    // Restored what is on by default; partner offers still need an active consent.
    expect(after).toEqual([{ category: 'benefits', granted: false }, { category: 'campaign', granted: true }, { category: 'survey', granted: true }]);
  });

  test('HELP replies in Norwegian; unknown numbers and non-keywords change nothing', async () => {
    const h = await postTwilio('/webhooks/twilio/inbound', { From: '+4742222222', Body: 'help', MessageSid: 'SMin0003' });
    expect(h.status).toBe(200);
    expect(await h.text()).toMatch(/<Response><Message>.*STOPP.*<\/Message><\/Response>/);
    const n = Number((await t.hub.db.one('SELECT count(*) AS n FROM consent_events'))!.n);
    expect((await postTwilio('/webhooks/twilio/inbound', { From: '+4700000000', Body: 'STOP', MessageSid: 'SMin0004' })).status).toBe(200);
    await insertMember(t.hub.db, { phone: '+4743333333' });
    // Not a keyword: nothing. (A STOP from a shared number: test/webhook-events.test.ts.)
    expect((await postTwilio('/webhooks/twilio/inbound', { From: '+4743333333', Body: 'please stop', MessageSid: 'SMin0006' })).status).toBe(200);
    expect(Number((await t.hub.db.one('SELECT count(*) AS n FROM consent_events'))!.n)).toBe(n);
  });

  test('status callbacks update the send log by MessageSid; 21610 suppresses; duplicates are one effect', async () => {
    const m = await insertMember(t.hub.db, { phone: '+4744444444' });
    const row = await campaignRow(m.id, 'strike', 'sms', { providerMessageId: 'SMout0001' });
    const p = { MessageSid: 'SMout0001', MessageStatus: 'delivered', To: '+4744444444', From: '+4759990000', AccountSid: t.config.twilio.accountSid };
    expect((await postTwilio('/webhooks/twilio/status', p, 'wrong')).status).toBe(403);
    expect((await logRow(row.sendLogId))!.state).toBe('sent');
    expect((await postTwilio('/webhooks/twilio/status', p)).status).toBe(204);
    expect((await logRow(row.sendLogId))!.state).toBe('delivered');

    const m2 = await insertMember(t.hub.db, { phone: '+4745555555' });
    const row2 = await campaignRow(m2.id, 'campaign', 'sms', { providerMessageId: 'SMout0002' });
    const f = { MessageSid: 'SMout0002', MessageStatus: 'failed', ErrorCode: '21610', To: '+4745555555', From: '+4759990000' };
    expect((await postTwilio('/webhooks/twilio/status', f)).status).toBe(204);
    expect((await postTwilio('/webhooks/twilio/status', f)).status).toBe(204);
    expect(await logRow(row2.sendLogId)).toMatchObject({ state: 'failed', reason: 'twilio error 21610' });
    expect(await activeSuppression('sms', '+4745555555')).toEqual({ reason: 'carrier_opt_out' });
    expect(Number((await t.hub.db.one(`SELECT count(*) AS n FROM suppressions WHERE address = '+4745555555'`))!.n)).toBe(1);
    // A late "delivered" does not undo the failure.
    await postTwilio('/webhooks/twilio/status', { ...f, MessageStatus: 'delivered', ErrorCode: '' });
    expect((await logRow(row2.sendLogId))!.state).toBe('failed');
  });
});

describe('applyProviderOutcome', () => {
  test('first final outcome wins; last event is the newest; sent_at set once', async () => {
    const m = await insertMember(t.hub.db);
    const c = await t.hub.db.one(`INSERT INTO campaigns (name, category, channels) VALUES ('x', 'newsletter', ARRAY['email']) RETURNING id`);
    const id = (await t.hub.db.one(`INSERT INTO send_log (campaign_id, member_id, channel, state, batch_no) VALUES ($1, $2, 'email', 'sending', 0) RETURNING id`, [c!.id, m.id]))!.id;
    const t0 = new Date('2025-03-01T10:00:00Z');
    const at = (s: number) => new Date(t0.getTime() + s * 1000);
    expect(await applyProviderOutcome(t.hub.db, { sendLogId: id, event: 'sent', at: at(0) })).toMatchObject({ changed: true, finalState: 'sent', becameFinal: false });
    expect(await applyProviderOutcome(t.hub.db, { sendLogId: id, event: 'deferred', at: at(10) })).toMatchObject({ changed: false, finalState: 'sent' });
    expect(await applyProviderOutcome(t.hub.db, { sendLogId: id, event: 'bounced', at: at(20), reason: '550' }))
      .toMatchObject({ changed: true, becameFinal: true, finalState: 'bounced', previousState: 'sent', memberId: m.id, channel: 'email', campaignId: c!.id });
    expect(await applyProviderOutcome(t.hub.db, { sendLogId: id, event: 'delivered', at: at(30) })).toMatchObject({ changed: false, finalState: 'bounced' });
    expect(await applyProviderOutcome(t.hub.db, { sendLogId: id, event: 'deferred', at: at(5) })).toMatchObject({ changed: false, finalState: 'bounced' });
    const r = await t.hub.db.one('SELECT state, reason, last_event, last_event_at, sent_at FROM send_log WHERE id = $1', [id]);
    expect(r).toEqual({ state: 'bounced', reason: '550', last_event: 'delivered', last_event_at: at(30), sent_at: at(0) });
    expect(await applyProviderOutcome(t.hub.db, { providerMessageId: 'nope', event: 'delivered', at: at(1) })).toMatchObject({ found: false });
  });
});
