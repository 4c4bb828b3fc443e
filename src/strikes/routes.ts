import Joi from 'joi';
import type { Api } from '../http/api';
import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { CHANNELS } from '../consent';
import { loadStrike, listStrikes, createStrike, updateStrike, moveStrike, STRIKE_STATES } from './model';
import { listPhases, createPhase, takeBackIn, listStrikeMembers } from './phases';
import { endStrike } from './erase';
import { createStrikeMessage, approveStrikeMessage, listStrikeMessages, STRIKE_PURPOSES } from './messages';
import { registerStrikeExportRoutes } from './export-routes';
import { registerCommitteeRoutes } from './committee-routes';
import { phaseCreated, strikeEnded, strikeList, strikeMembers, strikeMessageAnswer, strikeMessages, strikeSchema, takenBack } from './responses';

/** The strike leadership: admins and communications. */
export const LEAD = ['admin', 'communications'] as const;
const READ = ['admin', 'communications', 'representative', 'auditor'] as const;

export const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });
const phaseParams = Joi.object({ id: Joi.number().integer().min(1).required(), phaseId: Joi.number().integer().min(1).required() });
const messageParams = Joi.object({ id: Joi.number().integer().min(1).required(), campaignId: Joi.number().integer().min(1).required() });
const name = Joi.string().trim().min(1).max(200);
const templateRef = Joi.alternatives(
  Joi.number().integer().min(1),
  Joi.object({ versionId: Joi.number().integer().min(1).required() }),
  Joi.object({ templateId: Joi.number().integer().min(1).required(), version: Joi.number().integer().min(1).allow(null) }),
);
const links = Joi.object().pattern(Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/), Joi.string().uri({ scheme: ['https', 'http'] }).max(2000)).max(20);

/** A strike with its phases; a representative or auditor does not see the selections (they may name members). */
export async function strikeView(hub: Hub, staff: Staff, id: number) {
  const strike = await loadStrike(hub.db, id);
  const phases = await listPhases(hub.db, id, hub.clock.now());
  const showSelection = staff.role === 'admin' || staff.role === 'communications';
  const onStrikeNow = phases.reduce((a, p) => a + p.counts.onStrikeNow, 0);
  return { ...strike, onStrikeNow, phases: phases.map((p) => (showSelection ? p : { ...p, selection: undefined })) };
}

export function registerStrikeRoutes(api: Api): void {
  api.get('/strikes', { summary: 'Strikes, open ones first', roles: [...READ], tags: ['strikes'], responses: { 200: strikeList } }, async ({ hub }) => ({ strikes: await listStrikes(hub.db) }));

  api.post('/strikes', {
    summary: 'Create a strike (varslet) under a tariff agreement', roles: [...LEAD], tags: ['strikes'], responses: { 201: strikeSchema },
    body: Joi.object({ name: name.required(), agreementId: Joi.number().integer().min(1).required(), notifiedAt: Joi.date().iso().allow(null), mediationDeadline: Joi.date().iso().allow(null) }),
  }, async ({ hub, staff, body, res }) => {
    const s = await createStrike(hub, staff, body);
    res.status(201);
    return strikeView(hub, staff, s.id);
  });

  api.get('/strikes/:id', { summary: 'A strike, its phases and counts', roles: [...READ], tags: ['strikes'], responses: { 200: strikeSchema }, params: idParam },
    async ({ hub, staff, params }) => strikeView(hub, staff, params.id));

  api.patch('/strikes/:id', {
    summary: 'Change the name or the mediation deadline (mekling)', roles: [...LEAD], tags: ['strikes'], responses: { 200: strikeSchema }, params: idParam,
    body: Joi.object({ name, mediationDeadline: Joi.date().iso().allow(null) }).min(1),
  }, async ({ hub, staff, params, body }) => { await updateStrike(hub, staff, params.id, body); return strikeView(hub, staff, params.id); });

  api.post('/strikes/:id/state', {
    summary: 'Move the strike: notice_given (plassoppsigelse), on_strike, or ended (which erases its personal data); 409 names the state',
    roles: [...LEAD], tags: ['strikes'], responses: { 200: strikeEnded }, params: idParam,
    body: Joi.object({ state: Joi.string().valid(...STRIKE_STATES.filter((s) => s !== 'notified')).required(), at: Joi.date().iso().allow(null) }),
  }, async ({ hub, staff, params, body }) => {
    if (body.state === 'ended') {
      const r = await endStrike(hub, staff, params.id, body.at);
      return { ...(await strikeView(hub, staff, params.id)), erased: r.erased };
    }
    await moveStrike(hub, staff, params.id, body.state, body.at);
    return strikeView(hub, staff, params.id);
  });

  api.post('/strikes/:id/phases', {
    summary: 'Add a phase (uttak, or opptrapping): an audience filter confined to members covered by the agreement', roles: [...LEAD], tags: ['strikes'], responses: { 201: phaseCreated }, params: idParam,
    body: Joi.object({ name: name.required(), startsAt: Joi.date().iso().required(), selection: Joi.object().unknown(true).required().description("audience filter (src/audience grammar)") }),
  }, async ({ hub, staff, params, body, res }) => {
    const r = await createPhase(hub, staff, params.id, body);
    res.status(201);
    return r;
  });

  api.post('/strikes/:id/phases/:phaseId/take-back', {
    summary: 'Take members of a phase back in (the filter chooses which)', roles: [...LEAD], tags: ['strikes'], responses: { 200: takenBack }, params: phaseParams,
    body: Joi.object({ selection: Joi.object().unknown(true).required().description("audience filter (src/audience grammar)"), at: Joi.date().iso().allow(null) }),
  }, async ({ hub, staff, params, body }) => takeBackIn(hub, staff, params.id, params.phaseId, body));

  api.get('/strikes/:id/members', {
    summary: 'Members the strike took out (a representative: those in their scope), with whether each is on strike at `at`', roles: ['admin', 'communications', 'representative'], tags: ['strikes'], responses: { 200: strikeMembers }, params: idParam,
    query: Joi.object({ phaseId: Joi.number().integer().min(1), at: Joi.date().iso(), limit: Joi.number().integer().min(1).max(5000).default(500) }),
  }, async ({ hub, staff, params, query }) => listStrikeMembers(hub, staff, params.id, query));

  api.get('/strikes/:id/messages', { summary: "The strike's messages (a representative: their own)", roles: ['admin', 'communications', 'representative'], tags: ['strikes'], responses: { 200: strikeMessages }, params: idParam },
    async ({ hub, staff, params }) => ({ messages: await listStrikeMessages(hub, staff, params.id) }));

  api.post('/strikes/:id/messages', {
    summary: 'A phase announcement, instruction or end-of-strike message to exactly the members concerned (category strike, email → SMS → letter)',
    roles: ['admin', 'communications', 'representative'], tags: ['strikes'], responses: { 201: strikeMessageAnswer, 202: strikeMessageAnswer }, params: idParam,
    body: Joi.object({
      purpose: Joi.string().valid(...STRIKE_PURPOSES).required(), phaseId: Joi.number().integer().min(1).allow(null), name: name.required(),
      channels: Joi.array().items(Joi.string().valid(...CHANNELS)).min(1).max(3).unique(),
      templates: Joi.object().pattern(Joi.string().valid(...CHANNELS), templateRef).min(1).required(), links, sendAt: Joi.date().iso().allow(null),
      launch: Joi.boolean().default(false),
    }),
  }, async ({ hub, staff, params, body, res }) => {
    const r = await createStrikeMessage(hub, staff, params.id, body);
    res.status(r.launch ? 202 : 201);
    return r;
  });

  api.post('/strikes/:id/messages/:campaignId/approve', {
    summary: "Send a strike message written by someone else (a representative's, or one above the approval threshold)", roles: [...LEAD], tags: ['strikes'], responses: { 202: strikeMessageAnswer }, params: messageParams,
    body: Joi.object({}),
  }, async ({ hub, staff, params, res }) => { const r = await approveStrikeMessage(hub, staff, params.id, params.campaignId); res.status(202); return r; });

  registerStrikeExportRoutes(api);
  registerCommitteeRoutes(api);
}
