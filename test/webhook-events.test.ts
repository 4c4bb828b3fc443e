import twilio from 'twilio';
import { webhookSigning } from './helpers/webhook-signing';
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import type { FixedClock } from '../src/clock';

/**
 * Provider events belong to their row (src/sendlog/events.ts): an event changes only the send-log
 * row it names and only when channel, provider message id and address agree; a mismatch is stored
 * as rejected with its reason and changes nothing. Bad fields are skipped and recorded, the rest of
 * the batch applies, the answer is 2xx. Webhook errors are problem documents. All through real
 * HTTP with real signatures.
 */

const keys = webhookSigning('twilio-test-auth-token-events-0123');
const AUTH_TOKEN = keys.twilioAuthToken;

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => {
  t = await createTestHub({ env: keys.env });
  api = await startApi(t.hub);
});
afterAll(async () => { await api.close(); await t.close(); });

const nowS = () => Math.floor((t.clock as FixedClock).now().getTime() / 1000);
let seq = 0;
const evId = () => `ev-${process.pid}-${++seq}`;

const signed = (body: string, ts = String(nowS())): Record<string, string> => keys.signSendgrid(body, ts);
async function postEvents(events: unknown): Promise<{ status: number; body: any; type: string | null }> {
  const raw = (typeof events === 'string' ? events : JSON.stringify(events)) + '\r\n';
  const r = await fetch(`${api.url}/webhooks/sendgrid/events`, { method: 'POST', headers: signed(raw), body: raw });
  const text = await r.text();
  let body: any = text;
  try { body = JSON.parse(text); } catch { /* text */ }
  return { status: r.status, body, type: r.headers.get('content-type') };
}
const twUrl = (path: string) => `${t.config.publicBaseUrl}${path}`;
const postTwilio = (path: string, params: Record<string, string>) => fetch(`${api.url}${path}`, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, twUrl(path), params) },
  body: new URLSearchParams(params),
});

async function row(memberId: number, channel: 'email' | 'sms' | 'letter', opts: { category?: string; pid?: string | null; address?: string | null; state?: string } = {}) {
  const c = await t.hub.db.one(`INSERT INTO campaigns (name, category, channels) VALUES ('events', $1, ARRAY[$2]) RETURNING id`, [opts.category ?? 'newsletter', channel]);
  const s = await t.hub.db.one(
    `INSERT INTO send_log (campaign_id, member_id, channel, state, provider_message_id, address, sent_at, batch_no) VALUES ($1, $2, $3, $4, $5, $6, now(), 0) RETURNING id`,
    [c!.id, memberId, channel, opts.state ?? 'sent', opts.pid ?? null, opts.address ?? null]);
  return s!.id as number;
}
const state = async (id: number) => (await t.hub.db.one('SELECT state, last_event FROM send_log WHERE id = $1', [id]))!;
const suppressed = async (channel: string, address: string) =>
  Number((await t.hub.db.one('SELECT count(*) AS n FROM suppressions WHERE channel = $1 AND address = $2 AND lifted_at IS NULL', [channel, address]))!.n) > 0;
const ledger = (memberId: number) => t.hub.db.many('SELECT category, channel, granted, source FROM consent_events WHERE member_id = $1 ORDER BY id', [memberId]);
const recorded = (provider: string, eventId: string) => t.hub.db.one('SELECT outcome, reason, send_log_id FROM provider_events WHERE provider = $1 AND event_id = $2', [provider, eventId]);

const sgEvent = (e: Record<string, unknown>) => ({ timestamp: nowS(), sg_event_id: evId(), ...e });

describe('SendGrid events belong to their row', () => {
  test('a spam report with A\'s log id and B\'s address is rejected: neither A nor B is suppressed, nobody\'s consent changes', async () => {
    const a = await insertMember(t.hub.db, { email: 'a.spam@example.no' });
    const b = await insertMember(t.hub.db, { email: 'b.spam@example.no' });
    const aRow = await row(a.id, 'email', { address: 'a.spam@example.no', pid: 'msgA1' });
    const ev = sgEvent({ event: 'spamreport', email: 'b.spam@example.no', send_log_id: String(aRow), sg_message_id: 'msgA1.filter-0' });
    const r = await postEvents([ev]);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ received: 1, applied: 0, rejected: 1 });
    expect(await suppressed('email', 'b.spam@example.no')).toBe(false);
    expect(await suppressed('email', 'a.spam@example.no')).toBe(false);
    expect(await ledger(a.id)).toEqual([]);
    expect(await ledger(b.id)).toEqual([]);
    expect(await recorded('sendgrid', ev.sg_event_id)).toMatchObject({ outcome: 'rejected', reason: 'address_mismatch' });
    expect(Number((await recorded('sendgrid', ev.sg_event_id))!.send_log_id)).toBe(aRow);
  });

  test('a spam report that agrees with its row suppresses that row\'s own address and withdraws that member\'s email consent only', async () => {
    const a = await insertMember(t.hub.db, { email: 'own.spam@example.no' });
    const other = await insertMember(t.hub.db, { email: 'other.spam@example.no' });
    const aRow = await row(a.id, 'email', { address: 'own.spam@example.no', pid: 'msgOwn' });
    const r = await postEvents([sgEvent({ event: 'spamreport', email: 'Own.Spam@Example.no', send_log_id: String(aRow), sg_message_id: 'msgOwn.filter-1' })]);
    expect(r.body).toMatchObject({ applied: 1, rejected: 0 });
    expect(await suppressed('email', 'own.spam@example.no')).toBe(true);
    expect(await ledger(a.id)).toEqual([{ category: null, channel: 'email', granted: false, source: 'provider_event' }]);
    expect(await ledger(other.id)).toEqual([]);
  });

  test('an email "delivered" naming an SMS row is rejected (channel_mismatch): the SMS row never sent stays as it was', async () => {
    const m = await insertMember(t.hub.db, { email: 'sms.row@example.no', phone: '+4746000001' });
    const smsRow = await row(m.id, 'sms', { state: 'queued' });
    const ev = sgEvent({ event: 'delivered', email: 'sms.row@example.no', send_log_id: String(smsRow) });
    expect((await postEvents([ev])).body).toMatchObject({ rejected: 1 });
    expect(await state(smsRow)).toEqual({ state: 'queued', last_event: null });
    expect((await recorded('sendgrid', ev.sg_event_id))!.reason).toBe('channel_mismatch');
  });

  test('a bounce naming a letter row is rejected: the letter is not marked and no address is suppressed', async () => {
    const m = await insertMember(t.hub.db, { email: 'letter.row@example.no' });
    const letterRow = await row(m.id, 'letter', { pid: 'print-run-1.pdf' });
    const ev = sgEvent({ event: 'bounce', type: 'bounce', email: 'letter.row@example.no', send_log_id: String(letterRow), reason: '550' });
    expect((await postEvents([ev])).body).toMatchObject({ rejected: 1 });
    expect((await state(letterRow)).state).toBe('sent');
    expect(await suppressed('email', 'letter.row@example.no')).toBe(false);
    expect((await recorded('sendgrid', ev.sg_event_id))!.reason).toBe('channel_mismatch');
  });

  test('an event whose sg_message_id belongs to another request is rejected (provider_message_id_mismatch)', async () => {
    const m = await insertMember(t.hub.db, { email: 'pid@example.no' });
    const r1 = await row(m.id, 'email', { address: 'pid@example.no', pid: 'requestOne' });
    const ev = sgEvent({ event: 'bounce', type: 'bounce', email: 'pid@example.no', send_log_id: String(r1), sg_message_id: 'requestTwo.filter-3' });
    expect((await postEvents([ev])).body).toMatchObject({ rejected: 1 });
    expect((await state(r1)).state).toBe('sent');
    expect(await suppressed('email', 'pid@example.no')).toBe(false);
    expect((await recorded('sendgrid', ev.sg_event_id))!.reason).toBe('provider_message_id_mismatch');
    // A prefix that is not the whole request id is another request too.
    const ev2 = sgEvent({ event: 'delivered', email: 'pid@example.no', send_log_id: String(r1), sg_message_id: 'requestOneX.filter-3' });
    expect((await postEvents([ev2])).body).toMatchObject({ rejected: 1 });
  });

  test('an event without sg_message_id for a row that has one is rejected (provider_message_id_missing)', async () => {
    const m = await insertMember(t.hub.db, { email: 'nopid@example.no' });
    const r1 = await row(m.id, 'email', { address: 'nopid@example.no', pid: 'reqNoPid' });
    const ev = sgEvent({ event: 'delivered', email: 'nopid@example.no', send_log_id: String(r1) });
    expect((await postEvents([ev])).body).toMatchObject({ rejected: 1 });
    expect((await state(r1)).state).toBe('sent');
    expect((await recorded('sendgrid', ev.sg_event_id))!.reason).toBe('provider_message_id_missing');
  });

  test('an unknown log id, or no row reference at all, is rejected and changes nothing', async () => {
    const m = await insertMember(t.hub.db, { email: 'nobody@example.no' });
    const e1 = sgEvent({ event: 'spamreport', email: 'nobody@example.no', send_log_id: '999999999' });
    const e2 = sgEvent({ event: 'spamreport', email: 'nobody@example.no' });
    expect((await postEvents([e1, e2])).body).toMatchObject({ received: 2, applied: 0, rejected: 2 });
    expect(await suppressed('email', 'nobody@example.no')).toBe(false);
    expect(await ledger(m.id)).toEqual([]);
    expect((await recorded('sendgrid', e1.sg_event_id))!.reason).toBe('row_not_found');
    expect((await recorded('sendgrid', e2.sg_event_id))!.reason).toBe('no_row_reference');
  });

  test('without our log id, the event is matched by its request id and address among that request\'s rows', async () => {
    const m1 = await insertMember(t.hub.db, { email: 'req.one@example.no' });
    const m2 = await insertMember(t.hub.db, { email: 'req.two@example.no' });
    const r1 = await row(m1.id, 'email', { address: 'req.one@example.no', pid: 'sharedReq' });
    const r2 = await row(m2.id, 'email', { address: 'req.two@example.no', pid: 'sharedReq' });
    expect((await postEvents([sgEvent({ event: 'delivered', email: 'req.two@example.no', sg_message_id: 'sharedReq.filter-7' })])).body).toMatchObject({ applied: 1 });
    expect((await state(r2)).state).toBe('delivered');
    expect((await state(r1)).state).toBe('sent');
  });

  test('a rejected event retried by SendGrid is recorded once and still changes nothing', async () => {
    const m = await insertMember(t.hub.db, { email: 'retry@example.no' });
    const smsRow = await row(m.id, 'sms');
    const ev = sgEvent({ event: 'delivered', email: 'retry@example.no', send_log_id: String(smsRow) });
    expect((await postEvents([ev])).body).toMatchObject({ rejected: 1 });
    expect((await postEvents([ev])).body).toMatchObject({ rejected: 0, duplicates: 1 });
    expect((await state(smsRow)).state).toBe('sent');
  });
});

describe('Twilio status callbacks belong to their row', () => {
  test('matched by MessageSid: a callback whose To is another number is rejected; 21610 suppresses the row\'s own number, never To', async () => {
    const m = await insertMember(t.hub.db, { phone: '+4747000001' });
    const victim = '+4747000099';
    const r1 = await row(m.id, 'sms', { pid: 'SMrow0001', address: '+4747000001', category: 'campaign' });
    expect((await postTwilio('/webhooks/twilio/status', { MessageSid: 'SMrow0001', MessageStatus: 'failed', ErrorCode: '21610', To: victim })).status).toBe(204);
    expect(await suppressed('sms', victim)).toBe(false);
    expect((await state(r1)).state).toBe('sent');
    expect(await recorded('twilio', 'st:SMrow0001:failed:21610')).toMatchObject({ outcome: 'rejected', reason: 'address_mismatch' });

    expect((await postTwilio('/webhooks/twilio/status', { MessageSid: 'SMrow0001', MessageStatus: 'undelivered', ErrorCode: '21610', To: '+4747000001' })).status).toBe(204);
    expect((await state(r1)).state).toBe('failed');
    expect(await suppressed('sms', '+4747000001')).toBe(true);
    expect(await suppressed('sms', victim)).toBe(false);
  });

  test('a callback whose MessageSid names an email row is rejected (channel_mismatch)', async () => {
    const m = await insertMember(t.hub.db, { email: 'tw.email@example.no', phone: '+4747000002' });
    const emailRow = await row(m.id, 'email', { pid: 'SMlooksLikeSms', address: 'tw.email@example.no' });
    await postTwilio('/webhooks/twilio/status', { MessageSid: 'SMlooksLikeSms', MessageStatus: 'delivered', To: '+4747000002' });
    expect((await state(emailRow)).state).toBe('sent');
    expect((await recorded('twilio', 'st:SMlooksLikeSms:delivered:'))!.reason).toBe('channel_mismatch');
  });

  test('a callback for an unknown MessageSid is rejected (row_not_found); the log parameter finds a row not yet given its sid', async () => {
    await postTwilio('/webhooks/twilio/status', { MessageSid: 'SMnobody', MessageStatus: 'delivered', To: '+4747000003' });
    expect((await recorded('twilio', 'st:SMnobody:delivered:'))!.reason).toBe('row_not_found');

    const m = await insertMember(t.hub.db, { phone: '+4747000004' });
    const r1 = await row(m.id, 'sms', { state: 'sending', address: '+4747000004' });
    const path = `/webhooks/twilio/status?log=${r1}`;
    expect((await postTwilio(path, { MessageSid: 'SMearly01', MessageStatus: 'delivered', To: '+4747000004' })).status).toBe(204);
    expect((await state(r1)).state).toBe('delivered');
  });
});

describe('STOP from a number several members share', () => {
  test('applies to each of them: one ledger event per member; START restores each', async () => {
    const shared = '+4748000001';
    const a = await insertMember(t.hub.db, { phone: shared });
    const b = await insertMember(t.hub.db, { phone: shared });
    const c = await insertMember(t.hub.db, { phone: '+4748000002' });
    expect((await postTwilio('/webhooks/twilio/inbound', { From: shared, To: '+4759990000', Body: 'STOPP', MessageSid: 'SMshared01' })).status).toBe(200);
    for (const m of [a, b]) expect(await ledger(m.id)).toEqual([{ category: null, channel: 'sms', granted: false, source: 'sms_keyword' }]);
    expect(await ledger(c.id)).toEqual([]);
    const reachable = await t.hub.db.many(`SELECT member_id FROM consent_state WHERE member_id = ANY($1) AND channel = 'sms' AND category = 'campaign' AND granted`, [[a.id, b.id]]);
    expect(reachable).toEqual([]);
    // Delivered twice by Twilio: still one event each.
    await postTwilio('/webhooks/twilio/inbound', { From: shared, To: '+4759990000', Body: 'STOPP', MessageSid: 'SMshared01' });
    for (const m of [a, b]) expect(await ledger(m.id)).toHaveLength(1);

    await postTwilio('/webhooks/twilio/inbound', { From: shared, To: '+4759990000', Body: 'START', MessageSid: 'SMshared02' });
    for (const m of [a, b]) {
      const st = await t.hub.db.one(`SELECT granted FROM consent_state WHERE member_id = $1 AND channel = 'sms' AND category = 'campaign'`, [m.id]);
      expect(st).toEqual({ granted: true });
    }
  });
});

describe('bad fields are skipped and recorded; the rest of the batch applies; 2xx', () => {
  test('out-of-range timestamp, wrong types and deep nesting are skipped; the good events of the batch apply', async () => {
    const m = await insertMember(t.hub.db, { email: 'batch@example.no' });
    const good = await row(m.id, 'email', { address: 'batch@example.no' });
    let deep: any = { x: 1 };
    for (let i = 0; i < 50; i++) deep = { n: deep };
    const events = [
      sgEvent({ event: 'delivered', email: 'batch@example.no', send_log_id: String(good), timestamp: 99_999_999_999_999 }),
      sgEvent({ event: 'delivered', email: 'batch@example.no', send_log_id: String(good), timestamp: -5 }),
      sgEvent({ event: 'delivered', email: 'batch@example.no', send_log_id: String(good), timestamp: '1700000000' }),
      sgEvent({ event: 'delivered', email: ['batch@example.no'], send_log_id: String(good) }),
      sgEvent({ event: 'delivered', email: 'batch@example.no', send_log_id: { id: good } }),
      sgEvent({ event: 42, email: 'batch@example.no', send_log_id: String(good) }),
      sgEvent({ event: 'delivered', email: 'batch@example.no', send_log_id: String(good), pool: deep }),
      'not an object',
      sgEvent({ event: 'delivered', email: 'batch@example.no', send_log_id: String(good) }),
    ];
    const r = await postEvents(events);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ received: 9, applied: 1, rejected: 0, skipped: 8, duplicates: 0 });
    expect((await state(good)).state).toBe('delivered');
    const reasons = (await t.hub.db.many(`SELECT event_id, reason FROM provider_events WHERE provider = 'sendgrid' AND outcome = 'skipped' AND event_id = ANY($1) ORDER BY event_id`,
      [events.slice(0, 7).map((e: any) => e.sg_event_id)])).map((x) => x.reason);
    expect(reasons.sort()).toEqual([
      'email: not a string', 'event: missing or not a string', 'nested deeper than 4 levels', 'send_log_id: not a positive integer',
      'timestamp: missing or not an integer', 'timestamp: out of range', 'timestamp: out of range',
    ].sort());
  });

  test('a signed batch nested 100,000 deep answers 200 (not 500) and records the skip', async () => {
    const raw = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const r = await postEvents(raw);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ received: 1, skipped: 1 });
    const deepObject = `[{"event":"delivered","timestamp":${nowS()},"sg_event_id":"deep-${process.pid}","x":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}]`;
    const r2 = await postEvents(deepObject);
    expect(r2.status).toBe(200);
    expect(r2.body).toMatchObject({ skipped: 1 });
    expect(await recorded('sendgrid', `deep-${process.pid}`)).toMatchObject({ outcome: 'skipped', reason: 'nested deeper than 4 levels' });
  });

  test('a Twilio inbound with a repeated parameter (wrong type) is skipped and recorded, answered 200', async () => {
    const m = await insertMember(t.hub.db, { phone: '+4749000001' });
    const form = 'From=%2B4749000001&From=%2B4749000002&Body=STOP&MessageSid=SMrepeat01';
    const asObject: Record<string, string[] | string> = { From: ['+4749000001', '+4749000002'], Body: 'STOP', MessageSid: 'SMrepeat01' };
    const sig = twilio.getExpectedTwilioSignature(AUTH_TOKEN, twUrl('/webhooks/twilio/inbound'), asObject as any);
    const r = await fetch(`${api.url}/webhooks/twilio/inbound`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': sig }, body: form });
    expect(r.status).toBe(200);
    expect(await ledger(m.id)).toEqual([]);
    expect(await recorded('twilio', 'in:SMrepeat01')).toMatchObject({ outcome: 'skipped', reason: 'From: not a single value' });
  });
});

describe('webhook errors are problem documents (RFC 9457)', () => {
  const isProblem = (r: { status: number; type: string | null; body: any }, status: number) => {
    expect(r.status).toBe(status);
    expect(r.type).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
  };
  const read = async (res: Response) => ({ status: res.status, type: res.headers.get('content-type'), body: JSON.parse(await res.text()) });

  test('SendGrid: unsigned 401, bad signature 403, stale timestamp 403, signed non-JSON 400, signed non-array 400', async () => {
    const body = '[]\r\n';
    isProblem(await read(await fetch(`${api.url}/webhooks/sendgrid/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })), 401);
    const h = signed(body);
    isProblem(await read(await fetch(`${api.url}/webhooks/sendgrid/events`, { method: 'POST', headers: { ...h, 'X-Twilio-Email-Event-Webhook-Signature': Buffer.from('nope').toString('base64') }, body })), 403);
    isProblem(await read(await fetch(`${api.url}/webhooks/sendgrid/events`, { method: 'POST', headers: signed(body, String(nowS() - 3600)), body })), 403);
    isProblem(await postEvents('{not json'), 400);
    isProblem(await postEvents({ event: 'delivered' }), 400);
  });

  test('Twilio: a signed inbound sent as JSON is 415 (not 500); a bad signature is 403', async () => {
    const params = { From: '+4749000003', Body: 'STOP', MessageSid: 'SMjson01' };
    const sig = twilio.getExpectedTwilioSignature(AUTH_TOKEN, twUrl('/webhooks/twilio/inbound'), params);
    const r = await fetch(`${api.url}/webhooks/twilio/inbound`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Twilio-Signature': sig }, body: JSON.stringify(params) });
    isProblem(await read(r), 415);
    const s = await fetch(`${api.url}/webhooks/twilio/status`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Twilio-Signature': sig }, body: JSON.stringify(params) });
    isProblem(await read(s), 415);
    const bad = await fetch(`${api.url}/webhooks/twilio/inbound`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Twilio-Signature': 'AAAA' }, body: new URLSearchParams(params) });
    isProblem(await read(bad), 403);
  });
});

describe('GET /api/provider-events', () => {
  test('staff see the rejected and skipped events with their reasons and counts; no address in the answer; representatives may not', async () => {
    const m = await insertMember(t.hub.db, { email: 'listed@example.no' });
    const smsRow = await row(m.id, 'sms');
    const ev = sgEvent({ event: 'delivered', email: 'listed@example.no', send_log_id: String(smsRow) });
    await postEvents([ev, sgEvent({ event: 'delivered', timestamp: 1 })]);
    const { auth } = await staffWithToken(t.hub, 'auditor');
    const r = await fetch(`${api.url}/api/provider-events?provider=sendgrid&limit=500`, { headers: auth });
    expect(r.status).toBe(200);
    const body = await r.json() as any;
    expect(body.events.find((e: any) => e.eventId === ev.sg_event_id)).toMatchObject({ outcome: 'rejected', reason: 'channel_mismatch', sendLogId: smsRow });
    expect(body.events.every((e: any) => e.outcome !== 'applied')).toBe(true);
    expect(body.counts).toEqual(expect.arrayContaining([expect.objectContaining({ provider: 'sendgrid', outcome: 'skipped', reason: 'timestamp: out of range' })]));
    expect(JSON.stringify(body)).not.toContain('listed@example.no');
    const rep = await staffWithToken(t.hub, 'representative', { memberId: m.id });
    expect((await fetch(`${api.url}/api/provider-events`, { headers: rep.auth })).status).toBe(403);
    expect((await fetch(`${api.url}/api/provider-events?outcome=lost`, { headers: auth })).status).toBe(400);
  });
});
