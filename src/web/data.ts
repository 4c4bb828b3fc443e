import type express from 'express';
import Joi from 'joi';
import type { Hub } from '../hub';
import { Problem } from '../errors';
import { requireStaff, staffOf } from './auth-pages';
import { setPassword, MIN_PASSWORD_LENGTH } from './session';

function validate<T>(schema: Joi.Schema, v: unknown, where: string): T {
  const { value, error } = schema.validate(v ?? {}, { abortEarly: false, convert: true });
  if (error) throw Problem.badRequest(`invalid ${where}`, error.details.map((d) => ({ field: [where, ...d.path].join('.'), message: d.message.replace(/"/g, '') })));
  return value as T;
}

const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });

/**
 * Small JSON endpoints the pages need and the API does not offer (session only, same CSRF rule):
 * the dashboard's campaign list and outcome timeline (aggregates, no member data), API tokens of
 * staff users, and setting a staff user's password.
 */
export function registerDataRoutes(router: express.Router, hub: Hub): void {
  router.get('/data/campaigns', requireStaff(hub), async (req, res) => {
    const staff = staffOf(req);
    const params: unknown[] = [];
    let mine = '';
    if (staff.role === 'representative') { params.push(staff.id); mine = `AND c.created_by = $${params.length}`; }
    const rows = await hub.db.many(
      `SELECT c.id, c.name, c.kind, c.category, c.channels, c.state, c.send_at, c.created_at, c.updated_at
         FROM campaigns c
        WHERE c.kind <> 'test' ${mine}
          AND (c.state IN ('running', 'scheduled', 'paused', 'draft') OR c.updated_at > now() - interval '14 days')
        ORDER BY CASE c.state WHEN 'running' THEN 0 WHEN 'paused' THEN 1 WHEN 'scheduled' THEN 2 WHEN 'draft' THEN 3 ELSE 4 END,
                 c.updated_at DESC
        LIMIT 50`, params);
    res.json({ campaigns: rows });
  });

  router.get('/data/campaigns/:id/timeline', requireStaff(hub), async (req, res) => {
    const { id } = validate<{ id: number }>(idParam, req.params, 'params');
    const c = await hub.db.one('SELECT id, created_by FROM campaigns WHERE id = $1', [id]);
    const staff = staffOf(req);
    if (!c || (staff.role === 'representative' && c.created_by !== staff.id)) throw Problem.notFound(`No campaign ${id}.`);
    // Outcomes over time: each log row counted at the time it reached its current state.
    const span = await hub.db.one(
      `SELECT min(COALESCE(sent_at, updated_at)) AS t0, max(updated_at) AS t1 FROM send_log WHERE campaign_id = $1`, [id]);
    if (!span?.t0) { res.json({ buckets: [], bucketSeconds: 0 }); return; }
    const seconds = Math.max(1, (new Date(span.t1).getTime() - new Date(span.t0).getTime()) / 1000);
    const steps = [1, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 86400];
    const bucketSeconds = steps.find((s) => seconds / s <= 60) ?? 86400;
    const rows = await hub.db.many(
      `SELECT to_timestamp(floor(extract(epoch FROM updated_at) / $2) * $2) AS t, state, count(*)::int AS n
         FROM send_log WHERE campaign_id = $1 AND state <> 'queued'
        GROUP BY 1, 2 ORDER BY 1`, [id, bucketSeconds]);
    res.json({ bucketSeconds, buckets: rows });
  });

  router.get('/data/tokens', requireStaff(hub, ['admin']), async (_req, res) => {
    res.json(await hub.db.many(
      `SELECT t.id, t.staff_user_id, t.name, t.created_at, t.last_used_at, t.revoked_at FROM api_tokens t ORDER BY t.id`));
  });

  router.post('/data/users/:id/password', requireStaff(hub, ['admin']), async (req, res) => {
    const { id } = validate<{ id: number }>(idParam, req.params, 'params');
    const body = validate<{ password: string }>(Joi.object({ password: Joi.string().min(MIN_PASSWORD_LENGTH).max(200).required() }), req.body, 'body');
    const u = await hub.db.one('SELECT id FROM staff_users WHERE id = $1', [id]);
    if (!u) throw Problem.notFound(`No staff user ${id}.`);
    await setPassword(hub.db, id, body.password);
    hub.log.info({ staffUserId: id, by: staffOf(req).id }, 'staff password set');
    res.status(204).end();
  });
}
