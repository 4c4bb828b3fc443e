import { createTestHub, type TestHub } from './helpers/hub';
import { insertMember } from './helpers/fixtures';
import { UnsubscribeWriter } from '../src/consent/group-commit';

/**
 * The set-based batch of the unsubscribe group commit (`consent_unsubscribe_batch`, migration 205):
 * what it records is what `consent_record` records called once per request in the same order, and
 * the advisory lock still orders it after a change of the same member on another connection.
 */

let t: TestHub;
beforeAll(async () => { t = await createTestHub(); });
afterAll(async () => { await t.close(); });

interface Req { member: number; category: string; channel: string; source: string; campaign: number | null; at: Date }

/** A small deterministic generator (the cases are the same in every run). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

test('the batch statement records what consent_record called once per request in the same order records', async () => {
  const rand = rng(15);
  const N = 12;
  // Two members per slot with the same starting states: one for the batch, one for consent_record.
  const a: number[] = [];
  const b: number[] = [];
  for (let k = 0; k < N; k++) {
    a.push((await insertMember(t.hub.db, { memberNumber: `UBA${k}`, email: `uba${k}@example.no` })).id);
    b.push((await insertMember(t.hub.db, { memberNumber: `UBB${k}`, email: `ubb${k}@example.no` })).id);
  }
  // Starting states: nothing, granted, or already off, for some pairs (recorded by consent_record for both twins).
  const pairs: [string, string][] = [['newsletter', 'email'], ['campaign', 'sms'], ['campaign', 'email'], ['survey', 'email']];
  // One erased slot: both twins gone.
  await t.hub.db.query('DELETE FROM members WHERE id = ANY($1)', [[a[N - 1], b[N - 1]]]);
  for (let k = 0; k < N - 1; k++) {
    for (const [cat, ch] of pairs) {
      const r = rand();
      if (r < 0.4) continue;
      const granted = r < 0.7;
      for (const m of [a[k], b[k]]) {
        await t.hub.db.query(`SELECT consent_record($1, $2, $3, $4, 'staff', NULL, 'staff', NULL, 'start', '2026-11-01T12:00:00Z')`, [m, cat, ch, granted]);
      }
    }
  }
  // Requests: repeated pairs (double clicks), a channel the category does not have (magazine by
  // email), a category that is not declinable (the route refuses it, the SQL records it), the erased member.
  const choices: [string, string][] = [...pairs, ['magazine', 'email'], ['service', 'email']];
  const reqs: { slot: number; r: Omit<Req, 'member'> }[] = [];
  for (let n = 0; n < 60; n++) {
    const slot = Math.floor(rand() * N);
    const [category, channel] = choices[Math.floor(rand() * choices.length)];
    reqs.push({ slot, r: { category, channel, source: rand() < 0.5 ? 'one_click' : 'unsubscribe_link', campaign: rand() < 0.5 ? null : 7, at: new Date(Date.UTC(2026, 11, 1, 19, 0, n)) } });
  }
  // The writer's order: member id, then arrival (a and b are in the same order: a[k] < a[k+1], b likewise).
  reqs.sort((x, y) => x.slot - y.slot);

  const batch = await t.hub.db.many(
    `SELECT i, language, event_id FROM consent_unsubscribe_batch($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])`,
    [reqs.map((q) => a[q.slot]), reqs.map((q) => q.r.category), reqs.map((q) => q.r.channel), reqs.map((q) => q.r.source), reqs.map((q) => q.r.campaign), reqs.map((q) => q.r.at)]);
  const byI = new Map(batch.map((r) => [Number(r.i), r]));

  const client = await t.hub.db.pool.connect();
  const single: ({ found: boolean; written: boolean })[] = [];
  try {
    await client.query('BEGIN');
    for (const q of reqs) {
      const exists = (await client.query('SELECT 1 FROM members WHERE id = $1', [b[q.slot]])).rowCount === 1;
      const r = await client.query(`SELECT consent_record($1, $2, $3, false, $4, NULL, 'member', $5, NULL, $6) AS e`,
        [b[q.slot], q.r.category, q.r.channel, q.r.source, q.r.campaign, q.r.at]);
      single.push({ found: exists, written: r.rows[0].e !== null });
    }
    await client.query('COMMIT');
  } finally { client.release(); }

  expect(reqs.map((_, k) => ({ found: byI.has(k + 1), written: byI.get(k + 1)?.event_id != null }))).toEqual(single);
  expect(single.some((s) => s.written) && single.some((s) => s.found && !s.written) && single.some((s) => !s.found)).toBe(true);

  const ledger = async (ids: number[]) => (await t.hub.db.many(
    `SELECT array_position($1::bigint[], member_id) AS slot, category, channel, granted, source, campaign_id, actor, reason, at
       FROM consent_events WHERE member_id = ANY($1) AND reason IS DISTINCT FROM 'start' ORDER BY id`, [ids]));
  const state = async (ids: number[]) => (await t.hub.db.many(
    `SELECT array_position($1::bigint[], cs.member_id) AS slot, cs.category, cs.channel, cs.granted, cs.updated_at, e.at AS event_at, e.source AS event_source
       FROM consent_state cs JOIN consent_events e ON e.id = cs.event_id
      WHERE cs.member_id = ANY($1) ORDER BY 1, 2, 3`, [ids]));
  expect(await ledger(a)).toEqual(await ledger(b));
  expect(await state(a)).toEqual(await state(b));
});

test('a batch waiting for a member\'s lock sees the change committed meanwhile: no second ledger row', async () => {
  const m = await insertMember(t.hub.db, { memberNumber: 'UBLOCK', email: 'ublock@example.no' });
  const other = await t.hub.db.pool.connect();
  try {
    // Another connection unsubscribes the same member and holds its transaction open (and the lock).
    await other.query('BEGIN');
    const first = await other.query(`SELECT consent_record($1, 'newsletter', 'email', false, 'preference_page', NULL, 'member', NULL, NULL, now()) AS e`, [m.id]);
    expect(first.rows[0].e).not.toBeNull();
    const w = new UnsubscribeWriter(t.hub.db, { maxInFlight: 1 });
    const pending = w.record({ memberId: m.id, category: 'newsletter', channel: 'email', source: 'one_click', campaignId: null, at: new Date() });
    // Wait (generously) until the batch is blocked on the member's advisory lock, then commit the other change.
    let blocked = false;
    for (let k = 0; k < 600 && !blocked; k++) {
      const waiting = await t.hub.db.one(`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%consent_unsubscribe_batch%'`);
      blocked = waiting!.n > 0;
      if (!blocked) await new Promise((r) => setTimeout(r, 50));
    }
    await other.query('COMMIT');
    expect(blocked).toBe(true);
    const r = await pending;
    expect(r.found).toBe(true);
    expect(r.eventId).toBeNull();
  } finally { other.release(); }
  const n = await t.hub.db.one(`SELECT count(*)::int AS n FROM consent_events WHERE member_id = $1`, [m.id]);
  expect(n!.n).toBe(1);
});
