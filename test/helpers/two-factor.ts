import type { Hub } from '../../src/hub';
import type { Clock } from '../../src/clock';
import { TOTP_PERIOD, enrolWithSecret, totpCode, type Staff } from '../../src/auth';
import { until } from './campaign';

/**
 * Two-factor sign-in in tests, done honestly: test users are enrolled with a known secret through
 * the same function the demo seed uses, and sign-in helpers compute the code as an authenticator
 * app would, from the hub's clock (tests usually freeze it).
 *
 * The hub refuses a code of a time step already used, and accepts one step either side of now.
 * So the helper remembers the last step it used per user and takes now, then now + 1; when both
 * are used (a third sign-in of the same user under a frozen clock) it spends one of the user's
 * recovery codes, as a person without their phone would, and when those run out it waits for the
 * clock to move on.
 */
export const TEST_TOTP_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';

export interface TwoFactorUser { email: string; totpSecret?: string; recoveryCodes?: string[]; clock?: Clock }

const lastStep = new Map<string, number>();

export async function enrolForTests(hub: Hub, staff: Staff, secret = TEST_TOTP_SECRET): Promise<{ totpSecret: string; recoveryCodes: string[]; clock: Clock }> {
  const recoveryCodes = await enrolWithSecret(hub, staff, secret, { actor: 'test-fixture' });
  lastStep.delete(staff.email);
  return { totpSecret: secret, recoveryCodes, clock: hub.clock };
}

/** The code for one time step, as an authenticator app shows it. */
export function codeAt(secret: string, step: number): string {
  return totpCode(secret, step * TOTP_PERIOD + 1);
}

/** A second factor this user has not used yet: a fresh TOTP code, else a recovery code. */
export async function nextSecondFactor(user: TwoFactorUser): Promise<string> {
  const secret = user.totpSecret ?? TEST_TOTP_SECRET;
  const now = () => Math.floor((user.clock?.now() ?? new Date()).getTime() / 1000 / TOTP_PERIOD);
  const last = lastStep.get(user.email) ?? -1;
  for (const step of [now(), now() + 1]) {
    if (step > last) { lastStep.set(user.email, step); return codeAt(secret, step); }
  }
  const spare = user.recoveryCodes?.shift();
  if (spare) return spare;
  await until(async () => now() > last, 120_000, 'the next TOTP time step (a frozen test clock never gets there: advance it)');
  lastStep.set(user.email, now());
  return codeAt(secret, now());
}
