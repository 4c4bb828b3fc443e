import { prepared, type Queryable } from '../db';
import { MEMBER_JOINS } from '../members';
import { mergeFieldsFromMember, type Lang, type MergeFields } from './fields';
import type { TemplateVersion } from './types';

/** What the renderers need of a member, loaded for a whole batch in one query. */
export interface RecipientData {
  memberId: number;
  memberNumber: string;
  email: string | null;
  phone: string | null;
  language: Lang;
  name: string;
  addressLines: string[];
  postcode: string | null;
  place: string | null;
  /** Register merge fields; unsubscribeUrl / preferencesUrl / links are '' / {} until the caller sets them. */
  fields: MergeFields;
}

/** What every recipient row carries: no join but the postcode's place. */
const BASE_SELECT = 'm.id AS member_id, m.member_number, m.first_name, m.last_name, m.email, m.phone, m.language, m.street, m.postcode, pc.place AS postal_place';

/**
 * The register fields that cost a join (or a subquery) each: the joins they need (aliases of
 * MEMBER_JOINS) and their select item.
 */
const JOINED_FIELDS: { field: string; joins: string[]; select: string }[] = [
  { field: 'municipality', joins: ['mu'], select: 'mu.name AS municipality' },
  { field: 'county', joins: ['co'], select: 'co.name AS county' },
  { field: 'workplace', joins: ['w'], select: 'w.name AS workplace' },
  { field: 'employer', joins: ['w', 'e'], select: 'e.name AS employer' },
  { field: 'branch', joins: ['b'], select: 'b.name AS branch' },
  { field: 'club', joins: ['c'], select: 'c.name AS club' },
  { field: 'agreement', joins: [], select: `(SELECT string_agg(a.name, ', ' ORDER BY a.name) FROM member_agreements ma JOIN agreements a ON a.id = ma.agreement_id WHERE ma.member_id = m.id) AS agreement` },
];

/**
 * The select list behind `loadRecipientData`, every field, for callers who join it into their own
 * query (alias `m` for members). Agreement names are joined with ", ".
 */
export const RECIPIENT_SELECT = [BASE_SELECT, ...JOINED_FIELDS.map((f) => f.select)].join(',\n  ');

/** The register's own joins (src/members), which RECIPIENT_SELECT reads from. */
export const RECIPIENT_JOINS = MEMBER_JOINS;

export function recipientFromRow(r: Record<string, any>): RecipientData {
  return {
    memberId: r.member_id,
    memberNumber: r.member_number,
    email: r.email,
    phone: r.phone,
    language: r.language,
    name: `${r.first_name} ${r.last_name}`,
    addressLines: r.street ? String(r.street).split(/\r?\n/) : [],
    postcode: r.postcode,
    place: r.postal_place,
    fields: mergeFieldsFromMember({
      firstName: r.first_name, lastName: r.last_name, memberNumber: r.member_number, workplace: r.workplace, employer: r.employer,
      municipality: r.municipality, county: r.county, branch: r.branch, club: r.club, agreement: r.agreement ?? '',
    }),
  };
}

/** MEMBER_JOINS line by line, by alias ("LEFT JOIN postal_codes pc ON …" under pc). */
const JOIN_LINES = new Map(RECIPIENT_JOINS.split('\n').map((l) => /JOIN\s+\S+\s+(\w+)\s+ON\b/.exec(l)).filter((m) => m !== null).map((m) => [m[1], m.input.trim()]));

const textsOf = (version: TemplateVersion): string[] =>
  Object.values(version.languages).flatMap((l) => (l ? [l.subject, l.mjml, l.sms, l.letter] : [])).filter((t): t is string => !!t);

/**
 * The columns a batch's recipient data needs, for a statement of the caller's that reads members
 * as `m` and has joined `postal_codes pc ON pc.postcode = m.postcode` (the consent re-check does,
 * so the send path reads each member once: src/campaigns/open.ts). `joins` are LEFT JOINs on `m`.
 */
export interface RecipientColumns { select: string; joins: string }

const columnsByVersion = new Map<number, RecipientColumns>();
/**
 * The recipient columns for one template version: the joins of the register fields its texts
 * name, and NULL (merged as '') for the rest. At a million recipients the six joins and the
 * agreement subquery were most of the statement's 15 ms per 1000 members, and most templates use
 * one or two of those fields. A field counts as named when its name appears anywhere in a text
 * (a comment or a word in the prose included): loading a field no template uses costs only time,
 * leaving out one it uses would send '' to every member, so the test errs on loading. Versions
 * are immutable, so the columns are kept per version id (0: no version, every field).
 */
export function recipientColumns(version?: TemplateVersion): RecipientColumns {
  const key = version?.id ?? 0;
  const cached = columnsByVersion.get(key);
  if (cached) return cached;
  const texts = version ? textsOf(version) : null;
  const used = (f: string) => !texts || texts.some((t) => new RegExp(`\\b${f}\\b`).test(t));
  const fields = JOINED_FIELDS.filter((f) => used(f.field));
  const aliases = new Set(fields.flatMap((f) => f.joins));
  const columns = {
    select: [BASE_SELECT, ...JOINED_FIELDS.map((f) => (fields.includes(f) ? f.select : `NULL::text AS ${f.field}`))].join(',\n  '),
    joins: [...JOIN_LINES.keys()].filter((a) => aliases.has(a)).map((a) => JOIN_LINES.get(a)!).join('\n    '),
  };
  columnsByVersion.set(key, columns);
  return columns;
}

const dataSqlByVersion = new Map<number, string>();
/** The recipient-data statement for one template version (its columns, by member id, in the order given). */
function recipientDataSql(version: TemplateVersion | undefined): string {
  const key = version?.id ?? 0;
  const cached = dataSqlByVersion.get(key);
  if (cached) return cached;
  const { select, joins } = recipientColumns(version);
  const sql = `SELECT ${select} FROM unnest($1::bigint[]) WITH ORDINALITY AS ids(id, ord)
    JOIN members m ON m.id = ids.id
    ${JOIN_LINES.get('pc')!}
    ${joins} ORDER BY ids.ord`;
  dataSqlByVersion.set(key, sql);
  return sql;
}

/**
 * Merge fields, addresses and language of these members (one prepared query; order follows
 * `memberIds`). Given the template version being sent, only the register fields its texts name
 * are loaded (the others merge as ''); without one, every field.
 */
export async function loadRecipientData(db: Queryable, memberIds: number[], version?: TemplateVersion): Promise<RecipientData[]> {
  if (!memberIds.length) return [];
  const rows = (await db.query(prepared(recipientDataSql(version)), [memberIds])).rows;
  return rows.map(recipientFromRow);
}
