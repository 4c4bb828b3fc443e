import Joi from 'joi';
import { count, ended, id, nullableStr, nullableTimestamp, role, shape, timestamp } from '../http/schemas';

/** A staff user as handlers and GET /api/me see them (staffFromRow). */
export const staffSchema = shape({ id, email: Joi.string(), name: Joi.string(), role, memberId: id.allow(null) }).id('Staff');

/** A staff user as the user list shows them (the SQL's snake_case columns). */
export const staffListRow = shape({
  id, email: Joi.string(), name: Joi.string(), role, member_number: nullableStr, created_at: timestamp, disabled_at: nullableTimestamp,
}).id('StaffListRow');

export const staffPatched = staffListRow.keys({ ended: ended.required() }).id('StaffPatched');

/** GET /api/users: a list row with whether the user has two-factor sign-in. */
export const staffUsersRow = staffListRow.keys({ two_factor: Joi.boolean().required().description('has a confirmed authenticator (TOTP)') }).id('StaffUsersRow');

/** An admin's reset of a user's two-factor sign-in. */
export const twoFactorReset = shape({ removed: Joi.boolean().description('an authenticator was removed'), sessions: count.description('web sessions ended') });

/** An API token, never its secret. */
export const tokenRow = shape({ id, name: Joi.string(), created_at: timestamp, last_used_at: nullableTimestamp, revoked_at: nullableTimestamp });
/** A new token: the secret, shown this once. */
export const newToken = shape({ id, token: Joi.string().description('shown once; store it now') });
