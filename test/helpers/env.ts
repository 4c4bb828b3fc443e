/** Where tests find PostgreSQL and Redis; CI and this machine use the loopback defaults. */
export const TEST_PG_BASE = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * One id per jest run, set by globalSetup before the workers start, so two runs on one machine
 * (a developer's and CI's) never drop each other's databases.
 */
export function testRunId(): string {
  const id = process.env.BUDSTIKKE_TEST_RUN;
  if (!id) throw new Error('BUDSTIKKE_TEST_RUN is not set: run the tests through jest (globalSetup sets it)');
  return id;
}

export function templateDb(): string {
  return `bt_${testRunId()}_template`;
}

export function dbUrl(name: string): string {
  const u = new URL(TEST_PG_BASE);
  u.pathname = `/${name}`;
  return u.toString();
}
