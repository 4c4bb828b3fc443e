import type express from 'express';
import Joi from 'joi';
import { DateTime } from 'luxon';
import type { Hub } from '../../hub';
import { audit } from '../../audit';
import { AUDIT_ROLES, categoryNames, detailText, queryAudit, type AuditEntry, type DetailNames } from '../../privacy';
import { AUDIT_ACTION, labelOf } from '../../vocabulary';
import { html } from '../html';
import { page } from '../layout';
import { requireStaff, sessionOf } from '../auth-pages';

/** Entries per page. Paging is keyset on the entry id ("Eldre" = entries older than the last shown), so a page never shifts while new entries arrive. */
export const AUDIT_PAGE_SIZE = 50;
const ZONE = 'Europe/Oslo';
const day = Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/).allow('');

/** The page's form fields: empty fields are "no filter"; dates are whole days in Norwegian time. */
const pageQuery = Joi.object({
  actorUserId: Joi.alternatives(Joi.number().integer().min(1), Joi.string().valid('')),
  action: Joi.string().valid('', ...Object.keys(AUDIT_ACTION)),
  memberNumber: Joi.string().trim().pattern(/^[A-Za-z0-9-]{0,20}$/).allow(''),
  from: day,
  to: day,
  before: Joi.number().integer().min(1),
});

interface Filter { actorUserId?: number; action?: string; memberNumber?: string; from?: string; to?: string }

function instant(d: string | undefined, plusDays = 0): Date | undefined {
  if (!d) return undefined;
  const t = DateTime.fromISO(d, { zone: ZONE });
  return t.isValid ? t.plus({ days: plusDays }).toJSDate() : undefined;
}

/** The form's filter as the API's query (from = start of the first day, to = start of the day after the last, both Oslo time). */
function apiFilter(f: Filter): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.actorUserId) q.actorUserId = String(f.actorUserId);
  if (f.action) q.action = f.action;
  if (f.memberNumber) q.memberNumber = f.memberNumber;
  const from = instant(f.from);
  const to = instant(f.to, 1);
  if (from) q.from = from.toISOString();
  if (to) q.to = to.toISOString();
  return q;
}

function pageLink(f: Filter, before?: number): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined && v !== '') q[k] = String(v);
  if (before) q.before = String(before);
  return `/app/audit?${new URLSearchParams(q)}`;
}

const when = (iso: string) => DateTime.fromISO(iso).setZone(ZONE).toFormat('dd.MM.yyyy HH:mm:ss');

function entryRow(e: AuditEntry, names: DetailNames) {
  const member = e.memberNumber ?? (typeof e.detail?.memberNumber === 'string' ? e.detail.memberNumber : null);
  return html`<tr data-action="${e.action}">
  <td class="nowrap">${when(e.at)}</td>
  <td>${e.actorName ?? e.actor}${e.actorRole ? html` <span class="muted small">(${labelOf('staffRole', e.actorRole)})</span>` : ''}</td>
  <td>${labelOf('auditAction', e.action)}</td>
  <td>${member ? (e.memberNumber ? html`<a href="/app/members/${encodeURIComponent(member)}">${member}</a>` : member) : '–'}</td>
  <td class="num">${e.rowCount ?? '–'}</td>
  <td class="small">${detailText(e.detail, e.action, names) || '–'}</td></tr>`;
}

/** The audit-log page (revisjonslogg) for auditors and admins: filters, keyset paging, CSV export. */
export function registerAuditPage(router: express.Router, hub: Hub): void {
  router.get('/audit', requireStaff(hub, [...AUDIT_ROLES]), async (req, res) => {
    const session = sessionOf(req);
    const staff = session.staff;
    const { value, error } = pageQuery.validate(req.query, { stripUnknown: true });
    const f: Filter = error ? {} : {
      actorUserId: typeof value.actorUserId === 'number' ? value.actorUserId : undefined,
      action: value.action || undefined,
      memberNumber: value.memberNumber || undefined,
      from: value.from || undefined,
      to: value.to || undefined,
    };
    const before: number | undefined = error ? undefined : value.before;
    const q = apiFilter(f);
    const result = await queryAudit(hub.db, {
      actorUserId: f.actorUserId, action: f.action ? [f.action] : undefined, memberNumber: f.memberNumber,
      from: instant(f.from), to: instant(f.to, 1), before, limit: AUDIT_PAGE_SIZE,
    });
    const names: DetailNames = { categories: await categoryNames(hub.db) };
    await audit(hub.db, {
      staff, action: 'audit.view', memberId: result.memberId, rowCount: result.entries.length,
      detail: { via: 'web', ...Object.fromEntries(Object.entries(q).filter(([k]) => k !== 'memberNumber')), before: before ?? null },
    });
    const users = await hub.db.many('SELECT id, name, role FROM staff_users ORDER BY name, id');
    const actions = Object.keys(AUDIT_ACTION).sort((a, b) => labelOf('auditAction', a).localeCompare(labelOf('auditAction', b), 'nb'));
    const csv = `/api/audit/export.csv?${new URLSearchParams(q)}`;
    const filtered = Object.keys(q).length > 0;

    res.type('html').send(page(hub, {
      title: 'Revisjonslogg', staff, csrf: session.csrf, current: '/app/audit',
      body: html`<h1>Revisjonslogg</h1>
<p class="muted">Alt som gjøres med medlemsdata og tilganger, nyeste først. Det du ser og eksporterer her, blir også logget.</p>
${error ? html`<p class="warn" role="alert">Filteret var ugyldig og er nullstilt: ${error.details.map((d) => d.message).join(', ')}</p>` : ''}
<form method="get" action="/app/audit" class="card stack" id="audit-filter" role="search" aria-label="Filtrer revisjonsloggen">
  <div class="grid3">
  <div class="field"><label for="f-user">Utført av</label><select id="f-user" name="actorUserId"><option value="">Alle</option>
    ${users.map((u) => html`<option value="${u.id}"${f.actorUserId === u.id ? html` selected` : ''}>${u.name} (${labelOf('staffRole', u.role)})</option>`)}</select></div>
  <div class="field"><label for="f-action">Handling</label><select id="f-action" name="action"><option value="">Alle</option>
    ${actions.map((a) => html`<option value="${a}"${f.action === a ? html` selected` : ''}>${labelOf('auditAction', a)}</option>`)}</select></div>
  <div class="field"><label for="f-member">Medlemsnummer</label><input id="f-member" name="memberNumber" value="${f.memberNumber ?? ''}" maxlength="20" autocomplete="off"></div>
  <div class="field"><label for="f-from">Fra og med dato</label><input id="f-from" name="from" type="date" value="${f.from ?? ''}"></div>
  <div class="field"><label for="f-to">Til og med dato</label><input id="f-to" name="to" type="date" value="${f.to ?? ''}"></div>
  </div>
  <div class="row"><button type="submit" class="primary">Filtrer</button>${filtered ? html`<a href="/app/audit" class="button">Nullstill</a>` : ''}
  <a href="${csv}" class="button" id="audit-csv" download>Last ned CSV</a></div>
</form>
<p id="audit-count" aria-live="polite">${result.entries.length === 0 ? 'Ingen oppføringer.' : `Viser ${result.entries.length} oppføringer${before ? ' (eldre side)' : ''}.`}</p>
${result.entries.length ? html`<div class="table-wrap" tabindex="0" role="region" aria-label="Oppføringer i revisjonsloggen"><table class="list" id="audit-table">
<caption class="sr-only">Oppføringer i revisjonsloggen</caption>
<thead><tr><th scope="col">Tid</th><th scope="col">Utført av</th><th scope="col">Handling</th><th scope="col">Medlemsnr.</th><th scope="col">Rader</th><th scope="col">Detaljer</th></tr></thead>
<tbody>${result.entries.map((e) => entryRow(e, names))}</tbody></table></div>` : ''}
${before || result.nextBefore ? html`<nav class="pager" aria-label="Sider">${before ? html`<a href="${pageLink(f)}">Nyeste</a>` : ''}
  ${result.nextBefore ? html`<a href="${pageLink(f, result.nextBefore)}" rel="next">Eldre oppføringer</a>` : ''}</nav>` : ''}`,
    }));
  });
}
