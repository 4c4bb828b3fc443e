import type { Page } from 'playwright-core';
import { campaignRig, until, type CampaignRig } from '../helpers/campaign';
import { staffWithToken } from '../helpers/hub';
import { seedDemoUnion } from '../../src/demo/seed';
import { VOCABULARY } from '../../src/vocabulary';
import { launchBrowser, signIn, staffWithPassword, type TestBrowser } from './browser';

/**
 * No staff page shows a raw enumeration code where the vocabulary (or the category table) has a
 * name for it (issue 12: "categories and states are shown by their names"). On the demo union
 * (a small one) with campaigns in seven states (draft, cancelled, scheduled, awaiting approval, running,
 * paused, completed with a print run), a ballot, the demo strike and its committee, an
 * admin visits every staff page under /app and the wizard's steps; the visible text
 * (document.body.innerText) and every option's text must not contain a code as a whole word.
 * Not visited: /app/queues (Bull Board, a third-party admin tool in English that shows BullMQ's own
 * job states) and /dev/outbox (development only), and the sign-in pages (no data on them).
 */

/**
 * Codes that are also ordinary words of the visible text, or whose label is the code itself: a
 * match could not tell a raw code from the name, so they are not scanned.
 */
const NOT_SCANNED = new Set([
  'nb', 'nn', 'en', // language codes: «en» is the Norwegian article (and codes of two letters are not scanned at all)
  'student', // membership category: its label «Student» is the word itself, and «student» is a Norwegian word
  'import', // consent source: its label «Import» is the same word, and «import» is Norwegian («siste import»)
  'test', // campaign kind (label «Testutsending»): «test» is a Norwegian word («Send test»)
]);

/**
 * Places where a code is shown on purpose, each with why (a page path pattern and the code).
 * Keep this short: everything else must be named.
 */
const ALLOWED: { page: RegExp; code: string; why: string }[] = [
  // The category page shows each category's code beside its name in a monospace cell: the code is
  // what the API, the audience filter and the import use, and staff writing API calls need it.
  ...['service', 'ballot', 'strike', 'representative', 'course', 'newsletter', 'magazine', 'campaign', 'survey', 'benefits']
    .map((code) => ({ page: /^\/app\/categories$/, code, why: 'category code column (teknisk)' })),
];

interface Visit { path: string; text: string }

async function visibleText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const options = Array.from(document.querySelectorAll('option')).map((o) => o.textContent ?? '');
    return `${document.body.innerText}\n${options.join('\n')}`;
  });
}

/** Each code found as a whole word (letters, digits, _ and . joined), with a little context. */
function rawCodes(text: string, codes: string[]): { code: string; context: string }[] {
  const found: { code: string; context: string }[] = [];
  for (const code of codes) {
    const esc = code.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(?<![\\p{L}\\p{N}_.@/-])${esc}(?![\\p{L}\\p{N}_@-]|\\.[\\p{L}\\p{N}])`, 'gu');
    for (const m of text.matchAll(re)) {
      const at = m.index ?? 0;
      found.push({ code, context: text.slice(Math.max(0, at - 40), at + code.length + 40).replace(/\s+/g, ' ') });
      break;
    }
  }
  return found;
}

describe('staff pages show names, not codes (Chromium)', () => {
  let rig: CampaignRig;
  let b: TestBrowser;
  let admin: Awaited<ReturnType<typeof staffWithPassword>>;
  let codes: string[];
  const ids: Record<string, number | string> = {};

  beforeAll(async () => {
    rig = await campaignRig({ env: { APPROVAL_THRESHOLD: '40' } });
    b = await launchBrowser();
    const seeded = await seedDemoUnion(rig.hub, { members: 120 });
    expect(seeded.seeded).toBe(true);
    admin = await staffWithPassword(rig.hub, 'admin', { email: 'skann-admin@budstikke.example', name: 'Sigrid Skanner' });
    const comms = await staffWithToken(rig.hub, 'communications', { email: 'skann-komm@budstikke.example' });
    await rig.hub.db.query(`UPDATE staff_users SET name = 'Kari Kommunikasjon' WHERE id = $1`, [comms.staff.id]);
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${rig.url}${path}`, { method, headers: { ...comms.auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const json: any = await res.json().catch(() => null);
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const categories = (await rig.hub.db.many('SELECT code FROM message_categories')).map((r) => r.code as string);
    codes = [...new Set([...categories, ...Object.values(VOCABULARY).flatMap((v) => Object.keys(v))])]
      .filter((c) => !NOT_SCANNED.has(c)).filter((c) => c.length > 2);

    const content = { subject: 'Nytt fra forbundet', mjml: '<mj-section><mj-column><mj-text><p>Hei {{firstName}}.</p></mj-text></mj-column></mj-section>', sms: 'Hei {{firstName}}.', letter: '# Nytt\n\nHei {{firstName}}.' };
    const version = (await call('POST', '/api/templates', { key: 'skann-kampanje', name: 'Skann kampanje', category: 'campaign', languages: { nb: content } })).version.id;
    const newsletter = (await call('POST', '/api/templates', { key: 'skann-nyhetsbrev', name: 'Skann nyhetsbrev', category: 'newsletter', languages: { nb: { ...content, sms: null, letter: null } } })).version.id;
    const members = (await rig.hub.db.many(`SELECT member_number FROM members WHERE status = 'active' ORDER BY member_number LIMIT 6`)).map((r) => r.member_number as string);
    // Two of them only by letter, so the completed campaign has a print run.
    await rig.hub.db.query('UPDATE members SET email = NULL, phone = NULL WHERE member_number = ANY($1::text[])', [members.slice(4)]);
    const make = async (name: string, audience: unknown, channels = ['email', 'sms', 'letter'], category = 'campaign') => {
      const tv = category === 'newsletter' ? newsletter : version;
      const c = await call('POST', '/api/campaigns', { name, category, channels, templates: Object.fromEntries(channels.map((ch) => [ch, tv])), audience });
      return (c.campaign?.id ?? c.id) as number;
    };
    ids.draft = await make('Skann utkast', { memberNumbers: members }, ['email'], 'newsletter');
    ids.cancelled = await make('Skann avbrutt', { memberNumbers: members });
    await call('POST', `/api/campaigns/${ids.cancelled}/cancel`, {});
    ids.scheduled = await make('Skann planlagt', { memberNumbers: members });
    await call('PATCH', `/api/campaigns/${ids.scheduled}`, { sendAt: new Date(Date.now() + 7 * 86400_000).toISOString() });
    await call('POST', `/api/campaigns/${ids.scheduled}/launch`, { idempotencyKey: 'skann-planlagt-1' });
    ids.approval = await make('Skann til godkjenning', { status: ['active'] }, ['email'], 'newsletter');
    await call('POST', `/api/campaigns/${ids.approval}/launch`, { idempotencyKey: 'skann-godkjenning-1' });
    ids.completed = await make('Skann fullført', { memberNumbers: members });
    await call('POST', `/api/campaigns/${ids.completed}/launch`, { idempotencyKey: 'skann-fullfort-1' });
    await until(async () => (await rig.hub.db.one('SELECT state FROM campaigns WHERE id = $1', [ids.completed]))!.state === 'completed', 120_000, 'the campaign completes');
    await until(async () => (await rig.hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1 AND state IN ('queued', 'sending')`, [ids.completed]))!.n === 0, 60_000, 'no row left queued');

    // Running and paused: with the workers stopped, a launched campaign stays running (its snapshot job waits).
    await rig.workers!.close();
    rig.workers = null;
    ids.running = await make('Skann sendes', { memberNumbers: members });
    await call('POST', `/api/campaigns/${ids.running}/launch`, { idempotencyKey: 'skann-sendes-1' });
    ids.paused = await make('Skann pauset', { memberNumbers: members });
    await call('POST', `/api/campaigns/${ids.paused}/launch`, { idempotencyKey: 'skann-pauset-1' });
    await call('POST', `/api/campaigns/${ids.paused}/pause`, {});

    const agreement = (await rig.hub.db.one('SELECT code FROM agreements ORDER BY code LIMIT 1'))!.code;
    await call('POST', '/api/ballots', { title: 'Skann lønnsoppgjøret', agreements: [agreement], opensAt: '2027-02-10T09:00', closesAt: '2027-02-20T12:00', votingUrl: 'https://valg.example/v' });
    ids.member = members[0];
    ids.strike = (await rig.hub.db.one('SELECT id FROM strikes ORDER BY id LIMIT 1'))!.id;
    ids.committee = (await rig.hub.db.one('SELECT id FROM strike_committees ORDER BY id LIMIT 1'))!.id;
  });
  afterAll(async () => { await b?.close(); await rig?.close(); });

  test('the scan finds a category code shown instead of its name (the check can fail)', () => {
    expect(rawCodes('Kampanje · newsletter · E-post', codes).map((f) => f.code)).toEqual(['newsletter']);
    expect(rawCodes('Status: in_doubt', codes).map((f) => f.code)).toEqual(['in_doubt']);
    expect(rawCodes('Nyhetsbrev · E-post · Uvisst om sendt · ola.campaign@example.org', codes)).toEqual([]);
  });

  test('no staff page under /app shows an enumeration code where a name exists', async () => {
    const page = await b.newPage();
    await signIn(page, rig.url, admin, '/app');
    const visits: Visit[] = [];
    const visit = async (path: string, ready: (p: Page) => Promise<unknown>) => {
      await page.goto(`${rig.url}${path}`);
      await ready(page);
      visits.push({ path: new URL(page.url()).pathname, text: await visibleText(page) });
    };
    const gone = (sel: string) => (p: Page) => p.locator(sel, { hasText: 'Henter …' }).waitFor({ state: 'detached' });

    await visit('/app', async (p) => { await gone('#campaign-list')(p); await p.locator('#campaign-list', { hasText: 'Skann fullført' }).waitFor(); });
    for (const key of ['draft', 'cancelled', 'scheduled', 'approval', 'running', 'paused', 'completed']) {
      await visit(`/app/campaigns/${ids[key]}`, async (p) => {
        await p.locator('#campaign-detail h1', { hasText: /^Skann/ }).waitFor();
        if (key === 'completed') await p.locator('#print-run-table tbody tr').first().waitFor();
      });
    }
    await visit('/app/ballots', (p) => p.locator('#ballot-list', { hasText: 'Skann lønnsoppgjøret' }).waitFor());
    await visit('/app/categories', (p) => p.locator('#category-table').waitFor());
    await visit('/app/imports', (p) => p.locator('#import-form').waitFor());
    await visit('/app/users', (p) => p.locator('#user-list table').waitFor());
    await visit('/app/members?q=a', (p) => p.locator('#members-table').waitFor());
    await visit(`/app/members/${ids.member}`, (p) => p.locator('h1').first().waitFor());
    await visit('/app/audit', (p) => p.locator('h1').first().waitFor());
    await visit('/app/strikes', (p) => p.locator('#strikes-table').waitFor());
    await visit(`/app/strikes/${ids.strike}`, (p) => p.locator('h1').first().waitFor());
    await visit(`/app/committees/${ids.committee}`, (p) => p.locator('h1').first().waitFor());
    await visit('/app/2fa', (p) => p.locator('h1').first().waitFor());

    // The wizard, step by step, with the template picked (its preview and review are filled by the page).
    await visit('/app/campaigns/new', (p) => p.locator('body[data-wizard-ready="1"]').waitFor({ state: 'attached' }));
    await page.getByLabel('Navn på kampanjen').fill('Skann veiviser');
    await page.getByLabel('Meldingskategori').selectOption('newsletter');
    await page.getByLabel('Første kanal').selectOption('email');
    await page.locator('#audience-count', { hasText: /\d/ }).waitFor();
    visits.push({ path: '/app/campaigns/new#1', text: await visibleText(page) });
    await page.getByRole('button', { name: 'Neste: innhold' }).click();
    const option = page.locator('#t-pick option', { hasText: 'Skann nyhetsbrev' });
    await option.waitFor({ state: 'attached' });
    await page.getByLabel('Mal', { exact: true }).selectOption((await option.getAttribute('value'))!);
    await page.locator('#pv-subject').waitFor();
    visits.push({ path: '/app/campaigns/new#2', text: await visibleText(page) });
    await page.getByRole('button', { name: 'Neste: tidspunkt' }).click();
    await page.locator('section.step[data-step="3"]:not([hidden])').waitFor();
    visits.push({ path: '/app/campaigns/new#3', text: await visibleText(page) });
    await page.getByRole('button', { name: 'Neste: oppsummering' }).click();
    await page.locator('section.step[data-step="4"]:not([hidden]) #review', { hasText: /\d/ }).waitFor();
    visits.push({ path: '/app/campaigns/new#4', text: await visibleText(page) });
    await page.getByRole('button', { name: 'Neste: start' }).click();
    await page.locator('section.step[data-step="5"]:not([hidden])').waitFor();
    visits.push({ path: '/app/campaigns/new#5', text: await visibleText(page) });

    const used = new Set<(typeof ALLOWED)[number]>();
    const found = visits.flatMap((v) => rawCodes(v.text, codes)
      .filter((f) => {
        const allowed = ALLOWED.find((a) => a.code === f.code && a.page.test(v.path));
        if (allowed) used.add(allowed);
        return !allowed;
      })
      .map((f) => `${v.path}: «${f.code}» … ${f.context} …`));
    expect(found).toEqual([]);
    expect(visits.length).toBeGreaterThanOrEqual(24);
    // Every allowed place is still there (an entry nothing needs any more is taken out of the list).
    expect(ALLOWED.filter((a) => !used.has(a)).map((a) => `${a.page} ${a.code}`)).toEqual([]);
  });

  test('an unknown id on a staff page is a 404 page in Norwegian (campaigns, members, strikes, committees, ballots)', async () => {
    const page = await b.newPage();
    await signIn(page, rig.url, admin, '/app');
    const pages: [string, RegExp][] = [
      ['/app/campaigns/999999', /^Fant ikke kampanjen$/],
      ['/app/members/FINNES-IKKE-1', /^Fant ikke medlemmet$/],
      ['/app/strikes/999999', /^Fant ikke siden$/],
      ['/app/strikes/ikke-et-tall', /^Fant ikke siden$/],
      ['/app/committees/999999', /^Fant ikke siden$/],
      ['/app/ballots/999999', /^Fant ikke siden$/],
    ];
    const seen: string[] = [];
    for (const [p, heading] of pages) {
      const res = await page.goto(`${rig.url}${p}`);
      const h1 = (await page.locator('h1').first().innerText()).trim();
      const text = await page.locator('main').innerText().catch(() => page.locator('body').innerText());
      seen.push(`${p} ${res?.status()} ${heading.test(h1) ? 'ok' : h1} ${/\b(No|Not found|not found)\b/.test(text) ? 'english' : 'nb'}`);
    }
    expect(seen).toEqual(pages.map(([p]) => `${p} 404 ok nb`));
    // The strike's own 404 names what was not found.
    await page.goto(`${rig.url}/app/strikes/999999`);
    await expect(page.locator('body').innerText()).resolves.toContain('Fant ingen streik 999999.');
  });
});
