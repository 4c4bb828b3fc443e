import twilio from 'twilio';
import {
  SENDGRID_ACCOUNT_ERRORS, TWILIO_ACCOUNT_ERRORS, startSendgridEmulator, startTwilioEmulator,
  type SendgridAccountError, type SendgridEmulator, type TwilioAccountErrorCode, type TwilioEmulator,
} from './helpers/emulators';
import { until } from './helpers/campaign';

/**
 * The emulators' fault modes (dev/emulators), as the engine's failure-class tests switch them:
 * account errors with the providers' real bodies, accept-then-drop, slow replies. Each mode is
 * checked on what the provider answers AND on what it recorded as accepted.
 */

const API_KEY = 'SG.fault-test-key';
const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'fault-test-token-0123456789';
const SERVICE = 'MG0123456789abcdef0123456789abcdef';

function mailBody(to = 'ola@example.no') {
  return JSON.stringify({
    personalizations: [{ to: [{ email: to }], custom_args: { log_id: '1' } }],
    from: { email: 'post@budstikke.example' }, subject: 'Hei', content: [{ type: 'text/plain', value: 'Hei' }],
  });
}
const sgPost = (sg: SendgridEmulator, init: RequestInit = {}) => fetch(`${sg.url}/v3/mail/send`, {
  method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: mailBody(), ...init,
});

describe('SendGrid emulator fault modes', () => {
  let sg: SendgridEmulator;
  beforeAll(async () => { sg = await startSendgridEmulator({ apiKey: API_KEY, ledgerMode: 'full' }); });
  afterAll(() => sg.close());
  beforeEach(() => { sg.faults.reset(); sg.ledger.clear(); });

  test.each(Object.keys(SENDGRID_ACCOUNT_ERRORS) as SendgridAccountError[])('accountError %s answers SendGrid\'s status and body to every request and accepts nothing', async (kind) => {
    sg.faults.accountError(kind);
    const before = sg.stats().injected.accountErrors;
    for (let i = 0; i < 2; i++) {
      const r = await sgPost(sg);
      expect(r.status).toBe(SENDGRID_ACCOUNT_ERRORS[kind].status);
      expect(await r.json()).toEqual(SENDGRID_ACCOUNT_ERRORS[kind].body);
    }
    expect(sg.ledger.requests).toBe(0);
    expect(sg.stats().injected.accountErrors - before).toBe(2);
  });

  test('the real bodies: 401 revoked key, 403 under-scoped key, 403 unverified sender naming from', () => {
    expect(SENDGRID_ACCOUNT_ERRORS.revoked_key.status).toBe(401);
    expect(SENDGRID_ACCOUNT_ERRORS.revoked_key.body.errors[0].message).toBe('The provided authorization grant is invalid, expired, or revoked');
    expect(SENDGRID_ACCOUNT_ERRORS.under_scoped_key).toEqual({ status: 403, body: { errors: [{ field: null, message: 'access forbidden' }] } });
    expect(SENDGRID_ACCOUNT_ERRORS.unverified_sender.body.errors[0]).toMatchObject({ field: 'from', help: null });
    expect(SENDGRID_ACCOUNT_ERRORS.unverified_sender.body.errors[0].message).toMatch(/^The from address does not match a verified Sender Identity/);
  });

  test('clearing the account error (the key is fixed) accepts again', async () => {
    sg.faults.accountError('revoked_key');
    expect((await sgPost(sg)).status).toBe(401);
    sg.faults.accountError(null);
    const r = await sgPost(sg);
    expect(r.status).toBe(202);
    expect(sg.ledger.requests).toBe(1);
  });

  test('switched over HTTP from another process; an unknown kind is 400 and changes nothing', async () => {
    const set = await fetch(`${sg.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ accountError: 'under_scoped_key' }) });
    expect(set.status).toBe(200);
    expect((await sgPost(sg)).status).toBe(403);
    const bad = await fetch(`${sg.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ accountError: 'nonsense' }) });
    expect(bad.status).toBe(400);
    expect(sg.faults.state().accountError).toBe('under_scoped_key');
  });

  test('acceptThenDrop: the request is recorded as accepted, then the socket dies before any answer', async () => {
    sg.faults.acceptThenDrop(1);
    await expect(sgPost(sg)).rejects.toThrow();
    expect(sg.ledger.requests).toBe(1);
    expect(sg.ledger.countFor('ola@example.no')).toBe(1);
    expect((await sgPost(sg)).status).toBe(202);
    expect(sg.ledger.countFor('ola@example.no')).toBe(2);
  });

  test('slowReplies: accepted and recorded at once, the answer held back; a client that gives up never learns it', async () => {
    sg.faults.slowReplies(1, 120_000);
    const ac = new AbortController();
    const pending = sgPost(sg, { signal: ac.signal });
    let settled = false;
    pending.then(() => { settled = true; }, () => { settled = true; });
    await until(async () => sg.ledger.requests === 1, 30_000, 'the slow request to be recorded');
    expect(settled).toBe(false);
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(sg.stats().injected.slowed).toBe(1);
    expect((await sgPost(sg)).status).toBe(202); // only the next N are slow
  });
});

describe('Twilio emulator fault modes', () => {
  let tw: TwilioEmulator;
  beforeAll(async () => { tw = await startTwilioEmulator({ accountSid: SID, authToken: TOKEN, ledgerMode: 'full' }); });
  afterAll(() => tw.close());
  beforeEach(() => { tw.faults.reset(); tw.ledger.clear(); });
  const client = () => {
    const c = twilio(SID, TOKEN);
    c.api.baseUrl = tw.url;
    return c;
  };
  const twPost = (init: RequestInit = {}) => fetch(`${tw.url}/2010-04-01/Accounts/${SID}/Messages.json`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ To: '+4791234567', MessagingServiceSid: SERVICE, Body: 'Hei' }).toString(),
    ...init,
  });

  test.each(Object.keys(TWILIO_ACCOUNT_ERRORS).map(Number) as TwilioAccountErrorCode[])('accountError %s answers Twilio\'s JSON error body and sends nothing', async (code) => {
    tw.faults.accountError(code);
    const r = await twPost();
    const body = await r.json() as any;
    expect(r.status).toBe(TWILIO_ACCOUNT_ERRORS[code].status);
    expect(body).toEqual({ code, message: expect.any(String), more_info: `https://www.twilio.com/docs/errors/${code}`, status: TWILIO_ACCOUNT_ERRORS[code].status });
    expect(body.message).not.toMatch(/[{}]/);
    expect(tw.ledger.accepted).toBe(0);
  });

  test('20003 reaches the twilio SDK as RestException 401 "Authenticate"; cleared, the same call is accepted', async () => {
    tw.faults.accountError(20003);
    await expect(client().messages.create({ to: '+4791234567', messagingServiceSid: SERVICE, body: 'Hei' }))
      .rejects.toMatchObject({ status: 401, code: 20003, message: 'Authenticate' });
    tw.faults.set({ accountError: null });
    const m = await client().messages.create({ to: '+4791234567', messagingServiceSid: SERVICE, body: 'Hei' });
    expect(m.sid).toMatch(/^SM/);
    expect(tw.ledger.accepted).toBe(1);
  });

  test('switched over HTTP; an unknown code is 400', async () => {
    expect((await fetch(`${tw.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ accountError: 21606 }) })).status).toBe(200);
    expect((await twPost()).status).toBe(400);
    expect((await fetch(`${tw.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ accountError: 99999 }) })).status).toBe(400);
    expect(tw.faults.state().accountError).toBe(21606);
  });

  test('acceptThenDrop: the message is recorded (it will be delivered), the socket dies before the 201', async () => {
    tw.faults.acceptThenDrop(1);
    await expect(twPost()).rejects.toThrow();
    expect(tw.ledger.countFor('+4791234567')).toBe(1);
  });

  test('slowReplies: recorded at once, the 201 held back', async () => {
    tw.faults.slowReplies(1, 120_000);
    const ac = new AbortController();
    const pending = twPost({ signal: ac.signal });
    await until(async () => tw.ledger.accepted === 1, 30_000, 'the slow message to be recorded');
    ac.abort();
    await expect(pending).rejects.toThrow();
    expect(tw.stats().injected.slowed).toBe(1);
    expect((await twPost()).status).toBe(201);
  });
});
