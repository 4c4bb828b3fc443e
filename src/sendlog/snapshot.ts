import type { Queryable } from '../db';

/** Batches of a snapshot step: the rows written per channel and batch (batch null: skipped rows). */
export interface SnapshotRows { channel: 'email' | 'sms' | 'letter'; batchNo: number | null; n: number }

export interface SnapshotStepWrite {
  campaignId: number;
  /** The campaign's first channel: the channel a skipped row (nobody reaches the member) is logged on. */
  firstChannel: string;
  /** The first batch number of this step (campaigns.next_batch). */
  nextBatch: number;
  /** Rows per email batch (smaller under a delivery window) and per SMS/letter batch. */
  emailBatchSize: number;
  batchSize: number;
  /** The step's member ids, from ≤ id < to: only these are written, and only their existing rows are read. */
  memberIds: { from: number; to: number };
}

/**
 * One snapshot step's rows: for every member the caller's `pick` names (a SELECT of
 * `id, ch, reason, lang`: the member, the chosen channel or null, the reason when null, and the
 * member's language; an email batch holds one language, so that it is one rendering and its
 * requests are full: 1000 members of mixed languages made 5–6 SendGrid requests, not 4) that has
 * no row in the campaign yet, a row queued on `ch` in a numbered batch, or skipped with the
 * reason on the first channel. The campaign decides WHO and on WHICH channel (the one channel
 * rule, src/audience/channel.ts); this decides how it is written. Every member once however
 * often a step runs: the anti-join leaves out members the campaign has a row for, and the log's
 * unique key refuses the rest. The insert is a plain one, not ON CONFLICT DO NOTHING: nothing
 * else writes a campaign's rows for members it has none for (a fallback row follows a committed
 * first row, and the campaign's row lock orders the steps), so the conflict arm never fired,
 * and its speculative insertion (a probe of the unique index before each row, a confirmation
 * record after) cost 26 % of the insert (1.86 → 1.38 s per 100,000 rows on a copy of send_log,
 * bench/RESULTS.md, ninth session). Should a row appear anyway, the step fails with the unique
 * violation and its transaction writes nothing; the job's retry starts again from the cursor.
 * `pick` may use `params` ($1…); this appends its own after them.
 */
export async function writeSnapshotRows(db: Queryable, step: SnapshotStepWrite, pick: string, params: unknown[]): Promise<SnapshotRows[]> {
  const p = [...params, step.campaignId, step.firstChannel, step.nextBatch, step.emailBatchSize, step.batchSize, step.memberIds.from, step.memberIds.to];
  const [cid, first, next, emailSize, size, from, to] = [1, 2, 3, 4, 5, 6, 7].map((k) => `$${params.length + k}`);
  const { rows } = await db.query(
    `WITH pick AS (
       SELECT p.id, p.ch, p.reason, CASE WHEN p.ch = 'email' THEN COALESCE(p.lang, '') ELSE '' END AS grp FROM (${pick}) p
        WHERE p.id >= ${from}::bigint AND p.id < ${to}::bigint
          -- The campaign's existing rows of this id range only (send_log_unique's second column):
          -- without the range the anti-join read every row the earlier steps wrote, 900,000 by
          -- the last step at a million members.
          AND NOT EXISTS (SELECT 1 FROM send_log s WHERE s.campaign_id = ${cid}::bigint
                           AND s.member_id >= ${from}::bigint AND s.member_id < ${to}::bigint AND s.member_id = p.id)
     ), numbered AS (
       SELECT id, ch, reason, grp,
              CASE WHEN ch IS NOT NULL THEN (row_number() OVER (PARTITION BY ch, grp ORDER BY id) - 1)
                / (CASE WHEN ch = 'email' THEN ${emailSize}::int ELSE ${size}::int END) END AS k
         FROM pick
     ), ranked AS (
       -- Batch numbers dense per channel: the groups' batches one after the other.
       SELECT id, ch, reason, CASE WHEN ch IS NOT NULL THEN dense_rank() OVER (PARTITION BY ch ORDER BY grp, k) - 1 END AS k
         FROM numbered
     ), ins AS (
       INSERT INTO send_log (campaign_id, member_id, channel, state, reason, batch_no)
       SELECT ${cid}::bigint, id, COALESCE(ch, ${first}::text), CASE WHEN ch IS NULL THEN 'skipped' ELSE 'queued' END, reason, ${next}::int + k
         FROM ranked
       RETURNING channel, batch_no)
     SELECT channel, batch_no, count(*)::int AS n FROM ins GROUP BY 1, 2`, p);
  return rows.map((r) => ({ channel: r.channel, batchNo: r.batch_no, n: r.n }));
}
