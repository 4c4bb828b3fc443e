import Joi from 'joi';
import { anyObject, count, countsBy, id, shape, timestamp } from '../http/schemas';

const counts = count.required();
/** One count per requested channel. */
const channelCounts = Joi.object({ email: count.optional(), sms: count.optional(), letter: count.optional() }).unknown(false).required();

/** What the preview answers (C4); also inside a campaign's review. */
export const audiencePreviewSchema = Joi.object({
  total: counts, byChannel: channelCounts, reachableOn: channelCounts, unreachable: counts,
  unreachableReasons: countsBy.required(),
  sample: Joi.array().items(Joi.object({ memberNumber: Joi.string().required(), firstName: Joi.string().allow(null, '').required(),
    lastName: Joi.string().allow(null, '').required(), municipality: Joi.string().allow(null, '').required(), channel: Joi.string().valid('email', 'sms', 'letter').allow(null).required() })).max(20).required(),
}).id('AudiencePreview');

/** A saved audience. */
export const savedAudienceSchema = shape({ id, name: Joi.string(), filter: anyObject.description('an audience filter (AudienceFilter)'), createdBy: id.allow(null), createdAt: timestamp, updatedAt: timestamp }).id('SavedAudience');
