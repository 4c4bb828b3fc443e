import fs from 'node:fs';
import { createTestHub, startApi, staffWithToken, type TestHub } from '../helpers/hub';
import { insertMember } from '../helpers/fixtures';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';

/** The audit-log page (revisjonslogg): auditors filter it, page through it and export it as CSV, and the export is itself audited. */

describe('the audit page in Chromium', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let b: TestBrowser;
  let auditor: Awaited<ReturnType<typeof staffWithPassword>>;
  let comms: Awaited<ReturnType<typeof staffWithToken>>;
  let ola: { id: number; memberNumber: string };
  let kari: { id: number; memberNumber: string };

  beforeAll(async () => {
    t = await createTestHub();
    api = await startApi(t.hub);
    b = await launchBrowser();
    auditor = await staffWithPassword(t.hub, 'auditor', { name: 'Rita Revisor' });
    comms = await staffWithToken(t.hub, 'communications');
    ola = await insertMember(t.hub.db, { firstName: 'Ola', lastName: 'Ås' });
    kari = await insertMember(t.hub.db, { firstName: 'Kari', lastName: 'Øvrebø' });
    // Older background noise (60 system entries), so the real views are on page one and paging has something to page to.
    await t.hub.db.query(`INSERT INTO audit_log (at, actor, action, row_count) SELECT now() - interval '2 days', 'system:retention', 'retention.sweep', g FROM generate_series(1, 60) g`);
    // Communications staff look at both members through the API: real member.view entries.
    for (const m of [ola, kari]) {
      const r = await fetch(`${api.url}/api/members/${m.memberNumber}`, { headers: comms.auth });
      expect(r.status).toBe(200);
    }
  });

  afterAll(async () => {
    await b?.close();
    await api?.close();
    await t?.close();
  });

  const shownActions = (page: import('playwright-core').Page) => page.locator('#audit-table tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.action));

  test('filtering by action and by member number shows only the matching entries, with Norwegian action names', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, auditor, '/app/audit');
    await page.getByRole('heading', { level: 1, name: 'Revisjonslogg' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'audit-1280');

    await page.getByLabel('Handling').selectOption({ label: 'Så på medlem' });
    await Promise.all([page.waitForURL(/action=member\.view/), page.getByRole('button', { name: 'Filtrer' }).click()]);
    expect(await shownActions(page)).toEqual(['member.view', 'member.view']);
    const text = await page.locator('#audit-table').textContent();
    expect(text).toContain('Så på medlem');
    expect(text).not.toContain('member.view');
    expect(text).toContain(ola.memberNumber);
    expect(text).toContain(kari.memberNumber);

    await page.getByLabel('Medlemsnummer').fill(ola.memberNumber);
    await Promise.all([page.waitForURL(/memberNumber=/), page.getByRole('button', { name: 'Filtrer' }).click()]);
    const rows = await page.locator('#audit-table tbody tr').allTextContents();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(ola.memberNumber);
    expect(rows[0]).not.toContain(kari.memberNumber);
    // The form keeps its filter after the reload.
    expect(await page.getByLabel('Handling').inputValue()).toBe('member.view');
    expect(await page.getByLabel('Medlemsnummer').inputValue()).toBe(ola.memberNumber);
  });

  test('filtering by staff user shows only that user; a date range with no entries shows none', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, auditor, '/app/audit');
    await page.getByLabel('Utført av').selectOption(String(comms.staff.id));
    await Promise.all([page.waitForURL(/actorUserId=/), page.getByRole('button', { name: 'Filtrer' }).click()]);
    const actions = await shownActions(page);
    expect(actions.length).toBeGreaterThanOrEqual(2);
    expect(new Set(actions)).toEqual(new Set(['member.view']));

    await page.goto(`${api.url}/app/audit?from=2020-01-01&to=2020-01-31`);
    await expect(page.locator('#audit-count').textContent()).resolves.toBe('Ingen oppføringer.');
  });

  test('the CSV export downloads the filtered entries and is itself in the audit log', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, auditor, `/app/audit?action=member.view&memberNumber=${kari.memberNumber}`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Last ned CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^revisjonslogg-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('Tid,Utført av,Rolle,Handling,Handlingskode,Medlemsnr.,Antall rader,Detaljer');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('Så på medlem');
    expect(lines[1]).toContain(kari.memberNumber);

    const logged = await t.hub.db.one(`SELECT actor_user_id, member_id, detail FROM audit_log WHERE action = 'audit.export' ORDER BY id DESC LIMIT 1`);
    expect(logged).toMatchObject({ actor_user_id: auditor.id, member_id: kari.id, detail: { action: 'member.view', format: 'csv' } });
  });

  test('paging is by older entries: the next page starts below the last entry shown and links back to the newest', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, auditor, '/app/audit?action=retention.sweep');
    const first = await page.locator('#audit-table tbody tr td:nth-child(5)').allTextContents();
    expect(first).toHaveLength(50);
    await Promise.all([page.waitForURL(/before=/), page.getByRole('link', { name: 'Eldre oppføringer' }).click()]);
    const second = await page.locator('#audit-table tbody tr td:nth-child(5)').allTextContents();
    // Row counts 60..11 on the first page (newest first), 10..1 on the second: no entry twice, none lost.
    expect(first.map(Number)).toEqual(Array.from({ length: 50 }, (_, i) => 60 - i));
    expect(second.map(Number)).toEqual(Array.from({ length: 10 }, (_, i) => 10 - i));
    expect(await page.getByRole('link', { name: 'Eldre oppføringer' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Nyeste' }).waitFor();
  });

  test('at 390 px the page has no axe violations; communications staff are refused it', async () => {
    const page = await b.newPage({ width: 390, height: 844, mobile: true });
    await signIn(page, api.url, auditor, '/app/audit');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'audit-390');

    const res = await fetch(`${api.url}/api/audit/export.csv`, { headers: comms.auth });
    expect(res.status).toBe(403);
  });
});
