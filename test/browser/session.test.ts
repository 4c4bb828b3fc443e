import { createTestHub, startApi, type TestHub } from '../helpers/hub';
import { setPassword } from '../../src/web';
import { PASSWORD, staffWithPassword } from './browser';
import { nextSecondFactor } from '../helpers/two-factor';
import { postCode, webSignIn } from '../helpers/web-sign-in';

/** Sign-in, sessions, CSRF and headers over plain HTTP (no browser needed). */

describe('staff sessions', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;

  beforeAll(async () => {
    t = await createTestHub();
    api = await startApi(t.hub);
  });
  afterAll(async () => {
    await api?.close();
    await t?.close();
  });

  function cookiesOf(res: Response): Record<string, string> {
    const out: Record<string, string> = {};
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      out[pair.slice(0, i)] = pair.slice(i + 1);
    }
    return out;
  }
  const cookieHeader = (c: Record<string, string>) => Object.entries(c).map(([k, v]) => `${k}=${v}`).join('; ');

  async function loginForm(): Promise<{ token: string; cookie: Record<string, string> }> {
    const res = await fetch(`${api.url}/app/login`);
    const body = await res.text();
    return { token: /name="_csrf" value="([^"]+)"/.exec(body)![1], cookie: cookiesOf(res) };
  }

  async function login(email: string, password: string, form?: { token: string; cookie: Record<string, string> }): Promise<Response> {
    const f = form ?? await loginForm();
    return fetch(`${api.url}/app/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(f.cookie) },
      body: new URLSearchParams({ _csrf: f.token, email, password, next: '/app/members' }).toString(),
    });
  }

  /** The password, then the code step with the user's authenticator code. */
  async function signedIn(u: Awaited<ReturnType<typeof staffWithPassword>>): Promise<{ cookie: string; csrf: string }> {
    const s = await webSignIn(api.url, u);
    return { cookie: s.cookie, csrf: s.csrf };
  }

  test('passwords are stored as argon2id; sign-in (password, then code) sets an HttpOnly SameSite session cookie and redirects to next', async () => {
    const u = await staffWithPassword(t.hub, 'communications');
    const row = await t.hub.db.one('SELECT password_hash FROM staff_users WHERE id = $1', [u.id]);
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,/);
    const pw = await login(u.email, PASSWORD);
    expect(pw.status).toBe(303);
    expect(pw.headers.get('location')).toBe('/app/login/code');
    expect(cookiesOf(pw).bst_sid).toBeUndefined(); // the password alone makes no session
    const res = await postCode(api.url, `bst_step=${cookiesOf(pw).bst_step}`, await nextSecondFactor(u));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/app/members');
    const set = res.headers.getSetCookie().find((c) => c.startsWith('bst_sid='))!;
    expect(set).toMatch(/HttpOnly/i);
    expect(set).toMatch(/SameSite=Lax/i);
    expect(set).not.toMatch(/Secure/i);
    // Only a hash of the session id is stored.
    const sid = decodeURIComponent(set.split(';')[0].split('=')[1]).split('.')[0];
    const stored = await t.hub.db.many('SELECT encode(id_hash, \'hex\') AS h FROM web_sessions WHERE staff_user_id = $1', [u.id]);
    expect(stored).toHaveLength(1);
    expect(stored[0].h).not.toContain(Buffer.from(sid).toString('hex'));
  });

  test('a wrong password and an unknown email get the same answer', async () => {
    const u = await staffWithPassword(t.hub, 'communications');
    const a = await login(u.email, 'not-the-password');
    const b = await login('nobody@test.example', 'not-the-password');
    expect(a.status).toBe(401);
    expect(b.status).toBe(401);
    expect(await a.text()).toContain('Feil e-postadresse eller passord');
    expect(await b.text()).toContain('Feil e-postadresse eller passord');
  });

  test('the sign-in form is refused without its CSRF token', async () => {
    const u = await staffWithPassword(t.hub, 'communications');
    const f = await loginForm();
    const res = await login(u.email, PASSWORD, { token: 'forged', cookie: f.cookie });
    expect(res.status).toBe(403);
    expect(cookiesOf(res).bst_sid).toBeUndefined();
  });

  // Sign-in throttling (growing delays, no lockout): test/security-login.test.ts.

  test('the session works on /api; changes need the X-CSRF-Token header', async () => {
    const u = await staffWithPassword(t.hub, 'admin');
    const s = await signedIn(u);
    const me = await fetch(`${api.url}/api/me`, { headers: { cookie: s.cookie } });
    expect(me.status).toBe(200);
    expect((await me.json()).email).toBe(u.email);

    const body = JSON.stringify({ email: 'new-user@example.no', name: 'Ny Bruker', role: 'auditor' });
    const noToken = await fetch(`${api.url}/api/users`, { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/json' }, body });
    expect(noToken.status).toBe(403);
    expect((await noToken.json()).detail).toMatch(/X-CSRF-Token/);
    const wrong = await fetch(`${api.url}/api/users`, { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': 'x'.repeat(43) }, body });
    expect(wrong.status).toBe(403);
    const ok = await fetch(`${api.url}/api/users`, { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/json', 'x-csrf-token': s.csrf }, body });
    expect(ok.status).toBe(201);
  });

  test('a tampered cookie is no session; logout and a new password end sessions', async () => {
    const u = await staffWithPassword(t.hub, 'communications');
    const s = await signedIn(u);
    const tampered = s.cookie.replace(/bst_sid=(.)/, (_m, c) => `bst_sid=${c === 'A' ? 'B' : 'A'}`);
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie: tampered } })).status).toBe(401);
    const page = await fetch(`${api.url}/app/members`, { headers: { cookie: tampered }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/app/login?next=%2Fapp%2Fmembers');

    // Logout without the CSRF token does nothing; with it, the session is gone.
    await fetch(`${api.url}/app/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: '_csrf=wrong' });
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie: s.cookie } })).status).toBe(200);
    await fetch(`${api.url}/app/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(s.csrf)}` });
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie: s.cookie } })).status).toBe(401);

    const s2 = await signedIn(u);
    await setPassword(t.hub.db, u.id, 'a-completely-new-password');
    expect((await fetch(`${api.url}/api/me`, { headers: { cookie: s2.cookie } })).status).toBe(401);
    await expect(setPassword(t.hub.db, u.id, 'short')).rejects.toThrow(/at least 12/);
  });

  test('pages carry a Content-Security-Policy without inline scripts, and are not cached', async () => {
    const u = await staffWithPassword(t.hub, 'communications');
    const s = await signedIn(u);
    const res = await fetch(`${api.url}/app`, { headers: { cookie: s.cookie } });
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'self'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const html = await res.text();
    // No inline script that runs: scripts come from src=; a JSON data block (the vocabulary) is no script.
    expect(html).not.toMatch(/<script(?![^>]*\b(src=|type="application\/json"))[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/);
  });

  test('admin pages are 403 for other roles; unknown pages are 404', async () => {
    const u = await staffWithPassword(t.hub, 'communications');
    const s = await signedIn(u);
    for (const p of ['/app/users', '/app/categories', '/app/imports', '/app/queues/']) {
      expect([p, (await fetch(`${api.url}${p}`, { headers: { cookie: s.cookie }, redirect: 'manual' })).status]).toEqual([p, 403]);
    }
    expect((await fetch(`${api.url}/app/nothing-here`, { headers: { cookie: s.cookie } })).status).toBe(404);
  });
});

describe('staff sessions behind https', () => {
  test('the cookie is Secure with the __Host- prefix when PUBLIC_BASE_URL is https', async () => {
    const t = await createTestHub({ env: { PUBLIC_BASE_URL: 'https://budstikke.example' } });
    const api = await startApi(t.hub);
    try {
      const u = await staffWithPassword(t.hub, 'communications');
      const form = await fetch(`${api.url}/app/login`);
      const set = form.headers.getSetCookie()[0];
      expect(set).toMatch(/^__Host-bst_login=/);
      expect(set).toMatch(/Secure/);
      const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
      const res = await fetch(`${api.url}/app/login`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: set.split(';')[0] },
        body: new URLSearchParams({ _csrf: token, email: u.email, password: PASSWORD }).toString(),
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/app/login/code');
      const step = res.headers.getSetCookie().find((c) => c.startsWith('__Host-bst_step='))!;
      expect(step).toMatch(/Secure/);
      expect(step).toMatch(/HttpOnly/);
      const done = await postCode(api.url, step.split(';')[0], await nextSecondFactor(u));
      expect(done.status).toBe(303);
      const sid = done.headers.getSetCookie().find((c) => c.startsWith('__Host-bst_sid='))!;
      expect(sid).toMatch(/Secure/);
      expect(sid).toMatch(/HttpOnly/);
      expect(sid).toMatch(/Path=\//);
    } finally {
      await api.close();
      await t.close();
    }
  });
});
