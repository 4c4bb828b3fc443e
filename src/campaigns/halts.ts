import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Channel } from '../consent';
import { isProviderError } from '../providers';
import { campaignHaltsTotal } from '../metrics';

export type HaltReason = 'provider_unavailable' | 'retries_exhausted';

/** One open halt as the campaign API shows it (contract C1). */
export interface Halt { channel: Channel; reason: HaltReason; message: string; at: string; provider: string | null; status: number | null; code: number | null }

/**
 * A channel of the campaign halts: the provider refused our account or configuration, or kept
 * failing until the retries ran out. The campaign is paused (`paused_reason` provider_unavailable)
 * with the provider's message; no row changes state (the caller released its attempt), nothing
 * falls back. Idempotent: the other batches that hit the same refusal add nothing. Resume
 * (after the cause is fixed) closes the halt and sends what was held, once.
 */
export async function haltChannel(hub: Hub, campaignId: number, channel: Channel, reason: HaltReason, err: unknown): Promise<boolean> {
  const p = isProviderError(err) ? err : null;
  const message = (err instanceof Error ? err.message : String(err)).slice(0, 1000);
  const opened = await hub.db.tx(async (db) => {
    const r = await db.query(
      `INSERT INTO campaign_halts (campaign_id, channel, reason, provider, status, code, message, at)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = $1 AND state IN ('running', 'paused'))
       ON CONFLICT (campaign_id, channel) WHERE resolved_at IS NULL DO NOTHING RETURNING id`,
      [campaignId, channel, reason, p?.provider ?? null, p?.status ?? null, p?.code ?? null, message, hub.clock.now()]);
    await db.query(`UPDATE campaigns SET state = 'paused', paused_reason = 'provider_unavailable', updated_at = now() WHERE id = $1 AND state = 'running'`, [campaignId]);
    return (r.rowCount ?? 0) > 0;
  });
  if (opened) {
    campaignHaltsTotal.inc({ channel, reason, provider: p?.provider ?? 'unknown' });
    hub.log.error({ event: 'campaign.halted', campaignId, channel, reason, provider: p?.provider, status: p?.status, code: p?.code, failureClass: p?.failureClass, message },
      'campaign channel halted');
  }
  return opened;
}

export async function openHalts(db: Queryable, campaignId: number): Promise<Halt[]> {
  const rows = (await db.query(
    `SELECT channel, reason, message, at, provider, status, code FROM campaign_halts WHERE campaign_id = $1 AND resolved_at IS NULL ORDER BY at, id`, [campaignId])).rows;
  return rows.map((r) => ({ channel: r.channel, reason: r.reason, message: r.message, at: r.at.toISOString(), provider: r.provider, status: r.status, code: r.code }));
}

/** Resume: the open halts are closed by this staff user (in the resume's transaction). */
export async function resolveHalts(db: Queryable, campaignId: number, staffId: number | null, at: Date): Promise<number> {
  const r = await db.query(`UPDATE campaign_halts SET resolved_at = $2, resolved_by = $3 WHERE campaign_id = $1 AND resolved_at IS NULL`, [campaignId, at, staffId]);
  return r.rowCount ?? 0;
}
