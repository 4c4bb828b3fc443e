/**
 * Who may still act: the one rule, as SQL, shared by API tokens, web sessions and sign-in.
 *
 * A staff user acts while not disabled. A representative's access comes from their tillitsverv:
 * the member they are linked to must be an active member holding at least one role today
 * (member_roles.starts_on ≤ today ≤ ends_on). When the role ends, the member resigns or the user
 * is disabled, the next request is refused: nothing waits for a sweep.
 */
export function staffAccessSql(u: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(u)) throw new Error(`alias must be a plain SQL identifier: ${u}`);
  return `(${u}.disabled_at IS NULL AND (${u}.role <> 'representative' OR EXISTS (
    SELECT 1 FROM members acm JOIN member_roles acr ON acr.member_id = acm.id
     WHERE acm.id = ${u}.member_id AND acm.status = 'active'
       AND acr.starts_on <= current_date AND (acr.ends_on IS NULL OR acr.ends_on >= current_date))))`;
}
