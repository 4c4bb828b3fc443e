import Joi from 'joi';
import { channel, count, id, nullableStr, nullableTimestamp, shape, timestamp } from '../http/schemas';

/** A message category (categoryFromRow). */
export const categorySchema = shape({
  code: Joi.string(), nameNb: Joi.string(), legalBasis: Joi.string(), declinable: Joi.boolean(), defaultOn: Joi.boolean(),
  channels: Joi.array().items(channel), updatedAt: timestamp,
}).id('Category');

/** A suppressed address (suppressionFromRow). */
export const suppressionSchema = shape({
  id, channel: Joi.string().valid('email', 'sms'), address: Joi.string(),
  reason: Joi.string().valid('hard_bounce', 'spam_complaint', 'invalid_number', 'carrier_opt_out'),
  sourceEvent: nullableStr, at: timestamp, active: Joi.boolean(), liftedAt: nullableTimestamp, liftedBy: id.allow(null), liftReason: nullableStr,
}).id('Suppression');

const source = Joi.string().valid('unsubscribe_link', 'one_click', 'preference_page', 'sms_keyword', 'provider_event', 'staff', 'import');
/** A member's consent state and ledger (memberConsents): also part of the access export. */
export const memberConsentsFields = {
  preferredChannel: channel.allow(null),
  current: Joi.array().items(shape({
    category: Joi.string(), channel, declinable: Joi.boolean(), granted: Joi.boolean(), isDefault: Joi.boolean(),
    choiceEventId: id.allow(null), choiceAt: nullableTimestamp, reachable: Joi.boolean(), unreachableReason: nullableStr,
  })),
  history: Joi.array().items(shape({
    id, category: Joi.string().allow(null), channel: channel.allow(null), granted: Joi.boolean(), source, actor: nullableStr,
    actorUserId: id.allow(null), campaignId: id.allow(null), reason: nullableStr, at: timestamp,
  })),
};
export const memberConsentsSchema = shape(memberConsentsFields).id('MemberConsents');

export const consentsResponse = shape({ memberNumber: Joi.string(), ...memberConsentsFields, suppressions: Joi.array().items(suppressionSchema) });
export const consentChange = shape({ changed: Joi.boolean(), eventId: id.allow(null) });
export const suppressionList = shape({ total: count, suppressions: Joi.array().items(suppressionSchema) });
export const providerEvents = shape({
  since: timestamp,
  counts: Joi.array().items(shape({ provider: Joi.string(), outcome: Joi.string(), reason: nullableStr, n: count })),
  events: Joi.array().items(shape({
    provider: Joi.string().valid('sendgrid', 'twilio'), eventId: Joi.string(), event: nullableStr, outcome: Joi.string().valid('applied', 'rejected', 'skipped'),
    reason: nullableStr, sendLogId: id.allow(null), receivedAt: timestamp,
  })),
});
