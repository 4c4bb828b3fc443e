import Joi from 'joi';
import { campaignRowSchema } from '../campaigns';
import { anyObject, count, countsBy, csv, id, nullableStr, nullableTimestamp, pgp, shape, timestamp } from '../http/schemas';

const state = Joi.string().valid('notified', 'notice_given', 'on_strike', 'ended');
const purpose = Joi.string().valid('announcement', 'instruction', 'end');

export const strikeFields = {
  id, name: Joi.string(),
  agreement: shape({ id, code: Joi.string(), name: Joi.string(), bargainingArea: nullableStr }),
  state,
  notifiedAt: timestamp, noticeGivenAt: nullableTimestamp, onStrikeAt: nullableTimestamp, endedAt: nullableTimestamp,
  mediationDeadline: nullableTimestamp.description('mekling'),
  createdBy: id.allow(null), createdAt: timestamp,
  erasedAt: nullableTimestamp, erasedCounts: countsBy.allow(null).description('what the end of the strike erased, counts only'),
};
export const strikeRowSchema = shape(strikeFields).id('StrikeRow');

export const phaseSchema = shape({
  id, strikeId: id, number: id, name: Joi.string(), startsAt: timestamp,
  selection: anyObject.allow(null).optional().description('the audience filter (AudienceFilter); null once erased; left out for representatives and auditors'),
  counts: shape({ takenOut: count, takenBack: count, onStrikeNow: count }),
}).id('StrikePhase');

/** A strike with its phases (strikeView). */
export const strikeSchema = shape({ ...strikeFields, onStrikeNow: count, phases: Joi.array().items(phaseSchema) }).id('Strike');
export const strikeEnded = shape({ ...strikeFields, onStrikeNow: count, phases: Joi.array().items(phaseSchema), erased: countsBy.optional() });

export const strikeList = shape({ strikes: Joi.array().items(strikeRowSchema) });
export const phaseCreated = shape({ phase: phaseSchema, selected: count });
export const takenBack = shape({ takenBack: count });
export const strikeMembers = shape({
  total: count,
  members: Joi.array().items(shape({
    memberNumber: Joi.string(), firstName: Joi.string().allow(''), lastName: Joi.string().allow(''), workplace: nullableStr, employer: nullableStr,
    phase: id, onStrike: Joi.boolean(), returnedAt: nullableTimestamp,
  })),
});
const strikeMessage = campaignRowSchema.keys({ purpose: purpose.required(), phaseId: id.allow(null).required() });
export const strikeMessages = shape({ messages: Joi.array().items(strikeMessage) });
/** A strike message made (201) or sent (202): the campaign, its purpose and phase, and the launch if it was launched. */
export const strikeMessageAnswer = shape({
  campaign: campaignRowSchema, purpose, phaseId: id.allow(null),
  launch: shape({ campaign: campaignRowSchema, approvalRequired: Joi.boolean(), recipients: count.allow(null).optional() }).allow(null),
});

export const phaseEmployers = shape({ employers: Joi.array().items(shape({ id, name: Joi.string(), orgNumber: Joi.string(), takenOut: count, takenBack: count })) });
export const noticeExports = shape({
  exports: Joi.array().items(shape({
    id, phaseId: id, phase: id, employerId: id, employer: Joi.string(), format: Joi.string().valid('csv', 'pgp'), fields: Joi.array().items(Joi.string()),
    rowCount: count, returnedCount: count, keyFingerprint: nullableStr, createdBy: id.allow(null), createdAt: timestamp,
  })),
});
/** The plassoppsigelse list: CSV, or that CSV encrypted to the employer's key (headers X-Export-Id, X-Row-Count). */
export const noticeList = { ...csv, description: 'The plassoppsigelse list as CSV (format csv; headers X-Export-Id, X-Row-Count)' };
export const noticeListPgp = { ...pgp, description: "The list encrypted to the employer's OpenPGP key (format pgp)" };

const committeeFields = {
  id, strikeId: id, name: Joi.string(), location: Joi.string(),
  members: Joi.array().items(shape({ id, name: Joi.string(), email: Joi.string() })),
  guards: count, shifts: count,
};
export const committeeSchema = shape(committeeFields).id('StrikeCommittee');
export const committeeList = shape({ committees: Joi.array().items(committeeSchema) });
export const myCommittees = shape({ committees: Joi.array().items(shape({ ...committeeFields, strikeName: Joi.string() })) });
/** A guard; phone and email only inside the guard's committee (or one it was shared with, with consent). */
export const guardSchema = shape({
  id, committeeId: id, name: Joi.string(), phone: nullableStr.optional(), email: nullableStr.optional(),
  volunteeredAt: timestamp, shareConsent: Joi.boolean(), sharedFrom: id.allow(null), shifts: Joi.array().items(id),
}).id('StrikeGuard');
export const guardList = shape({ guards: Joi.array().items(guardSchema), contacts: Joi.boolean().description('whether contact details are shown') });
export const guardShared = shape({ guardId: id, committeeId: id });
export const shiftSchema = shape({ id, place: Joi.string(), startsAt: timestamp, endsAt: timestamp, guards: Joi.array().items(id) }).id('StrikeShift');
export const shiftList = shape({ shifts: Joi.array().items(shiftSchema) });
export const guardListCsv = { ...csv, description: 'The guard list with shifts (Sted, Fra, Til, Vakt, Telefon, E-post)' };
