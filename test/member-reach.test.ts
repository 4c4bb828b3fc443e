import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { insertMember } from './helpers/fixtures';
import { preferencesUrl } from '../src/consent';
import { parseEnteredAddress, requestEntryLinks } from '../src/consent/entry';
import { grantNeedsConfirmation } from '../src/consent/pages';
import { ENTRY_LIMITS } from '../src/consent/entry-throttle';
import { requestLang } from '../src/consent/i18n';

let rig: CampaignRig;
beforeAll(async () => { rig = await campaignRig({ workers: false }); }, 120_000);
afterAll(async () => { await rig.close(); });

let clientSeq = 0;
/** Each test speaks from its own client address (trusted X-Forwarded-For from loopback), so the per-client limit is per test. */
const client = () => `198.51.100.${++clientSeq}`;
const form = (o: Record<string, string | string[]>) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) for (const x of ([] as string[]).concat(v)) p.append(k, x);
  return p;
};
const ask = (address: string, ip: string, extra: Record<string, string> = {}) => fetch(`${rig.url}/p`, {
  method: 'POST', body: form({ address, ...extra }), headers: { 'x-forwarded-for': ip },
});
const local = (url: string) => rig.url + new URL(url).pathname;
const mailTo = (email: string) => rig.em.sendgrid.ledger.recent({ to: email });
const smsTo = (phone: string) => rig.em.twilio.ledger.recent({ to: phone });
const linkIn = (text: string, kind: 'l' | 'c') => {
  const m = new RegExp(`https?://[^\\s"<]+/p/${kind}/[A-Za-z0-9_.-]+`).exec(text);
  if (!m) throw new Error(`no /p/${kind}/ link in: ${text}`);
  return m[0];
};
const events = (memberId: number) => rig.hub.db.many('SELECT category, channel, granted, source FROM consent_events WHERE member_id = $1 ORDER BY id', [memberId]);

/** Opens a one-time entry link (GET shows the button, POST uses it) and returns the session page's URL. */
async function openLink(link: string): Promise<string> {
  const g = await fetch(local(link));
  expect(g.status).toBe(200);
  const p = await fetch(local(link), { method: 'POST', redirect: 'manual' });
  expect(p.status).toBe(303);
  return rig.url + p.headers.get('location')!;
}

/** Posts the preference form of `pageUrl` with the boxes in `on` ticked and everything else shown left as it is. */
async function postPrefs(pageUrl: string, change: Record<string, boolean>): Promise<Response> {
  const html = await (await fetch(pageUrl)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
  const action = /<form method="post" action="([^"]+)"/.exec(html)![1];
  const shown = [...html.matchAll(/name="shown" value="([^"]+)"/g)].map((x) => x[1]);
  const body = form({ csrf, shown });
  for (const s of shown) {
    const checked = new RegExp(`name="c\\.${s.replace('.', '\\.')}" value="1" checked`).test(html);
    if (change[s] ?? checked) body.set(`c.${s}`, '1');
  }
  return fetch(rig.url + action, { method: 'POST', body });
}

describe('preference entry (/p, /preferences)', () => {
  test('the answer is identical whether or not the address belongs to a member; only a member gets a link', async () => {
    const m = await insertMember(rig.hub.db, { email: 'Kari.Inngang@Example.no', phone: '+4791234001' });
    const ip = client();
    const answers = [];
    for (const address of ['nobody.here@example.no', ' KARI.INNGANG@example.no ', '+4791239999', '912 34 001']) {
      const r = await ask(address, ip);
      answers.push({ status: r.status, type: r.headers.get('content-type'), cache: r.headers.get('cache-control'), body: await r.text() });
    }
    expect(answers[0].status).toBe(200);
    expect(answers[0].body).toContain('Sjekk e-posten eller telefonen din');
    for (const a of answers.slice(1)) expect(a).toEqual(answers[0]);
    const mail = await until(async () => mailTo('kari.inngang@example.no')[0], 30_000, 'the entry link by email');
    expect(mail.subject).toBe('Lenke til innstillingene dine');
    expect(mail.categories).toContain('service');
    expect(linkIn(mail.text!, 'l')).toContain(`${rig.url}/p/l/`);
    const text = await until(async () => smsTo('+4791234001')[0], 30_000, 'the entry link by SMS');
    expect(text.body).toMatch(/Lenke til innstillingene dine .*\/p\/l\//);
    expect(mailTo('nobody.here@example.no')).toEqual([]);
    expect(smsTo('+4791239999')).toEqual([]);
    expect(await requestEntryLinks(rig.hub, { channel: 'email', address: 'nobody.here@example.no' }, 'nb')).toBe(0);
    // A resigned member's address is treated as no one's.
    await insertMember(rig.hub.db, { email: 'utmeldt@example.no', status: 'resigned' });
    expect(await requestEntryLinks(rig.hub, { channel: 'email', address: 'utmeldt@example.no' }, 'nb')).toBe(0);
    expect(Number((await rig.hub.db.one('SELECT count(*) AS n FROM member_links WHERE member_id = $1', [m.id]))!.n)).toBe(2);
  });

  test('the page is in bokmål, nynorsk or English by ?lang= or Accept-Language', async () => {
    const nn = await fetch(`${rig.url}/preferences`, { headers: { 'accept-language': 'nn-NO,nb;q=0.8,en;q=0.5' } });
    const nnHtml = await nn.text();
    expect(nn.status).toBe(200);
    expect(nnHtml).toContain('lang="nn"');
    expect(nnHtml).toContain('Endre kva du får frå oss');
    const en = await (await fetch(`${rig.url}/p?lang=en`, { headers: { 'accept-language': 'nb' } })).text();
    expect(en).toContain('lang="en"');
    expect(en).toContain('Send me a link');
    const nb = await (await fetch(`${rig.url}/p`)).text();
    expect(nb).toContain('lang="nb"');
    expect(requestLang(undefined, 'de-DE,en-GB;q=0.9,nn;q=0.8')).toBe('en');
    expect(requestLang('fr', 'no')).toBe('nb');
  });

  test('an address that is neither email nor mobile number: 400 naming the field, nothing sent, the input escaped', async () => {
    const r = await ask('<script>alert(1)</script>', client());
    expect(r.status).toBe(400);
    const html = await r.text();
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('Skriv en e-postadresse');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).toContain('&lt;script&gt;');
    const unknown = await fetch(`${rig.url}/p`, { method: 'POST', body: form({ address: 'a@b.no', extra: 'x' }), headers: { 'x-forwarded-for': client() } });
    expect(unknown.status).toBe(400);
    expect(parseEnteredAddress('912 34 567')).toEqual({ channel: 'sms', address: '+4791234567' });
    expect(parseEnteredAddress('+46 70 123 45 67')).toEqual({ channel: 'sms', address: '+46701234567' });
    expect(parseEnteredAddress('1234')).toBeNull();
    expect(parseEnteredAddress('not an email@')).toBeNull();
  });

  test('the one-time link opens the preference centre once; a GET uses nothing; changes are recorded as preference_link', async () => {
    const m = await insertMember(rig.hub.db, { email: 'en.gang@example.no' });
    await ask('en.gang@example.no', client());
    const link = linkIn((await until(async () => mailTo('en.gang@example.no')[0], 30_000, 'link')).text!, 'l');
    for (let i = 0; i < 2; i++) expect((await fetch(local(link))).status).toBe(200);
    expect((await rig.hub.db.one('SELECT consumed_at FROM member_links WHERE member_id = $1', [m.id]))!.consumed_at).toBeNull();
    const session = await openLink(link);
    const again = await fetch(local(link), { method: 'POST', redirect: 'manual' });
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('allerede brukt');
    expect((await fetch(local(link))).status).toBe(410);
    const page = await fetch(session);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('name="c.newsletter.email" value="1" checked');
    const saved = await postPrefs(session, { 'newsletter.email': false });
    expect(saved.status).toBe(200);
    expect(await saved.text()).toContain('Innstillingene dine er lagret');
    expect(await events(m.id)).toEqual([{ category: 'newsletter', channel: 'email', granted: false, source: 'preference_link' }]);
  });

  test('an expired link is refused, and so is an altered one', async () => {
    const m = await insertMember(rig.hub.db, { email: 'for.sent@example.no' });
    await ask('for.sent@example.no', client());
    const link = linkIn((await until(async () => mailTo('for.sent@example.no')[0], 30_000, 'link')).text!, 'l');
    try {
      rig.clock.advance(31 * 60_000);
      const g = await fetch(local(link));
      expect(g.status).toBe(410);
      expect(await g.text()).toContain('utløpt');
      expect((await fetch(local(link), { method: 'POST', redirect: 'manual' })).status).toBe(410);
    } finally {
      rig.clock.reset();
    }
    const token = link.split('/p/l/')[1];
    const altered = token.slice(0, -3) + (token.endsWith('A') ? 'BBB' : 'AAA');
    expect((await fetch(`${rig.url}/p/l/${altered}`, { method: 'POST', redirect: 'manual' })).status).toBe(400);
    expect((await fetch(`${rig.url}/p/s/k2.1-00-zzzz.${'A'.repeat(24)}`)).status).toBe(410);
    expect(await events(m.id)).toEqual([]);
  });

  test('rate-limited per address (member or not, the same 429) and per client, with Retry-After', async () => {
    await insertMember(rig.hub.db, { email: 'mange.ganger@example.no' });
    const results: Record<string, { status: number; retry: string | null; body: string }[]> = {};
    for (const address of ['mange.ganger@example.no', 'ingen.slik@example.no']) {
      results[address] = [];
      for (let i = 0; i <= ENTRY_LIMITS.address.limit; i++) {
        const r = await ask(address, client());
        results[address].push({ status: r.status, retry: r.headers.get('retry-after'), body: await r.text() });
      }
    }
    for (const rs of Object.values(results)) {
      expect(rs.map((r) => r.status)).toEqual([...Array(ENTRY_LIMITS.address.limit).fill(200), 429]);
      expect(Number(rs[ENTRY_LIMITS.address.limit].retry)).toBeGreaterThan(0);
      expect(rs[ENTRY_LIMITS.address.limit].body).toContain('Du har prøvd mange ganger');
    }
    expect(results['mange.ganger@example.no']).toEqual(results['ingen.slik@example.no']);
    const ip = client();
    const statuses: number[] = [];
    for (let i = 0; i <= ENTRY_LIMITS.client.limit; i++) statuses.push((await ask(`person${i}@example.no`, ip)).status);
    expect(statuses.slice(0, ENTRY_LIMITS.client.limit).every((s) => s === 200)).toBe(true);
    expect(statuses[ENTRY_LIMITS.client.limit]).toBe(429);
    // The three links the member was allowed, no more.
    await until(async () => mailTo('mange.ganger@example.no').length === ENTRY_LIMITS.address.limit, 30_000, 'three links');
  });
});

describe('consent by link: opt-in categories need a confirmation (double opt-in)', () => {
  test('the rule', () => {
    const optIn = { declinable: true, defaultOn: false };
    const defaultOn = { declinable: true, defaultOn: true };
    expect(grantNeedsConfirmation(optIn, 'email', true, { proven: null })).toBe(true);
    expect(grantNeedsConfirmation(optIn, 'email', false, { proven: null })).toBe(false);
    expect(grantNeedsConfirmation(defaultOn, 'email', true, { proven: null })).toBe(false);
    expect(grantNeedsConfirmation(optIn, 'email', true, { proven: 'email' })).toBe(false);
    expect(grantNeedsConfirmation(optIn, 'sms', true, { proven: 'email' })).toBe(true);
  });

  test('a message link may withdraw and switch default-on categories back on, but an opt-in grant waits for the confirmation click', async () => {
    const m = await insertMember(rig.hub.db, { email: 'fordel@example.no', language: 'nn' });
    const url = local(preferencesUrl(rig.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' }));
    const r = await postPrefs(url, { 'newsletter.email': false, 'benefits.email': true });
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('Vi har sendt ei stadfesting på e-post');
    expect(html).toContain('name="c.benefits.email" value="1">');
    expect(html).toContain('Ventar på at du stadfestar');
    expect(await events(m.id)).toEqual([{ category: 'newsletter', channel: 'email', granted: false, source: 'preference_page' }]);
    // Default-on category back on from the same link: at once.
    await postPrefs(url, { 'newsletter.email': true });
    expect((await events(m.id)).map((e) => `${e.category}:${e.granted}:${e.source}`)).toEqual(['newsletter:false:preference_page', 'newsletter:true:preference_page']);

    const mail = mailTo('fordel@example.no').find((x) => x.subject.startsWith('Stadfest'))!;
    expect(mail.subject).toBe('Stadfest at du vil ha «Medlemsfordelar frå partnarar»');
    const confirm = linkIn(mail.text!, 'c');
    const g = await fetch(local(confirm));
    expect(g.status).toBe(200);
    expect(await g.text()).toContain('Ja, eg vil ha dette');
    expect(await events(m.id)).toHaveLength(2);
    const [a, b] = await Promise.all([fetch(local(confirm), { method: 'POST' }), fetch(local(confirm), { method: 'POST' })]);
    expect([a.status, b.status].sort()).toEqual([200, 410]);
    const ev = await events(m.id);
    expect(ev.filter((e) => e.category === 'benefits')).toEqual([{ category: 'benefits', channel: 'email', granted: true, source: 'double_opt_in' }]);
    expect((await rig.hub.db.one(`SELECT granted FROM consent_state WHERE member_id = $1 AND category = 'benefits' AND channel = 'email'`, [m.id]))!.granted).toBe(true);
  });

  test('the entry link proves the address it went to: an opt-in grant there is direct, on another channel it is confirmed by SMS', async () => {
    const m = await insertMember(rig.hub.db, { email: 'bevist@example.no', phone: '+4791234002' });
    await ask('bevist@example.no', client());
    const session = await openLink(linkIn((await until(async () => mailTo('bevist@example.no')[0], 30_000, 'link')).text!, 'l'));
    const r = await postPrefs(session, { 'benefits.email': true, 'benefits.sms': true });
    expect(await r.text()).toContain('Vi har sendt en bekreftelse på SMS');
    expect(await events(m.id)).toEqual([{ category: 'benefits', channel: 'email', granted: true, source: 'preference_link' }]);
    const text = (await until(async () => smsTo('+4791234002').find((x) => x.body.includes('/p/c/')), 30_000, 'the SMS confirmation'))!;
    expect(text.body).toContain('Bekreft at du vil ha "Medlemsfordeler fra partnere" på SMS');
    expect((await fetch(local(linkIn(text.body, 'c')), { method: 'POST' })).status).toBe(200);
    expect((await events(m.id)).map((e) => `${e.category}.${e.channel}:${e.source}`)).toEqual(['benefits.email:preference_link', 'benefits.sms:double_opt_in']);
  });

  test('an expired confirmation grants nothing', async () => {
    const m = await insertMember(rig.hub.db, { email: 'treg@example.no' });
    const url = local(preferencesUrl(rig.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' }));
    await postPrefs(url, { 'benefits.email': true });
    const confirm = linkIn(mailTo('treg@example.no')[0].text!, 'c');
    try {
      rig.clock.advance(8 * 24 * 3_600_000);
      const p = await fetch(local(confirm), { method: 'POST' });
      expect(p.status).toBe(410);
      expect(await p.text()).toContain('utløpt');
    } finally {
      rig.clock.reset();
    }
    expect(await events(m.id)).toEqual([]);
  });
});
