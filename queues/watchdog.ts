import crypto from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Hub } from '../src/hub';

/**
 * The queue watchdog: a timer in each worker process, outside Redis, that notices when Redis no
 * longer holds what PostgreSQL says it must, and has the queues rebuilt from PostgreSQL without
 * restarting anything. Redis keeps nothing on disk here, so a restarted Redis is an empty one:
 * every waiting and delayed job and every job scheduler (the campaign sweep itself) is gone,
 * while the workers reconnect and wait for work that never comes.
 *
 * Two signs, checked every QUEUE_WATCHDOG_MS (default 5 s):
 *  - the epoch key `<prefix>:watchdog:epoch` is missing: Redis lost its data. The process that
 *    sets it again (SET NX) rebuilds; the others see the new epoch and leave it to that one.
 *  - the campaign sweep has not recorded a run in PostgreSQL (`queue_heartbeats`) for three of
 *    its intervals: the scheduler is gone or stuck, whatever the reason. Any process may rebuild.
 * If the process that won the epoch dies before it has rebuilt, the second sign catches it.
 *
 * A rebuild runs each area's `rebuild` (registered by its workers): the campaign sweep's
 * scheduler and the campaigns' pending snapshots and batches, the ballots' wake-ups and sweep,
 * the retention schedule. Job ids are deterministic, so a rebuild that finds a job still there
 * changes nothing, and rebuilding twice is harmless.
 */
export interface Watchdog {
  /** One check now (tests; the timer calls it too). Resolves with the reason it rebuilt, or null. */
  check(): Promise<string | null>;
  close(): Promise<void>;
}

interface State {
  rebuilds: Map<string, () => Promise<unknown>>;
  watchdog?: Watchdog;
}

const states = new WeakMap<Hub, State>();

export const WATCHDOG_HEARTBEAT = 'campaign-sweep';
/** The sweep runs every 30 s: three missed runs mean it is not running. */
export const HEARTBEAT_STALE_MS = 90_000;

export function epochKey(hub: Hub): string {
  return `${hub.config.queuePrefix}:watchdog:epoch`;
}

/** Resolves with the value, or 'timeout' when Redis does not answer in time (it is down). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timeout'>((r) => { timer = setTimeout(() => r('timeout'), ms); })]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Registers what `area` puts back into Redis after a loss, and starts this process's watchdog
 * (once per hub) unless QUEUE_WATCHDOG_MS is 0.
 */
export async function watchQueues(hub: Hub, area: string, rebuild: () => Promise<unknown>, opts: { staleAfterMs?: number } = {}): Promise<Watchdog> {
  let s = states.get(hub);
  if (!s) states.set(hub, (s = { rebuilds: new Map() }));
  s.rebuilds.set(area, rebuild);
  if (!s.watchdog) s.watchdog = await startWatchdog(hub, s, opts.staleAfterMs ?? HEARTBEAT_STALE_MS);
  return s.watchdog;
}

async function startWatchdog(hub: Hub, s: State, staleAfterMs: number): Promise<Watchdog> {
  const redis: Redis = hub.redis();
  const key = epochKey(hub);
  const startedAt = Date.now();
  // This process's start reconciles anyway: mark the data as known without a rebuild.
  await within(redis.set(key, crypto.randomUUID(), 'NX'), 5_000);
  let busy: Promise<string | null> | null = null;
  let closed = false;

  const rebuild = async (reason: string): Promise<void> => {
    const t0 = Date.now();
    hub.log.warn({ reason }, 'queues lost: rebuilding them from PostgreSQL');
    for (const [area, fn] of s.rebuilds) {
      try {
        const r = await fn();
        hub.log.info({ area, result: r }, 'queue area rebuilt');
      } catch (err: any) {
        hub.log.error({ area, err: err?.message }, 'rebuilding a queue area failed; the next check tries again');
        throw err;
      }
    }
    hub.log.warn({ reason, ms: Date.now() - t0 }, 'queues rebuilt from PostgreSQL');
  };

  const once = async (): Promise<string | null> => {
    const epoch = await within(redis.get(key), 3_000);
    if (epoch === 'timeout') return null; // Redis is down: nothing to rebuild into yet
    if (epoch === null) {
      const won = await within(redis.set(key, crypto.randomUUID(), 'NX'), 3_000);
      if (won === 'OK') {
        try {
          await rebuild('redis_empty');
        } catch {
          await redis.del(key).catch(() => undefined); // let the next check (here or elsewhere) try again
          return null;
        }
        return 'redis_empty';
      }
      return null;
    }
    if (!s.rebuilds.has('campaigns') || Date.now() - startedAt < staleAfterMs) return null;
    const hb = await hub.db.one(`SELECT now() - at > make_interval(secs => $2::double precision / 1000) AS stale FROM queue_heartbeats WHERE name = $1`,
      [WATCHDOG_HEARTBEAT, staleAfterMs]);
    if (hb && !hb.stale) return null;
    // Stamp the heartbeat first, so other processes do not all rebuild at once.
    await hub.db.query(`INSERT INTO queue_heartbeats (name, at) VALUES ($1, now()) ON CONFLICT (name) DO UPDATE SET at = now()`, [WATCHDOG_HEARTBEAT]);
    await rebuild('sweep_stale').catch(() => undefined);
    return 'sweep_stale';
  };

  const check = (): Promise<string | null> => {
    if (!busy) busy = once().catch((err) => { hub.log.warn({ err: err?.message }, 'queue watchdog check failed'); return null; }).finally(() => { busy = null; });
    return busy;
  };

  const every = hub.config.queueWatchdogMs;
  const timer = every > 0 ? setInterval(() => { if (!closed) void check(); }, every) : null;
  timer?.unref();
  const watchdog: Watchdog = {
    check,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      if (busy) await busy;
    },
  };
  hub.onClose(() => watchdog.close());
  return watchdog;
}
