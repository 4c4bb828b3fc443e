import express, { type Request, type Response } from 'express';
import type { Hub } from '../hub';
import { CHANNELS, type Channel } from './decision';
import { cachedCategories, type Category } from './categories';
import { csrfField, signLinkToken, verifyCsrfField, verifyLinkToken, type VerifiedLink } from './links';
import { recordConsentChange } from './ledger';
import { unsubscribeWriter } from './group-commit';
import { CHANNEL_NAMES, T, categoryName, langOf, type Lang } from './i18n';

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

function wrap(hub: Hub, fn: (req: Request, res: Response) => Promise<void>) {
  return async (req: Request, res: Response) => {
    try {
      await fn(req, res);
    } catch (err: any) {
      hub.log.error({ err: { message: err?.message, stack: err?.stack }, path: req.route?.path }, 'member page failed');
      if (!res.headersSent) send(res, 500, page('nb', 'Feil / Error', '<p>Noe gikk galt. Ingenting er endret. Prøv igjen senere.</p><p lang="en">Something went wrong. Nothing has changed. Please try again later.</p>'));
    }
  };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));

const CSS = `body{font:17px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1b1b;background:#f6f6f4}
main{max-width:36rem;margin:0 auto;padding:1.25rem}h1{font-size:1.5rem;line-height:1.25}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
button{font:inherit;font-weight:600;padding:.75rem 1.25rem;min-height:44px;border-radius:6px;border:2px solid #8a1c1c;background:#8a1c1c;color:#fff;cursor:pointer}
button:focus-visible,a:focus-visible,input:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}
a{color:#1d4ed8}fieldset{border:1px solid #ddd;border-radius:8px;margin:0 0 1rem;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}label{display:flex;gap:.6rem;align-items:center;min-height:44px}
input[type=checkbox],input[type=radio]{width:1.3rem;height:1.3rem}.note{color:#555;font-size:.95rem;margin:.25rem 0}
.ok{background:#e7f5e9;border-color:#9ccfa4}.warn{background:#fff4e5;border-color:#f0c27b}`;

function page(lang: Lang, title: string, body: string): string {
  return `<!doctype html><html lang="${lang === 'en' ? 'en' : lang === 'nn' ? 'nn' : 'nb'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex, nofollow">
<title>${esc(title)}</title><style>${CSS}</style></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

function send(res: Response, status: number, html: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(html);
}

function badLink(res: Response): void {
  send(res, 400, page('nb', `${T.nb.badTitle} / ${T.en.badTitle}`,
    `<div class="card warn"><p>${esc(T.nb.badLead)}</p><p lang="en">${esc(T.en.badLead)}</p></div>`));
}

function gone(res: Response): void {
  send(res, 404, page('nb', `${T.nb.badTitle} / ${T.en.badTitle}`,
    `<div class="card warn"><p>${esc(T.nb.goneLead)}</p><p lang="en">${esc(T.en.goneLead)}</p></div>`));
}

function linkFrom(hub: Hub, req: Request, purposes: VerifiedLink['purpose'][]): VerifiedLink | null {
  const v = verifyLinkToken(hub.config, String(req.params.token ?? ''));
  if (!v.ok || !purposes.includes(v.link.purpose)) return null;
  return v.link;
}

function prefsHref(hub: Hub, l: VerifiedLink): string {
  return `/p/${signLinkToken(hub.config, 'preferences', l)}`;
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
  body += `<p><a href="${esc(prefsHref(hub, l))}">${esc(t.prefsLink)}</a></p>`;
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
  send(res, 200, page(lang, cat.declinable ? t.doneTitle : t.unsubTitle, `${body}<p><a href="${esc(prefsHref(hub, l))}">${esc(t.prefsLink)}</a></p>`));
}

// ---------- preference centre ----------

interface PrefData {
  lang: Lang;
  addresses: Record<Channel, boolean>;
  suppressed: Record<Channel, boolean>;
  choices: Map<string, boolean>;
  preferred: Channel | null;
  categories: Category[];
}

async function loadPrefs(hub: Hub, memberId: number): Promise<PrefData | null> {
  const [{ list }, r] = await Promise.all([
    cachedCategories(hub.db),
    hub.db.query(
      `SELECT m.language,
              (m.email IS NOT NULL AND btrim(m.email) <> '') AS has_email, m.phone IS NOT NULL AS has_sms,
              (m.street IS NOT NULL AND btrim(m.street) <> '' AND m.postcode IS NOT NULL) AS has_letter,
              EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = 'email' AND s.address = lower(btrim(m.email)) AND s.lifted_at IS NULL) AS sup_email,
              EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = 'sms' AND s.address = m.phone AND s.lifted_at IS NULL) AS sup_sms,
              (SELECT p.channel FROM member_channel_preferences p WHERE p.member_id = m.id) AS preferred,
              COALESCE((SELECT json_agg(json_build_array(cs.category, cs.channel, cs.granted)) FROM consent_state cs WHERE cs.member_id = m.id), '[]') AS choices
         FROM members m WHERE m.id = $1`, [memberId]),
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
  };
}

function effective(d: PrefData, cat: Category, ch: Channel): boolean {
  if (!cat.declinable) return true;
  return d.choices.get(`${cat.code}.${ch}`) ?? cat.defaultOn;
}

function renderPrefs(hub: Hub, token: string, d: PrefData, notice: string | null, status: number, res: Response): void {
  const t = T[d.lang];
  const chName = (ch: Channel) => CHANNEL_NAMES[d.lang][ch];
  const parts: string[] = [];
  if (notice) parts.push(notice);
  parts.push(`<p>${esc(t.prefsLead)}</p>`);
  parts.push(`<form method="post" action="/p/${esc(token)}"><input type="hidden" name="csrf" value="${esc(csrfField(hub.config, token, hub.clock.now()))}">`);
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
        parts.push(`<input type="hidden" name="shown" value="${esc(`${cat.code}.${ch}`)}">`
          + `<label for="${esc(id)}"><input type="checkbox" id="${esc(id)}" name="${esc(`c.${cat.code}.${ch}`)}" value="1"${effective(d, cat, ch) ? ' checked' : ''}> ${esc(chName(ch))}</label>`);
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

async function preferencesGet(hub: Hub, req: Request, res: Response): Promise<void> {
  const l = linkFrom(hub, req, ['preferences', 'unsubscribe']);
  if (!l) return badLink(res);
  const d = await loadPrefs(hub, l.memberId);
  if (!d) return gone(res);
  renderPrefs(hub, String(req.params.token), d, null, 200, res);
}

async function preferencesPost(hub: Hub, req: Request, res: Response): Promise<void> {
  const l = linkFrom(hub, req, ['preferences', 'unsubscribe']);
  if (!l) return badLink(res);
  const token = String(req.params.token);
  const body = (req.body ?? {}) as Record<string, string | string[]>;
  const d = await loadPrefs(hub, l.memberId);
  if (!d) return gone(res);
  if (!verifyCsrfField(hub.config, token, body.csrf, hub.clock.now())) {
    return renderPrefs(hub, token, d, `<div class="card warn" role="alert"><p>${esc(T[d.lang].csrf)}</p></div>`, 403, res);
  }
  const shown = new Set(([] as string[]).concat(body.shown ?? []));
  const preferredRaw = typeof body.preferred === 'string' ? body.preferred : undefined;
  await hub.db.tx(async (client) => {
    const at = hub.clock.now();
    for (const cat of d.categories) {
      if (!cat.declinable) continue;
      for (const ch of cat.channels) {
        if (!d.addresses[ch] || !shown.has(`${cat.code}.${ch}`)) continue;
        const want = body[`c.${cat.code}.${ch}`] === '1';
        if (want === effective(d, cat, ch)) continue;
        await recordConsentChange(client, {
          memberId: l.memberId, category: cat.code, channel: ch, granted: want, source: 'preference_page',
          actor: 'member', campaignId: l.campaignId, at,
        });
      }
    }
    if (preferredRaw !== undefined) {
      if (preferredRaw === '') {
        await client.query('DELETE FROM member_channel_preferences WHERE member_id = $1', [l.memberId]);
      } else if ((CHANNELS as string[]).includes(preferredRaw) && d.addresses[preferredRaw as Channel]) {
        await client.query(
          `INSERT INTO member_channel_preferences (member_id, channel, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (member_id) DO UPDATE SET channel = EXCLUDED.channel, updated_at = EXCLUDED.updated_at`,
          [l.memberId, preferredRaw, at]);
      }
    }
  });
  const fresh = (await loadPrefs(hub, l.memberId))!;
  renderPrefs(hub, token, fresh, `<div class="card ok" role="status"><p>${esc(T[fresh.lang].saved)}</p></div>`, 200, res);
}
