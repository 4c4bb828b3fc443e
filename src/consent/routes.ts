import Joi from 'joi';
import type { Api } from '../http/api';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { labelOf } from '../vocabulary';
import { memberScopeSql, refuseMember } from '../members/scope';
import { CHANNELS, unreachableReasonSql } from './decision';
import { categoryFromRow, clearCategoryCache, listCategories } from './categories';
import { recordConsentChange } from './ledger';
import { suppressionFromRow } from './suppressions';
import { categorySchema, consentChange, consentsResponse, suppressionList, suppressionSchema } from './responses';

const memberNumberParam = Joi.object({ memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/).required() });
const channelSchema = Joi.string().valid(...CHANNELS);

async function memberInScope(db: Queryable, staff: Staff, memberNumber: string): Promise<{ id: number; email: string | null; phone: string | null }> {
  const params: unknown[] = [memberNumber];
  const scope = memberScopeSql(staff, 'm', params);
  const r = await db.query(`SELECT m.id, m.email, m.phone FROM members m WHERE m.member_number = $1 AND ${scope}`, params);
  if (!r.rows[0]) throw await refuseMember(db, staff, memberNumber, 'member.consents', 'Fant ikke medlemmet (eller det er ikke et medlem du har tilgang til).');
  return r.rows[0] as any;
}

/** Current state (every category × channel the category allows) and the ledger history of one member. */
export async function memberConsents(db: Queryable, memberId: number) {
  const state = await db.query(
    `SELECT c.code, c.declinable, c.default_on, c.channels,
            ${unreachableReasonSql('m', 'c.code', 'email')} AS r_email,
            ${unreachableReasonSql('m', 'c.code', 'sms')} AS r_sms,
            ${unreachableReasonSql('m', 'c.code', 'letter')} AS r_letter,
            (SELECT json_object_agg(cs.channel, json_build_object('granted', cs.granted, 'eventId', cs.event_id, 'at', cs.updated_at))
               FROM consent_state cs WHERE cs.member_id = m.id AND cs.category = c.code) AS choices
       FROM members m CROSS JOIN message_categories c WHERE m.id = $1
      ORDER BY c.declinable, c.default_on DESC, c.code`, [memberId]);
  const current = [];
  for (const r of state.rows) {
    for (const ch of r.channels as string[]) {
      const choice = r.choices?.[ch] ?? null;
      const explicit = r.declinable && choice !== null;
      current.push({
        category: r.code,
        channel: ch,
        declinable: r.declinable,
        granted: !r.declinable ? true : explicit ? choice.granted : r.default_on,
        isDefault: !explicit,
        choiceEventId: choice?.eventId ?? null,
        choiceAt: choice?.at ?? null,
        reachable: r[`r_${ch}`] === null,
        unreachableReason: r[`r_${ch}`],
      });
    }
  }
  const history = await db.query(
    `SELECT id, category, channel, granted, source, actor, actor_user_id, campaign_id, reason, at
       FROM consent_events WHERE member_id = $1 ORDER BY at DESC, id DESC`, [memberId]);
  const pref = await db.query('SELECT channel FROM member_channel_preferences WHERE member_id = $1', [memberId]);
  return {
    preferredChannel: pref.rows[0]?.channel ?? null,
    current,
    history: history.rows.map((h) => ({
      id: h.id, category: h.category, channel: h.channel, granted: h.granted, source: h.source, actor: h.actor,
      actorUserId: h.actor_user_id, campaignId: h.campaign_id, reason: h.reason, at: h.at,
    })),
  };
}

export function registerConsentRoutes(api: Api): void {
  api.get('/members/:memberNumber/consents', {
    summary: "A member's current consent state (every category × channel) and the ledger history",
    roles: ['admin', 'communications', 'representative', 'auditor'],
    tags: ['consent'],
    params: memberNumberParam,
    responses: { 200: consentsResponse },
  }, async ({ hub, staff, params }) => {
    const m = await memberInScope(hub.db, staff, params.memberNumber);
    const out = await memberConsents(hub.db, m.id);
    const sup = await hub.db.query(
      `SELECT * FROM suppressions WHERE lifted_at IS NULL AND ((channel = 'email' AND address = lower(btrim($1))) OR (channel = 'sms' AND address = $2))`,
      [m.email ?? '', m.phone ?? '']);
    await audit(hub.db, { staff, action: 'member.view', memberId: m.id, rowCount: 1, detail: { view: 'consents' } });
    return { memberNumber: params.memberNumber, ...out, suppressions: sup.rows.map(suppressionFromRow) };
  });

  api.post('/members/:memberNumber/consents', {
    summary: "Record a consent change on a member's behalf (phone call, letter); reason required",
    roles: ['admin', 'communications'],
    tags: ['consent'],
    params: memberNumberParam,
    body: Joi.object({
      category: Joi.string().max(64).allow(null).required().description('a declinable category, or null for every declinable category'),
      channel: channelSchema.allow(null).required().description('a channel, or null for every channel'),
      granted: Joi.boolean().required(),
      reason: Joi.string().trim().min(3).max(1000).required(),
    }),
    responses: { 200: consentChange, 201: consentChange },
  }, async ({ hub, staff, params, body, res }) => {
    const m = await memberInScope(hub.db, staff, params.memberNumber);
    if (body.category !== null) {
      const c = await hub.db.one('SELECT declinable, channels FROM message_categories WHERE code = $1', [body.category]);
      if (!c) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.category', message: `ukjent kategori ${body.category}` }]);
      if (!c.declinable) throw Problem.unprocessable('Denne kategorien kan ikke reserveres mot (en del av medlemskapet).', [{ field: 'body.category', message: `${body.category} kan ikke reserveres mot` }]);
      if (body.channel && !c.channels.includes(body.channel)) {
        throw Problem.unprocessable('Kategorien sendes ikke i den kanalen.', [{ field: 'body.channel', message: `${body.category} sendes ikke som ${labelOf('channel', body.channel)}` }]);
      }
    }
    const result = await hub.db.tx(async (client) => {
      const r = await recordConsentChange(client, {
        memberId: m.id, category: body.category, channel: body.channel, granted: body.granted, source: 'staff',
        actorUserId: staff.id, actor: `staff:${staff.id}`, reason: body.reason, at: hub.clock.now(),
      });
      await audit(client, {
        staff, action: 'consent.change', memberId: m.id, rowCount: r.changed ? 1 : 0,
        detail: { category: body.category, channel: body.channel, granted: body.granted, reason: body.reason, eventId: r.eventId },
      });
      return r;
    });
    if (result.changed) res.status(201);
    return result;
  });

  api.get('/categories', {
    summary: 'Message categories: legal basis, whether declinable, default, channels',
    roles: ['admin', 'communications', 'representative', 'auditor'],
    tags: ['consent'],
    responses: { 200: Joi.object({ categories: Joi.array().items(categorySchema).required() }) },
  }, async ({ hub }) => ({ categories: await listCategories(hub.db) }));

  api.patch('/categories/:code', {
    summary: 'Edit a message category (audited)',
    roles: ['admin'],
    tags: ['consent'],
    params: Joi.object({ code: Joi.string().pattern(/^[a-z][a-z0-9_]{0,63}$/).required() }),
    body: Joi.object({
      nameNb: Joi.string().trim().min(1).max(200),
      legalBasis: Joi.string().trim().min(3).max(500),
      declinable: Joi.boolean(),
      defaultOn: Joi.boolean(),
      channels: Joi.array().items(channelSchema).min(1).unique(),
    }).min(1),
    responses: { 200: categorySchema },
  }, async ({ hub, staff, params, body }) => {
    return hub.db.tx(async (client) => {
      const cur = (await client.query('SELECT * FROM message_categories WHERE code = $1 FOR UPDATE', [params.code])).rows[0];
      if (!cur) throw Problem.notFound(`Fant ingen kategori ${params.code}.`);
      const next = {
        name_nb: body.nameNb ?? cur.name_nb,
        legal_basis: body.legalBasis ?? cur.legal_basis,
        declinable: body.declinable ?? cur.declinable,
        default_on: body.defaultOn ?? cur.default_on,
        channels: body.channels ?? cur.channels,
      };
      if (!next.declinable && !next.default_on) {
        throw Problem.unprocessable('En kategori som ikke kan reserveres mot, må være på som standard.', [
          { field: body.defaultOn === false ? 'body.defaultOn' : 'body.declinable', message: 'en kategori som ikke kan reserveres mot, må være på som standard' }]);
      }
      const r = await client.query(
        `UPDATE message_categories SET name_nb = $2, legal_basis = $3, declinable = $4, default_on = $5, channels = $6, updated_at = $7
          WHERE code = $1 RETURNING *`,
        [params.code, next.name_nb, next.legal_basis, next.declinable, next.default_on, next.channels, hub.clock.now()]);
      const before = categoryFromRow(cur);
      const after = categoryFromRow(r.rows[0]);
      await audit(client, { staff, action: 'category.update', detail: { code: params.code, before, after } });
      clearCategoryCache(hub.db);
      return after;
    });
  });

  api.get('/suppressions', {
    summary: 'Suppressed addresses (hard bounce, spam complaint, invalid number, carrier opt-out)',
    roles: ['admin', 'communications', 'auditor'],
    tags: ['consent'],
    query: Joi.object({
      active: Joi.boolean().default(true),
      channel: Joi.string().valid('email', 'sms'),
      address: Joi.string().max(320),
      limit: Joi.number().integer().min(1).max(500).default(100),
      offset: Joi.number().integer().min(0).default(0),
    }),
    responses: { 200: suppressionList },
  }, async ({ hub, staff, query }) => {
    const where: string[] = [];
    const p: unknown[] = [];
    if (query.active) where.push('lifted_at IS NULL');
    if (query.channel) { p.push(query.channel); where.push(`channel = $${p.length}`); }
    if (query.address) { p.push(query.address.trim().toLowerCase()); where.push(`lower(address) = $${p.length}`); }
    const w = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (await hub.db.one(`SELECT count(*)::int AS n FROM suppressions ${w}`, p))!.n;
    p.push(query.limit, query.offset);
    const rows = await hub.db.many(`SELECT * FROM suppressions ${w} ORDER BY at DESC, id DESC LIMIT $${p.length - 1} OFFSET $${p.length}`, p);
    await audit(hub.db, { staff, action: 'member.list', rowCount: rows.length, detail: { view: 'suppressions', active: query.active, channel: query.channel ?? null } });
    return { total, suppressions: rows.map(suppressionFromRow) };
  });

  api.post('/suppressions/:id/lift', {
    summary: 'Lift a suppression with a reason (audited); the row is kept',
    roles: ['admin', 'communications'],
    tags: ['consent'],
    params: Joi.object({ id: Joi.number().integer().min(1).required() }),
    body: Joi.object({ reason: Joi.string().trim().min(3).max(1000).required() }),
    responses: { 200: suppressionSchema },
  }, async ({ hub, staff, params, body }) => {
    return hub.db.tx(async (client) => {
      const cur = (await client.query('SELECT * FROM suppressions WHERE id = $1 FOR UPDATE', [params.id])).rows[0];
      if (!cur) throw Problem.notFound(`Fant ingen sperre ${params.id}.`);
      if (cur.lifted_at) throw Problem.conflict('Sperren er allerede opphevet.', { liftedAt: cur.lifted_at });
      const r = await client.query(
        'UPDATE suppressions SET lifted_at = $2, lifted_by = $3, lift_reason = $4 WHERE id = $1 RETURNING *',
        [params.id, hub.clock.now(), staff.id, body.reason]);
      await audit(client, { staff, action: 'suppression.lift', detail: { suppressionId: params.id, channel: cur.channel, reason: body.reason } });
      return suppressionFromRow(r.rows[0]);
    });
  });
}
