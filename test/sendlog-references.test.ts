import type pg from 'pg';
import { createTestHub, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { blockedOnLock, pidOf } from './helpers/locks';

/**
 * send_log's references to members and campaigns (migrations 209, 210): the foreign keys became
 * per-statement triggers, and every guarantee the keys gave is kept. A log row names a member
 * and a campaign that exist; the rows it names stay locked against deletion until the writer
 * commits; a deleted member's rows stay with no member (the proof of what was sent stays, the
 * person goes); a deleted campaign's rows go with it.
 */

let t: TestHub;
beforeAll(async () => { t = await createTestHub(); });
afterAll(async () => { await t.close(); });

/** The one row a query must return. */
async function must(sql: string, params: unknown[]): Promise<Record<string, any>> {
  const r = await t.hub.db.one(sql, params);
  if (!r) throw new Error(`no row: ${sql}`);
  return r;
}

async function campaign(name: string): Promise<number> {
  return (await must(`INSERT INTO campaigns (name, category, channels) VALUES ($1, 'newsletter', ARRAY['email']) RETURNING id`, [name])).id;
}

async function logRow(q: { query: pg.Pool['query'] } | pg.PoolClient, campaignId: number, memberId: number | null): Promise<number> {
  return (await q.query(`INSERT INTO send_log (campaign_id, member_id, channel, batch_no) VALUES ($1, $2, 'email', 0) RETURNING id`, [campaignId, memberId])).rows[0].id;
}


/** Two sessions of their own, a writer of log rows and an eraser of members, released after `fn`. */
async function writerAndEraser(fn: (writer: pg.PoolClient, eraser: pg.PoolClient) => Promise<void>): Promise<void> {
  const writer = await t.hub.db.connect();
  const eraser = await t.hub.db.connect();
  try {
    await fn(writer, eraser);
  } finally {
    writer.release();
    eraser.release();
  }
}

test('a log row for a member who is not in the register is refused with the foreign key error', async () => {
  const c = await campaign('refs-member');
  await expect(logRow(t.hub.db.pool, c, 987654321)).rejects.toMatchObject({ code: '23503', constraint: 'send_log_member_id_fkey' });
  expect((await must(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1`, [c])).n).toBe(0);
});

test('a log row for a campaign that does not exist is refused with the foreign key error', async () => {
  const m = await insertMember(t.hub.db, { memberNumber: 'REF1' });
  await expect(logRow(t.hub.db.pool, 987654321, m.id)).rejects.toMatchObject({ code: '23503', constraint: 'send_log_campaign_id_fkey' });
});

test('one missing member refuses the whole statement, the members that exist included', async () => {
  const c = await campaign('refs-many');
  const ms = [await insertMember(t.hub.db, { memberNumber: 'REF2' }), await insertMember(t.hub.db, { memberNumber: 'REF3' })];
  await expect(t.hub.db.query(
    `INSERT INTO send_log (campaign_id, member_id, channel, batch_no) SELECT $1, x, 'email', 0 FROM unnest($2::bigint[]) x`,
    [c, [ms[0].id, 987654322, ms[1].id]])).rejects.toMatchObject({ code: '23503', detail: 'Key (member_id)=(987654322) is not present in table "members".' });
  expect((await must(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1`, [c])).n).toBe(0);
});

test('moving a log row to a member who is not in the register is refused; setting no member is allowed', async () => {
  const c = await campaign('refs-update');
  const m = await insertMember(t.hub.db, { memberNumber: 'REF4' });
  const id = await logRow(t.hub.db.pool, c, m.id);
  await expect(t.hub.db.query(`UPDATE send_log SET member_id = 987654323 WHERE id = $1`, [id])).rejects.toMatchObject({ code: '23503' });
  await t.hub.db.query(`UPDATE send_log SET member_id = NULL WHERE id = $1`, [id]);
  expect((await must(`SELECT member_id FROM send_log WHERE id = $1`, [id])).member_id).toBeNull();
});

test('deleting a member keeps their log rows with no member', async () => {
  const c = await campaign('refs-delete-member');
  const m = await insertMember(t.hub.db, { memberNumber: 'REF5' });
  const other = await insertMember(t.hub.db, { memberNumber: 'REF6' });
  const id = await logRow(t.hub.db.pool, c, m.id);
  const kept = await logRow(t.hub.db.pool, c, other.id);
  await t.hub.db.query(`DELETE FROM members WHERE id = $1`, [m.id]);
  const rows = await t.hub.db.many(`SELECT id, member_id FROM send_log WHERE campaign_id = $1 ORDER BY id`, [c]);
  expect(rows).toEqual([{ id, member_id: null }, { id: kept, member_id: other.id }]);
});

test('deleting a campaign deletes its log rows and no other campaign\'s', async () => {
  const [c1, c2] = [await campaign('refs-delete-c1'), await campaign('refs-delete-c2')];
  const m = await insertMember(t.hub.db, { memberNumber: 'REF7' });
  await logRow(t.hub.db.pool, c1, m.id);
  await logRow(t.hub.db.pool, c2, m.id);
  await t.hub.db.query(`DELETE FROM campaigns WHERE id = $1`, [c1]);
  expect((await t.hub.db.many(`SELECT campaign_id FROM send_log WHERE member_id = $1`, [m.id])).map((r) => r.campaign_id)).toEqual([c2]);
});

test('a member deleted while a writer holds their new log row waits for it, and the row then has no member', async () => {
  const c = await campaign('refs-race-1');
  const m = await insertMember(t.hub.db, { memberNumber: 'REF8' });
  await writerAndEraser(async (writer, eraser) => {
    await writer.query('BEGIN');
    const id = await logRow(writer, c, m.id);
    const erased = eraser.query(`DELETE FROM members WHERE id = $1`, [m.id]);
    await blockedOnLock(t.hub.db, pidOf(eraser));
    await writer.query('COMMIT');
    await erased;
    expect((await must(`SELECT member_id FROM send_log WHERE id = $1`, [id])).member_id).toBeNull();
  });
});

test('a writer that meets a member being deleted waits, and is refused once the deletion commits', async () => {
  const c = await campaign('refs-race-2');
  const m = await insertMember(t.hub.db, { memberNumber: 'REF9' });
  await writerAndEraser(async (writer, eraser) => {
    await eraser.query('BEGIN');
    await eraser.query(`DELETE FROM members WHERE id = $1`, [m.id]);
    const written = logRow(writer, c, m.id).then(() => 'written', (err) => err);
    await blockedOnLock(t.hub.db, pidOf(writer));
    await eraser.query('COMMIT');
    expect(await written).toMatchObject({ code: '23503', constraint: 'send_log_member_id_fkey' });
    expect((await must(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1`, [c])).n).toBe(0);
  });
});

test('a deletion of members outside READ COMMITTED is refused, and the member and their rows stay', async () => {
  const c = await campaign('refs-rr-delete');
  const m = await insertMember(t.hub.db, { memberNumber: 'REF10' });
  const id = await logRow(t.hub.db.pool, c, m.id);
  await writerAndEraser(async (_writer, eraser) => {
    await eraser.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await expect(eraser.query(`DELETE FROM members WHERE id = $1`, [m.id])).rejects.toMatchObject({ code: '25000' });
    await eraser.query('ROLLBACK');
  });
  expect((await must(`SELECT member_id FROM send_log WHERE id = $1`, [id])).member_id).toBe(m.id);
});

test('a writer in REPEATABLE READ whose member was deleted after its snapshot is refused', async () => {
  const c = await campaign('refs-rr-writer');
  const m = await insertMember(t.hub.db, { memberNumber: 'REF11' });
  await writerAndEraser(async (writer, eraser) => {
    await writer.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    await writer.query('SELECT 1 FROM members LIMIT 1'); // the snapshot is taken here
    await eraser.query(`DELETE FROM members WHERE id = $1`, [m.id]);
    await expect(logRow(writer, c, m.id)).rejects.toMatchObject({ code: '40001' }); // a serialization failure: retried, it is refused as missing
    await writer.query('ROLLBACK');
  });
  expect((await must(`SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1`, [c])).n).toBe(0);
});

test('a statement naming two campaigns, one of them missing, is refused', async () => {
  const c = await campaign('refs-two-campaigns');
  const m = await insertMember(t.hub.db, { memberNumber: 'REF12' });
  await expect(t.hub.db.query(
    `INSERT INTO send_log (campaign_id, member_id, channel, batch_no) SELECT x, $2, 'email', 0 FROM unnest($1::bigint[]) x`,
    [[c, 987654324], m.id])).rejects.toMatchObject({ code: '23503', detail: 'Key (campaign_id)=(987654324) is not present in table "campaigns".' });
});
