import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember } from './helpers/fixtures';

/**
 * The staff workflow's guards through the real API (issue 12): template versions keep every
 * language they do not change, repeated submits make one template / campaign / launch, an empty
 * audience and a send time in the past are refused, the vocabulary is served to the pages.
 */

const NB = { subject: 'Hei {{firstName}}', mjml: '<mj-section><mj-column><mj-text><p>Hei {{firstName}}, bokmål.</p></mj-text></mj-column></mj-section>', sms: 'Hei {{firstName}}, bokmål.', letter: null };
const NN = { subject: 'Hei {{firstName}} (nn)', mjml: '<mj-section><mj-column><mj-text><p>Hei {{firstName}}, nynorsk.</p></mj-text></mj-column></mj-section>', sms: 'Hei {{firstName}}, nynorsk.', letter: null };
const EN = { subject: 'Hello {{firstName}}', mjml: '<mj-section><mj-column><mj-text><p>Hello {{firstName}}, English.</p></mj-text></mj-column></mj-section>', sms: 'Hello {{firstName}}, English.', letter: null };

describe('staff workflow guards (API)', () => {
  let t: TestHub;
  let api: Awaited<ReturnType<typeof startApi>>;
  let comms: { authorization: string };
  let comms2: { authorization: string };

  async function call(auth: { authorization: string }, method: string, p: string, body?: unknown) {
    const res = await fetch(`${api.url}/api${p}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  }

  async function template(key: string, languages: Record<string, unknown> = { nb: NB, nn: NN, en: EN }) {
    const r = await call(comms, 'POST', '/templates', { key, name: key, category: 'campaign', languages });
    expect(r.status).toBe(201);
    return r.body as { template: { id: number }; version: { id: number; version: number } };
  }

  beforeAll(async () => {
    t = await createTestHub({ env: { APPROVAL_THRESHOLD: '1000' } });
    api = await startApi(t.hub);
    comms = (await staffWithToken(t.hub, 'communications')).auth;
    comms2 = (await staffWithToken(t.hub, 'communications')).auth;
  });
  afterAll(async () => { await api?.close(); await t?.close(); });

  test('a new version that changes only bokmål keeps nynorsk and English as they were', async () => {
    const tpl = await template('keep-langs');
    const r = await call(comms, 'POST', `/templates/${tpl.template.id}/versions`, { languages: { nb: { ...NB, sms: 'Hei {{firstName}}, ny bokmålstekst.' } }, basedOn: 1 });
    expect(r.status).toBe(201);
    expect(r.body.version).toBe(2);
    expect(r.body.keptLanguages.sort()).toEqual(['en', 'nn']);
    expect(r.body.languages.nb.sms).toBe('Hei {{firstName}}, ny bokmålstekst.');
    expect(r.body.languages.nn).toEqual(NN);
    expect(r.body.languages.en).toEqual(EN);
  });

  test('a version that names one channel of a language keeps its other channels; null removes a language on purpose', async () => {
    const tpl = await template('keep-channels');
    const r = await call(comms, 'POST', `/templates/${tpl.template.id}/versions`, { languages: { nn: { sms: 'Hei {{firstName}}, ny nynorsk.' }, en: null } });
    expect(r.status).toBe(201);
    expect(r.body.languages.nn).toEqual({ ...NN, sms: 'Hei {{firstName}}, ny nynorsk.' });
    expect(r.body.languages.en).toBeUndefined();
    expect(r.body.removedLanguages).toEqual(['en']);
    expect(r.body.languages.nb).toEqual(NB);
  });

  test('bokmål cannot be removed, and a save based on an old version is refused with 409 naming the new one', async () => {
    const tpl = await template('no-nb-removal');
    const noNb = await call(comms, 'POST', `/templates/${tpl.template.id}/versions`, { languages: { nb: null } });
    expect(noNb.status).toBe(400);
    expect(noNb.body.errors[0].field).toBe('body.languages.nb');
    expect((await call(comms, 'POST', `/templates/${tpl.template.id}/versions`, { languages: { nb: { sms: 'Hei {{firstName}}, to.' } } })).status).toBe(201);
    const stale = await call(comms2, 'POST', `/templates/${tpl.template.id}/versions`, { languages: { nb: { sms: 'Hei {{firstName}}, tre.' } }, basedOn: 1 });
    expect(stale.status).toBe(409);
    expect(stale.body.detail).toMatch(/versjon 2/);
  });

  test('a copy for one campaign has every language of the original and leaves the original unchanged', async () => {
    const tpl = await template('copy-src');
    const r = await call(comms, 'POST', `/templates/${tpl.template.id}/copy`, { name: 'Kopi for kampanjen', languages: { nb: { sms: 'Hei {{firstName}}, kopi.' } }, idempotencyKey: 'copy-key-0001' });
    expect(r.status).toBe(201);
    expect(r.body.template.id).not.toBe(tpl.template.id);
    expect(r.body.version.languages.nn).toEqual(NN);
    expect(r.body.version.languages.en).toEqual(EN);
    expect(r.body.version.languages.nb.sms).toBe('Hei {{firstName}}, kopi.');
    const again = await call(comms, 'POST', `/templates/${tpl.template.id}/copy`, { name: 'Kopi for kampanjen', idempotencyKey: 'copy-key-0001' });
    expect(again.status).toBe(200);
    expect(again.body.template.id).toBe(r.body.template.id);
    const orig = await call(comms, 'GET', `/templates/${tpl.template.id}`);
    expect(orig.body.versions).toHaveLength(1);
  });

  test('two template creates at once with one idempotency key make one template', async () => {
    const body = (key: string) => ({ key, name: 'Dobbeltklikk', category: 'campaign', languages: { nb: NB }, idempotencyKey: 'tpl-double-0001' });
    const [a, b] = await Promise.all([call(comms, 'POST', '/templates', body('dobbel-a')), call(comms, 'POST', '/templates', body('dobbel-b'))]);
    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.template.id).toBe(b.body.template.id);
    expect((await t.hub.db.one(`SELECT count(*)::int AS n FROM templates WHERE name = 'Dobbeltklikk'`))!.n).toBe(1);
  });

  describe('campaigns', () => {
    let versionId: number;
    let workplaceId: number;
    beforeAll(async () => {
      versionId = (await template('camp-tpl')).version.id;
      const org = await createOrg(t.hub.db);
      workplaceId = org.workplaceId;
      await insertMember(t.hub.db, { firstName: 'Nora', workplaceId });
    });
    const draft = (extra: Record<string, unknown> = {}) => ({
      name: 'Vårkampanje', category: 'campaign', channels: ['email'], templates: { email: versionId }, audience: { all: [{ workplace: [workplaceId] }] }, ...extra,
    });

    test('two campaign creates at once with one idempotency key make one campaign, and the user who used the key gets it back', async () => {
      const [a, b] = await Promise.all([
        call(comms, 'POST', '/campaigns', draft({ idempotencyKey: 'camp-double-0001' })),
        call(comms, 'POST', '/campaigns', draft({ idempotencyKey: 'camp-double-0001' })),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 201]);
      expect(a.body.id).toBe(b.body.id);
      // Another user's same key is their own.
      const other = await call(comms2, 'POST', '/campaigns', draft({ idempotencyKey: 'camp-double-0001' }));
      expect(other.status).toBe(201);
      expect(other.body.id).not.toBe(a.body.id);
    });

    test('a repeated launch with the same key launches once and answers with the campaign, not 409', async () => {
      const c = (await call(comms, 'POST', '/campaigns', draft())).body;
      const [a, b] = await Promise.all([
        call(comms, 'POST', `/campaigns/${c.id}/launch`, { idempotencyKey: 'launch-key-0001' }),
        call(comms, 'POST', `/campaigns/${c.id}/launch`, { idempotencyKey: 'launch-key-0001' }),
      ]);
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(a.body.campaign.id).toBe(c.id);
      expect(b.body.campaign.id).toBe(c.id);
      expect((await t.hub.db.one(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'campaign.launch' AND (detail->>'campaignId')::bigint = $1`, [c.id]))!.n).toBe(1);
      // Without the key, a second launch is the plain 409 it always was.
      expect((await call(comms, 'POST', `/campaigns/${c.id}/launch`, {})).status).toBe(409);
    });

    test('an audience with no members cannot be launched: 409 in Norwegian, the campaign stays a draft', async () => {
      const c = (await call(comms, 'POST', '/campaigns', draft({ audience: { all: [{ memberNumbers: ['finnes-ikke'] }] } }))).body;
      const r = await call(comms, 'POST', `/campaigns/${c.id}/launch`, { idempotencyKey: 'launch-empty-01' });
      expect(r.status).toBe(409);
      expect(r.body.detail).toMatch(/Målgruppen er tom/);
      expect(r.body.code).toBe('empty_audience');
      expect((await call(comms, 'GET', `/campaigns/${c.id}`)).body.state).toBe('draft');
      // The key was released: fixing the audience and launching with the same key works.
      expect((await call(comms, 'PATCH', `/campaigns/${c.id}`, { audience: { all: [{ workplace: [workplaceId] }] } })).status).toBe(200);
      expect((await call(comms, 'POST', `/campaigns/${c.id}/launch`, { idempotencyKey: 'launch-empty-01' })).status).toBe(202);
    });

    test('an audience whose members cannot be reached on any chosen channel is refused too', async () => {
      const org = await createOrg(t.hub.db);
      await insertMember(t.hub.db, { firstName: 'Uten', email: null, phone: null, workplaceId: org.workplaceId });
      const c = (await call(comms, 'POST', '/campaigns', draft({ audience: { workplace: [org.workplaceId] } }))).body;
      const r = await call(comms, 'POST', `/campaigns/${c.id}/launch`, {});
      expect(r.status).toBe(409);
      expect(r.body.detail).toMatch(/Ingen av de 1 medlemmene/);
    });

    test('above the threshold the launch waits; another user approves it (repeat with the same key answers with the campaign)', async () => {
      const org = await createOrg(t.hub.db);
      for (let i = 0; i < 3; i++) await insertMember(t.hub.db, { firstName: `Stor${i}`, workplaceId: org.workplaceId });
      const prev = t.hub.config.approvalThreshold;
      (t.hub.config as { approvalThreshold: number }).approvalThreshold = 2;
      try {
        const c = (await call(comms, 'POST', '/campaigns', draft({ audience: { workplace: [org.workplaceId] } }))).body;
        const l = await call(comms, 'POST', `/campaigns/${c.id}/launch`, { idempotencyKey: 'launch-big-0001' });
        expect(l.status).toBe(202);
        expect(l.body.approvalRequired).toBe(true);
        const a = await call(comms2, 'POST', `/campaigns/${c.id}/approve`, { idempotencyKey: 'approve-big-001' });
        expect([a.status, a.body.campaign?.state]).toEqual([200, 'running']);
        const again = await call(comms2, 'POST', `/campaigns/${c.id}/approve`, { idempotencyKey: 'approve-big-001' });
        expect(again.status).toBe(200);
      } finally {
        (t.hub.config as { approvalThreshold: number }).approvalThreshold = prev;
      }
    });

    test('a send time in the past is refused on create and on change, naming the field', async () => {
      const past = new Date(t.hub.clock.now().getTime() - 3_600_000).toISOString();
      const r = await call(comms, 'POST', '/campaigns', draft({ sendAt: past }));
      expect(r.status).toBe(400);
      expect(r.body.errors).toEqual([{ field: 'body.sendAt', message: expect.stringMatching(/har passert/) }]);
      const c = (await call(comms, 'POST', '/campaigns', draft())).body;
      const p = await call(comms, 'PATCH', `/campaigns/${c.id}`, { sendAt: past });
      expect(p.status).toBe(400);
      expect(p.body.errors[0].field).toBe('body.sendAt');
    });
  });

  test('the vocabulary serves every enumeration with nb, nn and en labels', async () => {
    const r = await call(comms, 'GET', '/vocabulary');
    expect(r.status).toBe(200);
    expect(r.body.campaignState.cancelled).toEqual({ nb: 'Avbrutt', nn: 'Avbroten', en: 'Cancelled' });
    for (const [name, values] of Object.entries<Record<string, Record<string, string>>>(r.body)) {
      for (const [v, label] of Object.entries(values)) {
        expect([name, v, Object.keys(label).sort()]).toEqual([name, v, ['en', 'nb', 'nn']]);
      }
    }
  });
});
