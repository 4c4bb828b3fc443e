import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { memberScopeSql } from '../members';
import type { AudienceFilter } from './filter';

export interface SavedAudience {
  id: number;
  name: string;
  filter: AudienceFilter;
  createdBy: number | null;
  createdAt: string;
  updatedAt: string;
}

const COLS = 'a.id, a.name, a.filter, a.created_by, a.created_at, a.updated_at';

function fromRow(r: Record<string, any>): SavedAudience {
  return {
    id: r.id, name: r.name, filter: r.filter, createdBy: r.created_by,
    createdAt: new Date(r.created_at).toISOString(), updatedAt: new Date(r.updated_at).toISOString(),
  };
}

function nameTaken(err: any, name: string): never {
  if (err?.code === '23505') throw Problem.conflict(`Det finnes allerede en lagret målgruppe som heter «${name}». Velg et annet navn.`, { field: 'body.name' });
  throw err;
}

/**
 * SQL: every explicit member number in `filterSql` (memberNumbers and excludeMemberNumbers, at any
 * depth) is a member `staff` may see. A number that names no member counts as outside.
 */
function numbersInScopeSql(staff: Staff, filterSql: string, params: unknown[]): string {
  const scope = memberScopeSql(staff, 'sm', params);
  return `NOT EXISTS (
    SELECT 1 FROM (SELECT jsonb_path_query(${filterSql}, 'lax $.**.memberNumbers[*]')
                   UNION ALL SELECT jsonb_path_query(${filterSql}, 'lax $.**.excludeMemberNumbers[*]')) n(v)
     WHERE NOT EXISTS (SELECT 1 FROM members sm WHERE sm.member_number = n.v #>> '{}' AND ${scope}))`;
}

/**
 * Which saved audiences `staff` may see, as SQL on `audiences a` (issue 13, "scope everywhere"):
 * admins and communications see all; a representative only their own, and never one whose
 * explicit member numbers reach outside their members (their scope may have narrowed since).
 */
function visibleSql(staff: Staff | null, params: unknown[]): string {
  if (!staff || staff.role !== 'representative') return 'TRUE';
  params.push(staff.id);
  return `(a.created_by = $${params.length} AND ${numbersInScopeSql(staff, 'a.filter', params)})`;
}

/** Answers a saved audience that is not there for `staff`; one that exists but is outside their scope is audited as refused. */
async function notVisible(hub: Pick<Hub, 'db'>, staff: Staff | null, id: number, route: string): Promise<Problem> {
  const exists = await hub.db.one('SELECT 1 AS x FROM audiences WHERE id = $1', [id]);
  if (exists) await audit(hub.db, { staff, action: 'access.refused', detail: { audienceId: id, route } });
  return Problem.notFound(`Fant ingen lagret målgruppe ${id}.`);
}

/** The saved audiences `staff` may see (audited as a listing). */
export async function listSavedAudiences(hub: Pick<Hub, 'db'>, staff: Staff | null): Promise<SavedAudience[]> {
  const params: unknown[] = [];
  const rows = (await hub.db.many(`SELECT ${COLS} FROM audiences a WHERE ${visibleSql(staff, params)} ORDER BY lower(a.name), a.id`, params)).map(fromRow);
  await audit(hub.db, { staff, action: 'audience.list', rowCount: rows.length });
  return rows;
}

/**
 * One saved audience as `staff` may see it (audited as a view; `purpose` says what for), else 404
 * (audited as refused when it exists).
 */
export async function getSavedAudience(hub: Pick<Hub, 'db'>, staff: Staff | null, id: number, purpose = 'view'): Promise<SavedAudience> {
  const params: unknown[] = [id];
  const r = await hub.db.one(`SELECT ${COLS} FROM audiences a WHERE a.id = $1 AND ${visibleSql(staff, params)}`, params);
  if (!r) throw await notVisible(hub, staff, id, purpose);
  await audit(hub.db, { staff, action: 'audience.view', detail: { audienceId: id, purpose } });
  return fromRow(r);
}

/** A representative saves only filters whose explicit member numbers are their members. */
async function checkNumbers(hub: Pick<Hub, 'db'>, staff: Staff | null, filter: AudienceFilter): Promise<void> {
  if (!staff || staff.role !== 'representative') return;
  const params: unknown[] = [JSON.stringify(filter)];
  const ok = await hub.db.one(`SELECT ${numbersInScopeSql(staff, '$1::jsonb', params)} AS ok`, params);
  if (ok?.ok) return;
  await audit(hub.db, { staff, action: 'access.refused', detail: { route: 'audience.save', reason: 'member numbers outside scope' } });
  throw Problem.forbidden('Målgruppen har medlemsnumre som ikke er blant dine medlemmer.');
}

/** Creates a saved audience; the filter must already be validated (validateAudience). */
export async function createSavedAudience(hub: Pick<Hub, 'db'>, staff: Staff | null, input: { name: string; filter: AudienceFilter }): Promise<SavedAudience> {
  await checkNumbers(hub, staff, input.filter);
  const r = await hub.db.one(`INSERT INTO audiences AS a (name, filter, created_by) VALUES ($1, $2, $3) RETURNING ${COLS}`,
    [input.name, JSON.stringify(input.filter), staff?.id ?? null]).catch((e) => nameTaken(e, input.name));
  return fromRow(r!);
}

export async function updateSavedAudience(hub: Pick<Hub, 'db'>, staff: Staff | null, id: number, input: { name?: string; filter?: AudienceFilter }): Promise<SavedAudience> {
  if (input.filter !== undefined) await checkNumbers(hub, staff, input.filter);
  const params: unknown[] = [id, input.name ?? null, input.filter === undefined ? null : JSON.stringify(input.filter)];
  const r = await hub.db.one(
    `UPDATE audiences a SET name = coalesce($2, a.name), filter = coalesce($3::jsonb, a.filter), updated_at = now()
      WHERE a.id = $1 AND ${visibleSql(staff, params)} RETURNING ${COLS}`, params).catch((e) => nameTaken(e, input.name ?? ''));
  if (!r) throw await notVisible(hub, staff, id, 'update');
  return fromRow(r);
}

export async function deleteSavedAudience(hub: Pick<Hub, 'db'>, staff: Staff | null, id: number): Promise<void> {
  const params: unknown[] = [id];
  const r = await hub.db.query(`DELETE FROM audiences a WHERE a.id = $1 AND ${visibleSql(staff, params)}`, params);
  if (!r.rowCount) throw await notVisible(hub, staff, id, 'delete');
}
