import { createTestHub, type TestHub } from './helpers/hub';
import { writeSnapshotRows } from '../src/sendlog';

/**
 * How a snapshot step numbers its batches (src/sendlog/snapshot.ts): an email batch holds
 * members of one language (one rendering, full SendGrid requests), batch numbers are dense per
 * channel from the campaign's next number, and every member is written once.
 */

let t: TestHub;
beforeAll(async () => { t = await createTestHub(); });
afterAll(async () => { await t.close(); });

test('an email batch holds one language; numbers are dense per channel; each member is written once', async () => {
  const c = (await t.hub.db.one(`INSERT INTO campaigns (name, category, channels, state) VALUES ('numbering', 'newsletter', ARRAY['email', 'sms'], 'running') RETURNING id`))!.id as number;
  // 25 members NB1…NB25: the language by g % 3; every fifth (NB5, NB10…) on SMS.
  const ids = (await t.hub.db.many(`INSERT INTO members (member_number, first_name, last_name, email, street, postcode, municipality_number, county_code, language)
    SELECT 'NB' || g, 'Nina', 'Nummer' || g, 'nb' || g || '@example.no', 'Gata 1', '0150', '0301', '03', (ARRAY['nb', 'nn', 'en'])[1 + g % 3]
      FROM generate_series(1, 25) g RETURNING id`)).map((r) => Number(r.id));
  const lo = Math.min(...ids);
  const hi = Math.max(...ids) + 1;
  const pick = `SELECT m.id, CASE WHEN substr(m.member_number, 3)::int % 5 = 0 THEN 'sms' ELSE 'email' END AS ch, NULL::text AS reason, m.language AS lang
    FROM members m WHERE m.id >= $1 AND m.id < $2`;
  const step = { campaignId: c, firstChannel: 'email', nextBatch: 10, emailBatchSize: 4, batchSize: 4, memberIds: { from: lo, to: hi } };
  const written = await writeSnapshotRows(t.hub.db, step, pick, [lo, hi]);
  expect(written.reduce((n, r) => n + r.n, 0)).toBe(25);
  const rows = await t.hub.db.many(`SELECT s.channel, s.batch_no, m.language FROM send_log s JOIN members m ON m.id = s.member_id WHERE s.campaign_id = $1`, [c]);
  const email = rows.filter((r) => r.channel === 'email');
  const byBatch = new Map<number, Set<string>>();
  for (const r of email) byBatch.set(r.batch_no, (byBatch.get(r.batch_no) ?? new Set()).add(r.language));
  expect([...byBatch.values()].every((langs) => langs.size === 1)).toBe(true);
  // 20 email members: 7 + 7 + 6 per language → 2 + 2 + 2 batches of at most 4, numbered 10–15.
  expect([...byBatch.keys()].sort((a, b) => a - b)).toEqual([10, 11, 12, 13, 14, 15]);
  expect([...new Set(rows.filter((r) => r.channel === 'sms').map((r) => r.batch_no))].sort()).toEqual([10, 11]);
  // Again: nothing more is written.
  expect(await writeSnapshotRows(t.hub.db, step, pick, [lo, hi])).toEqual([]);
});
