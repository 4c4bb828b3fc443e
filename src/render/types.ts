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

// ---------------------------------------------------------------------------------------------
// A rendered email, provider-neutral: what the renderer hands to an email provider. Only the
// provider's adapter (src/providers/email.ts for SendGrid) turns it into the provider's JSON.
// ---------------------------------------------------------------------------------------------

export interface EmailAddress { email: string; name?: string }

/** One recipient of an email message: their own To, subject, headers and the values of the shared body's placeholders. */
export interface EmailRecipientPart {
  /** Our reference for this recipient (the send-log id, or a test send's id); every provider event about them carries it. Absent: a message outside the send log (a member's one-time link). */
  ref?: string;
  to: EmailAddress;
  subject: string;
  /** List-Unsubscribe / List-Unsubscribe-Post. */
  headers: Record<string, string>;
  /** Placeholder → this recipient's value, for the placeholders in the message's html and text. Absent: html and text are already this recipient's own. */
  values?: Record<string, string>;
}

/**
 * One email message to up to 1000 recipients: a body shared by all of them (html and text, with
 * placeholders where each recipient's own values go) and one part per recipient.
 */
export interface EmailMessage {
  from: EmailAddress;
  replyTo?: EmailAddress;
  text: string;
  html: string;
  /** Labels for the provider's statistics (the category). */
  categories: string[];
  /** Request-wide values every provider event carries back (campaign id, test send). */
  metadata: Record<string, string>;
  tracking: { clicks: boolean; opens: boolean };
  /** Validate only, deliver nothing (SendGrid's sandbox mode). */
  sandbox: boolean;
  recipients: EmailRecipientPart[];
}
