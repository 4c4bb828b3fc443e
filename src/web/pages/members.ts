import type express from 'express';
import Joi from 'joi';
import type { Hub } from '../../hub';
import { audit } from '../../audit';
import { Problem } from '../../errors';
import { getMemberInScope, searchMembers } from '../../members/queries';
import { EXPORT_ROLES } from '../../privacy';
import { labelOf } from '../../vocabulary';
import { html, jsonScript } from '../html';
import { page } from '../layout';
import { errorPage, requireStaff, sessionOf } from '../auth-pages';


const PAGE_SIZE = 50;
const searchQuery = Joi.object({ q: Joi.string().max(100).allow('').default(''), page: Joi.number().integer().min(1).max(10000).default(1) });
const memberNumber = Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/).required();

export function registerMemberPages(router: express.Router, hub: Hub): void {
  router.get('/members', requireStaff(hub), async (req, res) => {
    const session = sessionOf(req);
    const staff = session.staff;
    const { value: q } = searchQuery.validate(req.query, { stripUnknown: true });
    const rep = staff.role === 'representative';
    const query = String(q?.q ?? '').trim();
    const pageNo = Number(q?.page ?? 1);
    const showList = rep || query.length > 0;
    let result: Awaited<ReturnType<typeof searchMembers>> | null = null;
    if (showList) {
      result = await searchMembers(hub.db, staff, { q: query || undefined, limit: PAGE_SIZE, offset: (pageNo - 1) * PAGE_SIZE });
      await audit(hub.db, { staff, action: query ? 'member.search' : 'member.list', rowCount: result.members.length, detail: { q: query || null, via: 'web', page: pageNo } });
    }
    const pages = result ? Math.max(1, Math.ceil(result.total / PAGE_SIZE)) : 1;
    const link = (p: number) => `/app/members?${new URLSearchParams({ ...(query ? { q: query } : {}), page: String(p) })}`;
    res.type('html').send(page(hub, {
      title: rep ? 'Mine medlemmer' : 'Medlemmer', staff, csrf: session.csrf, current: '/app/members',
      body: html`<h1>${rep ? 'Mine medlemmer' : 'Medlemmer'}</h1>
${rep ? html`<p class="muted">Du ser bare medlemmene på arbeidsplassene, i klubbene og avdelingene vervene dine dekker. Alt du ser blir logget.</p>` : ''}
<form method="get" action="/app/members" class="searchbar" role="search">
  <label for="q">Søk på navn, medlemsnummer, e-post eller telefon</label>
  <div class="row"><input id="q" name="q" type="search" value="${query}" autocomplete="off">
  <button type="submit" class="primary">Søk</button></div>
</form>
${result ? html`<p id="result-count" aria-live="polite">${result.total} ${result.total === 1 ? 'medlem' : 'medlemmer'}${query ? html` for «${query}»` : ''}</p>
<div class="table-wrap"><table class="list" id="members-table">
<caption class="sr-only">Medlemmer</caption>
<thead><tr><th scope="col">Medlemsnr.</th><th scope="col">Navn</th><th scope="col">Arbeidssted</th><th scope="col">Kommune</th><th scope="col">Status</th></tr></thead>
<tbody>${result.members.map((m) => html`<tr>
  <td><a href="/app/members/${encodeURIComponent(m.memberNumber)}">${m.memberNumber}</a></td>
  <td>${m.lastName}, ${m.firstName}</td><td>${m.workplace ?? '–'}</td><td>${m.municipality ?? '–'}</td>
  <td>${labelOf('memberStatus', m.status)}</td></tr>`)}</tbody></table></div>
${pages > 1 ? html`<nav class="pager" aria-label="Sider">${pageNo > 1 ? html`<a href="${link(pageNo - 1)}">Forrige</a>` : ''}
  <span>Side ${pageNo} av ${pages}</span>${pageNo < pages ? html`<a href="${link(pageNo + 1)}">Neste</a>` : ''}</nav>` : ''}`
    : html`<p class="muted">Skriv et medlemsnummer eller et navn (eller begynnelsen av et navn).</p>`}`,
    }));
  });

  router.get('/members/:memberNumber', requireStaff(hub), async (req, res) => {
    const session = sessionOf(req);
    const staff = session.staff;
    const { value: num, error } = memberNumber.validate(req.params.memberNumber);
    let m;
    try {
      if (error) throw Problem.notFound();
      m = await getMemberInScope(hub.db, staff, num);
    } catch (err) {
      if (err instanceof Problem && err.status === 404) {
        res.status(404).type('html').send(errorPage(hub, session, 404, 'Fant ikke medlemmet', 'Det finnes ikke noe medlem med dette nummeret som du har tilgang til.'));
        return;
      }
      throw err;
    }
    await audit(hub.db, { staff, action: 'member.view', memberId: m.id, rowCount: 1, detail: { via: 'web' } });
    const row = (label: string, value: unknown) => html`<div><dt>${label}</dt><dd>${value === null || value === undefined || value === '' ? '–' : value}</dd></div>`;
    const canChange = staff.role === 'admin' || staff.role === 'communications';
    const canExport = (EXPORT_ROLES as readonly string[]).includes(staff.role);
    const canErase = staff.role === 'admin';
    const pref = await hub.db.one('SELECT channel FROM member_channel_preferences WHERE member_id = $1', [m.id]);
    const categories = await hub.db.many('SELECT code, name_nb FROM message_categories ORDER BY code');
    const fullName = `${m.firstName} ${m.lastName}`;
    const exportUrl = `/api/members/${encodeURIComponent(m.memberNumber)}/export`;
    res.type('html').send(page(hub, {
      title: `${m.firstName} ${m.lastName}`, staff, csrf: session.csrf, current: '/app/members', scripts: ['member.js'],
      body: html`<p><a href="/app/members">← Medlemmer</a></p>
<h1>${m.firstName} ${m.lastName} <span class="muted">nr. ${m.memberNumber}</span></h1>
<div class="grid2">
<section class="card" aria-labelledby="h-profile"><h2 id="h-profile">Profil</h2>
<dl class="facts">
${row('Status', `${labelOf('memberStatus', m.status)}${m.resignedAt ? ` fra ${m.resignedAt}` : ''}`)}
${m.resignationReason ? row('Utmeldingsgrunn', labelOf('resignationReason', m.resignationReason)) : ''}
${row('Kategori', labelOf('membershipCategory', m.category))}
${row('Innmeldt', m.joinedAt)}
${row('E-post', m.email)}
${row('Mobil', m.phone)}
${row('Adresse', [m.street, [m.postcode, m.postalPlace].filter(Boolean).join(' ')].filter(Boolean).join(', '))}
${row('Kommune og fylke', [m.municipality, m.county].filter(Boolean).join(', '))}
${row('Språk', labelOf('language', m.language))}
${row('Foretrukket kanal', pref ? labelOf('channel', pref.channel) : 'Ikke valgt (kampanjens rekkefølge gjelder)')}
${row('Arbeidssted', m.workplace ? `${m.workplace} (${m.workplaceOrgNumber})` : null)}
${row('Arbeidsgiver', m.employer ? `${m.employer} (${m.employerOrgNumber})` : null)}
${row('Avdeling', m.branch)}
${row('Klubb', m.club)}
${row('Tariffavtaler', m.agreements.join(', '))}
${m.duesOutstanding ? row('Kontingent', 'Utestående') : ''}
</dl></section>
<section class="card" aria-labelledby="h-consents"><h2 id="h-consents">Samtykker og reservasjoner</h2>
<div id="consents" data-member="${m.memberNumber}" data-can-change="${canChange ? '1' : '0'}"><p class="muted">Henter …</p></div>
</section>
</div>
<section class="card" aria-labelledby="h-comm"><h2 id="h-comm">Kommunikasjonshistorikk</h2>
<p class="muted small">Meldinger sendt til medlemmet og endringer i samtykker og reservasjoner, nyeste først.</p>
<div id="communications" data-member="${m.memberNumber}"><p class="muted">Henter …</p></div>
</section>
${canExport ? html`<section class="card" aria-labelledby="h-privacy"><h2 id="h-privacy">Innsyn${canErase ? ' og sletting' : ''}</h2>
<p>Innsynet viser alt Budstikke har lagret om medlemmet. Nedlastingen blir logget.</p>
<div class="row"><a class="button" id="export-html" href="${exportUrl}.html?download=true" download>Last ned innsyn (HTML)</a>
<a class="button" id="export-json" href="${exportUrl}?download=true" download>Last ned innsyn (JSON)</a></div>
${canErase ? html`<details class="erase" id="erase"><summary>Slett medlemmet</summary>
<form id="erase-form" class="stack" data-member-number="${m.memberNumber}" data-member-name="${fullName}">
  <p class="warn">Sletting fjerner alle personopplysninger om <strong>${fullName}</strong> (nr. ${m.memberNumber}) i alle tabeller og kan ikke angres. Statistikken beholdes uten navn.</p>
  <div class="field"><label for="erase-reason">Begrunnelse (for eksempel «Medlemmet ba om sletting på e-post 1. desember»)</label>
  <textarea id="erase-reason" required minlength="3" maxlength="1000"></textarea></div>
  <div class="field"><label for="erase-confirm">Skriv medlemsnummeret (${m.memberNumber}) eller hele navnet (${fullName}) for å bekrefte</label>
  <input id="erase-confirm" autocomplete="off"></div>
  <button type="submit" class="danger" id="erase-submit" disabled>Slett ${fullName} for godt</button>
  <p id="erase-result" role="status"></p>
</form></details>` : ''}
</section>` : ''}
${jsonScript('category-names', Object.fromEntries(categories.map((c) => [c.code, c.name_nb])))}`,
    }));
  });
}
