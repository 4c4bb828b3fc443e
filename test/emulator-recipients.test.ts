import { startSendgridEmulator, type SendgridEmulator } from './helpers/emulators';

/**
 * What a member received, read over HTTP from a SendGrid emulator that runs as its own process
 * (bench/redis-loss.ts counts duplicates this way): `GET /__emulator/recipients`.
 */

const API_KEY = 'SG.recipients-test-key';
const send = (sg: SendgridEmulator, ...to: string[]) => fetch(`${sg.url}/v3/mail/send`, {
  method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
  body: JSON.stringify({
    personalizations: to.map((email) => ({ to: [{ email }] })),
    from: { email: 'post@budstikke.example' }, subject: 'Hei', content: [{ type: 'text/plain', value: 'Hei' }],
  }),
});

describe('SendGrid emulator: accepted copies per address over HTTP', () => {
  let sg: SendgridEmulator;
  let counting: SendgridEmulator;
  beforeAll(async () => {
    sg = await startSendgridEmulator({ apiKey: API_KEY, ledgerMode: 'compact' });
    counting = await startSendgridEmulator({ apiKey: API_KEY, ledgerMode: 'count' });
  });
  afterAll(async () => { await sg.close(); await counting.close(); });

  test('an address accepted twice is counted twice; ?min=2 lists only the repeated ones', async () => {
    expect((await send(sg, 'kari@example.no', 'ola@example.no')).status).toBe(202);
    expect((await send(sg, 'Kari@example.no')).status).toBe(202);
    const all = await (await fetch(`${sg.url}/__emulator/recipients`)).json();
    expect(all).toEqual({ recipients: 3, distinct: 2, counts: { 'kari@example.no': 2, 'ola@example.no': 1 } });
    const repeated = await (await fetch(`${sg.url}/__emulator/recipients?min=2`)).json();
    expect(repeated).toEqual({ recipients: 3, distinct: 2, counts: { 'kari@example.no': 2 } });
  });

  test('a count-mode ledger cannot tell and says so (409), rather than answering zero duplicates', async () => {
    expect((await send(counting, 'kari@example.no')).status).toBe(202);
    const r = await fetch(`${counting.url}/__emulator/recipients`);
    expect(r.status).toBe(409);
  });
});
