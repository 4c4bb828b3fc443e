import type { Page } from 'playwright-core';
import { until } from '../helpers/campaign';
import { createOrg, insertMember } from '../helpers/fixtures';
import { smsInfo, withOptOut } from '../../src/render';
import { apiAs, axeViolations, screenshot, signIn } from './browser';
import { communicationsInBrowser } from './rig';

/**
 * The wizard's SMS editor (issue 12): segments and encoding follow the typing, counted by the
 * hub's one counter (src/segments through POST /api/render/sms-segments) on the text the member
 * gets; characters that force UCS-2 come with a Norwegian "Bytt ’ med '" button; a launch of an
 * SMS over 3 segments asks for an explicit yes first.
 */
describe('the SMS editor counts as staff type (Chromium)', () => {
  const s = communicationsInBrowser({ env: { APPROVAL_THRESHOLD: '1000' }, staff: { email: 'komm-sms@budstikke.example', name: 'Siri Sms' } });


  /** What the member gets for this text (the sample member is Kari; campaign is declinable): the server's own count. */
  const expected = (text: string) => smsInfo(withOptOut(text.replace('{{firstName}}', 'Kari'), 'nb', true));

  async function segmentsShown(page: Page, n: number, encoding: string) {
    await page.locator(`#sms-segments[data-segments="${n}"]`).waitFor();
    await page.locator('#sms-encoding', { hasText: new RegExp(`^${encoding}$`) }).waitFor();
  }

  test('segments and encoding update while typing; ’ offers "Bytt ’ med \'" back to GSM-7; over 3 segments the launch asks first and a no launches nothing', async () => {
    const org = await createOrg(s.rig.hub.db);
    await insertMember(s.rig.hub.db, { firstName: 'Sara', email: null, phone: '+4790011002', workplaceId: org.workplaceId });
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    await page.goto(`${s.rig.url}/app/campaigns/new`);
    await page.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' });
    await page.getByLabel('Navn på kampanjen').fill('Lang SMS');
    await page.getByLabel('Meldingskategori').selectOption('campaign');
    await page.getByLabel('Første kanal').selectOption('sms');
    await page.getByLabel('Arbeidssted').selectOption(String(org.workplaceId));
    await page.locator('#counts-table [data-count="sms"]', { hasText: /^1$/ }).waitFor();
    await page.getByRole('button', { name: 'Neste: innhold' }).click();

    const sms = page.getByLabel('SMS-tekst');
    const short = 'Hei {{firstName}}, møt opp i morgen.';
    await sms.fill(short);
    expect(expected(short)).toMatchObject({ segments: 1, encoding: 'GSM-7' });
    // Waited for as text: the empty editor's count is also 1 GSM-7 segment, so the segments alone
    // do not say the count of this text has arrived (the editor counts a moment after the typing).
    await page.locator('#sms-count', { hasText: `${expected(short).characters} tegn (med reservasjonslinjen, flettefelt fylt ut for et eksempelmedlem)` }).waitFor();
    await segmentsShown(page, 1, 'GSM-7');

    // A typographic apostrophe forces UCS-2: the editor says so and offers the swap in Norwegian.
    const curly = 'Hei {{firstName}}, det er ’streik’ i morgen.';
    await sms.fill(curly);
    expect(expected(curly).encoding).toBe('UCS-2');
    await segmentsShown(page, expected(curly).segments, 'UCS-2');
    expect(await page.locator('#sms-warnings').innerText()).toContain('«’» gjør at SMS-en må sendes som UCS-2');
    await page.getByRole('button', { name: 'Bytt ’ med \'' }).click();
    expect(await sms.inputValue()).toBe("Hei {{firstName}}, det er 'streik' i morgen.");
    await segmentsShown(page, 1, 'GSM-7');
    expect(await page.getByRole('button', { name: 'Bytt ’ med \'' }).count()).toBe(0);

    // Long: 4 segments (with the opt-out line the member gets), shown as a warning.
    const long = 'Hei {{firstName}}! ' + 'Lønnsoppgjøret er klart, og vi trenger deg på medlemsmøtet. '.repeat(7);
    expect(expected(long).segments).toBe(4);
    await sms.fill(long);
    await segmentsShown(page, 4, 'GSM-7');
    expect(await page.locator('#sms-warnings').innerText()).toContain('SMS-en blir 4 segmenter');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'sms-editor-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'sms-editor-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    await page.locator('#pv-sms-text').waitFor();
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.getByRole('button', { name: 'Neste: oppsummering' }).click();
    await page.locator('#review-sms', { hasText: 'Bokmål: 4 segmenter' }).waitFor();
    expect(await page.locator('#review-warnings').innerText()).toContain('SMS-en på bokmål blir 4 segmenter per mottaker');

    // The launch asks about the length first; "Avbryt" launches nothing.
    await page.getByRole('button', { name: 'Neste: start' }).click();
    await page.getByRole('button', { name: 'Start kampanjen' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Ja, send SMS på 4 segmenter' }).waitFor();
    expect(await dialog.innerText()).toContain('SMS-en blir 4 segmenter på bokmål');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByRole('button', { name: 'Avbryt' }).click();
    await page.locator('#launch-result', { hasText: 'Kampanjen er ikke startet' }).waitFor();
    expect((await s.rig.hub.db.one(`SELECT state FROM campaigns WHERE name = 'Lang SMS'`))!.state).toBe('draft');

    // An explicit yes to the length, then to the count: it goes.
    await page.getByRole('button', { name: 'Start kampanjen' }).click();
    await dialog.getByRole('button', { name: 'Ja, send SMS på 4 segmenter' }).click();
    await dialog.getByRole('button', { name: 'Ja, start for 1 mottakere' }).click();
    await page.locator('#launch-result', { hasText: 'Kampanjen er startet' }).waitFor();
    await until(async () => (await s.rig.hub.db.one(`SELECT state FROM campaigns WHERE name = 'Lang SMS' AND state IN ('running', 'completed')`)) !== undefined, 60_000, 'campaign launched');
  });

  test('the count API refuses an unknown category naming the field', async () => {
    const page = await s.b.newPage();
    await signIn(page, s.rig.url, s.comms, '/app');
    const r = await apiAs(page, 'POST', '/api/render/sms-segments', { text: 'Hei', category: 'finnes-ikke' });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ field: 'body.category', message: 'ingen kategori «finnes-ikke»' }]);
  });
});
