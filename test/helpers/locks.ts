import type pg from 'pg';
import type { Db } from '../../src/db';

/** A pool client's backend pid. */
export const pidOf = (c: pg.PoolClient): number => (c as unknown as { processID: number }).processID;

/** Waits until `check` returns true, by state, up to a generous limit (never a fixed time). */
async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 60_000;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(what);
    await new Promise((res) => setImmediate(res));
  }
}

/** Waits until the backend `pid` is waiting for a lock. */
export function blockedOnLock(db: Db, pid: number): Promise<void> {
  return waitFor(async () => (await db.one(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]))?.wait_event_type === 'Lock',
    `backend ${pid} never waited for a lock`);
}

/** Waits until some other backend running a statement that contains `text` is waiting for a lock. */
export function someoneWaitsOn(db: Db, text: string): Promise<void> {
  return waitFor(async () => !!(await db.one(
    `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND strpos(query, $1) > 0 AND pid <> pg_backend_pid()`, [text])),
  `no backend waited while running "${text}"`);
}
