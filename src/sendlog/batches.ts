import type { Db, Queryable } from '../db';
import { prepared } from '../db';

/**
 * Which batches of a campaign may still have rows to send: `send_batches` (migration 211). No
 * index of send_log reads `state` (so the mark queued → sent is a HOT update); this small table
 * answers "is anything left?" and "which batches should the sweep enqueue?" instead.
 *
 * A batch is opened by triggers whenever a statement writes a queued or sending row into it
 * (insert, or an update that makes a row wait again); the trigger updates the batch row even when
 * it is open, so it holds that row's lock until its transaction ends. A batch is closed here,
 * in two statements of one transaction: lock the batch row, THEN look for waiting rows (a new
 * statement, a new snapshot in READ COMMITTED). Both orders of a race with a writer are safe:
 *  - the writer locked first: the closer waits for its commit and then sees its rows: stays open;
 *  - the closer locked first: it may not see the writer's uncommitted rows and close, but the
 *    writer's trigger waits for the closer and opens the batch again after it.
 * An open batch with nothing left costs one more job run, never a lost row.
 */
export interface BatchKey { campaignId: number; channel: string; batchNo: number }

/** Waiting rows of one batch, newest first: a batch sent in id order finds its next waiting row at once. */
const WAITING_IN_BATCH = (c: string, ch: string, b: string) =>
  `(SELECT s.id FROM send_log s WHERE s.campaign_id = ${c} AND s.channel = ${ch} AND s.batch_no = ${b}
     AND s.state IN ('queued', 'sending') ORDER BY s.id DESC LIMIT 1) IS NULL`;

/** Closes the batch if none of its rows waits. True when it is closed now (by this call). */
export async function closeBatchIfDone(db: Db, b: BatchKey): Promise<boolean> {
  // A row seen waiting, without a lock, is reason enough to leave the batch open (leaving it
  // open is always safe): an SMS message job of a batch that is still going pays one read.
  const done = (await db.query(prepared(`SELECT ${WAITING_IN_BATCH('$1', '$2', '$3')} AS done`), [b.campaignId, b.channel, b.batchNo])).rows[0].done;
  if (!done) return false;
  return db.tx(async (q) => {
    const row = (await q.query(prepared(`SELECT open FROM send_batches WHERE campaign_id = $1 AND channel = $2 AND batch_no = $3 FOR UPDATE`),
      [b.campaignId, b.channel, b.batchNo])).rows[0];
    if (!row?.open) return false;
    const r = await q.query(prepared(`UPDATE send_batches SET open = false WHERE campaign_id = $1 AND channel = $2 AND batch_no = $3
      AND ${WAITING_IN_BATCH('$1', '$2', '$3')}`), [b.campaignId, b.channel, b.batchNo]);
    return (r.rowCount ?? 0) > 0;
  });
}

/**
 * Closes every open batch of the campaign with nothing left (the sweep, the end of a snapshot).
 * Batches locked right now are skipped: their writer or closer decides them.
 */
export async function closeDoneBatches(db: Db, campaignId: number): Promise<number> {
  return db.tx(async (q) => {
    const keys = (await q.query(
      `SELECT channel, batch_no FROM send_batches WHERE campaign_id = $1 AND open ORDER BY channel, batch_no FOR UPDATE SKIP LOCKED`, [campaignId])).rows;
    if (!keys.length) return 0;
    const r = await q.query(
      `UPDATE send_batches b SET open = false FROM unnest($2::text[], $3::int[]) AS k(channel, batch_no)
        WHERE b.campaign_id = $1 AND b.channel = k.channel AND b.batch_no = k.batch_no AND b.open
          AND ${WAITING_IN_BATCH('$1', 'k.channel', 'k.batch_no')}`,
      [campaignId, keys.map((k) => k.channel), keys.map((k) => k.batch_no)]);
    return r.rowCount ?? 0;
  });
}

/** The campaign's open batches, in sending order (what the sweep enqueues). */
export async function openBatches(db: Queryable, campaignId: number): Promise<{ channel: 'email' | 'sms' | 'letter'; batchNo: number }[]> {
  const { rows } = await db.query(
    `SELECT channel, batch_no FROM send_batches WHERE campaign_id = $1 AND open ORDER BY batch_no, channel`, [campaignId]);
  return rows.map((r) => ({ channel: r.channel, batchNo: r.batch_no }));
}

/** SQL boolean: campaign `c` has no open batch (nothing left to send). */
export const NO_OPEN_BATCH = (c: string) => `NOT EXISTS (SELECT 1 FROM send_batches WHERE campaign_id = ${c} AND open)`;
