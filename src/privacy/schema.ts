import type { Queryable } from '../db';

/**
 * The privacy part runs against a schema other parts are still growing: a table of theirs is
 * used when it exists, and foreign keys to members are discovered, not listed by hand, so a
 * table added later is erased with the member without a change here.
 */
export async function tableExists(db: Queryable, name: string): Promise<boolean> {
  const { rows } = await db.query('SELECT to_regclass($1) IS NOT NULL AS ok', [`public.${name}`]);
  return rows[0].ok === true;
}

export async function columnExists(db: Queryable, table: string, column: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`, [table, column]);
  return rows.length > 0;
}

export interface MemberReference {
  table: string;
  column: string;
  /** What PostgreSQL does on delete of the member: cascade, set null, or nothing (we must act). */
  onDelete: 'cascade' | 'set_null' | 'restrict';
  notNull: boolean;
}

/** Every single-column foreign key to members(id), in any table. */
export async function memberReferences(db: Queryable): Promise<MemberReference[]> {
  const { rows } = await db.query(
    `SELECT c.conrelid::regclass::text AS tbl, a.attname AS col, c.confdeltype AS del, a.attnotnull AS not_null
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.contype = 'f' AND c.confrelid = 'public.members'::regclass AND cardinality(c.conkey) = 1
      ORDER BY 1, 2`);
  return rows.map((r) => ({
    table: String(r.tbl).replace(/^public\./, ''),
    column: r.col,
    onDelete: r.del === 'c' ? 'cascade' : r.del === 'n' ? 'set_null' : 'restrict',
    notNull: r.not_null,
  }));
}

/** Quotes an identifier that came from the catalogue. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
