import type { Hub } from '../hub';
import { loadBallot, notificationChannels, type BallotRow, type NotificationRow } from './service';
import { freezeRollIn } from './roll';
import { campaignSpec, type CampaignGateway } from './notify';
import { campaignGateway } from './gateway';

export interface AdvanceResult {
  state: BallotRow['state'];
  launched: { kind: string; offsetBeforeClose: string; campaignId: number }[];
  skipped: { kind: string; offsetBeforeClose: string; reason: string }[];
}

/**
 * Brings one ballot to where the clock says it should be, from PostgreSQL state alone: opens it
 * (freezing the roll at the opening if staff have not), closes it, and launches every
 * notification that is due. Idempotent and order-independent: the BullMQ jobs that call it are
 * only wake-ups, so a job that runs twice, late, or after a restart changes nothing extra.
 */
export async function advanceBallot(hub: Hub, ballotId: number, gateway: CampaignGateway = campaignGateway): Promise<AdvanceResult> {
  const now = hub.clock.now();
  const skipped: AdvanceResult['skipped'] = [];
  const { ballot, toLaunch } = await hub.db.tx(async (c) => {
    const b = await loadBallot(c, ballotId, { forUpdate: true });
    if (b.state === 'cancelled') return { ballot: b, toLaunch: [] as number[] };
    if (b.state === 'draft' && now >= b.opens_at) {
      if (!b.roll_frozen_at) {
        await freezeRollIn(c, b, b.opens_at, now, null);
        hub.log.info({ ballotId }, 'ballot roll frozen automatically at opening (staff had not frozen it)');
      }
      await c.query(`UPDATE ballots SET state = 'open', updated_at = $2 WHERE id = $1`, [ballotId, now]);
      b.state = 'open';
      hub.log.info({ ballotId }, 'ballot opened');
    }
    if (b.state === 'open' && now >= b.closes_at) {
      await c.query(`UPDATE ballots SET state = 'closed', updated_at = $2 WHERE id = $1`, [ballotId, now]);
      b.state = 'closed';
      hub.log.info({ ballotId }, 'ballot closed');
    }
    const due = (await c.query<NotificationRow>(`SELECT * FROM ballot_notifications
      WHERE ballot_id = $1 AND state IN ('pending', 'launching') AND due_at <= $2 ORDER BY due_at, id`, [ballotId, now])).rows;
    const ids: number[] = [];
    for (const n of due) {
      if (n.state === 'launching') { ids.push(n.id); continue; }
      let reason: string | null = null;
      if (n.kind !== 'result' && b.state !== 'open') reason = 'the ballot closed before it was due to go out';
      if (n.kind === 'result' && (b.state !== 'closed' || !b.result_text)) continue;
      if (reason) {
        await c.query(`UPDATE ballot_notifications SET state = 'skipped', reason = $2, updated_at = now() WHERE id = $1`, [n.id, reason]);
        skipped.push({ kind: n.kind, offsetBeforeClose: n.offset_before_close, reason });
        continue;
      }
      // The channels are fixed now, from the ballot's times at this moment (letters only if they arrive in time).
      const { channels, note } = notificationChannels(b, n.kind, now, hub.config.ballotPostalLeadDays);
      await c.query(`UPDATE ballot_notifications SET state = 'launching', channels = $2, reason = $3, updated_at = now() WHERE id = $1`,
        [n.id, channels, note]);
      ids.push(n.id);
    }
    return { ballot: b, toLaunch: ids };
  });

  const launched: AdvanceResult['launched'] = [];
  for (const id of toLaunch) {
    const r = await launchNotification(hub, ballot, id, gateway);
    if (r) launched.push(r);
  }
  return { state: ballot.state, launched, skipped };
}

/**
 * Creates and launches the campaign of one notification. The notification row is locked (SKIP
 * LOCKED: another worker on it means there is nothing to do here) and the campaign id is kept on
 * it, so a retry launches the same campaign again, which campaigns treat as a no-op.
 */
async function launchNotification(hub: Hub, b: BallotRow, notificationId: number, gateway: CampaignGateway):
  Promise<AdvanceResult['launched'][number] | null> {
  return hub.db.tx(async (c) => {
    const n = (await c.query<NotificationRow>(`SELECT * FROM ballot_notifications WHERE id = $1 FOR UPDATE SKIP LOCKED`, [notificationId])).rows[0];
    if (!n || n.state !== 'launching') return null;
    let campaignId = n.campaign_id;
    if (!campaignId) {
      campaignId = await gateway.create(hub, campaignSpec(b, n, n.channels ?? b.channels));
      await c.query(`UPDATE ballot_notifications SET campaign_id = $2 WHERE id = $1`, [n.id, campaignId]);
    }
    await gateway.launch(hub, campaignId);
    await c.query(`UPDATE ballot_notifications SET state = 'launched', launched_at = $2, updated_at = now() WHERE id = $1`, [n.id, hub.clock.now()]);
    hub.log.info({ ballotId: b.id, notification: n.kind, offset: n.offset_before_close || undefined, campaignId }, 'ballot notification launched');
    return { kind: n.kind, offsetBeforeClose: n.offset_before_close, campaignId };
  });
}
