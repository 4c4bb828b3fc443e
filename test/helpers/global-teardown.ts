import pg from 'pg';
import { TEST_PG_BASE, testRunId } from './env';

/** Drops this run's databases: the template and any left by a file that crashed before its own teardown. */
export default async function globalTeardown(): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_PG_BASE });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`bt\\_${testRunId()}\\_%`]);
    for (const r of rows) await c.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`).catch(() => undefined);
  } finally {
    await c.end();
  }
}
