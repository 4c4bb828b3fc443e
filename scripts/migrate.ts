/** Applies the migrations (and loads the postal register into an empty table): `npm run migrate`. */
import { createDb, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { dbFailure, fail, scriptConfig } from './cli';

async function main(): Promise<void> {
  const config = scriptConfig('migrate');
  let db: ReturnType<typeof createDb> | undefined;
  try {
    const created = await ensureDatabase(config.databaseUrl);
    db = createDb(config.databaseUrl, { max: 1, applicationName: 'budstikke-migrate' });
    const applied = await migrate(db);
    process.stdout.write(`${created ? 'Created the database. ' : ''}${applied.length ? `Applied ${applied.join(', ')}.` : 'Already up to date.'}\n`);
  } catch (err) {
    fail('migrate', dbFailure(config, err));
  } finally {
    await db?.close();
  }
}

main().catch((err) => fail('migrate', err?.message ?? String(err)));
