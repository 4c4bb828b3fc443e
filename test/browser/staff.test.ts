import { createTestHub, startApi, type TestHub } from '../helpers/hub';
import { createOrg, insertMember, type Org } from '../helpers/fixtures';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';
import { nextSecondFactor } from '../helpers/two-factor';

/**
 * Staff sign-in, members (search, member page, a representative's own members and the 404 for
 * anyone else's), categories, with axe-core on each page.
 */

describe('staff pages in Chromium', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let b: TestBrowser;
  let org: Org;
  let admin: Awaited<ReturnType<typeof staffWithPassword>>;
  let rep: Awaited<ReturnType<typeof staffWithPassword>>;
  const own: string[] = [];
  let other: string;

  beforeAll(async () => {
    t = await createTestHub();
    api = await startApi(t.hub);
    b = await launchBrowser();
    org = await createOrg(t.hub.db);
    admin = await staffWithPassword(t.hub, 'admin', { name: 'Ada Admin' });
    // The representative is a shop steward at one workplace; they see its members only.
    const repMember = await insertMember(t.hub.db, { firstName: 'Tora', lastName: 'Tillitsvalgt', workplaceId: org.workplaceId, branchId: org.otherBranchId });
    await t.hub.db.query(`INSERT INTO member_roles (member_id, role, workplace_id, starts_on) VALUES ($1, 'shop_steward', $2, '2020-01-01')`, [repMember.id, org.workplaceId]);
    rep = await staffWithPassword(t.hub, 'representative', { memberId: repMember.id, name: 'Tora Tillitsvalgt' });
    own.push(repMember.memberNumber);
    for (const [first, last] of [['Ola', 'Ås'], ['Kari', 'Øvrebø'], ['Per', 'Æsøy']]) {
      own.push((await insertMember(t.hub.db, { firstName: first, lastName: last, workplaceId: org.workplaceId, branchId: org.otherBranchId })).memberNumber);
    }
    other = (await insertMember(t.hub.db, { firstName: 'Fremmed', lastName: 'Medlem', workplaceId: org.otherWorkplaceId, branchId: org.branchId })).memberNumber;
  });

  afterAll(async () => {
    await b?.close();
    await api?.close();
    await t?.close();
  });

  test('a wrong password is refused with a message; the right one and the authenticator code sign in to the dashboard', async () => {
    const page = await b.newPage();
    await page.goto(`${api.url}/app`);
    expect(new URL(page.url()).pathname).toBe('/app/login');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'login');
    await page.getByLabel('E-postadresse').fill(admin.email);
    await page.getByLabel('Passord').fill('feil-passord-her');
    await page.getByRole('button', { name: 'Logg inn' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Feil e-postadresse eller passord');
    await page.getByLabel('Passord').fill(admin.password);
    await Promise.all([page.waitForURL(`${api.url}/app/login/code`), page.getByRole('button', { name: 'Logg inn' }).click()]);
    // The second step (two-factor sign-in, issue 13): no session yet, a code from the authenticator app.
    expect((await page.context().cookies()).some((c) => c.name === 'bst_sid')).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'login-code');
    await page.getByLabel('Kode', { exact: true }).fill(await nextSecondFactor(admin));
    await Promise.all([page.waitForURL(`${api.url}/app`), page.getByRole('button', { name: 'Logg inn' }).click()]);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Oversikt');
    const cookies = await page.context().cookies();
    const sid = cookies.find((c) => c.name === 'bst_sid')!;
    expect(sid.httpOnly).toBe(true);
    expect(sid.sameSite).toBe('Lax');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-empty');
  });

  test('staff search members by name and number and open a member page with consents', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, admin, '/app/members');
    await page.getByLabel('Søk på navn, medlemsnummer, e-post eller telefon').fill('Øvre');
    await Promise.all([page.waitForURL(/q=/), page.keyboard.press('Enter')]);
    const rows = await page.locator('#members-table tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('Øvrebø, Kari');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'members-search');

    await page.getByLabel('Søk på navn, medlemsnummer, e-post eller telefon').fill(other);
    await page.keyboard.press('Enter');
    await page.getByRole('link', { name: other }).click();
    await page.waitForSelector('#consent-table');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain('Fremmed Medlem');
    // Newsletter by email: on by default, can be declined.
    const newsletter = await page.locator('#consent-table tbody tr', { hasText: 'Nyhetsbrev' }).textContent();
    expect(newsletter).toContain('Ja (standard)');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'member-page');
    const audits = await t.hub.db.many(`SELECT action, detail FROM audit_log WHERE actor_user_id = $1 ORDER BY id`, [admin.id]);
    expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['member.search', 'member.view']));
  });

  test('a representative sees only their own members and gets a 404 page for anyone else by URL', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, rep, '/app/members');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Mine medlemmer');
    const numbers = await page.locator('#members-table tbody tr td:first-child').allTextContents();
    expect(numbers.map((s) => s.trim()).sort()).toEqual([...own].sort());
    expect(numbers).not.toContain(other);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'representative-members');

    // Searching by the other member's number finds nothing.
    await page.getByLabel('Søk på navn, medlemsnummer, e-post eller telefon').fill(other);
    await page.keyboard.press('Enter');
    await page.locator('#result-count', { hasText: '0 medlemmer' }).waitFor();

    const res = await page.goto(`${api.url}/app/members/${other}`);
    expect(res!.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Fant ikke medlemmet');
    expect(await page.content()).not.toContain('Fremmed');
    await screenshot(page, 'representative-404');

    // The API with the session cookie is scoped the same way.
    const apiStatus = await page.evaluate(async (n) => (await fetch(`/api/members/${n}`)).status, other);
    expect(apiStatus).toBe(404);
    const ownStatus = await page.evaluate(async (n) => (await fetch(`/api/members/${n}`)).status, own[1]);
    expect(ownStatus).toBe(200);

    // Admin pages are not theirs.
    const cat = await page.goto(`${api.url}/app/categories`);
    expect(cat!.status()).toBe(403);
  });

  test('admins edit a message category; the change is saved through the API', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, admin, '/app/categories');
    await page.waitForSelector('#category-table');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'categories');
    const row = page.locator('#category-table tbody tr', { hasText: 'survey' });
    await row.getByRole('checkbox', { name: /SMS/ }).uncheck();
    await row.getByRole('button', { name: /Lagre/ }).click();
    await row.locator('[role=status]', { hasText: 'Lagret' }).waitFor();
    const c = await t.hub.db.one(`SELECT channels FROM message_categories WHERE code = 'survey'`);
    expect(c!.channels).toEqual(['email']);
  });
});
