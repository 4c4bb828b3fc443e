import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember } from './helpers/fixtures';
import { until } from './helpers/campaign';
import { loadConfig } from '../src/config';
import { validateAudience, FILTER_LIMITS } from '../src/audience';
import { Problem } from '../src/errors';
import { buildApp } from '../src/http/app';

/**
 * Issue 13, "bounded work": filter size limits, the preview's statement timeout and its
 * cancellation when the client goes away, and JSON bodies limited before authentication.
 */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let admin: { authorization: string };

const post = (path: string, body: unknown, auth: Record<string, string> = admin, signal?: AbortSignal) =>
  fetch(api.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: typeof body === 'string' ? body : JSON.stringify(body), signal });

/** The hostile trial's filter: 10 postcodeRange conditions of 1,000 ranges each (about 320 KB). */
function hostileRanges(conditions = 10, ranges = 1000): unknown {
  return {
    any: Array.from({ length: conditions }, (_, c) => ({
      postcodeRange: Array.from({ length: ranges }, (_, i) => {
        const from = String((c * 1000 + i) % 9999).padStart(4, '0');
        return { from, to: from };
      }),
    })),
  };
}

const PREVIEW_LIMIT_MS = 10_000;

beforeAll(async () => {
  // Generous: the accepted-filter test below must not be cut by the limit on a busy machine; the
  // timeout test holds a lock, so it reaches any limit however long it is.
  t = await createTestHub({ env: { PREVIEW_STATEMENT_TIMEOUT_MS: String(PREVIEW_LIMIT_MS) } });
  api = await startApi(t.hub);
  admin = (await staffWithToken(t.hub, 'admin')).auth;
  const org = await createOrg(t.hub.db);
  for (let i = 0; i < 5; i++) await insertMember(t.hub.db, { branchId: org.branchId });
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

describe('filter size limits', () => {
  test('the 320 KB postcodeRange filter that ran 33 s is refused with a 422 naming the limit', async () => {
    const body = { category: 'newsletter', channels: ['email'], audience: hostileRanges() };
    expect(JSON.stringify(body).length).toBeGreaterThan(250_000);
    const r = await post('/api/audiences/preview', body);
    expect(r.status).toBe(422);
    const p: any = await r.json();
    expect(p).toMatchObject({ limit: 'postcodeRanges', max: FILTER_LIMITS.postcodeRanges });
    expect(p.errors[0].field).toMatch(/^body\.audience\.any\.\d+\.postcodeRange$/);
  });

  test('more conditions than the limit are refused, naming the limit', () => {
    const f = { all: Array.from({ length: FILTER_LIMITS.leaves + 1 }, () => ({ status: ['active'] })) };
    try { validateAudience(f); throw new Error('accepted'); } catch (e) {
      expect(e).toBeInstanceOf(Problem);
      expect((e as Problem).status).toBe(422);
      expect((e as Problem).extra).toMatchObject({ limit: 'leaves', max: FILTER_LIMITS.leaves });
    }
  });

  test('a list longer than the limit is refused; list values in all are bounded', () => {
    const long = { county: Array.from({ length: FILTER_LIMITS.valuesPerList + 1 }, () => '03') };
    expect(() => validateAudience(long)).toThrow(/høyst 1000 verdier/);
    const many = { any: Array.from({ length: 3 }, () => ({ memberNumbers: Array.from({ length: 9000 }, (_, i) => `M${i}`) })) };
    try { validateAudience(many); throw new Error('accepted'); } catch (e) {
      expect((e as Problem).extra).toMatchObject({ limit: 'totalValues' });
    }
  });

  test('a filter that real use needs (a dozen conditions, some ranges, 10,000 member numbers) is accepted', async () => {
    const f = {
      all: [
        { status: ['active'] },
        { any: [{ postcodeRange: [{ from: '0001', to: '1299' }, { from: '5000', to: '5999' }] }, { county: ['03', '46'] }] },
        { not: { category: ['pensioner'] } },
        { any: [{ memberNumbers: Array.from({ length: 10_000 }, (_, i) => `N${i}`) }, { language: ['nb', 'nn'] }] },
      ],
    };
    const r = await post('/api/audiences/preview', { category: 'newsletter', channels: ['email', 'sms'], audience: f });
    expect(r.status).toBe(200);
    expect((await r.json() as any).total).toBeGreaterThan(0);
  });
});

describe('the preview is bounded in time', () => {
  /** Holds an exclusive lock on a table only the preview's query reads, so it waits inside PostgreSQL as a slow one would. */
  async function lockMembers() {
    const c = await t.hub.db.pool.connect();
    await c.query('BEGIN');
    await c.query('LOCK TABLE member_channel_preferences IN ACCESS EXCLUSIVE MODE');
    return { release: async () => { await c.query('ROLLBACK'); c.release(); } };
  }

  test('a preview past PREVIEW_STATEMENT_TIMEOUT_MS is stopped by PostgreSQL: 503 naming the limit', async () => {
    const lock = await lockMembers();
    try {
      const r = await post('/api/audiences/preview', { category: 'newsletter', channels: ['email'], audience: { status: ['active'] } });
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ limit: 'PREVIEW_STATEMENT_TIMEOUT_MS', max: PREVIEW_LIMIT_MS });
    } finally {
      await lock.release();
    }
  });

  test('the preview query is cancelled in PostgreSQL when the client goes away', async () => {
    const slow = await createTestHub({ env: { PREVIEW_STATEMENT_TIMEOUT_MS: '600000' } });
    const slowApi = await startApi(slow.hub);
    const auth = (await staffWithToken(slow.hub, 'admin')).auth;
    const c = await slow.hub.db.pool.connect();
    await c.query('BEGIN');
    await c.query('LOCK TABLE member_channel_preferences IN ACCESS EXCLUSIVE MODE');
    const dbName = new URL(slow.config.databaseUrl).pathname.slice(1);
    const running = () => slow.hub.db.many(
      `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE '%WITH aud AS MATERIALIZED%' AND pid <> pg_backend_pid()`, [dbName]);
    try {
      const ac = new AbortController();
      const pending = fetch(`${slowApi.url}/api/audiences/preview`, {
        method: 'POST', headers: { 'content-type': 'application/json', ...auth }, signal: ac.signal,
        body: JSON.stringify({ category: 'newsletter', channels: ['email'], audience: { status: ['active'] } }),
      }).catch(() => 'aborted');
      await until(async () => (await running()).length === 1, 30_000, 'the preview query waits in PostgreSQL');
      ac.abort();
      expect(await pending).toBe('aborted');
      await until(async () => (await running()).length === 0, 30_000, 'the preview query was cancelled');
    } finally {
      await c.query('ROLLBACK');
      c.release();
      await slowApi.close();
      await slow.close();
    }
  });

  test('the hub\'s connections carry the statement timeout (DB_STATEMENT_TIMEOUT_MS)', async () => {
    const r = await t.hub.db.one('SHOW statement_timeout');
    expect(r!.statement_timeout).toBe('1min');
  });
});

describe('JSON bodies are limited before authentication', () => {
  test('a 2 MB JSON body without credentials is refused with 413 before anyone is asked who they are', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
    const r = await post('/api/users', big, {});
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ limit: 'body', max: 1024 * 1024 });
  });

  test('a route takes less than the ceiling where that is all it needs: audience routes 512 KB', async () => {
    const body = { category: 'newsletter', channels: ['email'], audience: { memberNumbers: ['1'] }, pad: 'x'.repeat(600 * 1024) };
    const r = await post('/api/audiences/preview', body);
    expect(r.status).toBe(413);
    expect(await r.json()).toMatchObject({ limit: 'body', max: 512 * 1024 });
  });

  test('the member import keeps its own limit: a 2 MB JSON import is read (after authentication)', async () => {
    const members = Array.from({ length: 8000 }, (_, i) => ({ member_number: `J${i}`, first_name: 'Kari', last_name: 'Nordmann', street: `Storgata ${i} ${'x'.repeat(200)}` }));
    const body = JSON.stringify(members);
    expect(body.length).toBeGreaterThan(2 * 1024 * 1024);
    const anon = await post('/api/members/import', body, {});
    expect(anon.status).toBe(401);
    const r = await post('/api/members/import', body);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ inserted: 8000, rejected: 0 });
  });
});

describe('production configuration', () => {
  const prod = {
    NODE_ENV: 'production', LINK_SIGNING_KEYS: 'a:0123456789012345678901234567890123', SESSION_SECRET: 'x'.repeat(40), TOTP_ENCRYPTION_KEYS: 't1:totp-key-0123456789012345678901234567',
    PUBLIC_BASE_URL: 'https://hub.example', SENDGRID_API_KEY: 'SG.x', SENDGRID_WEBHOOK_PUBLIC_KEY: 'AAAA',
    TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'y'.repeat(32), TWILIO_MESSAGING_SERVICE_SID: `MG${'b'.repeat(32)}`,
  };

  test('NODE_ENV=production refuses an http PUBLIC_BASE_URL', () => {
    expect(() => loadConfig({ ...prod, PUBLIC_BASE_URL: 'http://hub.example' })).toThrow(/PUBLIC_BASE_URL must be an https/);
    expect(loadConfig(prod).publicBaseUrl).toBe('https://hub.example');
  });

  test('/metrics asks for METRICS_TOKEN when one is set', async () => {
    const h = await createTestHub({ env: { METRICS_TOKEN: 'metrics-token-0123456789' } });
    const a = await startApi(h.hub);
    try {
      expect((await fetch(`${a.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${a.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
      const ok = await fetch(`${a.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/budstikke_http_requests_total/);
    } finally {
      await a.close();
      await h.close();
    }
  });

  test('with METRICS_PORT the main app does not serve /metrics; in production without a token or port it is not served at all', async () => {
    const routes = (config: ReturnType<typeof loadConfig>) => {
      const app = buildApp({ ...t.hub, config } as any);
      return (app as any).router.stack.filter((l: any) => l.route?.path === '/metrics').length;
    };
    expect(routes(loadConfig({ ...process.env, NODE_ENV: 'test', METRICS_PORT: '9464' }))).toBe(0);
    expect(routes(loadConfig({ ...prod, EMULATORS: '0' }))).toBe(0);
    expect(routes(loadConfig({ ...prod, METRICS_TOKEN: 'metrics-token-0123456789' }))).toBe(1);
  });
});

describe('input hygiene', () => {
  test('a NUL in a query string is a 400 problem, not a 500 (GET /api/members?q=%00)', async () => {
    const r = await fetch(`${api.url}/api/members?q=%00`, { headers: admin });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ errors: [{ field: 'query.q', message: 'query.q kan ikke inneholde kontrolltegn' }] });
  });

  test('control characters anywhere in a JSON body are a 400 naming the field; tabs and line breaks in text are kept', async () => {
    const r = await post('/api/audiences', { name: 'Nyhets\u0000brev', filter: { status: ['active'] } });
    expect(r.status).toBe(400);
    expect((await r.json() as any).errors[0].field).toBe('body.name');
    const esc = await post('/api/audiences', { name: 'Styre', filter: { memberNumbers: ['1\u001b[31m'] } });
    expect(esc.status).toBe(400);
    expect((await esc.json() as any).errors[0].field).toBe('body.filter.memberNumbers.0');
    const ok = await post('/api/audiences', { name: 'Linje\tmed tab', filter: { status: ['active'] } });
    expect(ok.status).toBe(201);
  });

  test('a NUL in a path parameter is a 400', async () => {
    const r = await fetch(`${api.url}/api/members/A%00B`, { headers: admin });
    expect(r.status).toBe(400);
  });
});
