import type { Hub } from '../hub';
import type { Staff } from '../auth/staff';
import { Problem } from '../errors';
import { importMembers } from './import';
import { getMemberInScope, type MemberView } from './queries';

/**
 * One member pushed by the register: the import's validation and merge for a single object, so
 * the rules cannot drift apart. Keys missing from the object leave stored values as they are.
 */
export async function upsertMember(hub: Hub, staff: Staff | null, memberNumber: string, body: Record<string, unknown>):
  Promise<{ created: boolean; member: MemberView; warnings: string[] }> {
  const given = body.member_number ?? body.memberNumber ?? body.medlemsnummer;
  if (given !== undefined && given !== null && String(given).trim() !== memberNumber) {
    throw Problem.badRequest('Medlemsnummeret i innholdet er et annet enn det i adressen.', [{ field: 'member_number', message: 'Medlemsnummer: er et annet enn i adressen' }]);
  }
  const rest = Object.fromEntries(Object.entries(body).filter(([k]) => !['member_number', 'memberNumber', 'medlemsnummer'].includes(k)));
  const report = await importMembers(hub, { kind: 'records', records: [{ ...rest, member_number: memberNumber }] },
    { staff, via: 'upsert', auditAction: 'member.upsert' });
  if (report.rejected) {
    throw Problem.badRequest('Medlemmet ble ikke lagret.', report.errors.map((e) => ({ field: e.field, message: e.message })));
  }
  const member = await getMemberInScope(hub.db, null, memberNumber);
  return { created: report.inserted === 1, member, warnings: report.warnings };
}
