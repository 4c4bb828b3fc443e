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

/** The fields of /proc/<pid>/stat after the command name (field 3, the state, is [0]). */
function statFields(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
}

/** utime + stime (clock ticks, 1/100 s) of each pid that still exists. */
export function procTicks(pids: number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      const f = statFields(pid);
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
 * the one asking. A backend that ends between two readings is missed, so CPU read from them alone
 * is a lower bound: add `pgEndedTicks`' difference.
 */
export async function pgBackendPids(db: { many(sql: string): Promise<Record<string, unknown>[]> }): Promise<number[]> {
  return (await db.many(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`)).map((r) => Number(r.pid));
}

/**
 * PostgreSQL's own profile of a run, per statement (pg_stat_statements), when the server loads
 * it (`shared_preload_libraries`); null otherwise. `reset` before the measured part, `top` after:
 * this database's statements by total execution time (backend wall time, not CPU).
 */
export interface StatementCost { query: string; calls: number; total_ms: number; ms_per_call: number; rows: number; share: number }
export async function pgStatements(db: { query(sql: string): Promise<unknown>; many(sql: string): Promise<Record<string, unknown>[]> }) {
  try {
    await db.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await db.query('SELECT pg_stat_statements_reset()');
  } catch {
    return null;
  }
  return {
    async top(n = 12): Promise<StatementCost[]> {
      const rows = await db.many(
        `SELECT regexp_replace(query, '\\s+', ' ', 'g') AS query, calls, total_exec_time AS total, rows,
                sum(total_exec_time) OVER () AS everything
           FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
          ORDER BY total_exec_time DESC LIMIT ${Math.floor(n)}`);
      return rows.map((r) => ({
        query: String(r.query).slice(0, 160), calls: Number(r.calls), total_ms: Math.round(Number(r.total)),
        ms_per_call: Number((Number(r.total) / Math.max(1, Number(r.calls))).toFixed(3)), rows: Number(r.rows),
        share: Number((Number(r.total) / Math.max(1, Number(r.everything))).toFixed(3)),
      }));
    },
  };
}

/**
 * CPU ticks of the PostgreSQL processes that have ended (backends whose connection closed, parallel
 * workers): the kernel adds a reaped child's utime + stime to its parent's cutime + cstime, and
 * every backend is a child of the postmaster (the PPid of the asking backend). The difference of
 * two readings is the CPU of the backends that ended in between, which `pgBackendPids` cannot see
 * (a pool closing an idle connection mid-run took its CPU out of the campaign's figure). It counts
 * any database's: the bench's is the only one at work while it runs.
 */
export async function pgEndedTicks(db: { one(sql: string): Promise<Record<string, unknown> | undefined> }): Promise<number> {
  const self = Number((await db.one('SELECT pg_backend_pid() AS pid'))!.pid);
  const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${self}/status`, 'utf8'))![1]);
  const f = statFields(ppid);
  return Number(f[13]) + Number(f[14]);
}
