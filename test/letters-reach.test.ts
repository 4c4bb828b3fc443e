import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import jsQR from 'jsqr';
import { createTestHub, startApi, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { loadLatestVersionByKey, mergeFieldsFromMember, renderLetter, syncBuiltInTemplates, type LetterRecipient, type TemplateVersion } from '../src/render';
import { issueLetterCodes, letterCodeFor, normaliseLetterCode } from '../src/consent';
import type { FixedClock } from '../src/clock';

/** The text of every page, read with pdfjs-dist in a child process (its ESM build does not load under jest). */
const PDF_TEXT = `
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
const chunks = []; for await (const c of process.stdin) chunks.push(c);
const doc = await getDocument({ data: new Uint8Array(Buffer.concat(chunks)), verbosity: 0, disableFontFace: true }).promise;
const pages = [];
for (let i = 1; i <= doc.numPages; i++) pages.push((await (await doc.getPage(i)).getTextContent()).items.map((it) => it.str).join(' '));
process.stdout.write(JSON.stringify(pages));
`;
function pdfText(pdf: Buffer): string {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', PDF_TEXT], { cwd: path.join(__dirname, '..'), input: pdf, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`pdfjs failed: ${out.stderr}`);
  return (JSON.parse(out.stdout) as string[]).join('\n').replace(/\s+/g, ' ');
}

/**
 * Decodes the QR code drawn in the PDF: the small filled rectangles (`x y w h re`, one module high
 * and one or more modules wide) of the page content streams are rasterised onto a white image and
 * handed to jsQR, a decoder that knows nothing of how we drew them.
 */
function decodeQr(pdf: Buffer): string | null {
  const raw = pdf.toString('latin1');
  const rects: { x: number; y: number; w: number; h: number }[] = [];
  for (const m of raw.matchAll(/stream\r?\n/g)) {
    const start = m.index! + m[0].length;
    const end = raw.indexOf('endstream', start);
    let content: string;
    try { content = zlib.inflateSync(Buffer.from(raw.slice(start, end), 'latin1')).toString('latin1'); } catch { continue; }
    for (const r of content.matchAll(/(-?[\d.]+) (-?[\d.]+) ([\d.]+) ([\d.]+) re/g)) {
      const [x, y, w, h] = r.slice(1, 5).map(Number);
      if (h < 5 && w >= h - 0.01) rects.push({ x, y, w, h });
    }
  }
  if (rects.length < 50) return null;
  const cell = Math.min(...rects.map((q) => q.h));
  const minX = Math.min(...rects.map((q) => q.x));
  const minY = Math.min(...rects.map((q) => q.y));
  const cols = Math.round((Math.max(...rects.map((q) => q.x + q.w)) - minX) / cell);
  const rows = Math.round((Math.max(...rects.map((q) => q.y)) - minY) / cell) + 1;
  const scale = 8;
  const quiet = 4;
  const w = (cols + 2 * quiet) * scale;
  const h = (rows + 2 * quiet) * scale;
  const img = new Uint8ClampedArray(w * h * 4).fill(255);
  for (const q of rects) {
    const c0 = Math.round((q.x - minX) / cell) + quiet;
    const r0 = Math.round((q.y - minY) / cell) + quiet;
    const span = Math.round(q.w / cell);
    for (let dy = 0; dy < scale; dy++) {
      for (let dx = 0; dx < span * scale; dx++) {
        const i = (((r0 * scale + dy) * w) + c0 * scale + dx) * 4;
        img[i] = img[i + 1] = img[i + 2] = 0;
      }
    }
  }
  return jsQR(img, w, h)?.data ?? null;
}

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let campaign: TemplateVersion;
let dues: TemplateVersion;
beforeAll(async () => {
  t = await createTestHub({ env: { UNION_PHONE: '22 11 22 11' } });
  api = await startApi(t.hub);
  await syncBuiltInTemplates(t.hub);
  campaign = await loadLatestVersionByKey(t.hub.db, 'campaign');
  dues = await loadLatestVersionByKey(t.hub.db, 'dues_reminder');
});
afterAll(async () => { await api.close(); await t.close(); });

function recipient(language: 'nb' | 'nn' | 'en', code: LetterRecipient['preferenceCode'] = null): LetterRecipient {
  return {
    memberNumber: 'M00042', addressLines: ['Storgata 1'], postcode: '0150', place: 'Oslo', language,
    fields: { ...mergeFieldsFromMember({ firstName: 'Åse', lastName: 'Brevik', memberNumber: 'M00042' }), links: { action: 'https://kampanje.example/bli-med', payment: 'https://min.example/betal' } },
    preferenceCode: code,
  };
}

describe('letters carry a way out', () => {
  test('a declinable letter prints the short preference address, the personal code, its expiry, post and phone, and a QR code that opens /p/<code>', async () => {
    const m = await insertMember(t.hub.db);
    const codes = await issueLetterCodes(t.hub.db, t.config, [m.id], new Date('2026-11-22T10:00:00Z'));
    const c = codes.get(m.id)!;
    expect(c.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{12}$/);
    const { pdf } = await renderLetter(t.hub, campaign, recipient('nb', c), { date: new Date('2026-11-22T10:00:00Z') });
    const text = pdfText(pdf);
    expect(text).toContain('Vil du ikke ha slike brev?');
    expect(text).toContain('Gå til 127.0.0.1:3999/p og skriv inn koden din');
    expect(text).toContain(c.code.match(/.{4}/g)!.join('-'));
    expect(text).toContain('Koden gjelder til 21. mai 2027');
    expect(text).toContain('skrive til Budstikke-forbundet, Postboks 1234 Sentrum, 0104 OSLO eller ringe 22 11 22 11');
    expect(decodeQr(pdf)).toBe(`http://127.0.0.1:3999/p/${c.code}`);
  });

  test('nynorsk and English letters say the same in their language', async () => {
    const c = { code: 'ABCDEFGHJKMN', expiresAt: new Date('2027-05-21T00:00:00Z') };
    const nn = pdfText((await renderLetter(t.hub, campaign, recipient('nn', c))).pdf);
    expect(nn).toContain('Vil du ikkje ha slike brev?');
    expect(nn).toContain('Du kan òg melde deg av ved å skrive til');
    expect(nn).toContain('Koden gjeld til 21. mai 2027');
    const en = pdfText((await renderLetter(t.hub, campaign, recipient('en', c))).pdf);
    expect(en).toContain('Go to 127.0.0.1:3999/p and enter your code');
    expect(en).toContain('ABCD-EFGH-JKMN');
    expect(en).toContain('or by calling 22 11 22 11');
  });

  test('a letter that cannot be declined prints how to change the channel, and no code or QR code', async () => {
    const { pdf } = await renderLetter(t.hub, dues, recipient('nb', { code: 'ABCDEFGHJKMN', expiresAt: new Date('2027-05-21T00:00:00Z') }));
    const text = pdfText(pdf);
    expect(text).toContain('kan ikke velges bort');
    expect(text).toContain('Vil du heller få slike meldinger på e-post eller SMS, kan du velge det på 127.0.0.1:3999/p eller ringe 22 11 22 11');
    expect(text).not.toContain('ABCD-EFGH-JKMN');
    expect(text).not.toContain('Vil du ikke ha slike brev?');
    expect(decodeQr(pdf)).toBeNull();
  });
});

describe('letter codes at /p', () => {
  test('codes are HMAC-derived, typeable, and read back however they are typed', () => {
    const a = letterCodeFor(t.config, 1, '2026-11-22');
    expect(a).toHaveLength(12);
    expect(letterCodeFor(t.config, 1, '2026-11-22')).toBe(a);
    expect(letterCodeFor(t.config, 2, '2026-11-22')).not.toBe(a);
    expect(letterCodeFor({ linkSigningKeys: [{ kid: 'x', secret: 'another-secret-another-secret-000' }] }, 1, '2026-11-22')).not.toBe(a);
    expect(normaliseLetterCode(' abcd-efgh-jkmn ')).toBe('ABCDEFGHJKMN');
    expect(normaliseLetterCode('ABCD EFGH JKMO')).toBe('ABCDEFGHJKM0');
    expect(normaliseLetterCode('ABCD-EFGH-JKM')).toBeNull();
    expect(normaliseLetterCode('ABCD-EFGH-JKMU')).toBeNull();
  });

  test('the code opens the member preference centre (typed or from the QR code); changes are recorded as letter_code; an expired or unknown code is refused', async () => {
    const m = await insertMember(t.hub.db, { email: null });
    const clock = t.clock as FixedClock;
    const { code } = (await issueLetterCodes(t.hub.db, t.config, [m.id], clock.now())).get(m.id)!;
    const typed = await fetch(`${api.url}/p`, { method: 'POST', body: new URLSearchParams({ code: `${code.slice(0, 4).toLowerCase()} ${code.slice(4, 8)}-${code.slice(8)}`, lang: 'nb' }), redirect: 'manual' });
    expect(typed.status).toBe(303);
    expect(typed.headers.get('location')).toBe(`/p/${code}?lang=nb`);
    const open = await fetch(`${api.url}/p/${code}`, { redirect: 'manual' });
    expect(open.status).toBe(303);
    const session = api.url + open.headers.get('location')!;
    const html = await (await fetch(session)).text();
    expect(html).toContain('name="c.magazine.letter" value="1" checked');
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    const action = /<form method="post" action="([^"]+)"/.exec(html)![1];
    const saved = await fetch(api.url + action, { method: 'POST', body: new URLSearchParams([['csrf', csrf], ['shown', 'magazine.letter']]) });
    expect(saved.status).toBe(200);
    const ev = await t.hub.db.many('SELECT category, channel, granted, source FROM consent_events WHERE member_id = $1', [m.id]);
    expect(ev).toEqual([{ category: 'magazine', channel: 'letter', granted: false, source: 'letter_code' }]);

    const unknown = await fetch(`${api.url}/p/${code.slice(0, 11)}${code[11] === 'Z' ? 'Y' : 'Z'}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('Koden er feil eller utløpt');
    const before = clock.now();
    try {
      clock.advance(181 * 86_400_000);
      expect((await fetch(`${api.url}/p/${code}`, { redirect: 'manual' })).status).toBe(404);
    } finally {
      clock.set(before);
    }
    const bad = await fetch(`${api.url}/p`, { method: 'POST', body: new URLSearchParams({ code: 'not-a-code' }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('aria-invalid="true"');
  });
});
