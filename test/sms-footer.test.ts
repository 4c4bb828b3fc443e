import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { loadConfig } from '../src/config';
import { getTemplateByKey, loadLatestVersionByKey, mergeFieldsFromMember, renderSms, type TemplateVersion } from '../src/render';
import { smsLength } from '../src/segments';

const config = (type: string) => loadConfig({ NODE_ENV: 'test', TWILIO_SENDER_TYPE: type, PUBLIC_BASE_URL: 'https://medlem.budstikke.example' });

function version(sms: string, declinable: boolean): TemplateVersion {
  const c = { subject: null, mjml: null, sms, letter: null };
  return { id: Math.floor(Math.random() * 1e9), templateId: 1, key: 'k', name: 'k', category: declinable ? 'newsletter' : 'service', declinable, version: 1, languages: { nb: c, nn: c, en: c } };
}
const fields = mergeFieldsFromMember({ firstName: 'Kari', lastName: 'Nordmann', memberNumber: 'M1' });

describe('the SMS footer follows the sender type', () => {
  test('from a number: «Svar STOPP» in the member language; from an alphanumeric name: the short preference link, no STOP', () => {
    const v = version('Hei {{firstName}}, nytt nyhetsbrev er ute.', true);
    expect(renderSms({ config: config('number') }, v, 'nb', fields).text).toBe('Hei Kari, nytt nyhetsbrev er ute.\nSvar STOPP for å reservere deg');
    expect(renderSms({ config: config('number') }, v, 'nn', fields).text).toBe('Hei Kari, nytt nyhetsbrev er ute.\nSvar STOPP for å melde deg av');
    const alpha = renderSms({ config: config('alphanumeric') }, v, 'nb', fields).text;
    expect(alpha).toBe('Hei Kari, nytt nyhetsbrev er ute.\nReserver deg: https://medlem.budstikke.example/p');
    expect(alpha).not.toMatch(/STOP/);
    expect(renderSms({ config: config('alphanumeric') }, v, 'nn', fields).text).toMatch(/\nMeld deg av: https:\/\/medlem\.budstikke\.example\/p$/);
    expect(renderSms({ config: config('alphanumeric') }, v, 'en', fields).text).toMatch(/\nOpt out: https:\/\/medlem\.budstikke\.example\/p$/);
  });

  test('a category that cannot be declined gets no footer from either sender', () => {
    const v = version('Kontingenten for desember er trukket.', false);
    for (const t of ['number', 'alphanumeric']) expect(renderSms({ config: config(t) }, v, 'nb', fields).text).toBe('Kontingenten for desember er trukket.');
  });

  test('the segment count is of the text with its footer: a body of one segment becomes two', () => {
    const body = 'A'.repeat(150);
    expect(smsLength(body).segments).toBe(1);
    for (const t of ['number', 'alphanumeric']) {
      const r = renderSms({ config: config(t) }, version(body, true), 'nb', fields);
      expect(r.info.segments).toBe(2);
      expect(r.info.segments).toBe(smsLength(r.text).segments);
      expect(r.info.units).toBe(smsLength(r.text).units);
    }
  });

  test('TWILIO_SENDER_TYPE is checked at start', () => {
    expect(config('number').smsSenderType).toBe('number');
    expect(loadConfig({ NODE_ENV: 'test' }).smsSenderType).toBe('number');
    expect(() => config('shortcode')).toThrow(/TWILIO_SENDER_TYPE/);
  });
});

describe('alphanumeric sender, end to end', () => {
  let rig: CampaignRig;
  beforeAll(async () => { rig = await campaignRig({ env: { TWILIO_SENDER_TYPE: 'alphanumeric' } }); }, 120_000);
  afterAll(async () => { await rig.close(); });

  test('the member gets exactly the text and segment count the preview showed, footer included', async () => {
    const m = await insertMember(rig.hub.db, { email: null, street: null, postcode: null, phone: '+4791234888', firstName: 'Åsmund' });
    const comms = await staffWithToken(rig.hub, 'communications');
    const tpl = await getTemplateByKey(rig.hub.db, 'campaign');
    const links = { action: 'https://kampanje.example/bli-med' };
    const preview = await (await fetch(`${rig.url}/api/templates/${tpl!.id}/preview`, {
      method: 'POST', headers: { ...comms.auth, 'content-type': 'application/json' }, body: JSON.stringify({ memberNumber: m.memberNumber, links }),
    })).json();
    expect(preview.sms.text).toMatch(new RegExp(`\\nReserver deg: ${rig.url.replace(/[.]/g, '\\.')}/p$`));
    const v = await loadLatestVersionByKey(rig.hub.db, 'campaign');
    expect(preview.sms.info.segments).toBe(smsLength(preview.sms.text).segments);
    const sent = await fetch(`${rig.url}/api/messages`, {
      method: 'POST', headers: { ...comms.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ memberNumber: m.memberNumber, template: v.key, channels: ['sms'], links, idempotencyKey: 'sms-footer-alpha-1' }),
    });
    expect(sent.status).toBe(201);
    const got = await until(async () => rig.em.twilio.ledger.recent({ to: '+4791234888' })[0], 60_000, 'the SMS');
    expect(got.body).toBe(preview.sms.text);
    expect(got.numSegments).toBe(preview.sms.info.segments);
  });
});
