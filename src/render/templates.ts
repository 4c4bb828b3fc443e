import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Db, Queryable } from '../db';
import type { Hub } from '../hub';
import type { Staff } from '../auth/staff';
import { Problem, type FieldError } from '../errors';
import { TEMPLATES_DIR } from '../paths';
import { LANGS, type Lang, type TemplateError } from './fields';
import { checkEmail } from './email';
import { checkSms } from './sms';
import { checkLetter } from './letters';
import { TemplateInvalid, type LanguageContent, type TemplateLanguages, type TemplateVersion } from './types';

// ---------------------------------------------------------------------------------------------
// Validation at save: every language and channel, every error with its line.
// ---------------------------------------------------------------------------------------------

/** All problems of a template's content (empty: it can be saved and sent). */
export async function validateTemplateContent(category: string, declinable: boolean, languages: TemplateLanguages, unionName: string): Promise<TemplateError[]> {
  const errors: TemplateError[] = [];
  const nb = languages.nb;
  if (!nb) return [{ field: 'languages.nb', line: 1, message: 'bokmål må være med: det er reservespråket for alle medlemmer' }];
  if (!nb.mjml && !nb.sms && !nb.letter) errors.push({ field: 'languages.nb', line: 1, message: 'en mal trenger minst én av e-post (mjml), SMS eller brev' });
  for (const lang of LANGS) {
    const c = languages[lang];
    if (!c) continue;
    const prefix = `languages.${lang}`;
    if (c.mjml != null) errors.push(...await checkEmail(c, lang, prefix, category, unionName));
    else if (c.subject != null && lang !== 'nb' && nb.mjml == null) errors.push({ field: `${prefix}.subject`, line: 1, message: 'et emne uten e-post (mjml)' });
    if (c.sms != null) errors.push(...checkSms(c.sms, `${prefix}.sms`, category, lang, declinable));
    if (c.letter != null) {
      errors.push(...checkLetter(c.letter, `${prefix}.letter`, category));
      if (!c.letter.trim()) errors.push({ field: `${prefix}.letter`, line: 1, message: 'brevet er tomt' });
    }
  }
  return errors;
}

/** The 422 problem listing each error with its field, line and message. */
export function templateProblem(errors: TemplateError[]): Problem {
  const list = errors.map((e) => ({ field: e.field, line: e.line, ...(e.column ? { column: e.column } : {}), message: e.message }));
  return Problem.unprocessable(`Malen har ${errors.length} ${errors.length === 1 ? 'feil' : 'feil'}.`, list as unknown as FieldError[]);
}

// ---------------------------------------------------------------------------------------------
// Storage.
// ---------------------------------------------------------------------------------------------

function canonical(languages: TemplateLanguages): Record<string, LanguageContent> {
  const out: Record<string, LanguageContent> = {};
  for (const l of LANGS) {
    const c = languages[l];
    if (c) out[l] = { subject: c.subject ?? null, mjml: c.mjml ?? null, sms: c.sms ?? null, letter: c.letter ?? null };
  }
  return out;
}

export function contentHash(languages: TemplateLanguages): string {
  return crypto.createHash('sha256').update(JSON.stringify(canonical(languages))).digest('hex');
}

export interface TemplateSummary {
  id: number;
  key: string;
  name: string;
  description: string | null;
  category: string;
  declinable: boolean;
  builtIn: boolean;
  latestVersion: { id: number; version: number; createdAt: string } | null;
  createdAt: string;
  updatedAt: string;
}

const SUMMARY_SQL = `
  SELECT t.id, t.key, t.name, t.description, t.category, mc.declinable, t.built_in, t.created_at, t.updated_at,
         lv.id AS version_id, lv.version, lv.created_at AS version_created_at
    FROM templates t
    JOIN message_categories mc ON mc.code = t.category
    LEFT JOIN LATERAL (SELECT v.id, v.version, v.created_at FROM template_versions v WHERE v.template_id = t.id ORDER BY v.version DESC LIMIT 1) lv ON true`;

function summary(r: Record<string, any>): TemplateSummary {
  return {
    id: r.id, key: r.key, name: r.name, description: r.description, category: r.category, declinable: r.declinable, builtIn: r.built_in,
    latestVersion: r.version_id ? { id: r.version_id, version: r.version, createdAt: r.version_created_at.toISOString() } : null,
    createdAt: r.created_at.toISOString(), updatedAt: r.updated_at.toISOString(),
  };
}

export async function listTemplates(db: Queryable, filter: { category?: string } = {}): Promise<TemplateSummary[]> {
  const params: unknown[] = [];
  let where = '';
  if (filter.category) { params.push(filter.category); where = 'WHERE t.category = $1'; }
  return (await db.query(`${SUMMARY_SQL} ${where} ORDER BY t.built_in DESC, t.key`, params)).rows.map(summary);
}

export async function getTemplate(db: Queryable, id: number): Promise<TemplateSummary> {
  const r = (await db.query(`${SUMMARY_SQL} WHERE t.id = $1`, [id])).rows[0];
  if (!r) throw Problem.notFound(`Fant ingen mal ${id}.`);
  return summary(r);
}

export async function getTemplateByKey(db: Queryable, key: string): Promise<TemplateSummary | null> {
  const r = (await db.query(`${SUMMARY_SQL} WHERE t.key = $1`, [key])).rows[0];
  return r ? summary(r) : null;
}

export async function listVersions(db: Queryable, templateId: number): Promise<{ id: number; version: number; source: string; note: string | null; createdAt: string; createdBy: number | null }[]> {
  const rows = (await db.query('SELECT id, version, source, note, created_at, created_by FROM template_versions WHERE template_id = $1 ORDER BY version DESC', [templateId])).rows;
  return rows.map((r) => ({ id: r.id, version: r.version, source: r.source, note: r.note, createdAt: r.created_at.toISOString(), createdBy: r.created_by }));
}

const VERSION_SQL = `
  SELECT v.id, v.template_id, v.version, v.created_at, t.key, t.name, t.category, mc.declinable,
         (SELECT json_object_agg(l.language, json_build_object('subject', l.subject, 'mjml', l.mjml, 'sms', l.sms, 'letter', l.letter))
            FROM template_version_languages l WHERE l.template_version_id = v.id) AS languages
    FROM template_versions v
    JOIN templates t ON t.id = v.template_id
    JOIN message_categories mc ON mc.code = t.category`;

function versionFromRow(r: Record<string, any>): TemplateVersion {
  return {
    id: r.id, templateId: r.template_id, key: r.key, name: r.name, category: r.category, declinable: r.declinable,
    version: r.version, languages: r.languages as TemplateLanguages, createdAt: r.created_at.toISOString(),
  };
}

/** A version by its id (what a campaign stores): the renderers' input. */
export async function loadTemplateVersion(db: Queryable, versionId: number): Promise<TemplateVersion> {
  const r = (await db.query(`${VERSION_SQL} WHERE v.id = $1`, [versionId])).rows[0];
  if (!r) throw Problem.notFound(`Fant ingen malversjon ${versionId}.`);
  return versionFromRow(r);
}

/** A template's version by number, or its latest when `version` is omitted. */
export async function loadTemplateVersionOf(db: Queryable, templateId: number, version?: number): Promise<TemplateVersion> {
  const r = version === undefined
    ? (await db.query(`${VERSION_SQL} WHERE v.template_id = $1 ORDER BY v.version DESC LIMIT 1`, [templateId])).rows[0]
    : (await db.query(`${VERSION_SQL} WHERE v.template_id = $1 AND v.version = $2`, [templateId, version])).rows[0];
  if (!r) throw Problem.notFound(version === undefined ? `Mal ${templateId} har ingen versjon.` : `Mal ${templateId} har ingen versjon ${version}.`);
  return versionFromRow(r);
}

/** The latest version of a template by key (built-ins: 'dues_reminder', 'ballot_opened'…). */
export async function loadLatestVersionByKey(db: Queryable, key: string): Promise<TemplateVersion> {
  const r = (await db.query(`${VERSION_SQL} WHERE t.key = $1 ORDER BY v.version DESC LIMIT 1`, [key])).rows[0];
  if (!r) throw Problem.notFound(`Fant ingen mal «${key}».`);
  return versionFromRow(r);
}

async function categoryDeclinable(db: Queryable, category: string): Promise<boolean> {
  const r = (await db.query('SELECT declinable FROM message_categories WHERE code = $1', [category])).rows[0];
  if (!r) throw Problem.unprocessable('Ukjent meldingskategori.', [{ field: 'category', message: `Meldingskategori: ingen kategori «${category}»` }]);
  return r.declinable;
}

async function insertVersion(db: Queryable, templateId: number, languages: TemplateLanguages, source: 'api' | 'file', staff: Staff | null, note: string | null): Promise<{ id: number; version: number }> {
  // Serialise version numbers per template (two saves at once get 1 and 2, not a unique violation).
  await db.query('SELECT id FROM templates WHERE id = $1 FOR UPDATE', [templateId]);
  const v = (await db.query<{ id: number; version: number }>(
    `INSERT INTO template_versions (template_id, version, source, content_hash, note, created_by)
     SELECT $1, COALESCE(max(version), 0) + 1, $2, $3, $4, $5 FROM template_versions WHERE template_id = $1
     RETURNING id, version`, [templateId, source, contentHash(languages), note, staff?.id ?? null])).rows[0];
  for (const [lang, c] of Object.entries(canonical(languages))) {
    await db.query('INSERT INTO template_version_languages (template_version_id, language, subject, mjml, sms, letter) VALUES ($1, $2, $3, $4, $5, $6)',
      [v.id, lang, c.subject, c.mjml, c.sms, c.letter]);
  }
  await db.query('UPDATE templates SET updated_at = now() WHERE id = $1', [templateId]);
  return v;
}

export interface NewTemplate {
  key: string;
  name: string;
  description?: string | null;
  category: string;
  languages: TemplateLanguages;
  note?: string | null;
  idempotencyKey?: string | null;
}

/** Creates a template and its version 1. Throws a 422 problem listing every content error. */
export async function createTemplate(hub: Pick<Hub, 'db' | 'config'>, staff: Staff | null, input: NewTemplate, opts: { builtIn?: boolean } = {}): Promise<{ template: TemplateSummary; version: TemplateVersion; created: boolean }> {
  // A repeated submit with the same idempotency key gets the template made the first time.
  const idem = input.idempotencyKey ? `${staff?.id ?? 0}:${input.idempotencyKey}` : null;
  const again = async () => {
    const r = idem ? (await hub.db.query('SELECT id FROM templates WHERE idempotency_key = $1', [idem])).rows[0] : null;
    return r ? { template: await getTemplate(hub.db, r.id), version: await loadTemplateVersionOf(hub.db, r.id, 1), created: false } : null;
  };
  const before = await again();
  if (before) return before;
  const declinable = await categoryDeclinable(hub.db, input.category);
  const errors = await validateTemplateContent(input.category, declinable, input.languages, hub.config.unionName);
  if (errors.length) throw templateProblem(errors);
  const ids = await hub.db.tx(async (c) => {
    const t = (await c.query(
      `INSERT INTO templates (key, name, description, category, built_in, created_by, idempotency_key) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING RETURNING id`,
      [input.key, input.name, input.description ?? null, input.category, opts.builtIn ?? false, staff?.id ?? null, idem])).rows[0];
    if (!t) return null;
    const v = await insertVersion(c, t.id, input.languages, opts.builtIn ? 'file' : 'api', staff, input.note ?? null);
    return { templateId: t.id as number, versionId: v.id };
  });
  if (!ids) {
    // Either the same key was just used by a concurrent submit (it has committed: answer with it), or the key is taken.
    const same = await again();
    if (same) return same;
    throw Problem.conflict(`Det finnes allerede en mal med nøkkelen «${input.key}».`);
  }
  return { template: await getTemplate(hub.db, ids.templateId), version: await loadTemplateVersion(hub.db, ids.versionId), created: true };
}

/**
 * A change to a version's languages: a language given replaces only the channels it names
 * (`{ nn: { sms: '…' } }` changes the nynorsk SMS and keeps the nynorsk email); a language set to
 * null is removed on purpose (never bokmål, the fallback); a language left out is kept as it was.
 * So a save from a form that shows one language can never drop the others.
 */
export type LanguagesPatch = Partial<Record<Lang, Partial<LanguageContent> | null>>;

export function mergeLanguages(base: TemplateLanguages | null, patch: LanguagesPatch): { languages: TemplateLanguages; kept: Lang[]; removed: Lang[] } {
  const out: Partial<Record<Lang, LanguageContent>> = {};
  const kept: Lang[] = [];
  const removed: Lang[] = [];
  for (const lang of LANGS) {
    const before = base?.[lang] ?? null;
    const change = patch[lang];
    if (change === undefined) {
      if (before) { out[lang] = { ...before }; kept.push(lang); }
      continue;
    }
    if (change === null) { if (before) removed.push(lang); continue; }
    const empty: LanguageContent = { subject: null, mjml: null, sms: null, letter: null };
    const next = { ...empty, ...(before ?? {}), ...Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)) } as LanguageContent;
    // A variant emptied of every channel is no variant: its members get bokmål, as the review says.
    if (lang !== 'nb' && !next.mjml && !next.sms && !next.letter) { if (before) removed.push(lang); continue; }
    out[lang] = next;
  }
  if (!out.nb) throw Problem.unprocessable('Bokmål kan ikke fjernes: det er reservespråket for alle medlemmer.', [{ field: 'languages.nb', message: 'bokmål må være med: det er reservespråket for alle medlemmer' }]);
  return { languages: out as TemplateLanguages, kept, removed };
}

/**
 * Adds a version (the earlier ones stay as they are: campaigns keep theirs). The languages are a
 * patch on the latest version (see mergeLanguages). With `basedOn`, the save is refused (409) when
 * someone else added a version since the editor opened that one.
 */
export async function addTemplateVersion(hub: Pick<Hub, 'db' | 'config'>, staff: Staff | null, templateId: number, patch: LanguagesPatch, note?: string | null, opts: { basedOn?: number } = {}): Promise<TemplateVersion & { keptLanguages: Lang[]; removedLanguages: Lang[] }> {
  const t = await getTemplate(hub.db, templateId);
  const v = await hub.db.tx(async (c) => {
    await c.query('SELECT id FROM templates WHERE id = $1 FOR UPDATE', [templateId]);
    const latest = t.latestVersion ? await loadTemplateVersionOf(c, templateId) : null;
    if (opts.basedOn !== undefined && latest && latest.version !== opts.basedOn) {
      throw Problem.conflict(`Malen har fått versjon ${latest.version} etter at du åpnet versjon ${opts.basedOn}. Åpne den nye versjonen og gjør endringen der.`,
        { latestVersion: latest.version, basedOn: opts.basedOn });
    }
    const merged = mergeLanguages(latest?.languages ?? null, patch);
    const errors = await validateTemplateContent(t.category, t.declinable, merged.languages, hub.config.unionName);
    if (errors.length) throw templateProblem(errors);
    const row = await insertVersion(c, templateId, merged.languages, 'api', staff, note ?? null);
    return { ...row, kept: merged.kept, removed: merged.removed };
  });
  return { ...(await loadTemplateVersion(hub.db, v.id)), keptLanguages: v.kept, removedLanguages: v.removed };
}

/** The campaigns (not tests) whose content is a version of this template: who an edit for everyone reaches. */
export async function templateUsage(db: Queryable, templateId: number): Promise<{ id: number; name: string; state: string; version: number }[]> {
  return (await db.query(
    `SELECT DISTINCT ON (c.id) c.id, c.name, c.state, v.version
       FROM campaigns c
       CROSS JOIN LATERAL jsonb_each_text(c.templates) t(channel, version_id)
       JOIN template_versions v ON v.id = t.version_id::bigint
      WHERE v.template_id = $1 AND c.kind = 'campaign'
      ORDER BY c.id DESC LIMIT 100`, [templateId])).rows.map((r) => ({ id: Number(r.id), name: r.name, state: r.state, version: r.version }));
}

// ---------------------------------------------------------------------------------------------
// Built-in templates from templates/<key>/: template.json (name, category, description) and per
// language <lang>.mjml (front matter with the subject), <lang>.sms.txt, <lang>.letter.md.
// ---------------------------------------------------------------------------------------------

export interface BuiltInTemplate { key: string; name: string; description: string | null; category: string; languages: TemplateLanguages; dir: string }

/** Splits `---\nsubject: …\n---\n<body>` into the subject and the body. */
export function parseFrontMatter(text: string): { meta: Record<string, string>; body: string } {
  const src = text.replace(/\r\n/g, '\n');
  const m = /^---\n([\s\S]*?)\n---\n?/.exec(src);
  if (!m) return { meta: {}, body: src };
  const meta: Record<string, string> = {};
  for (const line of m[1].split('\n')) {
    const kv = /^([A-Za-z_]+):\s*(.*)$/.exec(line);
    if (kv) meta[kv[1]] = kv[2].trim().replace(/^"(.*)"$/, '$1');
  }
  return { meta, body: src.slice(m[0].length) };
}

export function readBuiltInTemplates(dir = TEMPLATES_DIR): BuiltInTemplate[] {
  const out: BuiltInTemplate[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const tdir = path.join(dir, entry.name);
    const metaFile = path.join(tdir, 'template.json');
    if (!fs.existsSync(metaFile)) continue;
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
    const read = (f: string) => (fs.existsSync(path.join(tdir, f)) ? fs.readFileSync(path.join(tdir, f), 'utf8').replace(/\r\n/g, '\n') : null);
    const languages: Partial<Record<Lang, LanguageContent>> = {};
    for (const lang of LANGS) {
      const mj = read(`${lang}.mjml`);
      const fm = mj != null ? parseFrontMatter(mj) : null;
      const sms = read(`${lang}.sms.txt`);
      const letter = read(`${lang}.letter.md`);
      if (!fm && sms == null && letter == null) continue;
      languages[lang] = { subject: fm?.meta.subject ?? null, mjml: fm ? fm.body.replace(/\n+$/, '\n') : null, sms: sms?.trim() ?? null, letter: letter?.trim() ?? null };
    }
    if (!languages.nb) throw new Error(`built-in template ${entry.name} has no bokmål (nb) files`);
    out.push({ key: meta.key ?? entry.name, name: meta.name, description: meta.description ?? null, category: meta.category, languages: languages as TemplateLanguages, dir: tdir });
  }
  return out;
}

/**
 * Loads templates/ into the database: a new built-in template is created, a changed file adds a
 * version (source 'file'), an unchanged one adds nothing. Safe to run from several processes at
 * once (advisory lock). A built-in with errors is logged and skipped, never half-saved.
 */
export async function syncBuiltInTemplates(hub: Pick<Hub, 'db' | 'config' | 'log'>, dir = TEMPLATES_DIR): Promise<{ created: string[]; updated: string[]; unchanged: string[]; invalid: string[] }> {
  const result = { created: [] as string[], updated: [] as string[], unchanged: [] as string[], invalid: [] as string[] };
  const builtIns = readBuiltInTemplates(dir);
  const client = await hub.db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(hashtext($1))', ['budstikke.templates.sync']);
    for (const b of builtIns) {
      const hash = contentHash(b.languages);
      const existing = (await client.query('SELECT id FROM templates WHERE key = $1', [b.key])).rows[0];
      if (existing) {
        const same = (await client.query(`SELECT 1 FROM template_versions WHERE template_id = $1 AND source = 'file' AND content_hash = $2`, [existing.id, hash])).rowCount;
        if (same) { result.unchanged.push(b.key); continue; }
      }
      const declinable = await categoryDeclinable(client, b.category);
      const errors = await validateTemplateContent(b.category, declinable, b.languages, hub.config.unionName);
      if (errors.length) {
        hub.log.error({ template: b.key, errors }, 'built-in template has errors; not loaded');
        result.invalid.push(b.key);
        continue;
      }
      await client.query('BEGIN');
      try {
        let id = existing?.id as number | undefined;
        if (!id) {
          id = (await client.query('INSERT INTO templates (key, name, description, category, built_in) VALUES ($1, $2, $3, $4, true) RETURNING id',
            [b.key, b.name, b.description, b.category])).rows[0].id as number;
        } else {
          await client.query('UPDATE templates SET name = $2, description = $3, built_in = true WHERE id = $1', [id, b.name, b.description]);
        }
        await insertVersion(client, id, b.languages, 'file', null, `from templates/${path.basename(b.dir)}`);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
      (existing ? result.updated : result.created).push(b.key);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['budstikke.templates.sync']).catch(() => undefined);
    client.release();
  }
  if (result.created.length || result.updated.length) hub.log.info({ created: result.created, updated: result.updated }, 'built-in templates loaded');
  return result;
}

export { TemplateInvalid };
export type { Db };
