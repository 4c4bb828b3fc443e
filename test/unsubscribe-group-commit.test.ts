import { createTestHub, startApi, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { unsubscribeUrl } from '../src/consent';
import { UnsubscribeWriter, splitByMember } from '../src/consent/group-commit';

/** Group commit of unsubscribes (src/consent/group-commit.ts): many requests, one commit, each answered after it. */

let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
beforeAll(async () => { t = await createTestHub(); api = await startApi(t.hub); });
afterAll(async () => { await api.close(); await t.close(); });

const ledger = async (ids: number[]) => Number((await t.hub.db.one('SELECT count(*) AS n FROM consent_events WHERE member_id = ANY($1)', [ids]))!.n);
const oneClick = (url: string) => fetch(api.url + new URL(url).pathname, {
  method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click',
});
const change = (memberId: number) => ({ memberId, category: 'newsletter', channel: 'email' as const, source: 'one_click' as const, campaignId: null, at: new Date() });

test('300 one-click POSTs at once: every one 200, exactly one ledger row and state off for each member', async () => {
  const ms = await Promise.all(Array.from({ length: 300 }, (_, i) => insertMember(t.hub.db, { memberNumber: `GC${i}`, email: `gc${i}@example.no` })));
  const ids = ms.map((m) => m.id);
  const answers = await Promise.all(ms.map((m) => oneClick(unsubscribeUrl(t.config, { memberId: m.id, campaignId: null, category: 'newsletter', channel: 'email' }))));
  expect(answers.map((r) => r.status)).toEqual(ms.map(() => 200));
  expect(await ledger(ids)).toBe(300);
  const off = await t.hub.db.one(`SELECT count(*) AS n FROM consent_state WHERE member_id = ANY($1) AND category = 'newsletter' AND channel = 'email' AND granted = false`, [ids]);
  expect(Number(off!.n)).toBe(300);
});

test('a double click inside one batch adds one ledger row; the second answer says nothing new was recorded', async () => {
  const m = await insertMember(t.hub.db, { memberNumber: 'GCDBL', email: 'gcdbl@example.no' });
  // One commit in flight at a time, so the three arrive in the same batch behind a first request.
  const w = new UnsubscribeWriter(t.hub.db, { maxInFlight: 1 });
  const other = await insertMember(t.hub.db, { memberNumber: 'GCOTHER', email: 'gcother@example.no' });
  const [, a, b, c] = await Promise.all([w.record(change(other.id)), w.record(change(m.id)), w.record(change(m.id)), w.record(change(m.id))]);
  expect(await ledger([m.id])).toBe(1);
  expect([a, b, c].filter((r) => r.eventId !== null)).toHaveLength(1);
  expect([a, b, c].every((r) => r.found)).toBe(true);
});

test('an erased member in a batch is "not found" and does not fail the others', async () => {
  const ms = await Promise.all([0, 1, 2].map((i) => insertMember(t.hub.db, { memberNumber: `GCE${i}`, email: `gce${i}@example.no` })));
  await t.hub.db.query('DELETE FROM members WHERE id = $1', [ms[1].id]);
  const w = new UnsubscribeWriter(t.hub.db, { maxInFlight: 1 });
  const blocker = await insertMember(t.hub.db, { memberNumber: 'GCEB', email: 'gceb@example.no' });
  const [, r0, r1, r2] = await Promise.all([w.record(change(blocker.id)), ...ms.map((m) => w.record(change(m.id)))]);
  expect([r0.found, r1.found, r2.found]).toEqual([true, false, true]);
  expect(r0.eventId).not.toBeNull();
  expect(r2.eventId).not.toBeNull();
  expect(await ledger(ms.map((m) => m.id))).toBe(2);
});

test('a batch that fails is retried request by request: the good ones commit, the bad one is rejected', async () => {
  const good = await insertMember(t.hub.db, { memberNumber: 'GCG', email: 'gcg@example.no' });
  const w = new UnsubscribeWriter(t.hub.db, { maxInFlight: 1 });
  const blocker = await insertMember(t.hub.db, { memberNumber: 'GCGB', email: 'gcgb@example.no' });
  const bad = change(1.5); // not a bigint: the whole statement fails
  const results = await Promise.allSettled([w.record(change(blocker.id)), w.record(change(good.id)), w.record(bad)]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
  expect(await ledger([good.id])).toBe(1);
});

test('requests that arrive together are committed together, split over the free connections', async () => {
  const ms = await Promise.all(Array.from({ length: 10 }, (_, i) => insertMember(t.hub.db, { memberNumber: `GCS${i}`, email: `gcs${i}@example.no` })));
  const ids = ms.map((m) => m.id);
  const w = new UnsubscribeWriter(t.hub.db, { maxInFlight: 2 });
  const results = await Promise.all(ms.map((m) => w.record(change(m.id))));
  expect(results.every((r) => r.found && r.eventId !== null)).toBe(true);
  // One transaction per commit: two commits of five, not one alone and nine after it.
  const commits = await t.hub.db.many('SELECT xmin::text AS tx, count(*)::int AS n FROM consent_events WHERE member_id = ANY($1) GROUP BY 1', [ids]);
  expect(commits.map((c) => c.n).sort()).toEqual([5, 5]);
});

test('a split keeps member-id order and never cuts one member\'s requests apart', () => {
  const req = (memberId: number, k: number) => ({ u: { memberId }, k });
  const items = [req(5, 0), req(3, 1), req(3, 2), req(3, 3), req(9, 4), req(1, 5)];
  const runs = splitByMember(items, 2);
  expect(runs.map((r) => r.map((x) => x.k))).toEqual([[5, 1, 2, 3], [0, 4]]);
  expect(splitByMember(items, 1)).toHaveLength(1);
  expect(splitByMember([req(7, 0), req(7, 1), req(7, 2)], 2)).toHaveLength(1);
  expect(splitByMember(items, 10).flat().map((x) => x.k)).toEqual([5, 1, 2, 3, 0, 4]);
});
