import type { Queryable } from '../db';
import type { Channel } from './decision';

export interface Category {
  code: string;
  nameNb: string;
  legalBasis: string;
  declinable: boolean;
  defaultOn: boolean;
  channels: Channel[];
  updatedAt: string;
}

export function categoryFromRow(r: Record<string, any>): Category {
  return {
    code: r.code,
    nameNb: r.name_nb,
    legalBasis: r.legal_basis,
    declinable: r.declinable,
    defaultOn: r.default_on,
    channels: r.channels,
    updatedAt: r.updated_at instanceof Date ? r.updated_at.toISOString() : String(r.updated_at),
  };
}

const ORDER = `ORDER BY declinable, default_on DESC, array_position(ARRAY['service','ballot','strike','representative','course','newsletter','magazine','campaign','survey','benefits'], code), code`;

export async function listCategories(db: Queryable): Promise<Category[]> {
  const { rows } = await db.query(`SELECT * FROM message_categories ${ORDER}`);
  return rows.map(categoryFromRow);
}

/**
 * A short-lived in-process cache of the categories for the member pages (hot path: one-click
 * unsubscribe). PATCH /api/categories clears it in this process; other processes see an edit
 * within CACHE_MS. The decision itself always reads the table.
 *
 * One read at a time per pool, refreshed ahead: in the last REFRESH_AHEAD_MS of an entry's life
 * the first request starts the next read and is answered from the entry, so under steady traffic
 * no request waits for the table. (Before: every request that found the entry expired read the
 * table itself — a burst of twenty unsubscribes every five seconds made twenty reads on twenty
 * connections before their commit, a latency spike in about 1 % of the requests at 500 /s.)
 */
const CACHE_MS = 5000;
const REFRESH_AHEAD_MS = 1000;
interface Entry { at: number; list: Category[]; byCode: Map<string, Category> }
interface Slot { entry?: Entry; loading?: Promise<Entry>; generation: number }
const slots = new WeakMap<object, Slot>();

function load(db: Queryable, slot: Slot): Promise<Entry> {
  if (slot.loading) return slot.loading;
  const generation = slot.generation;
  const at = Date.now(); // the entry's age counts from the read's start: never older than CACHE_MS
  const loading: Promise<Entry> = listCategories(db).then((list) => {
    const entry = { at, list, byCode: new Map(list.map((c) => [c.code, c])) };
    if (slot.generation === generation) slot.entry = entry; // a clear meanwhile: do not keep a read from before it
    return entry;
  }).finally(() => { if (slot.loading === loading) slot.loading = undefined; });
  slot.loading = loading;
  return loading;
}

export async function cachedCategories(db: Queryable): Promise<{ list: Category[]; byCode: Map<string, Category> }> {
  let slot = slots.get(db);
  if (!slot) { slot = { generation: 0 }; slots.set(db, slot); }
  const hit = slot.entry;
  const age = hit ? Date.now() - hit.at : Infinity;
  if (hit && age < CACHE_MS) {
    if (age >= CACHE_MS - REFRESH_AHEAD_MS) load(db, slot).catch(() => undefined);
    return hit;
  }
  return load(db, slot);
}

export function clearCategoryCache(db: Queryable): void {
  const slot = slots.get(db);
  if (slot) { slot.generation++; slot.entry = undefined; slot.loading = undefined; }
}
