import Joi from 'joi';
import type { Api } from '../http/api';
import {
  createCommittee, getCommittee, listCommittees, myCommittees, addCommitteeMember, addGuard, listGuards, recordShareConsent, shareGuard,
  removeGuard, addShift, listShifts, assignGuard, exportGuardList,
} from './committees';
import { toCsv } from './csv';
import { committeeList, committeeSchema, guardList, guardListCsv, guardSchema, guardShared, myCommittees as myCommitteesResponse, shiftList, shiftSchema } from './responses';

const LEAD = ['admin', 'communications'] as const;
/** Committee pages and lists: the leadership (without guards' contact details) and the committee's own members. */
const COMMITTEE = ['admin', 'communications', 'strike_committee'] as const;
const id = Joi.number().integer().min(1);
const strikeParam = Joi.object({ id: id.required() });
const committeeParam = Joi.object({ committeeId: id.required() });
const guardParams = Joi.object({ committeeId: id.required(), guardId: id.required() });
const shiftParams = Joi.object({ committeeId: id.required(), shiftId: id.required() });
const text = Joi.string().trim().min(1).max(200);

export function registerCommitteeRoutes(api: Api): void {
  api.get('/strikes/:id/committees', { summary: "A strike's committees (a committee member: their own)", roles: [...COMMITTEE], tags: ['strikes'], responses: { 200: committeeList }, params: strikeParam },
    async ({ hub, staff, params }) => ({ committees: await listCommittees(hub, staff, params.id) }));

  api.post('/strikes/:id/committees', {
    summary: 'Set up a strike committee (streikekomité) for a location', roles: [...LEAD], tags: ['strikes'], responses: { 201: committeeSchema }, params: strikeParam,
    body: Joi.object({ name: text.required(), location: text.required() }),
  }, async ({ hub, staff, params, body, res }) => { const c = await createCommittee(hub, staff, params.id, body); res.status(201); return c; });

  api.get('/committees/mine', { summary: "The signed-in committee member's committees", roles: [...COMMITTEE], tags: ['strikes'], responses: { 200: myCommitteesResponse } },
    async ({ hub, staff }) => ({ committees: await myCommittees(hub, staff) }));

  api.get('/committees/:committeeId', { summary: 'A committee (404 outside it)', roles: [...COMMITTEE], tags: ['strikes'], responses: { 200: committeeSchema }, params: committeeParam },
    async ({ hub, staff, params }) => getCommittee(hub, staff, params.committeeId));

  api.post('/committees/:committeeId/members', {
    summary: 'Add a committee member: an existing strike_committee staff user, or a new one by name and email', roles: [...LEAD], tags: ['strikes'], responses: { 200: committeeSchema }, params: committeeParam,
    body: Joi.object({ staffUserId: id, name: text, email: Joi.string().trim().email({ tlds: { allow: false } }).max(254) }).xor('staffUserId', 'email').with('email', 'name'),
  }, async ({ hub, staff, params, body }) => addCommitteeMember(hub, staff, params.committeeId, body));

  api.get('/committees/:committeeId/guards', {
    summary: "The guard list (vaktliste); contact details only for the committee's own members; audited", roles: [...COMMITTEE], tags: ['strikes'], responses: { 200: guardList }, params: committeeParam,
  }, async ({ hub, staff, params }) => listGuards(hub, staff, params.committeeId));

  api.post('/committees/:committeeId/guards', {
    summary: 'A guard who volunteered: name and the contact details they gave', roles: ['strike_committee'], tags: ['strikes'], responses: { 201: guardSchema }, params: committeeParam,
    body: Joi.object({
      name: text.required(), phone: Joi.string().trim().max(30).allow(null, ''), email: Joi.string().trim().email({ tlds: { allow: false } }).max(254).allow(null, ''),
      memberNumber: Joi.string().trim().max(40).allow(null, ''), volunteeredAt: Joi.date().iso().allow(null), shareConsent: Joi.boolean().default(false),
    }),
  }, async ({ hub, staff, params, body, res }) => { const g = await addGuard(hub, staff, params.committeeId, body); res.status(201); return g; });

  api.delete('/committees/:committeeId/guards/:guardId', { summary: 'Remove a guard from the list', roles: ['strike_committee'], tags: ['strikes'], responses: { 204: null }, params: guardParams },
    async ({ hub, staff, params }) => { await removeGuard(hub, staff, params.committeeId, params.guardId); });

  api.post('/committees/:committeeId/guards/:guardId/consent', {
    summary: "Record (or withdraw) the guard's consent to share their contact details with other committees", roles: ['strike_committee'], tags: ['strikes'], responses: { 200: guardSchema }, params: guardParams,
    body: Joi.object({ consent: Joi.boolean().required() }),
  }, async ({ hub, staff, params, body }) => recordShareConsent(hub, staff, params.committeeId, params.guardId, body.consent));

  api.post('/committees/:committeeId/guards/:guardId/share', {
    summary: 'Share a guard with another committee of the strike (needs the recorded consent; 409 without)', roles: ['strike_committee'], tags: ['strikes'], responses: { 200: guardShared }, params: guardParams,
    body: Joi.object({ committeeId: id.required() }),
  }, async ({ hub, staff, params, body }) => shareGuard(hub, staff, params.committeeId, params.guardId, body.committeeId));

  api.get('/committees/:committeeId/shifts', { summary: 'Shifts of the guard list', roles: [...COMMITTEE], tags: ['strikes'], responses: { 200: shiftList }, params: committeeParam },
    async ({ hub, staff, params }) => ({ shifts: await listShifts(hub, staff, params.committeeId) }));

  api.post('/committees/:committeeId/shifts', {
    summary: 'A shift (vakt): where and when', roles: ['strike_committee'], tags: ['strikes'], responses: { 201: shiftSchema }, params: committeeParam,
    body: Joi.object({ place: text.required(), startsAt: Joi.date().iso().required(), endsAt: Joi.date().iso().required() }),
  }, async ({ hub, staff, params, body, res }) => { const s = await addShift(hub, staff, params.committeeId, body); res.status(201); return s; });

  api.post('/committees/:committeeId/shifts/:shiftId/guards', {
    summary: 'Put a guard on a shift', roles: ['strike_committee'], tags: ['strikes'], responses: { 200: shiftSchema }, params: shiftParams,
    body: Joi.object({ guardId: id.required() }),
  }, async ({ hub, staff, params, body }) => assignGuard(hub, staff, params.committeeId, params.shiftId, body.guardId));

  api.get('/committees/:committeeId/guards.csv', {
    summary: 'The guard list with shifts as CSV, for the committee itself; audited', roles: ['strike_committee'], tags: ['strikes'], responses: { 200: guardListCsv }, params: committeeParam,
  }, async ({ hub, staff, params, res }) => {
    const x = await exportGuardList(hub, staff, params.committeeId);
    res.type('text/csv; charset=utf-8').setHeader('Content-Disposition', `attachment; filename="${x.filename}"`);
    res.send(toCsv(x.rows));
  });
}
