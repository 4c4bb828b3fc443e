import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember } from './helpers/fixtures';
import { createDb, dropDatabase, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { loadConfig, ConfigError } from '../src/config';
import { dbUrl } from './helpers/env';
import { isValidOrgNumber, makeOrgNumber } from '../src/members/org-number';

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;

beforeAll(async () => {
  t = await createTestHub();
  api = await startApi(t.hub);
});
afterAll(async () => {
  await api.close();
  await t.close();
});

describe('migrations', () => {
  test('apply to an empty database, load the postal register, and a second run applies nothing', async () => {
    const url = dbUrl(`bt_empty_${process.pid}`);
    await dropDatabase(url);
    await ensureDatabase(url);
    const db = createDb(url, { max: 1 });
    try {
      const first = await migrate(db);
      expect(first[0]).toBe('001_register');
      expect(await migrate(db)).toEqual([]);
      const pc = await db.one(`SELECT p.place, m.name AS municipality, c.name AS county FROM postal_codes p
        JOIN municipalities m ON m.number = p.municipality_number JOIN counties c ON c.code = m.county_code WHERE p.postcode = '5003'`);
      expect(pc).toEqual({ place: 'BERGEN', municipality: 'BERGEN', county: 'Vestland' });
      const cols = await db.many(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public'`);
      expect(cols.map((c) => c.column_name).filter((c) => /f(oe|ø|o)dsel|person_?nummer|national|fnr|d_?nummer/i.test(c))).toEqual([]);
    } finally {
      await db.close();
      await dropDatabase(url);
    }
  });
});

describe('configuration', () => {
  test('a wrong value names the variable', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ LINK_SIGNING_KEYS: 'short:abc' })).toThrow(/LINK_SIGNING_KEYS/);
  });
  test('production refuses to start without real credentials or with emulators', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    const full = {
      NODE_ENV: 'production', LINK_SIGNING_KEYS: 'a:0123456789012345678901234567890123', SESSION_SECRET: 'x'.repeat(40), TOTP_ENCRYPTION_KEYS: 't1:totp-key-0123456789012345678901234567',
      PUBLIC_BASE_URL: 'https://hub.example', SENDGRID_API_KEY: 'SG.x', SENDGRID_WEBHOOK_PUBLIC_KEY: 'AAAA',
      TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'y'.repeat(32), TWILIO_MESSAGING_SERVICE_SID: `MG${'b'.repeat(32)}`,
    };
    expect(loadConfig(full).emulators).toBe(false);
    expect(() => loadConfig({ ...full, EMULATORS: '1' })).toThrow(/EMULATORS/);
  });
});

describe('organisation numbers', () => {
  test('mod-11 check in code and in the database agree', async () => {
    expect(isValidOrgNumber('923609016')).toBe(true);
    expect(isValidOrgNumber('923609017')).toBe(false);
    expect(isValidOrgNumber(makeOrgNumber(42))).toBe(true);
    const r = await t.hub.db.one(`SELECT valid_org_number('923609016') AS a, valid_org_number('923609017') AS b, valid_org_number('12345678') AS c`);
    expect(r).toEqual({ a: true, b: false, c: false });
  });
});

describe('HTTP basics', () => {
  test('an idle keep-alive connection is kept longer than the 60 s of the proxies in front (clients are told 65 s)', async () => {
    const r = await fetch(`${api.url}/healthz`);
    expect(r.headers.get('keep-alive')).toBe('timeout=65');
  });

  test('health, readiness, metrics and OpenAPI', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${api.url}/readyz`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: 'ok', redis: 'ok' } });
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toContain('budstikke_http_requests_total');
    const spec = await (await fetch(`${api.url}/api/openapi.json`)).json();
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.paths['/api/members/{memberNumber}'].get.parameters[0].name).toBe('memberNumber');
  });

  test('unknown routes are RFC 9457 problems', async () => {
    const r = await fetch(`${api.url}/api/nope`);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await r.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });

  test('token auth failures', async () => {
    expect((await fetch(`${api.url}/api/members`)).status).toBe(401);
    const bad = await fetch(`${api.url}/api/members`, { headers: { authorization: 'Bearer bst_nonsense' } });
    expect(bad.status).toBe(401);
    expect((await bad.json()).detail).toMatch(/ukjent eller trukket tilbake/);
    const { auth, staff } = await staffWithToken(t.hub, 'auditor');
    expect((await fetch(`${api.url}/api/members`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${api.url}/api/users`, { headers: auth })).status).toBe(403);
    await t.hub.db.query('UPDATE api_tokens SET revoked_at = now() WHERE staff_user_id = $1', [staff.id]);
    expect((await fetch(`${api.url}/api/members`, { headers: auth })).status).toBe(401);
  });

  test('invalid query is a 400 naming the field', async () => {
    const { auth } = await staffWithToken(t.hub, 'admin');
    const r = await fetch(`${api.url}/api/members?limit=0`, { headers: auth });
    expect(r.status).toBe(400);
    expect((await r.json()).errors[0].field).toBe('query.limit');
  });
});

describe('representative scope', () => {
  test('a representative sees only the members of what their roles cover; others are 404', async () => {
    const org = await createOrg(t.hub.db);
    const rep = await insertMember(t.hub.db, { firstName: 'Tillit', workplaceId: org.workplaceId });
    await t.hub.db.query('INSERT INTO member_roles (member_id, role, workplace_id) VALUES ($1, $2, $3)', [rep.id, 'shop_steward', org.workplaceId]);
    const mine = await insertMember(t.hub.db, { lastName: 'Innenfor', workplaceId: org.workplaceId });
    const other = await insertMember(t.hub.db, { lastName: 'Utenfor', workplaceId: org.otherWorkplaceId });
    const { auth, staff: repUser } = await staffWithToken(t.hub, 'representative', { memberId: rep.id });

    const list = await (await fetch(`${api.url}/api/members?limit=500`, { headers: auth })).json();
    const numbers = list.members.map((m: any) => m.memberNumber);
    expect(numbers).toContain(mine.memberNumber);
    expect(numbers).not.toContain(other.memberNumber);
    expect(list.total).toBe(2);

    expect((await fetch(`${api.url}/api/members/${mine.memberNumber}`, { headers: auth })).status).toBe(200);
    const outside = await fetch(`${api.url}/api/members/${other.memberNumber}`, { headers: auth });
    expect(outside.status).toBe(404);

    // The refused attempt is audited too (issue 13), naming the member it was refused.
    const audits = await t.hub.db.many(`SELECT action, row_count, member_id FROM audit_log WHERE actor_user_id = $1 ORDER BY id`, [repUser.id]);
    expect(audits.map((a) => ({ action: a.action, row_count: a.row_count }))).toEqual([
      { action: 'member.list', row_count: 2 }, { action: 'member.view', row_count: 1 }, { action: 'access.refused', row_count: null }]);
    expect(Number(audits[2].member_id)).toBe(other.id);
  });

  test('the audit log is append-only', async () => {
    await expect(t.hub.db.query('DELETE FROM audit_log')).rejects.toThrow(/append-only/);
    await expect(t.hub.db.query(`UPDATE audit_log SET action = 'x'`)).rejects.toThrow(/append-only/);
  });
});
