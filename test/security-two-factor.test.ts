import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { FixedClock } from '../src/clock';
import { loadConfig } from '../src/config';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, seedDemoUnion } from '../src/demo/seed';
import { createStaffUser, TOTP_PERIOD, type Role, type Staff } from '../src/auth';
import { setPassword } from '../src/web';
import { decryptSecret } from '../src/auth/two-factor';
import { THROTTLE } from '../src/web/throttle';
import { TEST_TOTP_SECRET, codeAt, enrolForTests } from './helpers/two-factor';
import { cookieHeader, cookiesOf, postCode, postPassword } from './helpers/web-sign-in';

/**
 * Issue 13, "two-factor sign-in": TOTP (RFC 6238) after the password, enrolment with a QR code
 * and hashed recovery codes, required for the STAFF_2FA_REQUIRED roles (default admin,
 * communications), optional for the others, audited. Against the real app over HTTP; time is the
 * hub's clock, moved by the test (codes are computed for it, nothing waits for the wall clock).
 */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let clock: FixedClock;
let admin: Awaited<ReturnType<typeof staffWithToken>>;
const PASSWORD = 'riktig-hest-batteri-stift';
let seq = 0;
let ipSeq = 0;

const step = () => Math.floor(clock.now().getTime() / 1000 / TOTP_PERIOD);
/** Six digits that are no valid code now (none of the three steps the hub accepts), the n-th such. */
function notACode(n = 0): string {
  const valid = new Set([-1, 0, 1].map((d) => codeAt(TEST_TOTP_SECRET, step() + d)));
  for (let i = 100000 + n; ; i++) if (!valid.has(String(i))) return String(i);
}
/** Each test signs in from an address of its own, so the throttle test's counters stay its own. */
const freshIp = () => ({ 'x-forwarded-for': `198.51.100.${++ipSeq}` });

async function user(role: Role): Promise<Staff> {
  const u = await createStaffUser(t.hub.db, { email: `tofaktor-${role}-${++seq}@test.example`, name: `Test ${role}`, role });
  await setPassword(t.hub.db, u.id, PASSWORD);
  return u;
}

const audits = async (action: string, userId: number) =>
  (await t.hub.db.many('SELECT detail FROM audit_log WHERE action = $1 ORDER BY id', [action])).map((r) => r.detail).filter((d) => d.userId === userId);

function stepCookie(res: Response): string {
  const v = cookiesOf(res).bst_step;
  expect(v).toBeTruthy();
  return `bst_step=${v}`;
}

/** Password and code; returns the code step's answer. */
async function signInWith(u: Staff, code: (stepCookie: string) => string | Promise<string>, headers = freshIp()): Promise<Response> {
  const pw = await postPassword(api.url, u.email, PASSWORD, { next: '/app/members', headers });
  expect(pw.status).toBe(303);
  expect(pw.headers.get('location')).toBe('/app/login/code');
  const c = stepCookie(pw);
  return postCode(api.url, c, await code(c), { headers });
}

beforeAll(async () => {
  clock = new FixedClock(new Date('2026-03-02T09:00:10Z'));
  t = await createTestHub({ clock });
  api = await startApi(t.hub);
  admin = await staffWithToken(t.hub, 'admin');
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

describe('enrolment', () => {
  test('a required role is sent from the password to enrolment; nothing else (pages or API) is reachable before it is done', async () => {
    const u = await user('communications');
    const pw = await postPassword(api.url, u.email, PASSWORD, { next: '/app/members', headers: freshIp() });
    expect(pw.status).toBe(303);
    expect(pw.headers.get('location')).toBe('/app/2fa');
    expect(cookiesOf(pw).bst_sid).toBeUndefined();
    const cookie = stepCookie(pw);
    for (const p of ['/app', '/app/members', '/app/campaigns/new']) {
      const r = await fetch(`${api.url}${p}`, { headers: { cookie }, redirect: 'manual' });
      expect([p, r.status, r.headers.get('location')?.startsWith('/app/login')]).toEqual([p, 303, true]);
    }
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie } })).status).toBe(401);
    // The code step is not a way round it either.
    expect((await fetch(`${api.url}/app/login/code`, { headers: { cookie }, redirect: 'manual' })).headers.get('location')).toBe('/app/login');
  });

  test('the enrolment page shows a QR code and the secret; a wrong first code is refused (audited), the right one shows ten recovery codes once and signs in', async () => {
    const u = await user('admin');
    const pw = await postPassword(api.url, u.email, PASSWORD, { next: '/app/members', headers: freshIp() });
    const cookie = stepCookie(pw);
    const page = await (await fetch(`${api.url}/app/2fa`, { headers: { cookie } })).text();
    expect(page).toMatch(/<svg role="img" aria-label="QR-kode for autentiseringsappen"/);
    const secret = /<code id="totp-secret" class="secret">([A-Z2-7 ]+)<\/code>/.exec(page)![1].replace(/ /g, '');
    expect(secret).toHaveLength(32);
    // The same secret on a second visit (a QR code already scanned stays good).
    expect(await (await fetch(`${api.url}/app/2fa`, { headers: { cookie } })).text()).toContain(/id="totp-secret" class="secret">([^<]+)</.exec(page)![1]);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1];
    const post = (code: string) => fetch(`${api.url}/app/2fa`, {
      method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, code }).toString(),
    });

    const wrongCode = codeAt(secret, step() + 5);
    const wrong = await post(wrongCode);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain('Koden stemmer ikke');
    expect(await audits('twofactor.failed', u.id)).toEqual([expect.objectContaining({ stage: 'enrol', reason: 'wrong_code' })]);

    const ok = await post(codeAt(secret, step()));
    expect(ok.status).toBe(200);
    const body = await ok.text();
    const codes = [...body.matchAll(/<li><code>([a-z0-9]{5}-[a-z0-9]{5})<\/code><\/li>/g)].map((m) => m[1]);
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    expect(body).toContain('href="/app/members"');
    const session = `bst_sid=${cookiesOf(ok).bst_sid}`;
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie: session } })).status).toBe(200);
    expect((await fetch(`${api.url}/app/members`, { headers: { cookie: session }, redirect: 'manual' })).status).toBe(200);
    // The step is spent: it cannot enrol or sign in twice.
    expect((await fetch(`${api.url}/app/2fa`, { headers: { cookie }, redirect: 'manual' })).status).toBe(303);

    // At rest: the secret encrypted (not in the clear, not decryptable without the key), recovery codes as argon2id hashes only.
    const row = await t.hub.db.one('SELECT secret_enc FROM staff_totp WHERE staff_user_id = $1', [u.id]);
    expect(row!.secret_enc).not.toContain(secret);
    expect(decryptSecret(t.hub.config, u.id, row!.secret_enc)).toBe(secret);
    const otherKey = { ...t.hub.config, totpEncryptionKeys: [{ kid: 'dev', secret: 'another-key-000000000000000000000000000' }] };
    expect(() => decryptSecret(otherKey, u.id, row!.secret_enc)).toThrow();
    expect(() => decryptSecret(t.hub.config, u.id + 1, row!.secret_enc)).toThrow(); // bound to its user
    const hashes = await t.hub.db.many('SELECT code_hash FROM staff_recovery_codes WHERE staff_user_id = $1', [u.id]);
    expect(hashes).toHaveLength(10);
    for (const h of hashes) {
      expect(h.code_hash).toMatch(/^\$argon2id\$/);
      for (const c of codes) expect(h.code_hash).not.toContain(c.replace('-', ''));
    }
    expect(await audits('twofactor.enrol', u.id)).toEqual([{ userId: u.id, recoveryCodes: 10 }]);
  });

  test('another role signs in with the password alone and may enrol from its own page; then sign-in asks for the code', async () => {
    const u = await user('auditor');
    const pw = await postPassword(api.url, u.email, PASSWORD, { headers: freshIp() });
    expect(pw.headers.get('location')).toBe('/app');
    const session = `bst_sid=${cookiesOf(pw).bst_sid}`;
    const page = await (await fetch(`${api.url}/app/2fa`, { headers: { cookie: session } })).text();
    expect(page).not.toContain('Rollen din krever');
    const secret = /id="totp-secret" class="secret">([^<]+)</.exec(page)![1].replace(/ /g, '');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(page)![1];
    const ok = await fetch(`${api.url}/app/2fa`, {
      method: 'POST', headers: { cookie: session, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: csrf, code: codeAt(secret, step()) }).toString(),
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('id="recovery-codes"');
    expect(await (await fetch(`${api.url}/app/2fa`, { headers: { cookie: session } })).text()).toMatch(/id="recovery-left">10</);
    clock.advance(TOTP_PERIOD * 1000);
    const again = await signInWith(u, () => codeAt(secret, step()));
    expect(again.status).toBe(303);
  });
});

describe('signing in with the second factor', () => {
  test('the right code signs in and goes on to next; a wrong code is refused (audited) and makes no session', async () => {
    const u = await user('communications');
    await enrolForTests(t.hub, u);
    const wrong = await signInWith(u, () => notACode());
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Koden stemmer ikke');
    expect(cookiesOf(wrong).bst_sid).toBeUndefined();
    expect((await audits('twofactor.failed', u.id)).at(-1)).toMatchObject({ stage: 'sign_in', reason: 'wrong_code' });
    const right = await signInWith(u, () => codeAt(TEST_TOTP_SECRET, step()));
    expect(right.status).toBe(303);
    expect(right.headers.get('location')).toBe('/app/members');
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie: `bst_sid=${cookiesOf(right).bst_sid}` } })).status).toBe(200);
  });

  test('a code already used in its time step is refused (audited as a replay); the next step\'s code works', async () => {
    const u = await user('admin');
    await enrolForTests(t.hub, u);
    const code = codeAt(TEST_TOTP_SECRET, step());
    expect((await signInWith(u, () => code)).status).toBe(303);
    const replay = await signInWith(u, () => code);
    expect(replay.status).toBe(401);
    expect(await replay.text()).toContain('allerede brukt');
    expect((await audits('twofactor.failed', u.id)).at(-1)).toMatchObject({ reason: 'replayed_code' });
    clock.advance(TOTP_PERIOD * 1000);
    expect((await signInWith(u, () => codeAt(TEST_TOTP_SECRET, step()))).status).toBe(303);
    // An older step's code (still inside the one-step window) is a replay too.
    expect((await signInWith(u, () => codeAt(TEST_TOTP_SECRET, step() - 1))).status).toBe(401);
  });

  test('a recovery code signs in once (audited); used again it is refused', async () => {
    const u = await user('communications');
    const { recoveryCodes } = await enrolForTests(t.hub, u);
    const first = await signInWith(u, () => recoveryCodes[3].toUpperCase().replace('-', ' '));
    expect(first.status).toBe(303);
    expect(await audits('twofactor.recovery_used', u.id)).toEqual([{ userId: u.id, recoveryCodesLeft: 9 }]);
    const again = await signInWith(u, () => recoveryCodes[3]);
    expect(again.status).toBe(401);
    expect(await t.hub.db.one('SELECT count(*)::int AS n FROM staff_recovery_codes WHERE staff_user_id = $1 AND used_at IS NULL', [u.id])).toEqual({ n: 9 });
  });

  test('the code step is throttled like the password: after three wrong codes from one address even the right code waits', async () => {
    const u = await user('communications');
    await enrolForTests(t.hub, u);
    const headers = { 'x-forwarded-for': '203.0.113.77' };
    const pw = await postPassword(api.url, u.email, PASSWORD, { headers });
    const c = stepCookie(pw);
    for (let i = 0; i < THROTTLE.pair.free; i++) expect((await postCode(api.url, c, notACode(i * 10), { headers })).status).toBe(401);
    const held = await postCode(api.url, c, codeAt(TEST_TOTP_SECRET, step()), { headers });
    expect(held.status).toBe(429);
    expect(held.headers.get('retry-after')).toBe('1');
    clock.advance(1000);
    expect((await postCode(api.url, c, codeAt(TEST_TOTP_SECRET, step()), { headers })).status).toBe(303);
  });

  test('an API token (made by a signed-in user) needs no code', async () => {
    const u = await staffWithToken(t.hub, 'admin');
    await enrolForTests(t.hub, u.staff);
    expect((await fetch(`${api.url}/api/me`, { headers: u.auth })).status).toBe(200);
  });
});

describe('an admin resets two-factor sign-in', () => {
  test('the reset removes the authenticator, ends the user\'s sessions (audited), and the next sign-in enrols again; only admins may', async () => {
    const u = await user('communications');
    await enrolForTests(t.hub, u);
    const signedIn = await signInWith(u, () => codeAt(TEST_TOTP_SECRET, step()));
    const session = cookieHeader({ bst_sid: cookiesOf(signedIn).bst_sid });
    const other = await staffWithToken(t.hub, 'communications');
    expect((await fetch(`${api.url}/api/users/${u.id}/two-factor`, { method: 'DELETE', headers: other.auth })).status).toBe(403);

    const r = await fetch(`${api.url}/api/users/${u.id}/two-factor`, { method: 'DELETE', headers: admin.auth });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ removed: true, sessions: 1 });
    expect(await audits('twofactor.reset', u.id)).toEqual([{ userId: u.id, removed: true, sessions: 1 }]);
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie: session } })).status).toBe(401);
    const users = await (await fetch(`${api.url}/api/users`, { headers: admin.auth })).json();
    expect(users.find((x: any) => x.id === u.id).two_factor).toBe(false);
    const pw = await postPassword(api.url, u.email, PASSWORD, { headers: freshIp() });
    expect(pw.headers.get('location')).toBe('/app/2fa');
    expect((await fetch(`${api.url}/api/users/999999/two-factor`, { method: 'DELETE', headers: admin.auth })).status).toBe(404);
  });
});


describe('the demo union', () => {
  test('the demo admin and communications users are enrolled with the published demo secret and sign in with its code; the auditor with the password alone', async () => {
    const d = await createTestHub({ env: { DEMO_SEED: '1' }, clock: new FixedClock(new Date('2026-03-02T09:00:10Z')) });
    const a = await startApi(d.hub);
    try {
      await seedDemoUnion(d.hub, { members: 200 });
      const at = Math.floor(d.clock.now().getTime() / 1000 / TOTP_PERIOD);
      for (const email of ['admin@budstikke.example', 'kommunikasjon@budstikke.example']) {
        const pw = await postPassword(a.url, email, DEMO_PASSWORD);
        expect([email, pw.headers.get('location')]).toEqual([email, '/app/login/code']);
        const done = await postCode(a.url, `bst_step=${cookiesOf(pw).bst_step}`, codeAt(DEMO_TOTP_SECRET, at));
        expect([email, done.status, !!cookiesOf(done).bst_sid]).toEqual([email, 303, true]);
      }
      const auditor = await postPassword(a.url, 'revisor@budstikke.example', DEMO_PASSWORD);
      expect(auditor.headers.get('location')).toBe('/app');
      expect(() => loadConfig({ ...PRODUCTION, DEMO_SEED: '1' })).toThrow(/DEMO_SEED cannot be on in production/);
      expect(() => loadConfig({ ...PRODUCTION, TOTP_ENCRYPTION_KEYS: undefined })).toThrow(/TOTP_ENCRYPTION_KEYS is required/);
      expect(loadConfig(PRODUCTION).totpEncryptionKeys).toEqual([{ kid: 't1', secret: 'totp-key-0123456789012345678901234567' }]);
    } finally {
      await a.close();
      await d.close();
    }
  });
});

const PRODUCTION = {
  NODE_ENV: 'production', LINK_SIGNING_KEYS: 'a:0123456789012345678901234567890123', SESSION_SECRET: 'x'.repeat(40), TOTP_ENCRYPTION_KEYS: 't1:totp-key-0123456789012345678901234567',
  PUBLIC_BASE_URL: 'https://hub.example', SENDGRID_API_KEY: 'SG.x', SENDGRID_WEBHOOK_PUBLIC_KEY: 'AAAA',
  TWILIO_ACCOUNT_SID: `AC${'a'.repeat(32)}`, TWILIO_AUTH_TOKEN: 'y'.repeat(32), TWILIO_MESSAGING_SERVICE_SID: `MG${'b'.repeat(32)}`,
};
