import fs from 'node:fs';
import type * as OpenPGP from 'openpgp' with { 'resolution-mode': 'import' };
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createTestHub, startApi, type TestHub } from './helpers/hub';
import { seedDemoUnion, CSV_HEADER } from '../src/demo/seed';
import { createApiToken } from '../src/auth';
import { buildOpenApiDocument } from '../src/http/app';
import { operationsWithoutSuccessResponse } from '../src/http/api';
import { openApiProblems } from '../scripts/openapi-check';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- openpgp is ESM; jest runs CommonJS
const openpgp: typeof OpenPGP = require('openpgp');

/**
 * The contract test (issue 14, "OpenAPI tells the truth"): on the demo union, every GET in
 * /api/openapi.json is called with real ids, and a safe POST per resource, and each answer must
 * be one of the operation's declared success responses, with its content type, and (JSON) valid
 * against the declared schema with ajv. The operations come from the document itself, so a new
 * GET is called without anyone adding it here; one that cannot be called safely is listed in
 * NOT_CALLED with the reason.
 */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let doc: any;
let admin: Record<string, string>;
let committeeAuth: Record<string, string>;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
const DOC_ID = 'https://budstikke.invalid/openapi.json';

/** GETs that are not called, each with why. Everything else in the document is called. */
const NOT_CALLED: Record<string, string> = {
  'GET /api/campaigns/{id}/print-runs/{name}/{part}': 'a print run exists only after a letter batch is sent; downloaded in test/browser/print-runs.test.ts',
};

/** Real ids from the seed and the creates below, by path parameter, chosen by the path's resource. */
const ids: Record<string, string | number> = {};
const checked: string[] = [];
const failures: string[] = [];

function resourceId(path: string, name: string): string | number | undefined {
  if (name !== 'id') return ids[name];
  const resource = path.split('/')[2];
  return ids[`${resource}.id`];
}

function concrete(path: string): string {
  return path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const v = resourceId(path, name);
    if (v === undefined) throw new Error(`no id for {${name}} in ${path} (failures so far: ${failures.join("; ")})`);
    return encodeURIComponent(String(v));
  });
}

/** Calls an operation and checks the answer against the document; returns the parsed JSON (or text). */
async function call(method: string, path: string, opts: { body?: unknown; raw?: string; contentType?: string; auth?: Record<string, string>; query?: string } = {}): Promise<any> {
  const op = doc.paths[path]?.[method.toLowerCase()];
  const name = `${method} ${path}`;
  if (!op) throw new Error(`${name} is not in the OpenAPI document`);
  const headers: Record<string, string> = { ...(opts.auth ?? admin) };
  let body: string | undefined;
  if (opts.raw !== undefined) { body = opts.raw; headers['content-type'] = opts.contentType!; }
  else if (opts.body !== undefined) { body = JSON.stringify(opts.body); headers['content-type'] = 'application/json'; }
  const r = await fetch(api.url + concrete(path) + (opts.query ?? ''), { method, headers, body, redirect: 'manual' });
  const buf = Buffer.from(await r.arrayBuffer());
  checked.push(name);
  if (process.env.CONTRACT_DUMP) {
    fs.appendFileSync(process.env.CONTRACT_DUMP, `${JSON.stringify({ name, status: r.status, type: r.headers.get('content-type'), body: buf.toString('utf8').slice(0, 4000) })}\n`);
  }
  const type = (r.headers.get('content-type') ?? '').split(';')[0].trim();
  let parsed: any = buf.toString('utf8');
  if (/json/.test(type)) parsed = JSON.parse(parsed);
  const declared = op.responses[String(r.status)];
  const fail = (why: string) => { failures.push(`${name}: ${why}`); return parsed; };
  if (!declared || r.status >= 300) return fail(`answered ${r.status}, declared ${Object.keys(op.responses).join(', ')}: ${buf.toString('utf8').slice(0, 300)}`);
  if (!declared.content) return buf.length ? fail(`declared no body, answered ${buf.length} bytes of ${type}`) : undefined;
  const media = declared.content[type];
  if (!media) return fail(`answered ${r.status} ${type}, declared ${Object.keys(declared.content).join(', ')}`);
  if (type !== 'application/json') return buf.length ? parsed : fail(`an empty ${type} body`);
  const validate = ajv.compile(JSON.parse(JSON.stringify(media.schema).replace(/"#\/components\//g, `"${DOC_ID}#/components/`)));
  if (!validate(parsed)) fail(`${r.status} does not match its schema: ${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('; ').slice(0, 1500)}`);
  return parsed;
}

beforeAll(async () => {
  t = await createTestHub();
  const seeded = await seedDemoUnion(t.hub, { members: 300 });
  api = await startApi(t.hub);
  admin = { authorization: `Bearer ${seeded.adminToken}` };
  const res = await fetch(`${api.url}/api/openapi.json`);
  doc = await res.json();
  ajv.addSchema({ $id: DOC_ID, components: doc.components });

  const member = (await t.hub.db.one(`SELECT member_number FROM members WHERE email IS NOT NULL AND status = 'active' ORDER BY member_number LIMIT 1`))!;
  ids.memberNumber = member.member_number;
  ids.firstMember = member.member_number;
  ids.postcode = (await t.hub.db.one(`SELECT postcode FROM members WHERE postcode IS NOT NULL LIMIT 1`))!.postcode;
  ids['users.id'] = (await t.hub.db.one(`SELECT id FROM staff_users WHERE email = 'admin@budstikke.example'`))!.id;
  ids.code = 'newsletter';
  ids.key = 'kontrakt-utkast-1';
  const strike = (await t.hub.db.one(`SELECT id FROM strikes ORDER BY id LIMIT 1`))!;
  ids['strikes.id'] = strike.id;
  ids.phaseId = (await t.hub.db.one(`SELECT id FROM strike_phases WHERE strike_id = $1 ORDER BY number LIMIT 1`, [strike.id]))!.id;
  const committee = (await t.hub.db.one(`SELECT c.id, m.staff_user_id FROM strike_committees c JOIN strike_committee_members m ON m.committee_id = c.id ORDER BY c.id LIMIT 1`))!;
  ids.committeeId = committee.id;
  committeeAuth = { authorization: `Bearer ${(await createApiToken(t.hub.db, committee.staff_user_id, 'kontrakt')).token}` };
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

test('every registered operation declares a success response (a new route cannot forget)', () => {
  const built = buildOpenApiDocument(t.hub);
  expect(operationsWithoutSuccessResponse(built)).toEqual([]);
  // The check can fail: an operation with only the default problem response is named.
  expect(operationsWithoutSuccessResponse({ paths: { '/api/x': { get: { responses: { default: {} } } } } })).toEqual(['GET /api/x']);
});

test('the served document passes a real OpenAPI 3.1 validator; a broken one is refused with its message', async () => {
  expect(doc.openapi).toBe('3.1.0');
  expect(await openApiProblems(doc)).toEqual([]);
  const broken = structuredClone(doc);
  broken.paths['/api/members'].get.responses = { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/NoSuchThing' } } } } };
  const problems = await openApiProblems(broken);
  expect(problems.join('\n')).toMatch(/NoSuchThing|description/);
});

test('a safe POST per resource and every documented GET answer what the document declares', async () => {
  // Creates in this test's own database (each answer checked against its declared schema), which
  // also give the GETs below real ids.
  const mjml = '<mj-section><mj-column><mj-text>Hei {{firstName}}</mj-text></mj-column></mj-section>';
  const tpl = await call('POST', '/api/templates', { body: { key: 'kontrakt-info', name: 'Kontrakt', category: 'campaign',
    languages: { nb: { subject: 'Hei {{firstName}}', mjml, sms: 'Hei {{firstName}}', letter: '# Hei {{firstName}}' } } } });
  ids['templates.id'] = tpl.template.id;
  await call('POST', '/api/templates/{id}/preview', { body: { memberNumber: ids.memberNumber } });
  await call('POST', '/api/render/sms-segments', { body: { text: 'Hei {{firstName}}, møte i morgen – se {{links.read}}', category: 'newsletter', links: { read: 'https://example.org/a' } } });
  await call('POST', '/api/templates/{id}/versions', { body: { languages: { nb: { subject: 'Hei igjen {{firstName}}' } }, note: 'kontrakt' } });

  const filter = { status: ['active'] };
  const saved = await call('POST', '/api/audiences', { body: { name: 'Kontrakt', filter } });
  ids['audiences.id'] = saved.id;
  await call('POST', '/api/audiences/preview', { body: { category: 'campaign', channels: ['email', 'sms'], audienceId: saved.id } });

  const campaign = await call('POST', '/api/campaigns', { body: { name: 'Kontrakt', category: 'campaign', channels: ['email'], templates: { email: { templateId: tpl.template.id } }, audience: filter } });
  ids['campaigns.id'] = campaign.id;
  await call('PATCH', '/api/campaigns/{id}', { body: { name: 'Kontrakt 2' } });

  const agreement = (await t.hub.db.one(`SELECT code FROM agreements ORDER BY code LIMIT 1`))!.code;
  const ballot = await call('POST', '/api/ballots', { body: { title: 'Uravstemning', agreements: [agreement], opensAt: '2027-02-10T09:00', closesAt: '2027-02-20T12:00', votingUrl: 'https://valg.example/v' } });
  ids['ballots.id'] = ballot.id;
  await call('POST', '/api/ballots/{id}/roll', { body: {} });
  const key = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Valgleverandør', email: 'valg@example.org' }], format: 'armored' });
  const armored = await call('POST', '/api/ballots/{id}/roll/exports', { body: { publicKey: key.publicKey } });
  expect(String(armored)).toMatch(/^-----BEGIN PGP MESSAGE-----/);

  const csv = `${CSV_HEADER.join(';')}\r\n`;
  await call('POST', '/api/members/import', { raw: csv, contentType: 'text/csv' });
  await call('POST', '/api/members/{memberNumber}/consents', { body: { category: 'newsletter', channel: 'email', granted: false, reason: 'ringte inn' } });
  const user = await call('POST', '/api/users', { body: { email: 'kontrakt@budstikke.example', name: 'Kontrakt', role: 'auditor' } });
  await call('POST', '/api/users/{id}/tokens', { body: { name: 'kontrakt' } });
  void user;
  await call('PUT', '/api/campaign-drafts/{key}', { body: { state: { step: 1 } } });

  const employer = (await t.hub.db.one(`SELECT e.id FROM strike_takeouts k JOIN members m ON m.id = k.member_id JOIN workplaces w ON w.id = m.workplace_id
    JOIN employers e ON e.id = w.employer_id WHERE k.phase_id = $1 LIMIT 1`, [ids.phaseId]))!.id;
  const list = await call('POST', '/api/strikes/{id}/phases/{phaseId}/exports', { body: { employerId: employer, format: 'csv' } });
  expect(String(list).split('\n').length).toBeGreaterThan(1);
  await call('POST', '/api/strikes/{id}/committees', { body: { name: 'Kontraktkomiteen', location: 'Bergen' } });

  const gets = Object.entries<any>(doc.paths).filter(([, ops]) => ops.get).map(([path]) => path);
  for (const path of gets) {
    if (NOT_CALLED[`GET ${path}`]) continue;
    const roles = doc.paths[path].get['x-roles'];
    await call('GET', path, { auth: roles.includes('admin') ? admin : committeeAuth });
  }
  // The committee's own member sees the guards' contact details: a different answer, checked too.
  for (const path of gets.filter((p) => doc.paths[p].get['x-roles'].includes('strike_committee') && doc.paths[p].get['x-roles'].includes('admin'))) {
    await call('GET', path, { auth: committeeAuth });
  }
  expect(failures).toEqual([]);
  // Every GET was called or is listed with its reason.
  expect(gets.filter((p) => !checked.includes(`GET ${p}`) && !NOT_CALLED[`GET ${p}`])).toEqual([]);
});

test('the other writes of each resource answer what they declare, in this test\'s own database', async () => {
  failures.length = 0;
  // Templates, audiences, campaigns.
  await call('POST', '/api/templates/{id}/copy', { body: { name: 'Kontrakt (kopi)' } });
  await call('PUT', '/api/audiences/{id}', { body: { name: 'Kontrakt omdøpt' } });
  await call('POST', '/api/campaigns/{id}/cancel', { body: {} });
  // A launch (202; the snapshot is a queue job no worker takes here), paused and resumed.
  const second = await call('POST', '/api/campaigns', { body: { name: 'Kontrakt 3', category: 'campaign', channels: ['email'], templates: { email: { templateId: ids['templates.id'] } }, audience: { memberNumbers: [ids.memberNumber] } } });
  ids['campaigns.id'] = second.id;
  const launched = await call('POST', '/api/campaigns/{id}/launch', { body: { idempotencyKey: 'kontrakt-launch-1' } });
  expect(launched.campaign.state).toBe('running');
  await call('POST', '/api/campaigns/{id}/launch', { body: { idempotencyKey: 'kontrakt-launch-1' } });
  await call('POST', '/api/campaigns/{id}/pause', { body: {} });
  await call('POST', '/api/campaigns/{id}/resume', { body: {} });
  // A strike campaign marked ended: its recipient list is erased.
  const mjml = '<mj-section><mj-column><mj-text>Hei {{firstName}}</mj-text></mj-column></mj-section>';
  const strikeTemplate = await call('POST', '/api/templates', { body: { key: 'kontrakt-streik', name: 'Streik', category: 'strike', languages: { nb: { subject: 'Streik', mjml, sms: 'Streik', letter: '# Streik' } } } });
  ids.strikeTemplate = strikeTemplate.template.id;
  const strikeCampaign = await call('POST', '/api/campaigns', { body: { name: 'Streikeinfo', category: 'strike', channels: ['email'], templates: { email: { templateId: ids.strikeTemplate } }, audience: { status: ['active'] } } });
  ids['campaigns.id'] = strikeCampaign.id;
  await call('POST', '/api/campaigns/{id}/strike-ended');
  // Members: the register's push (created, then updated), a JSON import, a CSV import with a bad row.
  await call('PUT', '/api/members/{memberNumber}', { body: { first_name: 'Kontrakt', last_name: 'Medlem' } });
  const report = await call('POST', '/api/members/import', { body: [{ member_number: '990001', first_name: 'Ny', last_name: 'Medlem', email: 'ny.medlem@example.org', joined_at: '2020-01-01' }] });
  expect(report.rejected + report.inserted).toBe(1);
  const csvReport = await call('POST', '/api/members/import', { raw: `${CSV_HEADER.join(';')}\r\n${'x;'.repeat(CSV_HEADER.length - 1)}x\r\n`, contentType: 'text/csv' });
  expect(csvReport.rejected).toBe(1);
  expect(csvReport.errors[0]).toEqual(expect.objectContaining({ row: expect.any(Number), field: expect.any(String) }));
  // Consent: a category, a suppression lifted.
  await call('PATCH', '/api/categories/{code}', { body: { nameNb: 'Nyhetsbrev fra forbundet' } });
  ids['suppressions.id'] = (await t.hub.db.one(`INSERT INTO suppressions (channel, address, reason) VALUES ('email', 'borte@example.org', 'hard_bounce') RETURNING id`))!.id;
  await call('POST', '/api/suppressions/{id}/lift', { body: { reason: 'adressen virker igjen' } });
  // Staff: a role change, tokens revoked, a password set.
  ids['users.id'] = (await t.hub.db.one(`SELECT id FROM staff_users WHERE email = 'kontrakt@budstikke.example'`))!.id;
  await call('PATCH', '/api/users/{id}', { body: { role: 'communications' } });
  await call('PUT', '/api/users/{id}/password', { body: { password: 'et-langt-kontraktpassord' } });
  await call('DELETE', '/api/users/{id}/tokens');
  await call('DELETE', '/api/users/{id}/sessions');
  // Ballots: moved, then cancelled.
  await call('PATCH', '/api/ballots/{id}', { body: { title: 'Uravstemning (flyttet)' } });
  await call('POST', '/api/ballots/{id}/cancel', { body: {} });
  // Strikes: a new strike with a phase, members taken back, its committee with a guard and a shift.
  const agreementId = (await t.hub.db.one(`SELECT id FROM agreements ORDER BY code LIMIT 1`))!.id;
  const strike = await call('POST', '/api/strikes', { body: { name: 'Kontraktstreik', agreementId, mediationDeadline: '2027-01-10T12:00:00Z' } });
  ids['strikes.id'] = strike.id;
  await call('PATCH', '/api/strikes/{id}', { body: { name: 'Kontraktstreiken' } });
  await call('POST', '/api/strikes/{id}/state', { body: { state: 'notice_given' } });
  const phase = await call('POST', '/api/strikes/{id}/phases', { body: { name: 'Uttak', startsAt: '2026-12-01T00:00:00Z', selection: { status: ['active'] } } });
  ids.phaseId = phase.phase.id;
  await call('POST', '/api/strikes/{id}/phases/{phaseId}/take-back', { body: { selection: { memberNumbers: [ids.memberNumber] } } });
  const committee = await call('POST', '/api/strikes/{id}/committees', { body: { name: 'Kontraktkomiteen', location: 'Tromsø' } });
  ids.committeeId = committee.id;
  const joined = await call('POST', '/api/committees/{committeeId}/members', { body: { name: 'Komité Medlem', email: 'komite.kontrakt@budstikke.example' } });
  const member = joined.members[0];
  const own = { authorization: `Bearer ${(await createApiToken(t.hub.db, member.id, 'kontrakt')).token}` };
  const guard = await call('POST', '/api/committees/{committeeId}/guards', { auth: own, body: { name: 'Gunnar Vakt', phone: '+4790000001', shareConsent: false } });
  ids.guardId = guard.id;
  expect(guard.phone).toBe('+4790000001');
  await call('POST', '/api/committees/{committeeId}/guards/{guardId}/consent', { auth: own, body: { consent: true } });
  const shift = await call('POST', '/api/committees/{committeeId}/shifts', { auth: own, body: { place: 'Porten', startsAt: '2026-12-02T06:00:00Z', endsAt: '2026-12-02T12:00:00Z' } });
  ids.shiftId = shift.id;
  await call('POST', '/api/committees/{committeeId}/shifts/{shiftId}/guards', { auth: own, body: { guardId: guard.id } });
  await call('GET', '/api/committees/{committeeId}/guards.csv', { auth: own });
  // The plassoppsigelse list encrypted to the employer's key: an OpenPGP message, not CSV.
  const employer = (await t.hub.db.one(`SELECT e.id FROM strike_takeouts k JOIN members m ON m.id = k.member_id JOIN workplaces w ON w.id = m.workplace_id
    JOIN employers e ON e.id = w.employer_id WHERE k.phase_id = $1 AND k.returned_at IS NULL LIMIT 1`, [ids.phaseId]))!.id;
  const key = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Arbeidsgiver', email: 'hr@example.org' }], format: 'armored' });
  const armored = await call('POST', '/api/strikes/{id}/phases/{phaseId}/exports', { body: { employerId: employer, format: 'pgp', publicKey: key.publicKey } });
  expect(String(armored)).toMatch(/^-----BEGIN PGP MESSAGE-----/);
  await call('DELETE', '/api/committees/{committeeId}/guards/{guardId}', { auth: own });
  // A phase announcement as a draft (launch false): a campaign linked to the strike and phase.
  await call('POST', '/api/strikes/{id}/messages', { body: { purpose: 'announcement', phaseId: ids.phaseId, name: 'Uttak varslet', channels: ['email'], templates: { email: { templateId: ids.strikeTemplate } } } });
  // Ending erases the strike's personal data and says what.
  const ended = await call('POST', '/api/strikes/{id}/state', { body: { state: 'ended' } });
  expect(ended.erased).toBeDefined();
  // Privacy: a member erased, the retention sweep.
  const other = (await t.hub.db.one(`SELECT member_number FROM members WHERE member_number <> $1 ORDER BY member_number DESC LIMIT 1`, [ids.memberNumber]))!;
  ids.memberNumber = other.member_number;
  await call('POST', '/api/members/{memberNumber}/erase', { body: { reason: 'medlemmet ba om sletting' } });
  await call('POST', '/api/privacy/retention-sweep');
  expect(failures).toEqual([]);
});

test('the check can fail: an answer that breaks its declared schema is refused', async () => {
  const schema = doc.paths['/api/members/{memberNumber}'].get.responses['200'].content['application/json'].schema;
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, `"${DOC_ID}#/components/`)));
  const r = await fetch(`${api.url}/api/members/${ids.firstMember}`, { headers: admin });
  const member = await r.json();
  expect(validate(member)).toBe(true);
  expect(validate({ ...member, nationalId: '01010112345' })).toBe(false);
  expect(validate({ ...member, memberNumber: 42 })).toBe(false);
});
