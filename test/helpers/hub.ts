import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig, type Config } from '../../src/config';
import { dropDatabase, ensureDatabase } from '../../src/db';
import { createHub, closeHub, type Hub } from '../../src/hub';
import { FixedClock, type Clock } from '../../src/clock';
import { buildApp, listenApp } from '../../src/http/app';
import { createApiToken, createStaffUser, type Role, type Staff } from '../../src/auth';
import { TEST_REDIS_URL, dbUrl, templateDb, testRunId } from './env';

export interface TestHub {
  hub: Hub;
  config: Config;
  clock: FixedClock | Clock;
  close(): Promise<void>;
}

/**
 * A hub of its own for one test file: a fresh database copied from the migrated template and a
 * queue prefix no other file uses. Nothing of our own infrastructure is mocked.
 */
export async function createTestHub(opts: { env?: Record<string, string>; clock?: Clock } = {}): Promise<TestHub> {
  const name = `bt_${testRunId()}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const url = dbUrl(name);
  for (let attempt = 0; ; attempt++) {
    try {
      await ensureDatabase(url, templateDb());
      break;
    } catch (err: any) {
      // Another file copying the template at this instant holds it briefly.
      if (attempt < 20 && /being accessed by other users/.test(err.message)) { await new Promise((r) => setTimeout(r, 100 + Math.random() * 200)); continue; }
      throw err;
    }
  }
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: `bt-${name}`,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3999',
    LINK_SIGNING_KEYS: 'k2:test-signing-key-two-000000000000000000,k1:test-signing-key-one-000000000000000000',
    EMULATORS: '0',
    ...opts.env,
  });
  const clock = opts.clock ?? new FixedClock(new Date());
  const hub = createHub(config, { clock, dbMax: 5 });
  return {
    hub,
    config,
    clock,
    async close() {
      await closeHub(hub);
      await dropDatabase(url);
      const r = hub.redis();
      const keys = await r.keys(`${config.queuePrefix}:*`);
      if (keys.length) await r.del(...keys);
      r.disconnect();
    },
  };
}

/** The hub's HTTP app on a loopback port, reached through real HTTP. */
export async function startApi(hub: Hub): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  const app = buildApp(hub);
  const server = await listenApp(app, 0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** A staff user with a bearer token. */
export async function staffWithToken(hub: Hub, role: Role, opts: { memberId?: number; email?: string } = {}): Promise<{ staff: Staff; token: string; auth: { authorization: string } }> {
  if (role === 'representative' && opts.memberId) await ensureTillitsverv(hub, opts.memberId);
  const staff = await createStaffUser(hub.db, { email: opts.email ?? `${role}-${crypto.randomBytes(3).toString('hex')}@test.example`, name: `Test ${role}`, role, memberId: opts.memberId ?? null });
  const { token } = await createApiToken(hub.db, staff.id, 'test');
  return { staff, token, auth: { authorization: `Bearer ${token}` } };
}

/**
 * A representative's access comes from a current tillitsverv (issue 13). A member who has never
 * held any role gets one here — shop steward for their own workplace, club or branch (a new
 * branch when they belong to none) — so a test that needs "a representative" gets a working
 * one. A member with roles on record (ended ones included) is left as the test made them.
 */
export async function ensureTillitsverv(hub: Hub, memberId: number): Promise<void> {
  const has = await hub.db.one('SELECT 1 FROM member_roles WHERE member_id = $1', [memberId]);
  if (has) return;
  const m = await hub.db.one('SELECT workplace_id, club_id, branch_id FROM members WHERE id = $1', [memberId]);
  if (!m) return;
  const w = m.workplace_id;
  let { club_id: c, branch_id: b } = m;
  if (!w && !c && !b) b = (await hub.db.one(`INSERT INTO branches (code, name) VALUES ($1, 'Testavdeling') RETURNING id`, [`TV${memberId}`]))!.id;
  if (w) { c = null; b = null; } else if (c) b = null;
  await hub.db.query(`INSERT INTO member_roles (member_id, role, workplace_id, club_id, branch_id, starts_on) VALUES ($1, 'shop_steward', $2, $3, $4, current_date - 30)`,
    [memberId, w, c, b]);
}
