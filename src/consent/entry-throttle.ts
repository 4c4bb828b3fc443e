import crypto from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, ipKeyGenerator, type Store, type IncrementResponse } from 'express-rate-limit';
import type { Hub } from '../hub';

/**
 * Rate limits of the public preference-entry page (express-rate-limit: 429 with Retry-After),
 * counted in PostgreSQL (table member_link_throttle) so every API process shares the counts.
 * Per client address, and per entered address (a hash of the normalised email or number: no
 * address is stored). Both apply whether or not the address belongs to anyone, so a 429 tells
 * nothing about membership.
 */
export const ENTRY_LIMITS = {
  /** Links asked for one address: enough for a typo and a retry, too few to flood an inbox. */
  address: { limit: 3, windowMs: 30 * 60_000 },
  /** Requests (links and codes) from one client address. */
  client: { limit: 20, windowMs: 60 * 60_000 },
} as const;

class PgStore implements Store {
  prefix: string;
  localKeys = false;
  constructor(private hub: Hub, private windowMs: number, prefix: string) { this.prefix = prefix; }

  async increment(key: string): Promise<IncrementResponse> {
    const k = `${this.prefix}:${key}`;
    // Wall time: Retry-After is computed by express-rate-limit from Date.now().
    const now = new Date();
    const expired = new Date(now.getTime() - this.windowMs);
    const { rows } = await this.hub.db.query(
      `INSERT INTO member_link_throttle (key, window_start, hits) VALUES ($1, $2, 1)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN member_link_throttle.window_start <= $3 THEN 1 ELSE member_link_throttle.hits + 1 END,
         window_start = CASE WHEN member_link_throttle.window_start <= $3 THEN $2 ELSE member_link_throttle.window_start END
       RETURNING hits, window_start`, [k, now, expired]);
    if (Math.random() < 0.02) {
      await this.hub.db.query('DELETE FROM member_link_throttle WHERE window_start < $1', [new Date(now.getTime() - 24 * 3_600_000)]);
    }
    return { totalHits: rows[0].hits, resetTime: new Date(new Date(rows[0].window_start).getTime() + this.windowMs) };
  }

  async decrement(key: string): Promise<void> {
    await this.hub.db.query('UPDATE member_link_throttle SET hits = greatest(hits - 1, 0) WHERE key = $1', [`${this.prefix}:${key}`]);
  }

  async resetKey(key: string): Promise<void> {
    await this.hub.db.query('DELETE FROM member_link_throttle WHERE key = $1', [`${this.prefix}:${key}`]);
  }
}

const sha = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

/**
 * The two limiters, in the order they run. `addressKey(req)` gives the normalised entered
 * address (null: nothing entered, the address limiter does not count).
 */
export function entryLimiters(hub: Hub, addressKey: (req: Request) => string | null,
  refused: (req: Request, res: Response) => void): RequestHandler[] {
  const common = { standardHeaders: 'draft-7' as const, legacyHeaders: false, handler: (req: Request, res: Response) => refused(req, res) };
  return [
    rateLimit({
      ...common, ...ENTRY_LIMITS.client,
      store: new PgStore(hub, ENTRY_LIMITS.client.windowMs, 'entry-client'),
      keyGenerator: (req) => sha(ipKeyGenerator(req.ip ?? 'unknown')),
    }),
    rateLimit({
      ...common, ...ENTRY_LIMITS.address,
      store: new PgStore(hub, ENTRY_LIMITS.address.windowMs, 'entry-address'),
      skip: (req) => addressKey(req) === null,
      keyGenerator: (req) => sha(addressKey(req) ?? ''),
    }),
  ];
}
