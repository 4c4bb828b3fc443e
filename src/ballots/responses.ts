import Joi from 'joi';
import { channel, count, countsBy, id, nullableDate, nullableStr, nullableTimestamp, pgp, shape, timestamp, calendarDate } from '../http/schemas';

const kind = Joi.string().valid('opened', 'reminder', 'result');
const duration = Joi.string().description('ISO 8601 duration before closing, e.g. P3D');

/** A ballot as every ballot route answers it (BallotView). */
export const ballotSchema = shape({
  id, title: Joi.string(), state: Joi.string().valid('draft', 'open', 'closed', 'cancelled'),
  agreements: Joi.array().items(shape({ code: Joi.string(), name: Joi.string() })),
  opensAt: timestamp, closesAt: timestamp,
  eligibility: Joi.object({ categories: Joi.array().items(Joi.string()), employerOrgNumbers: Joi.array().items(Joi.string()), workplaceOrgNumbers: Joi.array().items(Joi.string()) }),
  votingUrl: nullableStr, votingUrlTemplate: nullableStr,
  reminders: Joi.array().items(duration),
  channels: Joi.array().items(channel),
  providerKeyFingerprint: nullableStr,
  result: shape({ text: Joi.string(), addedAt: nullableTimestamp }).allow(null),
  roll: shape({ cutoffAt: nullableTimestamp, frozenAt: nullableTimestamp, size: count.allow(null), erasedAt: nullableTimestamp, exports: count }),
  notifications: Joi.array().items(shape({
    kind, offsetBeforeClose: duration.allow(null), dueAt: nullableTimestamp,
    state: Joi.string().valid('pending', 'launching', 'launched', 'cancelled', 'skipped'),
    channels: Joi.array().items(channel), note: nullableStr, campaignId: id.allow(null),
  })),
  createdAt: timestamp,
}).id('Ballot');

export const ballotList = shape({ total: count, ballots: Joi.array().items(ballotSchema) });
export const frozenRoll = shape({ cutoffAt: timestamp, size: count });

const differenceEntry = shape({
  memberNumber: Joi.string(), firstName: Joi.string().allow(''), lastName: Joi.string().allow(''), status: Joi.string(),
  reason: Joi.string().valid('joined', 'coverage_started', 'now_in_scope', 'resigned', 'coverage_ended', 'out_of_scope'),
  joinedAt: calendarDate, resignedAt: nullableDate,
});
export const rollDifference = shape({ ballotId: id, cutoffAt: timestamp, rollSize: count, notOnRoll: Joi.array().items(differenceEntry), noLongerEligible: Joi.array().items(differenceEntry) });
export const rollExports = shape({
  exports: Joi.array().items(shape({ id, createdAt: timestamp, createdBy: id.allow(null), fields: Joi.array().items(Joi.string().valid('email', 'phone', 'address')), rowCount: count, keyFingerprint: Joi.string() })),
});
export const plan = shape({
  notifications: Joi.array().items(shape({
    kind, offsetBeforeClose: duration.allow(null), channels: Joi.array().items(channel), note: nullableStr,
    audience: count, byChannel: countsBy, unreachable: countsBy,
  })),
});
/** The roll for the voting provider: CSV encrypted to its OpenPGP key (headers X-Export-Id, X-Row-Count, X-Key-Fingerprint). */
export const rollExportFile = { ...pgp, description: "The roll as CSV encrypted to the provider's OpenPGP key, ASCII-armored (headers: X-Export-Id, X-Row-Count, X-Key-Fingerprint)" };
