import fs from 'node:fs';
import { createTestHub, startApi, type TestHub } from '../helpers/hub';
import { createOrg, insertMember, type Org } from '../helpers/fixtures';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';

/**
 * The staff member page: access export (HTML and JSON, audited), erasure for admins behind a
 * confirmation that names the member, the preferred channel, and the communication history as
 * one timeline (send log and consent ledger, newest first, in Norwegian).
 */

describe('the member page in Chromium', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let b: TestBrowser;
  let org: Org;
  let admin: Awaited<ReturnType<typeof staffWithPassword>>;
  let comms: Awaited<ReturnType<typeof staffWithPassword>>;
  let rep: Awaited<ReturnType<typeof staffWithPassword>>;
  let ola: { id: number; memberNumber: string };

  beforeAll(async () => {
    t = await createTestHub();
    api = await startApi(t.hub);
    b = await launchBrowser();
    org = await createOrg(t.hub.db);
    admin = await staffWithPassword(t.hub, 'admin', { name: 'Ada Admin' });
    comms = await staffWithPassword(t.hub, 'communications', { name: 'Kari Kommunikasjon' });
    const repMember = await insertMember(t.hub.db, { firstName: 'Tora', lastName: 'Tillitsvalgt', workplaceId: org.workplaceId, branchId: org.otherBranchId });
    await t.hub.db.query(`INSERT INTO member_roles (member_id, role, workplace_id, starts_on) VALUES ($1, 'shop_steward', $2, '2020-01-01')`, [repMember.id, org.workplaceId]);
    rep = await staffWithPassword(t.hub, 'representative', { memberId: repMember.id, name: 'Tora Tillitsvalgt' });
    ola = await insertMember(t.hub.db, { firstName: 'Ola', lastName: 'Ås', phone: '+4791234567', workplaceId: org.workplaceId, branchId: org.otherBranchId });
    await t.hub.db.query(`INSERT INTO member_channel_preferences (member_id, channel) VALUES ($1, 'sms')`, [ola.id]);
    // History: an email delivered two days ago, an SMS skipped yesterday, and (below, through the API) a reservation today.
    const c1 = await t.hub.db.one(`INSERT INTO campaigns (name, category, channels, state) VALUES ('Lønnsoppgjøret', 'newsletter', ARRAY['email'], 'completed') RETURNING id`);
    const c2 = await t.hub.db.one(`INSERT INTO campaigns (name, category, channels, state) VALUES ('Kurs i forhandling', 'course', ARRAY['sms'], 'completed') RETURNING id`);
    await t.hub.db.query(`INSERT INTO send_log (campaign_id, member_id, channel, state, sent_at, created_at) VALUES ($1, $2, 'email', 'delivered', now() - interval '2 days', now() - interval '2 days')`, [c1!.id, ola.id]);
    await t.hub.db.query(`INSERT INTO send_log (campaign_id, member_id, channel, state, reason, created_at) VALUES ($1, $2, 'sms', 'skipped', 'suppressed', now() - interval '1 day')`, [c2!.id, ola.id]);
  });

  afterAll(async () => {
    await b?.close();
    await api?.close();
    await t?.close();
  });

  test('the timeline shows sends and consent changes newest first, with names and states in Norwegian; the preferred channel is shown', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, comms, `/app/members/${ola.memberNumber}`);
    // A reservation on the member's behalf, through the page's own form.
    await page.getByText('Registrer endring på vegne av medlemmet').click();
    await page.getByLabel('Kategori').selectOption({ label: 'Nyhetsbrev' });
    await page.getByLabel('Kanal').selectOption({ label: 'E-post' });
    await page.getByLabel('Begrunnelse (telefon, brev …)').fill('Ringte inn 1. desember');
    await page.getByRole('button', { name: 'Lagre endring' }).click();
    await page.locator('#comm-table tbody tr[data-kind="consent"]').waitFor();

    const rows = await page.locator('#comm-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
      kind: (tr as HTMLElement).dataset.kind, cells: Array.from(tr.querySelectorAll('td'), (td) => (td.textContent ?? '').trim()),
    })));
    expect(rows.map((r) => r.kind)).toEqual(['consent', 'message', 'message']);
    expect(rows[0].cells.slice(2)).toEqual(['Nyhetsbrev', 'E-post', 'Reservert']);
    expect(rows[0].cells[1]).toContain('Reservasjon via ansatt');
    expect(rows[1].cells.slice(1)).toEqual(['Kurs i forhandling', 'Kurs og arrangementer du er meldt på', 'SMS', 'Hoppet over (sperret (avvist eller STOPP))']);
    expect(rows[2].cells.slice(1)).toEqual(['Lønnsoppgjøret', 'Nyhetsbrev', 'E-post', 'Levert']);
    const table = (await page.locator('#comm-table').textContent())!;
    for (const code of ['newsletter', 'course', 'delivered', 'skipped', 'suppressed', 'staff']) expect(table).not.toContain(code);
    await expect(page.locator('dl.facts div', { hasText: 'Foretrukket kanal' }).locator('dd').textContent()).resolves.toBe('SMS');
    // Communications staff may export but not erase.
    expect(await page.locator('#export-html').count()).toBe(1);
    expect(await page.locator('#erase-form').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'member-timeline-1280');
  });

  test('the access export downloads as HTML and as JSON, and each download is audited', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, comms, `/app/members/${ola.memberNumber}`);
    const [html] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Last ned innsyn (HTML)' }).click()]);
    expect(html.suggestedFilename()).toBe(`innsyn-${ola.memberNumber}.html`);
    expect(fs.readFileSync((await html.path())!, 'utf8')).toContain('Ås');
    const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Last ned innsyn (JSON)' }).click()]);
    expect(json.suggestedFilename()).toBe(`innsyn-${ola.memberNumber}.json`);
    const doc = JSON.parse(fs.readFileSync((await json.path())!, 'utf8'));
    expect(JSON.stringify(doc)).toContain(ola.memberNumber);
    const audits = await t.hub.db.many(`SELECT detail->>'format' AS format FROM audit_log WHERE action = 'member.export' AND member_id = $1 AND actor_user_id = $2 ORDER BY id`, [ola.id, comms.id]);
    expect(audits.map((a) => a.format)).toEqual(['html', 'json']);
  });

  test('a representative sees their own member without export or erasure, and not a resigned member', async () => {
    const resigned = await insertMember(t.hub.db, { firstName: 'Ulla', lastName: 'Utmeldt', status: 'resigned', workplaceId: org.workplaceId, branchId: org.otherBranchId });
    const page = await b.newPage();
    await signIn(page, api.url, rep, `/app/members/${ola.memberNumber}`);
    await page.locator('#comm-table').waitFor();
    expect(await page.locator('#export-html').count()).toBe(0);
    expect(await page.locator('#erase-form').count()).toBe(0);
    const res = await page.goto(`${api.url}/app/members/${resigned.memberNumber}`);
    expect(res!.status()).toBe(404);
  });

  test('erasure: admins only, the button stays disabled until the member number or name is typed, then the member is gone', async () => {
    const eva = await insertMember(t.hub.db, { firstName: 'Eva', lastName: 'Eriksen', email: 'eva.eriksen@example.no' });
    const page = await b.newPage({ width: 390, height: 844, mobile: true });
    await signIn(page, api.url, admin, `/app/members/${eva.memberNumber}`);
    await page.locator('#comm-table, #communications p').first().waitFor();
    await page.getByText('Slett medlemmet').click();
    const button = page.getByRole('button', { name: 'Slett Eva Eriksen for godt' });
    await page.getByLabel('Begrunnelse (for eksempel').fill('Ba om sletting på e-post');
    expect(await button.isDisabled()).toBe(true);
    await page.getByLabel(/Skriv medlemsnummeret/).fill('Eva');
    expect(await button.isDisabled()).toBe(true);
    await page.getByLabel(/Skriv medlemsnummeret/).fill('  eva   ERIKSEN ');
    expect(await button.isDisabled()).toBe(false);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'member-erase-390');
    // A double click erases once.
    await button.dblclick();
    await page.locator('#erase-done').waitFor();
    await screenshot(page, 'member-erased-390');
    const row = await t.hub.db.one('SELECT first_name, email FROM members WHERE id = $1', [eva.id]);
    expect(row?.first_name ?? null).not.toBe('Eva');
    expect(row?.email ?? null).toBeNull();
    const erased = await t.hub.db.many(`SELECT actor_user_id, detail->>'reason' AS reason FROM audit_log WHERE action = 'member.erase' AND detail->>'memberNumber' = $1`, [eva.memberNumber]);
    expect(erased).toEqual([{ actor_user_id: admin.id, reason: 'Ba om sletting på e-post' }]);
  });
});
