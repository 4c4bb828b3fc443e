import fs from 'node:fs';
import path from 'node:path';
import Joi from 'joi';
import { JOI_MESSAGES_NB } from '../src/errors';
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';

/**
 * Issue 12, "every staff-facing text and error is Norwegian bokmål": the problem documents the
 * API answers are what the staff pages show, so their details and field messages are bokmål.
 * Two checks: every `Problem` built in src/ (and every field message beside one) has no English
 * words in its text, read from the source; and the API's own validation answers (joi) come back
 * in bokmål, naming the field, for the kinds of mistakes staff make.
 */

const ROOT = path.resolve(__dirname, '..');

/**
 * Words that are English and not Norwegian (so «for», «to», «at», «under», «i» are not here). A
 * field or code name is not text: `body.x`, identifiers with _ or camelCase, and ${…} are taken
 * out before the words are read.
 */
const ENGLISH = /\b(the|is|are|not|must|cannot|can|has|have|had|was|were|only|already|this|that|with|from|and|should|does|did|been|there|which|will|your|you|unknown|invalid|missing|found|allowed|required|exists|no|nothing|please|already|before|after|because|when|than|field|file|member|campaign|template|ballot|user|request|route)\b/i;

/**
 * Problems not meant for staff: the provider webhooks answer SendGrid and Twilio, whose logs are
 * read by whoever runs the integration, never shown on a staff page.
 */
const NOT_STAFF_FACING = ['src/consent/webhooks/sendgrid.ts', 'src/consent/webhooks/twilio.ts'];
/** The configuration's own messages are for whoever starts the hub (stderr at startup, like the logs): English. */
const OPERATOR_FACING = ['src/config.ts'];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

/** The text of a call's arguments: from the opening parenthesis to its match (strings and templates skipped over). */
function callArguments(src: string, open: number): string {
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    const ch = src[i];
    if (ch === '\'' || ch === '"' || ch === '`') {
      const q = ch;
      for (i++; i < src.length && src[i] !== q; i++) {
        if (src[i] === '\\') i++;
        else if (q === '`' && src[i] === '$' && src[i + 1] === '{') {
          let d = 0;
          for (; i < src.length; i++) { if (src[i] === '{') d++; else if (src[i] === '}' && --d === 0) break; }
        }
      }
      continue;
    }
    if (ch === '(') depth++;
    if (ch === ')' && --depth === 0) return src.slice(open + 1, i);
  }
  return src.slice(open + 1);
}

/** The string literals in a piece of code, template holes removed. */
function literals(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|`((?:[^`\\]|\\.|\$\{(?:[^{}]|\{[^{}]*\})*\})*)`/g)) {
    out.push((m[1] ?? m[2] ?? m[3] ?? '').replace(/\$\{(?:[^{}]|\{[^{}]*\})*\}/g, ' '));
  }
  return out;
}

/** The English words of a text meant for people (names of fields and codes taken out). */
export function englishWords(text: string): string[] {
  const prose = text
    .replace(/\{\{[^}]*\}\}/g, ' ')
    .replace(/\b[\w-]+(\.[\w-]+)+\b/g, ' ') // body.memberNumber, languages.nb.sms, hub.example
    .replace(/\b\w*[a-z][A-Z]\w*\b/g, ' ') // camelCase names: publicKey, staffUserId
    .replace(/\b\w+_\w+\b/g, ' ') // snake_case names and constants: member_number, DB_STATEMENT_TIMEOUT_MS
    // Names in parentheses: (X-CSRF-Token), (NUL), (from), (all, any, not).
    .replace(/\([^()]*\)/g, (m) => (/^\((?:[A-Z0-9][\w-]*|[a-z][\w-]*)(?:, (?:[A-Z0-9][\w-]*|[a-z][\w-]*))*\)$/.test(m) ? ' ' : m));
  return [...prose.matchAll(new RegExp(ENGLISH.source, 'gi'))].map((m) => m[0]);
}

/** Every Problem built in src/ with the texts of its detail and field messages, by file and line. */
function problemTexts(): { at: string; text: string }[] {
  const out: { at: string; text: string }[] = [];
  for (const f of sourceFiles('src')) {
    if (NOT_STAFF_FACING.includes(f) || f === path.join('src', 'errors.ts')) continue;
    const src = fs.readFileSync(path.join(ROOT, f), 'utf8');
    const sites = [...src.matchAll(/\bProblem\.(badRequest|unauthorized|forbidden|notFound|conflict|unprocessable)\(|\bnew Problem\(/g)];
    for (const m of sites) {
      const open = (m.index ?? 0) + m[0].length - 1;
      let texts = literals(callArguments(src, open));
      // new Problem(status, title, detail…): the title is the HTTP reason phrase (RFC 9457), the detail is text.
      if (m[0].startsWith('new')) texts = texts.slice(1);
      const line = src.slice(0, open).split('\n').length;
      for (const text of texts) out.push({ at: `${f}:${line}`, text });
    }
    // Joi messages of our own (.messages({…}), h.message({ custom })) and the audience filter's size limits.
    if (!OPERATOR_FACING.includes(f)) {
      for (const m of src.matchAll(/\.messages?\(\{|\btooBig\(/g)) {
        const open = (m.index ?? 0) + m[0].length - (m[0].endsWith('{') ? 2 : 1);
        const line = src.slice(0, open).split('\n').length;
        let texts = literals(callArguments(src, open));
        if (m[0].startsWith('tooBig')) texts = texts.slice(-1); // tooBig(where, path, limit, message)
        for (const text of texts.filter((x) => !/^[a-z]+(\.[a-zA-Z]+)+$/.test(x) && x !== 'custom')) out.push({ at: `${f}:${line}`, text: text.replace(/\{\{#label\}\}/g, ' ') });
      }
    }
    // The import's row errors and warnings (shown on the import page).
    for (const m of src.matchAll(/\b(?:c|this)\.err\(|\bwarnings\.push\(/g)) {
      const open = (m.index ?? 0) + m[0].length - 1;
      const line = src.slice(0, open).split('\n').length;
      for (const text of literals(callArguments(src, open))) out.push({ at: `${f}:${line}`, text });
    }
    // Field messages built beside a Problem (a list of errors thrown together).
    for (const m of src.matchAll(/\b(?:errors|bad|batch)\.push\(/g)) {
      const open = (m.index ?? 0) + m[0].length - 1;
      const args = callArguments(src, open);
      const msg = /message:\s*/.exec(args);
      if (!msg) continue;
      const line = src.slice(0, open).split('\n').length;
      for (const text of literals(args.slice(msg.index + msg[0].length))) out.push({ at: `${f}:${line}`, text });
    }
  }
  return out;
}

describe('staff text is bokmål', () => {
  test('the English detector finds English and passes Norwegian (the check can fail)', () => {
    expect(englishWords('No member 123.')).toEqual(['No', 'member']);
    expect(englishWords('Campaign 5 is running; it cannot be edited now.')).toEqual(['Campaign', 'is', 'cannot']);
    expect(englishWords('Fant ikke medlem 123.')).toEqual([]);
    expect(englishWords('publicKey må oppgis for format pgp; body.publicKey er for lang (X-CSRF-Token)')).toEqual([]);
    expect(englishWords('feil i oppsettet (the layout) og (all, any, not)')).toEqual(['the']);
  });

  test('no Problem detail, field message or import row error in src/ is English (provider webhooks excepted)', () => {
    const texts = problemTexts();
    // The scan sees the call sites (hundreds of texts); a scan that found none would prove nothing.
    expect(texts.length).toBeGreaterThan(150);
    const english = texts.map((t) => ({ ...t, words: englishWords(t.text) })).filter((t) => t.words.length).map((t) => `${t.at}: «${t.text.trim()}» (${t.words.join(', ')})`);
    expect(english).toEqual([]);
  });

  test('every message joi has for the schema types src/ uses has a bokmål text (none falls back to joi\'s English)', () => {
    const used = new Set<string>();
    for (const f of sourceFiles('src')) {
      for (const m of fs.readFileSync(path.join(ROOT, f), 'utf8').matchAll(/\bJoi\.([a-z]+)\(/g)) if (m[1] in Joi.types()) used.add(m[1]);
    }
    expect([...used]).toEqual(expect.arrayContaining(['string', 'number', 'object', 'array', 'boolean', 'date']));
    const types = Joi.types() as unknown as Record<string, { _definition: { messages: Record<string, unknown> } }>;
    const codes = new Set([...used, 'any'].flatMap((t) => Object.keys(types[t]._definition.messages)));
    expect([...codes].filter((c) => !(c in JOI_MESSAGES_NB))).toEqual([]);
    expect(Object.values(JOI_MESSAGES_NB).flatMap((m) => englishWords(String(m).replace(/\{\{[^}]*\}\}/g, ' ')))).toEqual([]);
  });

  describe('the API answers validation errors in bokmål, naming the field', () => {
    let t: TestHub;
    let api: Awaited<ReturnType<typeof startApi>>;
    let auth: { authorization: string };
    beforeAll(async () => {
      t = await createTestHub();
      api = await startApi(t.hub);
      auth = (await staffWithToken(t.hub, 'admin')).auth;
    });
    afterAll(async () => { await api?.close(); await t?.close(); });

    const post = async (p: string, body: unknown) => {
      const r = await fetch(`${api.url}${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, body: await r.json() as { detail?: string; errors?: { field: string; message: string }[] } };
    };

    test('missing, wrong type, unknown field, too long, not one of the values: each message is bokmål and names its field', async () => {
      const r = await post('/api/campaigns', { name: 'x'.repeat(300), category: 7, channels: ['fax'], surprise: true });
      expect(r.status).toBe(400);
      const errors = r.body.errors ?? [];
      const byField = Object.fromEntries(errors.map((e) => [e.field, e.message]));
      expect(byField['body.name']).toBe('name kan være høyst 200 tegn');
      expect(byField['body.category']).toBe('category må være tekst');
      expect(byField['body.channels.0']).toBe('channels[0] må være en av: [email, sms, letter]');
      expect(byField['body.surprise']).toBe('surprise er ikke et kjent felt');
      expect(byField['body.audience']).toBe('audience mangler');
      expect(r.body.detail).toBe('Ugyldig innhold i forespørselen');
      expect(errors.flatMap((e) => englishWords(e.message).map((w) => `${e.field}: ${w}`))).toEqual([]);
    });

    test('an unknown route, a bad JSON body and an unknown id are answered in bokmål', async () => {
      const none = await fetch(`${api.url}/api/finnes-ikke`, { headers: auth });
      expect(((await none.json()) as { detail: string }).detail).toBe('Finnes ikke: GET /api/finnes-ikke.');
      const bad = await fetch(`${api.url}/api/campaigns`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{' });
      expect(((await bad.json()) as { detail: string }).detail).toBe('Innholdet i forespørselen er ikke gyldig JSON.');
      const missing = await fetch(`${api.url}/api/campaigns/999999`, { headers: auth });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { detail: string }).detail).toBe('Fant ingen kampanje 999999.');
    });
  });
});
