export type Role = 'admin' | 'communications' | 'representative' | 'auditor' | 'strike_committee';
/** strike_committee (migration 130): reaches only its own strike committees (src/strikes). */
export const ROLES: Role[] = ['admin', 'communications', 'representative', 'auditor', 'strike_committee'];

/** A signed-in staff user as handlers see them. */
export interface Staff {
  id: number;
  email: string;
  name: string;
  role: Role;
  /** For representatives: the member holding the roles that scope what they see. */
  memberId: number | null;
}

export function staffFromRow(r: Record<string, any>): Staff {
  return { id: r.id, email: r.email, name: r.name, role: r.role, memberId: r.member_id ?? null };
}

/** How an audit row names who did something. */
export function actorLabel(staff: Staff | null): string {
  return staff ? `staff:${staff.id}` : 'system';
}
