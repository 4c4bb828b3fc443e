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
 */
const CACHE_MS = 5000;
const cache = new WeakMap<object, { at: number; list: Category[]; byCode: Map<string, Category> }>();

export async function cachedCategories(db: Queryable): Promise<{ list: Category[]; byCode: Map<string, Category> }> {
  const hit = cache.get(db);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit;
  const list = await listCategories(db);
  const entry = { at: Date.now(), list, byCode: new Map(list.map((c) => [c.code, c])) };
  cache.set(db, entry);
  return entry;
}

export function clearCategoryCache(db: Queryable): void {
  cache.delete(db);
}
