/**
 * Rendering: templates (built-in from templates/, stored and versioned in PostgreSQL), email
 * (MJML compiled once per version and language, merged per member, batched into provider-neutral messages), SMS
 * (merge, GSM-7/UCS-2 segments) and letters (pdfkit, print runs with a vendor manifest).
 */
export type { Lang, MergeFields, BallotFields, TemplateError } from './fields';
export { LANGS, MEMBER_FIELDS, BALLOT_FIELDS, knownFieldNames, mergeFieldsFromMember, chooseLanguage, checkMergeTemplate } from './fields';
export type { LanguageContent, TemplateLanguages, TemplateVersion, Channel, EmailMessage, EmailRecipientPart, EmailAddress } from './types';
export { TemplateInvalid } from './types';
export type {
  CompiledEmail, RenderedEmail, RenderEnv, EmailRecipient, EmailBatchOptions, EmailBatchRequest,
} from './email';
export { renderEmail, renderEmailBatch, compileEmail, clearEmailCache, applySubstitutions, languageFor, MAX_BATCH, SUBSTITUTIONS_MAX_BYTES } from './email';
export type { SmsInfo, SmsEncoding, RenderedSms, DraftSmsInfo, SmsSenderType } from './sms';
export {
  smsInfo, draftSmsInfo, normaliseSmsText, renderSms, withOptOut, smsFooter, SMS_OPT_OUT, SMS_PREFERENCE_LINK_LABEL, SMS_MAX_CHARACTERS, SMS_WARN_SEGMENTS,
} from './sms';
export type { LetterRecipient, LetterEnv, LetterRunResult, ManifestEntry, AddressListEntry } from './letters';
export { qrSymbol } from './qr';
export {
  renderLetter, renderLetterRun, writeAddressList, preferenceCodeUrl, letterDate, byPostcode, LETTER_FONTS, ADDRESS_WINDOW_MM, ADDRESS_WINDOW_PADDING_MM, MM, A4,
} from './letters';
export type { TemplateSummary, NewTemplate, BuiltInTemplate, LanguagesPatch } from './templates';
export {
  syncBuiltInTemplates, readBuiltInTemplates, loadTemplateVersion, loadTemplateVersionOf, loadLatestVersionByKey, getTemplate, getTemplateByKey,
  listTemplates, createTemplate, addTemplateVersion, validateTemplateContent, templateProblem, mergeLanguages, templateUsage,
} from './templates';
export type { RecipientData } from './recipients';
export { loadRecipientData, recipientColumns, RECIPIENT_SELECT, RECIPIENT_JOINS, recipientFromRow, type RecipientColumns } from './recipients';
export { previewTemplate, templateLinks, sampleRecipient } from './preview';
export { registerTemplateRoutes } from './routes';
