import { createOrg, insertMember } from '../helpers/fixtures';
import { axeViolations, screenshot, signIn } from './browser';
import { communicationsInBrowser } from './rig';

/**
 * Member search in Chromium (issue 12): the member list and the wizard's "preview for a member"
 * both find Grønli from "gronli", and "Etternavn, Fornavn" or a phone number work in the same box.
 */
describe('member search in the staff pages (Chromium)', () => {
  const s = communicationsInBrowser({ staff: { email: 'komm-sok@budstikke.example', name: 'Sølvi Søk' } });

  test('"gronli" finds Grønli in the member list and in the wizard\'s member preview; a phone number finds her too', async () => {
    const org = await createOrg(s.rig.hub.db);
    const kari = await insertMember(s.rig.hub.db, { firstName: 'Kari', lastName: 'Grønli', phone: '+4791234567', workplaceId: org.workplaceId });
    await insertMember(s.rig.hub.db, { firstName: 'Kari', lastName: 'Nordmann', workplaceId: org.workplaceId });
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app/members');
    const box = page.getByLabel('Søk på navn, medlemsnummer, e-post eller telefon');
    await box.fill('gronli');
    await page.getByRole('button', { name: 'Søk', exact: true }).click();
    await page.locator('#result-count', { hasText: '1 medlem for «gronli»' }).waitFor();
    expect(await page.locator('#members-table tbody').innerText()).toContain('Grønli');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'member-search-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'member-search-390');
    await page.setViewportSize({ width: 1280, height: 900 });
    await box.fill('912 34 567');
    await page.getByRole('button', { name: 'Søk', exact: true }).click();
    await page.locator('#result-count', { hasText: '1 medlem for «912 34 567»' }).waitFor();
    expect(await page.locator('#members-table tbody').innerText()).toContain(kari.memberNumber);

    await page.goto(`${s.rig.url}/app/campaigns/new`);
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.getByLabel('Navn på kampanjen').fill('Søk i veiviseren');
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    await page.getByLabel(/Forhåndsvis for et medlem/).fill('gronli, ka');
    await page.locator(`#pv-member-list option[value="${kari.memberNumber} Grønli, Kari"]`).waitFor({ state: 'attached' });
    expect(await page.locator('#pv-member-list option').count()).toBe(1);
  });
});
