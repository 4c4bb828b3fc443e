import Joi from 'joi';
import type { Api } from '../http/api';
import type { Hub } from '../hub';
import { syncBallotJobs } from './schedule';
import { addResult, cancelBallot, createBallot, getBallot, listBallots, updateBallot } from './service';
import { exportRoll, freezeRoll, listRollExports, rollDifference } from './roll';
import { parseOsloTime, DURATION } from './time';
import { campaignGateway } from './gateway';
import { planNotifications } from './plan';
import { ballotList, ballotSchema, frozenRoll, plan, rollDifference as rollDifferenceResponse, rollExportFile, rollExports } from './responses';

const CATEGORIES = ['employee', 'self_employed', 'apprentice', 'student', 'pupil', 'pensioner'];
const orgNumber = Joi.string().pattern(/^\d{9}$/).messages({ 'string.pattern.base': '{{#label}} må være et organisasjonsnummer på 9 sifre' });
const time = Joi.string().max(40).description('Europe/Oslo local time (2026-04-14T12:00) or ISO 8601 with offset');
const reminders = Joi.array().items(Joi.string().pattern(DURATION).messages({ 'string.pattern.base': '{{#label}} må være en varighet i ISO 8601-format, for eksempel P3D eller PT12H' })).unique().max(10);

const votingUrlTemplate = Joi.string().max(2000).custom((v: string, helpers) => {
  const names = [...v.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]);
  if (!names.includes('memberNumber')) return helpers.message({ custom: '{{#label}} må inneholde plassholderen {memberNumber}' });
  if (names.some((n) => n !== 'memberNumber')) return helpers.message({ custom: '{{#label}} kan bare inneholde plassholderen {memberNumber} (Budstikke har ingen personlige stemmekoder)' });
  if (Joi.string().uri({ scheme: ['https', 'http'] }).validate(v.split('{memberNumber}').join('X')).error) return helpers.message({ custom: '{{#label}} må være en nettadresse (http eller https)' });
  return v;
});

const idParam = Joi.object({ id: Joi.number().integer().min(1).required() });
const ROLES = ['admin', 'communications'] as const;

async function sync(hub: Hub, id: number): Promise<void> {
  await syncBallotJobs(hub, id);
}

export function registerBallotRoutes(api: Api): void {
  api.post('/ballots', {
    summary: 'Create a tariff ballot (uravstemning); its notifications are planned and scheduled at once',
    roles: [...ROLES],
    tags: ['ballots'],
    body: Joi.object({
      title: Joi.string().trim().min(1).max(200).required(),
      agreements: Joi.array().items(Joi.string().max(50)).min(1).unique().required().description('agreement codes'),
      opensAt: time.required(),
      closesAt: time.required(),
      eligibility: Joi.object({
        categories: Joi.array().items(Joi.string().valid(...CATEGORIES)).unique(),
        employerOrgNumbers: Joi.array().items(orgNumber).unique(),
        workplaceOrgNumbers: Joi.array().items(orgNumber).unique(),
      }),
      votingUrl: Joi.string().uri({ scheme: ['https', 'http'] }).max(2000),
      votingUrlTemplate,
      reminders: reminders.description('ISO 8601 durations before closing; default from BALLOT_REMINDER_OFFSETS (P3D,P1D)'),
      channels: Joi.array().items(Joi.string().valid('email', 'sms', 'letter')).min(1).unique().description('fallback order'),
      providerPublicKey: Joi.string().max(100_000).description('the provider\'s armored OpenPGP public key'),
    }).xor('votingUrl', 'votingUrlTemplate'),
    responses: { 201: ballotSchema },
  }, async ({ hub, staff, body, res }) => {
    const id = await createBallot(hub, staff, {
      ...body,
      opensAt: parseOsloTime(body.opensAt, 'body.opensAt'),
      closesAt: parseOsloTime(body.closesAt, 'body.closesAt'),
    });
    await sync(hub, id);
    res.status(201);
    return getBallot(hub, id);
  });

  api.get('/ballots', {
    summary: 'List ballots',
    roles: [...ROLES],
    tags: ['ballots'],
    query: Joi.object({
      state: Joi.string().valid('draft', 'open', 'closed', 'cancelled'),
      limit: Joi.number().integer().min(1).max(200).default(50),
      offset: Joi.number().integer().min(0).default(0),
    }),
    responses: { 200: ballotList },
  }, async ({ hub, query }) => listBallots(hub, query));

  api.get('/ballots/:id', {
    summary: 'One ballot with its roll status and notification plan',
    roles: [...ROLES],
    tags: ['ballots'],
    params: idParam,
    responses: { 200: ballotSchema },
  }, async ({ hub, params }) => getBallot(hub, params.id));

  api.patch('/ballots/:id', {
    summary: 'Move a ballot\'s times or reminders (pending notifications are rescheduled), rename it, or set the provider key',
    roles: [...ROLES],
    tags: ['ballots'],
    params: idParam,
    body: Joi.object({
      title: Joi.string().trim().min(1).max(200),
      opensAt: time,
      closesAt: time,
      reminders,
      providerPublicKey: Joi.string().max(100_000).allow(null),
    }).min(1),
    responses: { 200: ballotSchema },
  }, async ({ hub, staff, params, body }) => {
    await updateBallot(hub, staff, params.id, {
      ...body,
      opensAt: body.opensAt ? parseOsloTime(body.opensAt, 'body.opensAt') : undefined,
      closesAt: body.closesAt ? parseOsloTime(body.closesAt, 'body.closesAt') : undefined,
    });
    await sync(hub, params.id);
    return getBallot(hub, params.id);
  });

  api.post('/ballots/:id/roll', {
    summary: 'Freeze the electoral roll at a cut-off (default now); audited',
    roles: [...ROLES],
    tags: ['ballots'],
    params: idParam,
    body: Joi.object({ cutoffAt: time }),
    responses: { 200: frozenRoll },
  }, async ({ hub, staff, params, body }) => {
    return freezeRoll(hub, staff, params.id, body.cutoffAt ? parseOsloTime(body.cutoffAt, 'body.cutoffAt') : undefined);
  });

  api.get('/ballots/:id/roll/difference', {
    summary: 'Members who joined, resigned or changed coverage after the cut-off (reported, never applied to the roll)',
    roles: [...ROLES],
    tags: ['ballots'],
    params: idParam,
    responses: { 200: rollDifferenceResponse },
  }, async ({ hub, staff, params }) => rollDifference(hub, staff, params.id));

  api.post('/ballots/:id/roll/exports', {
    summary: 'Export the roll for the provider as CSV encrypted with OpenPGP to the provider\'s key (admin only; audited)',
    roles: ['admin'],
    tags: ['ballots'],
    params: idParam,
    body: Joi.object({
      fields: Joi.array().items(Joi.string().valid('email', 'phone', 'address')).unique().default([]),
      publicKey: Joi.string().max(100_000).description('armored OpenPGP public key; default: the key stored on the ballot'),
    }),
    responses: { 201: rollExportFile },
  }, async ({ hub, staff, params, body, res }) => {
    const out = await exportRoll(hub, staff, params.id, body);
    res.status(201)
      .set('Content-Type', 'application/pgp-encrypted')
      .set('Content-Disposition', `attachment; filename="${out.filename}"`)
      .set('Cache-Control', 'no-store')
      .set('X-Export-Id', String(out.exportId))
      .set('X-Row-Count', String(out.rowCount))
      .set('X-Key-Fingerprint', out.keyFingerprint)
      .send(out.armored);
    return undefined;
  });

  api.get('/ballots/:id/roll/exports', {
    summary: 'The exports made of a ballot\'s roll (who, when, which fields, which key; no content is kept)',
    roles: ['admin'],
    tags: ['ballots'],
    params: idParam,
    responses: { 200: rollExports },
  }, async ({ hub, params }) => ({ exports: await listRollExports(hub, params.id) }));

  api.get('/ballots/:id/plan', {
    summary: 'How many roll members each notification would reach now, per channel (a preview; nothing is sent)',
    roles: [...ROLES],
    tags: ['ballots'],
    params: idParam,
    responses: { 200: plan },
  }, async ({ hub, params }) => ({ notifications: await planNotifications(hub, params.id) }));

  api.post('/ballots/:id/result', {
    summary: 'Add the result of a closed ballot; the result notification goes out at once',
    roles: [...ROLES],
    tags: ['ballots'],
    params: idParam,
    body: Joi.object({ text: Joi.string().trim().min(1).max(5000).required() }),
    responses: { 200: ballotSchema },
  }, async ({ hub, staff, params, body }) => {
    await addResult(hub, staff, params.id, body.text);
    await sync(hub, params.id);
    return getBallot(hub, params.id);
  });

  api.post('/ballots/:id/cancel', {
    summary: 'Cancel a draft or open ballot: pending notifications are removed, running ones cancelled',
    roles: [...ROLES],
    tags: ['ballots'],
    params: idParam,
    responses: { 200: ballotSchema },
  }, async ({ hub, staff, params }) => {
    const running = await cancelBallot(hub, staff, params.id);
    await sync(hub, params.id);
    for (const campaignId of running) {
      await campaignGateway.cancel(hub, campaignId).catch((err) => hub.log.warn({ ballotId: params.id, campaignId, err: err.message }, 'could not cancel ballot campaign'));
    }
    return getBallot(hub, params.id);
  });
}
