import Joi from 'joi';
import type { Api } from '../http/api';
import { audit } from '../audit';
import { audienceFilterSchema, validateAudience } from './filter';
import { previewAudience } from './preview';
import { createSavedAudience, deleteSavedAudience, getSavedAudience, listSavedAudiences, updateSavedAudience } from './saved';
import { audiencePreviewSchema, savedAudienceSchema } from './responses';

/** Representatives save and change their own saved audiences only, naming only their members (./saved.ts). */
const WRITE = ['admin', 'communications', 'representative'] as const;
const READ = ['admin', 'communications', 'representative'] as const;
const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });
/** The filter is checked by validateAudience (depth and size first, then joi) so errors name `body.audience…`. */
const filterBody = Joi.object().unknown(true).description('audience filter, see src/audience/filter.ts').meta({ openapi: audienceFilterSchema });
const name = Joi.string().trim().min(1).max(200);
/** A filter at its limits (10,000 member numbers of up to 40 characters) fits in 512 KB. */
export const AUDIENCE_BODY_BYTES = 512 * 1024;

export function registerAudienceRoutes(api: Api): void {
  api.post('/audiences/preview', {
    summary: 'How many members an audience reaches per channel for a category, after consent and suppressions, with a sample of 20',
    roles: [...READ],
    tags: ['audiences'], responses: { 200: audiencePreviewSchema },
    body: Joi.object({
      category: Joi.string().max(100).required(),
      channels: Joi.array().items(Joi.string().valid('email', 'sms', 'letter')).min(1).max(3).unique().required().description('in fallback order'),
      audience: filterBody,
      audienceId: Joi.number().integer().min(1),
    }).xor('audience', 'audienceId'),
    maxBodyBytes: AUDIENCE_BODY_BYTES,
  }, async ({ hub, staff, body, signal }) => {
    const audience = body.audience === undefined ? undefined : validateAudience(body.audience, 'body.audience');
    const result = await previewAudience(hub, staff, { category: body.category, channels: body.channels, audience, audienceId: body.audienceId }, 'body.',
      { timeoutMs: hub.config.previewStatementTimeoutMs, signal });
    // The sample shows names: a view of member data.
    await audit(hub.db, { staff, action: 'audience.preview', rowCount: result.sample.length,
      detail: { category: body.category, channels: body.channels, total: result.total, audienceId: body.audienceId ?? null } });
    return result;
  });

  api.get('/audiences', {
    summary: 'Saved audiences (a representative: their own, naming only their members); audited', roles: [...READ], tags: ['audiences'],
    responses: { 200: Joi.object({ items: Joi.array().items(savedAudienceSchema).required() }) },
  }, async ({ hub, staff }) => ({ items: await listSavedAudiences(hub, staff) }));

  api.post('/audiences', {
    summary: 'Save an audience filter under a unique name',
    roles: [...WRITE],
    tags: ['audiences'], responses: { 201: savedAudienceSchema },
    body: Joi.object({ name: name.required(), filter: filterBody.required() }),
    maxBodyBytes: AUDIENCE_BODY_BYTES,
  }, async ({ hub, staff, body, res }) => {
    const filter = validateAudience(body.filter, 'body.filter');
    const saved = await createSavedAudience(hub, staff, { name: body.name, filter });
    res.status(201);
    return saved;
  });

  api.get('/audiences/:id', {
    summary: "One saved audience (audited; outside a representative's scope it is not found)", roles: [...READ], tags: ['audiences'],
    responses: { 200: savedAudienceSchema }, params: idParam,
  }, async ({ hub, staff, params }) => getSavedAudience(hub, staff, params.id));

  api.put('/audiences/:id', {
    summary: 'Rename a saved audience or replace its filter',
    roles: [...WRITE],
    tags: ['audiences'], responses: { 200: savedAudienceSchema },
    params: idParam,
    body: Joi.object({ name, filter: filterBody }).or('name', 'filter'),
    maxBodyBytes: AUDIENCE_BODY_BYTES,
  }, async ({ hub, staff, params, body }) => {
    const filter = body.filter === undefined ? undefined : validateAudience(body.filter, 'body.filter');
    return updateSavedAudience(hub, staff, params.id, { name: body.name, filter });
  });

  api.delete('/audiences/:id', { summary: 'Delete a saved audience (campaigns keep their own copy)', roles: [...WRITE], tags: ['audiences'], responses: { 204: null }, params: idParam },
    async ({ hub, staff, params }) => { await deleteSavedAudience(hub, staff, params.id); });
}
