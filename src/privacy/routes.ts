import Joi from 'joi';
import type { Api } from '../http/api';
import { audit } from '../audit';
import { buildMemberExport, renderExportHtml } from './export';
import { eraseMember } from './erase';
import { queryAudit } from './audit-trail';
import { markStrikeEnded, runRetentionSweep } from './retention';
import { auditPage, erasureSchema, memberExportHtml, memberExportSchema, strikeEndedSchema, sweepReport } from './responses';

const memberNumberParam = Joi.object({ memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/).required() });

/** Who may make a member's access export: admins, and communications staff who answer members' requests. */
export const EXPORT_ROLES = ['admin', 'communications'] as const;

export function registerPrivacyRoutes(api: Api): void {
  api.get('/members/:memberNumber/export', {
    summary: 'Access export (innsyn): everything held about the member as one JSON document. Audited (member.export).',
    roles: [...EXPORT_ROLES],
    tags: ['privacy'], responses: { 200: memberExportSchema },
    params: memberNumberParam,
  }, async ({ hub, staff, params }) => buildMemberExport(hub, staff, params.memberNumber, 'json'));

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
    roles: ['admin', 'auditor'],
    tags: ['privacy'], responses: { 200: auditPage },
    query: Joi.object({
      memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/),
      action: Joi.string().pattern(/^[a-z_]+\.[a-z_]+(,[a-z_]+\.[a-z_]+)*$/).description('one action or several, comma-separated'),
      actor: Joi.string().max(100).description('e.g. staff:12, system:retention'),
      actorUserId: Joi.number().integer().min(1),
      from: Joi.date().iso(),
      to: Joi.date().iso(),
      before: Joi.number().integer().min(1),
      limit: Joi.number().integer().min(1).max(1000).default(100),
    }),
  }, async ({ hub, staff, query }) => {
    const result = await queryAudit(hub.db, { ...query, action: query.action ? String(query.action).split(',') : undefined });
    await audit(hub.db, {
      staff, action: 'audit.view', memberId: result.memberId, rowCount: result.entries.length,
      detail: Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'memberNumber').map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])),
    });
    return { entries: result.entries, nextBefore: result.nextBefore };
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
