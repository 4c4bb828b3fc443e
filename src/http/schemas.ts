import Joi from 'joi';

/**
 * Building blocks for the response schemas of RouteSpec.responses (contract C4): joi schemas
 * that /api/openapi.json turns into JSON Schema, and that the contract test
 * (test/openapi-contract.test.ts) checks every answer against.
 */

/** Every key required unless it is marked `.optional()`: an answer always carries its fields. */
export function shape(keys: Record<string, Joi.Schema>): Joi.ObjectSchema {
  return Joi.object(Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, (v.describe() as any).flags?.presence === 'optional' ? v : v.required()])));
}

export const id = Joi.number().integer().min(1);
export const count = Joi.number().integer().min(0);
export const str = Joi.string().allow('');
export const nullableStr = Joi.string().allow(null, '');
/** A timestamp as JSON carries it (ISO 8601). */
export const timestamp = Joi.date();
export const nullableTimestamp = Joi.date().allow(null);
/** A calendar date, YYYY-MM-DD (PostgreSQL `date`). */
export const calendarDate = Joi.string().meta({ format: 'date' });
export const nullableDate = Joi.string().allow(null).meta({ format: 'date' });
export const channel = Joi.string().valid('email', 'sms', 'letter');
export const role = Joi.string().valid('admin', 'communications', 'representative', 'auditor', 'strike_committee');
/** Free-form JSON (an audience filter as stored, an audit entry's detail). */
export const anyObject = Joi.object().unknown(true);
/** Counts by a key (a reason, a channel, a state). */
export const countsBy = Joi.object().pattern(Joi.string(), count);
/** What ended when credentials were revoked. */
export const ended = shape({ tokens: count, sessions: count });

/** A non-JSON answer: a PDF, an HTML page, CSV, an OpenPGP message. */
export const pdf = { contentType: 'application/pdf', description: 'A PDF document' };
export const html = { contentType: 'text/html', description: 'An HTML page (UTF-8)' };
export const csv = { contentType: 'text/csv', description: 'CSV (UTF-8 with BOM), as an attachment' };
export const pgp = { contentType: 'application/pgp-encrypted', description: 'An ASCII-armored OpenPGP message (RFC 9580), as an attachment' };
