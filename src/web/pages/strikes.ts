import type express from 'express';
import Joi from 'joi';
import { DateTime } from 'luxon';
import type { Hub } from '../../hub';
import { Problem } from '../../errors';
import {
  listStrikes, createStrike, moveStrike, endStrike, createPhase, strikeView, createStrikeMessage, listStrikeMessages, listNoticeExports,
  exportNoticeList, phaseEmployers, listCommittees, createCommittee, addCommitteeMember, getCommittee, myCommittees, listGuards, addGuard,
  listShifts, addShift, assignGuard, takeBackIn, STRIKE_STATE_LABEL, STRIKE_PURPOSE_LABEL, type StrikeState, type StrikePurpose,
} from '../../strikes';
import { html, type Html } from '../html';
import { page, STATE_LABEL } from '../layout';
import { requireStaff, sessionOf } from '../auth-pages';
import { STRIKE_FORMS, readForm, osloTime } from './strike-forms';

/**
 * The strike pages (bokmål, server-rendered forms that post back here and call the same
 * functions as /api/strikes): strikes, their phases, messages, plassoppsigelse lists and
 * committees for the strike leadership; guard lists for the committees.
 */
const LEAD = ['admin', 'communications'] as const;
const ZONE = 'Europe/Oslo';

const when = (iso: string | null): string => (iso ? DateTime.fromISO(iso).setZone(ZONE).toFormat('dd.LL.yyyy HH:mm') : '–');
const localValue = (d: Date): string => DateTime.fromJSDate(d).setZone(ZONE).toFormat("yyyy-LL-dd'T'HH:mm");

const idParam = (req: express.Request, name = 'id'): number => {
  const { value, error } = Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).required().validate(req.params[name]);
  if (error) throw Problem.notFound();
  return value;
};

const csrfField = (csrf: string): Html => html`<input type="hidden" name="_csrf" value="${csrf}">`;

export function registerStrikePages(router: express.Router, hub: Hub): void {
  router.get('/strikes', requireStaff(hub, [...LEAD]), async (req, res) => {
    const session = sessionOf(req);
    const strikes = await listStrikes(hub.db);
    const agreements = await hub.db.many('SELECT id, code, name FROM agreements ORDER BY name');
    res.type('html').send(page(hub, {
      title: 'Streik', staff: session.staff, csrf: session.csrf, current: '/app/strikes',
      body: html`<h1>Streik</h1>
<div class="table-wrap"><table class="list" id="strikes-table"><caption class="sr-only">Streiker</caption>
<thead><tr><th scope="col">Streik</th><th scope="col">Tariffavtale</th><th scope="col">Status</th><th scope="col">Mekling</th><th scope="col">Varslet</th></tr></thead>
<tbody>${strikes.map((s) => html`<tr><td><a href="/app/strikes/${s.id}">${s.name}</a></td><td>${s.agreement.name}</td>
  <td>${STRIKE_STATE_LABEL[s.state]}</td><td>${when(s.mediationDeadline)}</td><td>${when(s.notifiedAt)}</td></tr>`)}</tbody></table></div>
${strikes.length ? '' : html`<p class="muted">Ingen streiker ennå.</p>`}
<section class="card" aria-labelledby="h-new"><h2 id="h-new">Ny streik (varslet)</h2>
<form method="post" action="/app/strikes">${csrfField(session.csrf)}
<div class="grid2">
  <div class="field"><label for="s-name">Navn</label><input id="s-name" name="name" required maxlength="200"></div>
  <div class="field"><label for="s-agreement">Tariffavtale</label><select id="s-agreement" name="agreementId" required>
    ${agreements.map((a) => html`<option value="${a.id}">${a.name} (${a.code})</option>`)}</select></div>
  <div class="field"><label for="s-mediation">Meklingsfrist (valgfri)</label><input id="s-mediation" name="mediationDeadline" type="datetime-local"></div>
</div>
<button type="submit" class="primary">Opprett streik</button></form></section>`,
    }));
  });

  router.post('/strikes', requireStaff(hub, [...LEAD]), async (req, res) => {
    const staff = sessionOf(req).staff;
    const f = readForm(STRIKE_FORMS.newStrike, req.body);
    const s = await createStrike(hub, staff, {
      name: f.name, agreementId: f.agreementId,
      mediationDeadline: f.mediationDeadline ? osloTime(f.mediationDeadline, 'mediationDeadline') : null,
    });
    res.redirect(303, `/app/strikes/${s.id}`);
  });

  router.get('/strikes/:id', requireStaff(hub, [...LEAD]), async (req, res) => {
    const session = sessionOf(req);
    const id = idParam(req);
    const s = await strikeView(hub, session.staff, id);
    const open = s.state !== 'ended';
    const next: Partial<Record<StrikeState, StrikeState>> = { notified: 'notice_given', notice_given: 'on_strike' };
    const messages = await listStrikeMessages(hub, session.staff, id);
    const exports = await listNoticeExports(hub, id);
    const committees = await listCommittees(hub, session.staff, id);
    const workplaces = open ? await hub.db.many(
      `SELECT w.id, w.name FROM workplaces w WHERE EXISTS (SELECT 1 FROM members m JOIN member_agreements ma ON ma.member_id = m.id
          WHERE m.workplace_id = w.id AND ma.agreement_id = $1) ORDER BY w.name LIMIT 500`, [s.agreement.id]) : [];
    const templates = await hub.db.many(`SELECT id, name FROM templates WHERE category = 'strike' ORDER BY name`);
    const employers: { phase: number; phaseId: number; id: number; name: string; takenOut: number }[] = [];
    if (open) for (const p of s.phases) for (const e of await phaseEmployers(hub, id, p.id)) employers.push({ phase: p.number, phaseId: p.id, id: e.id, name: e.name, takenOut: e.takenOut });
    const csrf = session.csrf;
    // The result of a take-back just made (the form redirects here with the count).
    const tb = Joi.number().integer().min(0).max(10_000_000).validate(req.query.takenBack);
    const takenBack = req.query.takenBack !== undefined && !tb.error ? (tb.value as number) : null;
    res.type('html').send(page(hub, {
      title: s.name, staff: session.staff, csrf, current: '/app/strikes',
      body: html`<h1>${s.name}</h1>
<section class="card" aria-labelledby="h-state"><h2 id="h-state">Status: <span id="strike-state">${STRIKE_STATE_LABEL[s.state]}</span></h2>
<dl class="facts">
  <dt>Tariffavtale</dt><dd>${s.agreement.name}${s.agreement.bargainingArea ? html` (${s.agreement.bargainingArea})` : ''}</dd>
  <dt>Meklingsfrist</dt><dd id="mediation">${when(s.mediationDeadline)}</dd>
  <dt>Varslet</dt><dd>${when(s.notifiedAt)}</dd><dt>Plassoppsigelse</dt><dd>${when(s.noticeGivenAt)}</dd>
  <dt>Streik fra</dt><dd>${when(s.onStrikeAt)}</dd><dt>Avsluttet</dt><dd>${when(s.endedAt)}</dd>
  <dt>I streik nå</dt><dd id="on-strike-now">${s.onStrikeNow}</dd>
</dl>
${open ? html`<div class="row">
${next[s.state] ? html`<form method="post" action="/app/strikes/${id}/state" class="inline">${csrfField(csrf)}<input type="hidden" name="state" value="${next[s.state]!}">
  <button type="submit" class="primary">Gå til «${STRIKE_STATE_LABEL[next[s.state]!]}»</button></form>` : ''}
<form method="post" action="/app/strikes/${id}/state" class="inline">${csrfField(csrf)}<input type="hidden" name="state" value="ended">
  <button type="submit" class="danger">Avslutt streiken og slett lister</button></form></div>
<p class="muted">Når streiken avsluttes, slettes uttakslister, plassoppsigelseslister, streikekomiteer og vaktlister. Bare antall per uttak og arbeidsgiver blir igjen.</p>`
    : html`<p>Personopplysningene streiken holdt er slettet ${when(s.erasedAt)}. Bare antall er igjen.</p>`}
</section>

<section class="card" aria-labelledby="h-phases"><h2 id="h-phases">Uttak</h2>
<div class="table-wrap"><table class="list" id="phases-table"><caption class="sr-only">Uttak</caption>
<thead><tr><th scope="col">Nr.</th><th scope="col">Navn</th><th scope="col">Fra</th><th scope="col">Tatt ut</th><th scope="col">Tatt inn igjen</th><th scope="col">I streik nå</th></tr></thead>
<tbody>${s.phases.map((p) => html`<tr><td>${p.number}</td><td>${p.name}</td><td>${when(p.startsAt)}</td><td>${p.counts.takenOut}</td><td>${p.counts.takenBack}</td><td>${p.counts.onStrikeNow}</td></tr>`)}</tbody></table></div>
${open ? html`<h3>Nytt uttak eller opptrapping</h3>
<form method="post" action="/app/strikes/${id}/phases">${csrfField(csrf)}
<div class="grid2">
  <div class="field"><label for="p-name">Navn</label><input id="p-name" name="name" required maxlength="200" value="Uttak ${s.phases.length + 1}"></div>
  <div class="field"><label for="p-start">Fra</label><input id="p-start" name="startsAt" type="datetime-local" required value="${localValue(hub.clock.now())}"></div>
  <div class="field"><label for="p-workplaces">Arbeidssteder som tas ut</label><select id="p-workplaces" name="workplaces" multiple size="6" required>
    ${workplaces.map((w) => html`<option value="${w.id}">${w.name}</option>`)}</select></div>
</div>
<p class="muted">Bare aktive medlemmer som er omfattet av ${s.agreement.name}, tas ut.</p>
<button type="submit" class="primary">Legg til uttak</button></form>
${s.phases.length ? html`<h3>Ta inn igjen</h3>
<form method="post" action="/app/strikes/${id}/take-back" id="take-back-form">${csrfField(csrf)}
<div class="grid2">
  <div class="field"><label for="tb-phase">Uttak</label><select id="tb-phase" name="phaseId" required>
    ${s.phases.map((p) => html`<option value="${p.id}">${p.number}. ${p.name}</option>`)}</select></div>
  <div class="field"><label for="tb-workplaces">Arbeidssteder som tas inn igjen</label><select id="tb-workplaces" name="workplaces" multiple size="6">
    ${workplaces.map((w) => html`<option value="${w.id}">${w.name}</option>`)}</select></div>
  <div class="field"><label for="tb-members">Medlemsnumre som tas inn igjen</label>
    <textarea id="tb-members" name="memberNumbers" rows="3" maxlength="20000" aria-describedby="tb-members-help"></textarea>
    <p class="muted" id="tb-members-help">Skill numrene med komma, mellomrom eller linjeskift.</p></div>
</div>
<p class="muted">Velg arbeidssteder, medlemsnumre eller begge. De som tas inn igjen, er ikke lenger i streik fra nå, og merkes i neste plassoppsigelsesliste.</p>
<button type="submit">Ta inn igjen</button></form>` : ''}` : ''}
${takenBack !== null ? html`<p role="status" id="take-back-result">${takenBack} medlemmer ble tatt inn igjen.</p>` : ''}
</section>

<section class="card" aria-labelledby="h-messages"><h2 id="h-messages">Meldinger</h2>
<div class="table-wrap"><table class="list" id="messages-table"><caption class="sr-only">Meldinger fra streiken</caption>
<thead><tr><th scope="col">Melding</th><th scope="col">Formål</th><th scope="col">Status</th></tr></thead>
<tbody>${messages.map((m) => html`<tr><td>${m.name}</td><td>${STRIKE_PURPOSE_LABEL[m.purpose]}</td><td>${m.approval.required ? STATE_LABEL.pending_approval : STATE_LABEL[m.state] ?? m.state}</td></tr>`)}</tbody></table></div>
${open ? html`<h3>Ny melding</h3>
<form method="post" action="/app/strikes/${id}/messages">${csrfField(csrf)}
<div class="grid2">
  <div class="field"><label for="m-purpose">Formål</label><select id="m-purpose" name="purpose">
    ${(Object.keys(STRIKE_PURPOSE_LABEL) as StrikePurpose[]).map((p) => html`<option value="${p}">${STRIKE_PURPOSE_LABEL[p]}</option>`)}</select></div>
  <div class="field"><label for="m-phase">Uttak</label><select id="m-phase" name="phaseId"><option value="">Alle som er tatt ut</option>
    ${s.phases.map((p) => html`<option value="${p.id}">${p.number}. ${p.name}</option>`)}</select></div>
  <div class="field"><label for="m-name">Navn på meldingen</label><input id="m-name" name="name" required maxlength="200"></div>
  <div class="field"><label for="m-template">Mal</label><select id="m-template" name="templateId" required>
    ${templates.map((t) => html`<option value="${t.id}">${t.name}</option>`)}</select></div>
  <div class="field"><label for="m-info">Lenke til streikesiden (links.info)</label><input id="m-info" name="info" type="url" required placeholder="https://"></div>
</div>
<p class="muted">Sendes i kategorien «Streik og konflikt» på e-post, ellers SMS, ellers brev. Kan ikke reserveres mot, og SMS holdes ikke tilbake om natten. Over godkjenningsgrensen må en annen godkjenne.</p>
<button type="submit" class="primary">Send melding</button></form>` : ''}
</section>

<section class="card" aria-labelledby="h-exports"><h2 id="h-exports">Plassoppsigelse: lister til arbeidsgivere</h2>
${open && employers.length ? html`<form method="post" action="/app/strikes/${id}/exports">${csrfField(csrf)}
<div class="grid2"><div class="field"><label for="x-which">Uttak og arbeidsgiver</label><select id="x-which" name="which">
  ${employers.map((e) => html`<option value="${e.phaseId}:${e.id}">Uttak ${e.phase}: ${e.name} (${e.takenOut})</option>`)}</select></div></div>
<fieldset><legend>Format</legend>
  <label><input type="radio" name="format" value="csv" checked> CSV</label>
  <label><input type="radio" name="format" value="pgp"> Kryptert til arbeidsgiverens OpenPGP-nøkkel</label></fieldset>
<div class="field"><label for="x-key">Arbeidsgiverens offentlige OpenPGP-nøkkel (for kryptert fil)</label>
  <textarea id="x-key" name="publicKey" rows="4" maxlength="100000" placeholder="-----BEGIN PGP PUBLIC KEY BLOCK-----"></textarea></div>
<button type="submit">Last ned liste</button></form>
<p class="muted">Lista har bare navn, medlemsnummer og arbeidssted (og det forbundet har valgt). Hver nedlasting logges med antall rader. En kryptert fil kan bare åpnes av arbeidsgiveren som eier nøkkelen.</p>` : ''}
<div class="table-wrap"><table class="list" id="exports-table"><caption class="sr-only">Utleverte lister</caption>
<thead><tr><th scope="col">Tidspunkt</th><th scope="col">Uttak</th><th scope="col">Arbeidsgiver</th><th scope="col">Format</th><th scope="col">Rader</th><th scope="col">Ikke lenger tatt ut</th></tr></thead>
<tbody>${exports.map((x) => html`<tr><td>${when(x.createdAt)}</td><td>${x.phase}</td><td>${x.employer}</td><td>${x.format === 'pgp' ? 'Kryptert' : 'CSV'}</td><td>${x.rowCount}</td><td>${x.returnedCount}</td></tr>`)}</tbody></table></div>
</section>

<section class="card" aria-labelledby="h-committees"><h2 id="h-committees">Streikekomiteer</h2>
<ul>${committees.map((c) => html`<li><a href="/app/committees/${c.id}">${c.name}</a> (${c.location}): ${c.members.length} medlemmer, ${c.guards} vakter, ${c.shifts} vakter i lista</li>`)}</ul>
${open ? html`<form method="post" action="/app/strikes/${id}/committees">${csrfField(csrf)}
<div class="grid2"><div class="field"><label for="c-name">Navn</label><input id="c-name" name="name" required maxlength="200"></div>
<div class="field"><label for="c-location">Sted</label><input id="c-location" name="location" required maxlength="200"></div></div>
<button type="submit">Opprett komité</button></form>` : ''}
</section>`,
    }));
  });

  router.post('/strikes/:id/state', requireStaff(hub, [...LEAD]), async (req, res) => {
    const id = idParam(req);
    const staff = sessionOf(req).staff;
    const { state } = readForm<{ state: 'notice_given' | 'on_strike' | 'ended' }>(STRIKE_FORMS.state, req.body);
    if (state === 'ended') await endStrike(hub, staff, id);
    else await moveStrike(hub, staff, id, state);
    res.redirect(303, `/app/strikes/${id}`);
  });

  router.post('/strikes/:id/phases', requireStaff(hub, [...LEAD]), async (req, res) => {
    const id = idParam(req);
    const f = readForm(STRIKE_FORMS.phase, req.body);
    await createPhase(hub, sessionOf(req).staff, id, { name: f.name, startsAt: osloTime(f.startsAt, 'startsAt'), selection: { workplace: f.workplaces } });
    res.redirect(303, `/app/strikes/${id}`);
  });

  router.post('/strikes/:id/take-back', requireStaff(hub, [...LEAD]), async (req, res) => {
    const id = idParam(req);
    const { phaseId, workplaces, memberNumbers } = readForm<{ phaseId: number; workplaces: number[]; memberNumbers: string }>(STRIKE_FORMS.takeBack, req.body);
    const numbers = memberNumbers.split(/[\s,;]+/).map((n) => n.trim()).filter(Boolean);
    if (!workplaces.length && !numbers.length) throw Problem.badRequest('Skjemaet har feil', [{ field: 'memberNumbers', message: 'velg arbeidssteder eller skriv medlemsnumre' }]);
    const any: unknown[] = [];
    if (workplaces.length) any.push({ workplace: workplaces });
    if (numbers.length) any.push({ memberNumbers: numbers });
    // The same function as the API's take-back; the audience grammar validates the numbers.
    const r = await takeBackIn(hub, sessionOf(req).staff, id, phaseId, { selection: { any } });
    res.redirect(303, `/app/strikes/${id}?takenBack=${r.takenBack}`);
  });

  router.post('/strikes/:id/messages', requireStaff(hub, [...LEAD]), async (req, res) => {
    const id = idParam(req);
    const f = readForm<{ purpose: StrikePurpose; phaseId: number | ''; name: string; templateId: number; info: string }>(STRIKE_FORMS.message, req.body);
    const ref = { templateId: f.templateId, version: null };
    await createStrikeMessage(hub, sessionOf(req).staff, id, {
      purpose: f.purpose, phaseId: f.phaseId || null, name: f.name,
      templates: { email: ref, sms: ref, letter: ref }, links: { info: f.info }, launch: true,
    });
    res.redirect(303, `/app/strikes/${id}`);
  });

  router.post('/strikes/:id/exports', requireStaff(hub, [...LEAD]), async (req, res) => {
    const id = idParam(req);
    const f = readForm<{ which: string; format: 'csv' | 'pgp'; publicKey?: string }>(STRIKE_FORMS.exportList, req.body);
    const [phaseId, employerId] = f.which.split(':').map(Number);
    // exportNoticeList owns the rule that an encrypted list needs the key (422 naming publicKey).
    const x = await exportNoticeList(hub, sessionOf(req).staff, id, phaseId, { employerId, format: f.format, ...(f.format === 'pgp' && f.publicKey ? { publicKey: f.publicKey } : {}) });
    res.type(x.contentType).setHeader('Content-Disposition', `attachment; filename="${x.filename}"`);
    res.send(x.content);
  });

  router.post('/strikes/:id/committees', requireStaff(hub, [...LEAD]), async (req, res) => {
    const id = idParam(req);
    const f = readForm(STRIKE_FORMS.committee, req.body);
    const c = await createCommittee(hub, sessionOf(req).staff, id, { name: f.name, location: f.location });
    res.redirect(303, `/app/committees/${c.id}`);
  });

  router.get('/committees', requireStaff(hub, ['strike_committee']), async (req, res) => {
    const session = sessionOf(req);
    const mine = await myCommittees(hub, session.staff);
    res.type('html').send(page(hub, {
      title: 'Mine streikekomiteer', staff: session.staff, csrf: session.csrf, current: '/app/committees',
      body: html`<h1>Mine streikekomiteer</h1><ul>${mine.map((c) => html`<li><a href="/app/committees/${c.id}">${c.name}</a> – ${c.strikeName}</li>`)}</ul>
${mine.length ? '' : html`<p class="muted">Du er ikke med i noen streikekomité.</p>`}`,
    }));
  });

  router.get('/committees/:id', requireStaff(hub, [...LEAD, 'strike_committee']), async (req, res) => {
    const session = sessionOf(req);
    const id = idParam(req);
    const c = await getCommittee(hub, session.staff, id);
    const { guards, contacts } = await listGuards(hub, session.staff, id);
    const shifts = await listShifts(hub, session.staff, id);
    const lead = session.staff.role !== 'strike_committee';
    const csrf = session.csrf;
    const guardName = new Map(guards.map((g) => [g.id, g.name]));
    res.type('html').send(page(hub, {
      title: c.name, staff: session.staff, csrf, current: lead ? '/app/strikes' : '/app/committees',
      body: html`<h1>${c.name}</h1><p>Sted: ${c.location}. ${lead ? html`<a href="/app/strikes/${c.strikeId}">Til streiken</a>` : ''}</p>
<section class="card" aria-labelledby="h-guards"><h2 id="h-guards">Vaktliste</h2>
${contacts ? html`<p class="muted">Kontaktopplysningene er bare for komiteen. De kan deles med en annen komité bare når vakten har sagt ja. Alt du ser, blir logget.</p>`
    : html`<p class="muted">Kontaktopplysningene vises bare for komiteens egne medlemmer.</p>`}
<div class="table-wrap"><table class="list" id="guards-table"><caption class="sr-only">Vakter</caption>
<thead><tr><th scope="col">Navn</th>${contacts ? html`<th scope="col">Telefon</th><th scope="col">E-post</th>` : ''}<th scope="col">Meldte seg</th><th scope="col">Samtykke til deling</th></tr></thead>
<tbody>${guards.map((g) => html`<tr><td>${g.name}</td>${contacts ? html`<td>${g.phone ?? '–'}</td><td>${g.email ?? '–'}</td>` : ''}<td>${when(g.volunteeredAt)}</td><td>${g.shareConsent ? 'Ja' : 'Nei'}</td></tr>`)}</tbody></table></div>
${!lead ? html`<h3>Ny vakt</h3><form method="post" action="/app/committees/${id}/guards">${csrfField(csrf)}
<div class="grid2"><div class="field"><label for="g-name">Navn</label><input id="g-name" name="name" required maxlength="200"></div>
<div class="field"><label for="g-phone">Telefon</label><input id="g-phone" name="phone" type="tel" maxlength="30"></div>
<div class="field"><label for="g-email">E-post</label><input id="g-email" name="email" type="email" maxlength="254"></div>
<div class="field"><label><input type="checkbox" name="shareConsent" value="1"> Vakten samtykker til at andre komiteer kan se kontaktopplysningene</label></div></div>
<button type="submit" class="primary">Legg til vakt</button></form>` : ''}
</section>
<section class="card" aria-labelledby="h-shifts"><h2 id="h-shifts">Vakter</h2>
<div class="table-wrap"><table class="list" id="shifts-table"><caption class="sr-only">Vakter</caption>
<thead><tr><th scope="col">Sted</th><th scope="col">Fra</th><th scope="col">Til</th><th scope="col">Vakter</th></tr></thead>
<tbody>${shifts.map((s) => html`<tr><td>${s.place}</td><td>${when(s.startsAt)}</td><td>${when(s.endsAt)}</td><td>${s.guards.map((g) => guardName.get(g) ?? String(g)).join(', ') || '–'}</td></tr>`)}</tbody></table></div>
${!lead ? html`<h3>Ny vakt i lista</h3><form method="post" action="/app/committees/${id}/shifts">${csrfField(csrf)}
<div class="grid2"><div class="field"><label for="sh-place">Sted</label><input id="sh-place" name="place" required maxlength="200"></div>
<div class="field"><label for="sh-start">Fra</label><input id="sh-start" name="startsAt" type="datetime-local" required></div>
<div class="field"><label for="sh-end">Til</label><input id="sh-end" name="endsAt" type="datetime-local" required></div>
<div class="field"><label for="sh-guard">Vakt</label><select id="sh-guard" name="guardId"><option value="">Ingen ennå</option>${guards.map((g) => html`<option value="${g.id}">${g.name}</option>`)}</select></div></div>
<button type="submit">Legg til</button></form>` : ''}
</section>
${lead ? html`<section class="card" aria-labelledby="h-members"><h2 id="h-members">Komitémedlemmer</h2>
<ul>${c.members.map((m) => html`<li>${m.name} (${m.email})</li>`)}</ul>
<form method="post" action="/app/committees/${id}/members">${csrfField(csrf)}
<div class="grid2"><div class="field"><label for="cm-name">Navn</label><input id="cm-name" name="name" required maxlength="200"></div>
<div class="field"><label for="cm-email">E-post</label><input id="cm-email" name="email" type="email" required maxlength="254"></div></div>
<button type="submit">Legg til medlem</button></form></section>` : ''}`,
    }));
  });

  router.post('/committees/:id/members', requireStaff(hub, [...LEAD]), async (req, res) => {
    const id = idParam(req);
    const f = readForm(STRIKE_FORMS.committeeMember, req.body);
    await addCommitteeMember(hub, sessionOf(req).staff, id, { name: f.name, email: f.email });
    res.redirect(303, `/app/committees/${id}`);
  });

  router.post('/committees/:id/guards', requireStaff(hub, ['strike_committee']), async (req, res) => {
    const id = idParam(req);
    const f = readForm(STRIKE_FORMS.guard, req.body);
    await addGuard(hub, sessionOf(req).staff, id, { name: f.name, phone: f.phone || null, email: f.email || null, shareConsent: f.shareConsent === '1' });
    res.redirect(303, `/app/committees/${id}`);
  });

  router.post('/committees/:id/shifts', requireStaff(hub, ['strike_committee']), async (req, res) => {
    const id = idParam(req);
    const staff = sessionOf(req).staff;
    const f = readForm(STRIKE_FORMS.shift, req.body);
    const s = await addShift(hub, staff, id, { place: f.place, startsAt: osloTime(f.startsAt, 'startsAt'), endsAt: osloTime(f.endsAt, 'endsAt') });
    if (f.guardId) await assignGuard(hub, staff, id, s.id, f.guardId);
    res.redirect(303, `/app/committees/${id}`);
  });
}
