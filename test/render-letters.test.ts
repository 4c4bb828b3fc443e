import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { createTestHub, type TestHub } from './helpers/hub';
import {
  ADDRESS_WINDOW_MM, MM, letterDate, loadLatestVersionByKey, mergeFieldsFromMember, renderLetter, renderLetterRun, syncBuiltInTemplates,
  writeAddressList, qrSymbol, type LetterRecipient, type TemplateVersion,
} from '../src/render';
import QRCode from 'qrcode';

/**
 * Text and positions of a PDF, read with pdfjs-dist in a child node process (its ESM build does
 * not load under jest's CommonJS transform). Positions are converted to millimetres from the
 * page's top-left corner; `top` is the baseline minus the font size.
 */
interface PdfItem { str: string; x: number; right: number; baseline: number; top: number }
const PDF_TEXT = `
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import fs from 'node:fs';
const data = new Uint8Array(fs.readFileSync(process.argv[1]));
const doc = await getDocument({ data, verbosity: 0, disableFontFace: true }).promise;
const pages = [];
for (let i = 1; i <= doc.numPages; i++) {
  const p = await doc.getPage(i);
  const vp = p.getViewport({ scale: 1 });
  const tc = await p.getTextContent();
  pages.push({ height: vp.height, items: tc.items.filter((it) => it.str && it.str.trim()).map((it) => ({ str: it.str, x: it.transform[4], y: it.transform[5], w: it.width, h: it.height })) });
}
process.stdout.write(JSON.stringify(pages));
`;
function readPdf(file: string): PdfItem[][] {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', PDF_TEXT, file], { cwd: path.join(__dirname, '..'), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`pdfjs failed: ${out.stderr}`);
  const pages = JSON.parse(out.stdout) as { height: number; items: { str: string; x: number; y: number; w: number; h: number }[] }[];
  return pages.map((p) => p.items.map((it) => ({
    str: it.str, x: it.x / MM, right: (it.x + it.w) / MM, baseline: (p.height - it.y) / MM, top: (p.height - it.y - it.h) / MM,
  })));
}

function insideWindow(it: PdfItem): boolean {
  const w = ADDRESS_WINDOW_MM;
  return it.x >= w.x && it.right <= w.x + w.width && it.top >= w.y && it.baseline <= w.y + w.height;
}

let t: TestHub;
let dues: TemplateVersion;
let tmp: string;
const DATE = new Date('2026-11-22T10:00:00Z');

function recipient(i: number, over: Partial<LetterRecipient> = {}, club = ''): LetterRecipient {
  const first = ['Åse', 'Øystein', 'Kari', 'Ola', 'Bjørg', 'Ærlend'][i % 6];
  return {
    memberNumber: `M${String(i).padStart(5, '0')}`,
    addressLines: [`Gjøvikgata ${i}`],
    postcode: String(1000 + ((i * 7919) % 9000)).padStart(4, '0'),
    place: 'Bærum',
    language: 'nb',
    fields: {
      ...mergeFieldsFromMember({ firstName: first, lastName: `Sæther${i}`, memberNumber: `M${String(i).padStart(5, '0')}`, club }),
      links: { payment: 'https://min.example.no/betal' },
    },
    ...over,
  };
}

beforeAll(async () => {
  t = await createTestHub();
  await syncBuiltInTemplates(t.hub);
  dues = await loadLatestVersionByKey(t.hub.db, 'dues_reminder');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-letters-'));
});
afterAll(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  await t.close();
});

describe('letters', () => {
  test('the date is written the Norwegian way', () => {
    expect(letterDate(DATE, 'nb')).toBe('22. november 2026');
    expect(letterDate(DATE, 'nn')).toBe('22. november 2026');
    expect(letterDate(DATE, 'en')).toBe('22 November 2026');
  });

  test('name and address sit inside the envelope window; return address, date, body with æøå and page number are there', async () => {
    const r = recipient(1, { name: 'Åse Ødegård Bækkelund', addressLines: ['c/o Ærlig', 'Øvre Slottsgate 12 B'], postcode: '0157', place: 'Oslo' });
    const { pdf, pages } = await renderLetter(t.hub, dues, r, { date: DATE });
    expect(pages).toBe(1);
    const file = path.join(tmp, 'one.pdf');
    fs.writeFileSync(file, pdf);
    const [page] = readPdf(file);
    const find = (s: string) => page.find((it) => it.str === s);
    for (const line of ['Åse Ødegård Bækkelund', 'c/o Ærlig', 'Øvre Slottsgate 12 B', '0157 OSLO']) {
      const it = find(line);
      expect({ line, found: !!it }).toEqual({ line, found: true });
      expect({ line, inside: insideWindow(it!), at: it }).toEqual({ line, inside: true, at: it });
    }
    const ret = find(t.config.unionReturnAddress.join(', '))!;
    expect(insideWindow(ret)).toBe(true);
    // nothing else is printed in the window
    const inWindow = page.filter(insideWindow).map((it) => it.str);
    expect(inWindow).toEqual([ret.str, 'Åse Ødegård Bækkelund', 'c/o Ærlig', 'Øvre Slottsgate 12 B', '0157 OSLO']);
    expect(find('22. november 2026')).toBeDefined();
    expect(find('Medlemsnummer: M00001')).toBeDefined();
    expect(find('Påminnelse om kontingent')).toBeDefined();
    expect(page.map((it) => it.str).join(' ')).toContain('juridisk bistand i saker om arbeidsforholdet ditt');
    expect(find('Side 1 av 1')).toBeDefined();
  });

  test('a print run: one PDF in postcode order and a manifest whose page ranges match the PDF', async () => {
    // A letter long enough to run over pages for members of a club.
    const para = (i: number) => `{{#if club}}Avsnitt ${i} for klubben {{club}}: ${'Tariffoppgjøret gjelder lønn, arbeidstid og pensjon for alle våre medlemmer. '.repeat(4)}{{/if}}`;
    const long: TemplateVersion = {
      ...dues, id: -100, key: 'long', version: 1,
      languages: { nb: { subject: null, mjml: null, sms: null, letter: `# Informasjon til {{firstName}}\n\nHei {{firstName}},\n\n${Array.from({ length: 24 }, (_, i) => para(i)).join('\n\n')}\n\nMed vennlig hilsen\n{{unionName}}` } },
    };
    const people = Array.from({ length: 24 }, (_, i) => recipient(i + 1, {}, i % 3 === 0 ? 'Klubben på verkstedet' : ''));
    const out = await renderLetterRun(t.hub, long, people, tmp, { name: 'run', date: DATE });
    expect(out.letters).toBe(24);
    const manifest = parse(fs.readFileSync(out.manifestPath, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(manifest[0])).toEqual(['sequence', 'member_number', 'name', 'postcode', 'place', 'first_page', 'last_page', 'pages']);
    expect(manifest).toHaveLength(24);
    const postcodes = manifest.map((m) => m.postcode);
    expect(postcodes).toEqual([...postcodes].sort());
    let expectFirst = 1;
    for (const m of manifest) {
      expect(Number(m.first_page)).toBe(expectFirst);
      expect(Number(m.last_page) - Number(m.first_page) + 1).toBe(Number(m.pages));
      expectFirst = Number(m.last_page) + 1;
    }
    expect(new Set(manifest.map((m) => m.pages)).size).toBeGreaterThan(1); // some letters run over a page

    const pages = readPdf(out.pdfPath);
    expect(pages).toHaveLength(out.pages);
    expect(expectFirst - 1).toBe(out.pages);
    for (const m of manifest) {
      const first = pages[Number(m.first_page) - 1];
      const nameItem = first.find((it) => it.str === m.name);
      expect({ member: m.member_number, nameInWindow: !!nameItem && insideWindow(nameItem) }).toEqual({ member: m.member_number, nameInWindow: true });
      expect(first.some((it) => it.str === `${m.postcode} BÆRUM` && insideWindow(it))).toBe(true);
      expect(first.some((it) => it.str === `Side 1 av ${m.pages}`)).toBe(true);
      const last = pages[Number(m.last_page) - 1];
      expect(last.some((it) => it.str === `Side ${m.pages} av ${m.pages}`)).toBe(true);
      // no other member's name on this letter's pages
      for (let p = Number(m.first_page); p <= Number(m.last_page); p++) {
        const others = manifest.filter((o) => o.member_number !== m.member_number).map((o) => o.name);
        expect(pages[p - 1].some((it) => others.includes(it.str))).toBe(false);
      }
    }
  });

  test('the QR code printed for a preference URL is the symbol qrcode itself makes for it (same segments, version, mask, modules)', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    let seed = 42;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    const codes = ['000000000000', '123456789012', 'ABCDEFGHJKMN', '12AB34CD56EF', 'AB1234567890', '9999ZZZZ9999'];
    for (let i = 0; i < 3000; i++) codes.push(Array.from({ length: 12 }, () => alphabet[next() % 32]).join(''));
    for (const base of ['https://medlem.budstikke.no', 'http://127.0.0.1:3999', 'https://x.example/Ærlig']) {
      for (const code of codes) {
        const url = `${base}/p/${code}`;
        const ours = qrSymbol(url);
        const theirs = QRCode.create(url, { errorCorrectionLevel: 'M' });
        const same = ours.version === theirs.version && ours.maskPattern === theirs.maskPattern
          && Buffer.compare(Buffer.from(ours.modules.data), Buffer.from(theirs.modules.data)) === 0;
        if (!same) expect({ url, version: ours.version, mask: ours.maskPattern }).toEqual({ url, version: theirs.version, mask: theirs.maskPattern });
        expect({ url, same }).toEqual({ url, same: true });
      }
    }
  });

  test('an address list for the magazine distributor, sorted by postcode', async () => {
    const entries = [
      { memberNumber: '3', name: 'Ola Berg', addressLines: ['Fjellveien 3'], postcode: '5003', place: 'Bergen' },
      { memberNumber: '1', name: 'Åse Dahl', addressLines: ['Kirkegata 1', 'Leil. H0201'], postcode: '0150', place: 'Oslo' },
      { memberNumber: '2', name: 'Kari Ås', addressLines: ['Elvegata 2'], postcode: '0150', place: 'Oslo' },
      { memberNumber: '4', name: 'Per "Pelle" Lie, jr.', addressLines: ['Storgata 4'], postcode: '9008', place: 'Tromsø' },
    ];
    const out = await writeAddressList(entries, path.join(tmp, 'magazine.csv'));
    expect(out.rows).toBe(4);
    const rows = parse(fs.readFileSync(out.path, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.postcode, r.member_number])).toEqual([['0150', '2'], ['0150', '1'], ['5003', '3'], ['9008', '4']]);
    expect(rows[1]).toEqual({ member_number: '1', name: 'Åse Dahl', address: 'Kirkegata 1', address2: 'Leil. H0201', postcode: '0150', place: 'OSLO', country: '' });
    expect(rows[3].name).toBe('Per "Pelle" Lie, jr.');
    // a stream that is not in postcode order is refused rather than handed to the distributor unsorted
    async function* unsorted() { yield entries[0]; yield entries[1]; }
    await expect(writeAddressList(unsorted(), path.join(tmp, 'bad.csv'))).rejects.toThrow(/postcode order/);
  });
});
