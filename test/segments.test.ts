import { SegmentedMessage } from 'sms-segments-calculator';
import { overSmsLimit, smsLength, SMS_MAX_CHARACTERS } from '../src/segments';
import { smsInfo } from '../src/render';
import { createSmsProvider, ProviderError } from '../src/providers';
import { startTwilioEmulator } from './helpers/emulators';

/**
 * The hub's one SMS counter against Twilio's published calculator (sms-segments-calculator),
 * over strings generated from a fixed seed: Norwegian, GSM-7 extension characters, Sami
 * letters, emoji with ZWJ, flags, skin tones, keycaps, combining marks, lengths around the
 * 67/70/153/160 boundaries and up to 1,600.
 */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

const POOLS: Record<string, string[]> = {
  norwegian: Array.from('abcdefghijklmnopqrstuvwxyzæøåÆØÅ ,.!?-0123456789\n'),
  extension: Array.from('^{}\\[~]|€\f'),
  sami: Array.from('áčđŋšŧžÁČĐŊŠŦŽ'),
  emoji: ['👋', '🎉', '❤️', '✊', '👍🏽', '👩‍👩‍👧‍👦', '🧑🏿‍🤝‍🧑🏻', '🇳🇴', '🇸🇪', '1️⃣', '#️⃣', '🏳️‍🌈', '👨‍💻'],
  combining: ['e\u0301', 'a\u030A', 'o\u0308', 'n\u0303\u0301'],
  typographic: ['“', '”', '–', '…', '\u00A0'],
  crlf: ['\r\n', '\r'],
};
const TARGETS = [60, 66, 67, 68, 69, 70, 71, 134, 135, 152, 153, 154, 159, 160, 161, 201, 306, 307, 459, 460, 1000, 1530, 1599, 1600];

function generate(count: number): string[] {
  const r = rng(14);
  const names = Object.keys(POOLS);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    // Mostly one or two pools so each kind of text (pure GSM-7, GSM-7 + extension, UCS-2) is common.
    const mix = [names[0], names[Math.floor(r() * names.length)], ...(r() < 0.3 ? [names[Math.floor(r() * names.length)]] : [])];
    const target = r() < 0.7 ? TARGETS[Math.floor(r() * TARGETS.length)] : 1 + Math.floor(r() * 1600);
    let s = '';
    while (s.length < target) {
      const pool = POOLS[mix[Math.floor(r() * mix.length)]];
      s += pool[Math.floor(r() * pool.length)];
    }
    out.push(s);
  }
  return out;
}

describe('one SMS counter, agreeing with Twilio\'s calculator', () => {
  const strings = generate(6000);

  test('segments and encoding agree with sms-segments-calculator on 6,000 generated strings', () => {
    let ucs2 = 0; let gsm = 0; let multi = 0;
    const disagreements: { text: string; ours: [string, number]; twilio: [string, number] }[] = [];
    for (const text of strings) {
      const m = new SegmentedMessage(text);
      const ours = smsLength(text);
      if (ours.encoding !== m.encodingName || ours.segments !== m.segmentsCount) {
        disagreements.push({ text, ours: [ours.encoding, ours.segments], twilio: [m.encodingName, m.segmentsCount] });
      }
      if (m.encodingName === 'UCS-2') ucs2++; else gsm++;
      if (m.segmentsCount > 1) multi++;
    }
    expect(disagreements.slice(0, 3)).toEqual([]);
    // The generator really covers both encodings and concatenated messages.
    expect(Math.min(ucs2, gsm, multi)).toBeGreaterThan(1000);
  });

  test('the renderer\'s smsInfo reports the same segments as the counter', () => {
    for (const text of strings.slice(0, 300)) {
      const m = new SegmentedMessage(text);
      expect([text.slice(0, 30), smsInfo(text).segments, smsInfo(text).encoding]).toEqual([text.slice(0, 30), m.segmentsCount, m.encodingName]);
    }
  });

  test('an emoji sequence or a combining accent across the 67-unit part boundary moves whole to the next part', () => {
    // 66 units then a ZWJ family (11 units): the family does not fit the first part.
    expect(smsLength(`${'x'.repeat(66)}👩‍👩‍👧‍👦${'y'.repeat(10)}`).segments).toBe(2);
    expect(smsLength(`${'x'.repeat(66)}👩‍👩‍👧‍👦${'y'.repeat(60)}`).segments).toBe(3);
    expect(smsLength(`${'x'.repeat(65)}🇳🇴${'y'.repeat(68)}`).segments).toBe(3);
    expect(smsLength(`${'á'.repeat(66)}e\u0301${'y'.repeat(66)}`).segments).toBe(3);
    for (const s of [`${'x'.repeat(66)}👩‍👩‍👧‍👦${'y'.repeat(60)}`, `${'á'.repeat(66)}e\u0301${'y'.repeat(66)}`]) {
      expect(smsLength(s).segments).toBe(new SegmentedMessage(s).segmentsCount);
    }
  });

  test('GSM-7: 160 in one part, 153 per part after, an escape pair never split', () => {
    expect(smsLength('ø'.repeat(160))).toMatchObject({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(smsLength('ø'.repeat(161)).segments).toBe(2);
    expect(smsLength(`${'a'.repeat(152)}€${'b'.repeat(10)}`)).toMatchObject({ units: 164, segments: 2 });
    expect(smsLength(`${'a'.repeat(152)}€${'b'.repeat(152)}`).segments).toBe(3);
  });

  test('the 1,600 limit counts UTF-16 units (an emoji is two), in the renderer as in the counter', () => {
    const justFits = `${'a'.repeat(SMS_MAX_CHARACTERS - 2)}👋`;
    const over = `${'a'.repeat(SMS_MAX_CHARACTERS - 1)}👋`;
    expect(overSmsLimit(justFits)).toBe(false);
    expect(overSmsLimit(over)).toBe(true);
    expect(smsInfo(justFits).ok).toBe(true);
    expect(smsInfo(over)).toMatchObject({ ok: false, characters: 1600, limitCharacters: 1601 });
  });

  test('the Twilio emulator refuses (21617) exactly what the renderer refuses, and bills the counter\'s segments', async () => {
    const accountSid = 'AC0123456789abcdef0123456789abcdef'; const authToken = 'test-auth-token-0123456789';
    const tw = await startTwilioEmulator({ accountSid, authToken });
    try {
      const sms = createSmsProvider({ twilio: { accountSid, authToken, messagingServiceSid: 'MG0123456789abcdef0123456789abcdef', baseUrl: tw.url } });
      const justFits = `${'a'.repeat(SMS_MAX_CHARACTERS - 2)}👋`;
      const sent = await sms.send({ to: '+4791234567', body: justFits });
      expect(sent.numSegments).toBe(new SegmentedMessage(justFits).segmentsCount);
      const refused = await sms.send({ to: '+4791234567', body: `${'a'.repeat(SMS_MAX_CHARACTERS - 1)}👋` }).then(() => null, (e: unknown) => e);
      expect(refused).toBeInstanceOf(ProviderError);
      expect((refused as ProviderError).code).toBe(21617);
    } finally {
      await tw.close();
    }
  });
});
