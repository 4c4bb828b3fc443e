import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './index';
import { MIGRATIONS_DIR } from '../paths';
import { loadPostalRegister } from '../geography/register';

/**
 * Applies numbered migrations in order, each in its own transaction, under an advisory lock so
 * several processes starting at once apply each migration exactly once. Then the postal
 * register (reference data shipped in data/) is loaded when its table is empty.
 */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<string[]> {
  const files = fs.readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const seen = new Set<string>();
  for (const f of files) {
    const id = f.replace(/\.sql$/, '');
    if (seen.has(id)) throw new Error(`migration ${id} exists twice`);
    seen.add(id);
  }
  const client = await db.pool.connect();
  const applied: string[] = [];
  try {
    // Waiting for another process's migrations, and a migration itself, may take longer than the
    // hub's statement timeout.
    await client.query('SET statement_timeout = 0');
    await client.query('SELECT pg_advisory_lock(727274)');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query('SELECT id FROM schema_migrations')).rows.map((r) => r.id as string));
    for (const f of files) {
      const id = f.replace(/\.sql$/, '');
      if (done.has(id)) continue;
      await client.query('BEGIN');
      try {
        await client.query(fs.readFileSync(path.join(dir, f), 'utf8'));
        await client.query('INSERT INTO schema_migrations (id) VALUES ($1)', [id]);
        await client.query('COMMIT');
        applied.push(id);
      } catch (err: any) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${f} failed: ${err.message}`, { cause: err });
      }
    }
    await loadPostalRegister(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock(727274)').catch(() => undefined);
    await client.query('RESET statement_timeout').catch(() => undefined); // back to the pool's own
    client.release();
  }
  return applied;
}
