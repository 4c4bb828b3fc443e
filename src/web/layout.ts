import type { Hub } from '../hub';
import type { Role, Staff } from '../auth';
import { VOCABULARY, labelsIn, labelOf, type VocabularyName } from '../vocabulary';
import { html, jsonScript, type Html } from './html';

export interface NavItem { href: string; label: string; roles: Role[] | 'all'; devOnly?: boolean }

/** A staff role's name (from the one vocabulary). */
export const roleLabel = (role: Role): string => labelOf('staffRole', role);

/**
 * Every enumeration's bokmål labels, embedded in each staff page as a JSON data block that
 * app.js reads (B.label): the browser code names states, channels and categories as the server does.
 */
const VOCABULARY_NB = Object.fromEntries((Object.keys(VOCABULARY) as VocabularyName[]).map((n) => [n, labelsIn(n, 'nb')]));

export const NAV: NavItem[] = [
  { href: '/app', label: 'Oversikt', roles: 'all' },
  { href: '/app/campaigns/new', label: 'Ny kampanje', roles: ['admin', 'communications'] },
  { href: '/app/members', label: 'Medlemmer', roles: 'all' },
  { href: '/app/ballots', label: 'Uravstemninger', roles: ['admin', 'communications'] },
  { href: '/app/strikes', label: 'Streik', roles: ['admin', 'communications'] },
  { href: '/app/committees', label: 'Streikekomité', roles: ['strike_committee'] },
  { href: '/app/categories', label: 'Kategorier', roles: ['admin'] },
  { href: '/app/imports', label: 'Import', roles: ['admin'] },
  { href: '/app/users', label: 'Brukere og nøkler', roles: ['admin'] },
  { href: '/app/audit', label: 'Revisjonslogg', roles: ['admin', 'auditor'] },
  { href: '/app/queues/', label: 'Køer', roles: ['admin'] },
  { href: '/dev/outbox', label: 'Utboks (utvikling)', roles: ['admin'], devOnly: true },
];

export function allowed(roles: Role[] | 'all', staff: Staff): boolean {
  return roles === 'all' || roles.includes(staff.role);
}

export function devPagesEnabled(hub: Hub): boolean {
  return hub.config.nodeEnv !== 'production';
}

export interface PageOpts {
  title: string;
  staff?: Staff | null;
  csrf?: string;
  /** Page scripts under /static (loaded with defer after app.js). */
  scripts?: string[];
  current?: string;
  body: Html;
  bodyClass?: string;
}

export function page(hub: Hub, o: PageOpts): string {
  const nav = o.staff
    ? html`<nav class="topnav" aria-label="Hovedmeny"><ul>${NAV.filter((n) => allowed(n.roles, o.staff!) && (!n.devOnly || devPagesEnabled(hub)))
      .map((n) => html`<li><a href="${n.href}"${o.current === n.href ? html` aria-current="page"` : ''}>${n.label}</a></li>`)}</ul></nav>`
    : '';
  const user = o.staff
    ? html`<div class="user"><span>${o.staff.name} <span class="muted">(${roleLabel(o.staff.role)})</span></span>
        <a href="/app/2fa"${o.current === '/app/2fa' ? html` aria-current="page"` : ''}>Tofaktor</a>
        <form method="post" action="/app/logout" class="inline"><input type="hidden" name="_csrf" value="${o.csrf ?? ''}">
        <button type="submit" class="link">Logg ut</button></form></div>`
    : '';
  return html`<!doctype html>
<html lang="nb">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} – ${hub.config.unionName}</title>
${o.csrf ? html`<meta name="csrf-token" content="${o.csrf}">` : ''}
<link rel="stylesheet" href="/static/app.css">
<script src="/static/app.js" defer></script>
${o.staff ? jsonScript('vocabulary', VOCABULARY_NB) : ''}
${(o.scripts ?? []).map((s) => html`<script src="/static/${s}" defer></script>`)}
</head>
<body${o.bodyClass ? html` class="${o.bodyClass}"` : ''}>
<a class="skip" href="#main">Hopp til innholdet</a>
<header class="site">
  <a class="brand" href="/app">${hub.config.unionName} <span class="muted">Budstikke</span></a>
  ${user}
</header>
${nav}
<main id="main" tabindex="-1">
${o.body}
</main>
</body>
</html>`.value;
}

/** Campaign states by name (from the one vocabulary). */
export const STATE_LABEL: Record<string, string> = labelsIn('campaignState');
