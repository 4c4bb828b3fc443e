import crypto, { type KeyObject } from 'node:crypto';
import type { Config } from '../../src/config';
import type { DevEmulatorsHandle } from '../../src/dev-emulators';
import { startSendgridEmulator, type SendgridEmulator, type SendgridEmulatorOptions } from './sendgrid';
import { startTwilioEmulator, type TwilioEmulator, type TwilioEmulatorOptions } from './twilio';

export * from './sendgrid';
export * from './twilio';
export type { LedgerMode } from './http';

/** Webhook paths the hub serves (issue 3). */
export const HUB_WEBHOOK_PATHS = {
  sendgridEvents: '/webhooks/sendgrid/events',
  twilioInbound: '/webhooks/twilio/inbound',
  twilioStatus: '/webhooks/twilio/status',
} as const;

export interface StartEmulatorsOptions {
  /** Credentials the hub's adapters will use (config.sendgrid / config.twilio); defaults are config.ts's dev defaults. */
  sendgrid?: Partial<Pick<Config['sendgrid'], 'apiKey'>>;
  twilio?: Partial<Pick<Config['twilio'], 'accountSid' | 'authToken'>>;
  /**
   * Where the hub is actually listening (e.g. http://127.0.0.1:3000). SendGrid events go to
   * `${hubUrl}/webhooks/sendgrid/events`; Twilio status callbacks are delivered to this origin
   * (signed over the StatusCallback URL the hub gave). Omit to send no webhooks/callbacks; set
   * later with `sendgrid.setWebhookUrl()`.
   */
  hubUrl?: string;
  /** P-256 private key for SendGrid events (generated when absent; pass one to keep the public key stable across restarts). */
  signingKey?: KeyObject;
  /** Port for each (0 = random). */
  sendgridPort?: number;
  twilioPort?: number;
  keepBodies?: number;
  ledgerMode?: SendgridEmulatorOptions['ledgerMode'];
  sendgridOptions?: Partial<SendgridEmulatorOptions>;
  twilioOptions?: Partial<TwilioEmulatorOptions>;
}

export interface Emulators {
  sendgrid: SendgridEmulator;
  twilio: TwilioEmulator;
  /** Put these into the hub's Config (sendgrid.baseUrl, sendgrid.webhookPublicKey, twilio.baseUrl). */
  config: { sendgrid: { baseUrl: string; webhookPublicKey: string }; twilio: { baseUrl: string } };
  /** The same as environment variables (SENDGRID_BASE_URL, SENDGRID_WEBHOOK_PUBLIC_KEY, TWILIO_BASE_URL). */
  env: Record<'SENDGRID_BASE_URL' | 'SENDGRID_WEBHOOK_PUBLIC_KEY' | 'TWILIO_BASE_URL', string>;
  close(): Promise<void>;
}

const DEV_ACCOUNT_SID = 'AC00000000000000000000000000000000';
const DEV_AUTH_TOKEN = 'emulator-auth-token-000000';

/**
 * Development-only loopback emulators of SendGrid and Twilio (tests, benchmarks, `npm start` in
 * development). Production never loads this folder: see src/dev-emulators.ts. Fault modes are
 * switched per test through `emulators.sendgrid.faults` / `emulators.twilio.faults` (or
 * `POST {url}/__emulator/faults` with the same JSON); dev/emulators/README.md lists them.
 */

/** Both emulators on random loopback ports, wired to a hub. In-process (tests, `npm start` in development) or via cli.ts. */
export async function startEmulators(opts: StartEmulatorsOptions = {}): Promise<Emulators> {
  const hub = opts.hubUrl?.replace(/\/+$/, '');
  const sendgrid = await startSendgridEmulator({
    port: opts.sendgridPort ?? 0,
    apiKey: opts.sendgrid?.apiKey,
    signingKey: opts.signingKey ?? crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey,
    webhookUrl: hub ? `${hub}${HUB_WEBHOOK_PATHS.sendgridEvents}` : undefined,
    keepBodies: opts.keepBodies,
    ledgerMode: opts.ledgerMode,
    ...opts.sendgridOptions,
  });
  let twilio: TwilioEmulator;
  try {
    twilio = await startTwilioEmulator({
      port: opts.twilioPort ?? 0,
      accountSid: opts.twilio?.accountSid ?? DEV_ACCOUNT_SID,
      authToken: opts.twilio?.authToken ?? DEV_AUTH_TOKEN,
      statusCallbackBase: hub,
      keepBodies: opts.keepBodies,
      ledgerMode: opts.ledgerMode,
      ...opts.twilioOptions,
    });
  } catch (e) {
    await sendgrid.close();
    throw e;
  }
  return {
    sendgrid,
    twilio,
    config: { sendgrid: { baseUrl: sendgrid.url, webhookPublicKey: sendgrid.publicKeyBase64 }, twilio: { baseUrl: twilio.url } },
    env: { SENDGRID_BASE_URL: sendgrid.url, SENDGRID_WEBHOOK_PUBLIC_KEY: sendgrid.publicKeyBase64, TWILIO_BASE_URL: twilio.url },
    async close() { await Promise.all([sendgrid.close(), twilio.close()]); },
  };
}

/** A Config with the emulators' URLs and public key filled in (refuses production). */
export function withEmulators(config: Config, emulators: Emulators): Config {
  if (config.nodeEnv === 'production') throw new Error('the provider emulators are never used in production');
  return {
    ...config,
    sendgrid: { ...config.sendgrid, ...emulators.config.sendgrid },
    twilio: { ...config.twilio, ...emulators.config.twilio },
  };
}

/** What `npm start` runs in development: both emulators wired to the hub on its own port (src/dev-emulators.ts loads this). */
export async function startForHub(config: Config): Promise<DevEmulatorsHandle> {
  const emulators = await startEmulators({
    hubUrl: `http://127.0.0.1:${config.port}`,
    sendgrid: { apiKey: config.sendgrid.apiKey },
    twilio: { accountSid: config.twilio.accountSid, authToken: config.twilio.authToken },
  });
  return {
    config: withEmulators(config, emulators),
    describe: `Provider emulators: SendGrid ${emulators.sendgrid.url}, Twilio ${emulators.twilio.url}`,
    close: () => emulators.close(),
  };
}
