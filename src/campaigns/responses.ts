import Joi from 'joi';
import { audiencePreviewSchema } from '../audience';
import { anyObject, channel, count, countsBy, id, nullableStr, nullableTimestamp, shape, timestamp } from '../http/schemas';

const state = Joi.string().valid('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled');
const lang = Joi.string().valid('nb', 'nn', 'en');

/** A campaign as stored (campaignFromRow): the list shows these. */
export const campaignFields = {
  id,
  kind: Joi.string().valid('campaign', 'single', 'ballot', 'register_event', 'test'),
  name: Joi.string(),
  category: Joi.string(),
  channels: Joi.array().items(channel),
  state,
  pausedReason: Joi.string().valid('staff', 'provider_unavailable').allow(null),
  audience: Joi.any().description('the audience filter as stored (AudienceFilter), null once a strike campaign\'s recipients are erased'),
  sendAt: nullableTimestamp,
  templates: Joi.object({ email: id, sms: id, letter: id }).description('template version id per channel'),
  links: Joi.object().pattern(Joi.string(), Joi.string()),
  printMode: Joi.string().valid('letters', 'address_list'),
  createdBy: id.allow(null),
  createdAt: timestamp,
  updatedAt: timestamp,
  approval: shape({ required: Joi.boolean(), requestedBy: id.allow(null), requestedAt: nullableTimestamp, approvedBy: id.allow(null), approvedAt: nullableTimestamp }),
  launchedAt: nullableTimestamp,
  snapshotAt: nullableTimestamp,
  snapshot: shape({ state: Joi.string().valid('pending', 'taking', 'done'), taken: count }),
  deliveryWindow: Joi.object({ minutes: count, perHour: count, plan: anyObject }).allow(null),
  completedAt: nullableTimestamp,
  cancelledAt: nullableTimestamp,
  audienceSize: count.allow(null),
};
export const campaignRowSchema = shape(campaignFields).id('CampaignRow');

const COUNTED = ['queued', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'skipped', 'cancelled', 'in_doubt'];
/** What every campaign route answers (withProgress): the row, progress per state and channel, counts, open halts. */
export const campaignProgressFields = {
  ...campaignFields,
  approvalRequired: Joi.boolean(),
  progress: shape({ total: count, byState: countsBy, byChannel: Joi.object().pattern(Joi.string(), countsBy) }),
  counts: shape(Object.fromEntries(COUNTED.map((k) => [k, count]))),
  halts: Joi.array().items(shape({ channel, reason: Joi.string().valid('provider_unavailable', 'retries_exhausted'), message: Joi.string(), at: timestamp })),
  smsHeldUntil: nullableTimestamp.description('SMS waiting for the quiet hours to end'),
};
export const campaignSchema = shape(campaignProgressFields).id('Campaign');
/** A create (or a repeat of one, with its idempotency key) says whether it made the campaign. */
export const createdCampaign = shape({ ...campaignProgressFields, created: Joi.boolean() });

export const campaignList = shape({ campaigns: Joi.array().items(campaignRowSchema) });

export const campaignReviewResponse = shape({
  campaign: campaignSchema,
  review: shape({
    audienceText: Joi.string(),
    preview: audiencePreviewSchema,
    content: Joi.array().items(shape({ channel, versionId: id, templateId: id, templateName: Joi.string(), version: id, languages: Joi.array().items(lang) })),
    fallback: Joi.array().items(shape({ language: lang, channel, members: count })),
    sms: Joi.array().items(shape({ language: lang, segments: count, encoding: Joi.string().valid('GSM-7', 'UCS-2'), characters: count }))
      .description('the SMS of every language for a sample member, with the opt-out line'),
    overlap: Joi.array().items(shape({ campaignId: id, name: Joi.string(), members: count, lastSentAt: timestamp })),
    people: shape({ createdBy: nullableStr, requestedBy: nullableStr, requestedAt: nullableTimestamp, approvedBy: nullableStr, approvedAt: nullableTimestamp }),
    warnings: Joi.array().items(Joi.string()),
  }),
});

export const testSent = shape({ sent: Joi.array().items(shape({ to: Joi.string(), channel })) });
/** launch and approve (202): the campaign, whether a second staff user must approve, and whether this was a repeat. */
export const launchAnswer = shape({ campaign: campaignSchema, approvalRequired: Joi.boolean(), repeated: Joi.boolean().optional() });
export const campaignAnswer = shape({ campaign: campaignSchema });
export const requeuedAnswer = shape({ campaign: campaignSchema, requeued: count });

export const communications = shape({
  memberNumber: Joi.string(),
  communications: Joi.array().items(shape({
    id, campaignId: id, campaign: Joi.string(), kind: Joi.string(), category: Joi.string(), channel, state: Joi.string(),
    reason: nullableStr, address: nullableStr, sentAt: nullableTimestamp, lastEvent: nullableStr, lastEventAt: nullableTimestamp,
    fallbackFrom: channel.allow(null), createdAt: timestamp,
  })),
});
