import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { audienceSql, previewAudience, validateAudience, type AudienceFilter, type PreviewResult } from '../audience';
import { memberScopeSql } from '../members';
import type { Channel } from '../consent';
import { labelOf, type VocabularyName } from '../vocabulary';
import { renderSms, sampleRecipient, SMS_WARN_SEGMENTS, TemplateInvalid, type Lang } from '../render';
import { templateVersion, type Campaign } from './model';
import { CONTENT_OF } from './create';

/** How many days back the review looks for the same template sent to the same members. */
export const OVERLAP_DAYS = 7;

export interface CampaignReview {
  /** The audience in words ("Arbeidssted er Verksted og Språk er Nynorsk"). */
  audienceText: string;
  preview: PreviewResult;
  content: { channel: Channel; versionId: number; templateId: number; templateName: string; version: number; languages: Lang[] }[];
  /** Members whose language has no variant on the channel they will get: they get bokmål. */
  fallback: { language: Lang; channel: Channel; members: number }[];
  /** The SMS of every language, rendered for a sample member with the opt-out line: over SMS_WARN_SEGMENTS needs a confirmation at launch. */
  sms: { language: Lang; segments: number; encoding: string; characters: number }[];
  /** Other campaigns with the same template that reached members of this audience in the last OVERLAP_DAYS days. */
  overlap: { campaignId: number; name: string; members: number; lastSentAt: string }[];
  people: { createdBy: string | null; requestedBy: string | null; requestedAt: string | null; approvedBy: string | null; approvedAt: string | null };
  warnings: string[];
}

const LEAF_LABEL: Record<string, string> = {
  status: 'Medlemsstatus', category: 'Medlemskategori', county: 'Fylke', municipality: 'Kommune', employer: 'Arbeidsgiver', workplace: 'Arbeidssted',
  branch: 'Avdeling', club: 'Klubb', agreement: 'Tariffavtale', role: 'Tillitsverv', language: 'Språk', joinedBefore: 'Innmeldt før',
  joinedAfter: 'Innmeldt etter', memberNumbers: 'Medlemsnummer', excludeMemberNumbers: 'Unntatt medlemsnummer', ballotRoll: 'I manntallet for uravstemning',
  postcodeRange: 'Postnummer', scopeOf: 'Medlemmene til tillitsvalgt',
};
const VOCAB_OF: Record<string, VocabularyName> = { status: 'memberStatus', category: 'membershipCategory', role: 'memberRole', language: 'language' };
const NAME_SQL: Record<string, string> = {
  county: 'SELECT code::text AS k, name FROM counties WHERE code = ANY($1::bpchar[])',
  municipality: 'SELECT number::text AS k, name FROM municipalities WHERE number = ANY($1::bpchar[])',
  employer: 'SELECT id::text AS k, name FROM employers WHERE id = ANY($1::bigint[])',
  workplace: 'SELECT id::text AS k, name FROM workplaces WHERE id = ANY($1::bigint[])',
  branch: 'SELECT id::text AS k, name FROM branches WHERE id = ANY($1::bigint[])',
  club: 'SELECT id::text AS k, name FROM clubs WHERE id = ANY($1::bigint[])',
  agreement: 'SELECT id::text AS k, name FROM agreements WHERE id = ANY($1::bigint[])',
};

/** The filter tree in Norwegian words, with the names of workplaces, counties… looked up. */
export async function describeAudience(db: Queryable, filter: AudienceFilter): Promise<string> {
  const words = async (node: AudienceFilter, top: boolean): Promise<string> => {
    const [key, value] = Object.entries(node as Record<string, any>)[0];
    if (key === 'all' || key === 'any') {
      const parts = await Promise.all((value as AudienceFilter[]).map((c) => words(c, false)));
      if (!parts.length) return key === 'all' ? 'Alle medlemmer' : 'Ingen';
      const joined = parts.join(key === 'all' ? ' og ' : ' eller ');
      return top || parts.length === 1 ? joined : `(${joined})`;
    }
    if (key === 'not') return `ikke ${await words(value, false)}`;
    const label = LEAF_LABEL[key] ?? key;
    let shown: string[];
    if (VOCAB_OF[key]) shown = (value as string[]).map((v) => labelOf(VOCAB_OF[key], v));
    else if (NAME_SQL[key]) {
      const names = new Map((await db.query(NAME_SQL[key], [value])).rows.map((r) => [String(r.k), r.name as string]));
      shown = (value as (string | number)[]).map((v) => names.get(String(v)) ?? String(v));
    } else if (key === 'postcodeRange') shown = (value as { from: string; to: string }[]).map((r) => `${r.from}–${r.to}`);
    else if (key === 'scopeOf') shown = [];
    else shown = Array.isArray(value) ? value.map(String) : [String(value)];
    if (key === 'memberNumbers' || key === 'excludeMemberNumbers') return `${label}: ${shown.length > 5 ? `${shown.slice(0, 5).join(', ')} og ${shown.length - 5} til` : shown.join(', ')}`;
    if (key === 'scopeOf') return 'innenfor den tillitsvalgtes egne medlemmer';
    return `${label} er ${shown.length > 1 ? `${shown.slice(0, -1).join(', ')} eller ${shown[shown.length - 1]}` : shown[0]}`;
  };
  return words(filter, true);
}

async function staffName(db: Queryable, id: number | null): Promise<string | null> {
  if (!id) return null;
  return (await db.query('SELECT name FROM staff_users WHERE id = $1', [id])).rows[0]?.name ?? null;
}

/**
 * What staff must see before a launch and an approver before approving: the content of every
 * channel, the audience in words with its counts and a sample, who gets a fallback language,
 * overlapping sends of the same template, and who asked. The sample names members: audited.
 */
export async function campaignReview(hub: Hub, staff: Staff, c: Campaign): Promise<CampaignReview> {
  const filter = validateAudience(c.audience, 'audience');
  const preview = await previewAudience(hub, staff, { category: c.category, channels: c.channels, audience: filter });
  const content: CampaignReview['content'] = [];
  const fallback: CampaignReview['fallback'] = [];
  const versions = await Promise.all(c.channels.map(async (ch) => ({ ch, id: c.templates[ch] })));
  for (const { ch, id } of versions) {
    if (!id) continue;
    const v = await templateVersion(hub.db, id);
    const langs = (Object.keys(v.languages) as Lang[]).filter((l) => v.languages[l]?.[CONTENT_OF[ch]]);
    content.push({ channel: ch, versionId: v.id, templateId: v.templateId, templateName: v.name, version: v.version, languages: langs });
  }
  // Members of a language get bokmål on a channel whose version lacks that language: counted with
  // the same channel choice as the launch (the preview), once per language that is missing anywhere.
  for (const lang of ['nn', 'en'] as Lang[]) {
    const missingOn = content.filter((x) => !x.languages.includes(lang)).map((x) => x.channel);
    if (!missingOn.length) continue;
    const p = await previewAudience(hub, staff, { category: c.category, channels: c.channels, audience: { all: [filter, { language: [lang] }] } });
    for (const ch of missingOn) if (p.byChannel[ch]) fallback.push({ language: lang, channel: ch, members: p.byChannel[ch]! });
  }
  const sms: CampaignReview['sms'] = [];
  const smsContent = content.find((x) => x.channel === 'sms');
  if (smsContent) {
    const v = await templateVersion(hub.db, smsContent.versionId);
    for (const lang of smsContent.languages) {
      try {
        const r = renderSms(hub, v, lang, sampleRecipient(lang).fields, { links: c.links });
        sms.push({ language: lang, segments: r.info.segments, encoding: r.info.encoding, characters: r.info.characters });
      } catch (err) { if (!(err instanceof TemplateInvalid)) throw err; }
    }
  }
  const overlap = await overlapping(hub, staff, c, filter, content.map((x) => x.templateId));
  const people = {
    createdBy: await staffName(hub.db, c.createdBy),
    requestedBy: await staffName(hub.db, c.approval.requestedBy), requestedAt: c.approval.requestedAt,
    approvedBy: await staffName(hub.db, c.approval.approvedBy), approvedAt: c.approval.approvedAt,
  };
  const warnings: string[] = [];
  const reachable = preview.total - preview.unreachable;
  if (preview.total === 0) warnings.push('Målgruppen er tom: ingen medlemmer passer filteret.');
  else if (reachable === 0) warnings.push('Ingen i målgruppen kan nås på de valgte kanalene.');
  for (const f of fallback) {
    warnings.push(`${f.members} ${f.members === 1 ? 'medlem' : 'medlemmer'} med ${labelOf('language', f.language).toLowerCase()} får ${labelOf('channel', f.channel).toLowerCase()} på bokmål, fordi malen mangler ${labelOf('language', f.language).toLowerCase()}.`);
  }
  for (const x of sms.filter((y) => y.segments > SMS_WARN_SEGMENTS)) {
    warnings.push(`SMS-en på ${labelOf('language', x.language).toLowerCase()} blir ${x.segments} segmenter per mottaker (mer enn ${SMS_WARN_SEGMENTS}): den koster mer og må bekreftes før start.`);
  }
  for (const o of overlap) {
    warnings.push(`Samme mal gikk til ${o.members} av disse medlemmene med «${o.name}» de siste ${OVERLAP_DAYS} dagene.`);
  }
  await audit(hub.db, { staff, action: 'audience.preview', rowCount: preview.sample.length, detail: { campaignId: c.id, view: 'review', total: preview.total } });
  return { audienceText: await describeAudience(hub.db, filter), preview, content, fallback, sms, overlap, people, warnings };
}

async function overlapping(hub: Hub, staff: Staff, c: Campaign, filter: AudienceFilter, templateIds: number[]): Promise<CampaignReview['overlap']> {
  if (!templateIds.length) return [];
  const params: unknown[] = [c.id, templateIds, new Date(hub.clock.now().getTime() - OVERLAP_DAYS * 86_400_000)];
  const where = audienceSql(filter, 'm', params);
  const scope = memberScopeSql(staff, 'm', params);
  const rows = (await hub.db.query(
    `SELECT o.id, o.name, count(DISTINCT s.member_id)::int AS members, max(COALESCE(s.sent_at, s.created_at)) AS last
       FROM campaigns o
       JOIN send_log s ON s.campaign_id = o.id
      WHERE o.id <> $1 AND o.kind <> 'test'
        AND EXISTS (SELECT 1 FROM jsonb_each_text(o.templates) t(ch, vid) JOIN template_versions v ON v.id = t.vid::bigint WHERE v.template_id = ANY($2::bigint[]))
        AND s.state NOT IN ('skipped', 'cancelled') AND COALESCE(s.sent_at, s.created_at) > $3
        AND s.member_id IN (SELECT m.id FROM members m WHERE ${where} AND ${scope})
      GROUP BY o.id, o.name ORDER BY last DESC LIMIT 10`, params)).rows;
  return rows.map((r) => ({ campaignId: Number(r.id), name: r.name, members: r.members, lastSentAt: r.last.toISOString() }));
}
