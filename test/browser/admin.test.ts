import fs from 'node:fs';
import { createTestHub, startApi, type TestHub } from '../helpers/hub';
import { createOrg, insertMember, type Org } from '../helpers/fixtures';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';

/** Imports, users and tokens, ballots, and the content step of a new campaign (template preview). */

describe('admin pages in Chromium', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let b: TestBrowser;
  let org: Org;
  let admin: Awaited<ReturnType<typeof staffWithPassword>>;

  beforeAll(async () => {
    t = await createTestHub();
    api = await startApi(t.hub);
    b = await launchBrowser();
    org = await createOrg(t.hub.db);
    admin = await staffWithPassword(t.hub, 'admin', { name: 'Ada Admin' });
  });
  afterAll(async () => {
    await b?.close();
    await api?.close();
    await t?.close();
  });

  test('import a Windows-1252 register file: the report, and the rejected rows as CSV without the national id column', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, admin, '/app/imports');
    const csv = 'medlemsnummer;fornavn;etternavn;e-post;postnummer;fødselsnummer\r\n'
      + 'W1001;Åse;Bjørnstad;ase@example.no;0150;01017012345\r\n'
      + 'W1002;Ørjan;Æbeltoft;ikke-en-epost;0150;01017054321\r\n'
      + 'W1003;Pål;Hæg;pal@example.no;9999;01017099999\r\n';
    // Windows-1252: æøå as single bytes (the same as latin1 for these letters).
    const bytes = Buffer.from(csv, 'latin1');
    await page.getByLabel(/Registerfil/).setInputFiles({ name: 'register.csv', mimeType: 'text/csv', buffer: bytes });
    await page.getByRole('button', { name: 'Importer' }).click();
    await page.locator('#import-counts').waitFor();
    const counts = await page.locator('#import-counts tr').allInnerTexts();
    expect(counts.map((s) => s.replace(/\s+/g, ' ').trim())).toEqual(['Nye medlemmer 1', 'Oppdatert 0', 'Uendret 0', 'Avvist 2']);
    const errors = await page.locator('#import-errors tbody tr').allTextContents();
    expect(errors.join('\n')).toMatch(/3.*e.?post|3.*email/i);
    expect(errors.join('\n')).toMatch(/4.*post/i);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'import-report');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /avviste rader/ }).click()]);
    const text = fs.readFileSync((await download.path())!, 'utf8');
    expect(text).toContain('Ørjan;Æbeltoft');
    expect(text).toContain('Pål;Hæg');
    expect(text).not.toMatch(/fødselsnummer|01017054321|01017099999/);
    expect(text).not.toContain('Åse');
    const m = await t.hub.db.one(`SELECT first_name, last_name FROM members WHERE member_number = 'W1001'`);
    expect(m).toEqual({ first_name: 'Åse', last_name: 'Bjørnstad' });
  });

  test('create a representative user, give them a password and an API token', async () => {
    const holder = await insertMember(t.hub.db, { firstName: 'Rita', lastName: 'Rep', workplaceId: org.workplaceId });
    const page = await b.newPage();
    await signIn(page, api.url, admin, '/app/users');
    await page.locator('#users-table').waitFor();
    await page.getByLabel('Navn', { exact: true }).fill('Rita Rep');
    await page.getByLabel('E-postadresse').fill('rita.rep@example.no');
    await page.getByLabel('Rolle').selectOption('representative');
    await page.getByLabel(/Medlemsnummer/).fill(holder.memberNumber);
    await page.getByRole('button', { name: 'Opprett bruker' }).click();
    await page.locator('#user-form-result', { hasText: 'Opprettet Rita Rep' }).waitFor();
    const row = page.locator('#users-table tbody tr', { hasText: 'rita.rep@example.no' });
    page.once('dialog', (d) => d.accept('et-langt-passord-123'));
    await row.getByRole('button', { name: /Sett passord/ }).click();
    await page.locator('#user-action', { hasText: 'Passordet er satt' }).waitFor();
    page.once('dialog', (d) => d.accept('lønnssystem'));
    await row.getByRole('button', { name: /Ny API-nøkkel/ }).click();
    const token = (await page.locator('#new-token').textContent())!;
    expect(token).toMatch(/^bst_/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'users');
    expect((await fetch(`${api.url}/api/me`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const p2 = await b.newPage();
    await signIn(p2, api.url, { email: 'rita.rep@example.no', password: 'et-langt-passord-123' }, '/app/members');
    await p2.getByRole('heading', { name: 'Mine medlemmer' }).waitFor();
  });

  test('create a ballot, freeze its roll and see the notification plan', async () => {
    const agreement = await t.hub.db.one('SELECT code, name FROM agreements WHERE id = $1', [org.agreementId]);
    for (let i = 0; i < 3; i++) await insertMember(t.hub.db, { agreementIds: [org.agreementId] });
    const page = await b.newPage();
    await signIn(page, api.url, admin, '/app/ballots');
    await page.getByLabel('Tittel').fill('Uravstemning om lønnsoppgjøret');
    await page.getByLabel(/Tariffavtaler/).selectOption({ label: `${agreement!.name} (${agreement!.code})` });
    const day = (d: number) => new Date(t.clock.now().getTime() + d * 86400_000).toISOString().slice(0, 10);
    await page.getByLabel('Åpner (norsk tid)').fill(`${day(7)}T12:00`);
    await page.getByLabel('Stenger (norsk tid)').fill(`${day(21)}T12:00`);
    await page.getByLabel(/Lenke til avstemningen/).fill('https://valg.example.no/forbundet');
    await page.getByRole('button', { name: 'Opprett uravstemning' }).click();
    const card = page.locator('section.card', { hasText: 'Uravstemning om lønnsoppgjøret' }).first();
    await card.getByRole('button', { name: 'Frys manntall nå' }).waitFor();
    await card.getByRole('button', { name: 'Frys manntall nå' }).click();
    await page.locator('.ballot-status', { hasText: 'Manntallet er frosset: 3' }).waitFor();
    const plan = await page.locator('section.card', { hasText: 'Uravstemning om lønnsoppgjøret' }).first().locator('tbody tr').allTextContents();
    expect(plan[0]).toContain('Åpningsvarsel');
    expect(plan.some((r) => r.includes('Påminnelse'))).toBe(true);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'ballots');
  });

  test('new campaign, content step: an MJML error is shown at its line; a fixed template previews on desktop, phone, SMS and letter', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, admin, '/app/campaigns/new');
    await page.getByLabel('Navn på kampanjen').fill('Vårkampanje');
    await page.getByLabel('Meldingskategori').selectOption('campaign');
    await page.getByLabel('Første kanal').selectOption('email');
    await page.getByLabel('Andre kanal').selectOption('sms');
    await page.getByLabel('Tredje kanal').selectOption('letter');
    await page.getByLabel('Fylke').selectOption({ index: 1 });
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-step1');
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    await page.getByLabel(/Innhold \(MJML/).fill('<mj-section>\n  <mj-column>\n    <mj-text>Hei {{firstName}}</mj-text>\n    <mj-bogus>x</mj-bogus>\n  </mj-column>\n</mj-section>');
    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    const err = page.locator('#template-errors li').first();
    await err.waitFor();
    expect(await err.textContent()).toMatch(/E-post, linje 4/);
    await screenshot(page, 'campaign-mjml-error');

    await page.getByLabel(/Innhold \(MJML/).fill('<mj-section>\n  <mj-column>\n    <mj-text><h1>Vår</h1><p>Hei {{firstName}}, her er nytt fra {{unionName}}.</p></mj-text>\n  </mj-column>\n</mj-section>');
    await page.getByLabel('SMS-tekst').fill('Hei {{firstName}}! Årsmøtet er 12. mai på Økern.');
    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    await page.locator('#pv-sms-info').waitFor();
    expect(await page.locator('#pv-sms-info').textContent()).toMatch(/GSM-7 · 1 SMS-segment\b/);
    await page.frameLocator('#pv-email-desktop').getByRole('heading', { name: 'Vår' }).waitFor();
    await page.frameLocator('#pv-email-phone').getByText(/Hei .+, her er nytt fra/).waitFor();
    const pdf = await page.getAttribute('#pv-letter-link', 'href');
    const res = await page.evaluate(async (u) => { const r = await fetch(u!); return { status: r.status, type: r.headers.get('content-type') }; }, pdf);
    expect(res).toEqual({ status: 200, type: 'application/pdf' });
    await screenshot(page, 'campaign-preview');
    const phone = await b.newPage({ width: 390, height: 844, mobile: true });
    await signIn(phone, api.url, admin, '/app/campaigns/new');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(390);
    await screenshot(phone, 'campaign-step1-390');
  });
});
