import { DateTime } from 'luxon';
import type { Db } from '../db';
import { csvRows, type CsvValue } from '../csv';
import { labelOf, type VocabularyName } from '../vocabulary';

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
  const names = { categories: await categoryNames(db) };
  let before: number | undefined;
  let n = 0;
  for (;;) {
    const page = await queryAudit(db, { ...q, before, limit: CSV_CHUNK });
    if (page.entries.length) await write(csvRows(page.entries.map((e) => auditCsvRow(e, names)), { recordDelimiter: 'windows' }));
    n += page.entries.length;
    if (page.nextBefore === null) return n;
    before = page.nextBefore;
  }
}

function auditCsvRow(e: AuditEntry, names: DetailNames): CsvValue[] {
  return [
    DateTime.fromISO(e.at).setZone('Europe/Oslo').toISO({ suppressMilliseconds: true }),
    e.actorName ?? e.actor, e.actorRole ? labelOf('staffRole', e.actorRole) : '', labelOf('auditAction', e.action), e.action,
    e.memberNumber ?? (typeof e.detail?.memberNumber === 'string' ? e.detail.memberNumber : ''), e.rowCount, detailText(e.detail, e.action, names),
  ];
}

/** Names the audit detail's codes are shown by: the message categories' names (from the database). */
export interface DetailNames { categories?: Record<string, string> }

/** The message categories' bokmål names, for `detailText`. */
export async function categoryNames(db: Db): Promise<Record<string, string>> {
  return Object.fromEntries((await db.many('SELECT code, name_nb FROM message_categories')).map((r) => [r.code, r.name_nb]));
}

/** Which enumeration a state-like value (state, from, to) belongs to, by the action's area. */
const STATE_BY_AREA: Record<string, VocabularyName> = { campaign: 'campaignState', strike: 'strikeState', ballot: 'ballotState', print_run: 'printRunState' };
const VALUE_VOCAB: Record<string, VocabularyName> = { channel: 'channel', role: 'staffRole', purpose: 'strikePurpose', kind: 'campaignKind', status: 'memberStatus' };

/** Which part of a member or list was looked at (detail.view of member.view, member.list, audience.preview). */
const VIEW_NB: Record<string, string> = {
  consents: 'samtykker', communications: 'kommunikasjonshistorikk', suppressions: 'sperrer', review: 'gjennomgang før start',
  'ballot.roll_difference': 'endringer i manntallet',
};

function valueText(action: string | undefined, key: string, v: unknown, names: DetailNames): string {
  if (typeof v === 'string') {
    if (key === 'view') return VIEW_NB[v] ?? v;
    if (key === 'category') return names.categories?.[v] ?? v;
    if (key === 'action') return labelOf('auditAction', v);
    const area = action?.split('.')[0];
    const vocab = VALUE_VOCAB[key] ?? ((key === 'state' || key === 'from' || key === 'to') && area ? STATE_BY_AREA[area] : undefined);
    return vocab ? labelOf(vocab, v) : v;
  }
  if (Array.isArray(v) && (key === 'channels' || key === 'categories') && v.every((x) => typeof x === 'string')) {
    return v.map((x) => valueText(action, key === 'channels' ? 'channel' : 'category', x, names)).join(', ');
  }
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * An entry's detail as one line of `key: value` pairs (what the page and the CSV show). The keys
 * are the recorded field names; a value that is a code (a category, channel, state, role) is shown
 * by its name, so the auditor reads «kind: Kampanje · category: Nyhetsbrev», not the codes.
 */
export function detailText(detail: Record<string, unknown> | null | undefined, action?: string, names: DetailNames = {}): string {
  if (!detail) return '';
  return Object.entries(detail)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${valueText(action, k, v, names)}`)
    .join(' · ');
}
