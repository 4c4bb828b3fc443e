import net from 'node:net';
import http from 'node:http';
import { createTestHub, type TestHub } from '../helpers/hub';
import { insertMember } from '../helpers/fixtures';
import { buildApp } from '../../src/http/app';
import { loadConfig } from '../../src/config';
import { registerOutbox } from '../../src/web/outbox';
import { createEmailProvider, startEmulators, type Emulators } from '../../src/providers';
import { unsubscribeUrl, preferencesUrl } from '../../src/consent';
import { axeViolations, launchBrowser, screenshot, signIn, staffWithPassword, type TestBrowser } from './browser';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The dev outbox: a message the SendGrid emulator accepted, shown as the member sees it; the
 * member opens its unsubscribe link and leaves with one click.
 */
jest.setTimeout(120_000);

describe('dev outbox', () => {
  let t: TestHub;
  let em: Emulators;
  let server: http.Server;
  let base: string;
  let b: TestBrowser;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    em = await startEmulators({ hubUrl: base });
    t = await createTestHub({ env: { ...em.env, PUBLIC_BASE_URL: base } });
    server = await new Promise<http.Server>((resolve) => { const s = buildApp(t.hub).listen(port, '127.0.0.1', () => resolve(s)); });
    b = await launchBrowser();
  });
  afterAll(async () => {
    await b?.close();
    await new Promise<void>((r) => { server?.closeAllConnections(); server?.close(() => r()); });
    await em?.close();
    await t?.close();
  });

  test('the outbox shows the email with a working one-click unsubscribe link', async () => {
    const m = await insertMember(t.hub.db, { firstName: 'Marit', lastName: 'Mottaker', email: 'marit.mottaker@example.no' });
    const claims = { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' as const };
    const unsub = unsubscribeUrl(t.config, claims);
    const prefs = preferencesUrl(t.config, claims);
    await createEmailProvider(t.config).send({
      personalizations: [{
        to: [{ email: 'marit.mottaker@example.no', name: 'Marit Mottaker' }],
        headers: { 'List-Unsubscribe': `<${unsub}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
      }],
      from: { email: t.config.unionEmailFrom, name: t.config.unionName },
      subject: 'Nyhetsbrev for mai',
      content: [
        { type: 'text/plain', value: `Hei Marit!\n\nMeld av: ${unsub}` },
        { type: 'text/html', value: `<html><head></head><body><h1>Hei Marit!</h1><p>Nytt fra forbundet.</p><p><a href="${unsub}">Meld deg av</a> · <a href="${prefs}">Innstillinger</a></p></body></html>` },
      ],
    });

    const admin = await staffWithPassword(t.hub, 'communications');
    const page = await b.newPage();
    await signIn(page, base, admin, '/dev/outbox');
    await page.getByRole('heading', { name: 'Nyhetsbrev for mai' }).waitFor();
    const frame = page.frameLocator('iframe[title^="E-post til marit.mottaker@example.no"]');
    await frame.getByRole('heading', { name: 'Hei Marit!' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'dev-outbox');

    await Promise.all([page.waitForURL(/\/u\//), page.getByRole('link', { name: 'Meld av (lenken i meldingen)' }).click()]);
    expect(page.url()).toBe(unsub);
    // Opening the link changes nothing.
    expect((await t.hub.db.one('SELECT count(*)::int AS n FROM consent_events WHERE member_id = $1', [m.id]))!.n).toBe(0);
    await screenshot(page, 'unsubscribe-from-outbox');
    await Promise.all([page.waitForEvent('load'), page.locator('form button[type=submit]').first().click()]);
    const s = await t.hub.db.one(`SELECT granted FROM consent_state WHERE member_id = $1 AND category = 'newsletter' AND channel = 'email'`, [m.id]);
    expect(s!.granted).toBe(false);
    const events = await t.hub.db.many('SELECT source FROM consent_events WHERE member_id = $1', [m.id]);
    expect(events).toEqual([{ source: 'unsubscribe_link' }]);
  });

  test('the outbox is not served in production', async () => {
    const prod = loadConfig({ ...process.env, NODE_ENV: 'test' });
    const routes: string[] = [];
    const fakeApp = { get: (p: string) => routes.push(p) } as any;
    registerOutbox(fakeApp, { ...t.hub, config: { ...prod, nodeEnv: 'production' } } as any);
    expect(routes).toEqual([]);
    registerOutbox(fakeApp, t.hub);
    expect(routes).toEqual(['/dev/outbox']);
  });
});
