import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestHub, type TestHub } from './helpers/hub';
import {
  applySubstitutions, loadLatestVersionByKey, mergeFieldsFromMember, normaliseSmsText, renderEmail, renderEmailBatch, renderSms,
  smsInfo, syncBuiltInTemplates, TemplateInvalid, type EmailRecipient, type MergeFields, type TemplateVersion,
} from '../src/render';
import { TEMPLATES_DIR } from '../src/paths';
import { compileFast, compileMerge, mergeContext } from '../src/render/fields';
import { readBuiltInTemplates } from '../src/render';

let t: TestHub;
let campaign: TemplateVersion;
let dues: TemplateVersion;

const LINKS = { action: 'https://kampanje.example.no/bli-med?kilde=epost&id=7' };

function fields(over: Partial<MergeFields> = {}): MergeFields {
  return {
    ...mergeFieldsFromMember({ firstName: 'Kari', lastName: 'Nordmann', memberNumber: '1001', workplace: 'Verkstedet', employer: 'Industri AS', branch: 'Oslo avdeling' }),
    unsubscribeUrl: 'https://hub.example.no/u/tok-kari?c=campaign&x=1',
    preferencesUrl: 'https://hub.example.no/p/tok-kari',
    links: LINKS,
    ...over,
  };
}

beforeAll(async () => {
  t = await createTestHub();
  await syncBuiltInTemplates(t.hub);
  campaign = await loadLatestVersionByKey(t.hub.db, 'campaign');
  dues = await loadLatestVersionByKey(t.hub.db, 'dues_reminder');
});
afterAll(() => t.close());

describe('built-in templates', () => {
  test('are loaded at start once; a changed file makes a new version, an unchanged one nothing', async () => {
    const keys = (await t.hub.db.many('SELECT key FROM templates WHERE built_in ORDER BY key')).map((r) => r.key);
    expect(keys).toEqual(['ballot_opened', 'ballot_reminder', 'ballot_result', 'campaign', 'course_reminder', 'dues_reminder',
      'membership_confirmation', 'newsletter', 'resignation_confirmation', 'strike_notice']);
    const again = await syncBuiltInTemplates(t.hub);
    expect(again.created).toEqual([]);
    expect(again.updated).toEqual([]);
    expect(again.invalid).toEqual([]);

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bs-templates-'));
    fs.cpSync(TEMPLATES_DIR, dir, { recursive: true });
    fs.appendFileSync(path.join(dir, 'dues_reminder', 'nb.sms.txt'), ' Ring oss gjerne.');
    const changed = await syncBuiltInTemplates(t.hub, dir);
    expect(changed.updated).toEqual(['dues_reminder']);
    const v2 = await loadLatestVersionByKey(t.hub.db, 'dues_reminder');
    expect(v2.version).toBe(dues.version + 1);
    expect(v2.languages.nb.sms).toMatch(/Ring oss gjerne\.$/);
    // the earlier version is unchanged: a campaign launched with it sends what it was launched with
    const old = await t.hub.db.one('SELECT sms FROM template_version_languages WHERE template_version_id = $1 AND language = $2', [dues.id, 'nb']);
    expect(old!.sms).not.toMatch(/Ring oss gjerne/);
    await expect(t.hub.db.query('UPDATE template_version_languages SET sms = $1 WHERE template_version_id = $2', ['x', dues.id])).rejects.toThrow(/append-only/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every built-in has bokmål, nynorsk and English for each of its channels', async () => {
    const rows = await t.hub.db.many(`SELECT t.key, l.language, l.subject IS NOT NULL AS subject, l.mjml IS NOT NULL AS mjml, l.sms IS NOT NULL AS sms, l.letter IS NOT NULL AS letter
      FROM templates t JOIN template_versions v ON v.template_id = t.id JOIN template_version_languages l ON l.template_version_id = v.id
      WHERE t.built_in AND v.version = 1 ORDER BY t.key, l.language`);
    const byKey = new Map<string, typeof rows>();
    for (const r of rows) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    for (const [key, langs] of byKey) {
      expect({ key, languages: langs.map((l) => l.language) }).toEqual({ key, languages: ['en', 'nb', 'nn'] });
      const shape = (l: any) => [l.subject, l.mjml, l.sms, l.letter];
      for (const l of langs) expect({ key, lang: l.language, shape: shape(l) }).toEqual({ key, lang: l.language, shape: shape(langs[1]) });
    }
  });
});

describe('email', () => {
  test('merges the member, escapes markup in HTML, keeps the subject plain text', async () => {
    const f = fields({ firstName: '<script>alert("x")</script>', lastName: 'O\'Brien & Co' });
    const e = await renderEmail(t.hub, campaign, 'nb', f);
    expect(e.language).toBe('nb');
    expect(e.html).not.toContain('<script>');
    expect(e.html).toContain('Hei &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;,');
    expect(e.subject).toBe('<script>alert("x")</script>, vi trenger deg med');
    expect(e.text).toContain('Hei <script>alert("x")</script>,');
    expect(e.html).toContain('Vi vil gjerne høre hvordan det er på Verkstedet.');
    expect(e.html).toContain(t.config.unionName);
  });

  test('a subject cannot carry a line break from member data', async () => {
    const e = await renderEmail(t.hub, campaign, 'nb', fields({ firstName: 'Kari\r\nBcc: x@evil.example' }));
    expect(e.subject).toBe('Kari Bcc: x@evil.example, vi trenger deg med');
  });

  test('language: the member\'s own, else bokmål', async () => {
    expect((await renderEmail(t.hub, campaign, 'nn', fields())).subject).toBe('Kari, vi treng deg med');
    expect((await renderEmail(t.hub, campaign, 'en', fields())).subject).toBe('Kari, we need you with us');
    expect((await renderEmail(t.hub, campaign, null, fields())).subject).toBe('Kari, vi trenger deg med');
    expect((await renderEmail(t.hub, campaign, 'se', fields())).subject).toBe('Kari, vi trenger deg med');
    const nbOnly: TemplateVersion = { ...campaign, id: -1, languages: { nb: campaign.languages.nb } };
    const e = await renderEmail(t.hub, nbOnly, 'en', fields());
    expect(e.language).toBe('nb');
    expect(e.html).toContain('Sammen for en trygg arbeidshverdag');
  });

  test('links and the signed unsubscribe/preference URLs are in both parts; List-Unsubscribe headers are set', async () => {
    const f = fields();
    const e = await renderEmail(t.hub, campaign, 'nb', f);
    expect(e.html).toContain('href="https://kampanje.example.no/bli-med?kilde&#x3D;epost&amp;id&#x3D;7"');
    expect(e.html).toContain('href="https://hub.example.no/u/tok-kari?c&#x3D;campaign&amp;x&#x3D;1"');
    expect(e.html).toContain('href="https://hub.example.no/p/tok-kari"');
    expect(e.text).toContain('<https://kampanje.example.no/bli-med?kilde=epost&id=7>');
    expect(e.text).toContain('Meld deg av <https://hub.example.no/u/tok-kari?c=campaign&x=1>');
    expect(e.text).toContain('<https://hub.example.no/p/tok-kari>');
    expect(e.headers).toEqual({ 'List-Unsubscribe': `<${f.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
    await expect(renderEmail(t.hub, campaign, 'nb', fields({ links: {} }))).rejects.toThrow(/links\.action/);
  });

  test('footer: a declinable category shows unsubscribe and preferences; a membership message says why and links preferences', async () => {
    const c = await renderEmail(t.hub, campaign, 'nb', fields());
    expect(c.text).toMatch(/Du\s+kan\s+når\s+som\s+helst\s+si\s+nei\s+takk/);
    expect(c.text).toContain('Meld deg av <https://hub.example.no/u/tok-kari');
    const d = await renderEmail(t.hub, dues, 'nb', fields({ links: { payment: 'https://min.example.no/betal' } }));
    expect(d.text).toMatch(/del\s+av\s+medlemsavtalen/);
    expect(d.html).toContain('href="https://hub.example.no/p/tok-kari"');
    expect(d.html).not.toContain('Meld deg av');
    expect(d.html).not.toContain('/u/tok-kari');
    const dEn = await renderEmail(t.hub, dues, 'en', fields({ links: { payment: 'https://min.example.no/betal' } }));
    expect(dEn.text).toMatch(/part of the\s+membership\s+agreement/);
  });

  test('batch: one request per language, one personalization per member with its own headers, send_log_id and merged content', async () => {
    const people: EmailRecipient[] = [
      { sendLogId: 11, email: 'kari@example.no', language: 'nb', fields: fields() },
      { sendLogId: 12, email: 'ola@example.no', language: 'nn', fields: fields({ firstName: 'Ola', workplace: '', unsubscribeUrl: 'https://hub.example.no/u/tok-ola' }) },
      { sendLogId: 13, email: 'per@example.no', language: null, fields: fields({ firstName: '<b>Per</b>', unsubscribeUrl: 'https://hub.example.no/u/tok-per' }) },
      { sendLogId: 14, email: 'ann@example.no', language: 'en', fields: fields({ firstName: 'Ann', unsubscribeUrl: 'https://hub.example.no/u/tok-ann' }) },
    ];
    const requests = await renderEmailBatch(t.hub, campaign, people, { metadata: { campaign_id: '5' } });
    expect(requests.map((r) => [r.language, r.sendLogIds])).toEqual([['nb', ['11', '13']], ['nn', ['12']], ['en', ['14']]]);
    for (const req of requests) {
      expect(req.message.from).toEqual({ email: t.config.unionEmailFrom, name: t.config.unionName });
      expect(typeof req.message.text).toBe('string');
      expect(req.message.metadata).toEqual({ campaign_id: '5' });
      expect(req.message.tracking).toEqual({ clicks: false, opens: false });
    }
    const byId = new Map<string, { req: (typeof requests)[0]; i: number }>();
    requests.forEach((req) => req.message.recipients.forEach((p, i) => byId.set(p.ref!, { req, i })));
    for (const r of people) {
      const { req, i } = byId.get(String(r.sendLogId))!;
      const p = req.message.recipients[i];
      expect(p.to).toEqual({ email: r.email, name: `${r.fields.firstName} Nordmann` });
      expect(p.headers).toEqual({ 'List-Unsubscribe': `<${r.fields.unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
      expect(Buffer.byteLength(JSON.stringify(p.values))).toBeLessThan(10_000);
      // What SendGrid makes of the shared body and this member's substitutions is exactly the member's own email.
      const single = await renderEmail(t.hub, campaign, r.language, r.fields);
      const merged = applySubstitutions(req.message, i);
      expect(merged.subject).toBe(single.subject);
      expect(merged.html).toBe(single.html);
      expect(merged.text).toBe(single.text);
    }
    const per = applySubstitutions(byId.get('13')!.req.message, byId.get('13')!.i);
    expect(per.html).toContain('&lt;b&gt;Per&lt;/b&gt;');
    expect(per.html).not.toContain('<b>Per</b>');
    // No member's data is in the shared body.
    for (const req of requests) expect(req.message.html + req.message.text).not.toMatch(/tok-|Kari\b|Ola\b|Verkstedet/);
  });

  test('batch: what is the same for every member of a request is sent once (campaign links in the shared body, a text value equal to its html value under one tag); each member still gets their own email', async () => {
    const plainLinks = { action: 'https://kampanje.example.no/bli-med' };
    const people: EmailRecipient[] = ['Kari', 'Ola', 'Per'].map((firstName, i) => ({
      sendLogId: 21 + i, email: `m${i}@example.no`, language: 'nb',
      fields: fields({ firstName, workplace: i === 1 ? '' : 'Verkstedet', links: plainLinks, unsubscribeUrl: `https://hub.example.no/u/tok-${i}`, preferencesUrl: `https://hub.example.no/p/tok-${i}` }),
    }));
    const [req] = await renderEmailBatch(t.hub, campaign, people, { links: plainLinks });
    expect(req.sendLogIds).toEqual(['21', '22', '23']);
    // The campaign's link is in the shared body, no member's value is.
    expect(req.message.html).toContain('href="https://kampanje.example.no/bli-med"');
    expect(req.message.html + req.message.text).not.toMatch(/tok-|Kari\b|Ola\b|Verkstedet/);
    for (const [i, r] of people.entries()) {
      const values = Object.values(req.message.recipients[i].values!);
      expect(values).not.toContain(plainLinks.action);
      // Each value once: the text body uses the html tags of the same values.
      expect(new Set(values).size).toBe(values.length);
      expect(values.filter((v) => v === r.fields.firstName)).toHaveLength(1);
      const single = await renderEmail(t.hub, campaign, r.language, r.fields);
      expect(applySubstitutions(req.message, i)).toEqual({ subject: single.subject, html: single.html, text: single.text });
    }
    // A member with links of their own: nothing of the links is shared, and each gets their own link.
    const own = [people[0], { ...people[1], fields: { ...people[1].fields, links: { action: 'https://kampanje.example.no/egen' } } }];
    const [mixed] = await renderEmailBatch(t.hub, campaign, own, { links: plainLinks });
    expect(mixed.message.html).not.toContain('kampanje.example.no');
    for (const [i, r] of own.entries()) {
      const single = await renderEmail(t.hub, campaign, r.language, r.fields);
      expect(applySubstitutions(mixed.message, i).html).toBe(single.html);
    }
  });

  test('batch: a member whose substitutions would pass 10,000 bytes gets a request of their own with the merged body', async () => {
    const long = 'Verksted '.repeat(700);
    const requests = await renderEmailBatch(t.hub, campaign, [
      { sendLogId: 1, email: 'a@example.no', language: 'nb', fields: fields() },
      { sendLogId: 2, email: 'b@example.no', language: 'nb', fields: fields({ workplace: long }) },
    ]);
    expect(requests.map((r) => [r.shared, r.sendLogIds])).toEqual([[false, ['2']], [true, ['1']]]);
    const alone = requests[0].message;
    expect(alone.recipients).toHaveLength(1);
    expect(alone.recipients[0].values).toBeUndefined();
    expect(alone.html).toContain(long.trim());
    expect(alone.recipients[0].headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
  });

  test('batch refuses more than 1000 recipients and a member without an unsubscribe URL', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ sendLogId: i, email: `m${i}@example.no`, language: 'nb', fields: fields() }));
    await expect(renderEmailBatch(t.hub, campaign, many)).rejects.toThrow(/at most 1000/);
    await expect(renderEmailBatch(t.hub, campaign, [{ sendLogId: 1, email: 'a@example.no', language: 'nb', fields: fields({ unsubscribeUrl: '' }) }]))
      .rejects.toThrow(/List-Unsubscribe/);
  });
});

describe('SMS', () => {
  test('æøå are GSM-7: 160 in one SMS, 153 per part after that', () => {
    expect(smsInfo('Hei Åse! Ærlig talt, søt øl på Tøyen.')).toMatchObject({ encoding: 'GSM-7', characters: 37, units: 37, segments: 1, warnings: [] });
    expect(smsInfo('æøå'.repeat(53) + 'x')).toMatchObject({ encoding: 'GSM-7', characters: 160, segments: 1 });
    expect(smsInfo('æøå'.repeat(53) + 'xy')).toMatchObject({ encoding: 'GSM-7', characters: 161, segments: 2 });
    expect(smsInfo('ø'.repeat(306))).toMatchObject({ segments: 2 });
    expect(smsInfo('ø'.repeat(307))).toMatchObject({ segments: 3 });
  });

  test('€ and ^{}\\[~]| count double', () => {
    expect(smsInfo('€'.repeat(80))).toMatchObject({ encoding: 'GSM-7', characters: 80, units: 160, segments: 1 });
    expect(smsInfo('€'.repeat(81))).toMatchObject({ encoding: 'GSM-7', units: 162, segments: 2 });
    expect(smsInfo('Pris: 100 € [inkl. mva]')).toMatchObject({ encoding: 'GSM-7', characters: 23, units: 26 });
    // a part never splits an escape pair: 76 € fill 152 septets, the 77th starts a new part
    expect(smsInfo('€'.repeat(153))).toMatchObject({ units: 306, segments: 3 });
  });

  test('an emoji makes the whole message UCS-2 and counts two units', () => {
    expect(smsInfo('Hei 👋')).toMatchObject({ encoding: 'UCS-2', characters: 5, units: 6, segments: 1 });
    expect(smsInfo('a'.repeat(68) + '👋')).toMatchObject({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(smsInfo('a'.repeat(69) + '👋')).toMatchObject({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(smsInfo('æ'.repeat(134))).toMatchObject({ encoding: 'GSM-7', segments: 1 });
  });

  test('typographic quotes force UCS-2, with a warning; normaliseSmsText gets back to GSM-7', () => {
    const s = 'Møt opp – «streikevakt» i morgen… Husk “vest”.';
    const info = smsInfo(s);
    expect(info.encoding).toBe('UCS-2');
    expect(info.warnings.join(' ')).toMatch(/«–», «\u00ab», «\u00bb», «…», «“», «”» gjør at SMS-en må sendes som UCS-2/);
    expect(info.replacements).toContainEqual({ from: '–', to: '-', label: 'Bytt – med -' });
    const n = normaliseSmsText(s);
    expect(n.text).toBe('Møt opp - "streikevakt" i morgen... Husk "vest".');
    expect(smsInfo(n.text).encoding).toBe('GSM-7');
    expect(n.replaced.map((r) => r.from).sort()).toEqual(['«', '»', '–', '…', '“', '”'].sort());
  });

  test('warns above 3 segments and refuses above 1600 characters', () => {
    expect(smsInfo('a'.repeat(459)).warnings).toEqual([]);
    expect(smsInfo('a'.repeat(460))).toMatchObject({ segments: 4, ok: true });
    expect(smsInfo('a'.repeat(460)).warnings.join(' ')).toMatch(/SMS-en blir 4 segmenter/);
    expect(smsInfo('a'.repeat(1600)).ok).toBe(true);
    expect(smsInfo('a'.repeat(1601))).toMatchObject({ ok: false, characters: 1601 });
    expect(() => renderSms(t.hub, campaign, 'nb', fields({ firstName: 'a'.repeat(1600) }))).toThrow(TemplateInvalid);
  });

  test('a declinable category ends with the opt-out hint in the member\'s language; membership messages do not', () => {
    const nb = renderSms(t.hub, campaign, 'nb', fields());
    expect(nb.text).toMatch(/^Hei Kari! .*https:\/\/kampanje\.example\.no\/bli-med\?kilde=epost&id=7\nSvar STOPP for å reservere deg$/s);
    expect(nb.info.encoding).toBe('GSM-7');
    expect(renderSms(t.hub, campaign, 'nn', fields()).text).toMatch(/\nSvar STOPP for å melde deg av$/);
    expect(renderSms(t.hub, campaign, 'en', fields()).text).toMatch(/\nReply STOP to opt out$/);
    const d = renderSms(t.hub, dues, 'nb', fields({ links: { payment: 'https://min.example.no/betal' } }));
    expect(d.text).not.toMatch(/STOPP/);
    expect(d.text).toContain('medlemsnr. 1001');
  });
});

describe('merge compiler', () => {
  test('gives exactly what Handlebars gives, for every built-in template and channel', async () => {
    const samples: MergeFields[] = [
      fields(),
      fields({ firstName: '<i>"Å"</i> & \'co\'', workplace: '', club: 'Klubb = 1', branch: '', agreement: '', links: { read: 'https://x.no/?a=1&b=2', action: '`x`', payment: '', course: 'c', cancel: 'd', info: 'e' } }),
      { ...fields(), ballot: { title: 'Oppgjøret <2026>', votingUrl: 'https://valg.example.no/?v=1&x=2', closesAt: '1. mars', result: 'Ja: 71 %' } },
    ];
    let compared = 0;
    for (const b of readBuiltInTemplates()) {
      for (const c of Object.values(b.languages)) {
        for (const src of [c!.subject, c!.mjml, c!.sms, c!.letter]) {
          if (!src) continue;
          for (const escape of [true, false]) {
            const fast = compileFast(src, { escape, unionName: 'Forbundet & Co' });
            const slow = compileMerge(src, { escape });
            for (const f of samples) {
              expect(fast(f, f.links)).toBe(slow(mergeContext(f, 'Forbundet & Co')));
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBeGreaterThan(500);
  });
});
