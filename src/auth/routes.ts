import Joi from 'joi';
import type { Api } from '../http/api';
import { Problem } from '../errors';
import { audit } from '../audit';
import { ROLES } from './staff';
import { createApiToken, createStaffUser } from './tokens';

export function registerStaffRoutes(api: Api): void {
  api.get('/me', { summary: 'The signed-in staff user', roles: ['admin', 'communications', 'representative', 'auditor'], tags: ['staff'] },
    ({ staff }) => staff);

  api.get('/users', { summary: 'Staff users', roles: ['admin'], tags: ['staff'] }, async ({ hub }) =>
    hub.db.many(`SELECT u.id, u.email, u.name, u.role, m.member_number, u.created_at, u.disabled_at
                   FROM staff_users u LEFT JOIN members m ON m.id = u.member_id ORDER BY u.id`));

  api.post('/users', {
    summary: 'Create a staff user (a representative is linked to the member holding their roles)',
    roles: ['admin'],
    tags: ['staff'],
    body: Joi.object({
      // Any domain: the demo's own staff use budstikke.example (RFC 2606), not an IANA top-level domain.
      email: Joi.string().email({ tlds: { allow: false } }).required(),
      name: Joi.string().max(200).required(),
      role: Joi.string().valid(...ROLES).required(),
      memberNumber: Joi.string().max(20).when('role', { is: 'representative', then: Joi.required() }),
    }),
  }, async ({ hub, staff, body, res }) => {
    let memberId: number | null = null;
    if (body.memberNumber) {
      const m = await hub.db.one('SELECT id FROM members WHERE member_number = $1', [body.memberNumber]);
      if (!m) throw Problem.badRequest('unknown member', [{ field: 'body.memberNumber', message: `no member ${body.memberNumber}` }]);
      memberId = m.id;
    }
    const exists = await hub.db.one('SELECT 1 FROM staff_users WHERE email = lower($1)', [body.email]);
    if (exists) throw Problem.conflict(`A staff user with email ${body.email} exists.`);
    const user = await createStaffUser(hub.db, { ...body, memberId });
    await audit(hub.db, { staff, action: 'user.create', detail: { userId: user.id, role: user.role } });
    res.status(201);
    return user;
  });

  api.post('/users/:id/tokens', {
    summary: 'Create an API token for a staff user (shown once)',
    roles: ['admin'],
    tags: ['staff'],
    params: Joi.object({ id: Joi.number().integer().required() }),
    body: Joi.object({ name: Joi.string().max(100).required() }),
  }, async ({ hub, staff, params, body, res }) => {
    const u = await hub.db.one('SELECT id FROM staff_users WHERE id = $1 AND disabled_at IS NULL', [params.id]);
    if (!u) throw Problem.notFound(`No staff user ${params.id}.`);
    const t = await createApiToken(hub.db, params.id, body.name);
    await audit(hub.db, { staff, action: 'token.create', detail: { userId: params.id, tokenId: t.id } });
    res.status(201);
    return t;
  });

  api.delete('/tokens/:id', {
    summary: 'Revoke an API token',
    roles: ['admin'],
    tags: ['staff'],
    params: Joi.object({ id: Joi.number().integer().required() }),
  }, async ({ hub, params }) => {
    const r = await hub.db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [params.id]);
    if (!r.rowCount) throw Problem.notFound(`No active token ${params.id}.`);
  });
}
