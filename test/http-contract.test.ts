import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { unsubscribeUrl } from '../src/consent';

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => { t = await createTestHub(); api = await startApi(t.hub); });
afterAll(async () => { await api.close(); await t.close(); });

const local = (url: string) => api.url + new URL(url).pathname;

describe('wrong methods answer 405 with Allow', () => {
  test('an /api path known under other methods: 405, Allow, a problem document', async () => {
    const { auth } = await staffWithToken(t.hub, 'admin');
    const r = await fetch(`${api.url}/api/users`, { method: 'DELETE', headers: auth });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await r.json()).toMatchObject({ status: 405, title: 'Method Not Allowed' });
  });

  test('member pages and webhooks too; an unknown path stays 404', async () => {
    const m = await insertMember(t.hub.db);
    const url = local(unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' }));
    const put = await fetch(url, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    for (const hook of ['/webhooks/sendgrid/events', '/webhooks/twilio/inbound', '/webhooks/twilio/status']) {
      const g = await fetch(api.url + hook);
      expect([hook, g.status, g.headers.get('allow')]).toEqual([hook, 405, 'POST']);
    }
    expect((await fetch(`${api.url}/api/no-such-thing`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${api.url}/webhooks/nothing`)).status).toBe(404);
  });
});

describe('RFC 8058 one-click tolerates trailing whitespace', () => {
  test.each([
    ['CRLF', 'List-Unsubscribe=One-Click\r\n'],
    ['LF', 'List-Unsubscribe=One-Click\n'],
    ['spaces and tab', 'List-Unsubscribe=One-Click  \t'],
  ])('a body ending in %s withdraws (source one_click)', async (_name, body) => {
    const m = await insertMember(t.hub.db);
    const url = local(unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' }));
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(r.status).toBe(200);
    const ev = await t.hub.db.many('SELECT granted, source FROM consent_events WHERE member_id = $1', [m.id]);
    expect(ev).toEqual([{ granted: false, source: 'one_click' }]);
  });

  test('a body with another value is still refused and changes nothing', async () => {
    const m = await insertMember(t.hub.db);
    const url = local(unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' }));
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=Two-Clicks\r\n' });
    expect(r.status).toBe(400);
    expect(await t.hub.db.many('SELECT 1 FROM consent_events WHERE member_id = $1', [m.id])).toEqual([]);
  });
});

describe('small contract slips', () => {
  test('POST /api/users accepts the demo staff domain (budstikke.example)', async () => {
    const { auth } = await staffWithToken(t.hub, 'admin');
    const r = await fetch(`${api.url}/api/users`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ny.ansatt@budstikke.example', name: 'Ny Ansatt', role: 'communications' }) });
    expect(r.status).toBe(201);
    const bad = await fetch(`${api.url}/api/users`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'not-an-address', name: 'X', role: 'communications' }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('body.email');
  });

  test('the consents channel schema allows null as the server does', async () => {
    const doc = await (await fetch(`${api.url}/api/openapi.json`)).json();
    const op = Object.entries(doc.paths as Record<string, any>).find(([p, o]) => p.includes('consents') && o.post?.requestBody)?.[1].post;
    expect(op).toBeDefined();
    const channel = op.requestBody.content['application/json'].schema.properties.channel;
    expect(channel.type).toEqual(['string', 'null']);
    expect(channel.enum).toEqual(expect.arrayContaining(['email', 'sms', 'letter', null]));
  });
});

describe('OpenAPI: declared responses (C4) and the audience grammar', () => {
  test('the audience filter is one component with the new conditions; the preview answer validates against its declared schema', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = require('ajv');
    const doc = await (await fetch(`${api.url}/api/openapi.json`)).json();
    const filter = doc.components.schemas.AudienceFilter;
    expect(Object.keys(filter.properties)).toEqual(expect.arrayContaining(['bargainingArea', 'duesOutstanding', 'joinedBetween', 'joinedBefore', 'all', 'not']));
    expect(filter.properties.all.items).toEqual({ $ref: '#/components/schemas/AudienceFilter' });
    const op = doc.paths['/api/audiences/preview'].post;
    expect(op.requestBody.content['application/json'].schema.properties.audience).toEqual({ $ref: '#/components/schemas/AudienceFilter' });
    // The answer is a shared component (a campaign's review carries the same preview).
    expect(op.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/AudiencePreview' });
    const schema = doc.components.schemas.AudiencePreview;
    const { auth } = await staffWithToken(t.hub, 'admin');
    await insertMember(t.hub.db);
    const r = await fetch(`${api.url}/api/audiences/preview`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ category: 'campaign', channels: ['email', 'sms'], audience: { all: [{ duesOutstanding: false }, { joinedBetween: { to: '2999-01-01' } }] } }) });
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body.total).toBeGreaterThan(0);
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect([validate(body), validate.errors]).toEqual([true, null]);
    // The check can fail: a wrong answer is refused.
    expect(validate({ ...body, total: 'many' })).toBe(false);
  });
});
