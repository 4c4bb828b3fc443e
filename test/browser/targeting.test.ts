import { createOrg, insertMember } from '../helpers/fixtures';
import { axeViolations, screenshot, signIn } from './browser';
import { communicationsInBrowser } from './rig';

/**
 * Targeting in the wizard (issue 12): a list takes several values ("Oslo or Akershus"), the
 * counts follow, the audience step says why members cannot be reached (by reason, with counts
 * from the preview API), and the campaign is saved with every chosen value.
 */
describe('multi-value targeting in the wizard (Chromium)', () => {
  const s = communicationsInBrowser({ env: { APPROVAL_THRESHOLD: '1000' }, staff: { email: 'komm-mal@budstikke.example', name: 'Mona Målgruppe' } });

  test('two counties mean either of them: counts, reasons members cannot be reached, and the saved campaign all say Oslo or Akershus', async () => {
    const org = await createOrg(s.rig.hub.db);
    const w = org.workplaceId;
    await insertMember(s.rig.hub.db, { firstName: 'Oslo', lastName: 'Epost', postcode: '0150', workplaceId: w });
    await insertMember(s.rig.hub.db, { firstName: 'Akershus', lastName: 'Epost', postcode: '1300', workplaceId: w });
    await insertMember(s.rig.hub.db, { firstName: 'Uten', lastName: 'Adresse', postcode: '0150', email: null, phone: null, street: null, workplaceId: w });
    await insertMember(s.rig.hub.db, { firstName: 'Trond', lastName: 'Heim', postcode: '7010', workplaceId: w }); // Trøndelag: outside the filter

    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    await page.goto(`${s.rig.url}/app/campaigns/new`);
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.getByLabel('Navn på kampanjen').fill('Oslo og Akershus');
    await page.getByLabel('Meldingskategori').selectOption('campaign');
    await page.getByLabel('Første kanal').selectOption('email');
    await page.getByLabel('Arbeidssted').selectOption(String(w));
    await page.locator('#counts-table [data-count="total"]', { hasText: /^4$/ }).waitFor();

    await page.getByLabel('Fylke').selectOption(['03', '32']);
    await page.locator('#counts-table [data-count="total"]', { hasText: /^3$/ }).waitFor();
    expect(await page.locator('#counts-table [data-count="email"]').innerText()).toBe('2');
    expect(await page.locator('#counts-table [data-count="unreachable"]').innerText()).toBe('1');
    // Why: the one without email, phone or street has no address.
    await page.locator('#unreachable-why [data-reason="no_address"]', { hasText: /^1$/ }).waitFor();
    expect(await page.locator('#unreachable-why').innerText()).toContain('Mangler adresse');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'wizard-targeting-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'wizard-targeting-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    await page.getByLabel('Emne').fill('To fylker');
    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    await page.locator('#pv-subject', { hasText: 'To fylker' }).waitFor();
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.getByRole('button', { name: 'Neste: oppsummering' }).click();
    await page.locator('#review-list', { hasText: 'Fylke: Oslo eller Akershus' }).waitFor();
    const c = await s.rig.hub.db.one(`SELECT audience FROM campaigns WHERE name = 'Oslo og Akershus'`);
    expect(c!.audience).toEqual({ all: [{ status: ['active'] }, { county: ['03', '32'] }, { workplace: [w] }] });
  });

  test('NOT and OR: "alle unntatt" leaves a county out, "minst ett" joins workplace or county; the audience is saved, and loaded again into a fresh wizard; one the lists cannot show is refused in words', async () => {
    const org = await createOrg(s.rig.hub.db);
    const w = org.workplaceId;
    await insertMember(s.rig.hub.db, { firstName: 'Olav', postcode: '0150', workplaceId: w });
    await insertMember(s.rig.hub.db, { firstName: 'Aksel', postcode: '1300', workplaceId: w });
    await insertMember(s.rig.hub.db, { firstName: 'Trude', postcode: '7010', workplaceId: w });
    await insertMember(s.rig.hub.db, { firstName: 'Bergljot', postcode: '5003', workplaceId: org.otherWorkplaceId }); // Vestland, the other workplace

    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    const total = (n: number) => page.locator('#counts-table [data-count="total"]', { hasText: new RegExp(`^${n}$`) }).waitFor();
    await page.goto(`${s.rig.url}/app/campaigns/new`);
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.getByLabel('Meldingskategori').selectOption('campaign');
    await page.getByLabel('Arbeidssted').selectOption(String(w));
    await total(3);
    // NOT: everyone at the workplace except Oslo.
    await page.getByLabel('Fylke').selectOption(['03']);
    await total(1);
    await page.locator('#n-f-county').check();
    await total(2);
    // OR: the workplace, or anyone in Vestland.
    await page.locator('#n-f-county').uncheck();
    await page.getByLabel('Fylke').selectOption(['46']);
    await total(0);
    await page.getByLabel('Hvordan filtrene gjelder sammen').selectOption('any');
    await total(4);
    expect(await axeViolations(page)).toEqual([]);

    await page.getByLabel('Lagre filteret som målgruppe').fill('Verksted eller Vestland');
    await page.getByRole('button', { name: 'Lagre målgruppen' }).dblclick();
    await page.locator('#a-result', { hasText: 'Målgruppen «Verksted eller Vestland» er lagret.' }).waitFor();
    const saved = await s.rig.hub.db.many(`SELECT filter FROM audiences WHERE name = 'Verksted eller Vestland'`);
    expect(saved).toEqual([{ filter: { all: [{ status: ['active'] }, { any: [{ county: ['46'] }, { workplace: [w] }] }] } }]);
    // The same name again is refused in Norwegian.
    await page.getByRole('button', { name: 'Lagre målgruppen' }).click();
    await page.locator('#a-result', { hasText: 'Det finnes allerede en lagret målgruppe som heter «Verksted eller Vestland»' }).waitFor();

    // A fresh wizard loads it back into the lists.
    await page.goto(`${s.rig.url}/app/campaigns/new`);
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.getByLabel('Meldingskategori').selectOption('campaign');
    await page.getByLabel('Hent en lagret målgruppe').selectOption({ label: 'Verksted eller Vestland' });
    await page.locator('#a-result', { hasText: 'Hentet «Verksted eller Vestland»' }).waitFor();
    await total(4);
    expect(await page.getByLabel('Hvordan filtrene gjelder sammen').inputValue()).toBe('any');
    expect(await page.getByLabel('Arbeidssted').inputValue()).toBe(String(w));

    // One with member numbers cannot be shown as lists: it is not loaded, and the lists stay.
    await s.rig.hub.db.query(`INSERT INTO audiences (name, filter) VALUES ('Noen medlemsnumre', $1)`, [JSON.stringify({ memberNumbers: ['1', '2'] })]);
    await page.reload();
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.locator('#a-saved option', { hasText: 'Noen medlemsnumre' }).waitFor({ state: 'attached' });
    await page.getByLabel('Hent en lagret målgruppe').selectOption({ label: 'Noen medlemsnumre' });
    await page.locator('#a-result', { hasText: 'den er ikke hentet' }).waitFor();
    await total(4);
    await screenshot(page, 'wizard-saved-audience-1280');
  });
});
