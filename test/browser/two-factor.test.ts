import { createTestHub, startApi, staffWithToken, type TestHub } from '../helpers/hub';
import { TOTP_PERIOD } from '../../src/auth';
import { codeAt } from '../helpers/two-factor';
import { webSignIn } from '../helpers/web-sign-in';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';

/**
 * Two-factor sign-in in Chromium (issue 13): the enrolment a required role is sent to, and the
 * admin's controls on the users page (sessions, 2FA reset, role, disable). axe: 0 serious or
 * critical violations; screenshots at 1280 and 390 px.
 */
describe('two-factor sign-in in the browser', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let b: TestBrowser;
  const step = () => Math.floor(t.clock.now().getTime() / 1000 / TOTP_PERIOD);

  beforeAll(async () => {
    t = await createTestHub();
    api = await startApi(t.hub);
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await api?.close();
    await t?.close();
  });

  test('a communications user without an authenticator is sent to enrolment, scans (or types) the secret, confirms a code and gets ten recovery codes once', async () => {
    for (const [width, name] of [[1280, 'desktop'], [390, 'phone']] as const) {
      const u = await staffWithPassword(t.hub, 'communications', { twoFactor: false, name: `Kari ${name}` });
      const page = await b.newPage(width === 390 ? { width, height: 844, mobile: true } : { width });
      await page.goto(`${api.url}/app/login?next=%2Fapp%2Fmembers`);
      await page.getByLabel('E-postadresse').fill(u.email);
      await page.getByLabel('Passord').fill(u.password);
      await Promise.all([page.waitForURL(`${api.url}/app/2fa`), page.getByRole('button', { name: 'Logg inn' }).click()]);
      await page.getByRole('heading', { name: 'Sett opp tofaktor-innlogging' }).waitFor();
      expect(await page.locator('svg.qr').count()).toBe(1);
      // Nothing else is reachable yet.
      expect(await page.locator('nav.topnav').count()).toBe(0);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `two-factor-enrol-${width}`);
      const secret = (await page.locator('#totp-secret').textContent())!.replace(/\s/g, '');

      await page.getByLabel('Sekssifret kode').fill(codeAt(secret, step()));
      await page.getByRole('button', { name: 'Slå på tofaktor-innlogging' }).click();
      await page.getByRole('heading', { name: 'Tofaktor-innlogging er slått på' }).waitFor();
      expect(await page.locator('#recovery-codes li').count()).toBe(10);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `two-factor-recovery-codes-${width}`);
      await Promise.all([page.waitForURL(`${api.url}/app/members`), page.getByRole('link', { name: /fortsett/ }).click()]);
    }
  });

  test('an admin ends a session, resets two-factor sign-in, changes the role and disables a user from the users page', async () => {
    const admin = await staffWithPassword(t.hub, 'admin', { name: 'Ada Admin' });
    const target = await staffWithPassword(t.hub, 'communications', { name: 'Kari Kommunikasjon' });
    await webSignIn(api.url, target);
    await webSignIn(api.url, target);
    const token = await staffWithToken(t.hub, 'auditor'); // someone else's token stays untouched
    const page = await b.newPage();
    page.on('dialog', (d) => { void d.accept(); });
    await signIn(page, api.url, admin, '/app/users');
    const row = page.locator('#users-table tbody tr', { hasText: target.email });
    await row.getByText('På', { exact: true }).waitFor();
    await row.getByRole('button', { name: /Behandle/ }).click();
    await page.getByRole('heading', { name: 'Behandle Kari Kommunikasjon' }).waitFor();
    expect(await page.locator('#session-list tbody tr').count()).toBe(2);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'users-manage-1280');

    await page.locator('#session-list tbody tr').first().getByRole('button', { name: /Avslutt/ }).click();
    await page.locator('#panel-result', { hasText: 'Økten er avsluttet' }).waitFor();
    expect(await page.locator('#session-list tbody tr').count()).toBe(1);

    await page.getByRole('button', { name: 'Nullstill tofaktor' }).click();
    await page.locator('#panel-result', { hasText: 'Tofaktor er nullstilt' }).waitFor();
    await row.getByText('Av', { exact: true }).waitFor();
    expect(await page.locator('#session-list').textContent()).toContain('Ingen åpne økter');

    await page.getByLabel('Ny rolle').selectOption('auditor');
    await page.getByRole('button', { name: 'Endre rolle' }).click();
    await page.locator('#panel-result', { hasText: 'Rollen er endret' }).waitFor();
    await row.getByText('Revisor').waitFor();

    await page.getByRole('button', { name: 'Deaktiver brukeren' }).click();
    await page.locator('#panel-result', { hasText: 'Brukeren er deaktivert' }).waitFor();
    await row.getByText('Deaktivert').waitFor();
    await page.getByRole('button', { name: 'Aktiver brukeren' }).waitFor();

    const u = await t.hub.db.one('SELECT role, disabled_at FROM staff_users WHERE id = $1', [target.id]);
    expect(u).toMatchObject({ role: 'auditor', disabled_at: expect.any(Date) });
    const actions = (await t.hub.db.many(`SELECT action FROM audit_log WHERE detail->>'userId' = $1 OR detail->>'staffUserId' = $1 ORDER BY id`, [String(target.id)]))
      .map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['session.list', 'session.revoke', 'twofactor.reset', 'user.role', 'user.disable']));
    expect((await fetch(`${api.url}/api/me`, { headers: token.auth })).status).toBe(200);

    const phone = await b.newPage({ width: 390, height: 844, mobile: true });
    await signIn(phone, api.url, admin, '/app/users');
    // The wide table scrolls sideways on a phone; the button is reached as a keyboard user would.
    await phone.locator('#users-table tbody tr', { hasText: target.email }).getByRole('button', { name: /Behandle/ }).focus();
    await phone.keyboard.press('Enter');
    await phone.getByRole('heading', { name: 'Behandle Kari Kommunikasjon' }).waitFor();
    expect(await axeViolations(phone)).toEqual([]);
    await screenshot(phone, 'users-manage-390');
  });
});
