import type { Hub } from '../hub';
import { decideBatchWith, type Channel, type Decision } from '../consent';
import { recipientFromRow, type RecipientColumns, type RecipientData } from '../render';
import { cancelPending, markSkipped, pendingRows, settleEarlierAttempts, FALL_THROUGH_REASONS, type PendingRow } from '../sendlog';
import { loadCampaign, loadCategory, type Campaign, type CategoryRow } from './model';
import { runFallbacks } from './fallback';
import { completeIfDone } from './launch';

/** What a send job returns (BullMQ keeps it as the job's result). */
export interface BatchResult { sent: number; skipped: number; failed: number; inDoubt?: number; idle?: string; halted?: boolean }

export interface BatchRef { campaignId: number; channel: Channel; batchNo: number }
export type AllowedRow = PendingRow & { decision: Decision; /** With `recipients`: the member's data for the message. */ data?: RecipientData };

/** What a job may do with its campaign's state: send, stop (cancelled: what has not left is cancelled), or hold (paused: resume enqueues it again). */
export async function gate(hub: Hub, c: Campaign, where: { channel: Channel; batchNo: number } | null): Promise<'send' | 'stop' | 'hold'> {
  if (c.state === 'running' || c.state === 'completed') return 'send';
  if (c.state === 'cancelled') {
    if (where) await cancelPending(hub.db, c.id, where);
    return 'stop';
  }
  return 'hold';
}

/**
 * The consent decision again, for the rows in one query, just before they leave. Members who may
 * no longer be sent are logged skipped with the reason; the fallback decision for those this
 * channel cannot carry is written in the same statement, and carried out at once. Given the
 * recipient columns of the message's template, the same statement reads the allowed members'
 * data for it: each member is read once per batch, not once for the decision and again for the
 * message (two lookups of the same 1,000 members per batch, bench/RESULTS.md, ninth session).
 */
export async function recheck(hub: Hub, c: Campaign, channel: Channel, rows: PendingRow[], recipients?: RecipientColumns): Promise<{ allowed: AllowedRow[]; skipped: number }> {
  const decisions = await decideBatchWith(hub.db, c.category, channel, rows.map((r) => r.memberId), { includeResigned: c.kind === 'register_event' }, recipients ?? null);
  const allowed: AllowedRow[] = [];
  const skipped: { id: number; reason: string }[] = [];
  for (const r of rows) {
    const { decision: d, row } = decisions.get(r.memberId)!;
    if (d.allowed) allowed.push(recipients ? { ...r, decision: d, data: recipientFromRow(row!) } : { ...r, decision: d });
    else skipped.push({ id: r.id, reason: d.reason ?? 'unreachable' });
  }
  if (skipped.length) {
    await markSkipped(hub.db, skipped);
    if (skipped.some((s) => FALL_THROUGH_REASONS.has(s.reason))) await runFallbacks(hub);
  }
  return { allowed, skipped: skipped.length };
}

export interface OpenedBatch { c: Campaign; cat: CategoryRow; allowed: AllowedRow[]; skipped: number; inDoubt: number }

/**
 * Opening a batch: the gate, rows an earlier attempt left `sending` settled (in doubt for a
 * declinable category, sent again for a mandatory one; letters are written again under the
 * same file name, so they are simply sent again), the pending rows, the consent re-check (with
 * `recipientsOf`, the allowed members' data for the message read by the same statement).
 * Returns the job's result instead when there is nothing to send.
 */
export async function openBatch(hub: Hub, job: BatchRef, recipientsOf?: (c: Campaign) => Promise<RecipientColumns>): Promise<OpenedBatch | BatchResult> {
  const c = await loadCampaign(hub.db, job.campaignId);
  const g = await gate(hub, c, job);
  if (g !== 'send') return { sent: 0, skipped: 0, failed: 0, idle: c.state };
  const cat = (await loadCategory(hub.db, c.category))!;
  const inDoubt = await settleEarlierAttempts(hub.db, c.id, job.channel, job.batchNo, job.channel !== 'letter' && cat.declinable);
  const rows = await pendingRows(hub.db, c.id, job.channel, job.batchNo);
  if (!rows.length) { await completeIfDone(hub, c.id, job); return { sent: 0, skipped: 0, failed: 0, inDoubt }; }
  const { allowed, skipped } = await recheck(hub, c, job.channel, rows, recipientsOf ? await recipientsOf(c) : undefined);
  return { c, cat, allowed, skipped, inDoubt };
}
