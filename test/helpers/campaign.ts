import net from 'node:net';
import type { Clock } from '../../src/clock';
import { buildApp, listenApp } from '../../src/http/app';
import { startEmulators, type Emulators } from '../../dev/emulators';
import { startCampaignWorkers, type CampaignWorkers } from '../../queues/campaigns.worker';
import { syncBuiltInTemplates } from '../../src/render';
import { createTestHub, type TestHub } from './hub';

export { startEmulators, type Emulators } from '../../dev/emulators';

export const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
export const TWILIO_TOKEN = 'test-auth-token-0123456789';
export const TWILIO_SERVICE = 'MG0123456789abcdef0123456789abcdef';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
}

/** The wall clock, moved forward by tests that need a later time (scheduled launches). */
export class OffsetClock implements Clock {
  private offset = 0;
  now(): Date { return new Date(Date.now() + this.offset); }
  advance(ms: number): void { this.offset += ms; }
  reset(): void { this.offset = 0; }
}

export interface CampaignRig extends TestHub {
  em: Emulators;
  url: string;
  clock: OffsetClock;
  workers: CampaignWorkers | null;
  startWorkers(): Promise<CampaignWorkers>;
}

/**
 * A hub on its own database and queue prefix, its HTTP app on a known loopback port (so the
 * emulators' signed webhooks and status callbacks reach it), the SendGrid and Twilio emulators
 * with the real SDKs pointed at them, and the built-in templates stored.
 */
export async function campaignRig(opts: { env?: Record<string, string>; ledgerMode?: 'full' | 'compact' | 'count'; workers?: boolean } = {}): Promise<CampaignRig> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const em = await startEmulators({
    hubUrl: base, sendgrid: { apiKey: 'SG.test-key' }, twilio: { accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }, ledgerMode: opts.ledgerMode ?? 'full',
  });
  const clock = new OffsetClock();
  const t = await createTestHub({
    clock,
    env: {
      ...em.env, PUBLIC_BASE_URL: base, SENDGRID_API_KEY: 'SG.test-key', TWILIO_ACCOUNT_SID: TWILIO_SID, TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_MESSAGING_SERVICE_SID: TWILIO_SERVICE, LETTER_OUTPUT_DIR: `test/artifacts/letters-${port}`, SMS_RATE_PER_SECOND: '0',
      // Quiet hours have their own test; the end-to-end tests run at any hour.
      SMS_QUIET_HOURS: '00:00-00:00', ...opts.env,
    },
  });
  await syncBuiltInTemplates(t.hub);
  const app = buildApp(t.hub);
  const server = await listenApp(app, port, '127.0.0.1');
  const rig: CampaignRig = {
    ...t, em, url: base, clock, workers: null,
    async startWorkers() {
      rig.workers = await startCampaignWorkers(t.hub);
      return rig.workers;
    },
    async close() {
      if (rig.workers) await rig.workers.close();
      await new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); });
      await em.close();
      await t.close();
    },
  };
  if (opts.workers !== false) await rig.startWorkers();
  return rig;
}

/**
 * Limits in tests are written for a quiet machine; CI must also pass beside a second CI run on the
 * same two cores (load average 15 seen), so every wait gets WAIT_FACTOR times its written limit.
 * A wait is for a state, never for a time: it returns as soon as the state is there.
 */
const WAIT_FACTOR = Number(process.env.TEST_WAIT_FACTOR ?? 5);

/** Polls until `fn` returns a truthy value (or fails after WAIT_FACTOR × `ms`). */
export async function until<T>(fn: () => Promise<T>, ms = 30_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms * WAIT_FACTOR;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
