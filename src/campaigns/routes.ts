import Joi from 'joi';
import type { Api } from '../http/api';
import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { CHANNELS, type Channel } from '../consent';
import { memberIdInScope } from '../members';
import { renderEmailBatch, renderSms, sampleRecipient, type MergeFields } from '../render';
import { normalisePhone } from '../members';
import { createCampaignOnce, updateCampaign, campaignProgress, type CampaignInput, type TemplateRef } from './create';
import { assertLaunchable, refusePastSendAt } from './guards';
import { campaignReview } from './review';
import { loadCampaign, loadCategory, templateVersion, campaignFromRow, quietUntil, type Campaign } from './model';
import { openHalts } from './halts';
import { retryFailed, sendInDoubtAgain } from './retry';
import { emailProvider, smsProvider } from './delivery';
import { launchCampaign, approveCampaign, pauseCampaign, resumeCampaign, cancelCampaign } from './launch';
import { sendSingleMessage } from './messages';
import { registerPrintRunRoutes } from './print-runs';
import { campaignAnswer, campaignList, campaignReviewResponse, campaignSchema, communications, createdCampaign, launchAnswer, requeuedAnswer, testSent } from './responses';

const WRITE = ['admin', 'communications'] as const;
const READ = ['admin', 'communications', 'representative', 'auditor'] as const;

const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });
const channel = Joi.string().valid(...CHANNELS);
const templateRef = Joi.alternatives(
  Joi.number().integer().min(1),
  Joi.object({ versionId: Joi.number().integer().min(1).required() }),
  Joi.object({ templateId: Joi.number().integer().min(1).required(), version: Joi.number().integer().min(1).allow(null) }),
);
const links = Joi.object().pattern(Joi.string().pattern(/^[A-Za-z0-9_-]{1,64}$/), Joi.string().uri({ scheme: ['https', 'http'] }).max(2000)).max(20);

const campaignFields = {
  name: Joi.string().trim().min(1).max(200),
  category: Joi.string().max(64),
  channels: Joi.array().items(channel).min(1).max(3).unique(),
  templates: Joi.object().pattern(channel, templateRef),
  // The web page also sends the template of all channels at the top level.
  templateId: Joi.number().integer().min(1).allow(null),
  templateVersion: Joi.number().integer().min(1).allow(null),
  audience: Joi.object().unknown(true),
  sendAt: Joi.date().iso().allow(null),
  links,
  printMode: Joi.string().valid('letters', 'address_list'),
  // Optional email delivery window: spread over N minutes, or at most N emails an hour (src/campaigns/window.ts).
  deliveryWindow: Joi.alternatives(
    Joi.object({ minutes: Joi.number().integer().min(1).max(7 * 24 * 60).required() }),
    Joi.object({ perHour: Joi.number().integer().min(1).max(10_000_000).required() }),
  ).allow(null),
};
/** A form's key: a repeated submit (double click, reload) answers with what the first one did. */
const formKey = Joi.string().pattern(/^[A-Za-z0-9_-]{8,100}$/);

function templatesOf(body: any): Partial<Record<Channel, TemplateRef>> | undefined {
  if (body.templates && Object.keys(body.templates).length) return body.templates;
  if (body.templateId && body.channels) {
    return Object.fromEntries((body.channels as Channel[]).map((ch) => [ch, { templateId: body.templateId, version: body.templateVersion ?? null }]));
  }
  return undefined;
}

const MAKERS = ['admin', 'communications', 'representative'] as const;

/**
 * A representative messages their own members only (contract C6): in a category the union allows
 * representatives, with the audience confined in SQL to their scope (a `scopeOf` node the server
 * ANDs to whatever filter they give), and every launch waits for communications staff's approval.
 */
async function confineForRepresentative(hub: Hub, staff: Staff, category: string | undefined, audience: unknown): Promise<unknown> {
  if (staff.role !== 'representative') return audience;
  if (!staff.memberId) throw Problem.forbidden('Brukeren er ikke knyttet til et medlem med tillitsverv, så den har ingen medlemmer å sende til.');
  if (category !== undefined) {
    const cat = await hub.db.one('SELECT representatives_allowed FROM message_categories WHERE code = $1', [category]);
    if (cat && !cat.representatives_allowed) {
      throw Problem.forbidden(`Tillitsvalgte kan ikke sende i kategorien «${category}». Kategorier for tillitsvalgte velges under Meldingskategorier.`);
    }
  }
  return audience === undefined ? undefined : { all: [audience, { scopeOf: staff.memberId }] };
}

/** A representative sees the campaigns they made; other roles see all. */
async function visibleCampaign(hub: Hub, staff: Staff, id: number): Promise<Campaign> {
  const c = await loadCampaign(hub.db, id);
  if (staff.role === 'representative' && c.createdBy !== staff.id) throw Problem.notFound(`Fant ingen kampanje ${id}.`);
  return c;
}

const COUNTED = ['queued', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'skipped', 'cancelled', 'in_doubt'] as const;

/**
 * The campaign as the API shows it (contract C1): today's fields, progress per state and channel,
 * `counts` (every state, in_doubt and cancelled apart from skipped), the open `halts`,
 * `pausedReason` and `smsHeldUntil` (SMS waiting for the quiet hours to end).
 */
async function withProgress(hub: Hub, c: Campaign) {
  const progress = await campaignProgress(hub.db, c.id);
  const counts = Object.fromEntries(COUNTED.map((st) => [st, progress.byState[st] ?? 0])) as Record<(typeof COUNTED)[number], number>;
  const sms = progress.byChannel.sms ?? {};
  const smsWaiting = (c.state === 'running' || c.state === 'scheduled') && ((sms.queued ?? 0) + (sms.sending ?? 0)) > 0;
  const held = smsWaiting ? quietUntil(hub.config, c.category, hub.clock.now()) : null;
  return {
    ...c, approvalRequired: c.approval.required, progress, counts,
    halts: (await openHalts(hub.db, c.id)).map((h) => ({ channel: h.channel, reason: h.reason, message: h.message, at: h.at })),
    smsHeldUntil: held ? held.toISOString() : null,
  };
}

/**
 * A test of the campaign's content before launch, straight through the providers with a sample
 * member's fields: email to staff users' own addresses only, SMS to the numbers given. Nothing is
 * logged as sent to a member; the test itself is audited.
 */
async function testSend(hub: Hub, staff: Staff, c: Campaign, to: string[]): Promise<{ sent: { to: string; channel: Channel }[] }> {
  const emails = to.filter((t) => t.includes('@'));
  const phones = to.filter((t) => !t.includes('@'));
  const bad: { field: string; message: string }[] = [];
  if (emails.length) {
    const known = new Set((await hub.db.many(`SELECT lower(email) AS e FROM staff_users WHERE disabled_at IS NULL AND lower(email) = ANY($1::text[])`,
      [emails.map((e) => e.toLowerCase())])).map((r) => r.e));
    emails.forEach((e) => { if (!known.has(e.toLowerCase())) bad.push({ field: `body.to.${to.indexOf(e)}`, message: `${e} er ikke adressen til en bruker (test sendes bare til ansatte)` }); });
  }
  const e164 = phones.map((p) => normalisePhone(p));
  phones.forEach((p, i) => { if (!e164[i]) bad.push({ field: `body.to.${to.indexOf(p)}`, message: `${p} er verken en e-postadresse eller et telefonnummer` }); });
  if (bad.length) throw Problem.badRequest('Mottakerne av testen har feil.', bad);
  const cat = (await loadCategory(hub.db, c.category))!;
  const sample = sampleRecipient('nb');
  const fields: MergeFields = { ...sample.fields, links: c.links, unsubscribeUrl: `${hub.config.publicBaseUrl}/u/test`, preferencesUrl: `${hub.config.publicBaseUrl}/p/test` };
  const sent: { to: string; channel: Channel }[] = [];
  if (emails.length) {
    if (!c.templates.email) throw Problem.badRequest('Kampanjen har ingen e-post.', [{ field: 'body.to', message: 'kampanjen har ingen e-post å teste' }]);
    const version = await templateVersion(hub.db, c.templates.email);
    const reqs = await renderEmailBatch(hub, version, emails.map((e, i) => ({ sendLogId: `test-${c.id}-${i}`, email: e, language: 'nb', fields })),
      { declinable: cat.declinable, metadata: { campaign_id: String(c.id), test: '1' } });
    for (const r of reqs) {
      await emailProvider(hub).send({ ...r.message, recipients: r.message.recipients.map((p) => ({ ...p, subject: `[TEST] ${p.subject}` })) });
    }
    emails.forEach((e) => sent.push({ to: e, channel: 'email' }));
  }
  if (phones.length) {
    if (!c.templates.sms) throw Problem.badRequest('Kampanjen har ingen SMS.', [{ field: 'body.to', message: 'kampanjen har ingen SMS å teste' }]);
    const version = await templateVersion(hub.db, c.templates.sms);
    const sms = renderSms(hub, version, 'nb', fields, { declinable: cat.declinable });
    for (const p of e164) { await smsProvider(hub).send({ to: p!, body: `[TEST] ${sms.text}` }); sent.push({ to: p!, channel: 'sms' }); }
  }
  await audit(hub.db, { staff, action: 'campaign.test_send', rowCount: sent.length, detail: { campaignId: c.id, to: sent.map((s) => s.channel) } });
  return { sent };
}

export function registerCampaignRoutes(api: Api): void {
  registerPrintRunRoutes(api);
  api.get('/campaigns', {
    summary: 'Campaigns, newest first', roles: [...READ], tags: ['campaigns'], responses: { 200: campaignList },
    query: Joi.object({ state: Joi.string().valid('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'), kind: Joi.string().max(20), limit: Joi.number().integer().min(1).max(200).default(50) }),
  }, async ({ hub, staff, query }) => {
    const params: unknown[] = [query.limit];
    const where: string[] = [];
    if (query.state) { params.push(query.state); where.push(`state = $${params.length}`); }
    if (query.kind) { params.push(query.kind); where.push(`kind = $${params.length}`); }
    if (staff.role === 'representative') { params.push(staff.id); where.push(`created_by = $${params.length}`); }
    const rows = await hub.db.many(`SELECT * FROM campaigns ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $1`, params);
    return { campaigns: rows.map(campaignFromRow) };
  });

  api.post('/campaigns', {
    summary: 'Create a campaign (draft): name, category, ordered channels, a template version per channel, audience, send_at',
    roles: [...MAKERS], tags: ['campaigns'], responses: { 200: createdCampaign, 201: createdCampaign },
    body: Joi.object({ ...campaignFields, name: campaignFields.name.required(), category: campaignFields.category.required(),
      channels: campaignFields.channels.required(), audience: campaignFields.audience.required(), idempotencyKey: formKey }),
  }, async ({ hub, staff, body, res }) => {
    refusePastSendAt(hub, body.sendAt);
    const { idempotencyKey, ...rest } = body;
    rest.audience = await confineForRepresentative(hub, staff, body.category, body.audience);
    const input: CampaignInput = { ...rest, templates: templatesOf(body) ?? {}, idempotencyKey: idempotencyKey ? `create:${staff.id}:${idempotencyKey}` : null };
    const { campaign, created } = await createCampaignOnce(hub, staff, input);
    res.status(created ? 201 : 200);
    return { ...(await withProgress(hub, campaign)), created };
  });

  api.get('/campaigns/:id', {
    summary: 'A campaign with its progress per state and channel', roles: [...READ], tags: ['campaigns'], responses: { 200: campaignSchema }, params: idParam,
  }, async ({ hub, staff, params }) => withProgress(hub, await visibleCampaign(hub, staff, params.id)));

  api.get('/campaigns/:id/review', {
    summary: 'What staff and the approver see before launch: audience in words with counts and a sample, content per channel and language, fallback languages, overlapping sends of the same template, who asked and approved',
    roles: [...READ], tags: ['campaigns'], responses: { 200: campaignReviewResponse }, params: idParam,
  }, async ({ hub, staff, params }) => {
    const c = await visibleCampaign(hub, staff, params.id);
    return { campaign: await withProgress(hub, c), review: await campaignReview(hub, staff, c) };
  });

  api.patch('/campaigns/:id', {
    summary: 'Change a draft campaign', roles: [...MAKERS], tags: ['campaigns'], responses: { 200: campaignSchema }, params: idParam, body: Joi.object(campaignFields).min(1),
  }, async ({ hub, staff, params, body }) => {
    if (staff.role === 'representative') {
      const own = await visibleCampaign(hub, staff, params.id);
      if (body.audience !== undefined || body.category !== undefined) {
        body.audience = await confineForRepresentative(hub, staff, body.category ?? own.category, body.audience ?? (own.audience as { all: unknown[] }).all?.[0]);
      }
    }
    if (body.sendAt !== undefined) refusePastSendAt(hub, body.sendAt);
    const c = await updateCampaign(hub, staff, params.id, { ...body, templates: templatesOf(body) });
    return withProgress(hub, c);
  });

  api.post('/campaigns/:id/test', {
    summary: "Send the campaign's content to staff addresses (email) or phone numbers (SMS) before launch",
    roles: [...WRITE], tags: ['campaigns'], responses: { 200: testSent }, params: idParam,
    body: Joi.object({ to: Joi.array().items(Joi.string().trim().max(200)).min(1).max(10).required() }),
  }, async ({ hub, staff, params, body }) => testSend(hub, staff, await loadCampaign(hub.db, params.id), body.to));

  for (const action of ['launch', 'approve', 'pause', 'resume', 'cancel'] as const) {
    api.post(`/campaigns/:id/${action}`, {
      summary: {
        launch: 'Launch (or schedule at send_at); above the approval threshold, ask a second staff user to approve',
        approve: 'Approve a launch another staff user asked for (four eyes), and launch it',
        pause: 'Pause: no new batch leaves', resume: 'Resume where it stopped', cancel: 'Cancel: what has not left is marked cancelled',
      }[action],
      roles: action === 'launch' || action === 'cancel' ? [...MAKERS] : [...WRITE], tags: ['campaigns'], params: idParam, body: Joi.object({ idempotencyKey: formKey }),
      responses: action === 'launch' || action === 'approve' ? { 202: launchAnswer } : { 200: campaignAnswer },
    }, async ({ hub, staff, params, body, res }) => {
      if (staff.role === 'representative') await visibleCampaign(hub, staff, params.id);
      if (action === 'launch' || action === 'approve') {
        const key = body.idempotencyKey ? `${action}:${staff.id}:${body.idempotencyKey}` : null;
        // 202 Accepted: the audience is taken by a queue job after this answer (campaign.snapshot
        // shows how far it has come), or a second staff user must approve first.
        res.status(202);
        const answer = async (c: Campaign) => {
          return { campaign: await withProgress(hub, c), approvalRequired: c.approval.required, repeated: true };
        };
        const before = await loadCampaign(hub.db, params.id);
        // The form's key (launch_key) stays in the database: it names the staff user who launched, so it is not in the answers.
        if (key && (await hub.db.one('SELECT 1 FROM campaigns WHERE id = $1 AND launch_key = $2', [params.id, key]))) return answer(before);
        if (before.state === 'draft' || before.state === 'scheduled') await assertLaunchable(hub, before);
        if (key) {
          // Claim the key first: a second submit at the same moment waits on the row, then sees it taken.
          const claimed = await hub.db.one('UPDATE campaigns SET launch_key = $2 WHERE id = $1 AND launch_key IS DISTINCT FROM $2 RETURNING id', [params.id, key]);
          if (!claimed) return answer(await loadCampaign(hub.db, params.id));
        }
        try {
          const r = action === 'launch' ? await launchCampaign(hub, params.id, staff) : await approveCampaign(hub, params.id, staff);
          return { campaign: await withProgress(hub, r.campaign), approvalRequired: r.approvalRequired };
        } catch (err) {
          if (key) await hub.db.query('UPDATE campaigns SET launch_key = NULL WHERE id = $1 AND launch_key = $2', [params.id, key]);
          throw err;
        }
      }
      const c = action === 'pause' ? await pauseCampaign(hub, params.id, staff)
        : action === 'resume' ? await resumeCampaign(hub, params.id, staff) : await cancelCampaign(hub, params.id, staff);
      return { campaign: await withProgress(hub, c) };
    });
  }

  api.post('/campaigns/:id/retry', {
    summary: 'Send again the rows that failed for a retryable reason (a refusal of the whole request, a template error); never rows already sent',
    roles: [...WRITE], tags: ['campaigns'], responses: { 200: requeuedAnswer }, params: idParam, body: Joi.object({}),
  }, async ({ hub, staff, params }) => {
    const r = await retryFailed(hub, params.id, staff);
    return { campaign: await withProgress(hub, r.campaign), requeued: r.requeued };
  });

  api.post('/campaigns/:id/in-doubt/send-again', {
    summary: 'Send again rows in doubt (the provider may have them already: the member may get the message twice); all, or the ids given',
    roles: [...WRITE], tags: ['campaigns'], responses: { 200: requeuedAnswer }, params: idParam,
    body: Joi.object({ sendLogIds: Joi.array().items(Joi.number().integer().min(1)).min(1).max(100_000) }),
  }, async ({ hub, staff, params, body }) => {
    const r = await sendInDoubtAgain(hub, params.id, staff, body.sendLogIds ?? null);
    return { campaign: await withProgress(hub, r.campaign), requeued: r.requeued };
  });

  api.post('/messages', {
    summary: 'Send one templated message to one member now (dues reminder, course change), idempotent on idempotencyKey',
    roles: [...MAKERS], tags: ['campaigns'], responses: { 200: createdCampaign, 201: createdCampaign },
    body: Joi.object({
      memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/).required(),
      template: Joi.string().max(100),
      templateId: Joi.number().integer().min(1),
      version: Joi.number().integer().min(1),
      category: Joi.string().max(64),
      channels: Joi.array().items(channel).min(1).max(3).unique(),
      links,
      idempotencyKey: Joi.string().trim().min(8).max(200).required(),
    }).xor('template', 'templateId'),
  }, async ({ hub, staff, body, res }) => {
    if (staff.role === 'representative') {
      // Only their own active members (a member outside the scope is simply not found), in an allowed category.
      await memberIdInScope(hub.db, staff, body.memberNumber);
      if (!body.category) throw Problem.badRequest('Meldingskategori mangler.', [{ field: 'body.category', message: 'en tillitsvalgt må oppgi kategorien' }]);
      await confineForRepresentative(hub, staff, body.category, undefined);
    }
    const r = await sendSingleMessage(hub, staff, body);
    await audit(hub.db, { staff, action: 'message.send', detail: { campaignId: r.campaign.id, created: r.created } });
    res.status(r.created ? 201 : 200);
    return { ...(await withProgress(hub, r.campaign)), created: r.created };
  });

  api.get('/members/:memberNumber/communications', {
    summary: 'Everything sent to a member, all channels, newest first (the log of sending dates)',
    roles: [...READ], tags: ['campaigns'], responses: { 200: communications },
    params: Joi.object({ memberNumber: Joi.string().pattern(/^[A-Za-z0-9-]{1,20}$/).required() }),
    query: Joi.object({ limit: Joi.number().integer().min(1).max(1000).default(200), before: Joi.number().integer().min(1) }),
  }, async ({ hub, staff, params, query }) => {
    const memberId = await memberIdInScope(hub.db, staff, params.memberNumber);
    const rows = await hub.db.many(
      `SELECT s.id, s.campaign_id, c.name AS campaign, c.kind, c.category, s.channel, s.state, s.reason, s.address, s.sent_at,
              s.last_event, s.last_event_at, s.fallback_from, s.created_at
         FROM send_log s JOIN campaigns c ON c.id = s.campaign_id
        WHERE s.member_id = $1 AND ($3::bigint IS NULL OR s.id < $3)
        ORDER BY COALESCE(s.sent_at, s.created_at) DESC, s.id DESC LIMIT $2`, [memberId, query.limit, query.before ?? null]);
    await audit(hub.db, { staff, action: 'member.view', memberId, rowCount: rows.length, detail: { view: 'communications' } });
    return {
      memberNumber: params.memberNumber,
      communications: rows.map((r) => ({
        id: r.id, campaignId: r.campaign_id, campaign: r.campaign, kind: r.kind, category: r.category, channel: r.channel, state: r.state,
        reason: r.reason, address: r.address, sentAt: r.sent_at, lastEvent: r.last_event, lastEventAt: r.last_event_at,
        fallbackFrom: r.fallback_from, createdAt: r.created_at,
      })),
    };
  });
}
