import { createTestHub, startApi, type TestHub } from './helpers/hub';
import { FixedClock } from '../src/clock';
import { createStaffUser } from '../src/auth';
import { setPassword } from '../src/web';
import { THROTTLE, normaliseEmail } from '../src/web/throttle';

/**
 * Issue 13, "login limits": throttling keyed on the normalised email and on the client address,
 * with growing delays rather than a lockout any stranger can trigger; a successful sign-in resets
 * its counters. Time is the hub's clock, moved by the test (no waiting).
 */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let clock: FixedClock;
const PASSWORD = 'riktig-hest-batteri-stift';
let seq = 0;

async function user(): Promise<string> {
  const email = `throttle-${++seq}-${process.pid}@test.example`;
  const u = await createStaffUser(t.hub.db, { email, name: 'Test', role: 'communications' });
  await setPassword(t.hub.db, u.id, PASSWORD);
  return email;
}

function cookiesOf(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
}

/** One sign-in attempt through the real form, from client address `ip` (the hub trusts X-Forwarded-For from loopback). */
async function login(email: string, password: string, ip: string): Promise<Response> {
  const form = await fetch(`${api.url}/app/login`, { headers: { 'x-forwarded-for': ip } });
  const token = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1];
  return fetch(`${api.url}/app/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookiesOf(form), 'x-forwarded-for': ip },
    body: new URLSearchParams({ _csrf: token, email, password, next: '/app' }).toString(),
  });
}

beforeAll(async () => {
  clock = new FixedClock(new Date());
  t = await createTestHub({ clock });
  api = await startApi(t.hub);
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

test('from one address the delays grow (1 s, 2 s …) after three failures, and a right password after the wait signs in and resets them', async () => {
  const email = await user();
  const ip = '198.51.100.10';
  for (let i = 0; i < THROTTLE.pair.free; i++) expect((await login(email, `wrong-${i}`, ip)).status).toBe(401);
  const held = await login(email, PASSWORD, ip); // not even the right password is checked while a delay runs
  expect(held.status).toBe(429);
  expect(held.headers.get('retry-after')).toBe('1');
  expect(await held.text()).toContain('Vent 1 sekund');
  clock.advance(1000);
  expect((await login(email, 'wrong-again', ip)).status).toBe(401);
  expect((await login(email, PASSWORD, ip)).headers.get('retry-after')).toBe('2');
  clock.advance(2000);
  expect((await login(email, PASSWORD, ip)).status).toBe(303);
  // Reset: three free failures again.
  for (let i = 0; i < THROTTLE.pair.free; i++) expect((await login(email, `wrong-${i}`, ip)).status).toBe(401);
  expect((await login(email, PASSWORD, ip)).status).toBe(429);
});

test('a stranger failing against someone\'s address from many addresses slows the real user by at most a minute, never locks them out', async () => {
  const email = await user();
  for (let i = 0; i < 40; i++) expect([401, 429]).toContain((await login(email, `guess-${i}`, `203.0.113.${i + 1}`)).status);
  const real = await login(email, PASSWORD, '192.0.2.50');
  expect(real.status).toBe(429);
  expect(Number(real.headers.get('retry-after'))).toBeLessThanOrEqual(THROTTLE.email.capMs / 1000);
  clock.advance(THROTTLE.email.capMs);
  expect((await login(email, PASSWORD, '192.0.2.50')).status).toBe(303);
});

test('padding, spaces or capitals in the email give no fresh counter; an over-long email is refused without a key of its own', async () => {
  const email = await user();
  const ip = '198.51.100.20';
  expect(normaliseEmail(`  ${email.toUpperCase()}  `)).toBe(email);
  expect(normaliseEmail(`${'x'.repeat(250)}${email}`)).toBeNull();
  expect((await login(`  ${email.toUpperCase()}`, 'wrong-1', ip)).status).toBe(401);
  expect((await login(`${email}${' '.repeat(300)}`, 'wrong-2', ip)).status).toBe(401);
  expect((await login(`\t${email}\n`, 'wrong-3', ip)).status).toBe(401);
  expect((await login(email, PASSWORD, ip)).status).toBe(429);
  // An email longer than any address is not a key: it only counts against the client address.
  expect((await login(`${'a'.repeat(300)}@example.no`, PASSWORD, '198.51.100.21')).status).toBe(401);
  const keys = await t.hub.db.many('SELECT key FROM login_throttle');
  expect(keys.every((k) => k.key.length <= 120 && !k.key.includes('@'))).toBe(true);
});

test('one address failing against many accounts is slowed after 30 failures, whatever the email', async () => {
  const ip = '198.51.100.30';
  for (let i = 0; i < THROTTLE.ip.free; i++) expect((await login(`nobody-${i}@test.example`, 'x', ip)).status).toBe(401);
  const email = await user();
  expect((await login(email, PASSWORD, ip)).status).toBe(429);
  expect((await login(email, PASSWORD, '198.51.100.31')).status).toBe(303); // the account itself is fine elsewhere
});
