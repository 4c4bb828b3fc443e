import { DateTime } from 'luxon';
import type { Db } from '../db';
import { csvRows, type CsvValue } from '../csv';
import { labelOf } from '../vocabulary';

export interface AuditQuery {
  memberNumber?: string;
  action?: string[];
  actor?: string;
  actorUserId?: number;
  from?: Date;
  to?: Date;
  before?: number;
  limit: number;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actorUserId: number | null;
  actorName: string | null;
  actorRole: string | null;
  action: string;
  memberId: number | null;
  memberNumber: string | null;
  rowCount: number | null;
  detail: Record<string, unknown>;
}

/**
 * The audit trail, newest first, keyset-paginated (`before` = the last id of the previous page;
 * `nextBefore` is null on the last page). Filtering by member number also finds the record of
 * that member's erasure (whose row no longer links to a member).
 */
export async function queryAudit(db: Db, q: AuditQuery): Promise<{ entries: AuditEntry[]; nextBefore: number | null; memberId: number | null }> {
  const params: unknown[] = [];
  const where: string[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  let memberId: number | null = null;
  if (q.memberNumber) {
    const m = await db.one('SELECT id FROM members WHERE member_number = $1', [q.memberNumber]);
    memberId = m?.id ?? null;
    where.push(`(a.member_id = ${p(memberId ?? -1)} OR (a.action = 'member.erase' AND a.detail->>'memberNumber' = ${p(q.memberNumber)}))`);
  }
  if (q.action?.length) where.push(`a.action = ANY(${p(q.action)}::text[])`);
  if (q.actor) where.push(`a.actor = ${p(q.actor)}`);
  if (q.actorUserId !== undefined) where.push(`a.actor_user_id = ${p(q.actorUserId)}`);
  if (q.from) where.push(`a.at >= ${p(q.from)}`);
  if (q.to) where.push(`a.at < ${p(q.to)}`);
  if (q.before !== undefined) where.push(`a.id < ${p(q.before)}`);
  const rows = await db.many(
    `SELECT a.id, a.at, a.actor, a.actor_user_id, u.name AS actor_name, u.role AS actor_role, a.action, a.member_id,
            m.member_number, a.row_count, a.detail
       FROM audit_log a LEFT JOIN staff_users u ON u.id = a.actor_user_id LEFT JOIN members m ON m.id = a.member_id
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY a.id DESC LIMIT ${p(q.limit + 1)}`, params);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  return {
    memberId,
    nextBefore: more ? page[page.length - 1].id : null,
    entries: page.map((r) => ({
      id: r.id, at: r.at.toISOString(), actor: r.actor, actorUserId: r.actor_user_id, actorName: r.actor_name, actorRole: r.actor_role,
      action: r.action, memberId: r.member_id, memberNumber: r.member_number, rowCount: r.row_count, detail: r.detail,
    })),
  };
}

/** The CSV export's columns, in Norwegian: auditors open it in a spreadsheet. */
export const AUDIT_CSV_HEADER = ['Tid', 'Utført av', 'Rolle', 'Handling', 'Handlingskode', 'Medlemsnr.', 'Antall rader', 'Detaljer'];
const CSV_CHUNK = 1000;

/**
 * The filtered audit trail as CSV through the hub's one CSV writer (src/csv), newest first, in
 * keyset chunks so a long period is never held in memory at once. `write` gets each chunk.
 */
export async function writeAuditCsv(db: Db, q: Omit<AuditQuery, 'limit' | 'before'>, write: (chunk: string) => void | Promise<void>): Promise<number> {
  await write(csvRows([AUDIT_CSV_HEADER], { recordDelimiter: 'windows', bom: true }));
  let before: number | undefined;
  let n = 0;
  for (;;) {
    const page = await queryAudit(db, { ...q, before, limit: CSV_CHUNK });
    if (page.entries.length) await write(csvRows(page.entries.map(auditCsvRow), { recordDelimiter: 'windows' }));
    n += page.entries.length;
    if (page.nextBefore === null) return n;
    before = page.nextBefore;
  }
}

function auditCsvRow(e: AuditEntry): CsvValue[] {
  return [
    DateTime.fromISO(e.at).setZone('Europe/Oslo').toISO({ suppressMilliseconds: true }),
    e.actorName ?? e.actor, e.actorRole ? labelOf('staffRole', e.actorRole) : '', labelOf('auditAction', e.action), e.action,
    e.memberNumber ?? (typeof e.detail?.memberNumber === 'string' ? e.detail.memberNumber : ''), e.rowCount, detailText(e.detail),
  ];
}

/** An entry's detail as one line of `key: value` pairs (what the page and the CSV show). */
export function detailText(detail: Record<string, unknown> | null | undefined): string {
  if (!detail) return '';
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}
