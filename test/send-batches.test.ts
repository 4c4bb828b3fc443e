import { createTestHub, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { blockedOnLock, pidOf, someoneWaitsOn } from './helpers/locks';
import { closeBatchIfDone, closeDoneBatches, openAttempt, markAttemptSent, openBatches } from '../src/sendlog';

/**
 * Which batches may still have rows to send (send_batches, migration 211): opened by the
 * writers' triggers, closed only when nothing waits, and safe against a writer racing a closer.
 * And why it exists: marking an email request sent writes HOT row versions only.
 */

let t: TestHub;
beforeAll(async () => { t = await createTestHub(); });
afterAll(async () => { await t.close(); });

async function runningCampaign(name: string): Promise<number> {
  return (await t.hub.db.one(`INSERT INTO campaigns (name, category, channels, state) VALUES ($1, 'newsletter', ARRAY['email'], 'running') RETURNING id`, [name]))!.id;
}

async function members(n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) ids.push((await insertMember(t.hub.db)).id);
  return ids;
}

async function queuedRows(campaignId: number, memberIds: number[], batchNo = 0): Promise<number[]> {
  return (await t.hub.db.many(`INSERT INTO send_log (campaign_id, member_id, channel, state, batch_no)
    SELECT $1, m, 'email', 'queued', $3 FROM unnest($2::bigint[]) m RETURNING id`, [campaignId, memberIds, batchNo])).map((r) => Number(r.id));
}

const isOpen = async (campaignId: number, batchNo = 0) =>
  (await t.hub.db.one(`SELECT open FROM send_batches WHERE campaign_id = $1 AND channel = 'email' AND batch_no = $2`, [campaignId, batchNo]))?.open;


test('rows written queued open their batch, and a batch with a row still queued is not closed', async () => {
  const c = await runningCampaign('batches-open');
  await queuedRows(c, await members(2));
  expect(await isOpen(c)).toBe(true);
  expect(await closeBatchIfDone(t.hub.db, { campaignId: c, channel: 'email', batchNo: 0 })).toBe(false);
  expect(await openBatches(t.hub.db, c)).toEqual([{ channel: 'email', batchNo: 0 }]);
});

test('a batch whose rows are all sent is closed; a failed row queued again opens it again', async () => {
  const c = await runningCampaign('batches-close');
  const ids = await queuedRows(c, await members(2));
  await t.hub.db.query(`UPDATE send_log SET state = 'sent' WHERE id = $1`, [ids[0]]);
  await t.hub.db.query(`UPDATE send_log SET state = 'failed', reason = 'rejected: x' WHERE id = $1`, [ids[1]]);
  expect(await closeBatchIfDone(t.hub.db, { campaignId: c, channel: 'email', batchNo: 0 })).toBe(true);
  expect(await openBatches(t.hub.db, c)).toEqual([]);
  await t.hub.db.query(`UPDATE send_log SET state = 'queued', reason = NULL WHERE id = $1`, [ids[1]]);
  expect(await isOpen(c)).toBe(true);
});

test('a row moved into another batch opens that batch', async () => {
  const c = await runningCampaign('batches-move');
  const [id] = await queuedRows(c, await members(1));
  await t.hub.db.query(`UPDATE send_log SET state = 'failed' WHERE id = $1`, [id]);
  await closeDoneBatches(t.hub.db, c);
  await t.hub.db.query(`UPDATE send_log SET state = 'queued', batch_no = 7 WHERE id = $1`, [id]);
  expect(await openBatches(t.hub.db, c)).toEqual([{ channel: 'email', batchNo: 7 }]);
});

test('a writer that makes a row wait while a closer holds the batch leaves the batch open', async () => {
  const c = await runningCampaign('batches-race-1');
  const [id] = await queuedRows(c, await members(1));
  await t.hub.db.query(`UPDATE send_log SET state = 'failed' WHERE id = $1`, [id]);
  const closer = await t.hub.db.connect();
  const writer = await t.hub.db.connect();
  try {
    await closer.query('BEGIN');
    await closer.query(`SELECT 1 FROM send_batches WHERE campaign_id = $1 FOR UPDATE`, [c]);
    const written = writer.query(`UPDATE send_log SET state = 'queued' WHERE id = $1`, [id]);
    await blockedOnLock(t.hub.db, pidOf(writer));
    // The closer sees nothing waiting (the writer's change is not visible to it) and closes.
    await closer.query(`UPDATE send_batches SET open = false WHERE campaign_id = $1`, [c]);
    await closer.query('COMMIT');
    await written;
    expect(await isOpen(c)).toBe(true);
  } finally {
    closer.release();
    writer.release();
  }
});

test('a closer that meets a writer holding the batch waits, sees its row, and leaves the batch open', async () => {
  const c = await runningCampaign('batches-race-2');
  const [id] = await queuedRows(c, await members(1));
  await t.hub.db.query(`UPDATE send_log SET state = 'failed' WHERE id = $1`, [id]);
  await closeDoneBatches(t.hub.db, c);
  const writer = await t.hub.db.connect();
  try {
    await writer.query('BEGIN');
    await writer.query(`UPDATE send_log SET state = 'queued' WHERE id = $1`, [id]);
    const closed = closeBatchIfDone(t.hub.db, { campaignId: c, channel: 'email', batchNo: 0 });
    await someoneWaitsOn(t.hub.db, 'FROM send_batches');
    await writer.query('COMMIT');
    expect(await closed).toBe(false);
    expect(await isOpen(c)).toBe(true);
  } finally {
    writer.release();
  }
});

test('marking an email request sent writes HOT row versions only (no index entries)', async () => {
  const c = await runningCampaign('batches-hot');
  const ids = await queuedRows(c, await members(20));
  const client = await t.hub.db.connect();
  try {
    // The counters of this backend not yet reported (earlier statements of it may be in them): the difference counts.
    const counters = async () => (await client.query(`SELECT pg_stat_get_xact_tuples_updated('send_log'::regclass)::int AS updated,
      pg_stat_get_xact_tuples_hot_updated('send_log'::regclass)::int AS hot`)).rows[0] as { updated: number; hot: number };
    await client.query('BEGIN');
    const before = await counters();
    const covered = await openAttempt(client, 'hot-test-attempt', { campaignId: c, channel: 'email', batchNo: 0 }, ids);
    expect(covered).toHaveLength(20);
    const marked = await markAttemptSent(client, 'hot-test-attempt', ids.map((id, i) => ({ id, address: `m${i}@example.no` })), 'x-message-id-1', new Date());
    expect(marked).toBe(20);
    const after = await counters();
    expect({ updated: after.updated - before.updated, hot: after.hot - before.hot }).toEqual({ updated: 20, hot: 20 });
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  // The request's id is found through the attempt.
  const r = await t.hub.db.many(`SELECT s.state, t.provider_message_id FROM send_log s JOIN send_attempts t ON t.id = s.attempt_id WHERE s.campaign_id = $1`, [c]);
  expect(r.every((x) => x.state === 'sent' && x.provider_message_id === 'x-message-id-1')).toBe(true);
});
