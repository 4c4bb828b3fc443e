import Joi from 'joi';
import argon2 from 'argon2';
import type { Api } from '../http/api';
import { audit } from '../audit';
import { Problem } from '../errors';
import { endCredentials } from '../auth';
import { MIN_PASSWORD_LENGTH, sessionHashOf, setPassword } from './session';
import { ended, id, nullableStr, shape, timestamp } from '../http/schemas';

/** A web session as admins see it: never the session id itself. */
const sessionRow = shape({ id, created_at: timestamp, last_seen_at: timestamp, expires_at: timestamp, user_agent: nullableStr });

const ALL = ['admin', 'communications', 'representative', 'auditor'] as const;
const userParam = Joi.object({ id: Joi.number().integer().min(1).required() });

/**
 * Sessions and passwords in the API (issue 13): a staff user changes their own password (their
 * other sessions end; their API tokens too if they choose), and an admin lists and ends a
 * user's web sessions. Tokens: src/auth/routes.ts.
 */
export function registerSessionRoutes(api: Api): void {
  api.put('/me/password', {
    summary: 'Change your own password: needs the current one; ends your other sessions, and your API tokens when endTokens is true',
    roles: [...ALL], tags: ['staff'],
    body: Joi.object({
      currentPassword: Joi.string().max(1000).required(),
      newPassword: Joi.string().min(MIN_PASSWORD_LENGTH).max(200).required(),
      endTokens: Joi.boolean().default(false),
    }),
    responses: { 200: ended },
  }, async ({ hub, staff, body, req }) => {
    const row = await hub.db.one('SELECT password_hash FROM staff_users WHERE id = $1', [staff.id]);
    const ok = row?.password_hash ? await argon2.verify(row.password_hash, body.currentPassword).catch(() => false) : false;
    if (!ok) throw Problem.forbidden('Det nåværende passordet er feil.');
    if (body.newPassword === body.currentPassword) {
      throw Problem.badRequest('Det nye passordet er det samme som det gamle.', [{ field: 'body.newPassword', message: 'Nytt passord må være et annet enn det nåværende' }]);
    }
    const ended = await setPassword(hub.db, staff.id, body.newPassword, { keepSessionHash: sessionHashOf(hub, req), endTokens: body.endTokens });
    await audit(hub.db, { staff, action: 'password.change', detail: { staffUserId: staff.id, ...ended } });
    return ended;
  });

  api.get('/users/:id/sessions', {
    summary: "A staff user's open web sessions (never the session id itself)", roles: ['admin'], tags: ['staff'], params: userParam,
    responses: { 200: shape({ items: Joi.array().items(sessionRow) }) },
  }, async ({ hub, staff, params }) => {
    const u = await hub.db.one('SELECT id FROM staff_users WHERE id = $1', [params.id]);
    if (!u) throw Problem.notFound(`Fant ingen bruker ${params.id}.`);
    const items = await hub.db.many(
      `SELECT id, created_at, last_seen_at, expires_at, user_agent FROM web_sessions WHERE staff_user_id = $1 AND expires_at > $2 ORDER BY id`,
      [params.id, hub.clock.now()]);
    await audit(hub.db, { staff, action: 'session.list', rowCount: items.length, detail: { staffUserId: params.id } });
    return { items };
  });

  api.delete('/users/:id/sessions/:sessionId', {
    summary: 'End one web session of a staff user', roles: ['admin'], tags: ['staff'],
    params: Joi.object({ id: Joi.number().integer().min(1).required(), sessionId: Joi.number().integer().min(1).required() }),
    responses: { 204: null },
  }, async ({ hub, staff, params }) => {
    const r = await hub.db.query('DELETE FROM web_sessions WHERE staff_user_id = $1 AND id = $2', [params.id, params.sessionId]);
    if (!r.rowCount) throw Problem.notFound(`Bruker ${params.id} har ingen innlogging ${params.sessionId}.`);
    await audit(hub.db, { staff, action: 'session.revoke', detail: { staffUserId: params.id, sessionId: params.sessionId } });
  });

  api.delete('/users/:id/sessions', {
    summary: 'End every web session of a staff user', roles: ['admin'], tags: ['staff'], params: userParam,
    responses: { 200: ended },
  }, async ({ hub, staff, params }) => {
    const ended = await endCredentials(hub.db, params.id, { tokens: false });
    await audit(hub.db, { staff, action: 'session.revoke', detail: { staffUserId: params.id, sessions: ended.sessions } });
    return ended;
  });
}
