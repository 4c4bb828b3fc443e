/**
 * Rendering throughput.
 *
 *   npm run bench -- render            (or: npx tsx bench/render.ts)
 *   options: --merges 50000 --letters 10000
 *
 * - mjml_compile_ms: one cold compile of a template version in one language (MJML strict →
 *   HTML → plain text → Handlebars), median of 5 (each a new version id, so nothing is cached).
 * - email_merges_per_s: members per second through renderEmailBatch (batches of 1000, members in
 *   nb/nn/en, each with their own fields and signed links): the per-member work of a campaign.
 *   Also shown: complete per-member bodies (html + text + subject) per second, for comparison.
 * - letters: a print run of N letters (dues reminder, one PDF streamed to disk + manifest).
 *   Floor: pdfkit alone writing the same number of pages of plain text with the same embedded
 *   fonts to disk, in the same run.
 * Prints one JSON line, then a short table. Needs no database: it renders the built-in
 * templates from templates/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import PDFDocument from 'pdfkit';
import { loadConfig } from '../src/config';
import { toSendgridBody } from '../src/providers';
import {
  clearEmailCache, compileEmail, readBuiltInTemplates, renderEmailBatch, renderLetterRun, LETTER_FONTS, type EmailRecipient, type LetterRecipient,
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

function letterRecipients(n: number): LetterRecipient[] {
  return Array.from({ length: n }, (_, i) => ({
    memberNumber: String(100000 + i),
    addressLines: [`${['Storgata', 'Kirkeveien', 'Bjørnstjerne Bjørnsons gate', 'Øvre Slottsgate'][i % 4]} ${1 + (i % 120)}`],
    postcode: String(1 + ((i * 7919) % 9990)).padStart(4, '0'),
    place: ['OSLO', 'BERGEN', 'TRONDHEIM', 'TROMSØ', 'BÆRUM'][i % 5],
    language: ['nb', 'nb', 'nn', 'en'][i % 4],
    fields: { ...fieldsFor(i), links: { payment: 'https://min.example.no/betal' } },
  }));
}

async function benchLetters(n: number, dir: string): Promise<{ wallS: number; cpuS: number; floorS: number; floorCpuS: number; pages: number; mb: number; peakRssMb: number }> {
  const v = version('dues_reminder', false);
  const recipients = letterRecipients(n);
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = await renderLetterRun(env, v, recipients, dir, { name: 'bench-letters', date: new Date('2026-11-22T10:00:00Z') });
  const wallS = (performance.now() - t0) / 1000;
  const cpuS = cpuSince(c0);
  clearInterval(timer);

  // Floor: the same number of pages of plain text, pdfkit alone, same fonts, streamed to disk.
  const text = 'Vi har ikke registrert betaling av kontingenten din for medlemskapet. Kontingenten går til arbeidet for lønn og arbeidsvilkår, og den gir deg tilgang til juridisk bistand, forsikringer og kurs. '.repeat(6);
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, compress: true });
  doc.registerFont('R', LETTER_FONTS.regular);
  doc.registerFont('B', LETTER_FONTS.bold);
  const file = fs.createWriteStream(path.join(dir, 'bench-floor.pdf'));
  doc.pipe(file);
  for (let p = 0; p < out.pages; p++) {
    doc.addPage();
    doc.font('B').fontSize(14).text(`Side ${p + 1}`);
    doc.font('R').fontSize(10.5).text(text);
  }
  doc.end();
  await once(file, 'finish');
  const floorS = (performance.now() - t1) / 1000;
  const floorCpuS = cpuSince(c1);
  return { wallS, cpuS, floorS, floorCpuS, pages: out.pages, mb: out.bytes / 1e6, peakRssMb: Math.round(Math.max(peak, process.memoryUsage().rss) / 1e6) };
}

async function main(): Promise<void> {
  const merges = flag('merges', 50_000);
  const letters = flag('letters', 10_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-render-'));
  const loadStart = os.loadavg().map((x) => Math.round(x * 10) / 10);
  try {
    const compileMs = await benchCompile();
    const m = await benchMerges(merges);
    const l = await benchLetters(letters, dir);
    const result = {
      bench: 'render',
      email_merges_per_s: Math.round(m.perS),
      email_merges_per_cpu_s: Math.round(m.perCpuS),
      email_full_bodies_per_s: Math.round(m.fullPerS),
      mjml_compile_ms: Math.round(compileMs * 10) / 10,
      letters,
      letter_pages: l.pages,
      letters_wall_s: Math.round(l.wallS * 100) / 100,
      letters_floor_s: Math.round(l.floorS * 100) / 100,
      letters_cpu_s: Math.round(l.cpuS * 100) / 100,
      letters_floor_cpu_s: Math.round(l.floorCpuS * 100) / 100,
      // Ratios to the floor of the same run: wall (what the target names) and CPU (what load distorts least).
      letters_ratio_wall: Math.round((l.wallS / l.floorS) * 100) / 100,
      letters_ratio_cpu: Math.round((l.cpuS / l.floorCpuS) * 100) / 100,
      load_average_start: loadStart,
      load_average: os.loadavg().map((x) => Math.round(x * 10) / 10),
      letters_pdf_mb: Math.round(l.mb * 10) / 10,
      letters_peak_rss_mb: l.peakRssMb,
    };
    console.log(JSON.stringify(result));
    const rows: [string, string, string][] = [
      ['email merges/s (batch, substitutions)', String(result.email_merges_per_s), '>= 50,000'],
      ['  same, per CPU-second (one core)', String(result.email_merges_per_cpu_s), ''],
      ['email full bodies/s (per-member html+text)', String(result.email_full_bodies_per_s), '(comparison)'],
      ['largest SendGrid request (1000 members)', `${(m.bytesPerRequest / 1e6).toFixed(2)} MB`, '< 20 MB'],
      ['MJML compile, one version+language', `${result.mjml_compile_ms} ms`, 'once per version'],
      [`letters: ${letters} (${l.pages} pages)`, `${result.letters_wall_s} s`, '<= 30 s'],
      ['letters floor: pdfkit plain text, same pages', `${result.letters_floor_s} s`, ''],
      ['letters / floor, CPU seconds', `${result.letters_cpu_s} s / ${result.letters_floor_cpu_s} s`, ''],
      ['letters / floor ratio, wall / CPU', `${result.letters_ratio_wall}× / ${result.letters_ratio_cpu}×`, '<= 1.3×'],
      ['load average (1, 5, 15 min) start → end', `${loadStart.join(', ')} → ${result.load_average.join(', ')}`, `${os.cpus().length} cores`],
      ['print-run PDF size / peak RSS', `${result.letters_pdf_mb} MB / ${result.letters_peak_rss_mb} MB`, ''],
    ];
    const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
    for (const r of rows) console.log(`${r[0].padEnd(w[0])}  ${r[1].padStart(w[1])}  ${r[2]}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
