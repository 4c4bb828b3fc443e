import Joi from 'joi';
import { count, id, nullableStr, pdf, shape, timestamp } from '../http/schemas';

const lang = Joi.string().valid('nb', 'nn', 'en');
const content = shape({ subject: nullableStr, mjml: nullableStr, sms: nullableStr, letter: nullableStr });
const languages = Joi.object({ nb: content.required(), nn: content, en: content });

export const templateSummarySchema = shape({
  id, key: Joi.string(), name: Joi.string(), description: nullableStr, category: Joi.string(), declinable: Joi.boolean(), builtIn: Joi.boolean(),
  latestVersion: shape({ id, version: id, createdAt: timestamp }).allow(null), createdAt: timestamp, updatedAt: timestamp,
}).id('TemplateSummary');

const versionFields = {
  id, templateId: id, key: Joi.string(), name: Joi.string(), category: Joi.string(), declinable: Joi.boolean(), version: id, languages,
  createdAt: timestamp.optional(),
};
export const templateVersionSchema = shape(versionFields).id('TemplateVersion');

/** A create (or the repeat of one with its idempotency key): created says which. */
export const templateCreated = shape({ template: templateSummarySchema, version: templateVersionSchema, created: Joi.boolean() });
export const templateList = shape({ templates: Joi.array().items(templateSummarySchema) });
export const templateDetail = shape({
  template: templateSummarySchema,
  versions: Joi.array().items(shape({ id, version: id, source: Joi.string(), note: nullableStr, createdAt: timestamp, createdBy: id.allow(null) })),
  version: templateVersionSchema.allow(null),
  usedBy: Joi.array().items(shape({ id, name: Joi.string(), state: Joi.string(), version: id })),
  shared: Joi.boolean(),
});
export const versionAdded = shape({ ...versionFields, keptLanguages: Joi.array().items(lang), removedLanguages: Joi.array().items(lang) });

const smsInfoFields = {
  characters: count, limitCharacters: count, encoding: Joi.string().valid('GSM-7', 'UCS-2'), units: count, segments: count,
  ucs2Characters: Joi.array().items(Joi.string()),
  replacements: Joi.array().items(shape({ from: Joi.string(), to: Joi.string().allow(''), label: Joi.string() })),
  warnings: Joi.array().items(Joi.string()), ok: Joi.boolean(),
};
/** How an SMS counts (smsInfo: the one counter). */
export const smsInfoSchema = shape(smsInfoFields).id('SmsInfo');
/** The SMS editor's live count: the same, and whether merge fields were filled in and the opt-out line counted. */
export const draftSmsInfoSchema = shape({ ...smsInfoFields, merged: Joi.boolean(), optOut: Joi.boolean() });

export const previewSchema = shape({
  template: shape({ id, key: Joi.string(), category: Joi.string(), version: id, versionId: id }),
  member: shape({ memberNumber: Joi.string(), sample: Joi.boolean() }),
  language: lang,
  email: shape({ language: lang, subject: Joi.string().allow(''), html: Joi.string(), text: Joi.string().allow(''), headers: Joi.object().pattern(Joi.string(), Joi.string()) }).allow(null),
  sms: shape({
    language: lang, text: Joi.string().allow(''),
    info: smsInfoSchema,
  }).allow(null),
  letter: shape({ language: lang, pages: count, pdfBase64: Joi.string(), url: Joi.string() }).allow(null),
});

export const previewPdf = { ...pdf, description: 'The letter of the preview (inline)' };
