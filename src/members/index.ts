/** The member register's public surface for other parts of the hub. */
export { MEMBER_SELECT, MEMBER_JOINS, memberView, getMemberInScope, memberIdInScope, searchMembers, type MemberView } from './queries';
export { memberScopeSql, refuseMember } from './scope';
export { isValidOrgNumber, makeOrgNumber, orgNumberCheckDigit } from './org-number';
export { importMembers, importDateOf, normalisePhone, HEADER_ALIASES, type ImportReport, type ImportSource, type ImportOptions, type ImportField } from './import';
export { upsertMember } from './upsert';
export { memberFields, memberSchema, importReport } from './responses';
