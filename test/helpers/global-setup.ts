import crypto from 'node:crypto';
import { createDb, ensureDatabase } from '../../src/db';
import { migrate } from '../../src/db/migrate';
import { pingRedis } from '../../src/redis';
import { TEST_REDIS_URL, dbUrl, templateDb } from './env';

/** Builds one migrated template database for this run; each test file copies it (CREATE DATABASE … TEMPLATE). */
export default async function globalSetup(): Promise<void> {
  process.env.BUDSTIKKE_TEST_RUN = `${process.pid}${crypto.randomBytes(2).toString('hex')}`;
  await pingRedis(TEST_REDIS_URL);
  const url = dbUrl(templateDb());
  await ensureDatabase(url);
  const db = createDb(url, { max: 1 });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
}
