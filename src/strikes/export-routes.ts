import Joi from 'joi';
import type { Api } from '../http/api';
import { exportNoticeList, listNoticeExports, phaseEmployers } from './exports';
import { noticeExports, noticeList, noticeListPgp, phaseEmployers as phaseEmployersResponse } from './responses';

/** Plassoppsigelse lists leave the hub only through admins and communications, every time audited. */
const EXPORTERS = ['admin', 'communications'] as const;
const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });
const phaseParams = Joi.object({ id: Joi.number().integer().min(1).required(), phaseId: Joi.number().integer().min(1).required() });

export function registerStrikeExportRoutes(api: Api): void {
  api.get('/strikes/:id/phases/:phaseId/employers', {
    summary: 'Employers with members taken out in the phase, with counts', roles: [...EXPORTERS], tags: ['strikes'], responses: { 200: phaseEmployersResponse }, params: phaseParams,
  }, async ({ hub, params }) => ({ employers: await phaseEmployers(hub, params.id, params.phaseId) }));

  api.post('/strikes/:id/phases/:phaseId/exports', {
    summary: "The plassoppsigelse list for one employer as CSV, or encrypted to the employer's OpenPGP key (format pgp); audited with its row count",
    roles: [...EXPORTERS], tags: ['strikes'], responses: { 201: [noticeList, noticeListPgp] }, params: phaseParams,
    body: Joi.object({
      employerId: Joi.number().integer().min(1).required(),
      format: Joi.string().valid('csv', 'pgp').default('csv'),
      publicKey: Joi.string().max(100_000),
    }),
  }, async ({ hub, staff, params, body, res }) => {
    const x = await exportNoticeList(hub, staff, params.id, params.phaseId, body);
    res.status(201).type(x.contentType)
      .setHeader('Content-Disposition', `attachment; filename="${x.filename}"`)
      .setHeader('X-Row-Count', String(x.rowCount))
      .setHeader('X-Export-Id', String(x.exportId));
    res.send(x.content);
  });

  api.get('/strikes/:id/exports', {
    summary: 'The plassoppsigelse lists exported in the strike (who, when, fields, rows; no content is kept)', roles: [...EXPORTERS, 'auditor'], tags: ['strikes'], responses: { 200: noticeExports }, params: idParam,
  }, async ({ hub, params }) => ({ exports: await listNoticeExports(hub, params.id) }));
}
