import { jsonBytesOver } from '../dev/emulators/sendgrid';
import { startSendgridEmulator, type SendgridEmulator } from './helpers/emulators';

/**
 * SendGrid's 10,000-byte limits on a personalization's substitutions and custom_args, as the
 * emulator applies them: the shortcut that skips serialising small objects answers exactly as
 * the serialised size does, and a request over the limit is refused with SendGrid's field.
 */

const exact = (v: unknown, limit: number) => Buffer.byteLength(JSON.stringify(v)) > limit;

/** A small deterministic generator (the cases are the same in every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

test('the size shortcut answers as the serialised size does, escapes and multibyte text included', () => {
  const rand = rng(10_000);
  const alphabet = ['a', 'Z', '9', ' ', '"', '\\', '\n', '\u0001', 'æ', 'ø', 'å', '€', '😀', '<', '/'];
  for (let n = 0; n < 3000; n++) {
    const obj: Record<string, unknown> = {};
    const keys = 1 + Math.floor(rand() * 12);
    const scale = rand() < 0.5 ? 40 : 1500;
    for (let k = 0; k < keys; k++) {
      let key = `-f${k}-`;
      let val = '';
      const len = Math.floor(rand() * scale);
      for (let i = 0; i < len; i++) val += alphabet[Math.floor(rand() * alphabet.length)];
      if (rand() < 0.1) key += '"';
      obj[key] = rand() < 0.05 ? Math.floor(rand() * 1000) : val;
    }
    const limit = rand() < 0.5 ? 10_000 : Math.floor(rand() * 12_000);
    expect([n, jsonBytesOver(obj, limit)]).toEqual([n, exact(obj, limit)]);
  }
});

describe('the emulator refuses a personalization over the limits', () => {
  const API_KEY = 'SG.limits-test-key';
  let sg: SendgridEmulator;
  beforeAll(async () => { sg = await startSendgridEmulator({ apiKey: API_KEY }); });
  afterAll(async () => { await sg.close(); });

  const post = (p: Record<string, unknown>) => fetch(`${sg.url}/v3/mail/send`, {
    method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ personalizations: [{ to: [{ email: 'ola@example.no' }], ...p }], from: { email: 'post@budstikke.example' }, subject: 'Hei', content: [{ type: 'text/plain', value: 'Hei -navn-' }] }),
  });

  test('substitutions of more than 10,000 bytes are refused with the field named; 10,000 are taken', async () => {
    const over = await post({ substitutions: { '-navn-': 'x'.repeat(10_000) } });
    expect(over.status).toBe(400);
    expect((await over.json()).errors[0]).toMatchObject({ field: 'personalizations.0.substitutions' });
    const at = await post({ substitutions: { '-navn-': 'x'.repeat(10_000 - '{"-navn-":""}'.length) } });
    expect(at.status).toBe(202);
  });

  test('custom_args of more than 10,000 bytes are refused with the field named', async () => {
    const r = await post({ custom_args: { log_id: '"'.repeat(5_000) } });
    expect(r.status).toBe(400);
    expect((await r.json()).errors[0]).toMatchObject({ field: 'personalizations.0.custom_args' });
  });
});
