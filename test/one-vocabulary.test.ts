import fs from 'node:fs';
import path from 'node:path';
import { VOCABULARY, type Label } from '../src/vocabulary';

/**
 * Issue 12, "one vocabulary, one escaper": every enumeration has its labels in all three
 * languages in src/vocabulary; the browser code takes them from there rather than keeping its
 * own copies; and the server-rendered pages escape HTML with src/web/html.ts only.
 */

const ROOT = path.resolve(__dirname, '..');
const files = (dir: string, ext: RegExp): string[] => fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
  .filter((f) => ext.test(f)).map((f) => path.join(dir, f));
const read = (f: string) => fs.readFileSync(path.join(ROOT, f), 'utf8');

describe('one vocabulary, one escaper', () => {
  test('every value of every enumeration has a bokmål, nynorsk and English label', () => {
    const missing: string[] = [];
    for (const [name, values] of Object.entries(VOCABULARY)) {
      for (const [value, label] of Object.entries(values as Record<string, Label>)) {
        for (const lang of ['nb', 'nn', 'en'] as const) if (!label[lang]?.trim()) missing.push(`${name}.${value}.${lang}`);
      }
    }
    expect(missing).toEqual([]);
  });

  test('no browser script keeps its own copy of the send, campaign, reason or language labels (they come from the page’s vocabulary)', () => {
    const scripts = files('src/web/static', /\.js$/);
    const labels = ['sendState', 'campaignState', 'unreachableReason', 'consentSource', 'staffRole', 'ballotState', 'language'].flatMap((n) =>
      Object.entries(VOCABULARY[n as keyof typeof VOCABULARY] as Record<string, Label>).filter(([v, l]) => l.nb !== v && l.nb.length > 3).map(([, l]) => l.nb));
    const copies = scripts.flatMap((f) => [...new Set(labels)].filter((l) => read(f).includes(`'${l}'`)).map((l) => `${f}: '${l}'`));
    expect(copies).toEqual([]);
  });

  test('HTML is escaped by src/web/html.ts and app.js only; the XML escapers left are for TwiML and MJML, not pages', () => {
    const XML_NOT_HTML = ['src/consent/webhooks/twilio.ts', 'src/render/email.ts'];
    const escapers = [...files('src', /\.ts$/), ...files('src/web/static', /\.js$/)]
      .filter((f) => /'&amp;'/.test(read(f)))
      .filter((f) => f !== path.join('src', 'web', 'html.ts') && f !== path.join('src', 'web', 'static', 'app.js') && !XML_NOT_HTML.includes(f));
    expect(escapers).toEqual([]);
  });
});
