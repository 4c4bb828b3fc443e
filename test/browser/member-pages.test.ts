import { createTestHub, startApi, type TestHub } from '../helpers/hub';
import { insertMember } from '../helpers/fixtures';
import { preferencesUrl, unsubscribeUrl } from '../../src/consent';
import { createMemberLink } from '../../src/consent/one-time';
import { axeViolations, launchBrowser, screenshot, type TestBrowser } from './browser';

/** The member pages (owned by consent) on a 390-pixel-wide phone screen. */

describe('member pages on a phone', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let b: TestBrowser;

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

  const local = (url: string) => url.replace(t.config.publicBaseUrl, api.url);

  async function noHorizontalScroll(page: import('playwright-core').Page): Promise<void> {
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(innerWidth).toBe(390);
    expect(scrollWidth).toBeLessThanOrEqual(390);
  }

  test('the preference centre at 390 px: readable, no sideways scrolling, toggles by touch and keyboard, saved', async () => {
    const m = await insertMember(t.hub.db, { firstName: 'Siri', lastName: 'Sørli', phone: '+4791234567' });
    const page = await b.newPage({ width: 390, height: 844, mobile: true });
    await page.goto(local(preferencesUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' })));
    await noHorizontalScroll(page);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'preferences-390');

    // Newsletter by email off (tap), survey by SMS off (keyboard: focus and space).
    const newsletter = page.locator('#c-newsletter-email');
    expect(await newsletter.isChecked()).toBe(true);
    await newsletter.tap();
    await page.locator('#c-survey-sms').focus();
    await page.keyboard.press('Space');
    const box = await page.getByRole('button', { name: 'Lagre' }).boundingBox();
    expect(box!.height).toBeGreaterThanOrEqual(44);
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Lagre' }).tap()]);
    await page.getByText('Innstillingene dine er lagret.').waitFor();
    await noHorizontalScroll(page);
    await screenshot(page, 'preferences-390-saved');

    const state = await t.hub.db.many(
      `SELECT category, channel, granted FROM consent_state WHERE member_id = $1 AND NOT granted ORDER BY category, channel`, [m.id]);
    expect(state).toEqual([
      { category: 'newsletter', channel: 'email', granted: false },
      { category: 'survey', channel: 'sms', granted: false },
    ]);
    const sources = await t.hub.db.many(`SELECT DISTINCT source FROM consent_events WHERE member_id = $1`, [m.id]);
    expect(sources).toEqual([{ source: 'preference_page' }]);
  });

  test('the unsubscribe page at 390 px in nynorsk: one button, and the GET alone changes nothing', async () => {
    const m = await insertMember(t.hub.db, { firstName: 'Nils', lastName: 'Nyland', language: 'nn' });
    const page = await b.newPage({ width: 390, height: 844, mobile: true });
    await page.goto(local(unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' })));
    await noHorizontalScroll(page);
    expect(await page.getAttribute('html', 'lang')).toBe('nn');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'unsubscribe-390-nn');
    expect((await t.hub.db.one('SELECT count(*)::int AS n FROM consent_events WHERE member_id = $1', [m.id]))!.n).toBe(0);
    // The next load event (waitForLoadState would resolve at once: the current page is loaded).
    await Promise.all([page.waitForEvent('load'), page.locator('form button[type=submit]').first().tap()]);
    await screenshot(page, 'unsubscribe-390-nn-done');
    const s = await t.hub.db.one(`SELECT granted FROM consent_state WHERE member_id = $1 AND category = 'newsletter' AND channel = 'email'`, [m.id]);
    expect(s!.granted).toBe(false);
  });

  test('the preference entry page at 1280 and 390 px, in nynorsk: accessible, and the answer after sending', async () => {
    for (const width of [1280, 390]) {
      const page = await b.newPage({ width, height: 900, mobile: width < 500 });
      await page.goto(`${api.url}/p?lang=nn`);
      expect(await page.getAttribute('html', 'lang')).toBe('nn');
      if (width === 390) await noHorizontalScroll(page);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `preference-entry-${width}-nn`);
      if (width === 390) {
        // A wrong entry: the error is announced on the field.
        await page.getByLabel('E-postadresse eller mobilnummer').fill('12');
        await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Send meg ei lenkje' }).tap()]);
        expect(await page.getAttribute('#address', 'aria-invalid')).toBe('true');
        expect(await axeViolations(page)).toEqual([]);
        await screenshot(page, 'preference-entry-390-nn-error');
        await page.getByLabel('E-postadresse eller mobilnummer').fill('ingen@example.no');
        await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Send meg ei lenkje' }).tap()]);
        await page.getByText('Dersom adressa eller nummeret høyrer til eit medlemskap').waitFor();
        expect(await axeViolations(page)).toEqual([]);
        await screenshot(page, 'preference-entry-390-nn-sent');
      }
    }
  });

  test('the one-time link and the opt-in confirmation at 1280 and 390 px: a button each, accessible, the centre after it', async () => {
    const m = await insertMember(t.hub.db, { firstName: 'Lene', lastName: 'Lenke', language: 'en' });
    for (const width of [1280, 390]) {
      const entry = await createMemberLink(t.hub.db, t.config, { purpose: 'entry', memberId: m.id, sentChannel: 'email', now: t.hub.clock.now() });
      const confirm = await createMemberLink(t.hub.db, t.config, { purpose: 'confirm', memberId: m.id, sentChannel: 'email', category: 'benefits', consentChannel: 'email', now: t.hub.clock.now() });
      const page = await b.newPage({ width, height: 900, mobile: width < 500 });
      await page.goto(`${api.url}/p/l/${entry.token}`);
      expect(await page.getAttribute('html', 'lang')).toBe('en');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `preference-link-${width}-en`);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Open my preferences' }).click()]);
      await page.getByRole('button', { name: 'Save' }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await page.goto(`${api.url}/p/c/${confirm.token}`);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `opt-in-confirm-${width}-en`);
      await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Yes, I want this' }).click()]);
      await page.getByText('You will now receive').waitFor();
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, `opt-in-confirmed-${width}-en`);
    }
    const ev = await t.hub.db.many('SELECT category, source FROM consent_events WHERE member_id = $1', [m.id]);
    expect(ev).toEqual([{ category: 'benefits', source: 'double_opt_in' }]);
  });
});
