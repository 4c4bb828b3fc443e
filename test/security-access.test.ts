import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';
import { createApiToken, createStaffUser, twoFactorRequired, type Staff } from '../src/auth';
import { enrolForTests, type TwoFactorUser } from './helpers/two-factor';
import { cookiesOf, webSignIn } from './helpers/web-sign-in';
import { setPassword } from '../src/web';

/** Issue 13, "access lifecycle": access that ends, at once, with its tokens and sessions. */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let admin: Awaited<ReturnType<typeof staffWithToken>>;
let org: Org;
const PASSWORD = 'riktig-hest-batteri-stift';

const req = (method: string, path: string, auth: Record<string, string>, body?: unknown) => fetch(api.url + path, {
  method, headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body),
});

const enrolled = new Map<string, TwoFactorUser>();

/** Gives a staff user the test password; a role that must have two-factor sign-in is enrolled too. */
async function withPassword(staff: Staff): Promise<void> {
  await setPassword(t.hub.db, staff.id, PASSWORD);
  if (twoFactorRequired(t.hub.config, staff.role)) enrolled.set(staff.email, { email: staff.email, ...(await enrolForTests(t.hub, staff)) });
}

/** Signs in through the real sign-in form (and its code step when asked); returns the session cookie and its CSRF token. */
async function signIn(email: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const s = await webSignIn(api.url, { ...(enrolled.get(email) ?? { email }), email, password });
  return { cookie: s.cookie, csrf: s.csrf };
}

/** A representative holding a club role from 2020, with a password and a token. */
async function representative(opts: { endsOn?: string } = {}) {
  const holder = await insertMember(t.hub.db, { clubId: org.clubId, branchId: org.branchId });
  await t.hub.db.query(`INSERT INTO member_roles (member_id, role, club_id, starts_on, ends_on) VALUES ($1, 'club_board', $2, '2020-01-01', $3)`,
    [holder.id, org.clubId, opts.endsOn ?? null]);
  const staff = await createStaffUser(t.hub.db, { email: `rep-${holder.memberNumber.toLowerCase()}@test.example`, name: 'Tillitsvalgt', role: 'representative', memberId: holder.id });
  await setPassword(t.hub.db, staff.id, PASSWORD);
  const { token } = await createApiToken(t.hub.db, staff.id, 'test');
  return { holder, staff, auth: { authorization: `Bearer ${token}` } };
}

const actions = async (action: string) => (await t.hub.db.many('SELECT detail FROM audit_log WHERE action = $1 ORDER BY id', [action])).map((r) => r.detail);

beforeAll(async () => {
  t = await createTestHub();
  api = await startApi(t.hub);
  admin = await staffWithToken(t.hub, 'admin');
  org = await createOrg(t.hub.db);
  for (let i = 0; i < 4; i++) await insertMember(t.hub.db, { clubId: org.clubId, branchId: org.branchId });
  await insertMember(t.hub.db, { clubId: org.clubId, branchId: org.branchId, status: 'resigned', lastName: 'Utmeldt' });
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

describe('a representative\'s access comes from a current tillitsverv', () => {
  test('a representative sees only ACTIVE members of their scope', async () => {
    const rep = await representative();
    const r = await req('GET', '/api/members?limit=500', rep.auth);
    expect(r.status).toBe(200);
    const list: any = await r.json();
    const statuses = await t.hub.db.many('SELECT status FROM members WHERE member_number = ANY($1)', [list.members.map((m: any) => m.memberNumber ?? m.member_number)]);
    expect(list.members.length).toBeGreaterThanOrEqual(5);
    expect(statuses.every((s) => s.status === 'active')).toBe(true);
    const resigned = await t.hub.db.one(`SELECT member_number FROM members WHERE last_name = 'Utmeldt'`);
    expect((await req('GET', `/api/members/${resigned!.member_number}`, rep.auth)).status).toBe(404);
    expect((await req('GET', `/api/members/${resigned!.member_number}`, admin.auth)).status).toBe(200);
  });

  test('when the member holding the role resigns, the token, the session and the sign-in end at once', async () => {
    const rep = await representative();
    const web = await signIn(rep.staff.email);
    expect((await req('GET', '/api/me', rep.auth)).status).toBe(200);
    expect((await req('GET', '/api/me', { cookie: web.cookie })).status).toBe(200);
    await t.hub.db.query(`UPDATE members SET status = 'resigned', resigned_at = current_date WHERE id = $1`, [rep.holder.id]);
    expect((await req('GET', '/api/members', rep.auth)).status).toBe(401);
    expect((await req('GET', '/api/me', { cookie: web.cookie })).status).toBe(401);
    // Ended, not merely paused: re-registering the member brings none of them back.
    await t.hub.db.query(`UPDATE members SET status = 'active', resigned_at = NULL WHERE id = $1`, [rep.holder.id]);
    expect((await req('GET', '/api/me', rep.auth)).status).toBe(401);
    expect((await req('GET', '/api/me', { cookie: web.cookie })).status).toBe(401);
    expect(await t.hub.db.one('SELECT count(*)::int AS n FROM api_tokens WHERE staff_user_id = $1 AND revoked_at IS NULL', [rep.staff.id])).toEqual({ n: 0 });
    expect(await t.hub.db.one('SELECT count(*)::int AS n FROM web_sessions WHERE staff_user_id = $1', [rep.staff.id])).toEqual({ n: 0 });
    expect((await actions('access.lapsed')).some((d) => d.userId === rep.staff.id)).toBe(true);
  });

  test('when the role ends (ends_on passed) the representative can neither call the API nor sign in', async () => {
    const rep = await representative();
    expect((await req('GET', '/api/me', rep.auth)).status).toBe(200);
    await t.hub.db.query(`UPDATE member_roles SET ends_on = current_date - 1 WHERE member_id = $1`, [rep.holder.id]);
    expect((await req('GET', '/api/me', rep.auth)).status).toBe(401);
    const form = await fetch(`${api.url}/app/login`);
    const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
    const res = await fetch(`${api.url}/app/login`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: Object.entries(cookiesOf(form)).map(([k, v]) => `${k}=${v}`).join('; ') },
      body: new URLSearchParams({ _csrf: token, email: rep.staff.email, password: PASSWORD }).toString(),
    });
    expect(res.status).toBe(401);
  });

  test('a role that has not started yet gives no access', async () => {
    const holder = await insertMember(t.hub.db, { clubId: org.clubId });
    await t.hub.db.query(`INSERT INTO member_roles (member_id, role, club_id, starts_on) VALUES ($1, 'club_board', $2, current_date + 7)`, [holder.id, org.clubId]);
    const s = await staffWithToken(t.hub, 'representative', { memberId: holder.id });
    expect((await req('GET', '/api/me', s.auth)).status).toBe(401);
  });
});

describe('admins manage staff users', () => {
  test('disabling a user ends their tokens and sessions at once (audited); re-enabling gives no old credential back', async () => {
    const u = await staffWithToken(t.hub, 'communications');
    await withPassword(u.staff);
    const web = await signIn(u.staff.email);
    const r = await req('PATCH', `/api/users/${u.staff.id}`, admin.auth, { disabled: true });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ disabled_at: expect.any(String), ended: { tokens: 1, sessions: 1 } });
    expect((await req('GET', '/api/me', u.auth)).status).toBe(401);
    expect((await req('GET', '/api/me', { cookie: web.cookie })).status).toBe(401);
    expect((await actions('user.disable')).at(-1)).toMatchObject({ userId: u.staff.id, tokens: 1, sessions: 1 });
    const back = await req('PATCH', `/api/users/${u.staff.id}`, admin.auth, { disabled: false });
    expect(await back.json()).toMatchObject({ disabled_at: null });
    expect((await req('GET', '/api/me', u.auth)).status).toBe(401);
    expect((await actions('user.enable')).at(-1)).toMatchObject({ userId: u.staff.id });
    await signIn(u.staff.email); // the password still works
  });

  test('a role change is audited and ends the user\'s credentials; a representative needs a member', async () => {
    const u = await staffWithToken(t.hub, 'communications');
    const bad = await req('PATCH', `/api/users/${u.staff.id}`, admin.auth, { role: 'representative' });
    expect(bad.status).toBe(400);
    expect((await bad.json() as any).errors[0].field).toBe('body.memberNumber');
    const r = await req('PATCH', `/api/users/${u.staff.id}`, admin.auth, { role: 'auditor' });
    expect(await r.json()).toMatchObject({ role: 'auditor', ended: { tokens: 1 } });
    expect((await actions('user.role')).at(-1)).toMatchObject({ userId: u.staff.id, from: 'communications', to: 'auditor' });
    expect((await req('GET', '/api/me', u.auth)).status).toBe(401);
  });

  test('an admin cannot disable themselves or change their own role', async () => {
    expect((await req('PATCH', `/api/users/${admin.staff.id}`, admin.auth, { disabled: true })).status).toBe(409);
    expect((await req('PATCH', `/api/users/${admin.staff.id}`, admin.auth, { role: 'auditor' })).status).toBe(409);
  });

  test('an admin lists a user\'s sessions and tokens and revokes them one by one or all at once', async () => {
    const u = await staffWithToken(t.hub, 'auditor');
    await withPassword(u.staff);
    const a = await signIn(u.staff.email);
    const b = await signIn(u.staff.email);
    const list: any = await (await req('GET', `/api/users/${u.staff.id}/sessions`, admin.auth)).json();
    expect(list.items).toHaveLength(2);
    expect(JSON.stringify(list)).not.toMatch(/id_hash|csrf/);
    const r = await req('DELETE', `/api/users/${u.staff.id}/sessions/${list.items[0].id}`, admin.auth);
    expect(r.status).toBe(204);
    const alive = [(await req('GET', '/api/me', { cookie: a.cookie })).status, (await req('GET', '/api/me', { cookie: b.cookie })).status].sort();
    expect(alive).toEqual([200, 401]);
    expect(await (await req('DELETE', `/api/users/${u.staff.id}/sessions`, admin.auth)).json()).toEqual({ tokens: 0, sessions: 1 });
    const tokens: any = await (await req('GET', `/api/users/${u.staff.id}/tokens`, admin.auth)).json();
    expect(tokens.items).toEqual([expect.objectContaining({ name: 'test', revoked_at: null })]);
    expect(JSON.stringify(tokens)).not.toMatch(/token_hash|bst_/);
    expect((await req('DELETE', `/api/tokens/${tokens.items[0].id}`, admin.auth)).status).toBe(204);
    expect((await req('GET', '/api/me', u.auth)).status).toBe(401);
    expect((await actions('token.revoke')).at(-1)).toMatchObject({ userId: u.staff.id, tokenId: tokens.items[0].id });
    expect((await actions('session.revoke')).length).toBeGreaterThanOrEqual(2);
  });
});

describe('a password change', () => {
  test('ends the user\'s other sessions but not the one they changed it from; tokens survive unless chosen', async () => {
    const u = await staffWithToken(t.hub, 'communications');
    await withPassword(u.staff);
    const here = await signIn(u.staff.email);
    const there = await signIn(u.staff.email);
    const wrong = await req('PUT', '/api/me/password', { cookie: here.cookie, 'x-csrf-token': here.csrf }, { currentPassword: 'feil-passord-000', newPassword: 'nytt-langt-passord-1' });
    expect(wrong.status).toBe(403);
    const r = await req('PUT', '/api/me/password', { cookie: here.cookie, 'x-csrf-token': here.csrf }, { currentPassword: PASSWORD, newPassword: 'nytt-langt-passord-1' });
    expect(await r.json()).toEqual({ tokens: 0, sessions: 1 });
    expect((await req('GET', '/api/me', { cookie: here.cookie })).status).toBe(200);
    expect((await req('GET', '/api/me', { cookie: there.cookie })).status).toBe(401);
    expect((await req('GET', '/api/me', u.auth)).status).toBe(200);
    const r2 = await req('PUT', '/api/me/password', { cookie: here.cookie, 'x-csrf-token': here.csrf }, { currentPassword: 'nytt-langt-passord-1', newPassword: 'nytt-langt-passord-2', endTokens: true });
    expect(await r2.json()).toEqual({ tokens: 1, sessions: 0 });
    expect((await req('GET', '/api/me', u.auth)).status).toBe(401);
    expect((await actions('password.change')).at(-1)).toMatchObject({ staffUserId: u.staff.id, tokens: 1 });
  });
});
