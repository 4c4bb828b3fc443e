import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import mjml2html from 'mjml';
import { convert } from 'html-to-text';
import Handlebars from 'handlebars';
import type { Config } from '../config';
import { TEMPLATES_DIR } from '../paths';
import {
  checkMergeTemplate, chooseLanguage, compileFast, hb, type Lang, type MergeFields, type MergeFn, type TemplateError,
} from './fields';
import { TemplateInvalid, type EmailAddress, type EmailMessage, type EmailRecipientPart, type LanguageContent, type TemplateVersion } from './types';

// ---------------------------------------------------------------------------------------------
// Layout: templates/layouts/email.mjml with the header and the footer partials. The template's
// own MJML (what staff write) is the content of mj-body between header and footer.
// ---------------------------------------------------------------------------------------------

interface LayoutFiles { layout: string; header: string; footers: Record<string, string> }
let layoutFiles: LayoutFiles | null = null;

function loadLayout(): LayoutFiles {
  if (layoutFiles) return layoutFiles;
  const read = (p: string) => fs.readFileSync(path.join(TEMPLATES_DIR, p), 'utf8').replace(/\r\n/g, '\n').replace(/\n$/, '');
  const footers: Record<string, string> = {};
  for (const l of ['nb', 'nn', 'en']) {
    footers[`declinable.${l}`] = read(`partials/footer-declinable.${l}.mjml`);
    footers[`mandatory.${l}`] = read(`partials/footer-mandatory.${l}.mjml`);
  }
  layoutFiles = { layout: read('layouts/email.mjml'), header: read('partials/header.mjml'), footers };
  return layoutFiles;
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The complete MJML document for a body, and the line (1-based) in it where the body starts. */
export function assembleMjml(body: string, lang: Lang, declinable: boolean, unionName: string): { source: string; bodyFirstLine: number; bodyLines: number } {
  const f = loadLayout();
  const fill = (s: string) => s.replace(/%%UNION_NAME%%/g, xmlEscape(unionName))
    .replace(/%%UNION_INITIAL%%/g, xmlEscape(Array.from(unionName.trim())[0]?.toUpperCase() ?? ''))
    .replace(/%%LANG%%/g, lang);
  const [before, after] = f.layout.split('%%CONTENT%%');
  const head = fill(before.replace('%%HEADER%%', f.header));
  const tail = fill(after.replace('%%FOOTER%%', f.footers[`${declinable ? 'declinable' : 'mandatory'}.${lang}`]));
  // The union's name is the same for every member: fill it in now rather than per member.
  const normalised = body.replace(/\r\n/g, '\n').replace(/\{\{\s*unionName\s*\}\}/g, xmlEscape(unionName));
  const bodyFirstLine = head.split('\n').length; // head ends with a newline-less "" after the header line
  return { source: head + normalised + tail, bodyFirstLine, bodyLines: normalised.split('\n').length };
}

// ---------------------------------------------------------------------------------------------
// Splitting a compiled merge template into static text and the dynamic statements between it:
// the static text is shared by every member (one SendGrid body per language), the dynamic
// statements are evaluated per member and sent as that member's substitutions.
// ---------------------------------------------------------------------------------------------

export interface SplitTemplate {
  /** statics.length === slots.length + 1 */
  statics: string[];
  /** For each gap between statics: which unique dynamic statement goes there. */
  slots: number[];
  /** The unique dynamic statements, compiled once. */
  fns: MergeFn[];
  /**
   * For each statement: it reads nothing but campaign links and the union's name, so with the
   * request's links shared its value is the same for every member (`renderEmailBatch` writes it
   * into the shared body instead of sending it once per member).
   */
  campaignOnly: boolean[];
}

/** True when a statement reads only `links.*` (and `unionName`, a constant): no member data. */
function readsOnlyCampaign(node: unknown): boolean {
  if (!node || typeof node !== 'object') return true;
  const n = node as { type?: string; parts?: string[]; data?: boolean; depth?: number };
  if (n.type === 'PathExpression') return !n.data && !n.depth && (n.parts?.[0] === 'links' ? (n.parts?.length ?? 0) > 1 : n.parts?.length === 1 && n.parts[0] === 'unionName');
  for (const [k, v] of Object.entries(node)) {
    if (k === 'loc') continue;
    if (Array.isArray(v) ? !v.every(readsOnlyCampaign) : typeof v === 'object' && !readsOnlyCampaign(v)) return false;
  }
  return true;
}

const printAst: (ast: unknown) => string = (Handlebars as any).print ?? ((ast: unknown) => JSON.stringify(ast, (k, v) => (k === 'loc' ? undefined : v)));

export function splitTemplate(source: string, escape: boolean, unionName: string): SplitTemplate {
  const ast = hb.parse(source);
  const statics: string[] = [''];
  const slots: number[] = [];
  const fns: MergeFn[] = [];
  const campaignOnly: boolean[] = [];
  const seen = new Map<string, number>();
  for (const st of ast.body) {
    if (st.type === 'ContentStatement') { statics[statics.length - 1] += (st as hbs.AST.ContentStatement).value; continue; }
    if (st.type === 'CommentStatement') continue;
    const program = { type: 'Program', body: [st], strip: {}, loc: st.loc } as unknown as hbs.AST.Program;
    const key = printAst(program);
    let i = seen.get(key);
    if (i === undefined) {
      i = fns.length;
      fns.push(compileFast(program, { escape, unionName }));
      campaignOnly.push(readsOnlyCampaign(st));
      seen.set(key, i);
    }
    slots.push(i);
    statics.push('');
  }
  return { statics, slots, fns, campaignOnly };
}

// ---------------------------------------------------------------------------------------------
// Compile once per (template version, language, footer kind): MJML → HTML with the merge
// statements left in, → Handlebars; plain text from the same HTML; the subject.
// ---------------------------------------------------------------------------------------------

export interface CompiledEmail {
  versionId: number;
  language: Lang;
  declinable: boolean;
  subject: MergeFn;
  html: MergeFn;
  text: MergeFn;
  htmlSplit: SplitTemplate;
  textSplit: SplitTemplate;
  /** Campaign link names the template uses (`{{links.signup}}` → 'signup'). */
  links: Set<string>;
  mjmlMs: number;
}

const HTML_TO_TEXT = {
  wordwrap: 78,
  selectors: [
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true, linkBrackets: ['<', '>'] as [string, string] } },
    { selector: 'img', format: 'skip' },
    { selector: '.logo', format: 'skip' },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'table', format: 'block' },
    { selector: 'tr', format: 'block' },
    { selector: 'td', format: 'block' },
  ],
};

const MUSTACHE = /\{\{(?:[^}]|\}(?!\}))*\}\}/g;

/** Plain text from HTML that still carries merge statements: they are kept intact through html-to-text. */
export function htmlTemplateToText(html: string): string {
  const saved: string[] = [];
  const protectedHtml = html.replace(MUSTACHE, (m) => { saved.push(m); return `QQBSMERGE${saved.length - 1}QQ`; });
  const text = convert(protectedHtml, HTML_TO_TEXT as any);
  return text.replace(/QQBSMERGE(\d+)QQ/gi, (_m, i) => saved[Number(i)]).replace(/\n{3,}/g, '\n\n').trim() + '\n';
}

/** The content of a channel in a language, falling back to bokmål. */
export function languageFor(version: TemplateVersion, wanted: string | null | undefined, channel: 'mjml' | 'sms' | 'letter'): { language: Lang; content: LanguageContent } | null {
  const langs = (Object.keys(version.languages) as Lang[]).filter((l) => version.languages[l]?.[channel]);
  if (!langs.length) return null;
  const language = chooseLanguage(wanted, langs);
  const content = version.languages[language] ?? version.languages.nb;
  if (!content[channel]) return null;
  return { language, content };
}

/** MJML's validator speaks English; its usual messages in bokmål for staff (anything else keeps MJML's own text). */
export function mjmlMessageNb(message: string): string {
  let m: RegExpExecArray | null;
  if ((m = /^(\S+) cannot be used inside (\S+), only inside: (.*)$/.exec(message))) return `${m[1]} kan ikke brukes inne i ${m[2]}, bare inne i: ${m[3]}`;
  if ((m = /^Element (\S+) doesn't exist or is not registered$/.exec(message))) return `elementet ${m[1]} finnes ikke i MJML`;
  if ((m = /^Attributes? (.+) (?:is|are) illegal$/.exec(message))) return `${m[1].includes(',') ? 'attributtene' : 'attributtet'} ${m[1]} er ikke tillatt her`;
  if ((m = /^Attribute (\S+) has invalid value: (.*?) for type (\w+)(?:, only accepts (.*?))?\s*$/.exec(message))) {
    return `attributtet ${m[1]} har en ugyldig verdi: ${m[2]} (type ${m[3]}${m[4] ? `; tillatt: ${m[4]}` : ''})`;
  }
  return `MJML: ${message}`;
}

function mjmlErrors(err: any, field: string, bodyFirstLine: number, bodyLines: number): TemplateError[] {
  const list: any[] = Array.isArray(err?.errors) ? err.errors : [];
  if (!list.length) return [{ field, line: 1, message: `MJML: ${String(err?.message ?? err)}` }];
  return list.map((e) => {
    const bodyLine = Number(e.line) - bodyFirstLine + 1;
    const inBody = bodyLine >= 1 && bodyLine <= bodyLines;
    return { field, line: inBody ? bodyLine : 1, message: `${e.tagName ? `<${e.tagName}>: ` : ''}${mjmlMessageNb(String(e.message))}${inBody ? '' : ' (i oppsettet)'}` };
  });
}

/** MJML strict + merge-field check of one language's email; returns the errors (empty: fine). */
export async function checkEmail(content: LanguageContent, lang: Lang, prefix: string, category: string, unionName: string): Promise<TemplateError[]> {
  const errors: TemplateError[] = [];
  if (content.mjml == null) return errors;
  if (!content.subject?.trim()) errors.push({ field: `${prefix}.subject`, line: 1, message: 'en e-post trenger et emne' });
  else errors.push(...checkMergeTemplate(content.subject, `${prefix}.subject`, category).errors);
  if (/<mjml[\s>]|<mj-body[\s>]|<mj-head[\s>]/.test(content.mjml)) {
    const line = content.mjml.slice(0, content.mjml.search(/<mj(ml|-body|-head)[\s>]/)).split('\n').length;
    errors.push({ field: `${prefix}.mjml`, line, message: 'skriv bare innholdet i mj-body (mj-section, mj-wrapper …); oppsettet legger til <mjml>, toppen og bunnen' });
    return errors;
  }
  const merge = checkMergeTemplate(content.mjml, `${prefix}.mjml`, category);
  errors.push(...merge.errors);
  const asm = assembleMjml(content.mjml, lang, true, unionName);
  try {
    await mjml2html(asm.source, { validationLevel: 'strict', keepComments: false });
  } catch (err) {
    errors.push(...mjmlErrors(err, `${prefix}.mjml`, asm.bodyFirstLine, asm.bodyLines));
  }
  return errors;
}

const compiled = new Map<string, Promise<CompiledEmail>>();
const CACHE_MAX = 256;

/** The compiled email of a version in a language (cached by version id, language and footer kind). */
export function compileEmail(version: TemplateVersion, language: Lang, opts: { declinable: boolean; unionName: string }): Promise<CompiledEmail> {
  const key = `${version.id}|${language}|${opts.declinable ? 'd' : 'm'}|${opts.unionName}`;
  let p = compiled.get(key);
  if (p) {
    // keep recently used entries at the end (Map order) for the eviction below
    compiled.delete(key);
    compiled.set(key, p);
    return p;
  }
  p = doCompile(version, language, opts);
  compiled.set(key, p);
  p.catch(() => compiled.delete(key));
  while (compiled.size > CACHE_MAX) compiled.delete(compiled.keys().next().value as string);
  return p;
}

/** Drops compiled output (tests and the benchmark measure a cold compile with it). */
export function clearEmailCache(): void {
  compiled.clear();
}

async function doCompile(version: TemplateVersion, language: Lang, opts: { declinable: boolean; unionName: string }): Promise<CompiledEmail> {
  const content = version.languages[language] ?? version.languages.nb;
  if (!content.mjml || !content.subject) throw new TemplateInvalid([{ field: `languages.${language}.mjml`, line: 1, message: 'malen har ingen e-post' }]);
  const prefix = `languages.${language}`;
  const subjectCheck = checkMergeTemplate(content.subject, `${prefix}.subject`, version.category);
  const bodyCheck = checkMergeTemplate(content.mjml, `${prefix}.mjml`, version.category);
  const errors = [...subjectCheck.errors, ...bodyCheck.errors];
  const asm = assembleMjml(content.mjml, language, opts.declinable, opts.unionName);
  const t0 = performance.now();
  let html = '';
  try {
    html = (await mjml2html(asm.source, { validationLevel: 'strict', keepComments: false })).html;
  } catch (err) {
    errors.push(...mjmlErrors(err, `${prefix}.mjml`, asm.bodyFirstLine, asm.bodyLines));
  }
  if (errors.length) throw new TemplateInvalid(errors);
  const text = htmlTemplateToText(html);
  const mjmlMs = performance.now() - t0;
  return {
    versionId: version.id,
    language,
    declinable: opts.declinable,
    subject: compileFast(content.subject, { escape: false, unionName: opts.unionName }),
    html: compileFast(html, { escape: true, unionName: opts.unionName }),
    text: compileFast(text, { escape: false, unionName: opts.unionName }),
    htmlSplit: splitTemplate(html, true, opts.unionName),
    textSplit: splitTemplate(text, false, opts.unionName),
    links: new Set([...subjectCheck.links, ...bodyCheck.links]),
    mjmlMs,
  };
}

// ---------------------------------------------------------------------------------------------
// One member, complete: preview, test sends, single messages.
// ---------------------------------------------------------------------------------------------

export interface RenderedEmail {
  language: Lang;
  subject: string;
  html: string;
  text: string;
  /** List-Unsubscribe / List-Unsubscribe-Post (when an unsubscribe URL is known). */
  headers: Record<string, string>;
}

export interface RenderEnv { config: Pick<Config, 'unionName' | 'unionEmailFrom' | 'trackOpensAndClicks'> }

function oneLine(s: string): string {
  return s.replace(/[\r\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

function listUnsubscribeHeaders(url: string | undefined): Record<string, string> {
  if (!url) return {};
  if (!url.startsWith('https://') && !url.startsWith('http://')) throw new Error('List-Unsubscribe needs an http(s) URL');
  return { 'List-Unsubscribe': `<${url}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

function missingLinks(c: CompiledEmail, links: Record<string, string> | undefined): string[] {
  return [...c.links].filter((l) => !links || typeof links[l] !== 'string' || !links[l]);
}

/** Renders one member's email completely (html, text, subject, headers). */
export async function renderEmail(env: RenderEnv, version: TemplateVersion, language: string | null | undefined, fields: MergeFields,
  opts: { declinable?: boolean; listUnsubscribeUrl?: string } = {}): Promise<RenderedEmail> {
  const chosen = languageFor(version, language, 'mjml');
  if (!chosen) throw new TemplateInvalid([{ field: 'languages.nb.mjml', line: 1, message: 'malen har ingen e-post' }]);
  const c = await compileEmail(version, chosen.language, { declinable: opts.declinable ?? version.declinable, unionName: env.config.unionName });
  const missing = missingLinks(c, fields.links);
  if (missing.length) throw new TemplateInvalid(missing.map((l) => ({ field: `links.${l}`, line: 1, message: `malen bruker {{links.${l}}}, men ingen lenke «${l}» er oppgitt` })));
  const links = fields.links ?? {};
  return {
    language: chosen.language,
    subject: oneLine(c.subject(fields, links)),
    html: c.html(fields, links),
    text: c.text(fields, links),
    headers: listUnsubscribeHeaders(opts.listUnsubscribeUrl ?? (fields.unsubscribeUrl || undefined)),
  };
}

// ---------------------------------------------------------------------------------------------
// The batch form: up to 1000 members → provider-neutral email messages (types.ts: EmailMessage),
// one per language present (a provider takes ONE content per request), each member a recipient
// of their own with their subject, List-Unsubscribe headers, our reference (the send-log id) and
// the values for the dynamic parts of html and text. A member whose values would exceed
// SUBSTITUTIONS_MAX_BYTES (SendGrid's 10,000-byte limit on substitutions) gets a message of
// their own with the fully merged body. Only the provider adapter (src/providers/email.ts)
// turns a message into the provider's JSON.
// ---------------------------------------------------------------------------------------------

export interface EmailRecipient {
  /** send_log.id: comes back in every webhook event as custom_args.send_log_id. */
  sendLogId: number | string;
  email: string;
  /** Display name in To (default: first and last name). */
  name?: string;
  /** members.language; a language the template lacks falls back to bokmål. */
  language: string | null;
  fields: MergeFields;
  /** Target of List-Unsubscribe (default fields.unsubscribeUrl). Required: every email carries the header. */
  listUnsubscribeUrl?: string;
}

export interface EmailBatchOptions {
  /** Footer kind; default: the template's category. Pass the campaign category's flag if it differs. */
  declinable?: boolean;
  /** Campaign links shared by all members (a member's fields.links win). */
  links?: Record<string, string>;
  from?: EmailAddress;
  replyTo?: EmailAddress;
  categories?: string[];
  /** Request-wide values every provider event carries back (e.g. campaign_id). */
  metadata?: Record<string, string>;
  sandbox?: boolean;
}

export interface EmailBatchRequest {
  language: Lang;
  /** false: a member alone with a fully merged body (substitutions over 10,000 bytes). */
  shared: boolean;
  sendLogIds: string[];
  message: EmailMessage;
}

export const MAX_BATCH = 1000;
export const SUBSTITUTIONS_MAX_BYTES = 10_000;

/** Bytes of the tags of n statements of one kind: `%bs` + 8 hex digits + `h`|`t` + index + `%`. */
function tagBytes(n: number): number {
  let b = 0;
  for (let i = 0; i < n; i++) b += 13 + String(i).length;
  return b;
}

/** A member's substitutions in bytes if every statement had its own tag (the size judged against SendGrid's limit). */
function allValueBytes(tags: number, hv: string[], tv: string[]): number {
  let n = tags;
  for (const v of hv) n += Buffer.byteLength(v);
  for (const v of tv) n += Buffer.byteLength(v);
  return n;
}

/** Shared body with substitution tags where the dynamic statements were; the tag prefix is random per request. */
function taggedBody(split: SplitTemplate, tag: (i: number) => string): string {
  let out = split.statics[0];
  for (let i = 0; i < split.slots.length; i++) out += tag(split.slots[i]) + split.statics[i + 1];
  return out;
}

/** Which language each wanted language resolves to for this version's email (memoised per version). */
const langMaps = new WeakMap<TemplateVersion, Map<string | null, Lang | null>>();
function resolveEmailLanguage(version: TemplateVersion, wanted: string | null): Lang | null {
  let m = langMaps.get(version);
  if (!m) langMaps.set(version, (m = new Map()));
  let l = m.get(wanted);
  if (l === undefined) {
    l = languageFor(version, wanted, 'mjml')?.language ?? null;
    m.set(wanted, l);
  }
  return l;
}

const NEEDS_ONE_LINE = /[\r\n\t]| {2}/;
function fastOneLine(s: string): string {
  return NEEDS_ONE_LINE.test(s) ? oneLine(s) : s.trim();
}

export async function renderEmailBatch(env: RenderEnv, version: TemplateVersion, recipients: EmailRecipient[], opts: EmailBatchOptions = {}): Promise<EmailBatchRequest[]> {
  if (recipients.length > MAX_BATCH) throw new Error(`renderEmailBatch takes at most ${MAX_BATCH} recipients, got ${recipients.length}`);
  const declinable = opts.declinable ?? version.declinable;
  const { config } = env;
  const groups = new Map<Lang, EmailRecipient[]>();
  for (const r of recipients) {
    const language = resolveEmailLanguage(version, r.language);
    if (!language) throw new TemplateInvalid([{ field: 'languages.nb.mjml', line: 1, message: 'malen har ingen e-post' }]);
    let g = groups.get(language);
    if (!g) groups.set(language, (g = []));
    g.push(r);
  }
  const base = (): Omit<EmailMessage, 'recipients' | 'text' | 'html'> => ({
    from: opts.from ?? { email: config.unionEmailFrom, name: config.unionName },
    ...(opts.replyTo ? { replyTo: opts.replyTo } : {}),
    categories: opts.categories?.length ? opts.categories : [version.category],
    metadata: opts.metadata ?? {},
    tracking: { clicks: config.trackOpensAndClicks, opens: config.trackOpensAndClicks },
    sandbox: opts.sandbox ?? false,
  });
  const sharedLinks = opts.links ?? {};

  const out: EmailBatchRequest[] = [];
  for (const [language, members] of groups) {
    const c = await compileEmail(version, language, { declinable, unionName: config.unionName });
    const sharedMissing = missingLinks(c, sharedLinks);
    const hf = c.htmlSplit.fns;
    const tf = c.textSplit.fns;
    const tags = tagBytes(hf.length) + tagBytes(tf.length);
    // Each member's values, by statement; the keys (tags) are chosen once the request's shared
    // values are known (below).
    const shared: { ref: string; to: EmailAddress; subject: string; headers: Record<string, string>; hv: string[]; tv: string[] }[] = [];
    let linksShared = true;
    for (const r of members) {
      const own = r.fields.links;
      let links = sharedLinks;
      if (own && own !== sharedLinks) { for (const _k in own) { links = { ...sharedLinks, ...own }; linksShared = false; break; } }
      if (sharedMissing.length) {
        const missing = missingLinks(c, links);
        if (missing.length) throw new TemplateInvalid(missing.map((l) => ({ field: `links.${l}`, line: 1, message: `malen bruker {{links.${l}}}, men ingen lenke «${l}» er oppgitt` })));
      }
      const f = r.fields;
      const unsubscribe = r.listUnsubscribeUrl ?? (f.unsubscribeUrl || undefined);
      if (!unsubscribe) throw new Error(`recipient ${r.sendLogId}: no unsubscribe URL for the List-Unsubscribe header`);
      const headers = listUnsubscribeHeaders(unsubscribe);
      const to: EmailAddress = { email: r.email, name: fastOneLine(r.name ?? `${f.firstName} ${f.lastName}`) };
      const subject = fastOneLine(c.subject(f, links));
      const ref = String(r.sendLogId);
      const hv: string[] = new Array(hf.length);
      const tv: string[] = new Array(tf.length);
      let length = 0;
      for (let i = 0; i < hf.length; i++) { const v = hf[i](f, links); hv[i] = v; length += v.length; }
      for (let i = 0; i < tf.length; i++) { const v = tf[i](f, links); tv[i] = v; length += v.length; }
      // The limit is judged on every statement's value and tag, as if none were shared (a member
      // alone with the merged body is decided before, and whatever the request shares): UTF-8
      // takes at most 3 bytes per UTF-16 unit, so count exactly only when it could matter.
      if ((length + tags) * 3 > SUBSTITUTIONS_MAX_BYTES && allValueBytes(tags, hv, tv) > SUBSTITUTIONS_MAX_BYTES) {
        out.push({
          language, shared: false, sendLogIds: [ref],
          message: { ...base(), text: c.text(f, links), html: c.html(f, links), recipients: [{ ref, to, subject, headers }] },
        });
        continue;
      }
      shared.push({ ref, to, subject, headers, hv, tv });
    }
    if (!shared.length) continue;
    // What the request sends once instead of once per member (what each member gets is the same):
    //  - a statement that reads only campaign links (`{{links.action}}`), when every member has
    //    the request's links, goes into the shared body as its value: it is no member's data;
    //  - a text statement whose value equals an html statement's for EVERY member of the
    //    request (a first name, a URL: nothing that html-escaping changes) uses that html tag.
    const first = shared[0];
    const hInline = c.htmlSplit.campaignOnly.map((only) => linksShared && only);
    const tInline = c.textSplit.campaignOnly.map((only) => linksShared && only);
    const tAlias: number[] = tf.map((_f, j) => {
      if (tInline[j]) return -1;
      for (let k = 0; k < hf.length; k++) {
        if (hInline[k] || first.hv[k] !== first.tv[j]) continue;
        let all = true;
        for (let m = 1; m < shared.length && all; m++) all = shared[m].hv[k] === shared[m].tv[j];
        if (all) return k;
      }
      return -1;
    });
    // The tag prefix is random per request, and appears neither in the shared text nor in what is inlined.
    let statics = c.htmlSplit.statics.join('') + c.textSplit.statics.join('');
    for (let i = 0; i < hf.length; i++) if (hInline[i]) statics += first.hv[i];
    for (let j = 0; j < tf.length; j++) if (tInline[j]) statics += first.tv[j];
    let nonce: string;
    do nonce = crypto.randomBytes(4).toString('hex'); while (statics.includes(nonce));
    const hTags = hf.map((_f, i) => `%bs${nonce}h${i}%`);
    const tTags = tf.map((_f, j) => (tAlias[j] >= 0 ? hTags[tAlias[j]] : `%bs${nonce}t${j}%`));
    const parts: EmailRecipientPart[] = new Array(shared.length);
    const ids: string[] = new Array(shared.length);
    for (let m = 0; m < shared.length; m++) {
      const { ref, to, subject, headers, hv, tv } = shared[m];
      const values: Record<string, string> = {};
      for (let i = 0; i < hf.length; i++) if (!hInline[i]) values[hTags[i]] = hv[i];
      for (let j = 0; j < tf.length; j++) if (!tInline[j] && tAlias[j] < 0) values[tTags[j]] = tv[j];
      parts[m] = { ref, to, subject, headers, values };
      ids[m] = ref;
    }
    out.push({
      language, shared: true, sendLogIds: ids,
      message: {
        ...base(),
        text: taggedBody(c.textSplit, (j) => (tInline[j] ? first.tv[j] : tTags[j])),
        html: taggedBody(c.htmlSplit, (i) => (hInline[i] ? first.hv[i] : hTags[i])),
        recipients: parts,
      },
    });
  }
  return out;
}

/**
 * What a provider does with a message: recipient `i`'s values put in the shared html and text.
 * For tests (what exactly a member receives); the emulator does the same to SendGrid's JSON.
 */
export function applySubstitutions(message: EmailMessage, i: number): { subject: string; text: string; html: string } {
  const p = message.recipients[i];
  const subs = p.values ?? {};
  const keys = Object.keys(subs);
  const apply = (s: string) => {
    if (!keys.length) return s;
    const re = new RegExp(keys.map((k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    return s.replace(re, (m) => subs[m]);
  };
  return { subject: p.subject, text: apply(message.text), html: apply(message.html) };
}
