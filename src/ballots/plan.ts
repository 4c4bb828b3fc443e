import type { Hub } from '../hub';
import { unreachableReasonSql } from '../consent';
import { chosenChannelSql } from '../audience';
import { Problem } from '../errors';
import { loadBallot, notificationChannels, type Channel, type NotificationKind } from './service';
import { beforeClosing } from './time';

export interface NotificationPlan {
  kind: NotificationKind;
  offsetBeforeClose: string | null;
  channels: Channel[];
  note: string | null;
  /** Roll members still active: the audience. */
  audience: number;
  byChannel: Record<Channel, number>;
  /** Active roll members no channel of this notification reaches, by the first channel's reason. */
  unreachable: Record<string, number>;
}

/**
 * Per member of the audience (roll AND active): the channel the launch of the notification will
 * use, by the one rule of channel choice (the member's preferred channel first when offered and
 * allowed, else the first allowed in order: `chosenChannelSql` in src/audience), or null with the
 * reason of the first channel. A preview for staff and the ballots tests; nothing is sent.
 */
export function recipientChannelSql(channels: Channel[], params: unknown[]): string {
  params.push('ballot');
  const cat = `$${params.length}::text`;
  const reason = channels.length ? unreachableReasonSql('m', cat, channels[0]) : `'no_channel'`;
  return `${chosenChannelSql('m', cat, channels)} AS channel, ${reason} AS first_reason`;
}

export async function planRecipients(hub: Hub, ballotId: number, channels: Channel[]):
  Promise<{ memberId: number; memberNumber: string; channel: Channel | null; reason: string | null }[]> {
  const params: unknown[] = [ballotId];
  const sel = recipientChannelSql(channels, params);
  const rows = await hub.db.many(`SELECT m.id, m.member_number, ${sel}
      FROM ballot_roll_entries r JOIN members m ON m.id = r.member_id
     WHERE r.ballot_id = $1 AND m.status = 'active' ORDER BY m.member_number`, params);
  return rows.map((r) => ({ memberId: r.id, memberNumber: r.member_number, channel: r.channel, reason: r.channel ? null : r.first_reason }));
}

/** Counts per channel for each notification of a ballot, as things stand now (nothing is sent). */
export async function planNotifications(hub: Hub, ballotId: number): Promise<NotificationPlan[]> {
  const b = await loadBallot(hub.db, ballotId);
  if (!b.roll_frozen_at) throw Problem.conflict('Lås manntallet først: varslene går til det låste manntallet.');
  const items: { kind: NotificationKind; offset: string | null; due: Date }[] = [
    { kind: 'opened', offset: null, due: b.opens_at },
    ...b.reminder_offsets.map((o) => ({ kind: 'reminder' as const, offset: o, due: beforeClosing(b.closes_at, o) })),
    { kind: 'result', offset: null, due: b.closes_at },
  ];
  const out: NotificationPlan[] = [];
  for (const it of items) {
    const { channels, note } = notificationChannels(b, it.kind, it.due, hub.config.ballotPostalLeadDays);
    const params: unknown[] = [ballotId];
    const sel = recipientChannelSql(channels, params);
    const rows = await hub.db.many(`SELECT x.channel, x.first_reason, count(*)::int AS n FROM (
        SELECT ${sel} FROM ballot_roll_entries r JOIN members m ON m.id = r.member_id
         WHERE r.ballot_id = $1 AND m.status = 'active') x GROUP BY 1, 2`, params);
    const byChannel: Record<Channel, number> = { email: 0, sms: 0, letter: 0 };
    const unreachable: Record<string, number> = {};
    let audience = 0;
    for (const r of rows) {
      audience += r.n;
      if (r.channel) byChannel[r.channel as Channel] += r.n;
      else unreachable[r.first_reason ?? 'unknown'] = (unreachable[r.first_reason ?? 'unknown'] ?? 0) + r.n;
    }
    out.push({ kind: it.kind, offsetBeforeClose: it.offset, channels, note, audience, byChannel, unreachable });
  }
  return out;
}
