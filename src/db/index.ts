import { createHash } from 'node:crypto';
import pg from 'pg';

// int8 ids and counts fit comfortably in a JS number here; dates stay 'YYYY-MM-DD' strings so
// no time zone can move a join date by a day.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));
pg.types.setTypeParser(1082, (v) => v);

export type Row = Record<string, any>;

/** A statement text with the name it is prepared under (`prepared`). */
export interface NamedSql { name: string; text: string }

/** Anything that runs a query: the Db, the pool, or a transaction's client. */
export interface Queryable {
  query<T extends Row = Row>(sql: string | NamedSql, params?: unknown[]): Promise<pg.QueryResult<T>>;
}

const preparedNames = new Map<string, string>();
/**
 * A statement PostgreSQL plans once per connection and then reuses: a named prepared statement
 * of the extended protocol (node-postgres parses it on a connection's first use of the name).
 * For the send path's statements, which run thousands of times per campaign with the same text:
 * planning the recipient-data join took 6 ms of each 18 ms call, the mark and the attempt 0.2–0.3
 * ms of each 0.5–4 ms (pg_stat_statements with track_planning, bench/RESULTS.md, sixth session).
 * After five runs PostgreSQL may keep a generic plan; every statement given here is a lookup by
 * key or by an id array, where the generic plan is the custom one. Fixed texts only (a text built
 * from an audience would prepare a statement per audience on every connection): the name is
 * derived from the text, so two texts never share a name. A new object each call (node-postgres
 * writes the values into it).
 */
export function prepared(text: string): NamedSql {
  let name = preparedNames.get(text);
  if (!name) {
    name = `bs_${createHash('sha1').update(text).digest('base64url').slice(0, 20)}`;
    preparedNames.set(text, name);
  }
  return { name, text };
}

/** The one database module: a pool, plain parameterised queries and transactions. */
export interface Db {
  pool: pg.Pool;
  url: string;
  query<T extends Row = Row>(sql: string | NamedSql, params?: unknown[]): Promise<pg.QueryResult<T>>;
  many<T extends Row = Row>(sql: string | NamedSql, params?: unknown[]): Promise<T[]>;
  one<T extends Row = Row>(sql: string | NamedSql, params?: unknown[]): Promise<T | undefined>;
  tx<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  /**
   * A client of its own (a session lock held for a job, a bounded query). Its `release()`
   * discards it when its connection was lost while checked out (`connectionLost`).
   */
  connect(): Promise<pg.PoolClient>;
  /** The error with which this client's connection was lost, if it was (pool-wide listener). */
  connectionLost(client: pg.PoolClient): Error | undefined;
  close(): Promise<void>;
}

export function createDb(url: string, opts: { max?: number; applicationName?: string; statementTimeoutMs?: number } = {}): Db {
  // JIT compilation costs tens of milliseconds per query and pays off only for long analytical
  // scans; the hub runs many short set-based statements (a batch of 1000, a preview), so it is off.
  // A statement timeout is the backstop against a runaway query that PostgreSQL would otherwise
  // keep running long after its client gave up; long jobs (import, migrations) lift it for their
  // own transaction with SET LOCAL.
  const timeout = Math.max(0, Math.floor(opts.statementTimeoutMs ?? 0));
  const pool = new pg.Pool({
    connectionString: url, max: opts.max ?? 10, application_name: opts.applicationName ?? 'budstikke',
    options: `-c jit=off${timeout ? ` -c statement_timeout=${timeout}` : ''}`,
  });
  // Lost connections (PostgreSQL restarting, failing over), in ONE place for every client of the
  // pool. An idle client's error is the pool's 'error' event. A checked-out client (a
  // transaction, an advisory lock held for a job) emits 'error' on itself, which pg-pool listens
  // to only while the client is idle: unhandled, it would end the process. The listener below,
  // on every client from its first connect, records the loss instead; the pending and next
  // queries on that client reject anyway, and `connect()`'s release discards it so the pool never
  // hands out a dead connection again.
  pool.on('error', () => undefined);
  const lost = new WeakMap<pg.ClientBase, Error>();
  pool.on('connect', (client) => { client.on('error', (err) => { if (!lost.has(client)) lost.set(client, err); }); });
  async function connect(): Promise<pg.PoolClient> {
    const client = await pool.connect();
    const release = client.release;
    client.release = (err?: Error | boolean) => release(err || lost.get(client));
    return client;
  }
  const db: Db = {
    pool,
    url,
    query: (sql, params) => pool.query(sql, params as unknown[]),
    many: async (sql, params) => (await pool.query(sql, params as unknown[])).rows,
    one: async (sql, params) => (await pool.query(sql, params as unknown[])).rows[0],
    connect,
    connectionLost: (client) => lost.get(client),
    async tx(fn) {
      const client = await connect();
      try {
        await client.query('BEGIN');
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
  return db;
}

/** PostgreSQL's "canceling statement due to statement timeout / user request". */
export const QUERY_CANCELED = '57014';

/**
 * Planner or executor settings for the rest of the current transaction only (`set_config(…, true)`,
 * i.e. SET LOCAL), in one round trip; names and values are passed as parameters.
 */
export async function setLocal(client: Queryable, settings: Record<string, string>): Promise<void> {
  const names = Object.keys(settings);
  if (!names.length) return;
  await client.query(`SELECT ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(', ')}`,
    names.flatMap((k) => [k, settings[k]]));
}

/** Options of a bounded query or transaction. */
export interface Bounds {
  timeoutMs: number;
  signal?: AbortSignal;
  /** More SET LOCAL settings for the transaction (see `setLocal`). */
  settings?: Record<string, string>;
  /** How the transaction starts, e.g. 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' (default 'BEGIN'). */
  begin?: 'BEGIN' | 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';
}

/**
 * One bounded query: run on a client of its own with `SET LOCAL statement_timeout`, and
 * cancelled on the server (pg_cancel_backend) as soon as `signal` aborts, e.g. because the HTTP
 * client went away. Rejects with the driver's error (code 57014) when cut short.
 */
export async function boundedQuery<T extends Row = Row>(db: Db, sql: string, params: unknown[], o: Bounds): Promise<pg.QueryResult<T>> {
  return boundedTx(db, (q) => q.query<T>(sql, params), o);
}

/**
 * `boundedQuery` for several statements in one transaction (e.g. one snapshot for a read and the
 * query built from it): each statement has the timeout, and a signal that aborts between two of
 * them stops the next one from starting.
 */
export async function boundedTx<T>(db: Db, fn: (q: Queryable) => Promise<T>, o: Bounds): Promise<T> {
  const gone = () => Object.assign(new Error('the client went away before the query started'), { code: QUERY_CANCELED });
  if (o.signal?.aborted) throw gone();
  const client = await db.connect();
  const pid = (client as unknown as { processID: number }).processID;
  let running = false;
  const cancel = () => { if (running) db.pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined); };
  o.signal?.addEventListener('abort', cancel, { once: true });
  try {
    await client.query(o.begin ?? 'BEGIN');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(o.timeoutMs))}`);
    if (o.settings) await setLocal(client, o.settings);
    running = true;
    const q: Queryable = {
      query: (sql, params) => {
        if (o.signal?.aborted) return Promise.reject(gone());
        return client.query(sql, params);
      },
    };
    const r = await fn(q);
    running = false;
    await client.query('COMMIT');
    return r;
  } catch (err) {
    running = false;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    o.signal?.removeEventListener('abort', cancel);
    client.release();
  }
}

/** Creates the database named in `url` when it does not exist (connects to `postgres` to do so). */
export async function ensureDatabase(url: string, template?: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name "${name}" must be letters, digits and underscores`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    await client.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    return true;
  } catch (err: any) {
    if (err.code === '42P04') return false; // created concurrently by another process
    throw err;
  } finally {
    await client.end();
  }
}

export async function dropDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
