import type express from 'express';
import { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Hub } from '../hub';
import { errorPage } from './auth-pages';
import { loadSession } from './session';

const BASE = '/app/queues';
const DISCOVER_EVERY_MS = 10_000;

/**
 * Bull Board over the hub's BullMQ queues, for admins only. Queues are discovered from Redis
 * (every `<prefix>:<name>:meta` key BullMQ writes), so a queue another part of the hub adds
 * appears without a change here.
 */
export function registerQueueBoard(app: express.Express, hub: Hub): void {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BASE);
  const board = createBullBoard({
    queues: [],
    // @bull-board/express carries its own copy of @bull-board/api's types; the runtime shapes agree.
    serverAdapter: serverAdapter as any,
    options: { uiConfig: { boardTitle: 'Budstikke – køer' } },
  });
  const known = new Map<string, Queue>();
  let lastScan = 0;
  let redis: ReturnType<Hub['redis']> | null = null;

  async function discover(): Promise<void> {
    if (Date.now() - lastScan < DISCOVER_EVERY_MS) return;
    lastScan = Date.now();
    redis ??= hub.redis();
    const prefix = hub.config.queuePrefix;
    let cursor = '0';
    const names = new Set<string>();
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*:meta`, 'COUNT', 500);
      cursor = next;
      for (const k of keys) names.add(k.slice(prefix.length + 1, -':meta'.length));
    } while (cursor !== '0');
    for (const name of names) {
      if (known.has(name) || name.includes(':')) continue;
      const q = new Queue(name, { connection: hub.redis(), prefix });
      known.set(name, q);
      board.addQueue(new BullMQAdapter(q));
    }
  }
  hub.onClose(async () => { for (const q of known.values()) await q.close().catch(() => undefined); });

  app.use(BASE, async (req, res, next) => {
    try {
      const session = await loadSession(hub, req);
      if (!session) { res.redirect(303, `/app/login?next=${encodeURIComponent(req.originalUrl)}`); return; }
      if (session.staff.role !== 'admin') {
        res.status(403).type('html').send(errorPage(hub, session, 403, 'Ingen tilgang', 'Kødashbordet er bare for administratorer.'));
        return;
      }
      // Bull Board's own requests carry no CSRF token: accept changes only from this origin.
      if (!['GET', 'HEAD'].includes(req.method)) {
        const site = req.headers['sec-fetch-site'];
        const origin = req.headers.origin;
        const host = req.headers.host;
        // `Origin: null` (sandboxed frames, file:// pages) or any unparsable origin is simply not this one: 403, never a 500.
        let originHost: string | null = null;
        try { originHost = origin && origin !== 'null' ? new URL(origin).host : null; } catch { originHost = null; }
        const sameOrigin = site ? site === 'same-origin' : !!originHost && !!host && originHost === host;
        if (!sameOrigin) { res.status(403).type('text').send('Endringer må komme fra denne siden.'); return; }
      }
      await discover();
      next();
    } catch (err) {
      next(err);
    }
  }, serverAdapter.getRouter());
}
