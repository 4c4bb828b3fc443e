import Joi from 'joi';
import type { Api } from '../http/api';
import { addTemplateVersion, createTemplate, getTemplate, listTemplates, listVersions, loadTemplateVersionOf } from './templates';
import { previewLetterPdf, previewTemplate } from './preview';

const content = Joi.object({
  subject: Joi.string().max(500).allow(null, ''),
  mjml: Joi.string().max(500_000).allow(null),
  sms: Joi.string().max(5000).allow(null),
  letter: Joi.string().max(200_000).allow(null),
});
const languages = Joi.object({ nb: content.required(), nn: content, en: content }).required();
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
    tags: ['templates'],
    body: Joi.object({
      key: Joi.string().pattern(/^[a-z0-9][a-z0-9_-]{1,62}$/).required(),
      name: Joi.string().min(1).max(200).required(),
      description: Joi.string().max(2000).allow(null, ''),
      category: Joi.string().max(40).required(),
      languages,
      note: Joi.string().max(500).allow(null, ''),
    }),
  }, async ({ hub, staff, body, res }) => {
    const out = await createTemplate(hub, staff, body);
    res.status(201);
    return out;
  });

  api.get('/templates', {
    summary: 'List templates with their latest version',
    roles: [...READ],
    tags: ['templates'],
    query: Joi.object({ category: Joi.string().max(40) }),
  }, async ({ hub, query }) => ({ templates: await listTemplates(hub.db, query) }));

  api.get('/templates/:id', {
    summary: 'A template, its versions, and the content of one version (default: the latest)',
    roles: [...READ],
    tags: ['templates'],
    params: idParam,
    query: Joi.object({ version: Joi.number().integer().min(1) }),
  }, async ({ hub, params, query }) => {
    const template = await getTemplate(hub.db, params.id);
    const versions = await listVersions(hub.db, params.id);
    const version = versions.length ? await loadTemplateVersionOf(hub.db, params.id, query.version) : null;
    return { template, versions, version };
  });

  api.post('/templates/:id/versions', {
    summary: 'Add a version (earlier versions stay unchanged; campaigns keep the one they were launched with)',
    roles: [...WRITE],
    tags: ['templates'],
    params: idParam,
    body: Joi.object({ languages, note: Joi.string().max(500).allow(null, '') }),
  }, async ({ hub, staff, params, body, res }) => {
    const version = await addTemplateVersion(hub, staff, params.id, body.languages, body.note);
    res.status(201);
    return version;
  });

  api.post('/templates/:id/preview', {
    summary: 'Render a template for a member (or a sample member) on every channel: email, SMS with segments, letter PDF',
    roles: [...READ],
    tags: ['templates'],
    params: idParam,
    body: Joi.object({ version: Joi.number().integer().min(1), memberNumber, language: lang, links }),
  }, async ({ hub, staff, params, body }) => previewTemplate(hub, staff, params.id, body));

  api.get('/templates/:id/preview.pdf', {
    summary: 'The letter of a preview as PDF',
    roles: [...READ],
    tags: ['templates'],
    params: idParam,
    query: Joi.object({ version: Joi.number().integer().min(1), memberNumber, language: lang }),
  }, async ({ hub, staff, params, query, res }) => {
    const pdf = await previewLetterPdf(hub, staff, params.id, query);
    res.status(200).type('application/pdf').setHeader('Content-Disposition', `inline; filename="template-${params.id}-preview.pdf"`);
    res.send(pdf);
    return undefined;
  });
}
