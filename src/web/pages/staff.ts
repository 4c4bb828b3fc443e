import { labelOf, valuesOf, type VocabularyName } from '../../vocabulary';
import type express from 'express';
import type { Hub } from '../../hub';
import type { Role } from '../../auth';
import { html, type Html } from '../html';
import { page } from '../layout';
import { errorPage, requireStaff, sessionOf } from '../auth-pages';

type Shell = { valid?: (req: express.Request) => boolean; path: string; current: string; title: string; roles: Role[] | 'all'; scripts: string[]; body: (req: express.Request) => Html };

/** A list's options from the one vocabulary: its values in their order, named in bokmål. */
function vocabOptions(name: VocabularyName, selected?: string): Html {
  return html`${valuesOf(name).map((v) => html`<option value="${v}"${v === selected ? html` selected` : ''}>${labelOf(name, v)}</option>`)}`;
}

const CHANNEL_OPTIONS = html`<option value="">Ingen</option>${vocabOptions('channel')}`;

function select(id: string, label: string, opts: { source?: string; extra?: Html; multiple?: boolean } = {}): Html {
  // A list of several values can be turned around: "everyone except the chosen" (NOT).
  const not = opts.multiple ? html`<label class="small not-toggle"><input type="checkbox" id="n-${id}" data-not-of="${id}" aria-describedby="${id}-l"> Alle unntatt de valgte</label>` : '';
  return html`<div class="field"><label for="${id}" id="${id}-l">${label}</label>
<select id="${id}" name="${id}"${opts.source ? html` data-source="${opts.source}"` : ''}${opts.multiple ? html` multiple size="4"` : ''}>${opts.extra ?? html`<option value="">Alle</option>`}</select>${not}</div>`;
}

/** One confirmation dialog per page: the text names what happens and to how many (set by the page script). */
export const CONFIRM_DIALOG = html`<dialog id="confirm" aria-labelledby="confirm-h">
<form method="dialog"><h2 id="confirm-h">Bekreft</h2><p id="confirm-text"></p>
<div class="actions"><button value="yes" id="confirm-yes" class="primary">Ja</button><button value="" id="confirm-no">Avbryt</button></div></form></dialog>`;

const SHELLS: Shell[] = [
  {
    path: '/', current: '/app', title: 'Oversikt', roles: 'all', scripts: ['dashboard.js'],
    body: () => html`<h1>Oversikt</h1>
<section aria-labelledby="h-campaigns" class="card"><h2 id="h-campaigns">Kampanjer som sendes og er planlagt</h2>
<ul class="legend" aria-label="Forklaring">
  <li><span class="swatch s-queued"></span>I kø</li><li><span class="swatch s-sent"></span>Sendt</li>
  <li><span class="swatch s-delivered"></span>Levert</li><li><span class="swatch s-failed"></span>Feilet</li><li><span class="swatch s-skipped"></span>Hoppet over</li><li><span class="swatch s-cancelled"></span>Avbrutt</li>
</ul>
<div id="campaign-list"><p class="muted">Henter …</p></div></section>
<section aria-labelledby="h-chart" class="card"><h2 id="h-chart">Utfall over tid</h2>
<div class="field"><label for="chart-campaign">Kampanje</label><select id="chart-campaign"></select></div>
<div id="chart"></div></section>`,
  },
  {
    path: '/campaigns/new', current: '/app/campaigns/new', title: 'Ny kampanje', roles: ['admin', 'communications'], scripts: ['campaign-new.js'],
    body: () => html`<h1>Ny kampanje</h1>
<ol class="steps" id="steps">
  <li data-step="1" aria-current="step">1. Målgruppe</li><li data-step="2">2. Innhold</li><li data-step="3">3. Tidspunkt og test</li>
  <li data-step="4">4. Oppsummering</li><li data-step="5">5. Start</li>
</ol>
<div id="wizard-error" class="error" role="alert" hidden></div>

<section class="step card" data-step="1" aria-labelledby="h-step1">
<h2 id="h-step1">Målgruppe</h2>
<div class="grid2">
  <div class="field"><label for="c-name">Navn på kampanjen</label><input id="c-name" required maxlength="200"></div>
  ${select('c-category', 'Meldingskategori', { source: 'categories', extra: html`` })}
</div>
<fieldset class="channels"><legend>Kanaler i prioritert rekkefølge</legend>
  <div class="grid3">
  <div class="field"><label for="c-ch1">Første kanal</label><select id="c-ch1">${CHANNEL_OPTIONS}</select></div>
  <div class="field"><label for="c-ch2">Andre kanal</label><select id="c-ch2">${CHANNEL_OPTIONS}</select></div>
  <div class="field"><label for="c-ch3">Tredje kanal</label><select id="c-ch3">${CHANNEL_OPTIONS}</select></div>
  </div>
</fieldset>
<fieldset><legend>Filter</legend>
<p class="small muted" id="filter-help">I hver liste kan du velge flere verdier (Ctrl eller ⌘ + klikk): medlemmet må ha én av dem, for eksempel Oslo eller Akershus. Ingen valgt betyr alle.</p>
<div class="grid2">
  <div class="field"><label for="f-join">Hvordan filtrene gjelder sammen</label><select id="f-join"><option value="all">Alle filtrene må gjelde (og)</option><option value="any">Minst ett av filtrene må gjelde (eller)</option></select>
  <p class="small muted">Medlemsstatus gjelder alltid.</p></div>
</div>
<div class="grid3">
  ${select('f-status', 'Medlemsstatus', { extra: html`<option value="">Alle</option>${vocabOptions('memberStatus', 'active')}` })}
  ${select('f-mcategory', 'Medlemskategori', { multiple: true, extra: vocabOptions('membershipCategory') })}
  ${select('f-county', 'Fylke', { source: 'counties', multiple: true, extra: html`` })}
  ${select('f-municipality', 'Kommune', { source: 'municipalities', multiple: true, extra: html`` })}
  ${select('f-employer', 'Arbeidsgiver', { source: 'employers', multiple: true, extra: html`` })}
  ${select('f-workplace', 'Arbeidssted', { source: 'workplaces', multiple: true, extra: html`` })}
  ${select('f-agreement', 'Tariffavtale', { source: 'agreements', multiple: true, extra: html`` })}
  ${select('f-branch', 'Avdeling', { source: 'branches', multiple: true, extra: html`` })}
  ${select('f-club', 'Klubb', { source: 'clubs', multiple: true, extra: html`` })}
  ${select('f-role', 'Tillitsverv', { multiple: true, extra: vocabOptions('memberRole') })}
  ${select('f-language', 'Språk', { multiple: true, extra: vocabOptions('language') })}
  <div class="field"><label for="f-joined-after">Innmeldt etter</label><input id="f-joined-after" type="date"></div>
</div>
</fieldset>
<fieldset id="saved-audiences"><legend>Lagrede målgrupper</legend>
<div class="grid2">
  <div class="field"><label for="a-saved">Hent en lagret målgruppe</label><select id="a-saved"><option value="">Velg …</option></select></div>
  <div class="field"><label for="a-name">Lagre filteret som målgruppe</label><input id="a-name" maxlength="200"></div>
</div>
<div class="actions"><button type="button" id="a-save">Lagre målgruppen</button></div>
<p id="a-result" role="status"></p>
</fieldset>
<div id="audience-count" class="counts" aria-live="polite"><p class="muted">Velg filter for å se hvor mange kampanjen når.</p></div>
<div class="actions"><button type="button" class="primary" data-next="2">Neste: innhold</button></div>
</section>

<section class="step card" data-step="2" aria-labelledby="h-step2" hidden>
<h2 id="h-step2">Innhold</h2>
<div id="content-channels"></div>
<div id="content-links" hidden></div>
<div id="preview" class="preview" aria-live="polite"></div>
<div class="actions"><button type="button" data-next="1">Tilbake</button><button type="button" class="primary" data-next="3">Neste: tidspunkt</button></div>
</section>

<section class="step card" data-step="3" aria-labelledby="h-step3" hidden>
<h2 id="h-step3">Tidspunkt og testsending</h2>
<fieldset><legend>Når skal kampanjen sendes?</legend>
  <div class="radio"><input type="radio" name="when" id="when-now" value="now" checked><label for="when-now">Straks den startes</label></div>
  <div class="radio"><input type="radio" name="when" id="when-later" value="later"><label for="when-later">Senere (norsk tid)</label></div>
  <div class="field"><label for="send-at">Sendetidspunkt</label><input id="send-at" type="datetime-local" disabled></div>
</fieldset>
<fieldset><legend>Testsending til ansatte</legend>
  <div class="field"><label for="test-to">E-postadresser og mobilnumre (kommaseparert)</label><input id="test-to" autocomplete="off"></div>
  <button type="button" id="test-send">Send test</button>
  <p id="test-result" aria-live="polite"></p>
</fieldset>
<div class="actions"><button type="button" data-next="2">Tilbake</button><button type="button" class="primary" data-next="4">Neste: oppsummering</button></div>
</section>

<section class="step card" data-step="4" aria-labelledby="h-step4" hidden>
<h2 id="h-step4">Oppsummering</h2>
<div id="review"></div>
<div class="actions"><button type="button" data-next="3">Tilbake</button><button type="button" class="primary" data-next="5">Neste: start</button></div>
</section>

<section class="step card" data-step="5" aria-labelledby="h-step5" hidden>
<h2 id="h-step5">Start</h2>
<p>Når kampanjen startes, tas et øyeblikksbilde av målgruppen, og samtykker sjekkes på nytt rett før hver melding sendes.</p>
<button type="button" class="primary" id="launch">Start kampanjen</button>
<div id="launch-result" aria-live="polite"></div>
<div class="actions"><button type="button" data-next="4">Tilbake</button></div>
</section>
<dialog id="save-mode" aria-labelledby="save-mode-h">
<form method="dialog">
<h2 id="save-mode-h">Hvem skal endringen gjelde?</h2>
<p id="save-mode-text"></p>
<div class="actions"><button value="copy" class="primary">Lagre en kopi bare for denne kampanjen</button><button value="version">Lagre ny versjon for alle</button><button value="">Avbryt</button></div>
</form></dialog>
${CONFIRM_DIALOG}`,
  },
  {
    path: '/campaigns/:id', current: '/app', title: 'Kampanje', roles: 'all', valid: (req) => /^\d{1,12}$/.test(String(req.params.id)), scripts: ['dashboard.js', 'print-runs.js'],
    body: (req) => html`<p><a href="/app">← Oversikt</a></p>
<div id="campaign-detail" data-campaign="${req.params.id}" data-staff="${String(sessionOf(req).staff.id)}" data-role="${sessionOf(req).staff.role}"><h1>Kampanje ${req.params.id}</h1><p class="muted">Henter …</p></div>
<section id="campaign-review" class="card" aria-labelledby="h-review" hidden><h2 id="h-review">Innhold og mottakere</h2></section>
<section aria-labelledby="h-chart" class="card"><h2 id="h-chart">Utfall over tid</h2>
<div id="chart" data-campaign="${req.params.id}"></div></section>
<section id="print-runs" class="card" aria-labelledby="h-print-runs" data-campaign="${req.params.id}" hidden><h2 id="h-print-runs">Trykkfiler for brev</h2>
<p class="small muted">Hver trykkfil er en PDF med brevene og et manifest for trykkeriet. Nedlastinger logges. Marker filen når den er levert til trykkeriet.</p>
<div id="print-run-error" hidden></div><div id="print-run-list"></div></section>
${CONFIRM_DIALOG}`,
  },
  {
    path: '/ballots', current: '/app/ballots', title: 'Uravstemninger', roles: ['admin', 'communications'], scripts: ['ballots.js'],
    body: (req) => html`<h1>Uravstemninger</h1>
<p class="muted">Budstikke vet hvem som har stemmerett og sørger for at alle får beskjed. Stemmene ligger hos valgleverandøren; her finnes ingen opplysninger om hvem som har stemt.</p>
<div id="ballot-list" data-role="${sessionOf(req).staff.role}"><p class="muted">Henter …</p></div>
${html`<section class="card" aria-labelledby="h-new-ballot"><h2 id="h-new-ballot">Ny uravstemning</h2>
<form id="ballot-form" class="stack">
  <div class="field"><label for="b-title">Tittel</label><input id="b-title" name="title" required maxlength="200"></div>
  <div class="field"><label for="b-agreements">Tariffavtaler (velg en eller flere)</label>
<select id="b-agreements" name="agreements" data-source="agreements" data-value="code" multiple size="4" required></select></div>
  <div class="grid2">
  <div class="field"><label for="b-opens">Åpner (norsk tid)</label><input id="b-opens" name="opensAt" type="datetime-local" required></div>
  <div class="field"><label for="b-closes">Stenger (norsk tid)</label><input id="b-closes" name="closesAt" type="datetime-local" required></div>
  </div>
  <div class="field"><label for="b-url">Lenke til avstemningen hos leverandøren</label><input id="b-url" name="votingUrl" type="url" required placeholder="https://"></div>
  <button type="submit" class="primary">Opprett uravstemning</button>
  <p id="ballot-form-result" role="status"></p>
</form></section>`}`,
  },
  {
    path: '/categories', current: '/app/categories', title: 'Meldingskategorier', roles: ['admin'], scripts: ['categories.js'],
    body: () => html`<h1>Meldingskategorier</h1>
<p class="muted">Hva medlemmene kan reservere seg mot, standardvalget og hvilke kanaler hver kategori kan bruke. Alle endringer logges.</p>
<div id="category-list"><p class="muted">Henter …</p></div>`,
  },
  {
    path: '/imports', current: '/app/imports', title: 'Import fra medlemsregisteret', roles: ['admin'], scripts: ['imports.js'],
    body: () => html`<h1>Import fra medlemsregisteret</h1>
<form id="import-form" class="stack card">
  <div class="field"><label for="import-file">Registerfil (CSV, semikolon eller komma, UTF-8 eller Windows-1252)</label>
  <input id="import-file" name="file" type="file" accept=".csv,text/csv,application/json" required></div>
  <button type="submit" class="primary">Importer</button>
</form>
<div id="import-report" aria-live="polite"></div>`,
  },
  {
    path: '/users', current: '/app/users', title: 'Brukere og nøkler', roles: ['admin'], scripts: ['users.js'],
    body: () => html`<h1>Brukere og API-nøkler</h1>
<div id="user-list"><p class="muted">Henter …</p></div>
<section id="user-panel" class="card user-panel" aria-labelledby="h-user-panel" hidden></section>
<section class="card" aria-labelledby="h-new-user"><h2 id="h-new-user">Ny bruker</h2>
<form id="user-form" class="stack">
  <div class="grid2">
  <div class="field"><label for="u-name">Navn</label><input id="u-name" name="name" required maxlength="200"></div>
  <div class="field"><label for="u-email">E-postadresse</label><input id="u-email" name="email" type="email" required></div>
  <div class="field"><label for="u-role">Rolle</label><select id="u-role" name="role">
    ${(['communications', 'representative', 'auditor', 'admin'] as const).map((r) => html`<option value="${r}">${labelOf('staffRole', r)}</option>`)}</select></div>
  <div class="field"><label for="u-member">Medlemsnummer (for tillitsvalgte)</label><input id="u-member" name="memberNumber" maxlength="20"></div>
  </div>
  <button type="submit" class="primary">Opprett bruker</button>
  <p id="user-form-result" role="status"></p>
</form></section>`,
  },
];

export function registerStaffPages(router: express.Router, hub: Hub): void {
  // An unknown campaign id (or one a representative did not make) is a 404 page, not a shell that fails later.
  router.get('/campaigns/:id', requireStaff(hub), async (req, res, next) => {
    const id = String(req.params.id);
    if (!/^\d{1,12}$/.test(id)) { next(); return; }
    const staff = sessionOf(req).staff;
    const c = await hub.db.one('SELECT id, created_by FROM campaigns WHERE id = $1', [Number(id)]);
    if (!c || (staff.role === 'representative' && c.created_by !== staff.id)) {
      res.status(404).type('html').send(errorPage(hub, sessionOf(req), 404, 'Fant ikke kampanjen', `Det finnes ingen kampanje med nummer ${id} som du har tilgang til.`));
      return;
    }
    next();
  });
  for (const s of SHELLS) {
    router.get(s.path, requireStaff(hub, s.roles), (req, res, next) => {
      if (s.valid && !s.valid(req)) { next(); return; }
      const session = sessionOf(req);
      res.type('html').send(page(hub, { title: s.title, staff: session.staff, csrf: session.csrf, current: s.current, scripts: s.scripts, body: s.body(req) }));
    });
  }
}
