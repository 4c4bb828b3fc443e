import express, { type Request, type Response } from 'express';
import type { Hub } from '../hub';
import { CHANNELS, hasAddressSql, suppressionKey, type Channel } from './decision';
import { cachedCategories, type Category } from './categories';
import { csrfField, verifyCsrfField, verifyLinkToken, type VerifiedLink } from './links';
import Joi from 'joi';
import { recordConsentChange, type ConsentSource } from './ledger';
import { pendingGrants, sendOptInConfirmation } from './member-messages';
import { unsubscribeWriter } from './group-commit';
import { CHANNEL_NAMES, T, categoryName, langOf, type Lang } from './i18n';
import { badLink, esc, gone, page, send, wrap } from './page-kit';

/**
 * The member pages: one-click unsubscribe (`/u/:token`) and the preference centre (`/p/:token`).
 * Server-rendered HTML, no JavaScript, no cookies. A GET never changes anything.
 */
export function mountMemberPages(app: express.Express, hub: Hub): void {
  // RFC 8058 allows application/x-www-form-urlencoded and multipart/form-data: read the small raw body ourselves.
  const raw = express.raw({ type: () => true, limit: '8kb' });
  const form = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 500 });

  app.get('/u/:token', wrap(hub, (req, res) => unsubscribeGet(hub, req, res)));
  app.post('/u/:token', raw, wrap(hub, (req, res) => unsubscribePost(hub, req, res)));
  app.get('/p/:token', wrap(hub, (req, res) => preferencesGet(hub, req, res)));
  app.post('/p/:token', form, wrap(hub, (req, res) => preferencesPost(hub, req, res)));
}


function linkFrom(hub: Hub, req: Request, purposes: VerifiedLink['purpose'][]): VerifiedLink | null {
  const v = verifyLinkToken(hub.config, String(req.params.token ?? ''));
  if (!v.ok || !purposes.includes(v.link.purpose)) return null;
  return v.link;
}

/**
 * The preference centre's link from the unsubscribe page: the page's own token, just verified.
 * `/p/:token` takes an unsubscribe token for the same claims (preferencesGet), and whoever holds
 * this token is shown the link anyway, so a second, preferences-purpose token would grant nothing
 * more; signing it cost ~4 % of the one-click request's CPU (profile in bench/RESULTS.md).
 */
function prefsHref(req: Request): string {
  return `/p/${String(req.params.token)}`;
}

// ---------- one-click unsubscribe ----------

async function unsubscribeGet(hub: Hub, req: Request, res: Response): Promise<void> {
  const l = linkFrom(hub, req, ['unsubscribe']);
  if (!l) return badLink(res);
  const [{ byCode }, r] = await Promise.all([
    cachedCategories(hub.db),
    hub.db.query(
      `SELECT m.language, cs.granted FROM members m
         LEFT JOIN consent_state cs ON cs.member_id = m.id AND cs.category = $2 AND cs.channel = $3
        WHERE m.id = $1`, [l.memberId, l.category, l.channel]),
  ]);
  const m = r.rows[0];
  if (!m) return gone(res);
  const cat = byCode.get(l.category);
  if (!cat) return badLink(res);
  const lang = langOf(m.language);
  const t = T[lang];
  const catName = categoryName(lang, cat.code, cat.nameNb);
  const ch = CHANNEL_NAMES[lang][l.channel];
  let body: string;
  if (!cat.declinable) {
    body = `<div class="card"><p>${esc(t.notDeclinable)}</p></div>`;
  } else {
    const already = m.granted === false || (m.granted === null && !cat.defaultOn);
    body = `<div class="card"><p>${esc(t.unsubLead(catName, ch, hub.config.unionName))}</p>
${already ? `<p class="note">${esc(t.alreadyOff)}</p>` : ''}
<form method="post" action="/u/${esc(String(req.params.token))}"><button type="submit" name="action" value="unsubscribe">${esc(t.unsubButton)}</button></form></div>`;
  }
  body += `<p><a href="${esc(prefsHref(req))}">${esc(t.prefsLink)}</a></p>`;
  send(res, 200, page(lang, t.unsubTitle, body));
}

/** 'one_click' for the RFC 8058 body, 'unsubscribe_link' for our own button, null otherwise. */
export function unsubscribeSource(contentType: string | undefined, body: Buffer | undefined): 'one_click' | 'unsubscribe_link' | null {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : '';
  const ct = (contentType ?? '').toLowerCase();
  if (ct.startsWith('multipart/form-data')) {
    if (/name="?List-Unsubscribe"?\r?\n(?:[^\r\n]+\r?\n)*\r?\n[ \t]*One-Click\s*\r?\n/i.test(text)) return 'one_click';
    if (/name="?action"?\r?\n(?:[^\r\n]+\r?\n)*\r?\n[ \t]*unsubscribe\s*\r?\n/i.test(text)) return 'unsubscribe_link';
    return null;
  }
  // Mail clients and gateways may end the body with a line end or spaces (RFC 8058 §3.1 names
  // the key and value only): whitespace around a value is not part of it.
  const p = new URLSearchParams(text.trim());
  if (p.get('List-Unsubscribe')?.trim() === 'One-Click') return 'one_click';
  if (p.get('action')?.trim() === 'unsubscribe') return 'unsubscribe_link';
  return null;
}

async function unsubscribePost(hub: Hub, req: Request, res: Response): Promise<void> {
  const l = linkFrom(hub, req, ['unsubscribe']);
  if (!l) return badLink(res);
  const source = unsubscribeSource(req.headers['content-type'], req.body as Buffer);
  const { byCode } = await cachedCategories(hub.db);
  const cat = byCode.get(l.category);
  if (!cat) return badLink(res);
  if (!source) {
    return send(res, 400, page('nb', `${T.nb.badTitle} / ${T.en.badTitle}`,
      '<div class="card warn"><p>Forespørselen manglet skjemaet. Ingenting er endret.</p><p lang="en">The request did not carry the form. Nothing has changed.</p></div>'));
  }
  let language: unknown;
  if (cat.declinable) {
    // Committed with whatever other unsubscribes arrive meanwhile (group commit, ./group-commit);
    // answered only after the commit.
    const r = await unsubscribeWriter(hub.db).record({ memberId: l.memberId, category: l.category, channel: l.channel, source,
      campaignId: l.campaignId ?? null, at: hub.clock.now() });
    if (!r.found) return gone(res);
    language = r.language;
  } else {
    const r = await hub.db.query('SELECT language FROM members WHERE id = $1', [l.memberId]);
    if (!r.rows[0]) return gone(res);
    language = r.rows[0].language;
  }
  const lang = langOf(language);
  const t = T[lang];
  const catName = categoryName(lang, cat.code, cat.nameNb);
  const body = cat.declinable
    ? `<div class="card ok" role="status"><p>${esc(t.doneLead(catName, CHANNEL_NAMES[lang][l.channel]))}</p></div>`
    : `<div class="card"><p>${esc(t.notDeclinable)}</p></div>`;
  send(res, 200, page(lang, cat.declinable ? t.doneTitle : t.unsubTitle, `${body}<p><a href="${esc(prefsHref(req))}">${esc(t.prefsLink)}</a></p>`));
}

// ---------- preference centre ----------

/**
 * Who is at the preference centre and how they got there: decides the ledger source and whether
 * an opt-in category may be granted at once (see grantNeedsConfirmation).
 */
export interface PrefAccess {
  memberId: number;
  campaignId: number | null;
  source: Extract<ConsentSource, 'preference_page' | 'preference_link' | 'letter_code'>;
  /** The channel whose address the member proved control of just now (a one-time entry link), else null. */
  proven: 'email' | 'sms' | null;
  /** The form's URL (also what its CSRF field is bound to). */
  action: string;
}

/**
 * THE rule of consent by link (issue 13): withdrawing anything and switching declinable
 * default-on categories back on take effect at once, from any link; granting an opt-in category
 * (off until consented, e.g. `benefits`) takes effect at once only on the channel whose address
 * the member proved just now (the one-time entry link was delivered there and clicked within 30
 * minutes: that is what a confirmation would prove). Everything else needs a confirmation
 * sent to that channel's address (double opt-in).
 */
export function grantNeedsConfirmation(cat: Pick<Category, 'declinable' | 'defaultOn'>, channel: Channel, granted: boolean, access: Pick<PrefAccess, 'proven'>): boolean {
  return granted && cat.declinable && !cat.defaultOn && access.proven !== channel;
}

interface PrefData {
  lang: Lang;
  addresses: Record<Channel, boolean>;
  suppressed: Record<Channel, boolean>;
  choices: Map<string, boolean>;
  preferred: Channel | null;
  categories: Category[];
  pending: Set<string>;
}

async function loadPrefs(hub: Hub, memberId: number): Promise<PrefData | null> {
  const [{ list }, r, pending] = await Promise.all([
    cachedCategories(hub.db),
    hub.db.query(
      `SELECT m.language,
              ${hasAddressSql('m', 'email')} AS has_email, ${hasAddressSql('m', 'sms')} AS has_sms,
              ${hasAddressSql('m', 'letter')} AS has_letter,
              EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = 'email' AND s.address = ${suppressionKey('m', 'email')} AND s.lifted_at IS NULL) AS sup_email,
              EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = 'sms' AND s.address = ${suppressionKey('m', 'sms')} AND s.lifted_at IS NULL) AS sup_sms,
              (SELECT p.channel FROM member_channel_preferences p WHERE p.member_id = m.id) AS preferred,
              COALESCE((SELECT json_agg(json_build_array(cs.category, cs.channel, cs.granted)) FROM consent_state cs WHERE cs.member_id = m.id), '[]') AS choices
         FROM members m WHERE m.id = $1`, [memberId]),
    pendingGrants(hub, memberId),
  ]);
  const m = r.rows[0];
  if (!m) return null;
  return {
    lang: langOf(m.language),
    addresses: { email: m.has_email, sms: m.has_sms, letter: m.has_letter },
    suppressed: { email: m.sup_email, sms: m.sup_sms, letter: false },
    choices: new Map((m.choices as [string, string, boolean][]).map(([c, ch, g]) => [`${c}.${ch}`, g])),
    preferred: m.preferred,
    categories: list,
    pending,
  };
}

function effective(d: PrefData, cat: Category, ch: Channel): boolean {
  if (!cat.declinable) return true;
  return d.choices.get(`${cat.code}.${ch}`) ?? cat.defaultOn;
}

function renderPrefs(hub: Hub, access: PrefAccess, d: PrefData, notice: string | null, status: number, res: Response): void {
  const t = T[d.lang];
  const chName = (ch: Channel) => CHANNEL_NAMES[d.lang][ch];
  const parts: string[] = [];
  if (notice) parts.push(notice);
  parts.push(`<p>${esc(t.prefsLead)}</p>`);
  parts.push(`<form method="post" action="${esc(access.action)}"><input type="hidden" name="csrf" value="${esc(csrfField(hub.config, access.action, hub.clock.now()))}">`);
  for (const cat of d.categories) {
    const name = categoryName(d.lang, cat.code, cat.nameNb);
    const reachable = cat.channels.filter((ch) => d.addresses[ch]);
    parts.push(`<fieldset><legend>${esc(name)}</legend>`);
    if (!cat.declinable) {
      parts.push(`<p class="note">${esc(t.always)}</p>`);
      if (reachable.length) parts.push(`<p class="note">${reachable.map((ch) => esc(chName(ch))).join(', ')}</p>`);
    } else if (!reachable.length) {
      parts.push(`<p class="note">${esc(t.noAddress)}</p>`);
    } else {
      if (!cat.defaultOn) parts.push(`<p class="note">${esc(t.consentNeeded)}</p>`);
      for (const ch of reachable) {
        const id = `c-${cat.code}-${ch}`;
        const on = effective(d, cat, ch);
        parts.push(`<input type="hidden" name="shown" value="${esc(`${cat.code}.${ch}`)}">`
          + `<label for="${esc(id)}"><input type="checkbox" id="${esc(id)}" name="${esc(`c.${cat.code}.${ch}`)}" value="1"${on ? ' checked' : ''}> ${esc(chName(ch))}</label>`);
        if (!on && d.pending.has(`${cat.code}.${ch}`)) parts.push(`<p class="note">${esc(t.pending)}</p>`);
      }
    }
    parts.push('</fieldset>');
  }
  for (const ch of CHANNELS) if (d.addresses[ch] && d.suppressed[ch]) parts.push(`<p class="note">${esc(t.suppressed(chName(ch)))}</p>`);
  const prefChannels = CHANNELS.filter((ch) => d.addresses[ch]);
  if (prefChannels.length > 1) {
    parts.push(`<fieldset><legend>${esc(t.preferred)}</legend><p class="note">${esc(t.preferredLead)}</p>`);
    parts.push(`<label><input type="radio" name="preferred" value=""${d.preferred ? '' : ' checked'}> ${esc(t.noPreference)}</label>`);
    for (const ch of prefChannels) {
      parts.push(`<label><input type="radio" name="preferred" value="${ch}"${d.preferred === ch ? ' checked' : ''}> ${esc(chName(ch))}</label>`);
    }
    parts.push('</fieldset>');
  }
  parts.push(`<button type="submit">${esc(t.save)}</button></form>`);
  send(res, status, page(d.lang, t.prefsTitle, parts.join('\n')));
}

/** The preference form as posted: joi-checked (field names of the form only, bounded sizes). */
const PREF_FORM = Joi.object({
  csrf: Joi.string().max(200),
  shown: Joi.alternatives(Joi.string().pattern(/^[a-z_]{1,40}\.(email|sms|letter)$/), Joi.array().max(200).items(Joi.string().pattern(/^[a-z_]{1,40}\.(email|sms|letter)$/))),
  preferred: Joi.string().valid('', ...CHANNELS),
}).pattern(/^c\.[a-z_]{1,40}\.(email|sms|letter)$/, Joi.string().valid('1'));

/** GET of the preference centre for any way in. */
export async function showPrefs(hub: Hub, access: PrefAccess, res: Response): Promise<void> {
  const d = await loadPrefs(hub, access.memberId);
  if (!d) return gone(res);
  renderPrefs(hub, access, d, null, 200, res);
}

/** POST of the preference centre for any way in: changes recorded with the access's source, opt-in grants by the rule above. */
export async function savePrefs(hub: Hub, access: PrefAccess, req: Request, res: Response): Promise<void> {
  const d = await loadPrefs(hub, access.memberId);
  if (!d) return gone(res);
  const { value: body, error } = PREF_FORM.validate(req.body ?? {}, { convert: false });
  if (error) return renderPrefs(hub, access, d, `<div class="card warn" role="alert"><p>${esc(T[d.lang].invalidForm)}</p></div>`, 400, res);
  if (!verifyCsrfField(hub.config, access.action, body.csrf, hub.clock.now())) {
    return renderPrefs(hub, access, d, `<div class="card warn" role="alert"><p>${esc(T[d.lang].csrf)}</p></div>`, 403, res);
  }
  const shown = new Set(([] as string[]).concat(body.shown ?? []));
  const preferredRaw = typeof body.preferred === 'string' ? body.preferred : undefined;
  const confirmations: { cat: Category; ch: Channel }[] = [];
  await hub.db.tx(async (client) => {
    const at = hub.clock.now();
    for (const cat of d.categories) {
      if (!cat.declinable) continue;
      for (const ch of cat.channels) {
        if (!d.addresses[ch] || !shown.has(`${cat.code}.${ch}`)) continue;
        const want = body[`c.${cat.code}.${ch}`] === '1';
        if (want === effective(d, cat, ch)) continue;
        if (grantNeedsConfirmation(cat, ch, want, access)) { confirmations.push({ cat, ch }); continue; }
        await recordConsentChange(client, {
          memberId: access.memberId, category: cat.code, channel: ch, granted: want, source: access.source,
          actor: 'member', campaignId: access.campaignId, at,
        });
      }
    }
    if (preferredRaw !== undefined) {
      if (preferredRaw === '') {
        await client.query('DELETE FROM member_channel_preferences WHERE member_id = $1', [access.memberId]);
      } else if ((CHANNELS as string[]).includes(preferredRaw) && d.addresses[preferredRaw as Channel]) {
        await client.query(
          `INSERT INTO member_channel_preferences (member_id, channel, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (member_id) DO UPDATE SET channel = EXCLUDED.channel, updated_at = EXCLUDED.updated_at`,
          [access.memberId, preferredRaw, at]);
      }
    }
  });
  const lang = d.lang;
  const sent: string[] = [];
  for (const { cat, ch } of confirmations) {
    const name = categoryName(lang, cat.code, cat.nameNb);
    // The confirmation is sent before the answer, so the page can say it went (the member is known: nothing to enumerate).
    const ok = await sendOptInConfirmation(hub, access.memberId, { code: cat.code, name }, ch, lang).catch((err) => {
      hub.log.error({ memberId: access.memberId, channel: ch, err: err?.message }, 'opt-in confirmation not sent');
      return false;
    });
    if (ok) sent.push(`<p>${esc(T[lang].pendingSent(name, CHANNEL_NAMES[lang][ch]))}</p>`);
  }
  const fresh = (await loadPrefs(hub, access.memberId))!;
  renderPrefs(hub, access, fresh, `<div class="card ok" role="status"><p>${esc(T[fresh.lang].saved)}</p>${sent.join('')}</div>`, 200, res);
}

function linkAccess(l: VerifiedLink, token: string): PrefAccess {
  return { memberId: l.memberId, campaignId: l.campaignId, source: 'preference_page', proven: null, action: `/p/${token}` };
}

async function preferencesGet(hub: Hub, req: Request, res: Response): Promise<void> {
  const l = linkFrom(hub, req, ['preferences', 'unsubscribe']);
  if (!l) return badLink(res);
  await showPrefs(hub, linkAccess(l, String(req.params.token)), res);
}

async function preferencesPost(hub: Hub, req: Request, res: Response): Promise<void> {
  const l = linkFrom(hub, req, ['preferences', 'unsubscribe']);
  if (!l) return badLink(res);
  await savePrefs(hub, linkAccess(l, String(req.params.token)), req, res);
}
