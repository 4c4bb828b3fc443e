import type { Lang, TemplateError } from './fields';

/** One language of a template version. A channel that is null has no content in this language. */
export interface LanguageContent {
  /** Email subject (a merge template); required when mjml is set. */
  subject: string | null;
  /** The email's content: MJML that goes inside mj-body (sections); the layout adds header and footer. */
  mjml: string | null;
  /** SMS text (a merge template). */
  sms: string | null;
  /** Letter body: a small markdown subset (#, ##, paragraphs, - and 1. lists, **bold**) with merge fields. */
  letter: string | null;
}

export type TemplateLanguages = Partial<Record<Lang, LanguageContent>> & { nb: LanguageContent };

export type Channel = 'email' | 'sms' | 'letter';

/** An immutable template version as the renderers take it (from `loadTemplateVersion`). */
export interface TemplateVersion {
  /** template_versions.id: the cache key of everything compiled from it. */
  id: number;
  templateId: number;
  key: string;
  name: string;
  category: string;
  /** Whether the template's category can be declined (message_categories.declinable). */
  declinable: boolean;
  version: number;
  languages: TemplateLanguages;
  createdAt?: string;
}

/** Thrown by compile/validate: every problem found, each with its line. */
export class TemplateInvalid extends Error {
  constructor(readonly errors: TemplateError[]) {
    super(`template has ${errors.length} error(s): ${errors.map((e) => `${e.field} line ${e.line}: ${e.message}`).join('; ')}`);
  }
}
