/**
 * The optional email delivery window of a campaign: spread its email over N minutes, or send at
 * most N emails an hour. Off (null) by default: email goes as fast as the workers send it.
 *
 * It is kept by the queue, not by a worker: each email batch of the snapshot is enqueued with a
 * delay so that it becomes ready no earlier than `startAt + batchNo × intervalMs`. BullMQ keeps
 * delayed jobs in Redis for every worker process alike, so adding workers does not send faster,
 * and a job re-enqueued after a lost Redis gets the same time again (the plan is stored with
 * the campaign when its snapshot starts). Batches are made smaller under a window (about one a
 * minute) so the rate is even rather than a thousand at once. Fallback batches (negative
 * numbers) are not held: they follow the event that caused them.
 */
export type DeliveryWindow = { minutes: number } | { perHour: number };

export interface WindowPlan {
  /** Emails per batch. */
  batchSize: number;
  /** Between the ready times of two consecutive email batches. */
  intervalMs: number;
  /** When batch 0 may go (ms since the epoch): the start of the snapshot. */
  startAt: number;
}

/** Log rows per batch without a window (one SendGrid request per language group). */
export const BATCH_SIZE = 1000;

const MINUTE = 60_000;

/**
 * The plan for `expectedEmails` emails from `startAt`. Spread over N minutes: about one batch a
 * minute, the last one ready at N minutes. At most N an hour: batches of N/60 (at least 1) a
 * minute apart, or bigger batches further apart when N/60 exceeds the batch size.
 */
export function planWindow(w: DeliveryWindow, expectedEmails: number, startAt: number): WindowPlan {
  if ('minutes' in w) {
    const batchSize = Math.min(BATCH_SIZE, Math.max(1, Math.ceil(expectedEmails / Math.max(1, w.minutes))));
    const batches = Math.max(1, Math.ceil(expectedEmails / batchSize));
    return { batchSize, intervalMs: batches > 1 ? Math.floor((w.minutes * MINUTE) / (batches - 1)) : 0, startAt };
  }
  const batchSize = Math.min(BATCH_SIZE, Math.max(1, Math.floor(w.perHour / 60)));
  return { batchSize, intervalMs: Math.ceil((batchSize * 60 * MINUTE) / w.perHour), startAt };
}

/** When an email batch may be sent under the plan (undefined: at once). */
export function batchNotBefore(plan: WindowPlan | null | undefined, channel: string, batchNo: number): number | undefined {
  if (!plan || channel !== 'email' || batchNo < 0) return undefined;
  return plan.startAt + batchNo * plan.intervalMs;
}
