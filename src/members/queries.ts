import type { Db } from '../db';
import type { Staff } from '../auth/staff';
import { memberScopeSql, refuseMember } from './scope';
import { normalisePhone } from './import/phone';

/** What a member (alias `m`) is linked to: postal place, municipality, county, workplace, employer, branch, club. */
export const MEMBER_JOINS = `
    LEFT JOIN postal_codes pc ON pc.postcode = m.postcode
    LEFT JOIN municipalities mu ON mu.number = m.municipality_number
    LEFT JOIN counties co ON co.code = m.county_code
    LEFT JOIN workplaces w ON w.id = m.workplace_id
    LEFT JOIN employers e ON e.id = w.employer_id
    LEFT JOIN branches b ON b.id = m.branch_id
    LEFT JOIN clubs c ON c.id = m.club_id`;

/** The register fields of a member, with names of what they are linked to. */
export const MEMBER_SELECT = `
  SELECT m.id, m.member_number, m.first_name, m.last_name, m.email, m.phone, m.street, m.postcode,
         pc.place AS postal_place, m.municipality_number, mu.name AS municipality, m.county_code, co.name AS county,
         m.language, m.status, m.category, m.joined_at, m.resigned_at, m.resignation_reason, m.dues_outstanding,
         w.org_number AS workplace_org_number, w.name AS workplace, e.org_number AS employer_org_number, e.name AS employer,
         b.code AS branch_code, b.name AS branch, c.code AS club_code, c.name AS club,
         COALESCE((SELECT array_agg(a.code ORDER BY a.code) FROM member_agreements ma JOIN agreements a ON a.id = ma.agreement_id WHERE ma.member_id = m.id), '{}') AS agreements,
         m.created_at, m.updated_at
    FROM members m ${MEMBER_JOINS}`;

export interface MemberView {
  id: number;
  memberNumber: string;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  street: string | null;
  postcode: string | null;
  postalPlace: string | null;
  municipalityNumber: string | null;
  municipality: string | null;
  countyCode: string | null;
  county: string | null;
  language: 'nb' | 'nn' | 'en';
  status: string;
  category: string;
  joinedAt: string;
  resignedAt: string | null;
  resignationReason: string | null;
  duesOutstanding: boolean;
  workplace: string | null;
  workplaceOrgNumber: string | null;
  employer: string | null;
  employerOrgNumber: string | null;
  branch: string | null;
  branchCode: string | null;
  club: string | null;
  clubCode: string | null;
  agreements: string[];
}

export function memberView(r: Record<string, any>): MemberView {
  return {
    id: r.id, memberNumber: r.member_number, firstName: r.first_name, lastName: r.last_name, email: r.email, phone: r.phone,
    street: r.street, postcode: r.postcode, postalPlace: r.postal_place, municipalityNumber: r.municipality_number,
    municipality: r.municipality, countyCode: r.county_code, county: r.county, language: r.language, status: r.status,
    category: r.category, joinedAt: r.joined_at, resignedAt: r.resigned_at, resignationReason: r.resignation_reason,
    duesOutstanding: r.dues_outstanding, workplace: r.workplace, workplaceOrgNumber: r.workplace_org_number,
    employer: r.employer, employerOrgNumber: r.employer_org_number, branch: r.branch, branchCode: r.branch_code,
    club: r.club, clubCode: r.club_code, agreements: r.agreements,
  };
}

/** A member by number, within what `staff` may see; outside the scope it does not exist (404). */
export async function getMemberInScope(db: Db, staff: Staff | null, memberNumber: string): Promise<MemberView> {
  const params: unknown[] = [memberNumber];
  const row = await db.one(`${MEMBER_SELECT} WHERE m.member_number = $1 AND ${memberScopeSql(staff, 'm', params)}`, params);
  if (!row) throw await refuseMember(db, staff, memberNumber, 'member.view');
  return memberView(row);
}

/** Id of a member by number within scope, for endpoints that only need the key. */
export async function memberIdInScope(db: Db, staff: Staff | null, memberNumber: string): Promise<number> {
  const params: unknown[] = [memberNumber];
  const row = await db.one(`SELECT m.id FROM members m WHERE m.member_number = $1 AND ${memberScopeSql(staff, 'm', params)}`, params);
  if (!row) throw await refuseMember(db, staff, memberNumber, 'member.key');
  return row.id;
}

/** A LIKE prefix of what was typed: its own % and _ are plain characters. */
function likePrefix(s: string): string {
  return `${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The staff search of the member register, one box: a member number (exact), an email (whole or
 * its beginning), a phone number (any usual Norwegian way of writing it), "Etternavn, Fornavn",
 * or the beginning of a first, last or full name in either order. Names are compared folded
 * (member_fold: lower case, accents off), so "gronli" finds Grønli and "asen" Åsen.
 */
export function memberSearchSql(raw: string, alias: string, params: unknown[]): string {
  const q = raw.trim().replace(/\s+/g, ' ');
  const m = alias;
  const add = (v: unknown) => { params.push(v); return `$${params.length}`; };
  const parts = [`${m}.member_number = ${add(q)}`];
  if (q.includes('@')) parts.push(`lower(${m}.email) LIKE ${add(likePrefix(q.toLowerCase()))}`);
  if (/^\+?[\d\s().-]{5,}$/.test(q)) {
    const phone = normalisePhone(q);
    if (phone) parts.push(`${m}.phone = ${add(phone)}`);
  }
  const comma = /^([^,]+),\s*([^,]*)$/.exec(q);
  if (comma) {
    const last = add(likePrefix(comma[1].trim()));
    const first = add(likePrefix(comma[2].trim()));
    parts.push(`(member_fold(${m}.last_name) LIKE member_fold(${last}) AND member_fold(${m}.first_name) LIKE member_fold(${first}))`);
  } else if (!q.includes('@')) {
    const like = add(likePrefix(q));
    parts.push(`member_fold(${m}.last_name) LIKE member_fold(${like})`, `member_fold(${m}.first_name) LIKE member_fold(${like})`,
      `member_fold(${m}.first_name || ' ' || ${m}.last_name) LIKE member_fold(${like})`, `member_fold(${m}.last_name || ' ' || ${m}.first_name) LIKE member_fold(${like})`);
  }
  return `(${parts.join(' OR ')})`;
}

export async function searchMembers(db: Db, staff: Staff, q: { q?: string; limit: number; offset: number }): Promise<{ total: number; members: MemberView[] }> {
  const params: unknown[] = [];
  const where = [memberScopeSql(staff, 'm', params)];
  if (q.q && q.q.trim()) where.push(memberSearchSql(q.q, 'm', params));
  const whereSql = where.join(' AND ');
  const total = (await db.one(`SELECT count(*)::int AS n FROM members m WHERE ${whereSql}`, params))!.n as number;
  params.push(q.limit, q.offset);
  const rows = await db.many(`${MEMBER_SELECT} WHERE ${whereSql} ORDER BY m.last_name, m.first_name, m.member_number LIMIT $${params.length - 1} OFFSET $${params.length}`, params);
  return { total, members: rows.map(memberView) };
}
