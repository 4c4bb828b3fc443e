import { createTestHub, startApi, type TestHub } from '../helpers/hub';
import { createOrg, insertMember, type Org } from '../helpers/fixtures';
import { syncBuiltInTemplates } from '../../src/render';
import type * as OpenPGP from 'openpgp' with { 'resolution-mode': 'import' };
import { readFile } from 'node:fs/promises';
import { createStrike, createCommittee, addCommitteeMember, createPhase, moveStrike } from '../../src/strikes';
import { setPassword } from '../../src/web';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, PASSWORD, type TestBrowser } from './browser';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const openpgp: typeof OpenPGP = require('openpgp');

describe('strike pages in Chromium', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let b: TestBrowser;
  let org: Org;
  let comms: Awaited<ReturnType<typeof staffWithPassword>>;
  const members: { id: number; memberNumber: string }[] = [];

  beforeAll(async () => {
    t = await createTestHub();
    await syncBuiltInTemplates(t.hub);
    api = await startApi(t.hub);
    b = await launchBrowser();
    org = await createOrg(t.hub.db);
    comms = await staffWithPassword(t.hub, 'communications', { name: 'Kari Kommunikasjon' });
    for (let i = 0; i < 3; i++) members.push(await insertMember(t.hub.db, { workplaceId: org.workplaceId, agreementIds: [org.agreementId], phone: `+479400000${i}` }));
  });
  afterAll(async () => {
    await b?.close();
    await api?.close();
    await t?.close();
  });

  test('create a strike, add a phase and send its announcement; axe finds nothing', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, comms, '/app/strikes');
    await page.getByLabel('Navn', { exact: true }).fill('Streik ved verkstedet');
    await page.getByLabel('Meklingsfrist (valgfri)').fill('2026-05-24T23:59');
    await Promise.all([page.waitForURL(/\/app\/strikes\/\d+$/), page.getByRole('button', { name: 'Opprett streik' }).click()]);
    await page.locator('#strike-state', { hasText: 'Varslet' }).waitFor();
    expect(await page.locator('#mediation').innerText()).toBe('24.05.2026 23:59');
    expect(await axeViolations(page)).toEqual([]);

    await Promise.all([page.waitForURL(/\/app\/strikes\/\d+$/), page.getByRole('button', { name: 'Gå til «Plassoppsigelse»' }).click()]);
    await page.locator('#strike-state', { hasText: 'Plassoppsigelse' }).waitFor();
    const wp = await t.hub.db.one('SELECT name FROM workplaces WHERE id = $1', [org.workplaceId]);
    await page.getByLabel('Arbeidssteder som tas ut').selectOption({ label: wp!.name });
    await Promise.all([page.waitForURL(/\/app\/strikes\/\d+$/), page.getByRole('button', { name: 'Legg til uttak' }).click()]);
    await page.locator('#phases-table tbody tr').first().waitFor();
    expect((await page.locator('#phases-table tbody tr').first().innerText()).replace(/\s+/g, ' ')).toMatch(/^1 Uttak 1 .* 3 0 0$/);

    await page.getByLabel('Formål').selectOption('announcement');
    await page.locator('#m-phase').selectOption({ index: 1 });
    await page.getByLabel('Navn på meldingen').fill('Du er tatt ut i streik');
    await page.getByLabel('Mal').selectOption({ label: 'Melding om streik' });
    await page.getByLabel(/Lenke til streikesiden/).fill('https://forbund.example/streik');
    await Promise.all([page.waitForURL(/\/app\/strikes\/\d+$/), page.getByRole('button', { name: 'Send melding' }).click()]);
    await page.locator('#messages-table tbody tr', { hasText: 'Du er tatt ut i streik' }).waitFor();
    expect(await page.locator('#messages-table tbody tr').first().innerText()).toContain('Kunngjøring av uttak');
    const c = await t.hub.db.one(`SELECT category, strike_purpose, strike_phase_id IS NOT NULL AS phased FROM campaigns WHERE name = 'Du er tatt ut i streik'`);
    expect(c).toEqual({ category: 'strike', strike_purpose: 'announcement', phased: true });
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'strike');
  });

  test('a committee member keeps a guard list on the committee page; another committee is not found; axe finds nothing', async () => {
    const lead = (await t.hub.db.one('SELECT * FROM staff_users WHERE id = $1', [comms.id]))!;
    const staff = { id: Number(lead.id), email: lead.email, name: lead.name, role: 'communications' as const, memberId: null };
    const s = await createStrike(t.hub, staff, { name: 'Streik med komité', agreementId: org.agreementId });
    const own = await createCommittee(t.hub, staff, s.id, { name: 'Streikekomiteen i Oslo', location: 'Oslo' });
    const other = await createCommittee(t.hub, staff, s.id, { name: 'Streikekomiteen i Bergen', location: 'Bergen' });
    const withMember = await addCommitteeMember(t.hub, staff, own.id, { name: 'Siv Komité', email: 'siv@komite.example' });
    await setPassword(t.hub.db, withMember.members[0].id, PASSWORD);

    const page = await b.newPage();
    await signIn(page, api.url, { email: 'siv@komite.example', password: PASSWORD }, '/app/committees');
    await Promise.all([page.waitForURL(/\/app\/committees\/\d+$/), page.getByRole('link', { name: 'Streikekomiteen i Oslo' }).click()]);
    await page.getByLabel('Navn', { exact: true }).fill('Vidar Vakt');
    await page.getByLabel('Telefon').fill('400 00 001');
    await page.getByLabel(/samtykker/).check();
    await Promise.all([page.waitForURL(/\/app\/committees\/\d+$/), page.getByRole('button', { name: 'Legg til vakt' }).click()]);
    await page.locator('#guards-table tbody tr', { hasText: 'Vidar Vakt' }).waitFor();
    expect(await page.locator('#guards-table tbody tr').first().innerText()).toContain('+4740000001');

    await page.locator('#sh-place').fill('Hovedinngangen');
    await page.locator('#sh-start').fill('2026-05-25T06:00');
    await page.locator('#sh-end').fill('2026-05-25T10:00');
    await page.locator('#sh-guard').selectOption({ label: 'Vidar Vakt' });
    await Promise.all([page.waitForURL(/\/app\/committees\/\d+$/), page.getByRole('button', { name: 'Legg til', exact: true }).click()]);
    await page.locator('#shifts-table tbody tr', { hasText: 'Hovedinngangen' }).waitFor();
    expect((await page.locator('#shifts-table tbody tr').first().innerText()).replace(/\s+/g, ' ')).toContain('25.05.2026 06:00 25.05.2026 10:00 Vidar Vakt');
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'strike-committee');

    const res = await page.goto(`${api.url}/app/committees/${other.id}`);
    expect(res!.status()).toBe(404);
    expect(await page.content()).not.toContain('Streikekomiteen i Bergen');
    const lead2 = await page.goto(`${api.url}/app/strikes/${s.id}`);
    expect(lead2!.status()).toBe(403);
  });

  test('staff take a member back in from the strike page, and the next encrypted list marks them and opens only with the employer\'s key', async () => {
    const lead = (await t.hub.db.one('SELECT * FROM staff_users WHERE id = $1', [comms.id]))!;
    const staff = { id: Number(lead.id), email: lead.email, name: lead.name, role: 'communications' as const, memberId: null };
    const s = await createStrike(t.hub, staff, { name: 'Streik med tilbaketaking', agreementId: org.agreementId });
    await moveStrike(t.hub, staff, s.id, 'notice_given');
    await createPhase(t.hub, staff, s.id, { name: 'Første uttak', startsAt: t.hub.clock.now(), selection: { workplace: [org.workplaceId] } });
    const employer = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Arbeidsgiver', email: 'hr@arbeidsgiver.example' }], format: 'armored' });

    const page = await b.newPage();
    await signIn(page, api.url, comms, `/app/strikes/${s.id}`);
    // A first list, so the next one can mark who was taken back.
    await page.locator('#x-which').selectOption({ index: 0 });
    const [first] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Last ned liste' }).click()]);
    expect(await readFile((await first.path())!, 'utf8')).toContain(members[0].memberNumber);

    await page.getByLabel('Medlemsnumre som tas inn igjen').fill(`${members[0].memberNumber}\n`);
    await Promise.all([page.waitForURL(/takenBack=1$/), page.getByRole('button', { name: 'Ta inn igjen' }).click()]);
    expect(await page.locator('#take-back-result').innerText()).toBe('1 medlemmer ble tatt inn igjen.');
    expect((await page.locator('#phases-table tbody tr').first().innerText()).replace(/\s+/g, ' ')).toMatch(/ 3 1 0$/);
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'strike-take-back');

    await page.locator('#x-which').selectOption({ index: 0 });
    await page.getByLabel('Kryptert til arbeidsgiverens OpenPGP-nøkkel').check();
    await page.getByLabel(/offentlige OpenPGP-nøkkel/).fill(employer.publicKey);
    const [enc] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Last ned liste' }).click()]);
    const armored = await readFile((await enc.path())!, 'utf8');
    expect(armored).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    expect(armored).not.toContain(members[1].memberNumber);
    const { data } = await openpgp.decrypt({ message: await openpgp.readMessage({ armoredMessage: armored }), decryptionKeys: await openpgp.readPrivateKey({ armoredKey: employer.privateKey }), format: 'binary' });
    const csv = Buffer.from(data as Uint8Array).toString('utf8');
    expect(csv).toContain(members[1].memberNumber);
    expect(csv.split(/\r\n/).find((l) => l.includes(members[0].memberNumber))).toMatch(/ikke lenger|tatt inn/i);
    const audited = await t.hub.db.many(`SELECT row_count, detail->>'format' AS format FROM audit_log WHERE action = 'strike.export' AND (detail->>'strikeId')::int = $1 ORDER BY id`, [s.id]);
    expect(audited.map((a) => a.format)).toEqual(['csv', 'pgp']);
    await page.goto(`${api.url}/app/strikes/${s.id}`);
    expect((await page.locator('#exports-table tbody').innerText())).toContain('Kryptert');
  });

  test('a strike form with a missing or malformed field is refused with 400 naming the field in Norwegian, and nothing is made', async () => {
    const page = await b.newPage();
    await signIn(page, api.url, comms, '/app/strikes');
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const before = (await t.hub.db.one('SELECT count(*)::int AS n FROM strikes'))!.n;
    const bad = await page.request.post(`${api.url}/app/strikes`, { form: { _csrf: csrf, name: '', agreementId: 'x', mediationDeadline: 'i morgen' }, maxRedirects: 0 });
    expect(bad.status()).toBe(400);
    const body = await bad.text();
    for (const message of ['Navn mangler', 'Tariffavtale må være et tall', 'Meklingsfrist har feil format']) expect(body).toContain(message);
    const extra = await page.request.post(`${api.url}/app/strikes`, { form: { _csrf: csrf, name: 'Streik', agreementId: String(org.agreementId), state: 'on_strike' }, maxRedirects: 0 });
    expect(extra.status()).toBe(400);
    expect(await extra.text()).toContain('state hører ikke til skjemaet');
    expect((await t.hub.db.one('SELECT count(*)::int AS n FROM strikes'))!.n).toBe(before);
  });
});
