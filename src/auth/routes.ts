import Joi from 'joi';
import type { Api } from '../http/api';
import { Problem } from '../errors';
import { audit } from '../audit';
import { ROLES } from './staff';
import { createApiToken, createStaffUser } from './tokens';
import { endCredentials } from './lifecycle';
import { resetTwoFactor } from './two-factor';
import { newToken, staffPatched, staffSchema, staffUsersRow, tokenRow, twoFactorReset } from './responses';
import { ended } from '../http/schemas';

const userParam = Joi.object({ id: Joi.number().integer().min(1).required() });

export function registerStaffRoutes(api: Api): void {
  api.get('/me', { summary: 'The signed-in staff user', roles: ['admin', 'communications', 'representative', 'auditor'], tags: ['staff'], responses: { 200: staffSchema } },
    ({ staff }) => staff);

  api.get('/users', { summary: 'Staff users', roles: ['admin'], tags: ['staff'], responses: { 200: Joi.array().items(staffUsersRow) } }, async ({ hub }) =>
    hub.db.many(`SELECT u.id, u.email, u.name, u.role, m.member_number, u.created_at, u.disabled_at,
                        EXISTS (SELECT 1 FROM staff_totp z WHERE z.staff_user_id = u.id AND z.confirmed_at IS NOT NULL) AS two_factor
                   FROM staff_users u LEFT JOIN members m ON m.id = u.member_id ORDER BY u.id`));

  api.post('/users', {
    summary: 'Create a staff user (a representative is linked to the member holding their roles)',
    roles: ['admin'],
    tags: ['staff'],
    body: Joi.object({
      // Any domain: the demo's own staff use budstikke.example (RFC 2606), not an IANA top-level domain.
      email: Joi.string().email({ tlds: { allow: false } }).max(254).required(),
      name: Joi.string().max(200).required(),
      role: Joi.string().valid(...ROLES).required(),
      memberNumber: Joi.string().max(20).when('role', { is: 'representative', then: Joi.required() }),
    }),
    responses: { 201: staffSchema },
  }, async ({ hub, staff, body, res }) => {
    let memberId: number | null = null;
    if (body.memberNumber) {
      const m = await hub.db.one('SELECT id FROM members WHERE member_number = $1', [body.memberNumber]);
      if (!m) throw Problem.badRequest('Ukjent medlem.', [{ field: 'body.memberNumber', message: `Medlemsnummer: fant ikke medlem ${body.memberNumber}` }]);
      memberId = m.id;
    }
    const exists = await hub.db.one('SELECT 1 FROM staff_users WHERE email = lower($1)', [body.email]);
    if (exists) throw Problem.conflict(`Det finnes allerede en bruker med e-postadressen ${body.email}.`);
    const user = await createStaffUser(hub.db, { ...body, memberId });
    await audit(hub.db, { staff, action: 'user.create', detail: { userId: user.id, role: user.role } });
    res.status(201);
    return user;
  });

  api.patch('/users/:id', {
    summary: 'Disable or re-enable a staff user, or change their role (audited). Disabling and a role change end the user\'s sessions and API tokens at once.',
    roles: ['admin'],
    tags: ['staff'],
    params: userParam,
    body: Joi.object({
      disabled: Joi.boolean(),
      role: Joi.string().valid(...ROLES),
      memberNumber: Joi.string().max(20).description('the member holding the tillitsverv (required to make someone a representative)'),
    }).or('disabled', 'role'),
    responses: { 200: staffPatched },
  }, async ({ hub, staff, params, body }) => {
    return hub.db.tx(async (c) => {
      const u = (await c.query('SELECT id, role, member_id, disabled_at FROM staff_users WHERE id = $1 FOR UPDATE', [params.id])).rows[0];
      if (!u) throw Problem.notFound(`Fant ingen bruker ${params.id}.`);
      if (u.id === staff.id && (body.disabled === true || (body.role && body.role !== u.role))) {
        throw Problem.conflict('Du kan ikke deaktivere deg selv eller endre din egen rolle; be en annen administrator.');
      }
      let memberId: number | null = u.member_id;
      if (body.memberNumber) {
        const m = (await c.query('SELECT id FROM members WHERE member_number = $1', [body.memberNumber])).rows[0];
        if (!m) throw Problem.badRequest('Ukjent medlem.', [{ field: 'body.memberNumber', message: `Medlemsnummer: fant ikke medlem ${body.memberNumber}` }]);
        memberId = m.id;
      }
      const role = body.role ?? u.role;
      if (role === 'representative' && memberId === null) {
        throw Problem.badRequest('En tillitsvalgt må være knyttet til et medlem.', [{ field: 'body.memberNumber', message: 'Medlemsnummer må oppgis for rollen tillitsvalgt' }]);
      }
      const disable = body.disabled === true && u.disabled_at === null;
      const enable = body.disabled === false && u.disabled_at !== null;
      const roleChanged = role !== u.role || memberId !== u.member_id;
      await c.query(
        `UPDATE staff_users SET role = $2, member_id = $3,
                disabled_at = CASE WHEN $4 THEN now() WHEN $5 THEN NULL ELSE disabled_at END WHERE id = $1`,
        [u.id, role, memberId, disable, enable]);
      let ended = { tokens: 0, sessions: 0 };
      if (disable || roleChanged) ended = await endCredentials(c, u.id);
      if (disable) await audit(c, { staff, action: 'user.disable', detail: { userId: u.id, ...ended } });
      if (enable) await audit(c, { staff, action: 'user.enable', detail: { userId: u.id } });
      if (roleChanged) await audit(c, { staff, action: 'user.role', detail: { userId: u.id, from: u.role, to: role, memberId, ...ended } });
      const out = (await c.query(`SELECT u.id, u.email, u.name, u.role, m.member_number, u.created_at, u.disabled_at
                                    FROM staff_users u LEFT JOIN members m ON m.id = u.member_id WHERE u.id = $1`, [u.id])).rows[0];
      return { ...out, ended };
    });
  });

  api.delete('/users/:id/two-factor', {
    summary: "Reset a staff user's two-factor sign-in (a lost phone): removes the authenticator and recovery codes and ends their web sessions (audited). A role that needs it enrols again at the next sign-in.",
    roles: ['admin'],
    tags: ['staff'],
    params: userParam,
    responses: { 200: twoFactorReset },
  }, async ({ hub, staff, params }) => {
    const u = await hub.db.one('SELECT id FROM staff_users WHERE id = $1', [params.id]);
    if (!u) throw Problem.notFound(`Fant ingen bruker ${params.id}.`);
    return hub.db.tx((c) => resetTwoFactor(c, staff, params.id));
  });

  api.get('/users/:id/tokens', {
    summary: 'A staff user\'s API tokens (never the token itself)',
    roles: ['admin'],
    tags: ['staff'],
    params: userParam,
    responses: { 200: Joi.object({ items: Joi.array().items(tokenRow).required() }) },
  }, async ({ hub, params }) => {
    const u = await hub.db.one('SELECT id FROM staff_users WHERE id = $1', [params.id]);
    if (!u) throw Problem.notFound(`Fant ingen bruker ${params.id}.`);
    return { items: await hub.db.many('SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE staff_user_id = $1 ORDER BY id', [params.id]) };
  });

  api.post('/users/:id/tokens', {
    summary: 'Create an API token for a staff user (shown once)',
    roles: ['admin'],
    tags: ['staff'],
    params: userParam,
    body: Joi.object({ name: Joi.string().max(100).required() }),
    responses: { 201: newToken },
  }, async ({ hub, staff, params, body, res }) => {
    const u = await hub.db.one('SELECT id FROM staff_users WHERE id = $1 AND disabled_at IS NULL', [params.id]);
    if (!u) throw Problem.notFound(`Fant ingen bruker ${params.id}.`);
    const t = await createApiToken(hub.db, params.id, body.name);
    await audit(hub.db, { staff, action: 'token.create', detail: { userId: params.id, tokenId: t.id } });
    res.status(201);
    return t;
  });

  api.delete('/users/:id/tokens', {
    summary: 'Revoke all of a staff user\'s API tokens',
    roles: ['admin'],
    tags: ['staff'],
    params: userParam,
    responses: { 200: ended },
  }, async ({ hub, staff, params }) => {
    const ended = await endCredentials(hub.db, params.id, { sessions: false });
    await audit(hub.db, { staff, action: 'token.revoke', detail: { userId: params.id, tokens: ended.tokens } });
    return ended;
  });

  api.delete('/tokens/:id', {
    summary: 'Revoke an API token',
    roles: ['admin'],
    tags: ['staff'],
    params: Joi.object({ id: Joi.number().integer().required() }),
    responses: { 204: null },
  }, async ({ hub, staff, params }) => {
    const r = await hub.db.query('UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING staff_user_id', [params.id]);
    if (!r.rowCount) throw Problem.notFound(`Fant ingen aktiv API-nøkkel ${params.id}.`);
    await audit(hub.db, { staff, action: 'token.revoke', detail: { userId: r.rows[0].staff_user_id, tokenId: params.id } });
  });
}
