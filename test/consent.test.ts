import crypto from 'node:crypto';
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember } from './helpers/fixtures';
import {
  preferencesUrl, recordConsentChange, signLinkToken, signLinkTokens, suppress, unsubscribeUrl, verifyLinkToken, type LinkToSign,
} from '../src/consent';

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => { t = await createTestHub(); api = await startApi(t.hub); });
afterAll(async () => { await api.close(); await t.close(); });

const ledgerCount = async (memberId: number) => Number((await t.hub.db.one('SELECT count(*) AS n FROM consent_events WHERE member_id = $1', [memberId]))!.n);
const stateOf = async (memberId: number, category: string, channel: string) =>
  (await t.hub.db.one('SELECT granted FROM consent_state WHERE member_id = $1 AND category = $2 AND channel = $3', [memberId, category, channel]))?.granted ?? null;
/** The path of a link, served by our loopback app (PUBLIC_BASE_URL differs in tests). */
const local = (url: string) => api.url + new URL(url).pathname;

describe('signed links', () => {
  const claims = { memberId: 4711, campaignId: 42, category: 'newsletter', channel: 'email' as const };

  test('round trip; absolute URLs from PUBLIC_BASE_URL; token reveals nothing', async () => {
    const m = await insertMember(t.hub.db, { memberNumber: 'LNK1', email: 'ola.lenke@example.no' });
    const url = unsubscribeUrl(t.config, { ...claims, memberId: m.id });
    expect(url.startsWith('http://127.0.0.1:3999/u/k2.')).toBe(true);
    const token = url.split('/u/')[1];
    const v = verifyLinkToken(t.config, token);
    expect(v).toEqual({ ok: true, link: { purpose: 'unsubscribe', kid: 'k2', memberId: m.id, campaignId: 42, category: 'newsletter', channel: 'email' } });
    const decoded = Buffer.from(token.split('.')[1], 'base64url').toString('latin1');
    for (const secret of ['LNK1', 'ola', 'lenke', 'newsletter', 'email']) expect(decoded.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(preferencesUrl(t.config, claims)).toMatch(/^http:\/\/127\.0\.0\.1:3999\/p\/k2\./);
  });

  test('tokens are the documented construction byte for byte (links already sent keep working): HMAC-SHA256 tag, AES-256-CTR under it', () => {
    const { kid, secret } = t.config.linkSigningKeys[0];
    const mac = crypto.createHmac('sha256', secret).update('budstikke link mac v1').digest();
    const enc = crypto.createHmac('sha256', secret).update('budstikke link enc v1').digest();
    // Up to 64-byte categories: 5 counter blocks, so the counter's carries are exercised too.
    for (const category of ['newsletter', 'x', 'c'.repeat(64)]) {
      for (let memberId = 1; memberId <= 600; memberId++) {
        for (const purpose of ['unsubscribe', 'preferences'] as const) {
          const plain = Buffer.alloc(14 + Buffer.byteLength(category));
          plain[0] = purpose === 'unsubscribe' ? 1 : 2;
          plain.writeUIntBE(memberId, 1, 6);
          plain.writeUIntBE(memberId * 7919, 7, 6);
          plain[13] = 0;
          plain.write(category, 14);
          const tag = crypto.createHmac('sha256', mac).update(kid).update('\0').update(plain).digest().subarray(0, 16);
          const c = crypto.createCipheriv('aes-256-ctr', enc, tag);
          const want = `${kid}.${Buffer.concat([tag, c.update(plain), c.final()]).toString('base64url')}`;
          const token = signLinkToken(t.config, purpose, { memberId, campaignId: memberId * 7919, channel: 'email', category });
          if (token !== want) throw new Error(`member ${memberId} ${purpose} ${category}: ${token} ≠ ${want}`);
          expect(verifyLinkToken(t.config, token)).toMatchObject({ ok: true, link: { memberId, purpose, category } });
        }
      }
    }
  });

  test('links signed in one batch are the links signed one at a time (categories of different lengths, every purpose and channel, no campaign)', () => {
    const links: LinkToSign[] = [];
    for (const category of ['newsletter', 'x', 'c'.repeat(64), 'kurs_æøå', 'campaign']) {
      for (const channel of ['email', 'sms', 'letter'] as const) {
        for (const purpose of ['unsubscribe', 'preferences'] as const) {
          for (const memberId of [1, 4711, 2 ** 48 - 1]) links.push({ purpose, claims: { memberId, campaignId: memberId % 2 ? memberId : null, channel, category } });
        }
      }
    }
    const batch = signLinkTokens(t.config, links);
    expect(batch).toEqual(links.map((l) => signLinkToken(t.config, l.purpose, l.claims)));
    expect(signLinkTokens(t.config, [])).toEqual([]);
    expect(() => signLinkTokens(t.config, [links[0], { purpose: 'unsubscribe', claims: { ...claims, memberId: 0 } }])).toThrow(/memberId/);
  });

  test('tampered, truncated, unknown-key and old-key tokens', () => {
    const token = signLinkToken(t.config, 'unsubscribe', claims);
    const [kid, body] = token.split('.');
    const flipped = body.slice(0, 10) + (body[10] === 'A' ? 'B' : 'A') + body.slice(11);
    expect(verifyLinkToken(t.config, `${kid}.${flipped}`)).toEqual({ ok: false, error: 'bad_signature' });
    expect(verifyLinkToken(t.config, token.slice(0, -4))).toMatchObject({ ok: false });
    expect(verifyLinkToken(t.config, `${kid}.${body.slice(0, 12)}`)).toEqual({ ok: false, error: 'malformed' });
    expect(verifyLinkToken(t.config, `k9.${body}`)).toEqual({ ok: false, error: 'unknown_key' });
    expect(verifyLinkToken(t.config, `k1.${body}`)).toEqual({ ok: false, error: 'bad_signature' });
    expect(verifyLinkToken(t.config, 'garbage')).toEqual({ ok: false, error: 'malformed' });
    // Rotation: a token signed with the second (older) key still verifies.
    const old = signLinkToken({ linkSigningKeys: [t.config.linkSigningKeys[1]] }, 'unsubscribe', claims);
    expect(verifyLinkToken(t.config, old)).toMatchObject({ ok: true, link: { kid: 'k1', memberId: 4711 } });
  });
});

describe('unsubscribe page', () => {
  test('GET shows the page in the member language and changes nothing', async () => {
    const m = await insertMember(t.hub.db, { language: 'nn' });
    const url = unsubscribeUrl(t.config, { memberId: m.id, campaignId: 7, category: 'newsletter', channel: 'email' });
    for (let i = 0; i < 3; i++) {
      const r = await fetch(local(url));
      expect(r.status).toBe(200);
      const html = await r.text();
      expect(html).toContain('lang="nn"');
      expect(html).toContain('Nyheitsbrev');
      expect(html).toContain('<button');
      expect(html).toContain('/p/');
    }
    const head = await fetch(local(url), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await ledgerCount(m.id)).toBe(0);
    expect(await stateOf(m.id, 'newsletter', 'email')).toBeNull();
  });

  test('RFC 8058 one-click POST withdraws at once; a second identical POST succeeds and adds nothing', async () => {
    const m = await insertMember(t.hub.db, { language: 'en' });
    const url = unsubscribeUrl(t.config, { memberId: m.id, campaignId: 9, category: 'campaign', channel: 'email' });
    const post = () => fetch(local(url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    const r1 = await post();
    expect(r1.status).toBe(200);
    expect(await r1.text()).toContain('You are unsubscribed');
    expect(await stateOf(m.id, 'campaign', 'email')).toBe(false);
    expect(await stateOf(m.id, 'campaign', 'sms')).toBeNull();
    const ev = await t.hub.db.many('SELECT category, channel, granted, source, actor, campaign_id FROM consent_events WHERE member_id = $1', [m.id]);
    expect(ev).toEqual([{ category: 'campaign', channel: 'email', granted: false, source: 'one_click', actor: 'member', campaign_id: 9 }]);
    const r2 = await post();
    expect(r2.status).toBe(200);
    expect(await ledgerCount(m.id)).toBe(1);
    // Concurrent identical POSTs still add one row at most.
    const m2 = await insertMember(t.hub.db);
    const url2 = unsubscribeUrl(t.config, { memberId: m2.id, campaignId: null, category: 'survey', channel: 'sms' });
    await Promise.all(Array.from({ length: 8 }, () => fetch(local(url2), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' })));
    expect(await ledgerCount(m2.id)).toBe(1);
  });

  test("the page's own button (source unsubscribe_link) and multipart one-click", async () => {
    const m = await insertMember(t.hub.db);
    const url = unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' });
    const r = await fetch(local(url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'action=unsubscribe' });
    expect(r.status).toBe(200);
    expect((await t.hub.db.one('SELECT source FROM consent_events WHERE member_id = $1', [m.id]))!.source).toBe('unsubscribe_link');
    const m2 = await insertMember(t.hub.db);
    const fd = new FormData();
    fd.set('List-Unsubscribe', 'One-Click');
    const r2 = await fetch(local(unsubscribeUrl(t.config, { memberId: m2.id, campaignId: null, category: 'newsletter', channel: 'email' })), { method: 'POST', body: fd });
    expect(r2.status).toBe(200);
    expect((await t.hub.db.one('SELECT source FROM consent_events WHERE member_id = $1', [m2.id]))!.source).toBe('one_click');
  });

  test('tampered, truncated and unknown-key tokens: a clear 400 page and nothing changes', async () => {
    const m = await insertMember(t.hub.db);
    const url = unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' });
    const token = url.split('/u/')[1];
    const [kid, body] = token.split('.');
    const bad = [
      `${kid}.${body.slice(0, 20)}${body[20] === 'x' ? 'y' : 'x'}${body.slice(21)}`,
      token.slice(0, token.length - 3),
      `zz.${body}`,
      // A preference token is not an unsubscribe token.
      signLinkToken(t.config, 'preferences', { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' }),
    ];
    for (const b of bad) {
      const g = await fetch(`${api.url}/u/${b}`);
      expect(g.status).toBe(400);
      expect(await g.text()).toContain('Lenken virker ikke');
      const p = await fetch(`${api.url}/u/${b}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
      expect(p.status).toBe(400);
    }
    expect(await ledgerCount(m.id)).toBe(0);
  });

  test('a category that cannot be declined: explained, nothing recorded', async () => {
    const m = await insertMember(t.hub.db);
    const url = unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'strike', channel: 'sms' });
    const r = await fetch(local(url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('medlemsavtalen');
    expect(await ledgerCount(m.id)).toBe(0);
  });
});

describe('preference centre', () => {
  test('toggles, non-declinable shown without toggle, CSRF, preferred channel', async () => {
    const m = await insertMember(t.hub.db, { phone: '+4791234567' });
    const url = preferencesUrl(t.config, { memberId: m.id, campaignId: 3, category: 'newsletter', channel: 'email' });
    const g = await fetch(local(url));
    expect(g.status).toBe(200);
    const html = await g.text();
    expect(html).toContain('name="c.newsletter.email" value="1" checked');
    expect(html).toContain('name="c.benefits.sms" value="1">');
    expect(html).not.toContain('c.service.');
    expect(html).toContain('medlemsavtalen');
    expect(await ledgerCount(m.id)).toBe(0);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1];
    const shown = [...html.matchAll(/name="shown" value="([^"]+)"/g)].map((x) => x[1]);
    const form = new URLSearchParams({ csrf });
    for (const s of shown) form.append('shown', s);
    // Keep everything as it is except: newsletter off, survey by SMS off; prefer SMS. (Granting an
    // opt-in category from a link needs a confirmation: test/member-reach.test.ts.)
    for (const s of shown) {
      const [cat] = s.split('.');
      if (s === 'newsletter.email' || s === 'survey.sms') continue;
      if (cat === 'benefits') continue;
      form.set(`c.${s}`, '1');
    }
    form.set('preferred', 'sms');
    const p = await fetch(local(url), { method: 'POST', body: form });
    expect(p.status).toBe(200);
    expect(await p.text()).toContain('Innstillingene dine er lagret');
    const ev = await t.hub.db.many('SELECT category, channel, granted, source, campaign_id FROM consent_events WHERE member_id = $1 ORDER BY category', [m.id]);
    expect(ev).toEqual([
      { category: 'newsletter', channel: 'email', granted: false, source: 'preference_page', campaign_id: 3 },
      { category: 'survey', channel: 'sms', granted: false, source: 'preference_page', campaign_id: 3 },
    ]);
    expect((await t.hub.db.one('SELECT channel FROM member_channel_preferences WHERE member_id = $1', [m.id]))!.channel).toBe('sms');
    // The same form again changes nothing.
    await fetch(local(url), { method: 'POST', body: form });
    expect(await ledgerCount(m.id)).toBe(2);
    // Without (or with a forged) CSRF field: 403, nothing changes.
    const forged = new URLSearchParams(form);
    forged.set('csrf', `${Math.floor(Date.now() / 1000)}.${'A'.repeat(43)}`);
    forged.delete('c.campaign.email');
    expect((await fetch(local(url), { method: 'POST', body: forged })).status).toBe(403);
    forged.delete('csrf');
    expect((await fetch(local(url), { method: 'POST', body: forged })).status).toBe(403);
    expect(await ledgerCount(m.id)).toBe(2);
  });
});

describe('ledger', () => {
  test('append-only; all-declinable change covers every pair; identical change adds nothing', async () => {
    const m = await insertMember(t.hub.db);
    const r1 = await recordConsentChange(t.hub.db, { memberId: m.id, category: null, channel: 'email', granted: false, source: 'import', actor: 'import' });
    expect(r1.changed).toBe(true);
    const rows = await t.hub.db.many('SELECT category FROM consent_state WHERE member_id = $1 AND channel = $2 ORDER BY category', [m.id, 'email']);
    expect(rows.map((r) => r.category)).toEqual(['benefits', 'campaign', 'newsletter', 'survey']);
    expect(await recordConsentChange(t.hub.db, { memberId: m.id, category: 'newsletter', channel: 'email', granted: false, source: 'import', actor: 'import' }))
      .toEqual({ changed: false, eventId: null });
    await expect(t.hub.db.query('UPDATE consent_events SET granted = true WHERE id = $1', [r1.eventId])).rejects.toThrow(/append-only/);
    await expect(t.hub.db.query('DELETE FROM consent_events WHERE id = $1', [r1.eventId])).rejects.toThrow(/append-only/);
  });
});

describe('staff API', () => {
  test('GET consents (scoped, audited) and POST on behalf (reason required; representatives and auditors refused)', async () => {
    const org = await createOrg(t.hub.db);
    const m = await insertMember(t.hub.db, { branchId: org.branchId, phone: '+4798765432' });
    const outside = await insertMember(t.hub.db, { branchId: org.otherBranchId });
    const rep = await insertMember(t.hub.db, { branchId: org.branchId });
    await t.hub.db.query(`INSERT INTO member_roles (member_id, role, branch_id) VALUES ($1, 'shop_steward', $2)`, [rep.id, org.branchId]);
    const comms = await staffWithToken(t.hub, 'communications');
    const repUser = await staffWithToken(t.hub, 'representative', { memberId: rep.id });
    const auditor = await staffWithToken(t.hub, 'auditor');

    const body = { category: 'newsletter', channel: 'email', granted: false, reason: 'Member phoned the office' };
    const post = (auth: Record<string, string>, b: unknown, num = m.memberNumber) =>
      fetch(`${api.url}/api/members/${num}/consents`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    expect((await post(repUser.auth, body)).status).toBe(403);
    expect((await post(auditor.auth, body)).status).toBe(403);
    const noReason = await post(comms.auth, { ...body, reason: undefined });
    expect(noReason.status).toBe(400);
    expect((await noReason.json()).errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'body.reason' })]));
    const mandatory = await post(comms.auth, { ...body, category: 'strike' });
    expect(mandatory.status).toBe(422);
    expect((await mandatory.json()).errors[0].field).toBe('body.category');
    const ok = await post(comms.auth, body);
    expect(ok.status).toBe(201);
    expect((await ok.json()).changed).toBe(true);
    const again = await post(comms.auth, body);
    expect(again.status).toBe(200);
    expect((await again.json()).changed).toBe(false);
    const ev = await t.hub.db.one('SELECT source, actor_user_id, reason FROM consent_events WHERE member_id = $1', [m.id]);
    expect(ev).toEqual({ source: 'staff', actor_user_id: comms.staff.id, reason: 'Member phoned the office' });
    expect(Number((await t.hub.db.one(`SELECT count(*) AS n FROM audit_log WHERE action = 'consent.change' AND member_id = $1`, [m.id]))!.n)).toBe(2);

    const g = await fetch(`${api.url}/api/members/${m.memberNumber}/consents`, { headers: repUser.auth });
    expect(g.status).toBe(200);
    const view = await g.json();
    const nl = view.current.find((c: any) => c.category === 'newsletter' && c.channel === 'email');
    expect(nl).toMatchObject({ granted: false, isDefault: false, reachable: false, unreachableReason: 'opted_out' });
    expect(view.current.find((c: any) => c.category === 'campaign' && c.channel === 'sms')).toMatchObject({ granted: true, isDefault: true, reachable: true });
    expect(view.current.find((c: any) => c.category === 'benefits' && c.channel === 'sms')).toMatchObject({ granted: false, isDefault: true, unreachableReason: 'no_consent' });
    expect(view.history).toHaveLength(1);
    expect((await fetch(`${api.url}/api/members/${outside.memberNumber}/consents`, { headers: repUser.auth })).status).toBe(404);
    expect(Number((await t.hub.db.one(`SELECT count(*) AS n FROM audit_log WHERE action = 'member.view' AND member_id = $1 AND actor_user_id = $2`, [m.id, repUser.staff.id]))!.n)).toBe(1);
  });

  test('suppressions: list and lift (audited, reason required, roles)', async () => {
    const s = await suppress(t.hub.db, { channel: 'email', address: ' Bounce@Example.NO ', reason: 'hard_bounce', sourceEvent: 'sendgrid:x' });
    expect(s.created).toBe(true);
    expect(await suppress(t.hub.db, { channel: 'email', address: 'bounce@example.no', reason: 'hard_bounce', sourceEvent: 'sendgrid:y' })).toEqual({ created: false, id: s.id });
    const admin = await staffWithToken(t.hub, 'admin');
    const auditor = await staffWithToken(t.hub, 'auditor');
    const list = await (await fetch(`${api.url}/api/suppressions?address=bounce@example.no`, { headers: admin.auth })).json();
    expect(list.suppressions).toEqual([expect.objectContaining({ id: s.id, address: 'bounce@example.no', reason: 'hard_bounce', active: true })]);
    const lift = (auth: Record<string, string>, b: unknown) => fetch(`${api.url}/api/suppressions/${s.id}/lift`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    expect((await lift(auditor.auth, { reason: 'member asked' })).status).toBe(403);
    expect((await lift(admin.auth, {})).status).toBe(400);
    const ok = await lift(admin.auth, { reason: 'Member confirmed the mailbox works again' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ active: false, liftedBy: admin.staff.id, liftReason: 'Member confirmed the mailbox works again' });
    expect((await lift(admin.auth, { reason: 'again' })).status).toBe(409);
    const a = await t.hub.db.one(`SELECT actor_user_id, detail FROM audit_log WHERE action = 'suppression.lift'`);
    expect(a).toMatchObject({ actor_user_id: admin.staff.id, detail: { suppressionId: s.id } });
    // A new suppression of the same address is possible after the lift.
    expect((await suppress(t.hub.db, { channel: 'email', address: 'bounce@example.no', reason: 'spam_complaint' })).created).toBe(true);
  });

  test('categories: list, admin edit audited, validation', async () => {
    const admin = await staffWithToken(t.hub, 'admin');
    const comms = await staffWithToken(t.hub, 'communications');
    const list = await (await fetch(`${api.url}/api/categories`, { headers: comms.auth })).json();
    expect(list.categories.map((c: any) => c.code)).toEqual(expect.arrayContaining(['service', 'newsletter', 'benefits']));
    const patch = (auth: Record<string, string>, code: string, b: unknown) => fetch(`${api.url}/api/categories/${code}`, { method: 'PATCH', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(b) });
    expect((await patch(comms.auth, 'survey', { channels: ['email'] })).status).toBe(403);
    const bad = await patch(admin.auth, 'benefits', { declinable: false });
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors[0].field).toBe('body.declinable');
    const badCh = await patch(admin.auth, 'survey', { channels: ['email', 'fax'] });
    expect(badCh.status).toBe(400);
    expect((await badCh.json()).errors[0].field).toMatch(/^body\.channels/);
    const ok = await patch(admin.auth, 'survey', { channels: ['email'], legalBasis: 'legitimate interest, GDPR art. 6(1)(f)' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ code: 'survey', channels: ['email'] });
    const a = await t.hub.db.one(`SELECT detail FROM audit_log WHERE action = 'category.update'`);
    expect(a!.detail).toMatchObject({ code: 'survey', before: { channels: ['email', 'sms'] }, after: { channels: ['email'] } });
  });
});
