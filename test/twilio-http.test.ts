import { createSmsProvider } from '../src/providers';
import { rejection, startTwilioEmulator, type TwilioEmulator } from './helpers/emulators';
import { formEncode } from '../src/providers/twilio-http';

/** The undici client the twilio SDK sends through (src/providers/twilio-http.ts): bytes, failures, no retries. */

const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'test-auth-token-0123456789';
const SERVICE_SID = 'MG0123456789abcdef0123456789abcdef';
const twConfig = (baseUrl: string) => ({ twilio: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, messagingServiceSid: SERVICE_SID, baseUrl } });


describe('Twilio HTTP client', () => {
  let tw: TwilioEmulator;
  beforeAll(async () => { tw = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }); });
  afterAll(() => tw.close());
  beforeEach(() => { tw.faults.reset(); tw.ledger.clear(); });

  test('form bodies repeat array keys and carry æøå, +, & and = unchanged', () => {
    const text = 'Hei Åse & Øyvind: 2+2=4 ✓';
    const encoded = formEncode({ To: '+4791234567', Body: text, MediaUrl: ['https://a.example/1', 'https://a.example/2'], Skip: undefined });
    const back = new URLSearchParams(encoded);
    expect(back.get('To')).toBe('+4791234567');
    expect(back.get('Body')).toBe(text);
    expect(back.getAll('MediaUrl')).toEqual(['https://a.example/1', 'https://a.example/2']);
    expect(back.has('Skip')).toBe(false);
  });

  test('the body the emulator records is exactly the body sent', async () => {
    const body = 'Hei Åse & Øyvind: møtet er 18:30 (rom 2+3) = viktig ✓';
    await createSmsProvider(twConfig(tw.url)).send({ to: '+4791234567', body });
    expect(tw.ledger.recent({ limit: 1 })[0].body).toBe(body);
  });

  test('a closed port is transient with no HTTP status', async () => {
    const closed = await startTwilioEmulator({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    const url = closed.url;
    await closed.close();
    const e = await rejection(createSmsProvider(twConfig(url)).send({ to: '+4791234567', body: 'Hei' }));
    expect(e.kind).toBe('transient');
    expect(e.status).toBeNull();
  });

  test('a connection dropped after acceptance is transient and the POST is not sent again', async () => {
    tw.faults.acceptThenDrop(1);
    const sms = createSmsProvider(twConfig(tw.url));
    const e = await rejection(sms.send({ to: '+4791234567', body: 'Hei' }));
    expect(e.kind).toBe('transient');
    expect(tw.ledger.accepted).toBe(1); // accepted once although the caller never saw the answer
    await sms.send({ to: '+4791234568', body: 'Hei igjen' }); // the client recovers on a new connection
    expect(tw.ledger.accepted).toBe(2);
  });

  test('4xx answers keep Twilio\'s code through the SDK (RestException)', async () => {
    tw.faults.optOut('+4791234567');
    const e = await rejection(createSmsProvider(twConfig(tw.url)).send({ to: '+4791234567', body: 'Hei' }));
    expect(e).toEqual(expect.objectContaining({ kind: 'opted_out', status: 400, code: 21610 }));
  });
});
