import type { Staff } from '../auth/staff';
import type { Queryable } from '../db';
import { audit } from '../audit';
import { Problem } from '../errors';

/**
 * The SQL condition confining a query on members (aliased `alias`) to what `staff` may see.
 * A representative sees the ACTIVE members of the branches, clubs and workplaces that their
 * current roles (tillitsverv: starts_on ≤ today ≤ ends_on) cover, and only while the member
 * holding those roles is an active member themselves; everyone else with access sees all. The
 * condition goes into the query itself, so a member outside the scope is simply not found.
 * (Sign-in, tokens and sessions refuse a representative without a current role: staffAccessSql.)
 */
export function memberScopeSql(staff: Staff | null, alias: string, params: unknown[]): string {
  if (!staff || staff.role !== 'representative') return 'TRUE';
  params.push(staff.memberId ?? -1);
  const p = `$${params.length}`;
  return `(${alias}.status = 'active' AND EXISTS (SELECT 1 FROM member_roles sr JOIN members sh ON sh.id = sr.member_id AND sh.status = 'active'
    WHERE sr.member_id = ${p} AND sr.starts_on <= current_date AND (sr.ends_on IS NULL OR sr.ends_on >= current_date)
      AND (sr.branch_id = ${alias}.branch_id OR sr.club_id = ${alias}.club_id OR sr.workplace_id = ${alias}.workplace_id)))`;
}

/**
 * A staff user named a member outside what they may see. The answer is "not found" either way
 * (nothing confirms that the member exists); when the member does exist it is a refused
 * out-of-scope attempt and is audited as such (issue 13). Callers: `throw await refuseMember(…)`.
 */
export async function refuseMember(db: Queryable, staff: Staff | null, memberNumber: string, route: string, detail = `Fant ikke medlem ${memberNumber}.`): Promise<Problem> {
  const m = await db.query('SELECT id FROM members WHERE member_number = $1', [memberNumber]);
  if (m.rows[0]) await audit(db, { staff, action: 'access.refused', memberId: m.rows[0].id, detail: { route } });
  return Problem.notFound(detail);
}
