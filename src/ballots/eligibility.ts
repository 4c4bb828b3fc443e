/**
 * Who may vote: by default every member with an active status who is covered by one of the
 * ballot's agreements; the ballot may narrow that by member category, employer or workplace.
 */
export interface EligibilityRule {
  categories?: string[];
  employerOrgNumbers?: string[];
  workplaceOrgNumbers?: string[];
}

/**
 * SQL condition (on members aliased `m`) for "eligible for ballot $ballot", either as of a
 * cut-off instant (status and coverage judged by the register's dates in Europe/Oslo: joined on
 * or before the cut-off day, not resigned on or before it, covered from on or before it), or now
 * (status active, covered from today or earlier).
 *
 * The register keeps no history of category, workplace or ended coverage, so those are judged
 * by their current values; a cut-off in the past is therefore exact for joining, resigning and
 * coverage start, and best-effort for the rest (see the difference report).
 */
export function eligibleSql(rule: EligibilityRule, params: unknown[], ballotParam: string, asOf: { mode: 'cutoff' | 'now'; atParam: string }): string {
  const day = `(${asOf.atParam}::timestamptz AT TIME ZONE 'Europe/Oslo')::date`;
  const parts: string[] = [];
  if (asOf.mode === 'now') parts.push(`m.status = 'active'`);
  else parts.push(`m.joined_at <= ${day}`, `(m.resigned_at IS NULL OR m.resigned_at > ${day})`);
  parts.push(`EXISTS (SELECT 1 FROM member_agreements ma JOIN ballot_agreements ba ON ba.agreement_id = ma.agreement_id
      WHERE ba.ballot_id = ${ballotParam} AND ma.member_id = m.id AND ma.covered_from <= ${day})`);
  parts.push(...scopeParts(rule, params));
  return parts.join('\n  AND ');
}

/** The narrowing alone (category, employer, workplace), as SQL conditions on `m`. */
export function scopeParts(rule: EligibilityRule, params: unknown[]): string[] {
  const parts: string[] = [];
  if (rule.categories?.length) {
    params.push(rule.categories);
    parts.push(`m.category = ANY($${params.length}::text[])`);
  }
  if (rule.employerOrgNumbers?.length) {
    params.push(rule.employerOrgNumbers);
    parts.push(`EXISTS (SELECT 1 FROM workplaces w JOIN employers e ON e.id = w.employer_id
      WHERE w.id = m.workplace_id AND e.org_number = ANY($${params.length}::text[]))`);
  }
  if (rule.workplaceOrgNumbers?.length) {
    params.push(rule.workplaceOrgNumbers);
    parts.push(`EXISTS (SELECT 1 FROM workplaces w WHERE w.id = m.workplace_id AND w.org_number = ANY($${params.length}::text[]))`);
  }
  return parts;
}
