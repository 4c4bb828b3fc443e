import type { Config } from '../config';
import { overSmsLimit, smsLength, SMS_MAX_CHARACTERS, type SmsEncoding } from '../segments';
import { checkMergeTemplate, compileFast, type Lang, type MergeFields, type MergeFn, type TemplateError } from './fields';
import { languageFor } from './email';
import { TemplateInvalid, type TemplateVersion } from './types';

export type { SmsEncoding } from '../segments';

export interface SmsInfo {
  /** Characters as a reader counts them (Unicode code points). */
  characters: number;
  /** Characters as Twilio counts them for its 1,600 limit (UTF-16 code units: an emoji is two). */
  limitCharacters: number;
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  /** Segments as Twilio's calculator counts them (src/segments, the hub's one counter). */
  segments: number;
  /** Characters that force UCS-2 (first 10, unique). */
  ucs2Characters: string[];
  /** GSM-7 stand-ins for the characters here that force UCS-2 (what the SMS editor offers to swap). */
  replacements: { from: string; to: string; label: string }[];
  /** Warnings for staff, in bokmål (UCS-2 forced by a character, more than 3 segments, too long). */
  warnings: string[];
  /** false above Twilio's 1,600 characters: such a message is refused (21617). */
  ok: boolean;
}

export { SMS_MAX_CHARACTERS };
export const SMS_WARN_SEGMENTS = 3;

/** Typographic characters that force UCS-2 and their GSM-7 stand-ins. */
const REPLACEMENTS: Record<string, string> = {
  '\u201C': '"', '\u201D': '"', '\u201E': '"', '\u201F': '"', '\u00AB': '"', '\u00BB': '"', '\u2033': '"',
  '\u2018': "'", '\u2019': "'", '\u201A': "'", '\u201B': "'", '\u2032': "'", '\u00B4': "'", '\u0060': "'",
  '\u2013': '-', '\u2014': '-', '\u2012': '-', '\u2010': '-', '\u2011': '-', '\u2212': '-',
  '\u2026': '...', '\u00A0': ' ', '\u2009': ' ', '\u202F': ' ', '\u2007': ' ', '\u200B': '',
  '\u2022': '*', '\u00B7': '*', '\u00D7': 'x',
};

/** A character as staff read it in a warning: «’», and the invisible ones by name. */
function shown(ch: string): string {
  const NAMES: Record<string, string> = { '\u00A0': 'hardt mellomrom', '\u2009': 'smalt mellomrom', '\u202F': 'smalt hardt mellomrom', '\u2007': 'sifferbredt mellomrom', '\u200B': 'usynlig mellomrom' };
  return NAMES[ch] ?? `«${ch}»`;
}

/** The SMS editor's button text: "Bytt ’ med '", "Bytt hardt mellomrom med vanlig mellomrom", "Fjern usynlig mellomrom". */
function replacementLabel(from: string, to: string): string {
  const name = shown(from).replace(/^«(.*)»$/, '$1');
  if (to === '') return `Fjern ${name}`;
  if (to === ' ') return `Bytt ${name} med vanlig mellomrom`;
  return `Bytt ${name} med ${to}`;
}

export function smsInfo(text: string): SmsInfo {
  const { encoding, units, segments, limitUnits, ucs2Characters } = smsLength(text);
  const bad = ucs2Characters;
  const warnings: string[] = [];
  const replacements = bad.filter((ch) => ch in REPLACEMENTS).map((from) => ({ from, to: REPLACEMENTS[from], label: replacementLabel(from, REPLACEMENTS[from]) }));
  const fixed = bad.filter((ch) => !(ch in REPLACEMENTS));
  if (replacements.length) {
    warnings.push(`${replacements.map((r) => shown(r.from)).join(', ')} gjør at SMS-en må sendes som UCS-2 (70 tegn per segment i stedet for 160). Bytt ${replacements.length === 1 ? 'tegnet' : 'tegnene'} for å få GSM-7.`);
  }
  if (fixed.length) {
    warnings.push(`${fixed.slice(0, 5).map(shown).join(', ')} finnes ikke i GSM-7, så SMS-en sendes som UCS-2 (70 tegn per segment i stedet for 160).`);
  }
  if (segments > SMS_WARN_SEGMENTS) warnings.push(`SMS-en blir ${segments} segmenter: mer enn ${SMS_WARN_SEGMENTS} koster mer og leses dårlig på telefonen.`);
  const ok = !overSmsLimit(text);
  if (!ok) warnings.push(`SMS-en er ${limitUnits} tegn (emoji teller som to eller flere); den kan være på høyst ${SMS_MAX_CHARACTERS}.`);
  return { characters: Array.from(text).length, limitCharacters: limitUnits, encoding, units, segments, ucs2Characters: bad.slice(0, 10), replacements, warnings, ok };
}

/** Replaces typographic quotes, dashes, ellipsis and odd spaces that would force UCS-2. */
export function normaliseSmsText(text: string): { text: string; replaced: { from: string; to: string; count: number }[] } {
  const counts = new Map<string, number>();
  let out = '';
  for (const ch of text) {
    const r = REPLACEMENTS[ch];
    if (r !== undefined) { out += r; counts.set(ch, (counts.get(ch) ?? 0) + 1); } else out += ch;
  }
  return { text: out, replaced: [...counts].map(([from, count]) => ({ from, to: REPLACEMENTS[from], count })) };
}

/** The opt-out hint a declinable category's SMS ends with when members can answer the sender (Twilio's STOP handling and ours). */
export const SMS_OPT_OUT: Record<Lang, string> = {
  nb: 'Svar STOPP for å reservere deg',
  nn: 'Svar STOPP for å melde deg av',
  en: 'Reply STOP to opt out',
};

/** Before the short preference link, when the sender is a name members cannot answer. */
export const SMS_PREFERENCE_LINK_LABEL: Record<Lang, string> = {
  nb: 'Reserver deg:',
  nn: 'Meld deg av:',
  en: 'Opt out:',
};

export type SmsSenderType = 'number' | 'alphanumeric';

/**
 * The footer a declinable category's SMS ends with (issue 14). From a number (TWILIO_SENDER_TYPE
 * `number`) members can answer: «Svar STOPP…». From an alphanumeric sender name, which Twilio
 * documents as one-way (a reply cannot reach us), STOP cannot work: the SMS carries the short
 * preference link `<PUBLIC_BASE_URL>/p` instead, where the member gives this number and gets a
 * one-time link to their preferences (a generic link: short, so it costs few characters on
 * every message, and nothing in a forwarded SMS opens anyone's preferences). null: no footer
 * (categories that cannot be declined).
 */
export function smsFooter(language: Lang, declinable: boolean, sender: { type: SmsSenderType; publicBaseUrl: string } = { type: 'number', publicBaseUrl: '' }): string | null {
  if (!declinable) return null;
  return sender.type === 'alphanumeric' ? `${SMS_PREFERENCE_LINK_LABEL[language]} ${sender.publicBaseUrl}/p` : SMS_OPT_OUT[language];
}

/** The text as the member gets it: the body, then the footer on its own line. The segment count is taken of this. */
export function withOptOut(text: string, language: Lang, declinable: boolean, sender?: { type: SmsSenderType; publicBaseUrl: string }): string {
  const body = text.replace(/\s+$/, '');
  const footer = smsFooter(language, declinable, sender);
  return footer ? `${body}\n${footer}` : body;
}

/** Merge-field and length check of an SMS template (at save). */
export function checkSms(source: string, field: string, category: string, language: Lang, declinable: boolean): TemplateError[] {
  const errors = checkMergeTemplate(source, field, category).errors;
  if (!source.trim()) errors.push({ field, line: 1, message: 'SMS-teksten er tom' });
  const staticLength = withOptOut(source.replace(/\{\{[^}]*\}\}/g, ''), language, declinable).length;
  if (staticLength > SMS_MAX_CHARACTERS) {
    errors.push({ field, line: 1, message: `SMS-en er ${staticLength} tegn før flettefeltene fylles inn; høyst ${SMS_MAX_CHARACTERS} er tillatt` });
  }
  return errors;
}

export interface RenderedSms { language: Lang; text: string; info: SmsInfo }

const smsCache = new Map<string, MergeFn>();

/**
 * One member's SMS: merged, single-line values, the footer of declinable categories (smsFooter:
 * «Svar STOPP» or the preference link, by TWILIO_SENDER_TYPE) — what preview, the adapter and
 * the segment count all see.
 * Throws TemplateInvalid when the merged text is over 1600 characters (the message is refused).
 */
export function renderSms(env: { config: Pick<Config, 'unionName' | 'smsSenderType' | 'publicBaseUrl'> }, version: TemplateVersion, language: string | null | undefined,
  fields: MergeFields, opts: { declinable?: boolean; links?: Record<string, string> } = {}): RenderedSms {
  const chosen = languageFor(version, language, 'sms');
  if (!chosen) throw new TemplateInvalid([{ field: 'languages.nb.sms', line: 1, message: 'malen har ingen SMS' }]);
  const key = `${version.id}|${chosen.language}|${env.config.unionName}`;
  let fn = smsCache.get(key);
  if (!fn) {
    const errs = checkMergeTemplate(chosen.content.sms!, `languages.${chosen.language}.sms`, version.category).errors;
    if (errs.length) throw new TemplateInvalid(errs);
    fn = compileFast(chosen.content.sms!, { escape: false, unionName: env.config.unionName });
    if (smsCache.size > 512) smsCache.clear();
    smsCache.set(key, fn);
  }
  const links = opts.links ? { ...opts.links, ...fields.links } : (fields.links ?? {});
  const text = withOptOut(fn(fields, links), chosen.language, opts.declinable ?? version.declinable,
    { type: env.config.smsSenderType, publicBaseUrl: env.config.publicBaseUrl });
  const info = smsInfo(text);
  if (!info.ok) {
    throw new TemplateInvalid([{ field: `languages.${chosen.language}.sms`, line: 1, message: `SMS-en er ${info.limitCharacters} tegn med flettefeltene fylt inn; høyst ${SMS_MAX_CHARACTERS} er tillatt` }]);
  }
  return { language: chosen.language, text, info };
}

export interface DraftSmsInfo extends SmsInfo {
  /** Whether merge fields were filled in (false while the text has a merge-field error: counted as typed). */
  merged: boolean;
  /** Whether the category's opt-out line is counted (it is added to every declinable category's SMS). */
  optOut: boolean;
}

/**
 * The SMS editor's live count: the text being written, merged for a sample member (and the
 * campaign's links) and with the footer the member gets (smsFooter, by TWILIO_SENDER_TYPE), counted by the one counter.
 */
export function draftSmsInfo(env: { config: Pick<Config, 'unionName' | 'smsSenderType' | 'publicBaseUrl'> }, source: string, language: Lang, category: string, declinable: boolean,
  fields: MergeFields, links: Record<string, string> = {}): DraftSmsInfo {
  let text = source;
  let merged = false;
  if (!checkMergeTemplate(source, 'sms', category).errors.length) {
    try {
      text = compileFast(source, { escape: false, unionName: env.config.unionName })(fields, links);
      merged = true;
    } catch { /* an unfinished {{ … }}: counted as typed */ }
  }
  return { ...smsInfo(withOptOut(text, language, declinable, { type: env.config.smsSenderType, publicBaseUrl: env.config.publicBaseUrl })), merged, optOut: declinable };
}
