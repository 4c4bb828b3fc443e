import type { Hub } from '../hub';
import type { Staff } from '../auth/staff';
import { audit } from '../audit';
import { memberScopeSql, refuseMember } from '../members/scope';
import { Problem } from '../errors';
import { checkMergeTemplate, LANGS, type Lang, type MergeFields, type TemplateError } from './fields';
import { renderEmail, type RenderedEmail } from './email';
import { renderSms, type SmsInfo } from './sms';
import { renderLetter } from './letters';
import { loadTemplateVersionOf, templateProblem } from './templates';
import { RECIPIENT_JOINS, RECIPIENT_SELECT, recipientFromRow, type RecipientData } from './recipients';
import { TemplateInvalid, type TemplateVersion } from './types';

/** Every campaign link name a version uses in any language or channel. */
export function templateLinks(version: TemplateVersion): string[] {
  const links = new Set<string>();
  for (const l of LANGS) {
    const c = version.languages[l];
    if (!c) continue;
    for (const src of [c.subject, c.mjml, c.sms, c.letter]) {
      if (src) for (const n of checkMergeTemplate(src, '', version.category).links) links.add(n);
    }
  }
  return [...links].sort();
}

/** A made-up member for previews without a member number. */
export function sampleRecipient(language: Lang): RecipientData {
  return {
    memberId: 0,
    memberNumber: '1000001',
    email: 'kari.nordmann@example.no',
    phone: '+4791234567',
    language,
    name: 'Kari Nordmann',
    addressLines: ['Storgata 12 B'],
    postcode: '0155',
    place: 'Oslo',
    fields: {
      firstName: 'Kari', lastName: 'Nordmann', memberNumber: '1000001', workplace: 'Oslo universitetssykehus, Ullevål',
      employer: 'Helse Sør-Øst RHF', municipality: 'Oslo', county: 'Oslo', branch: 'Oslo avdeling', club: 'Klubben på Ullevål',
      agreement: 'Hovedtariffavtalen i staten', unsubscribeUrl: '', preferencesUrl: '', links: {},
    },
  };
}

export interface PreviewResult {
  template: { id: number; key: string; category: string; version: number; versionId: number };
  member: { memberNumber: string; sample: boolean };
  language: Lang;
  email: (RenderedEmail & { language: Lang }) | null;
  sms: { language: Lang; text: string; info: SmsInfo } | null;
  letter: { language: Lang; pages: number; pdfBase64: string; url: string } | null;
}

export interface PreviewInput { version?: number; memberNumber?: string; language?: Lang; links?: Record<string, string> }

async function previewRecipient(hub: Hub, staff: Staff | null, templateId: number, memberNumber: string | undefined, language: Lang | undefined): Promise<{ r: RecipientData; sample: boolean }> {
  if (!memberNumber) return { r: sampleRecipient(language ?? 'nb'), sample: true };
  const params: unknown[] = [memberNumber];
  const row = await hub.db.one(`SELECT ${RECIPIENT_SELECT} FROM members m ${RECIPIENT_JOINS}
    WHERE m.member_number = $1 AND ${memberScopeSql(staff, 'm', params)}`, params);
  if (!row) throw await refuseMember(hub.db, staff, memberNumber, 'template.preview');
  const r = recipientFromRow(row);
  await audit(hub.db, { staff, action: 'member.view', memberId: r.memberId, rowCount: 1, detail: { purpose: 'template.preview', templateId } });
  return { r, sample: false };
}

function previewFields(hub: Hub, version: TemplateVersion, r: RecipientData, links: Record<string, string> | undefined): MergeFields {
  const base = hub.config.publicBaseUrl;
  const placeholderLinks: Record<string, string> = {};
  for (const l of templateLinks(version)) placeholderLinks[l] = `${base}/preview/links/${encodeURIComponent(l)}`;
  return {
    ...r.fields,
    // The signed links are made per send by the consent module; a preview shows where they go.
    unsubscribeUrl: `${base}/preview/unsubscribe`,
    preferencesUrl: `${base}/preview/preferences`,
    links: { ...placeholderLinks, ...links },
    ...(version.category === 'ballot' ? {
      ballot: {
        title: 'Hovedoppgjøret 2026', votingUrl: 'https://valg.example.no/uravstemning',
        closesAt: '22. november 2026 kl. 12.00', result: 'Forslaget er vedtatt med 71,4 prosent ja-stemmer.',
      },
    } : {}),
  };
}

/** Renders a template for a member (or a sample member) on every channel it has. */
export async function previewTemplate(hub: Hub, staff: Staff | null, templateId: number, input: PreviewInput): Promise<PreviewResult> {
  const version = await loadTemplateVersionOf(hub.db, templateId, input.version);
  const { r, sample } = await previewRecipient(hub, staff, templateId, input.memberNumber, input.language);
  const language: Lang = input.language ?? r.language ?? 'nb';
  const fields = previewFields(hub, version, r, input.links);
  const errors: TemplateError[] = [];
  const collect = async <T>(fn: () => Promise<T> | T): Promise<T | null> => {
    try { return await fn(); } catch (err) {
      if (err instanceof TemplateInvalid) { errors.push(...err.errors); return null; }
      throw err;
    }
  };
  const has = (ch: 'mjml' | 'sms' | 'letter') => LANGS.some((l) => version.languages[l]?.[ch]);
  const email = has('mjml') ? await collect(() => renderEmail(hub, version, language, fields)) : null;
  const sms = has('sms') ? await collect(() => renderSms(hub, version, language, fields)) : null;
  const letter = has('letter') ? await collect(() => renderLetter(hub, version, {
    memberNumber: r.memberNumber, name: r.name, addressLines: r.addressLines, postcode: r.postcode ?? '', place: r.place ?? '', language, fields,
  }, { date: hub.clock.now() })) : null;
  if (errors.length) throw templateProblem(errors);
  const q = new URLSearchParams({ version: String(version.version), language, ...(input.memberNumber ? { memberNumber: input.memberNumber } : {}) });
  return {
    template: { id: version.templateId, key: version.key, category: version.category, version: version.version, versionId: version.id },
    member: { memberNumber: r.memberNumber, sample },
    language,
    email,
    sms,
    letter: letter ? { language: letter.language, pages: letter.pages, pdfBase64: letter.pdf.toString('base64'), url: `/api/templates/${templateId}/preview.pdf?${q}` } : null,
  };
}

/** The letter of a preview as a PDF. */
export async function previewLetterPdf(hub: Hub, staff: Staff | null, templateId: number, input: PreviewInput): Promise<Buffer> {
  const version = await loadTemplateVersionOf(hub.db, templateId, input.version);
  if (!LANGS.some((l) => version.languages[l]?.letter)) throw Problem.notFound('Malen har ikke noe brev.');
  const { r } = await previewRecipient(hub, staff, templateId, input.memberNumber, input.language);
  const language: Lang = input.language ?? r.language ?? 'nb';
  const fields = previewFields(hub, version, r, input.links);
  try {
    const out = await renderLetter(hub, version, { memberNumber: r.memberNumber, name: r.name, addressLines: r.addressLines, postcode: r.postcode ?? '', place: r.place ?? '', language, fields }, { date: hub.clock.now() });
    return out.pdf;
  } catch (err) {
    if (err instanceof TemplateInvalid) throw templateProblem(err.errors);
    throw err;
  }
}
