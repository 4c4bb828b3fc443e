import { createTestHub, startApi, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { unsubscribeUrl } from '../src/consent';

/** The one-click answer page (src/consent/pages.ts, page-kit.ts): its link and its headers. */

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => { t = await createTestHub(); api = await startApi(t.hub); });
afterAll(async () => { await api.close(); await t.close(); });

test('the preference link on the one-click answer opens that member\'s preference centre', async () => {
  const m = await insertMember(t.hub.db, { memberNumber: 'UPL1', email: 'upl1@example.no' });
  const url = unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' });
  const r = await fetch(api.url + new URL(url).pathname, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
  });
  expect(r.status).toBe(200);
  const href = /<a href="(\/p\/[^"]+)"/.exec(await r.text())?.[1];
  expect(href).toBeDefined();
  const prefs = await fetch(api.url + href!);
  expect(prefs.status).toBe(200);
  const html = await prefs.text();
  // The preference centre of this member, showing the withdrawal just recorded.
  expect(html).toContain(`action="${href}"`);
  const state = await t.hub.db.one(`SELECT granted FROM consent_state WHERE member_id = $1 AND category = 'newsletter' AND channel = 'email'`, [m.id]);
  expect(state!.granted).toBe(false);
});

test('a member page answer is HTML in UTF-8 with its exact length and is never stored', async () => {
  const m = await insertMember(t.hub.db, { memberNumber: 'UPL2', email: 'upl2@example.no' });
  const url = unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' });
  for (const init of [{ method: 'GET' }, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' }]) {
    const r = await fetch(api.url + new URL(url).pathname, init);
    expect(r.status).toBe(200);
    const body = Buffer.from(await r.arrayBuffer());
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(Number(r.headers.get('content-length'))).toBe(body.length);
    expect(body.toString('utf8')).toContain('<!doctype html>');
  }
});
