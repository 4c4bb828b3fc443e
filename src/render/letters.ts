import fs from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import PDFDocument from 'pdfkit';
import { DateTime } from 'luxon';
import { csvRows } from '../csv';
import type { Config } from '../config';
import { ROOT } from '../paths';
import { checkMergeTemplate, compileFast, hb, type Lang, type MergeFields, type MergeFn, type TemplateError } from './fields';
import { languageFor } from './email';
import { qrSymbol } from './qr';
import { TemplateInvalid, type TemplateVersion } from './types';

// ---------------------------------------------------------------------------------------------
// Page geometry (A4, millimetres from the top-left corner of the page).
// ---------------------------------------------------------------------------------------------

export const MM = 72 / 25.4;
export const A4 = { width: 210, height: 297 };

/**
 * The address window of a standard left-window C5/C4 envelope (SEN/DIN 5008 position): 20 mm
 * from the left edge, 45 mm from the top, 90 × 45 mm. Everything printed for the post (return
 * address line and recipient) lies inside it, with ADDRESS_WINDOW_PADDING_MM kept clear along
 * the edges so a letter that shifts a little in the envelope stays readable.
 */
export const ADDRESS_WINDOW_MM = { x: 20, y: 45, width: 90, height: 45 } as const;
export const ADDRESS_WINDOW_PADDING_MM = 4;

const MARGIN = { top: 25, bottom: 25, left: 25, right: 20 };
const BODY_TOP_FIRST_PAGE = 112;
const FONT_DIR = path.join(ROOT, 'node_modules', 'dejavu-fonts-ttf', 'ttf');
export const LETTER_FONTS = { regular: path.join(FONT_DIR, 'DejaVuSans.ttf'), bold: path.join(FONT_DIR, 'DejaVuSans-Bold.ttf'), mono: path.join(FONT_DIR, 'DejaVuSansMono-Bold.ttf') };

// ---------------------------------------------------------------------------------------------
// The letter body: a small markdown subset. `# ` heading, `## ` subheading, paragraphs split by
// blank lines (a line break inside a paragraph stays a line break, as in a letter), `- `/`* ` and
// `1. ` lists, `**bold**`. Merge fields inside runs; the structure is
// parsed before merging, so member data can never become a heading, a list or bold text.
// ---------------------------------------------------------------------------------------------

interface Run { bold: boolean; fn: MergeFn }
type Block =
  | { kind: 'h1' | 'h2' | 'p'; runs: Run[] }
  | { kind: 'ul' | 'ol'; items: Run[][] };

interface RawBlock { kind: 'h1' | 'h2' | 'p' | 'ul' | 'ol'; line: number; texts: { text: string; line: number }[] }

function parseBlocks(source: string): RawBlock[] {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const blocks: RawBlock[] = [];
  let cur: RawBlock | null = null;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (!t) { if (cur && cur.kind !== 'ul' && cur.kind !== 'ol') cur = null; else if (cur) cur = null; return; }
    let m: RegExpExecArray | null;
    if ((m = /^(#{1,3})\s+(.*)$/.exec(t))) {
      blocks.push({ kind: m[1].length === 1 ? 'h1' : 'h2', line, texts: [{ text: m[2], line }] });
      cur = null;
    } else if ((m = /^[-*]\s+(.*)$/.exec(t)) && !t.startsWith('**')) {
      if (!cur || cur.kind !== 'ul') blocks.push((cur = { kind: 'ul', line, texts: [] }));
      cur.texts.push({ text: m[1], line });
    } else if ((m = /^\d{1,3}[.)]\s+(.*)$/.exec(t))) {
      if (!cur || cur.kind !== 'ol') blocks.push((cur = { kind: 'ol', line, texts: [] }));
      cur.texts.push({ text: m[1], line });
    } else if (cur && (cur.kind === 'ul' || cur.kind === 'ol') && /^\s/.test(raw)) {
      cur.texts[cur.texts.length - 1].text += ` ${t}`;
    } else if (cur && cur.kind === 'p') {
      cur.texts[0].text += `\n${t}`;
    } else {
      blocks.push((cur = { kind: 'p', line, texts: [{ text: t, line }] }));
    }
  });
  return blocks;
}

function splitBold(text: string): { bold: boolean; text: string }[] {
  const parts = text.split('**');
  return parts.map((p, i) => ({ bold: i % 2 === 1, text: p })).filter((p) => p.text !== '');
}

export interface CompiledLetter { blocks: Block[] }

/** Checks a letter body: merge fields, and every {{#if}} kept inside one run. */
export function checkLetter(source: string, field: string, category: string): TemplateError[] {
  const errors = checkMergeTemplate(source, field, category).errors;
  if (errors.length) return errors;
  for (const b of parseBlocks(source)) {
    for (const t of b.texts) {
      if (t.text.split('**').length % 2 === 0) errors.push({ field, line: t.line, message: '** står alene (fet skrift må åpnes og lukkes i samme avsnitt)' });
      for (const r of splitBold(t.text)) {
        try { hb.parse(r.text); } catch {
          errors.push({ field, line: t.line, message: 'en {{#if}}…{{/if}}-blokk må åpnes og lukkes i samme avsnitt, overskrift eller listepunkt (og innenfor samme fete tekst)' });
          break;
        }
      }
    }
  }
  return errors;
}

export function compileLetter(source: string, unionName: string): CompiledLetter {
  const runs = (text: string): Run[] => splitBold(text).map((r) => ({ bold: r.bold, fn: compileFast(r.text, { escape: false, unionName }) }));
  return {
    blocks: parseBlocks(source).map((b): Block => (b.kind === 'ul' || b.kind === 'ol'
      ? { kind: b.kind, items: b.texts.map((t) => runs(t.text)) }
      : { kind: b.kind, runs: runs(b.texts[0].text) })),
  };
}

const letterCache = new Map<string, CompiledLetter>();

function compiledLetterFor(version: TemplateVersion, language: string | null | undefined, unionName: string): { language: Lang; letter: CompiledLetter } {
  const chosen = languageFor(version, language, 'letter');
  if (!chosen) throw new TemplateInvalid([{ field: 'languages.nb.letter', line: 1, message: 'malen har ikke noe brev' }]);
  const key = `${version.id}|${chosen.language}|${unionName}`;
  let letter = letterCache.get(key);
  if (!letter) {
    const errs = checkLetter(chosen.content.letter!, `languages.${chosen.language}.letter`, version.category);
    if (errs.length) throw new TemplateInvalid(errs);
    letter = compileLetter(chosen.content.letter!, unionName);
    if (letterCache.size > 256) letterCache.clear();
    letterCache.set(key, letter);
  }
  return { language: chosen.language, letter };
}

// ---------------------------------------------------------------------------------------------
// Writing letters with pdfkit.
// ---------------------------------------------------------------------------------------------

export interface LetterRecipient {
  memberNumber: string;
  /** The name as printed in the address (default: first and last name from fields). */
  name?: string;
  /** Street address lines (c/o, street, …). */
  addressLines: string[];
  postcode: string;
  place: string;
  /** Only for addresses abroad. */
  country?: string | null;
  language: string | null;
  fields: MergeFields;
  /**
   * The member's personal preference code (src/consent letter codes), registered before the
   * letter is printed: declinable letters print it with a QR code of `<PUBLIC_BASE_URL>/p/<code>`.
   */
  preferenceCode?: { code: string; expiresAt: Date } | null;
}

export interface LetterEnv { config: Pick<Config, 'unionName' | 'unionReturnAddress' | 'publicBaseUrl' | 'unionPhone'> }

const TEXT = {
  nb: { page: (i: number, n: number) => `Side ${i} av ${n}`, member: 'Medlemsnummer', locale: 'nb', format: 'd. MMMM yyyy' },
  nn: { page: (i: number, n: number) => `Side ${i} av ${n}`, member: 'Medlemsnummer', locale: 'nn', format: 'd. MMMM yyyy' },
  en: { page: (i: number, n: number) => `Page ${i} of ${n}`, member: 'Membership number', locale: 'en-GB', format: 'd MMMM yyyy' },
} as const;

/**
 * The way out printed at the end of every letter (issue 14). Declinable categories: the short
 * preference address, the personal code and its QR code, and how to opt out by post or phone.
 * Categories that cannot be declined: how to get them on another channel instead.
 */
const REACH = {
  nb: {
    title: 'Vil du ikke ha slike brev?',
    lead: (url: string) => `Gå til ${url} og skriv inn koden din, eller skann QR-koden med mobilen. Der velger du selv hva du vil få fra oss, og hvordan.`,
    noCode: (url: string) => `Gå til ${url}. Der velger du selv hva du vil få fra oss, og hvordan.`,
    code: 'Din kode:',
    valid: (d: string) => `Koden gjelder til ${d}.`,
    post: (addr: string, phone: string) => `Du kan også reservere deg ved å skrive til ${addr}${phone ? ` eller ringe ${phone}` : ''}. Oppgi medlemsnummeret ditt.`,
    mandatory: (url: string, phone: string) => `Dette brevet får du fordi det hører til medlemskapet ditt (medlemsavtalen), og det kan ikke velges bort. Vil du heller få slike meldinger på e-post eller SMS, kan du velge det på ${url}${phone ? ` eller ringe ${phone}` : ''}.`,
  },
  nn: {
    title: 'Vil du ikkje ha slike brev?',
    lead: (url: string) => `Gå til ${url} og skriv inn koden din, eller skann QR-koden med mobilen. Der vel du sjølv kva du vil få frå oss, og korleis.`,
    noCode: (url: string) => `Gå til ${url}. Der vel du sjølv kva du vil få frå oss, og korleis.`,
    code: 'Koden din:',
    valid: (d: string) => `Koden gjeld til ${d}.`,
    post: (addr: string, phone: string) => `Du kan òg melde deg av ved å skrive til ${addr}${phone ? ` eller ringje ${phone}` : ''}. Oppgi medlemsnummeret ditt.`,
    mandatory: (url: string, phone: string) => `Dette brevet får du fordi det høyrer til medlemskapet ditt (medlemsavtalen), og det kan ikkje veljast bort. Vil du heller få slike meldingar på e-post eller SMS, kan du velje det på ${url}${phone ? ` eller ringje ${phone}` : ''}.`,
  },
  en: {
    title: 'Would you rather not get letters like this?',
    lead: (url: string) => `Go to ${url} and enter your code, or scan the QR code with your phone. There you choose what you receive from us, and how.`,
    noCode: (url: string) => `Go to ${url}. There you choose what you receive from us, and how.`,
    code: 'Your code:',
    valid: (d: string) => `The code is valid until ${d}.`,
    post: (addr: string, phone: string) => `You can also opt out by writing to ${addr}${phone ? ` or by calling ${phone}` : ''}. Please give your membership number.`,
    mandatory: (url: string, phone: string) => `You receive this letter because it is part of your membership (the membership agreement); it cannot be declined. If you would rather get such messages by email or text message, choose so at ${url}${phone ? ` or call ${phone}` : ''}.`,
  },
} as const;

/** The short preference address as printed: the public base URL without its scheme, then /p. */
export function printedPreferenceAddress(publicBaseUrl: string): string {
  return `${publicBaseUrl.replace(/^https?:\/\//, '')}/p`;
}

/** What the QR code on a letter opens: the member's preference page by their code. */
export function preferenceCodeUrl(publicBaseUrl: string, code: string): string {
  return `${publicBaseUrl}/p/${code}`;
}

/**
 * Draws a QR code as vector shapes (crisp at any print resolution), top-left at (x, y), `size`
 * points wide including the quiet zone: the dark modules as ONE path (each row's runs of adjacent
 * dark modules one rectangle, in module units under one transform) with one fill.
 */
function drawQr(doc: PDFKit.PDFDocument, text: string, x: number, y: number, size: number): void {
  const { modules } = qrSymbol(text);
  const n = modules.size;
  const quiet = 4;
  const cell = size / (n + 2 * quiet);
  doc.save();
  doc.rect(x, y, size, size).fill('#ffffff');
  let path = '';
  for (let r = 0; r < n; r++) {
    const row = r * n;
    for (let c = 0; c < n; c++) {
      if (!modules.data[row + c]) continue;
      let end = c + 1;
      while (end < n && modules.data[row + end]) end++;
      path += `${c} ${r} ${end - c} 1 re\n`;
      c = end;
    }
  }
  doc.fillColor('#000000');
  doc.transform(cell, 0, 0, cell, x + quiet * cell, y + quiet * cell);
  doc.addContent(path.slice(0, -1));
  doc.fill();
  doc.restore();
}

/**
 * Heights of the box's fixed texts (the same for every letter of a run in one language), measured
 * with pdfkit's line wrapper once instead of twice per letter. Keyed by everything that decides
 * the height: font, size, width, line gap, text.
 */
const heightCache = new Map<string, number>();
function heightOf(doc: PDFKit.PDFDocument, font: string, size: number, text: string, opts: { width: number; lineGap?: number }): number {
  const key = `${font}|${size}|${opts.width}|${opts.lineGap ?? ''}|${text}`;
  let h = heightCache.get(key);
  if (h === undefined) {
    doc.font(font).fontSize(size);
    h = doc.heightOfString(text, opts);
    if (heightCache.size > 1000) heightCache.clear();
    heightCache.set(key, h);
  }
  return h;
}

function writeReach(doc: PDFKit.PDFDocument, env: LetterEnv, language: Lang, r: LetterRecipient, declinable: boolean): void {
  const t = REACH[language];
  const x = MARGIN.left * MM;
  const width = (A4.width - MARGIN.left - MARGIN.right) * MM;
  const url = printedPreferenceAddress(env.config.publicBaseUrl);
  const phone = env.config.unionPhone;
  const bottom = () => doc.page.height - doc.page.margins.bottom;
  if (!declinable) {
    const text = t.mandatory(url, phone);
    if (doc.y + heightOf(doc, 'R', 9, text, { width }) + 8 * MM > bottom()) doc.addPage(PAGE_OPTS as any);
    doc.font('R').fontSize(9);
    doc.y += 4 * MM;
    doc.moveTo(x, doc.y).lineTo(x + width, doc.y).lineWidth(0.5).stroke('#999999');
    doc.y += 2.5 * MM;
    doc.fillColor('#000000').text(text, x, doc.y, { width, lineGap: 1.5 });
    return;
  }
  const code = r.preferenceCode ?? null;
  const qr = 30 * MM;
  const pad = 4 * MM;
  const textWidth = width - 2 * pad - (code ? qr + pad : 0);
  const lead = code ? t.lead(url) : t.noCode(url);
  const post = t.post(env.config.unionReturnAddress.join(', '), phone);
  const textHeight = 16 + heightOf(doc, 'R', 9, lead, { width: textWidth, lineGap: 1.5 }) + (code ? 36 : 0) + 6 + heightOf(doc, 'R', 9, post, { width: textWidth, lineGap: 1.5 });
  const height = Math.max(textHeight, code ? qr : 0) + 2 * pad;
  if (doc.y + 6 * MM + height > bottom()) doc.addPage(PAGE_OPTS as any);
  doc.y += 6 * MM;
  const top = doc.y;
  doc.roundedRect(x, top, width, height, 3).lineWidth(0.75).stroke('#8a1c1c');
  doc.fillColor('#000000');
  const tx = x + pad;
  doc.font('B').fontSize(10.5).text(t.title, tx, top + pad, { width: textWidth, lineBreak: false });
  doc.font('R').fontSize(9).text(lead, tx, top + pad + 16, { width: textWidth, lineGap: 1.5 });
  if (code) {
    let cy = doc.y + 4;
    doc.font('R').fontSize(9);
    const labelWidth = doc.widthOfString(t.code);
    doc.text(t.code, tx, cy + 3, { lineBreak: false });
    doc.font('M').fontSize(13).text(formatCode(code.code), tx + labelWidth + 6, cy, { lineBreak: false, characterSpacing: 1 });
    cy += 18;
    doc.font('R').fontSize(8.5).text(t.valid(letterDate(code.expiresAt, language)), tx, cy, { lineBreak: false });
    doc.y = cy + 12;
    drawQr(doc, preferenceCodeUrl(env.config.publicBaseUrl, code.code), x + width - pad - qr, top + (height - qr) / 2, qr);
  }
  doc.y += 6;
  doc.font('R').fontSize(9).fillColor('#000000').text(post, tx, doc.y, { width: textWidth, lineGap: 1.5 });
  doc.y = top + height;
}

/** XXXX-XXXX-XXXX, as printed. */
function formatCode(code: string): string {
  return code.match(/.{1,4}/g)!.join('-');
}

const dateCache = new Map<string, string>();

/** "22. november 2026" (nb/nn) or "22 November 2026" (en), in Oslo time. */
export function letterDate(date: Date, language: Lang): string {
  const key = `${date.getTime()}|${language}`;
  let s = dateCache.get(key);
  if (s === undefined) {
    const t = TEXT[language];
    s = DateTime.fromJSDate(date, { zone: 'Europe/Oslo' }).setLocale(t.locale).toFormat(t.format);
    if (dateCache.size > 100) dateCache.clear();
    dateCache.set(key, s);
  }
  return s;
}

function newDocument(info: { title: string; author: string }): PDFKit.PDFDocument {
  const doc = new PDFDocument({ size: 'A4', autoFirstPage: false, bufferPages: true, compress: true, info: { Title: info.title, Author: info.author, Creator: 'Budstikke' } as any });
  doc.registerFont('R', LETTER_FONTS.regular);
  doc.registerFont('B', LETTER_FONTS.bold);
  doc.registerFont('M', LETTER_FONTS.mono);
  return doc;
}

const PAGE_OPTS = { size: 'A4', margins: { top: MARGIN.top * MM, bottom: MARGIN.bottom * MM, left: MARGIN.left * MM, right: MARGIN.right * MM } };

function writeRuns(doc: PDFKit.PDFDocument, runs: { bold: boolean; text: string }[], x: number, width: number, size: number, after: number): void {
  const nonEmpty = runs.filter((r) => r.text !== '');
  if (!nonEmpty.length) return;
  doc.fontSize(size);
  nonEmpty.forEach((r, i) => {
    doc.font(r.bold ? 'B' : 'R');
    const continued = i < nonEmpty.length - 1;
    if (i === 0) doc.text(r.text, x, doc.y, { width, continued, lineGap: 2 });
    else doc.text(r.text, { continued, lineGap: 2 });
  });
  doc.y += after;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** Run text: line breaks kept (paragraph lines), other control characters and repeated spaces folded. */
function runText(s: string): string {
  return s.replace(/\r/g, '').replace(/[\t\f\v]+/g, ' ').replace(/ {2,}/g, ' ');
}

/** Writes one letter from a new page on; returns how many pages it took. Page numbers included. */
function writeLetter(doc: PDFKit.PDFDocument, env: LetterEnv, letter: CompiledLetter, language: Lang, r: LetterRecipient, date: Date, declinable: boolean): number {
  const { config } = env;
  const t = TEXT[language];
  const startIndex = doc.bufferedPageRange().start + doc.bufferedPageRange().count;
  doc.addPage(PAGE_OPTS as any);
  const right = (A4.width - MARGIN.right) * MM;

  // Single lines are placed without pdfkit's line wrapper (no width option): much cheaper, and
  // they are never meant to wrap. Right alignment and shortening are done here.
  const line = (text: string, x: number, y: number, opts: { right?: number; maxWidth?: number } = {}) => {
    let s = text;
    if (opts.maxWidth !== undefined && doc.widthOfString(s) > opts.maxWidth) {
      while (s.length > 1 && doc.widthOfString(`${s}…`) > opts.maxWidth) s = s.slice(0, -1);
      s = `${s}…`;
    }
    doc.text(s, opts.right !== undefined ? opts.right - doc.widthOfString(s) : x, y, { lineBreak: false });
  };

  // Letterhead: the union's name and return address.
  doc.font('B').fontSize(14);
  line(config.unionName, MARGIN.left * MM, 15 * MM, { maxWidth: 95 * MM });
  doc.font('R').fontSize(8.5);
  let y = 15 * MM;
  for (const l of config.unionReturnAddress) {
    line(l, 0, y, { right });
    y += 11;
  }

  // The address window: a small return-address line, then the recipient.
  const w = ADDRESS_WINDOW_MM;
  const pad = ADDRESS_WINDOW_PADDING_MM;
  const wx = (w.x + pad) * MM;
  const ww = (w.width - 2 * pad) * MM;
  doc.font('R').fontSize(6.5);
  line(config.unionReturnAddress.join(', '), wx, (w.y + pad) * MM, { maxWidth: ww });
  const name = oneLine(r.name ?? `${r.fields.firstName} ${r.fields.lastName}`);
  const addr = [name, ...r.addressLines.map(oneLine).filter(Boolean), `${r.postcode} ${oneLine(r.place).toUpperCase()}`, ...(r.country ? [oneLine(r.country).toUpperCase()] : [])];
  doc.fontSize(10.5);
  y = (w.y + pad + 6) * MM;
  const maxY = (w.y + w.height - pad) * MM;
  for (const l of addr.slice(0, 6)) {
    if (y + 12 > maxY) break;
    line(l, wx, y, { maxWidth: ww });
    y += 13;
  }

  // Date and member number on the right, under the window's level.
  doc.fontSize(9.5);
  line(letterDate(date, language), 0, 98 * MM, { right });
  line(`${t.member}: ${r.memberNumber}`, 0, 98 * MM + 13, { right });

  // Body.
  const f = r.fields;
  const links = f.links ?? {};
  const x = MARGIN.left * MM;
  const width = (A4.width - MARGIN.left - MARGIN.right) * MM;
  doc.x = x;
  doc.y = BODY_TOP_FIRST_PAGE * MM;
  for (const b of letter.blocks) {
    if ('items' in b) {
      const ordered = b.kind === 'ol';
      b.items.forEach((item, i) => {
        if (doc.y + 14 > doc.page.height - doc.page.margins.bottom) doc.addPage(PAGE_OPTS as any);
        const marker = ordered ? `${i + 1}.` : '•';
        const top = doc.y;
        doc.font('R').fontSize(10.5).text(marker, x + 2 * MM, top, { lineBreak: false });
        doc.y = top;
        writeRuns(doc, item.map((run) => ({ bold: run.bold, text: runText(run.fn(f, links)) })), x + 8 * MM, width - 8 * MM, 10.5, 3);
      });
      doc.y += 6;
    } else if (b.kind === 'p') {
      writeRuns(doc, b.runs.map((run) => ({ bold: run.bold, text: runText(run.fn(f, links)) })), x, width, 10.5, 8);
    } else {
      const size = b.kind === 'h1' ? 15 : 12;
      // keep a heading with the next lines
      if (doc.y + size * 4 > doc.page.height - doc.page.margins.bottom) doc.addPage(PAGE_OPTS as any);
      writeRuns(doc, b.runs.map((run) => ({ bold: true, text: oneLine(run.fn(f, links)) })), x, width, size, 6);
    }
  }

  writeReach(doc, env, language, r, declinable);

  // Page numbers on every page of this letter.
  const range = doc.bufferedPageRange();
  const pages = range.start + range.count - startIndex;
  for (let i = 0; i < pages; i++) {
    doc.switchToPage(startIndex + i);
    const bottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0;
    doc.font('R').fontSize(8);
    const label = t.page(i + 1, pages);
    doc.text(label, MARGIN.left * MM + (width - doc.widthOfString(label)) / 2, (A4.height - 13) * MM, { lineBreak: false });
    doc.page.margins.bottom = bottom;
  }
  return pages;
}

/** One member's letter as a PDF (preview, single messages). */
export async function renderLetter(env: LetterEnv, version: TemplateVersion, recipient: LetterRecipient, opts: { date?: Date; declinable?: boolean } = {}): Promise<{ language: Lang; pdf: Buffer; pages: number }> {
  const { language, letter } = compiledLetterFor(version, recipient.language, env.config.unionName);
  const doc = newDocument({ title: version.name, author: env.config.unionName });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = once(doc, 'end');
  const pages = writeLetter(doc, env, letter, language, recipient, opts.date ?? new Date(), opts.declinable ?? version.declinable);
  doc.end();
  await done;
  return { language, pdf: Buffer.concat(chunks), pages };
}

/**
 * Writes the buffered pages out and lets go of what pdfkit would otherwise keep for every page
 * until the end of the document (page dictionaries stay referenced from the page tree, which only
 * needs their object numbers). Keeps a long print run's memory flat.
 */
function flushAndRelease(doc: PDFKit.PDFDocument): void {
  const pages: any[] = [...((doc as any)._pageBuffer ?? [])];
  doc.flushPages();
  for (const p of pages) {
    for (const ref of [p.dictionary, p.resources, p.content]) if (ref) ref.data = {};
    p.markings = [];
  }
}

/**
 * pdfkit caches a glyph layout for every distinct word it lays out (names, member numbers,
 * addresses…). Every 500 letters each font's cache is aged: a word kept is one that was also in
 * the cache at the previous ageing (the template's words, common names and places), the rest are
 * dropped, so memory stays flat over a long run without laying the letter's own words out again
 * (clearing the whole cache did: ~10 % more fontkit time per letter).
 */
function ageLayoutCaches(doc: PDFKit.PDFDocument, previous: Map<object, Record<string, unknown>>): void {
  for (const font of Object.values((doc as any)._fontFamilies ?? {}) as any[]) {
    const cache = font.layoutCache as Record<string, unknown> | undefined;
    if (!cache) continue;
    const before = previous.get(font);
    const kept: Record<string, unknown> = Object.create(null);
    if (before) for (const word in cache) if (word in before) kept[word] = cache[word];
    previous.set(font, cache);
    font.layoutCache = kept;
  }
}

const collator = new Intl.Collator('nb', { sensitivity: 'base' });

/** Postcode order for the post (then name, then member number). */
export function byPostcode(a: { postcode: string; name?: string; memberNumber: string; fields?: MergeFields }, b: typeof a): number {
  return a.postcode.localeCompare(b.postcode)
    || collator.compare(a.name ?? `${a.fields?.lastName} ${a.fields?.firstName}`, b.name ?? `${b.fields?.lastName} ${b.fields?.firstName}`)
    || a.memberNumber.localeCompare(b.memberNumber);
}

export interface LetterRunResult {
  pdfPath: string;
  manifestPath: string;
  letters: number;
  pages: number;
  bytes: number;
}

/** One line of the print vendor's manifest, in the PDF's order. */
export interface ManifestEntry { sequence: number; memberNumber: string; name: string; postcode: string; place: string; firstPage: number; lastPage: number; pages: number }

async function* iterate<T>(src: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  for await (const x of src as AsyncIterable<T>) yield x;
}

/**
 * A print run: every letter in ONE PDF streamed to `outDir/<name>.pdf` (pages are flushed to
 * disk letter by letter, never held for the whole run) and `outDir/<name>.csv`, the vendor's
 * manifest (sequence, member number, name, postcode, place, first page, last page, pages).
 * An array is sorted by postcode here; an async iterable must already come in postcode order
 * (`ORDER BY postcode, last_name, first_name, member_number`), which is checked.
 */
export async function renderLetterRun(env: LetterEnv, version: TemplateVersion, recipients: LetterRecipient[] | AsyncIterable<LetterRecipient>,
  outDir: string, opts: { name?: string; date?: Date; declinable?: boolean; onLetter?: (e: ManifestEntry) => void | Promise<void> } = {}): Promise<LetterRunResult> {
  await fs.promises.mkdir(outDir, { recursive: true });
  const base = opts.name ?? `letters-${version.key}-v${version.version}-${DateTime.fromJSDate(opts.date ?? new Date()).toFormat("yyyyLLdd'T'HHmmss")}`;
  const pdfPath = path.join(outDir, `${base}.pdf`);
  const manifestPath = path.join(outDir, `${base}.csv`);
  const date = opts.date ?? new Date();
  const source = Array.isArray(recipients) ? [...recipients].sort(byPostcode) : recipients;

  const doc = newDocument({ title: `${version.name} (${env.config.unionName})`, author: env.config.unionName });
  const pdfOut = fs.createWriteStream(pdfPath);
  doc.pipe(pdfOut);
  const csvOut = fs.createWriteStream(manifestPath);
  csvOut.write(csvRows([['sequence', 'member_number', 'name', 'postcode', 'place', 'first_page', 'last_page', 'pages']]));
  const pdfDone = once(pdfOut, 'finish');

  let page = 0;
  let seq = 0;
  let prev: LetterRecipient | null = null;
  const compiled = new Map<string, { language: Lang; letter: CompiledLetter }>();
  const manifestRows: (string | number)[][] = [];
  const previousLayouts = new Map<object, Record<string, unknown>>();
  try {
    for await (const r of iterate(source)) {
      if (prev && byPostcode(prev, r) > 0 && !Array.isArray(recipients)) {
        throw new Error(`print run recipients must come in postcode order (${prev.postcode} came before ${r.postcode})`);
      }
      prev = r;
      const lk = r.language ?? 'nb';
      let c = compiled.get(lk);
      if (!c) compiled.set(lk, (c = compiledLetterFor(version, r.language, env.config.unionName)));
      const pages = writeLetter(doc, env, c.letter, c.language, r, date, opts.declinable ?? version.declinable);
      flushAndRelease(doc);
      if (seq % 500 === 499) ageLayoutCaches(doc, previousLayouts);
      const entry: ManifestEntry = {
        sequence: ++seq, memberNumber: r.memberNumber, name: oneLine(r.name ?? `${r.fields.firstName} ${r.fields.lastName}`),
        postcode: r.postcode, place: r.place, firstPage: page + 1, lastPage: page + pages, pages,
      };
      page += pages;
      manifestRows.push([entry.sequence, entry.memberNumber, entry.name, entry.postcode, entry.place, entry.firstPage, entry.lastPage, entry.pages]);
      // the manifest is written 256 lines at a time (one CSV call each, not one per letter)
      if (manifestRows.length >= 256 && !csvOut.write(csvRows(manifestRows.splice(0)))) await once(csvOut, 'drain');
      if (opts.onLetter) await opts.onLetter(entry);
      // Backpressure. pdfkit pushes regardless, and this loop only ever awaits microtasks, so the
      // pipe to the file (which moves data on process.nextTick and I/O callbacks) does not run
      // until we yield to the event loop. Yield every 256 KB: each compressed stream pdfkit
      // pushes is a small slice of a 16 KB zlib output buffer and keeps all of it alive while it
      // waits, so 8 MB waiting here held ~100 MB of memory. Then wait for the file if it is behind.
      if (doc.readableLength > 256 * 1024) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (pdfOut.writableNeedDrain) await once(pdfOut, 'drain');
      }
    }
  } catch (err) {
    doc.end();
    csvOut.end();
    await pdfDone.catch(() => undefined);
    throw err;
  }
  doc.end();
  if (manifestRows.length) csvOut.write(csvRows(manifestRows));
  csvOut.end();
  await Promise.all([pdfDone, once(csvOut, 'finish')]);
  const bytes = (await fs.promises.stat(pdfPath)).size;
  return { pdfPath, manifestPath, letters: seq, pages: page, bytes };
}

// ---------------------------------------------------------------------------------------------
// The magazine distributor's address list: CSV, sorted by postcode.
// ---------------------------------------------------------------------------------------------

export interface AddressListEntry {
  memberNumber: string;
  name: string;
  addressLines: string[];
  postcode: string;
  place: string;
  country?: string | null;
}

/**
 * Writes `outPath` as CSV (member_number, name, address, address2, postcode, place, country),
 * sorted by postcode. An array is sorted here; an async iterable must come sorted (checked).
 * Returns how many rows were written.
 */
export async function writeAddressList(entries: AddressListEntry[] | AsyncIterable<AddressListEntry>, outPath: string): Promise<{ path: string; rows: number }> {
  await fs.promises.mkdir(path.dirname(outPath), { recursive: true });
  const out = fs.createWriteStream(outPath);
  out.write(csvRows([['member_number', 'name', 'address', 'address2', 'postcode', 'place', 'country']]));
  const source = Array.isArray(entries) ? [...entries].sort(byPostcode) : entries;
  let rows = 0;
  let prev: AddressListEntry | null = null;
  try {
    for await (const e of iterate(source)) {
      if (prev && !Array.isArray(entries) && byPostcode(prev, e) > 0) throw new Error(`address list entries must come in postcode order (${prev.postcode} came before ${e.postcode})`);
      prev = e;
      const lines = e.addressLines.map(oneLine).filter(Boolean);
      const ok = out.write(csvRows([[e.memberNumber, oneLine(e.name), lines[0] ?? '', lines.slice(1).join(', '), e.postcode, oneLine(e.place).toUpperCase(), e.country ?? '']]));
      rows++;
      if (!ok) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'finish');
  }
  return { path: outPath, rows };
}
