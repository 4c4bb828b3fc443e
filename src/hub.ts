import type { Redis } from 'ioredis';
import type { Config } from './config';
import { createDb, type Db } from './db';
import { createLogger, type Logger } from './log';
import { systemClock, type Clock } from './clock';
import { createRedis } from './redis';

/**
 * Everything a request handler or a worker needs, built once per process (or per test file):
 * no module reaches for a global database or Redis of its own.
 */
export interface Hub {
  config: Config;
  db: Db;
  log: Logger;
  clock: Clock;
  /** A fresh Redis connection (BullMQ wants one per Worker/QueueEvents). Closed by closeHub. */
  redis(): Redis;
  /** Callbacks run by closeHub, last registered first. */
  onClose(fn: () => Promise<void> | void): void;
}

export function createHub(config: Config, opts: { clock?: Clock; log?: Logger; dbMax?: number; statementTimeoutMs?: number } = {}): Hub {
  const db = createDb(config.databaseUrl, { max: opts.dbMax, statementTimeoutMs: opts.statementTimeoutMs ?? config.dbStatementTimeoutMs });
  const connections: Redis[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const hub: Hub = {
    config,
    db,
    log: opts.log ?? createLogger(config.logLevel),
    clock: opts.clock ?? systemClock,
    redis() {
      const r = createRedis(config.redisUrl);
      r.on('error', (err) => hub.log.warn({ err: err.message }, 'redis connection error'));
      connections.push(r);
      return r;
    },
    onClose(fn) {
      closers.push(fn);
    },
  };
  (hub as any)[CLOSE] = async () => {
    for (const fn of closers.reverse()) await fn();
    await Promise.all(connections.map((r) => r.quit().catch(() => r.disconnect())));
    await db.close();
  };
  return hub;
}

const CLOSE = Symbol('close');

export async function closeHub(hub: Hub): Promise<void> {
  await (hub as any)[CLOSE]();
}
