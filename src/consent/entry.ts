import express, { type Request, type Response } from 'express';
import Joi from 'joi';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Hub } from '../hub';
import { recordConsentChange } from './ledger';
import { cachedCategories } from './categories';
import { CHANNEL_NAMES, T, categoryName, langOf, requestLang, type Lang } from './i18n';
import { esc, page, send, wrap } from './page-kit';
import { consumeMemberLink, peekMemberLink, signSession, verifySession, type LinkState } from './one-time';
import { sendEntryLink } from './member-messages';
import { entryLimiters } from './entry-throttle';
import { memberOfLetterCode, normaliseLetterCode } from './letter-codes';
import { savePrefs, showPrefs, type PrefAccess } from './pages';

/**
 * Preference entry for everyone (issue 14): `/p` (short, printed in letters and SMS) and
 * `/preferences`. A member gives an email address or mobile number; if it belongs to an active
 * member, a one-time link (30 minutes) goes to that address. The answer is the same page, the
 * same status and the same work before it whether or not anything matched: the register is
 * looked up and the link sent only after the answer has gone (no enumeration, no timing tell).
 *
 * Also here: the one-time link's own pages (`/p/l/…`: a GET shows a button, the POST uses the
 * link, so a mail scanner that follows links uses nothing), the short session they open
 * (`/p/s/…`), and the confirmation of an opt-in grant (`/p/c/…`, double opt-in).
 */
export function mountEntryPages(app: express.Express, hub: Hub): void {
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });
  const limit = entryLimiters(hub, (req) => addressKey(req.body), (req, res) => refused(req, res));
  for (const path of ['/p', '/preferences']) {
    app.get(path, wrap(hub, async (req, res) => entryPage(req, res, 200, requestLang(req.query.lang, req.get('accept-language')))));
    app.post(path, form, ...limit, wrap(hub, (req, res) => entryPost(hub, req, res)));
  }
  // A letter's code (`/p/<code>`, what its QR code opens); anything else with a dot is a message link (./pages).
  app.get('/p/:code', (req, res, next) => (normaliseLetterCode(req.params.code) ? limit[0](req, res, next) : next('route')),
    wrap(hub, (req, res) => codeGet(hub, req, res)));
  app.get('/p/l/:token', wrap(hub, (req, res) => linkGet(hub, req, res)));
  app.post('/p/l/:token', wrap(hub, (req, res) => linkPost(hub, req, res)));
  app.get('/p/s/:session', wrap(hub, (req, res) => sessionRoute(hub, req, res, 'get')));
  app.post('/p/s/:session', form, wrap(hub, (req, res) => sessionRoute(hub, req, res, 'post')));
  app.get('/p/c/:token', wrap(hub, (req, res) => confirmGet(hub, req, res)));
  app.post('/p/c/:token', wrap(hub, (req, res) => confirmPost(hub, req, res)));
}

export type EnteredAddress = { channel: 'email'; address: string } | { channel: 'sms'; address: string };

/**
 * What the member typed, as the register keeps it: an email lower-cased and trimmed, a phone
 * number in E.164 through libphonenumber-js (default region NO, so "912 34 567" works; a
 * foreign number needs its country code). null when it is neither.
 */
export function parseEnteredAddress(raw: unknown): EnteredAddress | null {
  if (typeof raw !== 'string') return null;
  const s = raw.normalize('NFC').trim();
  if (!s || s.length > 254) return null;
  if (s.includes('@')) {
    const e = s.toLowerCase();
    return Joi.string().email({ tlds: false }).validate(e).error ? null : { channel: 'email', address: e };
  }
  if (!/^[+0-9 ().-]{8,24}$/.test(s)) return null;
  const p = parsePhoneNumberFromString(s, 'NO');
  return p && p.isValid() ? { channel: 'sms', address: p.number } : null;
}

function addressKey(body: unknown): string | null {
  const a = parseEnteredAddress((body as Record<string, unknown> | undefined)?.address);
  return a ? `${a.channel}:${a.address}` : null;
}

const ENTRY_FORM = Joi.object({
  address: Joi.string().allow('').max(300),
  code: Joi.string().allow('').max(40),
  lang: Joi.string().valid('nb', 'nn', 'en'),
}).xor('address', 'code');

function langSwitch(lang: Lang, path: string): string {
  const names: Record<Lang, string> = { nb: 'Bokmål', nn: 'Nynorsk', en: 'English' };
  return `<nav class="lang" aria-label="Språk / Language">${(['nb', 'nn', 'en'] as Lang[]).filter((l) => l !== lang)
    .map((l) => `<a href="${esc(`${path}?lang=${l}`)}" lang="${l}" hreflang="${l}">${esc(names[l])}</a>`).join('')}</nav>`;
}

function field(name: string, label: string, value: string, error: string | null, attrs: string): string {
  return `<div class="field"><label for="${name}">${esc(label)}</label>
${error ? `<p class="err" id="${name}-error">${esc(error)}</p>` : ''}<input type="text" id="${name}" name="${name}" value="${esc(value)}" ${attrs}${error ? ` aria-invalid="true" aria-describedby="${name}-error"` : ''}></div>`;
}

interface EntryState { address?: string; addressError?: string | null; code?: string; codeError?: string | null; notice?: string }

function entryPage(req: Request, res: Response, status: number, lang: Lang, o: EntryState = {}): void {
  const t = T[lang];
  const body = `${langSwitch(lang, req.path === '/preferences' ? '/preferences' : '/p')}${o.notice ?? ''}<div class="card"><p>${esc(t.entryLead)}</p>
<form method="post" action="/p" novalidate><input type="hidden" name="lang" value="${lang}">
${field('address', t.addressLabel, o.address ?? '', o.addressError ?? null, 'autocomplete="email" spellcheck="false" autocapitalize="none" maxlength="254"')}
<button type="submit">${esc(t.sendLink)}</button></form></div>
<div class="card"><p>${esc(t.codeLead)}</p>
<form method="post" action="/p" novalidate><input type="hidden" name="lang" value="${lang}">
${field('code', t.codeLabel, o.code ?? '', o.codeError ?? null, 'autocomplete="off" spellcheck="false" autocapitalize="characters" maxlength="20"')}
<button type="submit">${esc(t.openButton)}</button></form></div>`;
  send(res, status, page(lang, t.entryTitle, body));
}

function refused(req: Request, res: Response): void {
  const lang = requestLang((req.body as Record<string, unknown> | undefined)?.lang, req.get('accept-language'));
  entryPage(req, res, 429, lang, { notice: `<div class="card warn" role="alert"><p>${esc(T[lang].tooMany)}</p></div>` });
}

async function entryPost(hub: Hub, req: Request, res: Response): Promise<void> {
  const { value: body, error } = ENTRY_FORM.validate(req.body ?? {}, { convert: false });
  const lang = requestLang(body?.lang, req.get('accept-language'));
  const typed = (k: string) => (typeof req.body?.[k] === 'string' ? String(req.body[k]).slice(0, 254) : '');
  if (!error && body.code !== undefined) {
    const code = normaliseLetterCode(body.code);
    if (!code) return entryPage(req, res, 400, lang, { code: typed('code'), codeError: T[lang].badCode });
    return res.redirect(303, `/p/${code}?lang=${lang}`);
  }
  const entered = error ? null : parseEnteredAddress(body.address);
  if (!entered) {
    // About the input's form only, never about the register: the same for every address.
    return entryPage(req, res, 400, lang, { address: typed('address'), addressError: T[lang].invalidAddress });
  }
  const t = T[lang];
  send(res, 200, page(lang, t.sentTitle, `<div class="card ok" role="status"><p>${esc(t.sentLead)}</p></div>
<p><a href="${esc(`/p?lang=${lang}`)}">${esc(t.askNew)}</a></p>`));
  // Only now, with the answer gone, is the register asked.
  res.once('finish', () => {
    void requestEntryLinks(hub, entered, lang).catch((err) => hub.log.error({ err: err?.message }, 'preference entry link not sent'));
  });
}

/** Active members with this address get a link each (several members may share an address; at most 3). */
export async function requestEntryLinks(hub: Hub, entered: EnteredAddress, lang: Lang): Promise<number> {
  const rows = entered.channel === 'email'
    ? await hub.db.many(`SELECT id FROM members WHERE lower(email) = $1 AND status = 'active' ORDER BY id LIMIT 3`, [entered.address])
    : await hub.db.many(`SELECT id FROM members WHERE phone = $1 AND status = 'active' ORDER BY id LIMIT 3`, [entered.address]);
  let sent = 0;
  for (const r of rows) if (await sendEntryLink(hub, Number(r.id), entered.channel, lang)) sent++;
  return sent;
}

/** A letter's code: opens the member's preference centre (a session; granting opt-in categories still needs a confirmation). */
async function codeGet(hub: Hub, req: Request, res: Response): Promise<void> {
  const code = normaliseLetterCode(req.params.code)!;
  const memberId = await memberOfLetterCode(hub.db, code, hub.clock.now());
  const lang = requestLang(req.query.lang, req.get('accept-language'));
  if (!memberId) return entryPage(req, res, 404, lang, { code: String(req.params.code).slice(0, 20), codeError: T[lang].badCode });
  res.redirect(303, `/p/s/${signSession(hub.config, { memberId, via: 'letter_code', proven: null }, hub.clock.now())}`);
}

// ---------- the one-time link and its session ----------

function linkProblem(res: Response, lang: Lang, why: Exclude<LinkState, { ok: true }>['why'], kind: 'entry' | 'confirm'): void {
  const t = T[lang];
  const text = why === 'used' ? (kind === 'entry' ? t.linkUsed : t.confirmUsed)
    : why === 'expired' ? (kind === 'entry' ? t.linkExpired : t.confirmExpired) : t.badLead;
  send(res, why === 'invalid' ? 400 : 410, page(lang, why === 'invalid' ? t.badTitle : kind === 'entry' ? t.openTitle : t.confirmTitle,
    `<div class="card warn" role="alert"><p>${esc(text)}</p></div><p><a href="${esc(`/p?lang=${lang}`)}">${esc(t.askNew)}</a></p>`));
}

async function memberLang(hub: Hub, memberId: number): Promise<Lang> {
  return langOf((await hub.db.one('SELECT language FROM members WHERE id = $1', [memberId]))?.language);
}

async function linkGet(hub: Hub, req: Request, res: Response): Promise<void> {
  const token = String(req.params.token);
  const s = await peekMemberLink(hub.db, hub.config, token, 'entry', hub.clock.now());
  const lang = s.ok ? await memberLang(hub, s.link.memberId) : requestLang(req.query.lang, req.get('accept-language'));
  if (!s.ok) return linkProblem(res, lang, s.why, 'entry');
  const t = T[lang];
  send(res, 200, page(lang, t.openTitle, `<div class="card"><p>${esc(t.openLead)}</p>
<form method="post" action="/p/l/${esc(token)}"><button type="submit">${esc(t.openButton)}</button></form></div>`));
}

async function linkPost(hub: Hub, req: Request, res: Response): Promise<void> {
  const s = await consumeMemberLink(hub.db, hub.config, String(req.params.token), 'entry', hub.clock.now());
  if (!s.ok) return linkProblem(res, requestLang(req.query.lang, req.get('accept-language')), s.why, 'entry');
  const session = signSession(hub.config, { memberId: s.link.memberId, via: 'preference_link', proven: s.link.sentChannel }, hub.clock.now());
  res.redirect(303, `/p/s/${session}`);
}

async function sessionRoute(hub: Hub, req: Request, res: Response, method: 'get' | 'post'): Promise<void> {
  const token = String(req.params.session);
  const s = verifySession(hub.config, token, hub.clock.now());
  if (!s) {
    const lang = requestLang(req.query.lang, req.get('accept-language'));
    return send(res, 410, page(lang, T[lang].prefsTitle, `<div class="card warn" role="alert"><p>${esc(T[lang].sessionExpired)}</p></div>
<p><a href="${esc(`/p?lang=${lang}`)}">${esc(T[lang].askNew)}</a></p>`));
  }
  const access: PrefAccess = { memberId: s.memberId, campaignId: null, source: s.via, proven: s.proven, action: `/p/s/${token}` };
  if (method === 'get') return showPrefs(hub, access, res);
  return savePrefs(hub, access, req, res);
}

// ---------- double opt-in confirmation ----------

async function confirmGet(hub: Hub, req: Request, res: Response): Promise<void> {
  const token = String(req.params.token);
  const s = await peekMemberLink(hub.db, hub.config, token, 'confirm', hub.clock.now());
  const lang = s.ok ? await memberLang(hub, s.link.memberId) : requestLang(req.query.lang, req.get('accept-language'));
  if (!s.ok) return linkProblem(res, lang, s.why, 'confirm');
  const t = T[lang];
  const cat = (await cachedCategories(hub.db)).byCode.get(s.link.category!);
  const name = categoryName(lang, s.link.category!, cat?.nameNb ?? s.link.category!);
  send(res, 200, page(lang, t.confirmTitle, `<div class="card"><p>${esc(t.confirmLead(name, CHANNEL_NAMES[lang][s.link.consentChannel!]))}</p>
<form method="post" action="/p/c/${esc(token)}"><button type="submit">${esc(t.confirmButton)}</button></form></div>`));
}

async function confirmPost(hub: Hub, req: Request, res: Response): Promise<void> {
  const token = String(req.params.token);
  const at = hub.clock.now();
  // The link is used and the grant recorded in one transaction: a double click grants once.
  const s = await hub.db.tx(async (client) => {
    const r = await consumeMemberLink(client, hub.config, token, 'confirm', at);
    if (r.ok) {
      await recordConsentChange(client, { memberId: r.link.memberId, category: r.link.category, channel: r.link.consentChannel, granted: true,
        source: 'double_opt_in', actor: 'member', reason: `confirmed by the member from a message sent to their ${r.link.sentChannel === 'email' ? 'email address' : 'mobile number'}`, at });
    }
    return r;
  });
  if (!s.ok) return linkProblem(res, requestLang(req.query.lang, req.get('accept-language')), s.why, 'confirm');
  const lang = await memberLang(hub, s.link.memberId);
  const t = T[lang];
  const cat = (await cachedCategories(hub.db)).byCode.get(s.link.category!);
  const name = categoryName(lang, s.link.category!, cat?.nameNb ?? s.link.category!);
  const session = signSession(hub.config, { memberId: s.link.memberId, via: 'preference_link', proven: s.link.sentChannel }, at);
  send(res, 200, page(lang, t.confirmTitle, `<div class="card ok" role="status"><p>${esc(t.confirmed(name, CHANNEL_NAMES[lang][s.link.consentChannel!]))}</p></div>
<p><a href="${esc(`/p/s/${session}`)}">${esc(t.prefsLink)}</a></p>`));
}
