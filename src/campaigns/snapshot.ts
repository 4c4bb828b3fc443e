import type { Hub } from '../hub';
import { setLocal } from '../db';
import { decisionJoinSql, preferenceJoinSql, type Channel } from '../consent';
import { audienceSql, chooseChannelSql, validateAudience } from '../audience';
import { audienceSize, completeIfDone, enqueuePending } from './launch';
import { loadCampaign } from './model';
import { BATCH_SIZE, batchNotBefore, planWindow, type DeliveryWindow, type WindowPlan } from './window';
import { enqueueBatches } from '../../queues/campaigns';
import { writeSnapshotRows } from '../sendlog';

/**
 * The audience snapshot of a launched campaign, run by its queue job (`snapshot-c<id>`), in
 * steps of `CAMPAIGN_SNAPSHOT_STEP` member ids. Each step is ONE transaction that, under the
 * campaign's row lock, reads where the last step ended (`snapshot_cursor`), writes a log row for
 * every audience member of the step without one (on the channel chosen by the one rule,
 * `chosenChannelSql`; skipped with the first channel's reason when none reaches them), numbers
 * their batches from `next_batch`, and moves the cursor and the count `snapshot_taken`. The
 * step's batches are enqueued as soon as it commits, so sending starts while the rest of a large
 * audience is still being taken.
 *
 * A job that dies anywhere continues where the last committed step ended (its retry, or a
 * second job after a lost Redis: the row lock orders them and the log's unique key keeps every
 * member once). When the cursor passes the last member, the snapshot is marked done and EVERY
 * pending batch is enqueued again, so a death between a step's commit and its enqueue loses
 * nothing. A cancelled campaign stops the snapshot.
 */
export async function takeSnapshot(hub: Hub, id: number): Promise<{ taken: number; done: boolean }> {
  for (;;) {
    const step = await snapshotStep(hub, id);
    if (step.stop) return { taken: step.taken, done: false };
    if (step.batches.length) await enqueueBatches(hub, step.batches);
    if (step.last) break;
  }
  const r = await hub.db.one(
    `UPDATE campaigns SET snapshot_at = $2, audience_size = snapshot_taken, updated_at = now()
      WHERE id = $1 AND snapshot_at IS NULL RETURNING snapshot_taken`, [id, hub.clock.now()]);
  if (r) hub.log.info({ campaignId: id, recipients: r.snapshot_taken }, 'campaign snapshot taken');
  await enqueuePending(hub, id);
  await completeIfDone(hub, id, null);
  const c = await hub.db.one(`SELECT snapshot_taken FROM campaigns WHERE id = $1`, [id]);
  return { taken: c?.snapshot_taken ?? 0, done: true };
}

interface Step {
  stop: boolean;
  last: boolean;
  taken: number;
  batches: { campaignId: number; channel: Channel; batchNo: number; notBefore?: number }[];
}

async function snapshotStep(hub: Hub, id: number): Promise<Step> {
  const stepSize = hub.config.snapshotStep;
  return hub.db.tx(async (db) => {
    const row = (await db.query(
      `SELECT state, next_batch, snapshot_at, snapshot_cursor, snapshot_taken, delivery_window FROM campaigns WHERE id = $1 FOR NO KEY UPDATE`, [id])).rows[0];
    if (!row || row.state === 'cancelled' || row.state === 'draft' || row.state === 'scheduled') return { stop: true, last: false, taken: 0, batches: [] };
    if (row.snapshot_at) return { stop: false, last: true, taken: row.snapshot_taken, batches: [] };
    const c = await loadCampaign(db, id);
    const bounds = (await db.query(`SELECT COALESCE(min(id), 0)::bigint AS lo, COALESCE(max(id), 0)::bigint AS hi FROM members`)).rows[0];
    const lo = row.snapshot_cursor === null ? Number(bounds.lo) : Number(row.snapshot_cursor);
    // The first step is a tenth of the others: nothing is sent until a step commits, and a full
    // first step kept both workers idle for its 1.5–2 s at a million members.
    const hi = lo + (row.snapshot_cursor === null ? Math.max(1, Math.floor(stepSize / 10)) : stepSize);
    // The delivery window is planned once, when the snapshot starts, from the audience then.
    let plan: WindowPlan | null = row.delivery_window?.plan ?? null;
    if (row.delivery_window && !plan && c.channels.includes('email')) {
      plan = planWindow(row.delivery_window as DeliveryWindow, await audienceSize(db, c.audience), hub.clock.now().getTime());
      await db.query(`UPDATE campaigns SET delivery_window = delivery_window || jsonb_build_object('plan', $2::jsonb) WHERE id = $1`, [id, JSON.stringify(plan)]);
    }
    const includeResigned = c.kind === 'register_event';
    const params: unknown[] = [c.category, lo, hi];
    const audience = audienceSql(validateAudience(c.audience, 'audience'), 'm', params);
    const first = c.channels[0];
    // The consent decision in its join form (decisionJoinSql, proved equal to reachableSql and
    // unreachableReasonSql by test/consent-decision.test.ts): the member's suppression, withdrawal
    // and grant as LEFT JOINs on unique keys instead of correlated subqueries per member and
    // channel, and the preferred channel joined, not looked up. The one channel rule
    // (chooseChannelSql) over those facts. The step's SELECT took 0.5–0.7 s instead of 2.7–2.8 s
    // per 100,000 members (bench/RESULTS.md, fifth session).
    const dj = decisionJoinSql('m', '$1::text', c.channels, { includeResigned });
    const chosen = chooseChannelSql(c.channels, { preferred: 'mp.channel', allowed: (ch) => dj.reachable(ch) });
    // The step numbers its rows per channel (a sort of up to CAMPAIGN_SNAPSHOT_STEP rows) and
    // groups what it wrote: with the default 4 MB both spilled to temporary files at 100,000
    // members (auto_explain, bench/RESULTS.md, sixth session). For this transaction only.
    await setLocal(db, { work_mem: '64MB' });
    const rows = await writeSnapshotRows(db,
      { campaignId: c.id, firstChannel: first, nextBatch: row.next_batch, emailBatchSize: plan?.batchSize ?? BATCH_SIZE, batchSize: BATCH_SIZE, memberIds: { from: lo, to: hi } },
      `SELECT p.id, p.ch, CASE WHEN p.ch IS NULL THEN COALESCE(p.first_reason, 'unreachable') END AS reason, p.lang FROM (
         SELECT m.id, ${chosen} AS ch, ${dj.reason(first)} AS first_reason, m.language AS lang
           -- The step's audience as a subquery: the decision's joins run over it, not over every member.
           FROM (SELECT m.* FROM members m
                  WHERE m.id >= $2 AND m.id < $3 AND (${audience}) AND ${includeResigned ? 'TRUE' : `m.status = 'active'`}) m
           ${preferenceJoinSql('m', 'mp')}
           ${dj.joins}) p`, params);
    let taken = 0;
    let next: number = row.next_batch;
    const batches: Step['batches'] = [];
    for (const r of rows) {
      taken += r.n;
      if (r.batchNo === null) continue;
      batches.push({ campaignId: id, channel: r.channel, batchNo: r.batchNo, notBefore: batchNotBefore(plan, r.channel, r.batchNo) });
      next = Math.max(next, r.batchNo + 1);
    }
    const last = hi > Number(bounds.hi);
    await db.query(`UPDATE campaigns SET next_batch = $2, snapshot_cursor = $3, snapshot_taken = snapshot_taken + $4, updated_at = now() WHERE id = $1`,
      [id, next, hi, taken]);
    return { stop: false, last, taken: row.snapshot_taken + taken, batches };
  });
}
