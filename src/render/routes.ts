import Joi from 'joi';
import type { Api } from '../http/api';
import { addTemplateVersion, createTemplate, getTemplate, listTemplates, listVersions, loadTemplateVersionOf, mergeLanguages, templateUsage } from './templates';
import { audit } from '../audit';
import { previewLetterPdf, previewTemplate, sampleRecipient } from './preview';
import { draftSmsInfo } from './sms';
import { Problem } from '../errors';
import { draftSmsInfoSchema, previewPdf, previewSchema, templateCreated, templateDetail, templateList, versionAdded } from './responses';

const content = Joi.object({
  subject: Joi.string().max(500).allow(null, ''),
  mjml: Joi.string().max(500_000).allow(null),
  sms: Joi.string().max(5000).allow(null),
  letter: Joi.string().max(200_000).allow(null),
});
const languages = Joi.object({ nb: content.required(), nn: content, en: content }).required();
/** A change to the latest version: languages left out are kept; a language set to null is removed. */
const languagesPatch = Joi.object({ nb: content, nn: content.allow(null), en: content.allow(null) }).min(1).required();
const idempotencyKey = Joi.string().pattern(/^[A-Za-z0-9_-]{8,100}$/).description('the same key on a repeated submit returns what the first one made');
const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });
const lang = Joi.string().valid('nb', 'nn', 'en');
const memberNumber = Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/);
const links = Joi.object().pattern(Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/), Joi.string().uri({ scheme: ['http', 'https'] }));

const WRITE = ['admin', 'communications'] as const;
const READ = ['admin', 'communications', 'representative'] as const;

export function registerTemplateRoutes(api: Api): void {
  api.post('/templates', {
    summary: 'Create a template and its version 1 (422 lists every MJML or merge-field error with its line)',
    roles: [...WRITE],
    tags: ['templates'], responses: { 200: templateCreated, 201: templateCreated },
    body: Joi.object({
      key: Joi.string().pattern(/^[a-z0-9][a-z0-9_-]{1,62}$/).required(),
      name: Joi.string().min(1).max(200).required(),
      description: Joi.string().max(2000).allow(null, ''),
      category: Joi.string().max(40).required(),
      languages,
      note: Joi.string().max(500).allow(null, ''),
      idempotencyKey,
    }),
  }, async ({ hub, staff, body, res }) => {
    const out = await createTemplate(hub, staff, body);
    res.status(out.created ? 201 : 200);
    return out;
  });

  api.get('/templates', {
    summary: 'List templates with their latest version',
    roles: [...READ],
    tags: ['templates'], responses: { 200: templateList },
    query: Joi.object({ category: Joi.string().max(40) }),
  }, async ({ hub, query }) => ({ templates: await listTemplates(hub.db, query) }));

  api.get('/templates/:id', {
    summary: 'A template, its versions, and the content of one version (default: the latest)',
    roles: [...READ],
    tags: ['templates'], responses: { 200: templateDetail },
    params: idParam,
    query: Joi.object({ version: Joi.number().integer().min(1) }),
  }, async ({ hub, params, query }) => {
    const template = await getTemplate(hub.db, params.id);
    const versions = await listVersions(hub.db, params.id);
    const version = versions.length ? await loadTemplateVersionOf(hub.db, params.id, query.version) : null;
    // Who an edit "for everyone" reaches: the campaigns using any version of it.
    const usedBy = await templateUsage(hub.db, params.id);
    return { template, versions, version, usedBy, shared: template.builtIn || usedBy.length > 0 };
  });

  api.post('/templates/:id/copy', {
    summary: "A new template from this one's latest version with the given changes (the original is unchanged): a copy for one campaign",
    roles: [...WRITE],
    tags: ['templates'], responses: { 200: templateCreated, 201: templateCreated },
    params: idParam,
    body: Joi.object({
      name: Joi.string().min(1).max(200).required(),
      languages: languagesPatch.optional(),
      note: Joi.string().max(500).allow(null, ''),
      idempotencyKey,
    }),
  }, async ({ hub, staff, params, body, res }) => {
    const source = await getTemplate(hub.db, params.id);
    const latest = await loadTemplateVersionOf(hub.db, params.id);
    const merged = mergeLanguages(latest.languages, body.languages ?? {});
    const suffix = (body.idempotencyKey ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`).toLowerCase().replace(/[^a-z0-9]/g, '').slice(-10);
    const key = `${source.key.slice(0, 40)}-kopi-${suffix}`.replace(/^[^a-z0-9]+/, '');
    const out = await createTemplate(hub, staff, {
      key, name: body.name, description: source.description, category: source.category, languages: merged.languages,
      note: body.note ?? `kopi av ${source.key} v${latest.version}`, idempotencyKey: body.idempotencyKey,
    });
    if (out.created) await audit(hub.db, { staff, action: 'template.copy', detail: { from: params.id, fromVersion: latest.version, templateId: out.template.id } });
    res.status(out.created ? 201 : 200);
    return out;
  });

  api.post('/templates/:id/versions', {
    summary: 'Add a version: the languages given change the latest version, every language (and channel) left out is kept, null removes a language; earlier versions stay unchanged',
    roles: [...WRITE],
    tags: ['templates'], responses: { 201: versionAdded },
    params: idParam,
    body: Joi.object({ languages: languagesPatch, note: Joi.string().max(500).allow(null, ''), basedOn: Joi.number().integer().min(1) }),
  }, async ({ hub, staff, params, body, res }) => {
    const version = await addTemplateVersion(hub, staff, params.id, body.languages, body.note, { basedOn: body.basedOn });
    res.status(201);
    return version;
  });

  api.post('/render/sms-segments', {
    summary: "The SMS editor's live count: characters, GSM-7 or UCS-2, segments and GSM-7 replacements of a text being written (merged for a sample member, with the category's opt-out line)",
    roles: [...READ],
    tags: ['templates'], responses: { 200: draftSmsInfoSchema },
    body: Joi.object({ text: Joi.string().max(5000).allow('').required(), language: lang.default('nb'), category: Joi.string().max(40).required(), links }),
  }, async ({ hub, body }) => {
    const cat = await hub.db.one<{ declinable: boolean }>('SELECT declinable FROM message_categories WHERE code = $1', [body.category]);
    if (!cat) throw Problem.badRequest('Ukjent meldingskategori.', [{ field: 'body.category', message: `ingen kategori «${body.category}»` }]);
    return draftSmsInfo(hub, body.text, body.language, body.category, cat.declinable, sampleRecipient(body.language).fields, body.links ?? {});
  });

  api.post('/templates/:id/preview', {
    summary: 'Render a template for a member (or a sample member) on every channel: email, SMS with segments, letter PDF',
    roles: [...READ],
    tags: ['templates'], responses: { 200: previewSchema },
    params: idParam,
    body: Joi.object({ version: Joi.number().integer().min(1), memberNumber, language: lang, links }),
  }, async ({ hub, staff, params, body }) => previewTemplate(hub, staff, params.id, body));

  api.get('/templates/:id/preview.pdf', {
    summary: 'The letter of a preview as PDF',
    roles: [...READ],
    tags: ['templates'], responses: { 200: previewPdf },
    params: idParam,
    query: Joi.object({ version: Joi.number().integer().min(1), memberNumber, language: lang }),
  }, async ({ hub, staff, params, query, res }) => {
    const pdf = await previewLetterPdf(hub, staff, params.id, query);
    res.status(200).type('application/pdf').setHeader('Content-Disposition', `inline; filename="template-${params.id}-preview.pdf"`);
    res.send(pdf);
    return undefined;
  });
}
