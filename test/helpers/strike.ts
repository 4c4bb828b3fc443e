import { createTestHub, startApi, staffWithToken, type TestHub } from './hub';
import { createOrg, type Org } from './fixtures';
import type { Hub } from '../../src/hub';

type Auth = { authorization: string };

/** What a strike test file works with: its own hub and API, a communications token and an organisation. */
export interface StrikeRig {
  hub: Hub;
  url: string;
  comms: Auth;
  org: Org;
  /** A JSON call to /api as `comms` (or `auth`); `text` keeps a file's body, `body` is null for it. */
  call(method: string, path: string, body?: unknown, auth?: Auth): Promise<{ status: number; text: string; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export async function startStrikeRig(opts: Parameters<typeof createTestHub>[0] = {}): Promise<StrikeRig> {
  const t: TestHub = await createTestHub(opts);
  const api = await startApi(t.hub);
  const comms = (await staffWithToken(t.hub, 'communications')).auth;
  const org = await createOrg(t.hub.db);
  return {
    hub: t.hub, url: api.url, comms, org,
    async call(method, path, body, auth = comms) {
      const r = await fetch(`${api.url}/api${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await r.text();
      let json: any = null;
      try { json = JSON.parse(text); } catch { /* a file */ }
      return { status: r.status, text, body: json, headers: r.headers };
    },
    async close() { await api.close(); await t.close(); },
  };
}
