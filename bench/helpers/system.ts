import fs from 'node:fs';
import os from 'node:os';

/**
 * What the benchmarks read about the machine while they run (Linux /proc): the load average,
 * and CPU per process, so the hub's cost shows apart from PostgreSQL's and the emulator's.
 * Shared by bench/campaign.ts and bench/unsubscribe.ts.
 */

/** The 1, 5 and 15 minute load averages, rounded to `digits`. */
export function loadAverage(digits = 1): number[] {
  return os.loadavg().map((x) => Number(x.toFixed(digits)));
}

/** utime + stime (clock ticks, 1/100 s) of each pid that still exists. */
export function procTicks(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(pid, Number(f[11]) + Number(f[12]));
    } catch { /* gone */ }
  }
  return out;
}

/** Ticks between two readings; a pid new in the second is counted from zero. */
export function tickDelta(a: Map<number, number>, b: Map<number, number>): number {
  let t = 0;
  for (const [pid, v] of b) t += v - (a.get(pid) ?? 0);
  return t;
}

/** Seconds of CPU between two readings. */
export const tickSeconds = (a: Map<number, number>, b: Map<number, number>): number => tickDelta(a, b) / 100;

/**
 * The PostgreSQL backends serving the bench database (PostgreSQL runs on this host), without
 * the one asking. A backend that ends between two readings is missed, so CPU read from them is a
 * lower bound.
 */
export async function pgBackendPids(db: { many(sql: string): Promise<Record<string, unknown>[]> }): Promise<number[]> {
  return (await db.many(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).map((r) => Number(r.pid));
}
