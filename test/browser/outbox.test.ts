import { loadConfig } from '../../src/config';
import { registerOutbox } from '../../src/web/outbox';
import { loadLatestVersionByKey } from '../../src/render';
import { createCampaign, startCampaign, loadCampaign } from '../../src/campaigns';
import { campaignRig, until, type CampaignRig } from '../helpers/campaign';
import { insertMember } from '../helpers/fixtures';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';

/**
 * The dev outbox: a newsletter campaign's email as the SendGrid emulator accepted it, shown as the
 * member sees it; the member opens its unsubscribe link, leaves with one click, and the next
 * newsletter campaign skips them.
 */

const LINKS = { read: 'https://forbund.example/nyhetsbrev' };

describe('dev outbox', () => {
  let rig: CampaignRig;
  let b: TestBrowser;

  beforeAll(async () => {
    rig = await campaignRig();
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await rig?.close();
  });

  async function newsletter(name: string, memberNumbers: string[]): Promise<number> {
    const v = await loadLatestVersionByKey(rig.hub.db, 'newsletter');
    const c = await createCampaign(rig.hub, null, {
      name, category: 'newsletter', channels: ['email'], templates: { email: v.id }, audience: { memberNumbers }, links: LINKS,
    });
    await startCampaign(rig.hub, c.id);
    await until(async () => (await loadCampaign(rig.hub.db, c.id)).state === 'completed', 30_000, `${name} completed`);
    return c.id;
  }

  test('a member unsubscribes from the outbox with one click, and the next newsletter skips them', async () => {
    const m = await insertMember(rig.hub.db, { firstName: 'Marit', lastName: 'Mottaker', email: 'marit.mottaker@example.no' });
    const other = await insertMember(rig.hub.db, { firstName: 'Odd', lastName: 'Annen', email: 'odd.annen@example.no' });
    await newsletter('Nyhetsbrev mai', [m.memberNumber, other.memberNumber]);

    const staff = await staffWithPassword(rig.hub, 'admin');
    const page = await b.newPage();
    await signIn(page, rig.url, staff, '/dev/outbox');
    const frame = page.frameLocator('iframe[title^="E-post til marit.mottaker@example.no"]');
    await frame.getByText('Marit', { exact: false }).first().waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dev-outbox');

    const mine = page.locator('article.outbox-msg', { has: page.locator('iframe[title^="E-post til marit.mottaker@example.no"]') });
    const link = mine.locator('a', { hasText: 'Meld av (lenken i meldingen)' }).first();
    const href = (await link.getAttribute('href'))!;
    expect(href).toMatch(/\/u\//);
    await Promise.all([page.waitForURL(/\/u\//), link.click()]);
    // Opening the link changes nothing.
    expect((await rig.hub.db.one('SELECT count(*)::int AS n FROM consent_events WHERE member_id = $1', [m.id]))!.n).toBe(0);
    await screenshot(page, 'unsubscribe-from-outbox');
    await Promise.all([page.waitForLoadState('load'), page.locator('form button[type=submit]').first().click()]);
    await until(async () => (await rig.hub.db.one(
      `SELECT granted FROM consent_state WHERE member_id = $1 AND category = 'newsletter' AND channel = 'email'`, [m.id]))?.granted === false, 10_000, 'the withdrawal');
    const events = await rig.hub.db.many('SELECT source FROM consent_events WHERE member_id = $1', [m.id]);
    expect(events).toEqual([{ source: 'unsubscribe_link' }]);

    const next = await newsletter('Nyhetsbrev juni', [m.memberNumber, other.memberNumber]);
    const log = await rig.hub.db.many(`SELECT member_id, state, reason FROM send_log WHERE campaign_id = $1 ORDER BY member_id`, [next]);
    expect(log.find((r) => r.member_id === m.id)).toMatchObject({ state: 'skipped', reason: 'opted_out' });
    expect(['sent', 'delivered']).toContain(log.find((r) => r.member_id === other.id)!.state);
    expect(rig.em.sendgrid.ledger.countFor('marit.mottaker@example.no')).toBe(1);
    expect(rig.em.sendgrid.ledger.countFor('odd.annen@example.no')).toBe(2);
  });

  test('the outbox is not served in production', async () => {
    const prod = loadConfig({ ...process.env, NODE_ENV: 'test' });
    const routes: string[] = [];
    const fakeApp = { get: (p: string) => routes.push(p) } as any;
    registerOutbox(fakeApp, { ...rig.hub, config: { ...prod, nodeEnv: 'production' } } as any);
    expect(routes).toEqual([]);
    registerOutbox(fakeApp, rig.hub);
    expect(routes).toEqual(['/dev/outbox']);
  });
});
