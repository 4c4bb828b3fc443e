import Joi from 'joi';
import { memberConsentsSchema } from '../consent';
import { memberFields } from '../members';
import { anyObject, calendarDate, count, countsBy, html, id, nullableDate, nullableStr, nullableTimestamp, shape, timestamp } from '../http/schemas';

/** The access export (innsyn): everything held about one member, as one document (MemberExport). */
export const memberExportSchema = shape({
  documentType: Joi.string().valid('budstikke.member-export'),
  version: Joi.number().valid(1),
  generatedAt: timestamp,
  union: Joi.string(),
  member: shape(memberFields),
  agreements: Joi.array().items(shape({ code: Joi.string(), name: Joi.string(), bargainingArea: nullableStr, coveredFrom: calendarDate })),
  roles: Joi.array().items(shape({ role: Joi.string(), branch: nullableStr, club: nullableStr, workplace: nullableStr, startsOn: calendarDate, endsOn: nullableDate })),
  categories: Joi.object().pattern(Joi.string(), shape({ name: Joi.string(), legalBasis: Joi.string(), declinable: Joi.boolean() })),
  consents: memberConsentsSchema,
  suppressions: Joi.array().items(shape({ channel: Joi.string(), address: Joi.string(), reason: Joi.string(), at: timestamp, active: Joi.boolean(), liftedAt: nullableTimestamp, liftReason: nullableStr })),
  messages: Joi.array().items(shape({
    campaignId: id, campaign: Joi.string(), category: Joi.string(), kind: Joi.string(), channel: Joi.string(), state: Joi.string(), reason: nullableStr,
    address: nullableStr, sentAt: nullableTimestamp, lastEvent: nullableStr, lastEventAt: nullableTimestamp, loggedAt: timestamp,
  })),
  ballotRolls: Joi.array().items(shape({ ballotId: id, title: Joi.string(), state: Joi.string(), opensAt: timestamp, closesAt: timestamp, rollCutoffAt: nullableTimestamp })),
  staffAccount: shape({ role: Joi.string(), email: Joi.string(), createdAt: timestamp, disabledAt: nullableTimestamp }).allow(null),
  accessLog: Joi.array().items(shape({ at: timestamp, action: Joi.string(), actor: Joi.string(), actorName: nullableStr, actorRole: nullableStr, rowCount: count.allow(null), detail: Joi.any() })),
  retention: shape({ resignedMemberYears: count, erasureDueOn: nullableDate, heldForOutstandingDues: Joi.boolean() }),
}).id('MemberExport');

export const memberExportHtml = { ...html, description: 'The access export as a Norwegian HTML page (an attachment with download=true)' };

export const erasureSchema = shape({
  memberNumber: Joi.string(), members: count, sendLogAnonymised: count, sendLogCancelled: count, consentEventsAnonymised: count, suppressionsDeleted: count,
  suppressionsKept: count, auditRowsUnlinked: count, auditSearchesScrubbed: count, staffAccountsUnlinked: count, staffAccountsDisabled: count,
  campaignAudiencesScrubbed: count, related: countsBy,
});

export const auditPage = shape({
  entries: Joi.array().items(shape({
    id, at: timestamp, actor: Joi.string(), actorUserId: id.allow(null), actorName: nullableStr, actorRole: nullableStr, action: Joi.string(),
    memberId: id.allow(null), memberNumber: nullableStr, rowCount: count.allow(null), detail: anyObject,
  })),
  nextBefore: id.allow(null).description('pass as before= for the next page; null on the last'),
});

export const strikeEndedSchema = shape({
  campaignId: id, strikeEndedAt: timestamp, recipientsErased: Joi.boolean(), sendLogRows: count, otherRows: count, pending: Joi.string().optional(),
});

export const sweepReport = shape({
  at: timestamp, skipped: Joi.string().optional(),
  cutoffs: shape({ resignedOnOrBefore: Joi.string(), sendLogBefore: Joi.string(), auditBefore: Joi.string(), ballotsClosedBefore: Joi.string() }),
  resignedMembersErased: count, resignedMembersHeld: count, strikeCampaignsErased: count, strikeRecipientRowsErased: count,
  electoralRollsErased: count, rollEntriesDeleted: count, rollExportsDeleted: count, sendLogRowsReduced: count, auditRowsDeleted: count, ms: Joi.number(),
});
