/**
 * Rendering throughput.
 *
 *   npm run bench -- render            (or: npx tsx bench/render.ts)
 *   options: --merges 50000 --letters 10000 --only all|email|letters --kinds dues,campaign --floors same,plain|none --repeat 3 [--keep]
 *   profile: node --import tsx --cpu-prof --cpu-prof-dir=/tmp/p bench/render.ts --only letters --floors none --kinds campaign
 *
 * - mjml_compile_ms: one cold compile of a template version in one language (MJML strict →
 *   HTML → plain text → Handlebars), median of 5 (each a new version id, so nothing is cached).
 * - email_merges_per_s: members per second through renderEmailBatch (batches of 1000, members in
 *   nb/nn/en, each with their own fields and signed links): the per-member work of a campaign.
 *   Also shown: complete per-member bodies (html + text + subject) per second, for comparison.
 * - letters: a print run of N letters (one PDF streamed to disk + manifest), twice: dues reminders
 *   (not declinable: the channel note at the end; keys letters_*) and campaign letters (declinable:
 *   the preference box with a personal code and its QR code; keys qr_letters_*). 300 letters are
 *   rendered first as a warm-up; then `--repeat` rounds (default 3) of our run and the floors,
 *   alternated, medians reported. Two floors, each in the same run:
 *   - same pages (the target): bare pdfkit drawing exactly the pages the run drew (the same
 *     strings at the same positions in the same fonts, lines and boxes, the QR codes from
 *     precomputed module matrices as one path each), recorded in an untimed pass; see recordPages.
 *   - plain text (the earlier floor, for comparison): one heading and one paragraph per page.
 * Prints one JSON line, then a short table. Needs no database: it renders the built-in
 * templates from templates/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import { parse } from 'csv-parse/sync';
import { loadConfig } from '../src/config';
import { toSendgridBody } from '../src/providers';
import {
  clearEmailCache, compileEmail, preferenceCodeUrl, readBuiltInTemplates, renderEmailBatch, renderLetterRun, LETTER_FONTS, type EmailRecipient, type LetterRecipient,
  type MergeFields, type TemplateVersion,
} from '../src/render';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const env = { config };
const builtIns = readBuiltInTemplates();
let nextId = 1_000_000;
function version(key: string, declinable: boolean): TemplateVersion {
  const b = builtIns.find((x) => x.key === key)!;
  return { id: nextId++, templateId: 1, key: b.key, name: b.name, category: b.category, declinable, version: 1, languages: b.languages };
}

const FIRST = ['Kari', 'Ola', 'Åse', 'Øystein', 'Bjørg', 'Per', 'Ingrid', 'Mohammed', 'Anna', 'Ærlend'];
const LAST = ['Nordmann', 'Hansen', 'Sæther', 'Ødegård', 'Berg', 'Ali', 'Johansen', 'Dahl', 'Lie', 'Bakke'];
function fieldsFor(i: number): MergeFields {
  return {
    firstName: FIRST[i % 10], lastName: `${LAST[(i * 7) % 10]}`, memberNumber: String(100000 + i),
    workplace: i % 4 ? `Verksted ${i % 97}` : '', employer: `Industri ${i % 13} AS`, municipality: 'Oslo', county: 'Oslo',
    branch: `Avdeling ${i % 11}`, club: i % 3 ? `Klubb ${i % 17}` : '', agreement: 'Industrioverenskomsten',
    unsubscribeUrl: `https://hub.example.no/u/${(i * 2654435761 >>> 0).toString(36)}.${i.toString(36)}.c42.campaign.email.sig${i % 1000}`,
    preferencesUrl: `https://hub.example.no/p/${(i * 40503 >>> 0).toString(36)}.${i.toString(36)}.sig${i % 997}`,
    links: {},
  };
}

async function benchCompile(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    clearEmailCache();
    const v = version('campaign', true);
    const t0 = performance.now();
    await compileEmail(v, 'nb', { declinable: true, unionName: config.unionName });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[2];
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1e6;
}

async function benchMerges(total: number): Promise<{ perS: number; perCpuS: number; fullPerS: number; bytesPerRequest: number }> {
  const v = version('campaign', true);
  const links = { action: 'https://kampanje.example.no/bli-med' };
  const langs = ['nb', 'nb', 'nb', 'nb', 'nn', 'en'];
  const batches: EmailRecipient[][] = [];
  for (let b = 0; b < Math.ceil(total / 1000); b++) {
    batches.push(Array.from({ length: 1000 }, (_, j) => {
      const i = b * 1000 + j;
      return { sendLogId: i + 1, email: `m${i}@example.no`, language: langs[i % langs.length], fields: fieldsFor(i) };
    }));
  }
  // warm-up: compile every language, let the JIT settle
  for (let k = 0; k < 3; k++) await renderEmailBatch(env, v, batches[0], { links });
  let bytes = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (const batch of batches) {
    const reqs = await renderEmailBatch(env, v, batch, { links });
    bytes += reqs.reduce((a, r) => a + r.message.recipients.length, 0);
  }
  const mergeS = (performance.now() - t0) / 1000;
  const mergeCpuS = cpuSince(c0);
  const sample = await renderEmailBatch(env, v, batches[0], { links });
  const bytesPerRequest = Math.max(...sample.map((r) => JSON.stringify(toSendgridBody(r.message)).length));

  // For comparison: complete per-member bodies (what per-recipient requests would need).
  const c = await compileEmail(v, 'nb', { declinable: true, unionName: config.unionName });
  const n = Math.min(total, 20_000);
  let sink = 0;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    const f = fieldsFor(i);
    sink += c.html(f, links).length + c.text(f, links).length + c.subject(f, links).length;
  }
  const fullS = (performance.now() - t1) / 1000;
  if (sink < 0 || bytes !== batches.length * 1000) throw new Error('unexpected');
  return { perS: (batches.length * 1000) / mergeS, perCpuS: (batches.length * 1000) / mergeCpuS, fullPerS: n / fullS, bytesPerRequest };
}

// Letters get a realistic public address and phone (the preference box prints both).
const letterEnv = { config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PUBLIC_BASE_URL: 'https://medlem.budstikke.no', UNION_PHONE: '22 11 22 11' }) };
const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function letterRecipients(n: number, withCodes: boolean): LetterRecipient[] {
  return Array.from({ length: n }, (_, i) => ({
    memberNumber: String(100000 + i),
    addressLines: [`${['Storgata', 'Kirkeveien', 'Bjørnstjerne Bjørnsons gate', 'Øvre Slottsgate'][i % 4]} ${1 + (i % 120)}`],
    postcode: String(1 + ((i * 7919) % 9990)).padStart(4, '0'),
    place: ['OSLO', 'BERGEN', 'TRONDHEIM', 'TROMSØ', 'BÆRUM'][i % 5],
    language: ['nb', 'nb', 'nn', 'en'][i % 4],
    fields: { ...fieldsFor(i), links: { payment: 'https://min.example.no/betal', action: 'https://kampanje.example.no/bli-med' } },
    // a distinct personal code per member, as src/consent issues them (12 characters of Crockford's base 32)
    preferenceCode: withCodes
      ? { code: Array.from({ length: 12 }, (_, k) => CODE_ALPHABET[((i + 1) * 2654435761 * (k + 7) >>> (k % 5)) % 32]).join(''), expiresAt: new Date('2027-05-21T00:00:00Z') }
      : null,
  }));
}

/**
 * The "same pages" floor. One untimed pass of our renderer records, per page, the pdfkit drawing
 * calls it made (outermost calls only: text with its final string, position and options, font and
 * size, colours, lines and boxes); the QR code's position is recorded and its module matrix is
 * computed up front with `qrcode`. The floor then draws exactly those pages with bare pdfkit: the
 * same strings at the same positions in the same fonts, each QR code as one path of horizontal
 * runs (in module units, one transform) with one fill, pages in order. What it leaves out is ours:
 * merging, templates, layout decisions and measuring, the page-number pass over buffered pages,
 * the preference box's sizing, generating the QR codes, the manifest.
 */
type Op =
  | { op: 'font'; name: string } | { op: 'size'; size: number } | { op: 'fillColor'; color: string }
  | { op: 'text'; s: string; x?: number; y?: number; opts?: Record<string, unknown> }
  | { op: 'call'; name: string; args: unknown[] }
  | { op: 'qr'; x: number; y: number; size: number };
interface Recording { pageOpts: unknown[]; pages: Op[][] }

const RECORDED = ['addPage', 'switchToPage', 'font', 'fontSize', 'fillColor', 'text', 'moveTo', 'lineTo', 'lineWidth', 'stroke', 'roundedRect', 'rect', 'fill', 'save', 'restore'] as const;

async function recordPages(v: TemplateVersion, recipients: LetterRecipient[], dir: string, date: Date): Promise<Recording> {
  const proto = (PDFDocument as any).prototype;
  const saved = new Map<string, any>(RECORDED.map((m) => [m, proto[m]]));
  const rec: Recording = { pageOpts: [], pages: [] };
  let cur: Op[] = [];
  let depth = 0;
  let qr: { depth: number } | null = null;
  let saves = 0;
  let pendingWhite: { x: number; y: number; size: number } | null = null;
  for (const m of RECORDED) {
    proto[m] = function (this: any, ...args: any[]) {
      if (depth === 0) {
        if (m === 'addPage') { rec.pageOpts.push(args[0]); rec.pages.push((cur = [])); }
        else if (m === 'switchToPage') cur = rec.pages[args[0]];
        else if (qr) { if (m === 'restore' && --saves === qr.depth) { qr = null; } else if (m === 'save') saves++; }
        else if (m === 'font') cur.push({ op: 'font', name: args[0] });
        else if (m === 'fontSize') cur.push({ op: 'size', size: args[0] });
        else if (m === 'fillColor') cur.push({ op: 'fillColor', color: args[0] });
        else if (m === 'text') {
          const [s, a, b, c] = args;
          if (a !== null && typeof a === 'object') cur.push({ op: 'text', s, opts: { ...a } });
          else cur.push({ op: 'text', s, x: a, y: b, opts: c ? { ...c } : undefined });
        } else if (m === 'rect' && args[2] === args[3] && args[2] > 50) {
          pendingWhite = { x: args[0], y: args[1], size: args[2] }; // the QR code's white square
        } else if (m === 'fill' && pendingWhite && args[0] === '#ffffff') {
          const last = cur[cur.length - 1];
          if (last?.op === 'call' && last.name === 'save') cur.pop(); // the QR op draws its own save/restore
          cur.push({ op: 'qr', ...pendingWhite });
          qr = { depth: saves - 1 };
          pendingWhite = null;
        } else {
          if (m === 'save') saves++;
          if (m === 'restore') saves--;
          cur.push({ op: 'call', name: m, args });
        }
      }
      depth++;
      try { return saved.get(m).apply(this, args); } finally { depth--; }
    };
  }
  try {
    await renderLetterRun(letterEnv, v, recipients, dir, { name: 'bench-record', date });
  } finally {
    for (const [m, f] of saved) proto[m] = f;
  }
  return rec;
}

function drawRecordedPages(rec: Recording, qrByPage: Map<number, { size: number; data: Uint8Array }>, file: string): Promise<unknown> {
  const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, compress: true });
  doc.registerFont('R', LETTER_FONTS.regular);
  doc.registerFont('B', LETTER_FONTS.bold);
  doc.registerFont('M', LETTER_FONTS.mono);
  const out = fs.createWriteStream(file);
  doc.pipe(out);
  let font = '';
  let size = 0;
  rec.pages.forEach((ops, p) => {
    doc.addPage(rec.pageOpts[p] as PDFKit.PDFDocumentOptions);
    for (const o of ops) {
      switch (o.op) {
        case 'font': if (o.name !== font) doc.font((font = o.name)); break;
        case 'size': if (o.size !== size) doc.fontSize((size = o.size)); break;
        case 'fillColor': doc.fillColor(o.color); break;
        case 'text': if (o.x === undefined && o.y === undefined) doc.text(o.s, o.opts as PDFKit.Mixins.TextOptions); else doc.text(o.s, o.x, o.y, o.opts as PDFKit.Mixins.TextOptions); break;
        case 'call': (doc as any)[o.name](...o.args); break;
        case 'qr': {
          // the cheapest bare form (the same as the renderer's): the runs of dark modules of each
          // row as one path in module units under one transform, one fill
          const m = qrByPage.get(p)!;
          const cell = o.size / (m.size + 8);
          doc.save();
          doc.rect(o.x, o.y, o.size, o.size).fill('#ffffff');
          let d = '';
          for (let r = 0; r < m.size; r++) {
            for (let c = 0; c < m.size; c++) {
              if (!m.data[r * m.size + c]) continue;
              let e = c + 1;
              while (e < m.size && m.data[r * m.size + e]) e++;
              d += `${c} ${r} ${e - c} 1 re\n`;
              c = e;
            }
          }
          doc.fillColor('#000000');
          doc.transform(cell, 0, 0, cell, o.x + 4 * cell, o.y + 4 * cell);
          doc.addContent(d.slice(0, -1));
          doc.fill();
          doc.restore();
          break;
        }
      }
    }
  });
  doc.end();
  return once(out, 'finish');
}

interface LetterFigures { kind: string; wallS: number; cpuS: number; sameS: number; sameCpuS: number; plainS: number; plainCpuS: number; ratioSameCpu: number[]; pages: number; mb: number; peakRssMb: number; rssBeforeMb: number }

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[(s.length - 1) >> 1] : NaN; };

async function timed(fn: () => Promise<unknown>): Promise<{ wallS: number; cpuS: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await fn();
  return { wallS: (performance.now() - t0) / 1000, cpuS: cpuSince(c0) };
}

/** The earlier floor, kept for comparison: one heading and one paragraph of plain text per page, same fonts, streamed to disk. Not the same pages. */
async function drawPlainPages(pages: number, file: string): Promise<void> {
  const text = 'Vi har ikke registrert betaling av kontingenten din for medlemskapet. Kontingenten går til arbeidet for lønn og arbeidsvilkår, og den gir deg tilgang til juridisk bistand, forsikringer og kurs. '.repeat(6);
  const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, compress: true });
  doc.registerFont('R', LETTER_FONTS.regular);
  doc.registerFont('B', LETTER_FONTS.bold);
  const out = fs.createWriteStream(file);
  doc.pipe(out);
  for (let p = 0; p < pages; p++) {
    doc.addPage();
    doc.font('B').fontSize(14).text(`Side ${p + 1}`);
    doc.font('R').fontSize(10.5).text(text);
  }
  doc.end();
  await once(out, 'finish');
}

/**
 * One kind of letter: a warm-up of 300 letters, then `repeat` rounds of [our print run, the
 * same-pages floor, the plain-text floor], alternated so that load on a shared machine falls on all
 * three alike; medians are reported. The pages are recorded for the same floor (untimed) after our
 * first round, whose peak RSS is the one reported.
 */
async function benchLetters(kind: 'dues' | 'campaign', n: number, dir: string, floors: Set<string>, repeat: number): Promise<LetterFigures> {
  const v = kind === 'dues' ? version('dues_reminder', false) : version('campaign', true);
  const recipients = letterRecipients(n, kind === 'campaign');
  const date = new Date('2026-11-22T10:00:00Z');
  // Warm-up (JIT, font loading) so that neither our run nor the floors pay it.
  await renderLetterRun(letterEnv, v, recipients.slice(0, Math.min(300, n)), dir, { name: 'bench-warm', date });

  let rec: Recording | null = null;
  const qrByPage = new Map<number, { size: number; data: Uint8Array }>();
  const record = async (): Promise<Recording> => {
    // Untimed: record the pages and compute every QR matrix, for bare pdfkit to draw them.
    const rec = await recordPages(v, recipients, dir, date);
    const manifest = parse(fs.readFileSync(path.join(dir, 'bench-record.csv'), 'utf8'), { from_line: 2 }) as string[][];
    const byNumber = new Map(recipients.map((r) => [r.memberNumber, r]));
    for (const row of manifest) {
      const r = byNumber.get(row[1])!;
      if (!r.preferenceCode) continue;
      const { modules } = QRCode.create(preferenceCodeUrl(letterEnv.config.publicBaseUrl, r.preferenceCode.code), { errorCorrectionLevel: 'M' });
      qrByPage.set(Number(row[6]) - 1, { size: modules.size, data: modules.data });
    }
    let qrOps = 0;
    for (const ops of rec.pages) qrOps += ops.filter((o) => o.op === 'qr').length;
    if (qrOps !== qrByPage.size) throw new Error(`recorded ${qrOps} QR codes, expected ${qrByPage.size}`);
    return rec;
  };
  const ours: { wallS: number; cpuS: number }[] = [];
  const same: { wallS: number; cpuS: number }[] = [];
  const plain: { wallS: number; cpuS: number }[] = [];
  let pages = 0;
  let bytes = 0;
  let peak = 0;
  // RSS when our first round starts: a kind benched after another starts with the earlier kind's
  // heap (its recorded pages, freed but not yet given back to the system) in the process
  const rssBefore = process.memoryUsage().rss;
  for (let i = 0; i < repeat; i++) {
    const timer = setInterval(() => { if (i === 0) peak = Math.max(peak, process.memoryUsage().rss); }, 50);
    ours.push(await timed(async () => {
      const out = await renderLetterRun(letterEnv, v, recipients, dir, { name: `bench-${kind}`, date });
      pages = out.pages;
      bytes = out.bytes;
    }));
    clearInterval(timer);
    // peak RSS from the first round only: from then on the floor's recorded pages are in memory too
    if (i === 0) peak = Math.max(peak, process.memoryUsage().rss);
    if (i === 0 && floors.has('same')) rec = await record();
    if (rec) {
      if (rec.pages.length !== pages) throw new Error(`recorded ${rec.pages.length} pages, the run had ${pages}`);
      const r = rec;
      same.push(await timed(() => drawRecordedPages(r, qrByPage, path.join(dir, `bench-same-${kind}.pdf`))));
    }
    if (floors.has('plain')) plain.push(await timed(() => drawPlainPages(pages, path.join(dir, `bench-floor-${kind}.pdf`))));
  }
  return {
    kind, pages, mb: bytes / 1e6, peakRssMb: Math.round(peak / 1e6), rssBeforeMb: Math.round(rssBefore / 1e6),
    wallS: median(ours.map((x) => x.wallS)), cpuS: median(ours.map((x) => x.cpuS)),
    sameS: median(same.map((x) => x.wallS)), sameCpuS: median(same.map((x) => x.cpuS)),
    plainS: median(plain.map((x) => x.wallS)), plainCpuS: median(plain.map((x) => x.cpuS)),
    ratioSameCpu: same.map((x, i) => r2(ours[i].cpuS / x.cpuS)),
  };
}

function strFlag(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? String(process.argv[i + 1]) : def;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const only = strFlag('only', 'all');
  const merges = flag('merges', 50_000);
  const letters = flag('letters', 10_000);
  const kinds = strFlag('kinds', 'dues,campaign').split(',').filter(Boolean) as ('dues' | 'campaign')[];
  const floors = new Set(strFlag('floors', 'same,plain').split(','));
  const repeat = flag('repeat', 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-render-'));
  const load = () => os.loadavg().map((x) => Math.round(x * 10) / 10);
  const loadStart = load();
  try {
    const result: Record<string, unknown> = { bench: 'render' };
    const rows: [string, string, string][] = [];
    if (only !== 'letters') {
      const compileMs = await benchCompile();
      const m = await benchMerges(merges);
      Object.assign(result, {
        email_merges_per_s: Math.round(m.perS), email_merges_per_cpu_s: Math.round(m.perCpuS), email_full_bodies_per_s: Math.round(m.fullPerS),
        mjml_compile_ms: Math.round(compileMs * 10) / 10,
      });
      rows.push(
        ['email merges/s (batch, substitutions)', String(result.email_merges_per_s), '>= 50,000'],
        ['  same, per CPU-second (one core)', String(result.email_merges_per_cpu_s), ''],
        ['email full bodies/s (per-member html+text)', String(result.email_full_bodies_per_s), '(comparison)'],
        ['largest SendGrid request (1000 members)', `${(m.bytesPerRequest / 1e6).toFixed(2)} MB`, '< 20 MB'],
        ['MJML compile, one version+language', `${result.mjml_compile_ms} ms`, 'once per version'],
      );
    }
    if (only !== 'email') {
      result.letters = letters;
    result.letter_rounds = repeat;
      for (const kind of kinds) {
        const l = await benchLetters(kind, letters, dir, floors, repeat);
        // dues reminders keep the keys of earlier runs (letters_*); the declinable letters with a
        // personal code and QR code are qr_letters_*.
        const k = kind === 'dues' ? 'letters' : 'qr_letters';
        Object.assign(result, {
          [`${k}_template`]: kind === 'dues' ? 'dues_reminder (not declinable)' : 'campaign (declinable: code + QR)',
          [`${k}_pages`]: l.pages,
          [`${k}_wall_s`]: r2(l.wallS), [`${k}_cpu_s`]: r2(l.cpuS),
          [`${k}_cpu_ms_per_letter`]: r2((l.cpuS * 1000) / letters),
          // The target's floor: bare pdfkit drawing the same pages.
          [`${k}_same_floor_s`]: r2(l.sameS), [`${k}_same_floor_cpu_s`]: r2(l.sameCpuS),
          [`${k}_ratio_same_wall`]: r2(l.wallS / l.sameS), [`${k}_ratio_same_cpu`]: r2(l.cpuS / l.sameCpuS),
          [`${k}_ratio_same_cpu_rounds`]: l.ratioSameCpu,
          // The earlier floor (plain heading + paragraph per page), for comparison.
          [`${k}_floor_s`]: r2(l.plainS), [`${k}_floor_cpu_s`]: r2(l.plainCpuS),
          [`${k}_ratio_wall`]: r2(l.wallS / l.plainS), [`${k}_ratio_cpu`]: r2(l.cpuS / l.plainCpuS),
          [`${k}_pdf_mb`]: Math.round(l.mb * 10) / 10, [`${k}_peak_rss_mb`]: l.peakRssMb, [`${k}_rss_before_mb`]: l.rssBeforeMb,
        });
        const name = kind === 'dues' ? 'dues reminders' : 'declinable letters (code + QR)';
        rows.push(
          [`${name}: ${letters} (${l.pages} pages), median of ${repeat}`, `${r2(l.wallS)} s wall, ${r2(l.cpuS)} CPU-s`, '<= 30 s'],
          ['  floor, same pages (bare pdfkit, same strings/positions/fonts/QR)', `${r2(l.sameS)} s, ${r2(l.sameCpuS)} CPU-s`, ''],
          ['  ratio to the same-pages floor, wall / CPU', `${r2(l.wallS / l.sameS)}× / ${r2(l.cpuS / l.sameCpuS)}×`, '<= 1.3× (issue 15)'],
          ['  CPU ratio to the same-pages floor, each round', l.ratioSameCpu.map((x) => `${x}×`).join(' '), ''],
          ['  floor, plain text (heading + paragraph per page)', `${r2(l.plainS)} s, ${r2(l.plainCpuS)} CPU-s`, '(comparison)'],
          ['  ratio to the plain-text floor, wall / CPU', `${r2(l.wallS / l.plainS)}× / ${r2(l.cpuS / l.plainCpuS)}×`, ''],
          ['  PDF size / peak RSS of the run (RSS when it started)', `${Math.round(l.mb * 10) / 10} MB / ${l.peakRssMb} MB (${l.rssBeforeMb} MB)`, 'run kinds alone (--kinds) for a print run\'s own peak'],
        );
      }
    }
    result.load_average_start = loadStart;
    result.load_average = load();
    rows.push(['load average (1, 5, 15 min) start → end', `${loadStart.join(', ')} → ${load().join(', ')}`, `${os.cpus().length} cores`]);
    console.log(JSON.stringify(result));
    const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
    for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2]}`);
  } finally {
    if (process.argv.includes('--keep')) console.log(`kept: ${dir}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
