import path from 'node:path';
import { createRequire } from 'node:module';
import type { Config } from './config';
import { ROOT } from './paths';

/**
 * The seam between the hub and the development-only provider emulators (`dev/emulators`).
 *
 * Production never loads them: nothing under `src/` imports `dev/` statically (so `npm run build`
 * does not compile them and `dist/` has none), and this loader refuses `NODE_ENV=production`
 * before it resolves the module. `test/dev-boundary.test.ts` proves both.
 */
export interface DevEmulatorsHandle {
  /** The config with the emulators' URLs and webhook public key filled in. */
  config: Config;
  /** One line for the start-up banner. */
  describe: string;
  close(): Promise<void>;
}

export interface DevEmulatorsModule {
  startForHub(config: Config): Promise<DevEmulatorsHandle>;
}

export const DEV_EMULATORS_DIR = path.join(ROOT, 'dev', 'emulators');

export function loadDevEmulators(config: Pick<Config, 'nodeEnv'>): DevEmulatorsModule {
  if (config.nodeEnv === 'production') throw new Error('the provider emulators are development-only and never load in production');
  try {
    // A computed path: the TypeScript build does not follow it into dev/.
    return createRequire(__filename)(DEV_EMULATORS_DIR) as DevEmulatorsModule;
  } catch (err: any) {
    if (err?.code === 'MODULE_NOT_FOUND') {
      throw new Error('the development-only provider emulators are not part of this build; run `npm start` from the source tree, set SENDGRID_BASE_URL and TWILIO_BASE_URL, or EMULATORS=0', { cause: err });
    }
    throw err;
  }
}

/**
 * The in-process emulators sign their Event Webhook with a key of their own, whose public half
 * they hand the hub. A configured SENDGRID_WEBHOOK_PUBLIC_KEY belongs to a real account (or an
 * external emulator); replacing it silently would make the hub verify the wrong signer. So
 * start-up refuses, naming the ways out (issue 14). Returns the message, or null when no conflict.
 */
export function emulatorKeyConflict(config: Pick<Config, 'sendgrid'>): string | null {
  if (!config.sendgrid.webhookPublicKey) return null;
  return 'SENDGRID_WEBHOOK_PUBLIC_KEY is set, but the in-process emulators sign events with their own key and would replace it; '
    + 'set SENDGRID_BASE_URL and TWILIO_BASE_URL to the services that key belongs to, or unset SENDGRID_WEBHOOK_PUBLIC_KEY, or set EMULATORS=0';
}
