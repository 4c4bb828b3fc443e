import Joi from 'joi';
import type { Api } from '../http/api';
import { audit } from '../audit';
import { Problem } from '../errors';
import { setPassword, MIN_PASSWORD_LENGTH } from './session';
import { anyObject, channel, count, id, nullableTimestamp, shape, timestamp } from '../http/schemas';

const campaignState = Joi.string().valid('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled');
/** A dashboard row (the SQL's snake_case columns). */
const dashboardRow = shape({
  id, name: Joi.string(), kind: Joi.string(), category: Joi.string(), channels: Joi.array().items(channel), state: campaignState,
  send_at: nullableTimestamp, created_at: timestamp, updated_at: timestamp, approval_pending: Joi.boolean(),
});
const timeline = shape({ bucketSeconds: count, buckets: Joi.array().items(shape({ t: timestamp, state: Joi.string(), n: count })) });
const tokenRow = shape({ id, staff_user_id: id, name: Joi.string(), created_at: timestamp, last_used_at: nullableTimestamp, revoked_at: nullableTimestamp });
const draft = shape({ state: anyObject, campaignId: id.allow(null), updatedAt: timestamp });

const ALL = ['admin', 'communications', 'representative', 'auditor'] as const;
const WRITE = ['admin', 'communications', 'representative'] as const;
const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });
const draftKey = Joi.object({ key: Joi.string().pattern(/^[A-Za-z0-9_-]{8,64}$/).required() });

/**
 * What the staff pages need beyond the domain APIs, in the documented /api with roles, joi and
 * audit (these were a second, undocumented JSON API under /app/data): the dashboard's campaign
 * list and outcome timeline (aggregates, no member data), API tokens of staff users, setting a
 * staff user's password, and the new-campaign wizard's server-side draft.
 */
export function registerWebRoutes(api: Api): void {
  api.get('/dashboard/campaigns', {
    summary: 'The dashboard list: running, paused, scheduled and draft campaigns, and those changed in the last 14 days (a representative: their own)',
    roles: [...ALL], tags: ['campaigns'],
    responses: { 200: shape({ campaigns: Joi.array().items(dashboardRow) }) },
  }, async ({ hub, staff }) => {
    const params: unknown[] = [];
    let mine = '';
    if (staff.role === 'representative') { params.push(staff.id); mine = `AND c.created_by = $${params.length}`; }
    const rows = await hub.db.many(
      `SELECT c.id, c.name, c.kind, c.category, c.channels, c.state, c.send_at, c.created_at, c.updated_at,
              (c.approval_requested_at IS NOT NULL AND c.approved_at IS NULL) AS approval_pending
         FROM campaigns c
        WHERE c.kind <> 'test' ${mine}
          AND (c.state IN ('running', 'scheduled', 'paused', 'draft') OR c.updated_at > now() - interval '14 days')
        ORDER BY CASE c.state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 WHEN 'scheduled' THEN 2 WHEN 'draft' THEN 3 ELSE 4 END,
                 c.updated_at DESC
        LIMIT 50`, params);
    return { campaigns: rows };
  });

  api.get('/campaigns/:id/timeline', {
    summary: 'Outcomes of a campaign over time: each log row counted at the time it reached its current state', roles: [...ALL], tags: ['campaigns'], params: idParam,
    responses: { 200: timeline },
  }, async ({ hub, staff, params }) => {
    const c = await hub.db.one('SELECT id, created_by FROM campaigns WHERE id = $1', [params.id]);
    if (!c || (staff.role === 'representative' && c.created_by !== staff.id)) throw Problem.notFound(`Fant ingen kampanje ${params.id}.`);
    const span = await hub.db.one(`SELECT min(COALESCE(sent_at, updated_at)) AS t0, max(updated_at) AS t1 FROM send_log WHERE campaign_id = $1`, [params.id]);
    if (!span?.t0) return { buckets: [], bucketSeconds: 0 };
    const seconds = Math.max(1, (new Date(span.t1).getTime() - new Date(span.t0).getTime()) / 1000);
    const steps = [1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400];
    const bucketSeconds = steps.find((s) => seconds / s <= 60) ?? 86400;
    const rows = await hub.db.many(
      `SELECT to_timestamp(floor(extract(epoch FROM updated_at) / $2) * $2) AS t, state, count(*)::int AS n
         FROM send_log WHERE campaign_id = $1 AND state <> 'queued'
        GROUP BY 1, 2 ORDER BY 1`, [params.id, bucketSeconds]);
    return { bucketSeconds, buckets: rows };
  });

  api.get('/tokens', { summary: 'API tokens of every staff user (never the secret)', roles: ['admin'], tags: ['staff'], responses: { 200: Joi.array().items(tokenRow) } }, async ({ hub }) =>
    hub.db.many(`SELECT t.id, t.staff_user_id, t.name, t.created_at, t.last_used_at, t.revoked_at FROM api_tokens t ORDER BY t.id`));

  api.put('/users/:id/password', {
    summary: "Set a staff user's password (audited, the password itself never)", roles: ['admin'], tags: ['staff'], params: idParam,
    body: Joi.object({ password: Joi.string().min(MIN_PASSWORD_LENGTH).max(200).required() }),
    responses: { 204: null },
  }, async ({ hub, staff, params, body }) => {
    const u = await hub.db.one('SELECT id FROM staff_users WHERE id = $1', [params.id]);
    if (!u) throw Problem.notFound(`Fant ingen bruker ${params.id}.`);
    await setPassword(hub.db, params.id, body.password);
    await audit(hub.db, { staff, action: 'user.password_set', detail: { staffUserId: params.id } });
  });

  api.get('/campaign-drafts/:key', {
    summary: "The new-campaign wizard as this staff user left it (after reload or back/forward)", roles: [...WRITE], tags: ['campaigns'], params: draftKey,
    responses: { 200: draft },
  }, async ({ hub, staff, params }) => {
    const r = await hub.db.one('SELECT state, campaign_id, updated_at FROM campaign_wizard_drafts WHERE staff_user_id = $1 AND draft_key = $2', [staff.id, params.key]);
    if (!r) throw Problem.notFound('Fant ikke utkastet.');
    return { state: r.state, campaignId: r.campaign_id, updatedAt: r.updated_at };
  });

  api.put('/campaign-drafts/:key', {
    summary: "Save the wizard's state as staff go (one per user and key; the newest wins)", roles: [...WRITE], tags: ['campaigns'], params: draftKey,
    body: Joi.object({ state: Joi.object().unknown(true).required(), campaignId: Joi.number().integer().min(1).allow(null) }),
    responses: { 204: null },
  }, async ({ hub, staff, params, body }) => {
    // The wizard's fields, never member data; a big body is refused before it is stored.
    if (JSON.stringify(body.state).length > 600_000) throw Problem.badRequest('Utkastet er for stort.', [{ field: 'body.state', message: 'utkastet er for stort' }]);
    await hub.db.query(
      `INSERT INTO campaign_wizard_drafts (staff_user_id, draft_key, state, campaign_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (staff_user_id, draft_key) DO UPDATE SET state = EXCLUDED.state, campaign_id = COALESCE(EXCLUDED.campaign_id, campaign_wizard_drafts.campaign_id), updated_at = now()`,
      [staff.id, params.key, JSON.stringify(body.state), body.campaignId ?? null]);
  });
}
