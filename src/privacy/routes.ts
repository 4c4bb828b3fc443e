import Joi from 'joi';
import type { Api } from '../http/api';
import { audit } from '../audit';
import { buildMemberExport, renderExportHtml } from './export';
import { eraseMember } from './erase';
import { queryAudit, writeAuditCsv } from './audit-trail';
import { markStrikeEnded, runRetentionSweep } from './retention';
import { auditPage, erasureSchema, memberExportHtml, memberExportSchema, strikeEndedSchema, sweepReport } from './responses';

const memberNumberParam = Joi.object({ memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/).required() });

/** Who may make a member's access export: admins, and communications staff who answer members' requests. */
export const EXPORT_ROLES = ['admin', 'communications'] as const;

/** Who reads the audit trail. */
export const AUDIT_ROLES = ['admin', 'auditor'] as const;

/** The audit trail's filter, shared by the JSON API, the CSV export and the audit page's links. */
export const auditFilter = Joi.object({
  memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/),
  action: Joi.string().pattern(/^[a-z_]+\.[a-z_]+(,[a-z_]+\.[a-z_]+)*$/).description('one action or several, comma-separated'),
  actor: Joi.string().max(100).description('e.g. staff:12, system:retention'),
  actorUserId: Joi.number().integer().min(1),
  from: Joi.date().iso(),
  to: Joi.date().iso(),
});

const splitActions = (a: unknown): string[] | undefined => (a ? String(a).split(',') : undefined);
/** The filter as audit detail: the member number is in member_id, not repeated in the detail. */
const filterDetail = (q: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(q).filter(([k]) => k !== 'memberNumber').map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));

export function registerPrivacyRoutes(api: Api): void {
  api.get('/members/:memberNumber/export', {
    summary: 'Access export (innsyn): everything held about the member as one JSON document. Audited (member.export).',
    roles: [...EXPORT_ROLES],
    tags: ['privacy'], responses: { 200: memberExportSchema },
    params: memberNumberParam,
    query: Joi.object({ download: Joi.boolean().default(false).description('as a file (innsyn-N.json) rather than inline') }),
  }, async ({ hub, staff, params, query, res }) => {
    const doc = await buildMemberExport(hub, staff, params.memberNumber, 'json');
    res.set('Cache-Control', 'no-store');
    if (query.download) res.attachment(`innsyn-${params.memberNumber}.json`);
    return doc;
  });

  api.get('/members/:memberNumber/export.html', {
    summary: 'Access export (innsyn) as a Norwegian HTML page staff can send the member. Audited (member.export).',
    roles: [...EXPORT_ROLES],
    tags: ['privacy'], responses: { 200: memberExportHtml },
    params: memberNumberParam,
    query: Joi.object({ download: Joi.boolean().default(false) }),
  }, async ({ hub, staff, params, query, res }) => {
    const doc = await buildMemberExport(hub, staff, params.memberNumber, 'html');
    res.type('text/html; charset=utf-8');
    res.set('Cache-Control', 'no-store');
    if (query.download) res.attachment(`innsyn-${params.memberNumber}.html`);
    res.send(renderExportHtml(doc));
    return undefined;
  });

  api.post('/members/:memberNumber/erase', {
    summary: "Erase a member's personal data from every table at once (statistics stay, anonymous). Admin; reason required; audited (member.erase).",
    roles: ['admin'],
    tags: ['privacy'], responses: { 200: erasureSchema },
    params: memberNumberParam,
    body: Joi.object({ reason: Joi.string().trim().min(3).max(1000).required() }),
  }, async ({ hub, staff, params, body }) => eraseMember(hub, staff, params.memberNumber, body.reason));

  api.get('/audit', {
    summary: 'The audit trail, newest first: filter by member number, action(s), actor, time range; page with before=<last id>.',
    roles: [...AUDIT_ROLES],
    tags: ['privacy'], responses: { 200: auditPage },
    query: auditFilter.keys({
      before: Joi.number().integer().min(1),
      limit: Joi.number().integer().min(1).max(1000).default(100),
    }),
  }, async ({ hub, staff, query }) => {
    const result = await queryAudit(hub.db, { ...query, action: splitActions(query.action) });
    await audit(hub.db, { staff, action: 'audit.view', memberId: result.memberId, rowCount: result.entries.length, detail: filterDetail(query) });
    return { entries: result.entries, nextBefore: result.nextBefore };
  });

  api.get('/audit/export.csv', {
    summary: 'The filtered audit trail as CSV (UTF-8 with BOM, CRLF, Norwegian headers), newest first. The export is itself audited (audit.export).',
    roles: [...AUDIT_ROLES],
    tags: ['privacy'],
    query: auditFilter,
    responses: { 200: { contentType: 'text/csv', description: 'one line per audit entry' } },
  }, async ({ hub, staff, query, res }) => {
    const filter = { ...query, action: splitActions(query.action) };
    // The export is recorded first, so it is in the log even when the download is broken off.
    const m = query.memberNumber ? await hub.db.one('SELECT id FROM members WHERE member_number = $1', [query.memberNumber]) : null;
    await audit(hub.db, { staff, action: 'audit.export', memberId: m?.id ?? null, detail: { ...filterDetail(query), format: 'csv' } });
    const stamp = new Date().toISOString().slice(0, 10);
    res.type('text/csv; charset=utf-8');
    res.set('Cache-Control', 'no-store');
    res.attachment(`revisjonslogg-${stamp}.csv`);
    await writeAuditCsv(hub.db, filter, (chunk) => { res.write(chunk); });
    res.end();
    return undefined;
  });

  api.post('/campaigns/:id/strike-ended', {
    summary: "Mark a strike campaign's strike as ended: its recipient list is erased (now, or once the campaign stops sending).",
    roles: ['admin', 'communications'],
    tags: ['privacy', 'campaigns'], responses: { 200: strikeEndedSchema },
    params: Joi.object({ id: Joi.number().integer().min(1).required() }),
  }, async ({ hub, staff, params }) => markStrikeEnded(hub, staff, params.id));

  api.post('/privacy/retention-sweep', {
    summary: 'Run the retention sweep now (it also runs daily) and return what it removed.',
    roles: ['admin'],
    tags: ['privacy'], responses: { 200: sweepReport },
  }, async ({ hub }) => runRetentionSweep(hub));
}
