import { createTestHub, type TestHub } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';
import { loadRecipientData, recipientColumns, recipientFromRow, type TemplateVersion, type LanguageContent } from '../src/render';
import { decideBatchWith } from '../src/consent';

/**
 * The recipient data of a send (src/render/recipients.ts): with the template version being sent,
 * only the register fields its texts name are loaded, and a field a text names is never left
 * out, in whichever language or channel it is named.
 */

let t: TestHub;
let org: Org;
let memberId: number;
beforeAll(async () => {
  t = await createTestHub();
  org = await createOrg(t.hub.db);
  memberId = (await insertMember(t.hub.db, {
    memberNumber: 'RD1', postcode: '0150', workplaceId: org.workplaceId, branchId: org.branchId, clubId: org.clubId, agreementIds: [org.agreementId],
  })).id;
});
afterAll(async () => { await t.close(); });

let nextVersionId = 9_000_000;
function version(languages: Record<string, Partial<LanguageContent>>): TemplateVersion {
  const full = (l: Partial<LanguageContent>): LanguageContent => ({ subject: null, mjml: null, sms: null, letter: null, ...l });
  const langs = Object.fromEntries(Object.entries(languages).map(([k, v]) => [k, full(v)])) as TemplateVersion['languages'];
  return { id: ++nextVersionId, templateId: 1, key: 'rd', name: 'rd', category: 'newsletter', declinable: true, version: 1, languages: langs };
}

test('without a template version every register field is loaded', async () => {
  const [d] = await loadRecipientData(t.hub.db, [memberId]);
  expect(d.fields).toMatchObject({
    firstName: 'Kari', workplace: expect.stringMatching(/^Verksted/), employer: expect.stringMatching(/^Arbeidsgiver/),
    branch: expect.stringMatching(/^Avdeling/), club: expect.stringMatching(/^Klubb/), agreement: expect.stringMatching(/^Hovedtariffavtalen/),
    municipality: 'OSLO', county: 'Oslo',
  });
});

test('a field the template names is merged, and fields it does not name are empty', async () => {
  const v = version({ nb: { subject: 'Hei {{firstName}}', mjml: '<mj-text>Du jobber hos {{employer}}</mj-text>' } });
  const [d] = await loadRecipientData(t.hub.db, [memberId], v);
  expect(d.fields.employer).toMatch(/^Arbeidsgiver/);
  expect(d.fields.firstName).toBe('Kari');
  expect([d.fields.workplace, d.fields.branch, d.fields.club, d.fields.agreement, d.fields.municipality, d.fields.county]).toEqual(['', '', '', '', '', '']);
  expect(d.addressLines).toEqual(['Storgata 1']);
  expect(d.place).toBe('OSLO');
});

test('a field named only in another language or channel of the version is still loaded', async () => {
  const v = version({ nb: { sms: 'Hei {{firstName}}' }, en: { letter: 'Your agreement: {{agreement}}' }, nn: { subject: '{{#if club}}Klubben{{/if}}' } });
  const [d] = await loadRecipientData(t.hub.db, [memberId], v);
  expect(d.fields.agreement).toMatch(/^Hovedtariffavtalen/);
  expect(d.fields.club).toMatch(/^Klubb/);
  expect(d.fields.workplace).toBe('');
});

test('the members come back in the order they were asked for, each once', async () => {
  const other = (await insertMember(t.hub.db, { memberNumber: 'RD2' })).id;
  const v = version({ nb: { sms: '{{firstName}}' } });
  expect((await loadRecipientData(t.hub.db, [other, memberId, 987654321], v)).map((d) => d.memberId)).toEqual([other, memberId]);
});

test('read with the consent re-check, a member\'s data for the message is the same as loadRecipientData\'s, and an unknown id gets no row', async () => {
  const v = version({ nb: { subject: 'Hei {{firstName}}', mjml: '<mj-text>{{workplace}}, {{agreement}}</mj-text>' } });
  const both = await decideBatchWith(t.hub.db, 'newsletter', 'email', [memberId, 987654321], {}, recipientColumns(v));
  const mine = both.get(memberId)!;
  expect(mine.decision).toMatchObject({ allowed: true, address: expect.stringContaining('@') });
  const [alone] = await loadRecipientData(t.hub.db, [memberId], v);
  expect(recipientFromRow(mine.row!)).toEqual(alone);
  expect(alone.fields.workplace).toMatch(/^Verksted/);
  expect(both.get(987654321)).toEqual({ decision: { allowed: false, reason: 'unknown_member', address: null }, row: null });
});
