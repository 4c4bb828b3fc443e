import { campaignRig, type CampaignRig } from '../helpers/campaign';
import { launchBrowser, staffWithPassword, type TestBrowser } from './browser';

export interface CommunicationsInBrowser {
  rig: CampaignRig;
  b: TestBrowser;
  comms: Awaited<ReturnType<typeof staffWithPassword>>;
}

/**
 * The staff-page suites' one rig: a campaign rig (hub, workers, emulators, server), a Chromium,
 * and a communications user with a password. Call inside `describe`: it registers the hooks and
 * returns an object whose fields are set in `beforeAll` (read them inside tests).
 */
export function communicationsInBrowser(opts: { env?: Record<string, string>; staff?: { email?: string; name?: string } } = {}): CommunicationsInBrowser {
  const s = {} as CommunicationsInBrowser;
  beforeAll(async () => {
    s.rig = await campaignRig(opts.env ? { env: opts.env } : {});
    s.b = await launchBrowser();
    s.comms = await staffWithPassword(s.rig.hub, 'communications', opts.staff ?? {});
  });
  afterAll(async () => { await s.b?.close(); await s.rig?.close(); });
  return s;
}
