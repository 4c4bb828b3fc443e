import type { Queryable } from '../db';
import { MEMBER_JOINS } from '../members';
import { mergeFieldsFromMember, type Lang, type MergeFields } from './fields';

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

/**
 * The select list behind `loadRecipientData`, for callers who join it into their own batch query
 * (alias `m` for members). Agreement names are joined with ", ".
 */
export const RECIPIENT_SELECT = `
  m.id AS member_id, m.member_number, m.first_name, m.last_name, m.email, m.phone, m.language, m.street, m.postcode,
  pc.place AS postal_place, mu.name AS municipality, co.name AS county, w.name AS workplace, e.name AS employer,
  b.name AS branch, c.name AS club,
  (SELECT string_agg(a.name, ', ' ORDER BY a.name) FROM member_agreements ma JOIN agreements a ON a.id = ma.agreement_id WHERE ma.member_id = m.id) AS agreement`;

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

/** Merge fields, addresses and language of these members (one query; order follows `memberIds`). */
export async function loadRecipientData(db: Queryable, memberIds: number[]): Promise<RecipientData[]> {
  if (!memberIds.length) return [];
  const rows = (await db.query(`SELECT ${RECIPIENT_SELECT} FROM unnest($1::bigint[]) WITH ORDINALITY AS ids(id, ord)
    JOIN members m ON m.id = ids.id ${RECIPIENT_JOINS} ORDER BY ids.ord`, [memberIds])).rows;
  return rows.map(recipientFromRow);
}
