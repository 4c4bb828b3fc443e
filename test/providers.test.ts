import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import twilio from 'twilio';
import { EventWebhook } from '@sendgrid/eventwebhook';
import type { EmailMessage } from '../src/render';
import { createEmailProvider, createSmsProvider, smsLength, toSendgridBody, type SendgridMailBody } from '../src/providers';
import {
  sendInboundSms, startEmulators, startSendgridEmulator, startTwilioEmulator, type SendgridEmulator, type TwilioEmulator,
  rejection,
} from './helpers/emulators';

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token-0123456789';
const SERVICE_SID = 'MG0123456789abcdef0123456789abcdef';
const API_KEY = 'SG.test-key';

interface Received { path: string; headers: http.IncomingHttpHeaders; raw: string }

/** A tiny loopback receiver standing in for the hub's webhook endpoints. */
async function startReceiver(status = 200) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, raw: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

function sgConfig(baseUrl: string, apiKey = API_KEY) {
  return { sendgrid: { apiKey, baseUrl, webhookPublicKey: null } };
}
function twConfig(baseUrl: string, authToken = AUTH_TOKEN) {
  return { twilio: { accountSid: ACCOUNT_SID, authToken, messagingServiceSid: SERVICE_SID, baseUrl } };
}

function campaignBody(n: number, extra: Partial<SendgridMailBody> = {}): SendgridMailBody {
  return {
    from: { email: 'post@budstikke.example', name: 'Budstikke-forbundet' },
    subject: 'Hei -fornavn-, tariffoppgjøret',
    content: [
      { type: 'text/plain', value: 'Hei -fornavn-! Les mer: -lenke-' },
      { type: 'text/html', value: '<p>Hei -fornavn-!</p><a href="-lenke-">Les mer</a>' },
    ],
    personalizations: Array.from({ length: n }, (_, i) => ({
      to: [{ email: `medlem${i}@example.no`, name: `Medlem ${i}` }],
      substitutions: { '-fornavn-': `Navn${i}`, '-lenke-': `https://hub.example/m/${i}` },
      headers: { 'List-Unsubscribe': `<https://hub.example/u/${i}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      custom_args: { send_log_id: String(1000 + i), campaign_id: '7' },
    })),
    ...extra,
  };
}


describe('SendGrid emulator through @sendgrid/mail', () => {
  let sg: SendgridEmulator;
  beforeAll(async () => { sg = await startSendgridEmulator({ apiKey: API_KEY }); });
  afterAll(() => sg.close());
  beforeEach(() => { sg.faults.reset(); sg.ledger.clear(); });

  test('1000 personalizations are accepted with an X-Message-Id, and each recipient gets its own merged message', async () => {
    const email = createEmailProvider(sgConfig(sg.url));
    const r = await email.sendBody(campaignBody(1000));
    expect(r.statusCode).toBe(202);
    expect(r.messageId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(sg.ledger.recipients).toBe(1000);
    const compact = sg.ledger.compact();
    expect(compact).toHaveLength(1000);
    expect(compact[999]).toEqual({ to: 'medlem999@example.no', customArgs: { send_log_id: '1999', campaign_id: '7' }, messageId: r.messageId });
    expect(sg.ledger.countFor('MEDLEM5@example.no')).toBe(1);

    const [m] = sg.ledger.recent({ to: 'medlem42@example.no' });
    expect(m.subject).toBe('Hei Navn42, tariffoppgjøret');
    expect(m.text).toBe('Hei Navn42! Les mer: https://hub.example/m/42');
    expect(m.html).toBe('<p>Hei Navn42!</p><a href="https://hub.example/m/42">Les mer</a>');
    expect(m.headers).toEqual({ 'List-Unsubscribe': '<https://hub.example/u/42>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expect(m.customArgs).toEqual({ send_log_id: '1042', campaign_id: '7' });
    expect(m.messageId).toBe(r.messageId);
    expect(m.sgMessageId.startsWith(`${r.messageId}.`)).toBe(true);
  });

  test('a provider-neutral message becomes one personalization per recipient: their To, subject, headers, values and our reference', async () => {
    const email = createEmailProvider(sgConfig(sg.url));
    const message: EmailMessage = {
      from: { email: 'post@budstikke.example', name: 'Budstikke-forbundet' },
      text: 'Hei %n%! Les mer: %l%', html: '<p>Hei %n%!</p><a href="%l%">Les mer</a>',
      categories: ['union_news'], metadata: { campaign_id: '8' }, tracking: { clicks: false, opens: false }, sandbox: false,
      recipients: [1, 2].map((i) => ({
        ref: String(500 + i), to: { email: `nøytral${i}@example.no`, name: `Medlem ${i}` }, subject: `Emne ${i}`,
        headers: { 'List-Unsubscribe': `<https://hub.example/u/n${i}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
        values: { '%n%': `Navn${i}`, '%l%': `https://hub.example/m/n${i}` },
      })),
    };
    const r = await email.send(message);
    expect(r.statusCode).toBe(202);
    const [m] = sg.ledger.recent({ to: 'nøytral2@example.no' });
    expect(m).toMatchObject({
      subject: 'Emne 2', text: 'Hei Navn2! Les mer: https://hub.example/m/n2', html: '<p>Hei Navn2!</p><a href="https://hub.example/m/n2">Les mer</a>',
      headers: { 'List-Unsubscribe': '<https://hub.example/u/n2>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      customArgs: { send_log_id: '502', campaign_id: '8' }, messageId: r.messageId,
    });
    expect(toSendgridBody({ ...message, sandbox: true }).mail_settings).toEqual({ sandbox_mode: { enable: true } });
    expect(toSendgridBody(message).personalizations.map((p) => p.custom_args)).toEqual([{ send_log_id: '501' }, { send_log_id: '502' }]);
  });

  test('a header every recipient has with the same value goes once at the top level, and every member still gets it', async () => {
    const email = createEmailProvider(sgConfig(sg.url));
    const message: EmailMessage = {
      from: { email: 'post@budstikke.example', name: 'Budstikke-forbundet' },
      text: 'Hei', html: '<p>Hei</p>',
      categories: ['union_news'], metadata: {}, tracking: { clicks: false, opens: false }, sandbox: false,
      recipients: [1, 2, 3].map((i) => ({
        ref: String(700 + i), to: { email: `felles${i}@example.no` }, subject: 'Emne',
        headers: { 'List-Unsubscribe': `<https://hub.example/u/f${i}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      })),
    };
    const body = toSendgridBody(message);
    expect(body.headers).toEqual({ 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    expect(body.personalizations.map((p) => p.headers)).toEqual([1, 2, 3].map((i) => ({ 'List-Unsubscribe': `<https://hub.example/u/f${i}>` })));
    await email.send(message);
    for (const i of [1, 2, 3]) {
      const [m] = sg.ledger.recent({ to: `felles${i}@example.no` });
      expect(m.headers).toEqual({ 'List-Unsubscribe': `<https://hub.example/u/f${i}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    }
    // A header only some recipients have, or with different values, stays with each of them.
    const mixed = toSendgridBody({ ...message, recipients: [message.recipients[0], { ...message.recipients[1], headers: {} }] });
    expect(mixed.headers).toBeUndefined();
    expect(mixed.personalizations[0].headers).toEqual(message.recipients[0].headers);
  });

  test('the HTTP pages list recent messages and counts', async () => {
    const email = createEmailProvider(sgConfig(sg.url));
    await email.sendBody(campaignBody(3));
    const res = await fetch(`${sg.url}/__emulator/messages?to=medlem1@example.no`);
    const { messages } = await res.json() as any;
    expect(messages).toHaveLength(1);
    expect(messages[0].subject).toBe('Hei Navn1, tariffoppgjøret');
    const stats = await (await fetch(`${sg.url}/__emulator/stats`)).json() as any;
    expect(stats.recipients).toBe(3);
  });

  test('1001 personalizations: 400 with SendGrid\'s error body, classified rejected', async () => {
    const email = createEmailProvider(sgConfig(sg.url));
    const e = await rejection(email.sendBody(campaignBody(1001)));
    expect(e.kind).toBe('rejected');
    expect(e.status).toBe(400);
    expect(e.errors[0]).toEqual(expect.objectContaining({ field: 'personalizations' }));
    expect(e.errors[0].message).toContain('limited to 1000 personalizations');
    expect(e.errors[0].message).toContain('1001');
    // The SDK's own ResponseError is kept as the cause.
    const cause = (e as any).cause;
    expect(cause.code).toBe(400);
    expect(cause.response.body.errors[0].field).toBe('personalizations');
    expect(sg.ledger.recipients).toBe(0);
  });

  test('missing from, subject and content are named by field', async () => {
    const email = createEmailProvider(sgConfig(sg.url));
    const body = campaignBody(2) as any;
    delete body.from; delete body.subject; delete body.content;
    body.personalizations[1].to = [{ email: 'not-an-address' }];
    const e = await rejection(email.sendBody(body));
    expect(e.kind).toBe('rejected');
    expect(e.errors.map((x) => x.field).sort()).toEqual(['content', 'from', 'personalizations.1.to.0.email', 'subject']);
  });

  test('a wrong API key is 401 with SendGrid\'s body, classified rejected', async () => {
    const email = createEmailProvider(sgConfig(sg.url, 'SG.wrong'));
    const e = await rejection(email.sendBody(campaignBody(1)));
    expect(e.kind).toBe('rejected');
    expect(e.status).toBe(401);
    expect(e.errors[0].message).toBe('The provided authorization grant is invalid, expired, or revoked');
  });

  test('429 with X-RateLimit-Reset is rate_limited with retryAfterMs', async () => {
    sg.faults.rateLimit(1, 5);
    const email = createEmailProvider(sgConfig(sg.url));
    const e = await rejection(email.sendBody(campaignBody(10)));
    expect(e.kind).toBe('rate_limited');
    expect(e.status).toBe(429);
    expect(e.errors[0].message).toBe('too many requests');
    expect(e.retryAfterMs).toBeGreaterThan(3000);
    expect(e.retryAfterMs).toBeLessThanOrEqual(5000);
    const h = (e as any).cause.response.headers;
    expect(h['x-ratelimit-remaining']).toBe('0');
    // Nothing was recorded; the next request goes through.
    expect(sg.ledger.recipients).toBe(0);
    await email.sendBody(campaignBody(10));
    expect(sg.ledger.recipients).toBe(10);
  });

  test('faults set over HTTP (another process) apply: 500 is transient', async () => {
    const r = await fetch(`${sg.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ serverError: 1 }) });
    expect((await r.json() as any).serverError).toBe(1);
    const email = createEmailProvider(sgConfig(sg.url));
    const e = await rejection(email.sendBody(campaignBody(1)));
    expect(e.kind).toBe('transient');
    expect(e.status).toBe(500);
  });

  test('a connection that fails (closed port, or dropped after acceptance) is transient', async () => {
    const closed = await startSendgridEmulator();
    const url = closed.url;
    await closed.close();
    const e1 = await rejection(createEmailProvider(sgConfig(url)).sendBody(campaignBody(1)));
    expect(e1.kind).toBe('transient');
    expect(e1.status).toBeNull();

    sg.faults.acceptThenDrop(1);
    const e2 = await rejection(createEmailProvider(sgConfig(sg.url)).sendBody(campaignBody(2)));
    expect(e2.kind).toBe('transient');
    expect(sg.ledger.recipients).toBe(2); // accepted although the caller never saw the answer
  });

  test('sandbox mode is 200 and delivers nothing; an oversized body is 413', async () => {
    const email = createEmailProvider(sgConfig(sg.url));
    const r = await email.sendBody(campaignBody(2, { mail_settings: { sandbox_mode: { enable: true } } }));
    expect(r.statusCode).toBe(200);
    expect(sg.ledger.recipients).toBe(0);

    const small = await startSendgridEmulator({ maxBodyBytes: 10_000 });
    try {
      const e = await rejection(createEmailProvider(sgConfig(small.url)).sendBody(campaignBody(200)));
      expect(e.kind).toBe('rejected');
      expect(e.status).toBe(413);
    } finally {
      await small.close();
    }
  });
});

describe('SendGrid Event Webhook', () => {
  test('signed event batches verify with @sendgrid/eventwebhook; bounce addresses bounce', async () => {
    const rx = await startReceiver();
    const sg = await startSendgridEmulator({ webhookUrl: `${rx.url}/webhooks/sendgrid/events` });
    try {
      sg.faults.bounce('Medlem1@example.no');
      const { messageId } = await createEmailProvider(sgConfig(sg.url)).sendBody(campaignBody(3));
      await sg.drainWebhooks(10_000);
      expect(rx.received.length).toBeGreaterThan(0);
      const ew = new EventWebhook();
      const key = ew.convertPublicKeyToECDSA(sg.publicKeyBase64);
      const events: any[] = [];
      for (const r of rx.received) {
        expect(r.path).toBe('/webhooks/sendgrid/events');
        const sig = r.headers['x-twilio-email-event-webhook-signature'] as string;
        const ts = r.headers['x-twilio-email-event-webhook-timestamp'] as string;
        expect(ew.verifySignature(key, r.raw, sig, ts)).toBe(true);
        expect(ew.verifySignature(key, r.raw.replace('processed', 'processeD'), sig, ts)).toBe(false);
        events.push(...JSON.parse(r.raw));
      }
      expect(events).toHaveLength(6);
      const byEmail = (email: string) => events.filter((e) => e.email === email).map((e) => e.event);
      expect(byEmail('medlem0@example.no')).toEqual(['processed', 'delivered']);
      expect(byEmail('medlem1@example.no')).toEqual(['processed', 'bounce']);
      const bounce = events.find((e) => e.event === 'bounce');
      expect(bounce).toEqual(expect.objectContaining({ type: 'bounce', status: '5.1.1', send_log_id: '1001', campaign_id: '7' }));
      for (const e of events) {
        expect(e.sg_message_id.startsWith(`${messageId}.`)).toBe(true);
        expect(typeof e.timestamp).toBe('number');
      }
      expect(new Set(events.map((e) => e.sg_event_id)).size).toBe(6);
      expect(sg.ledger.recent({ to: 'medlem1@example.no' })[0].outcome).toBe('bounced');

      // Replays for dedup tests: the same events re-signed and re-posted.
      const replay = await sg.postEvents(events.slice(0, 2));
      expect(replay.status).toBe(200);
      const last = rx.received[rx.received.length - 1];
      expect(ew.verifySignature(key, last.raw, last.headers['x-twilio-email-event-webhook-signature'] as string,
        last.headers['x-twilio-email-event-webhook-timestamp'] as string)).toBe(true);
    } finally {
      await sg.close();
      await rx.close();
    }
  });
});

describe('Twilio emulator through the twilio SDK', () => {
  let tw: TwilioEmulator;
  beforeAll(async () => { tw = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }); });
  afterAll(() => tw.close());
  beforeEach(() => { tw.faults.reset(); tw.ledger.clear(); });

  test('201 with an SM sid, accepted status and segments', async () => {
    const sms = createSmsProvider(twConfig(tw.url));
    const r = await sms.send({ to: '+4791234567', body: 'Hei Åse! Årsmøtet er på torsdag.' });
    expect(r.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(r.status).toBe('accepted');
    expect(r.numSegments).toBe(1);
    expect((await sms.send({ to: '+4791234567', body: 'x'.repeat(161) })).numSegments).toBe(2);
    expect((await sms.send({ to: '+4791234567', body: 'Gratulerer 🎉 '.repeat(6) })).numSegments).toBe(2);
    const [last] = tw.ledger.recent({ limit: 1 });
    expect(last).toEqual(expect.objectContaining({ to: '+4791234567', messagingServiceSid: SERVICE_SID, encoding: 'UCS-2', numSegments: 2 }));
    expect(tw.ledger.accepted).toBe(3);
  });

  test('the raw 201 body has Twilio\'s fields', async () => {
    const res = await fetch(`${tw.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+4791234567', From: '+4759440000', Body: 'Hei' }).toString(),
    });
    expect(res.status).toBe(201);
    const m = await res.json() as any;
    expect(m).toEqual(expect.objectContaining({ account_sid: ACCOUNT_SID, api_version: '2010-04-01', status: 'queued', num_segments: '1',
      direction: 'outbound-api', error_code: null, error_message: null, to: '+4791234567', from: '+4759440000' }));
    expect(m.date_created).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    expect(m.uri).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${m.sid}.json`);
  });

  test('invalid To is 21211 → invalid_number; opted-out number is 21610 → opted_out', async () => {
    const sms = createSmsProvider(twConfig(tw.url));
    const bad = await rejection(sms.send({ to: '91234567', body: 'Hei' }));
    expect(bad).toEqual(expect.objectContaining({ kind: 'invalid_number', status: 400, code: 21211 }));
    tw.faults.invalid('+4790000009');
    expect((await rejection(sms.send({ to: '+4790000009', body: 'Hei' }))).kind).toBe('invalid_number');
    tw.faults.optOut('+4790000001');
    const stop = await rejection(sms.send({ to: '+4790000001', body: 'Hei' }));
    expect(stop).toEqual(expect.objectContaining({ kind: 'opted_out', status: 400, code: 21610 }));
    expect(stop.retryable).toBe(false);
    expect(tw.ledger.accepted).toBe(0);
  });

  test('a body over 1600 characters and a wrong token are rejected', async () => {
    const sms = createSmsProvider(twConfig(tw.url));
    expect(await rejection(sms.send({ to: '+4791234567', body: 'a'.repeat(1601) }))).toEqual(expect.objectContaining({ kind: 'rejected', code: 21617 }));
    const wrong = createSmsProvider(twConfig(tw.url, 'wrong-token-0123456789'));
    expect(await rejection(wrong.send({ to: '+4791234567', body: 'Hei' }))).toEqual(expect.objectContaining({ kind: 'rejected', status: 401, code: 20003 }));
  });

  test('429 (20429) is rate_limited, 500 is transient, set in-process or over HTTP', async () => {
    const sms = createSmsProvider(twConfig(tw.url));
    tw.faults.rateLimit(1);
    const e = await rejection(sms.send({ to: '+4791234567', body: 'Hei' }));
    expect(e).toEqual(expect.objectContaining({ kind: 'rate_limited', status: 429, code: 20429 }));
    expect(e.retryAfterMs).toBeGreaterThan(0);
    await fetch(`${tw.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ serverError: 1, serverErrorStatus: 503 }) });
    expect(await rejection(sms.send({ to: '+4791234567', body: 'Hei' }))).toEqual(expect.objectContaining({ kind: 'transient', status: 503 }));
    await sms.send({ to: '+4791234567', body: 'Hei' });
    expect(tw.ledger.accepted).toBe(1);
  });

  test('status callbacks arrive signed (twilio.validateRequest), sent then delivered or undelivered', async () => {
    const rx = await startReceiver();
    const publicBase = 'https://hub.budstikke.example';
    const em = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, statusCallbackBase: rx.url });
    try {
      em.faults.fail('+4790000002');
      const sms = createSmsProvider(twConfig(em.url));
      const ok = await sms.send({ to: '+4791234567', body: 'Hei', statusCallback: `${publicBase}/webhooks/twilio/status?log=1` });
      const ko = await sms.send({ to: '+4790000002', body: 'Hei', statusCallback: `${publicBase}/webhooks/twilio/status?log=2` });
      await em.drainCallbacks(10_000);
      expect(rx.received).toHaveLength(4);
      const calls = rx.received.map((r) => {
        const params = Object.fromEntries(new URLSearchParams(r.raw));
        const url = `${publicBase}${r.path}`;
        expect(twilio.validateRequest(AUTH_TOKEN, r.headers['x-twilio-signature'] as string, url, params)).toBe(true);
        expect(twilio.validateRequest('another-token-0000000000', r.headers['x-twilio-signature'] as string, url, params)).toBe(false);
        return params;
      });
      const of = (sid: string) => calls.filter((c) => c.MessageSid === sid);
      expect(of(ok.sid).map((c) => c.MessageStatus)).toEqual(['sent', 'delivered']);
      expect(of(ko.sid).map((c) => c.MessageStatus)).toEqual(['sent', 'undelivered']);
      expect(of(ko.sid)[1]).toEqual(expect.objectContaining({ ErrorCode: '30003', To: '+4790000002', AccountSid: ACCOUNT_SID, MessagingServiceSid: SERVICE_SID }));
    } finally {
      await em.close();
      await rx.close();
    }
  });

  test('sendInboundSms posts a signed inbound message with OptOutType for keywords', async () => {
    const rx = await startReceiver();
    try {
      const url = `${rx.url}/webhooks/twilio/inbound`;
      const r = await sendInboundSms({ to: url, from: '+4791234567', body: ' stopp ', authToken: AUTH_TOKEN, accountSid: ACCOUNT_SID });
      expect(r.status).toBe(200);
      const got = rx.received[0];
      const params = Object.fromEntries(new URLSearchParams(got.raw));
      expect(params).toEqual(expect.objectContaining({ From: '+4791234567', Body: ' stopp ', OptOutType: 'STOP' }));
      expect(twilio.validateRequest(AUTH_TOKEN, got.headers['x-twilio-signature'] as string, url, params)).toBe(true);
    } finally {
      await rx.close();
    }
  });
});


describe('SMS length', () => {
  test('GSM-7 with æøå, double-counted extension characters, UCS-2 for emoji and curly quotes', () => {
    expect(smsLength('Hei på deg, Ærlig Østen Åse')).toMatchObject({ encoding: 'GSM-7', units: 27, segments: 1 });
    expect(smsLength('a'.repeat(160)).segments).toBe(1);
    expect(smsLength('a'.repeat(161)).segments).toBe(2);
    expect(smsLength('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsLength('€'.repeat(81)).segments).toBe(2);
    expect(smsLength('Hei “medlem”')).toMatchObject({ encoding: 'UCS-2', units: 12, segments: 1 });
    expect(smsLength('🎉'.repeat(35))).toMatchObject({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsLength('🎉'.repeat(36)).segments).toBe(2);
  });

  test('agrees with the renderer\'s smsInfo', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { smsInfo } = require('../src/render') as typeof import('../src/render');
    const texts = ['Hei Åse', 'a'.repeat(153 * 2 + 1), `${'a'.repeat(152)}€${'b'.repeat(10)}`, `${'x'.repeat(66)}🎉${'y'.repeat(10)}`,
      'Svar STOPP for å reservere deg', '“Sitat” – tankestrek', '{[~]}'.repeat(40)];
    for (const t of texts) {
      const a = smsLength(t);
      const b = smsInfo(t);
      expect([t.slice(0, 20), a.encoding, a.units, a.segments]).toEqual([t.slice(0, 20), b.encoding, b.units, b.segments]);
    }
  });
});

describe('startEmulators and the separate-process CLI', () => {
  test('in-process: config values for the hub', async () => {
    const em = await startEmulators({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN } });
    try {
      expect(em.env.SENDGRID_BASE_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Buffer.from(em.env.SENDGRID_WEBHOOK_PUBLIC_KEY, 'base64').length).toBe(91); // P-256 SPKI DER
      const r = await createSmsProvider(twConfig(em.config.twilio.baseUrl)).send({ to: '+4791234567', body: 'Hei' });
      expect(r.sid).toMatch(/^SM/);
    } finally {
      await em.close();
    }
  });

  test('cli.ts prints its URLs as JSON and serves requests', async () => {
    const root = path.join(__dirname, '..');
    const child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'dev/emulators/cli.ts',
      '--account-sid', ACCOUNT_SID, '--auth-token', AUTH_TOKEN], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        readline.createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`cli exited ${code}`)));
      });
      const info = JSON.parse(line);
      const r = await createEmailProvider(sgConfig(info.sendgrid.url)).sendBody(campaignBody(2));
      expect(r.messageId).toBeTruthy();
      const stats = await (await fetch(`${info.sendgrid.url}/__emulator/stats`)).json() as any;
      expect(stats.recipients).toBe(2);
      expect((await createSmsProvider(twConfig(info.twilio.url)).send({ to: '+4791234567', body: 'Hei' })).status).toBe('accepted');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
