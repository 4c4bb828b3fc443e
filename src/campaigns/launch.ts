import type { Hub } from '../hub';
import { prepared, type Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import type { Channel } from '../consent';
import { audienceSql, validateAudience } from '../audience';
import { loadCampaign, assertTransition, type Campaign } from './model';
import { cancelPending, closeBatchIfDone, closeDoneBatches, openBatches, NO_OPEN_BATCH } from '../sendlog';
import { resolveHalts } from './halts';
import { batchNotBefore, type WindowPlan } from './window';
import { enqueueBatches, enqueueSnapshot, scheduleLaunch } from '../../queues/campaigns';

/** How many active members the audience holds (for the four-eyes threshold). */
export async function audienceSize(db: Queryable, audience: unknown): Promise<number> {
  const params: unknown[] = [];
  const where = audienceSql(validateAudience(audience, 'audience'), 'm', params);
  const r = await db.query(`SELECT count(*)::int AS n FROM members m WHERE m.status = 'active' AND (${where})`, params);
  return r.rows[0].n;
}

export interface LaunchResult { campaign: Campaign; approvalRequired: boolean; recipients?: number | null }

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
      // A representative's campaign always needs communications staff's approval, whatever its size (contract C6).
      const byRepresentative = c.createdBy !== null && (await db.query(`SELECT 1 FROM staff_users WHERE id = $1 AND role = 'representative'`, [c.createdBy])).rowCount! > 0;
      if (n > hub.config.approvalThreshold || byRepresentative) {
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
    if (!c.approval.requestedAt) throw Problem.conflict(`Kampanje ${id} har ikke bedt om godkjenning.`);
    if (c.approval.approvedAt) throw Problem.conflict(`Kampanje ${id} er allerede godkjent.`);
    if (staff.role === 'representative') throw Problem.forbidden('En tillitsvalgt kan ikke godkjenne kampanjer.');
    if (c.approval.requestedBy === staff.id || c.createdBy === staff.id) {
      throw Problem.conflict('En kampanje må godkjennes av en annen bruker enn den som laget den eller ba om godkjenning.');
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

/**
 * Starts a campaign: it is running from now on, and its audience snapshot is handed to a queue
 * job (snapshot.ts), so this returns at once at any audience size. Calling it again (a retry, the
 * sweep, a rebuilt Redis) enqueues the unfinished snapshot again or re-enqueues what is pending;
 * it never logs a member twice. Returns the audience size when the snapshot is already taken.
 */
export async function startCampaign(hub: Hub, id: number): Promise<number | null> {
  const c = await hub.db.tx(async (db) => {
    const c = await loadCampaign(db, id, { forUpdate: true });
    if (c.state === 'running' || c.state === 'completed' || c.state === 'paused' || c.state === 'cancelled') return c;
    assertTransition(c, 'start');
    await db.query(
      `UPDATE campaigns SET state = 'running', launched_at = COALESCE(launched_at, $2), snapshot_at = NULL, snapshot_cursor = NULL,
              snapshot_taken = 0, updated_at = now() WHERE id = $1`,
      [id, hub.clock.now()]);
    return loadCampaign(db, id);
  });
  if (c.state === 'cancelled' || c.state === 'completed') return c.audienceSize ?? 0;
  if (c.snapshotAt === null) {
    // PostgreSQL already says the campaign runs: if Redis does not answer now, the sweep (or
    // the watchdog, once Redis is back) enqueues the snapshot; the launch still answers.
    await bestEffort(hub, enqueueSnapshot(hub, id), { campaignId: id, what: 'snapshot job' });
    return null;
  }
  await enqueuePending(hub, id);
  return c.audienceSize ?? 0;
}

/** Waits up to `ms` for an enqueue whose loss the sweep repairs; logs rather than fails. */
async function bestEffort(hub: Hub, p: Promise<unknown>, ctx: Record<string, unknown>, ms = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), ms); });
  try {
    const r = await Promise.race([p.then(() => 'ok' as const), late]);
    if (r === 'late') hub.log.warn(ctx, 'queue did not answer in time; the campaign sweep will enqueue it');
  } catch (err: any) {
    hub.log.warn({ ...ctx, err: err?.message }, 'enqueue failed; the campaign sweep will enqueue it');
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Enqueues every open batch (rows may still wait in it: send_batches; deterministic ids: what is
 * queued stays as it is), each email batch not before its time under the campaign's delivery
 * window. Batches with nothing left are closed first, so they are not enqueued.
 */
export async function enqueuePending(hub: Hub, id: number): Promise<number> {
  const plan = (await hub.db.one(`SELECT delivery_window -> 'plan' AS plan FROM campaigns WHERE id = $1`, [id]))?.plan as WindowPlan | null;
  await closeDoneBatches(hub.db, id);
  const batches = await openBatches(hub.db, id);
  const jobs = batches.map((b) => ({ campaignId: id, channel: b.channel, batchNo: b.batchNo, notBefore: batchNotBefore(plan, b.channel, b.batchNo) }));
  await enqueueBatches(hub, jobs);
  await completeIfDone(hub, id, null);
  return jobs.length;
}

/**
 * A running campaign with no open batch (nothing left queued or sending), and no fallback still
 * to write, is completed. A job names its batch (`batch`), which is closed first if it has
 * nothing left; `undefined` closes every batch with nothing left (the sweep), `null` none.
 * Each close commits before the campaign is looked at, so of two jobs closing the last two
 * batches at once the later one sees both closed.
 */
export async function completeIfDone(hub: Hub, id: number, batch?: { channel: Channel; batchNo: number } | null): Promise<boolean> {
  if (batch) await closeBatchIfDone(hub.db, { campaignId: id, channel: batch.channel, batchNo: batch.batchNo });
  else if (batch === undefined) await closeDoneBatches(hub.db, id);
  const r = await hub.db.query(
    prepared(`UPDATE campaigns SET state = 'completed', completed_at = $2, updated_at = now()
      WHERE id = $1 AND state = 'running' AND snapshot_at IS NOT NULL
        AND ${NO_OPEN_BATCH('$1')}
        AND NOT EXISTS (SELECT 1 FROM send_log WHERE campaign_id = $1 AND fallback_due)`), [id, hub.clock.now()]);
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
export async function startDue(hub: Hub): Promise<number> {
  let started = 0;
  for (const r of await hub.db.many(`SELECT id FROM campaigns WHERE state = 'scheduled' AND send_at <= $1`, [hub.clock.now()])) {
    if ((await launchDueCampaign(hub, r.id)).started) started++;
  }
  return started;
}
