import type { Page } from 'playwright-core';
import { until } from '../helpers/campaign';
import { createOrg, insertMember } from '../helpers/fixtures';
import { apiAs, axeViolations, screenshot, signIn } from './browser';
import { communicationsInBrowser } from './rig';

/**
 * The wizard staff can trust (issue 12), in Chromium against the real API: editing a shared
 * template keeps nynorsk and English and asks whom the change is for; preview by language and for
 * a real member; a double click makes one campaign; an empty audience cannot be launched; a
 * reload keeps the wizard's state (server-side draft).
 */
const NB = { subject: 'Lønnsoppgjøret', mjml: '<mj-section><mj-column><mj-text><p>Hei {{firstName}}, bokmål.</p></mj-text></mj-column></mj-section>', sms: 'Hei {{firstName}}, bokmål.', letter: null };
const NN = { subject: 'Lønsoppgjeret', mjml: '<mj-section><mj-column><mj-text><p>Hei {{firstName}}, nynorsk.</p></mj-text></mj-column></mj-section>', sms: 'Hei {{firstName}}, nynorsk.', letter: null };
const EN = { subject: 'The pay settlement', mjml: '<mj-section><mj-column><mj-text><p>Hello {{firstName}}, English.</p></mj-text></mj-column></mj-section>', sms: 'Hello {{firstName}}, English.', letter: null };

describe('the campaign wizard keeps languages and refuses duplicates (Chromium)', () => {
  const s = communicationsInBrowser({ env: { APPROVAL_THRESHOLD: '1000' }, staff: { email: 'komm-flyt@budstikke.example', name: 'Kari Kommunikasjon' } });


  async function step1(page: Page, name: string, workplaceId: number, channels = ['email']) {
    await page.goto(`${s.rig.url}/app/campaigns/new`);
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.getByLabel('Navn på kampanjen').fill(name);
    await page.getByLabel('Meldingskategori').selectOption('campaign');
    const labels = ['Første kanal', 'Andre kanal', 'Tredje kanal'];
    for (let i = 0; i < 3; i++) await page.getByLabel(labels[i]).selectOption(channels[i] ?? '');
    await page.getByLabel('Arbeidssted').selectOption(String(workplaceId));
  }

  test('editing a shared template saves a new version that keeps nynorsk and English, after asking and naming the campaign that uses it; preview by language and member', async () => {
    const org = await createOrg(s.rig.hub.db);
    const nora = await insertMember(s.rig.hub.db, { firstName: 'Nora', lastName: 'Nynorsk', language: 'nn', workplaceId: org.workplaceId });
    await insertMember(s.rig.hub.db, { firstName: 'Bjørn', lastName: 'Bokmål', workplaceId: org.workplaceId });
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    const tpl = await apiAs(page, 'POST', '/api/templates', { key: 'lonn-tre-sprak', name: 'Lønn på tre språk', category: 'campaign', languages: { nb: NB, nn: NN, en: EN } });
    expect(tpl.status).toBe(201);
    const other = await apiAs(page, 'POST', '/api/campaigns', { name: 'Tidligere lønnsinfo', category: 'campaign', channels: ['email'], templates: { email: tpl.body.version.id }, audience: { all: [{ workplace: [org.workplaceId] }] } });
    expect(other.status).toBe(201);

    await step1(page, 'Lønn 2027', org.workplaceId);
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    const option = page.locator('#t-pick option', { hasText: 'Lønn på tre språk' });
    await option.waitFor({ state: 'attached' });
    await page.getByLabel('Mal', { exact: true }).selectOption((await option.getAttribute('value'))!);
    await page.locator('#t-shared', { hasText: 'Tidligere lønnsinfo' }).waitFor();
    await page.locator('#pv-subject').waitFor();

    // Bokmål: a new subject. Nynorsk tab: its own subject, shown in the nynorsk editor only.
    await page.getByLabel('Emne').fill('Lønnsoppgjøret 2027');
    await page.getByRole('tab', { name: 'Nynorsk' }).click();
    expect(await page.getByLabel('Emne').inputValue()).toBe(NN.subject);
    await page.getByLabel('Emne').fill('Lønsoppgjeret 2027');
    await page.getByRole('tab', { name: 'Engelsk' }).click();
    expect(await page.getByLabel('Emne').inputValue()).toBe(EN.subject);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'wizard-language-tabs-1280');

    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    const dialog = page.getByRole('dialog', { name: 'Hvem skal endringen gjelde?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Tidligere lønnsinfo');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'wizard-shared-template-dialog');
    await dialog.getByRole('button', { name: 'Lagre ny versjon for alle' }).click();
    await page.locator('#pv-subject', { hasText: 'Lønnsoppgjøret 2027' }).waitFor();

    const latest = await s.rig.hub.db.many(
      `SELECT l.language, l.subject, l.mjml, l.sms FROM template_version_languages l JOIN template_versions v ON v.id = l.template_version_id
        WHERE v.template_id = $1 AND v.version = 2 ORDER BY l.language`, [tpl.body.template.id]);
    expect(latest).toEqual([
      { language: 'en', subject: EN.subject, mjml: EN.mjml, sms: EN.sms },
      { language: 'nb', subject: 'Lønnsoppgjøret 2027', mjml: NB.mjml, sms: NB.sms },
      { language: 'nn', subject: 'Lønsoppgjeret 2027', mjml: NN.mjml, sms: NN.sms },
    ]);

    // Preview in nynorsk, then for a real member found by name (their own language).
    await page.getByLabel('Forhåndsvis på').selectOption('nn');
    await page.locator('#pv-subject', { hasText: 'Lønsoppgjeret 2027' }).waitFor();
    await page.getByLabel('Forhåndsvis på').selectOption('');
    await page.getByLabel(/Forhåndsvis for et medlem/).fill('Nynorsk');
    await page.locator(`#pv-member-list option[value^="${nora.memberNumber} "]`).waitFor({ state: 'attached' });
    await page.getByLabel(/Forhåndsvis for et medlem/).fill(`${nora.memberNumber} Nynorsk, Nora`);
    await page.getByLabel(/Forhåndsvis for et medlem/).press('Tab');
    await page.locator('#pv-who', { hasText: `medlem nr. ${nora.memberNumber}` }).waitFor();
    expect(await page.locator('#pv-who').innerText()).toContain('nynorsk');
    await page.frameLocator('#pv-email-desktop').getByText('Hei Nora, nynorsk.').waitFor();
  });

  test('a copy for this campaign leaves the shared template as it was; the review counts members who get bokmål because a variant is missing', async () => {
    const org = await createOrg(s.rig.hub.db);
    await insertMember(s.rig.hub.db, { firstName: 'Eng', language: 'en', workplaceId: org.workplaceId });
    await insertMember(s.rig.hub.db, { firstName: 'Nyn', language: 'nn', workplaceId: org.workplaceId });
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    const tpl = await apiAs(page, 'POST', '/api/templates', { key: 'bare-nb-og-nn', name: 'Bare bokmål og nynorsk', category: 'campaign', languages: { nb: NB, nn: NN } });
    await apiAs(page, 'POST', '/api/campaigns', { name: 'Bruker malen', category: 'campaign', channels: ['email'], templates: { email: tpl.body.version.id }, audience: { all: [{ workplace: [org.workplaceId] }] } });

    await step1(page, 'Kopi-kampanje', org.workplaceId);
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    const option = page.locator('#t-pick option', { hasText: 'Bare bokmål og nynorsk' });
    await option.waitFor({ state: 'attached' });
    await page.getByLabel('Mal', { exact: true }).selectOption((await option.getAttribute('value'))!);
    await page.locator('#pv-subject').waitFor();
    await page.getByLabel('Emne').fill('Bare for denne');
    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Lagre en kopi bare for denne kampanjen' }).click();
    await page.locator('#pv-subject', { hasText: 'Bare for denne' }).waitFor();
    expect((await s.rig.hub.db.one('SELECT count(*)::int AS n FROM template_versions WHERE template_id = $1', [tpl.body.template.id]))!.n).toBe(1);
    const copy = await s.rig.hub.db.one(`SELECT t.id FROM templates t WHERE t.name LIKE 'Bare bokmål og nynorsk – Kopi-kampanje'`);
    expect(copy).not.toBeNull();

    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.getByRole('button', { name: 'Neste: oppsummering' }).click();
    await page.locator('#review-fallback', { hasText: '1 med engelsk får e-post på bokmål' }).waitFor();
    expect(await page.locator('#review-warnings').innerText()).toContain('1 medlem med engelsk får e-post på bokmål');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'wizard-review-fallback');
  });

  test('a double click on "Neste: oppsummering" makes one campaign, and a reload keeps the wizard where it was', async () => {
    const org = await createOrg(s.rig.hub.db);
    await insertMember(s.rig.hub.db, { firstName: 'Dobbel', workplaceId: org.workplaceId });
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    await step1(page, 'Dobbeltklikk-kampanjen', org.workplaceId);
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    await page.getByLabel('Emne').fill('Bare én gang');
    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).dblclick();
    await page.locator('#pv-subject', { hasText: 'Bare én gang' }).waitFor();
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.getByRole('button', { name: 'Neste: oppsummering' }).dblclick();
    await page.locator('#review-list').waitFor();
    expect((await s.rig.hub.db.one(`SELECT count(*)::int AS n FROM campaigns WHERE name = 'Dobbeltklikk-kampanjen'`))!.n).toBe(1);
    expect((await s.rig.hub.db.one(`SELECT count(*)::int AS n FROM templates WHERE name = 'Dobbeltklikk-kampanjen'`))!.n).toBe(1);

    // Reload: the server-side draft brings back the step, the name, the filter and the content.
    await until(async () => (await s.rig.hub.db.one(`SELECT 1 FROM campaign_wizard_drafts WHERE staff_user_id = $1 AND state->>'step' = '4' AND state->'fields'->>'c-name' = 'Dobbeltklikk-kampanjen'`, [s.comms.id])) !== undefined, 15_000, 'draft saved at step 4');
    await page.reload();
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.locator('#review-list').waitFor();
    expect(await page.getByLabel('Navn på kampanjen').inputValue()).toBe('Dobbeltklikk-kampanjen');
    expect(await page.getByLabel('Arbeidssted').inputValue()).toBe(String(org.workplaceId));
    await page.getByRole('button', { name: 'Neste: start' }).click();
    await page.getByRole('button', { name: 'Start kampanjen' }).click();
    await page.getByRole('button', { name: 'Ja, start for 1 mottakere' }).dblclick();
    await page.locator('#launch-result', { hasText: 'Kampanjen er startet' }).waitFor();
    expect((await s.rig.hub.db.one(`SELECT count(*)::int AS n FROM campaigns WHERE name = 'Dobbeltklikk-kampanjen'`))!.n).toBe(1);
    // Back after launch shows the launched wizard, not an empty one that could send again.
    await page.locator('#campaign-link').click();
    await page.waitForURL(/\/app\/campaigns\/\d+$/);
    await page.goBack();
    await page.locator('#launch-result', { hasText: 'Kampanjen er startet' }).waitFor();
    expect(await page.getByRole('button', { name: 'Start kampanjen' }).isHidden()).toBe(true);
  });

  test('an audience with nobody in it is refused in Norwegian and nothing is launched', async () => {
    const org = await createOrg(s.rig.hub.db); // no members at this workplace
    const page = await s.b.newPage({ width: 390, height: 844, mobile: true });
    await signIn(page, s.rig.url, s.comms, '/app');
    await step1(page, 'Tom målgruppe', org.workplaceId);
    await page.locator('#counts-table [data-count="total"]', { hasText: /^0$/ }).waitFor();
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    await page.getByLabel('Emne').fill('Til ingen');
    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    await page.locator('#pv-subject').waitFor();
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.getByRole('button', { name: 'Neste: oppsummering' }).click();
    await page.locator('#review-warnings', { hasText: 'Målgruppen er tom' }).waitFor();
    await page.getByRole('button', { name: 'Neste: start' }).click();
    await page.getByRole('button', { name: 'Start kampanjen' }).click();
    await page.locator('#launch-result', { hasText: 'Målgruppen er tom' }).waitFor();
    const c = await s.rig.hub.db.one(`SELECT id, state FROM campaigns WHERE name = 'Tom målgruppe'`);
    expect(c!.state).toBe('draft');
    // The API refuses it too, whatever the page does.
    const r = await apiAs(page, 'POST', `/api/campaigns/${c!.id}/launch`, {});
    expect(r.status).toBe(409);
    expect(r.body.detail).toMatch(/^Målgruppen er tom/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'wizard-empty-audience-390');
  });

  test('an unknown campaign id is a 404 page in Norwegian', async () => {
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    const res = await page.goto(`${s.rig.url}/app/campaigns/99999999`);
    expect(res!.status()).toBe(404);
    await page.getByRole('heading', { name: 'Fant ikke kampanjen' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });
});
