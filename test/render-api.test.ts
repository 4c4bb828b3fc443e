import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';
import { syncBuiltInTemplates } from '../src/render';

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let comms: { authorization: string };
let org: Org;

const GOOD_MJML = `<mj-section>
  <mj-column>
    <mj-text>Hei {{firstName}}! Nytt fra {{#if workplace}}{{workplace}}{{else}}oss{{/if}}.</mj-text>
    <mj-button href="{{links.read}}">Les mer</mj-button>
  </mj-column>
</mj-section>`;

function body(over: Record<string, unknown> = {}) {
  return {
    key: `info-${Math.random().toString(36).slice(2, 8)}`,
    name: 'Informasjon',
    category: 'campaign',
    languages: {
      nb: { subject: 'Hei {{firstName}}', mjml: GOOD_MJML, sms: 'Hei {{firstName}}, les mer: {{links.read}}', letter: '# Hei {{firstName}}\n\nDette er **viktig**.' },
      en: { subject: 'Hi {{firstName}}', mjml: GOOD_MJML.replace('Nytt fra', 'News from'), sms: 'Hi {{firstName}}: {{links.read}}', letter: null },
    },
    ...over,
  };
}

async function post(path: string, json: unknown, headers = comms) {
  const res = await fetch(`${api.url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
}
async function get(path: string, headers = comms) {
  const res = await fetch(`${api.url}${path}`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), res };
}

beforeAll(async () => {
  t = await createTestHub();
  api = await startApi(t.hub);
  comms = (await staffWithToken(t.hub, 'communications')).auth;
  org = await createOrg(t.hub.db);
  await syncBuiltInTemplates(t.hub);
});
afterAll(async () => {
  await api.close();
  await t.close();
});

describe('stored templates', () => {
  test('create, list, get; a new version leaves the old one as it was', async () => {
    const created = await post('/api/templates', body({ key: 'info-lonn' }));
    expect(created.status).toBe(201);
    expect(created.body.template).toMatchObject({ key: 'info-lonn', category: 'campaign', declinable: true, builtIn: false, latestVersion: { version: 1 } });
    const id = created.body.template.id;
    const v1 = created.body.version;
    expect(v1.languages.nb.subject).toBe('Hei {{firstName}}');

    const list = await (await get('/api/templates')).res.json();
    expect(list.templates.map((x: any) => x.key)).toEqual(expect.arrayContaining(['info-lonn', 'campaign', 'ballot_opened']));

    const v2 = await post(`/api/templates/${id}/versions`, { languages: { nb: { subject: 'Ny: {{firstName}}', mjml: GOOD_MJML, sms: null, letter: null } }, note: 'kortere' });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, templateId: id });
    expect(v2.body.id).not.toBe(v1.id);

    const latest = await (await get(`/api/templates/${id}`)).res.json();
    expect(latest.template.latestVersion.version).toBe(2);
    expect(latest.versions.map((v: any) => v.version)).toEqual([2, 1]);
    expect(latest.version.languages.nb.subject).toBe('Ny: {{firstName}}');
    const first = await (await get(`/api/templates/${id}?version=1`)).res.json();
    expect(first.version.id).toBe(v1.id);
    expect(first.version.languages.nb.subject).toBe('Hei {{firstName}}');
    expect(first.version.languages.en.subject).toBe('Hi {{firstName}}');

    expect((await post('/api/templates', body({ key: 'info-lonn' }))).status).toBe(409);
  });

  test('only admin and communications may write', async () => {
    const auditor = (await staffWithToken(t.hub, 'auditor')).auth;
    expect((await post('/api/templates', body(), auditor)).status).toBe(403);
    expect((await get('/api/templates', auditor)).status).toBe(403);
    const admin = (await staffWithToken(t.hub, 'admin')).auth;
    expect((await post('/api/templates', body(), admin)).status).toBe(201);
  });

  test('an MJML error is refused at save with 422, each error with its line and message', async () => {
    const mjml = `<mj-section>
  <mj-column>
    <mj-text>Hei {{firstName}}</mj-text>
    <mj-image src="https://example.no/a.png" width="stor" />
    <mj-knapp href="{{links.read}}">Les</mj-knapp>
  </mj-column>
</mj-section>
<mj-text>utenfor seksjonen</mj-text>`;
    const res = await post('/api/templates', body({ languages: { nb: { subject: 'Hei', mjml } } }));
    expect(res.status).toBe(422);
    expect(res.type).toMatch(/application\/problem\+json/);
    expect(res.body.title).toBe('Unprocessable Content');
    const errors = res.body.errors.map((e: any) => [e.field, e.line, e.message]);
    expect(errors).toEqual(expect.arrayContaining([
      ['languages.nb.mjml', 4, expect.stringMatching(/attributtet width har en ugyldig verdi: stor/)],
      ['languages.nb.mjml', 5, expect.stringMatching(/elementet mj-knapp finnes ikke i MJML/)],
      ['languages.nb.mjml', 8, expect.stringMatching(/mj-text kan ikke brukes inne i mj-body, bare inne i: /)],
    ]));
    expect(await t.hub.db.one(`SELECT count(*)::int AS n FROM templates WHERE key = $1`, [res.body.key ?? 'none'])).toEqual({ n: 0 });
  });

  test('unknown merge fields, raw output, helpers and misplaced ballot fields are refused, each with field and line', async () => {
    const res = await post('/api/templates', body({
      languages: {
        nb: {
          subject: 'Hei {{fornavn}}',
          mjml: '<mj-section>\n  <mj-column>\n    <mj-text>{{{firstName}}} {{ballot.title}}</mj-text>\n    <mj-text>{{#each links}}x{{/each}}</mj-text>\n  </mj-column>\n</mj-section>',
          sms: 'Hei\n{{ medlemsnummer }}',
          letter: '# Tittel\n\n{{> footer}}',
        },
      },
    }));
    expect(res.status).toBe(422);
    const errors = res.body.errors.map((e: any) => [e.field, e.line, e.message]);
    expect(errors).toEqual(expect.arrayContaining([
      ['languages.nb.subject', 1, expect.stringMatching(/ukjent flettefelt "fornavn"/)],
      ['languages.nb.mjml', 3, expect.stringMatching(/utdata uten escaping/)],
      ['languages.nb.mjml', 3, expect.stringMatching(/«ballot.title» finnes bare i maler i kategorien uravstemning/)],
      ['languages.nb.mjml', 4, expect.stringMatching(/ukjent blokk «each»/)],
      ['languages.nb.sms', 2, expect.stringMatching(/ukjent flettefelt "medlemsnummer"/)],
      ['languages.nb.letter', 3, expect.stringMatching(/delmaler er ikke tillatt/)],
    ]));
  });

  test('a merge syntax error names its line', async () => {
    const res = await post('/api/templates', body({ languages: { nb: { subject: 'Hei', mjml: null, sms: 'linje 1\nlinje 2 {{#if firstName}} uten slutt', letter: null } } }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'languages.nb.sms', message: expect.stringMatching(/feil i flettefeltene/) })]);
  });
});

describe('preview', () => {
  test('a sample member on every channel: email html, text and subject, SMS with segments, letter PDF', async () => {
    const tpl = (await (await get('/api/templates?category=campaign')).res.json()).templates.find((x: any) => x.key === 'campaign');
    const res = await post(`/api/templates/${tpl.id}/preview`, { language: 'nn' });
    expect(res.status).toBe(200);
    const p = res.body;
    expect(p.member).toEqual({ memberNumber: '1000001', sample: true });
    expect(p.language).toBe('nn');
    expect(p.email.subject).toBe('Kari, vi treng deg med');
    expect(p.email.html).toContain('Saman for ein trygg arbeidskvardag');
    expect(p.email.text).toContain('Hei Kari,');
    expect(p.email.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    expect(p.sms.text).toMatch(/Svar STOPP for å melde deg av$/);
    expect(p.sms.info).toMatchObject({ encoding: 'GSM-7', characters: Array.from(p.sms.text).length, ok: true });
    expect(p.sms.info.segments).toBe(p.sms.info.units <= 160 ? 1 : Math.ceil(p.sms.info.units / 153));
    expect(Buffer.from(p.letter.pdfBase64, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    const pdf = await get(p.letter.url);
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe('application/pdf');
    expect(Buffer.from(await pdf.res.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });

  test('a real member: their fields and language, within the staff member\'s scope, audited', async () => {
    const m = await insertMember(t.hub.db, { firstName: '<script>x</script>', lastName: 'Hansen', language: 'en', workplaceId: org.workplaceId, branchId: org.branchId, agreementIds: [org.agreementId] });
    const tpl = (await (await get('/api/templates')).res.json()).templates.find((x: any) => x.key === 'ballot_opened');
    const res = await post(`/api/templates/${tpl.id}/preview`, { memberNumber: m.memberNumber });
    expect(res.status).toBe(200);
    expect(res.body.language).toBe('en');
    expect(res.body.email.subject).toBe('Ballot: Hovedoppgjøret 2026');
    expect(res.body.email.html).toContain('Hi &lt;script&gt;x&lt;/script&gt;,');
    expect(res.body.email.html).not.toContain('<script>x');
    expect(res.body.email.html).toMatch(/covered by Hovedtariffavtalen \d+/);
    const audited = await t.hub.db.one(`SELECT action, detail FROM audit_log WHERE member_id = $1 ORDER BY id DESC LIMIT 1`, [m.id]);
    expect(audited).toEqual({ action: 'member.view', detail: { purpose: 'template.preview', templateId: tpl.id } });

    // A representative sees only their own members: someone in another branch does not exist for them.
    const rep = await insertMember(t.hub.db, { branchId: org.branchId });
    await t.hub.db.query(`INSERT INTO member_roles (member_id, role, branch_id) VALUES ($1, 'shop_steward', $2)`, [rep.id, org.otherBranchId]);
    const repAuth = (await staffWithToken(t.hub, 'representative', { memberId: rep.id })).auth;
    expect((await post(`/api/templates/${tpl.id}/preview`, { memberNumber: m.memberNumber }, repAuth)).status).toBe(404);
    const own = await insertMember(t.hub.db, { branchId: org.otherBranchId });
    expect((await post(`/api/templates/${tpl.id}/preview`, { memberNumber: own.memberNumber }, repAuth)).status).toBe(200);
  });

  test('a stored template that no longer merges comes back as a 422 listing each error', async () => {
    // e.g. saved before a field was withdrawn: written straight into the table, bypassing the API's checks
    const tid = (await t.hub.db.one(`INSERT INTO templates (key, name, category) VALUES ('gammel', 'Gammel', 'newsletter') RETURNING id`))!.id;
    const vid = (await t.hub.db.one(`INSERT INTO template_versions (template_id, version, content_hash) VALUES ($1, 1, 'x') RETURNING id`, [tid]))!.id;
    await t.hub.db.query(`INSERT INTO template_version_languages (template_version_id, language, subject, mjml, sms) VALUES ($1, 'nb', 'Hei {{kallenavn}}', $2, 'Hei {{kallenavn}}')`,
      [vid, '<mj-section>\n<mj-column>\n<mj-text bogus="1">x</mj-text>\n</mj-column>\n</mj-section>']);
    const res = await post(`/api/templates/${tid}/preview`, {});
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: any) => [e.field, e.line])).toEqual(expect.arrayContaining([
      ['languages.nb.subject', 1], ['languages.nb.mjml', 3], ['languages.nb.sms', 1],
    ]));
  });
});
