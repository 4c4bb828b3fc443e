import type express from 'express';
import type { Hub } from '../hub';
import { requireStaff, sessionOf } from './auth-pages';
import { devPagesEnabled, page } from './layout';
import { escapeHtml, html, raw, type Html } from './html';

interface EmailMsg { to: string; toName: string | null; from: string; subject: string; html: string | null; text: string | null; headers: Record<string, string>; at: string; outcome?: string }
interface SmsMsg { sid: string; to: string; from: string | null; body: string; encoding: string; numSegments: number; at: string; outcome?: string }

async function ledger<T>(hub: Hub, base: string | null, to: string | undefined): Promise<{ messages: T[]; error: string | null }> {
  if (!base) return { messages: [], error: 'ikke i bruk' };
  const url = new URL('/__emulator/messages', base);
  url.searchParams.set('limit', '100');
  if (to) url.searchParams.set('to', to);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return { messages: [], error: `HTTP ${res.status}` };
    return { messages: ((await res.json()) as { messages: T[] }).messages, error: null };
  } catch (err: any) {
    hub.log.warn({ err: err.message }, 'dev outbox: emulator not reachable');
    return { messages: [], error: 'emulatoren svarer ikke' };
  }
}

/** Links a member can click: List-Unsubscribe (https) and the unsubscribe/preference links in the body. */
export function memberLinks(hub: Hub, m: { headers?: Record<string, string>; html?: string | null; text?: string | null; body?: string }): { unsubscribe: string[]; preferences: string[] } {
  const found = new Set<string>();
  const lu = Object.entries(m.headers ?? {}).find(([k]) => k.toLowerCase() === 'list-unsubscribe')?.[1] ?? '';
  for (const x of lu.matchAll(/<(https?:[^>]+)>/g)) found.add(x[1]);
  for (const src of [m.html ?? '', m.text ?? '', m.body ?? '']) {
    for (const x of src.matchAll(/https?:\/\/[^\s"'<>)]+\/(?:u|p)\/[A-Za-z0-9._~-]+/g)) found.add(x[0].replace(/&amp;/g, '&'));
  }
  const base = hub.config.publicBaseUrl;
  const local = [...found].filter((u) => u.startsWith(`${base}/`));
  return {
    unsubscribe: local.filter((u) => u.startsWith(`${base}/u/`)),
    preferences: local.filter((u) => u.startsWith(`${base}/p/`)),
  };
}

/** The email as the member sees it: links open in a new tab, nothing in it runs (sandbox without scripts). */
function emailFrame(m: EmailMsg): Html {
  const doc = m.html
    ? (/<head[^>]*>/i.test(m.html) ? m.html.replace(/<head([^>]*)>/i, '<head$1><base target="_blank">') : `<base target="_blank">${m.html}`)
    : `<pre style="white-space:pre-wrap;font-family:sans-serif">${escapeHtml(m.text ?? '')}</pre>`;
  return html`<iframe title="E-post til ${m.to}: ${m.subject}" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${doc}" loading="lazy"></iframe>`;
}

function linkList(l: { unsubscribe: string[]; preferences: string[] }): Html {
  if (!l.unsubscribe.length && !l.preferences.length) return html``;
  return html`<ul class="links">
${l.unsubscribe.map((u) => html`<li><a href="${u}" class="unsubscribe-link">Meld av (lenken i meldingen)</a></li>`)}
${l.preferences.map((u) => html`<li><a href="${u}" class="preferences-link">Innstillinger (lenken i meldingen)</a></li>`)}
</ul>`;
}

const dtf = new Intl.DateTimeFormat('nb-NO', { dateStyle: 'short', timeStyle: 'medium', timeZone: 'Europe/Oslo' });
const when = (v: string) => { const d = new Date(v); return Number.isNaN(d.getTime()) ? '' : dtf.format(d); };

/**
 * The dev outbox (development and test only, never in production): the messages the provider
 * emulators accepted, newest first, shown as the member would see them, with the unsubscribe and
 * preference links clickable.
 */
export function registerOutbox(app: express.Express, hub: Hub): void {
  if (!devPagesEnabled(hub)) return;
  // Admins only: it shows every member's messages, addresses and personal links.
  app.get('/dev/outbox', requireStaff(hub, ['admin']), async (req, res) => {
    const session = sessionOf(req);
    const to = typeof req.query.to === 'string' && req.query.to.trim() ? req.query.to.trim().slice(0, 320) : undefined;
    const [email, sms] = await Promise.all([
      ledger<EmailMsg>(hub, hub.config.sendgrid.baseUrl, to),
      ledger<SmsMsg>(hub, hub.config.twilio.baseUrl, to),
    ]);
    const emails = email.messages.map((m, i) => {
      const links = memberLinks(hub, m);
      return html`<article class="outbox-msg" aria-labelledby="em-${i}">
<h3 id="em-${i}">${m.subject}</h3>
<p class="meta">Til ${m.toName ? html`${m.toName} ` : ''}&lt;${m.to}&gt; · fra ${m.from} · ${when(m.at)}${m.outcome ? html` · utfall i emulatoren: ${m.outcome}` : ''}</p>
${linkList(links)}
${emailFrame(m)}
</article>`;
    });
    const texts = sms.messages.map((m, i) => {
      const links = memberLinks(hub, { body: m.body });
      return html`<article class="outbox-msg" aria-labelledby="sms-${i}">
<h3 id="sms-${i}">SMS til ${m.to}</h3>
<p class="meta">${when(m.at)} · ${m.encoding}, ${m.numSegments} segment${m.numSegments === 1 ? '' : 'er'}${m.outcome ? html` · utfall: ${m.outcome}` : ''}</p>
<div class="sms-bubble">${m.body}</div>${linkList(links)}</article>`;
    });
    const status = (e: string | null) => (e ? html` <span class="badge">${e}</span>` : '');
    res.type('html').send(page(hub, {
      title: 'Utboks (utvikling)', staff: session.staff, csrf: session.csrf, current: '/dev/outbox',
      body: html`<h1>Utboks (utvikling)</h1>
<p class="muted">Det leverandøremulatorene har tatt imot, slik medlemmet ser det. Finnes bare utenfor produksjon.</p>
<form method="get" action="/dev/outbox" class="searchbar" role="search">
  <label for="to">Mottaker (e-postadresse eller mobilnummer)</label>
  <div class="row"><input id="to" name="to" value="${to ?? ''}"><button type="submit" class="primary">Vis</button></div>
</form>
<section aria-labelledby="h-email"><h2 id="h-email">E-post (${email.messages.length})${status(email.error)}</h2>
${emails.length ? emails : raw('<p class="muted">Ingen e-post.</p>')}</section>
<section aria-labelledby="h-sms"><h2 id="h-sms">SMS (${sms.messages.length})${status(sms.error)}</h2>
${texts.length ? texts : raw('<p class="muted">Ingen SMS.</p>')}</section>`,
    }));
  });
}
