import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { Problem } from '../errors';
import type { AudienceFilter } from './filter';

export interface SavedAudience {
  id: number;
  name: string;
  filter: AudienceFilter;
  createdBy: number | null;
  createdAt: string;
  updatedAt: string;
}

const COLS = 'id, name, filter, created_by, created_at, updated_at';

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

export async function listSavedAudiences(hub: Pick<Hub, 'db'>): Promise<SavedAudience[]> {
  return (await hub.db.many(`SELECT ${COLS} FROM audiences ORDER BY lower(name), id`)).map(fromRow);
}

export async function getSavedAudience(hub: Pick<Hub, 'db'>, id: number): Promise<SavedAudience | null> {
  const r = await hub.db.one(`SELECT ${COLS} FROM audiences WHERE id = $1`, [id]);
  return r ? fromRow(r) : null;
}

/** Creates a saved audience; the filter must already be validated (validateAudience). */
export async function createSavedAudience(hub: Pick<Hub, 'db'>, staff: Staff | null, input: { name: string; filter: AudienceFilter }): Promise<SavedAudience> {
  const r = await hub.db.one(`INSERT INTO audiences (name, filter, created_by) VALUES ($1, $2, $3) RETURNING ${COLS}`,
    [input.name, JSON.stringify(input.filter), staff?.id ?? null]).catch((e) => nameTaken(e, input.name));
  return fromRow(r!);
}

export async function updateSavedAudience(hub: Pick<Hub, 'db'>, id: number, input: { name?: string; filter?: AudienceFilter }): Promise<SavedAudience> {
  const r = await hub.db.one(
    `UPDATE audiences SET name = coalesce($2, name), filter = coalesce($3::jsonb, filter), updated_at = now() WHERE id = $1 RETURNING ${COLS}`,
    [id, input.name ?? null, input.filter === undefined ? null : JSON.stringify(input.filter)]).catch((e) => nameTaken(e, input.name ?? ''));
  if (!r) throw Problem.notFound(`No saved audience ${id}.`);
  return fromRow(r);
}

export async function deleteSavedAudience(hub: Pick<Hub, 'db'>, id: number): Promise<void> {
  const r = await hub.db.query('DELETE FROM audiences WHERE id = $1', [id]);
  if (!r.rowCount) throw Problem.notFound(`No saved audience ${id}.`);
}
