import type { Request } from 'express';
import type { Hub } from '../hub';
import { staffForToken } from './tokens';
import type { Staff } from './staff';

export * from './staff';
export { createApiToken, createStaffUser, hashToken } from './tokens';
export { staffAccessSql } from './access';
export { endCredentials, endLapsedAccess } from './lifecycle';
export { TOTP_PERIOD, totpCode } from './totp';
export {
  confirmEnrolment, enrolWithSecret, pendingEnrolment, resetTwoFactor, twoFactorRequired, twoFactorStatus, verifySecondFactor,
  type SecondFactorResult, type TwoFactorStatus,
} from './two-factor';

/**
 * Ways a request can prove who it is, tried in order. The API's bearer token is built in;
 * the web pages add their session cookie with `addStaffResolver`.
 */
export type StaffResolver = (hub: Hub, req: Request) => Promise<Staff | null>;
const resolvers: StaffResolver[] = [bearer];

export function addStaffResolver(r: StaffResolver): void {
  if (!resolvers.includes(r)) resolvers.push(r);
}

async function bearer(hub: Hub, req: Request): Promise<Staff | null> {
  const h = req.headers.authorization;
  if (!h || !/^Bearer /i.test(h)) return null;
  return staffForToken(hub.db, h.slice(7).trim());
}

/** Returns the staff user, null when the request carries no credentials, or 'invalid'. */
export async function resolveStaff(hub: Hub, req: Request): Promise<Staff | null | 'invalid'> {
  for (const r of resolvers) {
    const s = await r(hub, req);
    if (s) return s;
  }
  return req.headers.authorization ? 'invalid' : null;
}
