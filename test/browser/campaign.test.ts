import type { Page } from 'playwright-core';
import { loadLatestVersionByKey } from '../../src/render';
import { campaignRig, until, type CampaignRig } from '../helpers/campaign';
import { createOrg, insertMember, type Org } from '../helpers/fixtures';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';

/**
 * Campaigns in Chromium against the real campaigns API: the wizard (audience dropdowns and live
 * counts, a template with a link, preview, test send, review, launch), the dashboard's progress
 * bar to completed, the member's communication history; four-eyes approval by a second user in
 * another browser context; pause and resume on a phone-sized campaign page. The SendGrid and
 * Twilio emulators and the BullMQ workers run, so the messages really go out.
 */

const THRESHOLD = 4;

describe('campaigns in Chromium (emulators, workers, the campaigns API)', () => {
  let rig: CampaignRig;
  let b: TestBrowser;
  let comms: Awaited<ReturnType<typeof staffWithPassword>>;
  let comms2: Awaited<ReturnType<typeof staffWithPassword>>;

  beforeAll(async () => {
    rig = await campaignRig({ env: { APPROVAL_THRESHOLD: String(THRESHOLD) } });
    b = await launchBrowser();
    comms = await staffWithPassword(rig.hub, 'communications', { email: 'komm1@budstikke.example', name: 'Kari Kommunikasjon' });
    comms2 = await staffWithPassword(rig.hub, 'communications', { email: 'komm2@budstikke.example', name: 'Ola Omtanke' });
  });
  afterAll(async () => {
    await b?.close();
    await rig?.close();
  });

  const count = (page: Page, key: string, n: number) =>
    page.locator(`#counts-table [data-count="${key}"]`, { hasText: new RegExp(`^${n}$`) }).waitFor();

  /** Step 1 of the wizard: name, category, channels. */
  async function startWizard(page: Page, name: string, channels: string[]): Promise<void> {
    await signIn(page, rig.url, comms, '/app/campaigns/new');
    await page.getByLabel('Navn på kampanjen').fill(name);
    await page.locator('#c-category option[value="campaign"]').waitFor({ state: 'attached' });
    await page.getByLabel('Meldingskategori').selectOption('campaign');
    const labels = ['Første kanal', 'Andre kanal', 'Tredje kanal'];
    for (let i = 0; i < 3; i++) await page.getByLabel(labels[i]).selectOption(channels[i] ?? '');
  }

  async function campaignIdOf(page: Page): Promise<number> {
    const href = (await page.locator('#campaign-link').getAttribute('href'))!;
    return Number(href.split('/').pop());
  }

  test('build an audience with the dropdowns, pick a template with a link, preview, test-send, review, launch; the dashboard bar reaches completed; the member page shows the message', async () => {
    const org: Org = await createOrg(rig.hub.db);
    const eli = await insertMember(rig.hub.db, { firstName: 'Eli', lastName: 'Epost', workplaceId: org.workplaceId });
    const sindre = await insertMember(rig.hub.db, { firstName: 'Sindre', lastName: 'Sms', email: null, phone: '+4790011001', workplaceId: org.workplaceId });
    const ulf = await insertMember(rig.hub.db, { firstName: 'Ulf', lastName: 'Unåelig', email: null, phone: null, workplaceId: org.workplaceId });
    await insertMember(rig.hub.db, { firstName: 'Kontor', lastName: 'Kollega', workplaceId: org.otherWorkplaceId });

    const page = await b.newPage();
    await startWizard(page, 'Faste stillinger', ['email', 'sms']);
    // The count per channel follows the dropdowns: the employer (both workplaces), then one workplace.
    await page.getByLabel('Arbeidsgiver').selectOption(String(org.employerId));
    await count(page, 'total', 4);
    await count(page, 'email', 2);
    await count(page, 'sms', 1);
    await count(page, 'unreachable', 1);
    await page.getByLabel('Arbeidssted').selectOption(String(org.workplaceId));
    await count(page, 'total', 3);
    await count(page, 'email', 1);
    await count(page, 'sms', 1);
    await count(page, 'unreachable', 1);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-wizard-audience');

    // Content: the built-in campaign template uses {{links.action}}; the wizard asks for it.
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    const option = page.locator('#t-pick option', { hasText: 'Kampanje' }).first();
    await option.waitFor({ state: 'attached' });
    await page.getByLabel('Mal', { exact: true }).selectOption((await option.getAttribute('value'))!);
    await page.locator('#pv-sms-info').waitFor();
    expect(await page.locator('#pv-sms-info').textContent()).toMatch(/\d+ tegn · (GSM-7|UCS-2) · \d+ SMS-segment(er)?$/);
    expect(await page.locator('#pv-sms-text').textContent()).toContain('Hei Kari!');
    await page.frameLocator('#pv-email-desktop').locator('body').getByText(/Kari/).first().waitFor();
    await page.frameLocator('#pv-email-phone').locator('body').getByText(/Kari/).first().waitFor();
    const phoneFrame = await page.locator('#pv-email-phone').boundingBox();
    const desktopFrame = await page.locator('#pv-email-desktop').boundingBox();
    expect(phoneFrame!.width).toBeLessThan(desktopFrame!.width);
    const linkInput = page.getByLabel('Lenke «action»');
    await linkInput.waitFor();
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.locator('#wizard-error', { hasText: '«action»' }).waitFor();
    await linkInput.fill('https://forbund.example/faste-stillinger');
    await linkInput.press('Tab');
    // The preview now shows the campaign's link; only the campaign's channels are previewed (no letter).
    await page.locator('#pv-sms-text', { hasText: 'https://forbund.example/faste-stillinger' }).waitFor();
    expect(await page.locator('#pv-letter').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-wizard-content');

    // Test send to the user's own address (prefilled), through the SendGrid emulator.
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    const testTo = page.getByLabel(/E-postadresser og mobilnumre/);
    await until(async () => (await testTo.inputValue()) === comms.email, 10_000, 'own address prefilled');
    await page.getByRole('button', { name: 'Send test' }).click();
    await page.locator('#test-result', { hasText: `Testen er sendt til ${comms.email} (E-post)` }).waitFor();
    const test = rig.em.sendgrid.ledger.recent({ to: comms.email });
    expect(test).toHaveLength(1);
    expect(test[0].subject).toMatch(/^\[TEST\] /);
    expect(test[0].html).toContain('https://forbund.example/faste-stillinger');
    expect(await axeViolations(page)).toEqual([]);

    // Review: who, what, when, how many on each channel.
    await page.getByRole('button', { name: 'Neste: oppsummering' }).click();
    const review = (await page.locator('#review-list').innerText()).replace(/\s+/g, ' ');
    expect(review).toContain('Faste stillinger');
    expect(review).toMatch(/Arbeidssted: Verksted/);
    expect(review).toContain('Straks kampanjen startes');
    expect(review).toContain('3 i målgruppen: E-post 1, SMS 1, 1 kan ikke nås');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-wizard-review');

    await page.getByRole('button', { name: 'Neste: start' }).click();
    await page.getByRole('button', { name: 'Start kampanjen' }).click();
    const [launch] = await Promise.all([
      page.waitForResponse((r) => /\/api\/campaigns\/\d+\/launch$/.test(r.url())),
      page.getByRole('button', { name: /^Ja, start for \d+ mottakere$/ }).click(),
    ]);
    expect(launch.status()).toBe(200);
    await page.locator('#launch-result', { hasText: 'Kampanjen er startet' }).waitFor();
    const id = await campaignIdOf(page);
    const stored = await rig.hub.db.one('SELECT links, state FROM campaigns WHERE id = $1', [id]);
    expect(stored!.links).toEqual({ action: 'https://forbund.example/faste-stillinger' });

    // The dashboard: the bar of this campaign reaches completed.
    await page.goto(`${rig.url}/app`);
    const item = page.locator(`#campaign-${id}`);
    await item.locator('[data-state]', { hasText: 'Fullført' }).waitFor();
    await item.locator('[role=progressbar][aria-valuenow="100"]').waitFor();
    const n = async (k: string) => Number((await item.locator(`[data-count="${k}"] strong`).textContent())!.replace(/\s/g, ''));
    expect(await n('queued')).toBe(0);
    expect((await n('sent')) + (await n('delivered'))).toBe(2);
    expect(await n('skipped')).toBe(1);
    expect(Number(await item.locator('[data-count="total"]').textContent())).toBe(3);
    expect(rig.em.sendgrid.ledger.countFor(`${eli.memberNumber.toLowerCase()}@example.no`)).toBe(1);
    expect(rig.em.twilio.ledger.countFor('+4790011001')).toBe(1);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dashboard-campaign-completed');

    // The member pages: every message with channel, sending date and outcome.
    const today = new Intl.DateTimeFormat('nb-NO', { dateStyle: 'short', timeZone: 'Europe/Oslo' }).format(new Date());
    const history = async (memberNumber: string) => {
      await page.goto(`${rig.url}/app/members/${memberNumber}`);
      const row = page.locator(`#comm-table tbody tr[data-campaign="${id}"]`);
      await row.waitFor();
      return (await row.locator('td').allInnerTexts()).map((s) => s.trim());
    };
    const [sentAt, campaign, , channel, outcome] = await history(eli.memberNumber);
    expect(sentAt.startsWith(today)).toBe(true);
    expect(campaign).toBe('Faste stillinger');
    expect(channel).toBe('E-post');
    expect(outcome).toMatch(/^(Sendt|Levert)$/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'member-communications');
    const sms = await history(sindre.memberNumber);
    expect(sms[0].startsWith(today)).toBe(true);
    expect(sms[3]).toBe('SMS');
    expect(sms[4]).toMatch(/^(Sendt|Levert)$/);
    const skipped = await history(ulf.memberNumber);
    expect(skipped[0]).toMatch(/^Ikke sendt/);
    expect(skipped[4]).toBe('Hoppet over (mangler adresse)');
  });

  test('above the approval threshold the launch waits for a second user, who approves it in another browser', async () => {
    const org = await createOrg(rig.hub.db);
    for (let i = 0; i < THRESHOLD + 1; i++) await insertMember(rig.hub.db, { firstName: `Medlem${i}`, workplaceId: org.workplaceId });

    const page = await b.newPage();
    await startWizard(page, 'Stor utsending', ['email']);
    await page.getByLabel('Arbeidssted').selectOption(String(org.workplaceId));
    await count(page, 'total', THRESHOLD + 1);
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    // A message written here (no links: no link fields).
    await page.getByLabel('Emne').fill('Årsmøte i klubben');
    await page.getByLabel(/Innhold \(MJML/).fill('<mj-section>\n  <mj-column>\n    <mj-text><h1>Årsmøte</h1><p>Hei {{firstName}}, velkommen til årsmøtet.</p></mj-text>\n  </mj-column>\n</mj-section>');
    await page.getByRole('button', { name: 'Lagre og forhåndsvis' }).click();
    await page.frameLocator('#pv-email-desktop').getByRole('heading', { name: 'Årsmøte' }).waitFor();
    expect(await page.locator('#pv-subject').textContent()).toBe('Årsmøte i klubben');
    expect(await page.locator('#content-links').isHidden()).toBe(true);
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.getByRole('button', { name: 'Neste: oppsummering' }).click();
    await page.locator('#review-list').waitFor();
    await page.getByRole('button', { name: 'Neste: start' }).click();
    await page.getByRole('button', { name: 'Start kampanjen' }).click();
    const [launch] = await Promise.all([
      page.waitForResponse((r) => /\/api\/campaigns\/\d+\/launch$/.test(r.url())),
      page.getByRole('button', { name: /^Ja, start for \d+ mottakere$/ }).click(),
    ]);
    expect(launch.status()).toBe(202);
    expect((await launch.json()).approvalRequired).toBe(true);
    await page.locator('#launch-result.warn', { hasText: 'en annen bruker må godkjenne' }).waitFor();
    const id = await campaignIdOf(page);
    expect((await rig.hub.db.one('SELECT state FROM campaigns WHERE id = $1', [id]))!.state).toBe('draft');

    // The one who asked sees that it waits, and no approve button.
    await page.locator('#campaign-link').click();
    await page.locator('#campaign-state', { hasText: 'Venter på godkjenning' }).waitFor();
    expect(await page.locator('#approval-note').textContent()).toContain('En annen bruker');
    expect(await page.getByRole('button', { name: 'Godkjenn og start' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Start', exact: true }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-awaiting-approval');

    // A second user, in a browser context of their own, approves; it goes out.
    const other = await b.newPage();
    await signIn(other, rig.url, comms2, `/app/campaigns/${id}`);
    await other.locator('#approval-note', { hasText: 'Du kan godkjenne' }).waitFor();
    expect(await axeViolations(other)).toEqual([]);
    await screenshot(other, 'campaign-approve-second-user');
    // The approver sees the content (every channel and language), the audience in words with counts, a sample, and who asked.
    await other.locator('#review-requested', { hasText: 'Kari Kommunikasjon' }).waitFor();
    await other.locator('#review-content [data-subject="nb"]', { hasText: 'Årsmøte i klubben' }).waitFor();
    await other.frameLocator('#rc-email-nb iframe').getByRole('heading', { name: 'Årsmøte' }).waitFor();
    expect(await other.locator('#review-audience').innerText()).toContain('Arbeidssted er Verksted');
    expect(await other.locator('#review-counts').innerText()).toContain(`${THRESHOLD + 1} i målgruppen: E-post ${THRESHOLD + 1}`);
    expect(await other.locator('#review-sample li').count()).toBe(THRESHOLD + 1);
    expect(await axeViolations(other)).toEqual([]);
    await screenshot(other, 'campaign-approval-with-content-1280');
    await other.getByRole('button', { name: 'Godkjenn og start' }).click();
    const confirm = other.getByRole('dialog', { name: 'Bekreft' });
    await confirm.waitFor();
    expect(await confirm.innerText()).toContain(`til ${THRESHOLD + 1} mottakere`);
    await confirm.getByRole('button', { name: `Ja, godkjenn for ${THRESHOLD + 1} mottakere` }).click();
    await other.locator('#action-result', { hasText: 'Godkjent' }).waitFor();
    await other.locator('#approval-note', { hasText: 'Godkjent av Ola Omtanke' }).waitFor();
    await other.locator('#campaign-state', { hasText: 'Fullført' }).waitFor();
    await page.locator('#campaign-state', { hasText: 'Fullført' }).waitFor();
    const c = await rig.hub.db.one('SELECT approved_by, approval_requested_by, state FROM campaigns WHERE id = $1', [id]);
    expect(c).toEqual({ approved_by: comms2.id, approval_requested_by: comms.id, state: 'completed' });
    expect((await rig.hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND state IN ('sent', 'delivered')`, [id]))!.n).toBe(THRESHOLD + 1);
  });

  test('the campaign page on a phone: start, pause and resume by state, then it completes', async () => {
    const org = await createOrg(rig.hub.db);
    for (let i = 0; i < 2; i++) await insertMember(rig.hub.db, { firstName: `Pause${i}`, workplaceId: org.workplaceId });
    // Without workers the batches wait in the queue, so the campaign stays running long enough to pause.
    await rig.workers!.close();
    rig.workers = null;

    const page = await b.newPage({ width: 390, height: 844, mobile: true });
    await signIn(page, rig.url, comms, '/app');
    const version = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    const created = await page.evaluate(async (body) => {
      const csrf = document.querySelector('meta[name="csrf-token"]')!.getAttribute('content')!;
      const res = await fetch('/api/campaigns', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
      return { status: res.status, body: await res.json() };
    }, { name: 'Pausekampanje', category: 'campaign', channels: ['email'], templates: { email: version.id },
      audience: { all: [{ workplace: [org.workplaceId] }] }, links: { action: 'https://forbund.example/pause' } });
    expect(created.status).toBe(201);
    const id = created.body.id as number;

    await page.goto(`${rig.url}/app/campaigns/${id}`);
    await page.locator('#campaign-state', { hasText: 'Utkast' }).waitFor();
    const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
    expect(innerWidth).toBe(390);
    expect(scrollWidth).toBeLessThanOrEqual(390);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-detail-390-draft');

    await page.getByRole('button', { name: 'Start', exact: true }).click();
    await page.getByRole('button', { name: 'Ja, start for 2 mottakere' }).click();
    await page.locator('#campaign-state', { hasText: 'Sendes' }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.locator('#campaign-state', { hasText: 'Pauset' }).waitFor();
    await page.getByRole('button', { name: 'Fortsett' }).waitFor();
    expect(await page.getByRole('button', { name: 'Pause' }).count()).toBe(0);
    expect((await rig.hub.db.one('SELECT state FROM campaigns WHERE id = $1', [id]))!.state).toBe('paused');
    expect((await page.evaluate(() => document.documentElement.scrollWidth))).toBeLessThanOrEqual(390);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'campaign-detail-390-paused');

    await page.getByRole('button', { name: 'Fortsett' }).click();
    await page.locator('#campaign-state', { hasText: 'Sendes' }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await rig.startWorkers();
    await page.locator('#campaign-state', { hasText: 'Fullført' }).waitFor();
    expect(await page.locator('#campaign-actions button').count()).toBe(0);
    await screenshot(page, 'campaign-detail-390-completed');
    const audits = await rig.hub.db.many(`SELECT action FROM audit_log WHERE actor_user_id = $1 AND action LIKE 'campaign.%' AND (detail->>'campaignId')::int = $2 ORDER BY id`, [comms.id, id]);
    expect(audits.map((a) => a.action)).toEqual(['campaign.create', 'campaign.launch', 'campaign.pause', 'campaign.resume']);
  });
});
