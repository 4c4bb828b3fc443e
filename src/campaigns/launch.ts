import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { reachableSql, unreachableReasonSql, type Channel } from '../consent';
import { audienceSql, validateAudience } from '../audience';
import { loadCampaign, assertTransition, type Campaign } from './model';
import { sendRegisterEventMessages } from './messages';
import { cancelPending } from '../sendlog';
import { resolveHalts } from './halts';
import { runFallbacks } from './fallback';
import { enqueueBatches, scheduleLaunch } from '../../queues/campaigns';

const BATCH = 1000;

/** How many active members the audience holds (for the four-eyes threshold). */
export async function audienceSize(db: Queryable, audience: unknown): Promise<number> {
  const params: unknown[] = [];
  const where = audienceSql(validateAudience(audience, 'audience'), 'm', params);
  const r = await db.query(`SELECT count(*)::int AS n FROM members m WHERE m.status = 'active' AND (${where})`, params);
  return r.rows[0].n;
}

export interface LaunchResult { campaign: Campaign; approvalRequired: boolean; recipients?: number }

/**
 * Launch as staff asked: above APPROVAL_THRESHOLD recipients a second staff user must approve
 * first (the request is recorded and audited); with a future send_at the campaign is scheduled;
 * otherwise it starts now. Launching a launched campaign is a no-op for the ballots part
 * (`startCampaign` is idempotent), and a 409 through the API.
 */
export async function launchCampaign(hub: Hub, id: number, staff: Staff | null): Promise<LaunchResult> {
  const out = await hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    assertTransition(c, 'schedule');
    if (c.kind === 'campaign' && !c.approval.approvedAt) {
      const n = await audienceSize(db, c.audience);
      if (n > hub.config.approvalThreshold) {
        await db.query(`UPDATE campaigns SET approval_requested_by = $2, approval_requested_at = $3, audience_size = $4, updated_at = now() WHERE id = $1`,
          [id, staff?.id ?? null, hub.clock.now(), n]);
        await audit(db, { staff, action: 'campaign.launch', rowCount: n, detail: { campaignId: id, approvalRequested: true, threshold: hub.config.approvalThreshold } });
        return { approvalRequired: true as const, campaign: await loadCampaign(db, id) };
      }
    }
    await db.query(`UPDATE campaigns SET launched_by = $2, updated_at = now() WHERE id = $1`, [id, staff?.id ?? null]);
    await audit(db, { staff, action: 'campaign.launch', detail: { campaignId: id, sendAt: c.sendAt } });
    return { approvalRequired: false as const, campaign: c };
  });
  if (out.approvalRequired) return out;
  return proceed(hub, id);
}

/** Four eyes: another staff user than the one who asked approves, and the launch goes on. */
export async function approveCampaign(hub: Hub, id: number, staff: Staff): Promise<LaunchResult> {
  await hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    assertTransition(c, 'approve');
    if (!c.approval.requestedAt) throw Problem.conflict(`Campaign ${id} has not asked for approval.`);
    if (c.approval.approvedAt) throw Problem.conflict(`Campaign ${id} is already approved.`);
    if (c.approval.requestedBy === staff.id || c.createdBy === staff.id) {
      throw Problem.conflict('A campaign must be approved by another staff user than the one who created it or asked for approval.');
    }
    await db.query(`UPDATE campaigns SET approved_by = $2, approved_at = $3, launched_by = COALESCE(launched_by, approval_requested_by), updated_at = now() WHERE id = $1`,
      [id, staff.id, hub.clock.now()]);
    await audit(db, { staff, action: 'campaign.approve', rowCount: c.audienceSize, detail: { campaignId: id } });
  });
  return proceed(hub, id);
}

async function proceed(hub: Hub, id: number): Promise<LaunchResult> {
  const c = await loadCampaign(hub.db, id);
  if (c.sendAt && new Date(c.sendAt).getTime() > hub.clock.now().getTime()) {
    await hub.db.query(`UPDATE campaigns SET state = 'scheduled', updated_at = now() WHERE id = $1 AND state = 'draft'`, [id]);
    await scheduleLaunch(hub, id, new Date(c.sendAt));
    return { campaign: await loadCampaign(hub.db, id), approvalRequired: false };
  }
  const recipients = await startCampaign(hub, id);
  return { campaign: await loadCampaign(hub.db, id), approvalRequired: false, recipients };
}

/** The delayed job at send_at: starts the campaign if it is still scheduled for (about) now. */
export async function launchDueCampaign(hub: Hub, id: number): Promise<{ started: boolean }> {
  const c = await loadCampaign(hub.db, id).catch(() => null);
  if (!c || c.state !== 'scheduled') return { started: false };
  if (c.sendAt && new Date(c.sendAt).getTime() > hub.clock.now().getTime() + 1000) return { started: false };
  await startCampaign(hub, id);
  return { started: true };
}

/** Member ids per snapshot step: each step commits, and its batches start while the next is taken. */
export const SNAPSHOT_STEP = 100_000;

/**
 * Starts a campaign: it is running from now on, and its audience is snapshotted into the send log.
 * Calling it again (a retry, a worker restart) continues an unfinished snapshot or re-enqueues
 * what is pending; it never logs a member twice.
 */
export async function startCampaign(hub: Hub, id: number): Promise<number> {
  const c = await hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    if (c.state === 'running' || c.state === 'completed' || c.state === 'paused' || c.state === 'cancelled') return c;
    assertTransition(c, 'start');
    await db.query(`UPDATE campaigns SET state = 'running', launched_at = COALESCE(launched_at, $2), snapshot_at = NULL, updated_at = now() WHERE id = $1`,
      [id, hub.clock.now()]);
    return loadCampaign(db, id);
  });
  if (c.state === 'cancelled') return 0;
  if (c.snapshotAt === null) return snapshot(hub, id);
  await enqueuePending(hub, id);
  return c.audienceSize ?? 0;
}

/**
 * The snapshot, set-based, in steps of SNAPSHOT_STEP member ids, each its own transaction: for
 * each channel in the campaign's order, the step's audience members the consent decision allows on
 * it and who have no row yet get a queued log row on it (a member's own preferred channel goes
 * first when the campaign offers it); the rest of the step's active audience is logged skipped
 * with the first channel's reason. Batches of up to 1000 are numbered in the same INSERT, from the
 * campaign's `next_batch` (the row lock that hands them out also orders two processes that
 * continue the same snapshot), and enqueued as soon as the step commits, so sending starts while
 * the rest of a large audience is still being taken. A cancelled campaign stops the snapshot.
 */
async function snapshot(hub: Hub, id: number): Promise<number> {
  const bounds = await hub.db.one(`SELECT COALESCE(min(id), 0) AS lo, COALESCE(max(id), 0) AS hi FROM members`);
  for (let lo = Number(bounds!.lo); lo <= Number(bounds!.hi); lo += SNAPSHOT_STEP) {
    const batches = await hub.db.tx(async (db) => {
      const row = (await db.query(`SELECT state, next_batch FROM campaigns WHERE id = $1 FOR NO KEY UPDATE`, [id])).rows[0];
      if (!row || row.state === 'cancelled') return null;
      const c = await loadCampaign(db, id);
      const includeResigned = c.kind === 'register_event';
      const base: unknown[] = [c.id, c.category, lo, lo + SNAPSHOT_STEP];
      const where = `m.id >= $3 AND m.id < $4 AND (${audienceSql(validateAudience(c.audience, 'audience'), 'm', base)})`;
      const notYet = `NOT EXISTS (SELECT 1 FROM send_log s WHERE s.campaign_id = $1 AND s.member_id = m.id)`;
      let next: number = row.next_batch;
      const made: { channel: Channel; batchNo: number }[] = [];
      const insert = async (ch: Channel, extra: string) => {
        const params = [...base, next];
        const { rows } = await db.query(
          `WITH ins AS (
             INSERT INTO send_log (campaign_id, member_id, channel, state, batch_no)
             SELECT $1, m.id, '${ch}', 'queued', $${params.length}::int + (row_number() OVER (ORDER BY m.id) - 1) / ${BATCH}
               FROM members m
              WHERE ${where} AND ${reachableSql('m', '$2', ch, { includeResigned })} AND ${notYet} ${extra}
             ON CONFLICT (campaign_id, member_id, channel) DO NOTHING
             RETURNING batch_no)
           SELECT DISTINCT batch_no FROM ins ORDER BY 1`, params);
        for (const r of rows) { made.push({ channel: ch, batchNo: r.batch_no }); next = Math.max(next, r.batch_no + 1); }
      };
      const prefs = await db.query(`SELECT DISTINCT channel FROM member_channel_preferences WHERE channel = ANY($1::text[])`, [c.channels]);
      for (const p of prefs.rows as { channel: Channel }[]) {
        await insert(p.channel, `AND EXISTS (SELECT 1 FROM member_channel_preferences mp WHERE mp.member_id = m.id AND mp.channel = '${p.channel}')`);
      }
      for (const ch of c.channels) await insert(ch, '');
      const first = c.channels[0];
      await db.query(
        `INSERT INTO send_log (campaign_id, member_id, channel, state, reason)
         SELECT $1, m.id, '${first}', 'skipped', COALESCE(${unreachableReasonSql('m', '$2', first, { includeResigned })}, 'unreachable')
           FROM members m
          WHERE ${where} AND ${includeResigned ? 'TRUE' : `m.status = 'active'`} AND ${notYet}
         ON CONFLICT (campaign_id, member_id, channel) DO NOTHING`, base);
      await db.query(`UPDATE campaigns SET next_batch = $2 WHERE id = $1`, [id, next]);
      return made;
    });
    if (batches === null) break;
    await enqueueBatches(hub, batches.map((b) => ({ campaignId: id, ...b })));
  }
  const n = (await hub.db.one(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1`, [id]))!.n as number;
  await hub.db.query(`UPDATE campaigns SET snapshot_at = $2, audience_size = $3, updated_at = now() WHERE id = $1 AND snapshot_at IS NULL`,
    [id, hub.clock.now(), n]);
  hub.log.info({ campaignId: id, recipients: n }, 'campaign snapshot taken');
  await completeIfDone(hub, id);
  return n;
}

/** Enqueues every batch that still has rows to send (deterministic ids: what is queued stays as it is). */
export async function enqueuePending(hub: Hub, id: number): Promise<number> {
  const batches = (await hub.db.query(
    `SELECT channel, batch_no FROM send_log WHERE campaign_id = $1 AND state IN ('queued', 'sending')
      GROUP BY 1, 2 ORDER BY 2, 1`, [id])).rows as { channel: Channel; batch_no: number }[];
  const jobs = batches.map((b) => ({ campaignId: id, channel: b.channel, batchNo: b.batch_no }));
  await enqueueBatches(hub, jobs);
  await completeIfDone(hub, id);
  return jobs.length;
}

/** A running campaign with nothing left queued or sending, and no fallback still to write, is completed. */
export async function completeIfDone(hub: Hub, id: number): Promise<boolean> {
  const r = await hub.db.query(
    `UPDATE campaigns SET state = 'completed', completed_at = $2, updated_at = now()
      WHERE id = $1 AND state = 'running' AND snapshot_at IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM send_log WHERE campaign_id = $1 AND state IN ('queued', 'sending'))
        AND NOT EXISTS (SELECT 1 FROM send_log WHERE campaign_id = $1 AND fallback_due)`, [id, hub.clock.now()]);
  return (r.rowCount ?? 0) > 0;
}

export async function pauseCampaign(hub: Hub, id: number, staff: Staff): Promise<Campaign> {
  return hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    assertTransition(c, 'pause');
    await db.query(`UPDATE campaigns SET state = 'paused', paused_reason = 'staff', updated_at = now() WHERE id = $1`, [id]);
    await audit(db, { staff, action: 'campaign.pause', detail: { campaignId: id } });
    return loadCampaign(db, id);
  });
}

export async function resumeCampaign(hub: Hub, id: number, staff: Staff): Promise<Campaign> {
  await hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    assertTransition(c, 'resume');
    await db.query(`UPDATE campaigns SET state = 'running', paused_reason = NULL, updated_at = now() WHERE id = $1`, [id]);
    // Resuming says the cause of a halt is fixed: its held rows go out once (they are still queued).
    const halts = await resolveHalts(db, id, staff?.id ?? null, hub.clock.now());
    await audit(db, { staff, action: 'campaign.resume', detail: { campaignId: id, haltsResolved: halts } });
  });
  await enqueuePending(hub, id);
  return loadCampaign(hub.db, id);
}

/** Cancels: what has not left is marked cancelled; what a worker is sending right now finishes. */
export async function cancelCampaign(hub: Hub, id: number, staff: Staff | null): Promise<Campaign> {
  return hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    assertTransition(c, 'cancel');
    await db.query(`UPDATE campaigns SET state = 'cancelled', cancelled_at = $2, updated_at = now() WHERE id = $1`, [id, hub.clock.now()]);
    const n = await cancelPending(db, id);
    await resolveHalts(db, id, staff?.id ?? null, hub.clock.now());
    await audit(db, { staff, action: 'campaign.cancel', rowCount: n, detail: { campaignId: id } });
    return loadCampaign(db, id);
  });
}

/** Scheduled campaigns whose send_at has come are started; returns how many. */
async function startDue(hub: Hub): Promise<number> {
  let started = 0;
  for (const r of await hub.db.many(`SELECT id FROM campaigns WHERE state = 'scheduled' AND send_at <= $1`, [hub.clock.now()])) {
    if ((await launchDueCampaign(hub, r.id)).started) started++;
  }
  return started;
}

/** On worker start: campaigns due or running get their jobs again (a restarted Redis loses none). */
export async function reconcileCampaigns(hub: Hub): Promise<{ started: number; enqueued: number }> {
  const started = await startDue(hub);
  let enqueued = 0;
  const later = await hub.db.many(`SELECT id, send_at FROM campaigns WHERE state = 'scheduled' AND send_at > $1`, [hub.clock.now()]);
  for (const r of later) await scheduleLaunch(hub, r.id, r.send_at);
  const running = await hub.db.many(`SELECT id, state, snapshot_at FROM campaigns WHERE state IN ('running', 'paused')`);
  for (const r of running) {
    if (r.snapshot_at === null) await snapshot(hub, r.id);
    else if (r.state === 'running') enqueued += await enqueuePending(hub, r.id);
  }
  return { started, enqueued };
}

/** Every 30 s: start what is due, continue interrupted snapshots, finish what is done, send the register's event messages. */
export async function runCampaignSweep(hub: Hub): Promise<{ started: number; completed: number; registerEvents: number }> {
  const started = await startDue(hub);
  // A snapshot whose process died (the launch request's, say) is continued by the next sweep.
  for (const r of await hub.db.many(`SELECT id FROM campaigns WHERE state IN ('running', 'paused') AND snapshot_at IS NULL AND updated_at < $1`,
    [new Date(hub.clock.now().getTime() - 120_000)])) await snapshot(hub, r.id);
  // Fallback decisions no worker's poller carried out yet (all workers were down).
  await runFallbacks(hub);
  let completed = 0;
  for (const r of await hub.db.many(`SELECT id FROM campaigns WHERE state = 'running'`)) if (await completeIfDone(hub, r.id)) completed++;
  const registerEvents = hub.config.registerEventMessages ? await sendRegisterEventMessages(hub) : 0;
  return { started, completed, registerEvents };
}
