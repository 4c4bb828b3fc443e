import type { Queryable } from '../db';

export type SuppressionChannel = 'email' | 'sms';
export type SuppressionReason = 'hard_bounce' | 'spam_complaint' | 'invalid_number' | 'carrier_opt_out';

/** Emails are stored and compared trimmed and lower-cased; phone numbers as given (E.164). */
export function normaliseAddress(channel: SuppressionChannel, address: string): string {
  return channel === 'email' ? address.trim().toLowerCase() : address.trim();
}

/**
 * Suppresses an address, whatever the category. Idempotent: while an active suppression exists
 * for the address, a second call changes nothing and returns that row's id with created false.
 */
export async function suppress(db: Queryable, s: {
  channel: SuppressionChannel;
  address: string;
  reason: SuppressionReason;
  sourceEvent?: string | null;
  at?: Date;
}): Promise<{ created: boolean; id: number }> {
  const address = normaliseAddress(s.channel, s.address);
  const ins = await db.query(
    `INSERT INTO suppressions (channel, address, reason, source_event, at) VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now()))
     ON CONFLICT (channel, address) WHERE lifted_at IS NULL DO NOTHING RETURNING id`,
    [s.channel, address, s.reason, s.sourceEvent ?? null, s.at ?? null],
  );
  if (ins.rows[0]) return { created: true, id: ins.rows[0].id };
  const cur = await db.query('SELECT id FROM suppressions WHERE channel = $1 AND address = $2 AND lifted_at IS NULL', [s.channel, address]);
  return { created: false, id: cur.rows[0]?.id };
}

export function suppressionFromRow(r: Record<string, any>) {
  return {
    id: r.id,
    channel: r.channel,
    address: r.address,
    reason: r.reason,
    sourceEvent: r.source_event,
    at: r.at,
    active: r.lifted_at === null,
    liftedAt: r.lifted_at,
    liftedBy: r.lifted_by,
    liftReason: r.lift_reason,
  };
}
