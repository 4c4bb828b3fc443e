import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember } from './helpers/fixtures';
import { ROLES, type Role } from '../src/auth';

/**
 * The authorization matrix, generated from /api/openapi.json: every declared operation × every
 * role × no, malformed and revoked credentials. A route added tomorrow is in the matrix without
 * anyone remembering to add it. Path parameters name things that do not exist (so an allowed
 * call changes nothing and ends in 400/404), bodies are empty objects.
 */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
const tokens = {} as Record<Role, string>;
let revoked = '';

interface Op { method: string; path: string; roles: Role[] | 'public' }

beforeAll(async () => {
  t = await createTestHub();
  api = await startApi(t.hub);
  const org = await createOrg(t.hub.db);
  const holder = await insertMember(t.hub.db, { clubId: org.clubId, branchId: org.branchId });
  await t.hub.db.query(`INSERT INTO member_roles (member_id, role, club_id, starts_on) VALUES ($1, 'club_board', $2, current_date - 10)`, [holder.id, org.clubId]);
  for (const role of ROLES) {
    tokens[role] = (await staffWithToken(t.hub, role, role === 'representative' ? { memberId: holder.id } : {})).token;
  }
  const gone = await staffWithToken(t.hub, 'admin');
  await t.hub.db.query('UPDATE api_tokens SET revoked_at = now() WHERE staff_user_id = $1', [gone.staff.id]);
  revoked = gone.token;
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

async function operations(): Promise<Op[]> {
  const doc: any = await (await fetch(`${api.url}/api/openapi.json`)).json();
  const ops: Op[] = [];
  for (const [path, methods] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(methods)) ops.push({ method: method.toUpperCase(), path, roles: op['x-roles'] });
  }
  return ops;
}

/** A concrete URL: every {param} becomes something that does not exist. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, '999999');

async function call(op: Op, authorization?: string): Promise<number> {
  const headers: Record<string, string> = {};
  if (authorization) headers.authorization = authorization;
  const withBody = !['GET', 'DELETE', 'HEAD'].includes(op.method);
  if (withBody) headers['content-type'] = 'application/json';
  const r = await fetch(api.url + concrete(op.path), { method: op.method, headers, body: withBody ? '{}' : undefined, redirect: 'manual' });
  await r.arrayBuffer();
  return r.status;
}

test('the OpenAPI document declares roles on every operation, and there are operations', async () => {
  const ops = await operations();
  expect(ops.length).toBeGreaterThan(30);
  for (const op of ops) expect(op.roles === 'public' || (Array.isArray(op.roles) && op.roles.length > 0)).toBe(true);
});

test('every operation answers each role, no, malformed and revoked credentials as its declared roles say', async () => {
  const ops = await operations();
  const wrong: string[] = [];
  for (const op of ops) {
    const name = `${op.method} ${op.path}`;
    const statuses: Record<string, number> = {
      none: await call(op),
      malformed: await call(op, 'Bearer not-a-token'),
      garbage: await call(op, 'Basic Zm9vOmJhcg=='),
      revoked: await call(op, `Bearer ${revoked}`),
    };
    for (const role of ROLES) statuses[role] = await call(op, `Bearer ${tokens[role]}`);
    for (const [who, status] of Object.entries(statuses)) {
      if (status >= 500) wrong.push(`${name} as ${who}: ${status}`);
    }
    if (op.roles === 'public') continue;
    for (const who of ['none', 'malformed', 'garbage', 'revoked']) {
      if (statuses[who] !== 401) wrong.push(`${name} with ${who} credentials: ${statuses[who]}, expected 401`);
    }
    for (const role of ROLES) {
      const allowed = op.roles.includes(role);
      const s = statuses[role];
      if (!allowed && s !== 403) wrong.push(`${name} as ${role}: ${s}, expected 403`);
      if (allowed && (s === 401 || s === 403)) wrong.push(`${name} as ${role}: ${s}, but the role is declared`);
    }
  }
  expect(wrong).toEqual([]);
});
