import { createTestHub, type TestHub } from './helpers/hub';
import { CHANNELS, categoryFacts, decideBatch, decisionJoinSql, reachableSql, recordConsentChange, suppress, unreachableReasonSql, type Channel } from '../src/consent';

/**
 * The decision's forms (SQL as subqueries for the snapshot, SQL as joins for the preview, batch for
 * the senders) must give the same answer for every member: a generated population with every combination of status,
 * missing / blank / suppressed / lifted addresses and explicit choices (none, granted,
 * withdrawn) on every category × channel, plus randomly mixed members.
 */
let t: TestHub;
beforeAll(async () => { t = await createTestHub(); });
afterAll(() => t.close());

// A small deterministic PRNG so a failure can be replayed.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
}

type EmailState = 'none' | 'blank' | 'ok' | 'suppressed' | 'suppressed_case' | 'lifted';
type PhoneState = 'none' | 'ok' | 'suppressed';
type LetterState = 'none' | 'blank_street' | 'ok';
const EMAIL: EmailState[] = ['none', 'blank', 'ok', 'suppressed', 'suppressed_case', 'lifted'];
const PHONE: PhoneState[] = ['none', 'ok', 'suppressed'];
const LETTER: LetterState[] = ['none', 'blank_street', 'ok'];
const STATUS = ['active', 'resigned'] as const;
type Choice = 'none' | 'granted' | 'withdrawn' | 'random';
const CHOICES: Choice[] = ['none', 'granted', 'withdrawn', 'random'];

test('reachableSql, unreachableReasonSql, decisionJoinSql (gated and over known category facts) and decideBatch agree for every member, category and channel', async () => {
  const db = t.hub.db;
  // An edge: a category that used to be declinable, with withdrawals on record, is now mandatory.
  await db.query(`INSERT INTO message_categories (code, name_nb, legal_basis, declinable, default_on, channels)
                  VALUES ('was_optional', 'Tidligere valgfri', 'test', true, true, ARRAY['email','sms','letter'])`);
  const cats = (await db.many('SELECT code, channels FROM message_categories')) as { code: string; channels: string[] }[];
  const pairs = cats.flatMap((c) => c.channels.map((ch) => [c.code, ch] as [string, string]));
  const rand = rng(20240601);
  const members: number[] = [];
  let n = 0;
  const make = async (status: string, e: EmailState, p: PhoneState, l: LetterState, choice: Choice) => {
    n++;
    const email = e === 'none' ? null : e === 'blank' ? '  ' : `Person.${n}@Example.NO`;
    const phone = p === 'none' ? null : `+4790${String(n).padStart(6, '0')}`;
    const street = l === 'blank_street' ? ' ' : l === 'none' ? null : `Gate ${n}`;
    const postcode = l === 'none' ? null : '0150';
    const r = await db.one(
      `INSERT INTO members (member_number, first_name, last_name, email, phone, street, postcode, status, resigned_at)
       VALUES ($1, 'Test', 'Person', $2, $3, $4, $5, $6, $7) RETURNING id`,
      [`D${n}`, email, phone, street, postcode, status, status === 'resigned' ? '2024-01-01' : null]);
    const id = r!.id as number;
    members.push(id);
    if (e === 'suppressed' || e === 'suppressed_case' || e === 'lifted') {
      // Suppressions are stored lower-cased; the member's address keeps its capitals.
      const s = await suppress(db, { channel: 'email', address: e === 'suppressed_case' ? email!.toUpperCase() : email!, reason: 'hard_bounce', sourceEvent: 'test' });
      if (e === 'lifted') await db.query(`UPDATE suppressions SET lifted_at = now(), lift_reason = 'test' WHERE id = $1`, [s.id]);
    }
    if (p === 'suppressed') await suppress(db, { channel: 'sms', address: phone!, reason: 'carrier_opt_out', sourceEvent: 'test' });
    const rows: [string, string, boolean][] = [];
    for (const [cat, ch] of pairs) {
      const c = choice === 'random' ? (['none', 'granted', 'withdrawn'] as const)[Math.floor(rand() * 3)] : choice;
      if (c !== 'none') rows.push([cat, ch, c === 'granted']);
    }
    if (rows.length) {
      await db.query(
        `WITH x AS (SELECT * FROM unnest($2::text[], $3::text[], $4::boolean[]) AS x(category, channel, granted)),
              e AS (INSERT INTO consent_events (member_id, category, channel, granted, source, actor)
                    SELECT $1, category, channel, granted, 'import', 'test' FROM x RETURNING id, category, channel, granted)
         INSERT INTO consent_state (member_id, category, channel, granted, event_id, updated_at)
         SELECT $1, category, channel, granted, id, now() FROM e`,
        [id, rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])]);
    }
  };
  for (const status of STATUS) for (const e of EMAIL) for (const p of PHONE) for (const l of LETTER) for (const c of CHOICES) await make(status, e, p, l, c);
  for (let i = 0; i < 150; i++) {
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    await make(pick(STATUS), pick(EMAIL), pick(PHONE), pick(LETTER), 'random');
  }
  // A few members also change their minds through the ledger function itself.
  for (const id of members.slice(0, 40)) {
    await recordConsentChange(db, { memberId: id, category: null, channel: pick3(id), granted: id % 2 === 0, source: 'import', actor: 'test' });
  }
  await db.query(`UPDATE message_categories SET declinable = false WHERE code = 'was_optional'`);

  const codes = [...cats.map((c) => c.code), 'no_such_category'];
  const counts = new Map<string, number>();
  let compared = 0;
  for (const opts of [{}, { includeResigned: true }]) {
    for (const code of codes) {
      // The join form, all three channels joined in one query (as the preview joins its channels).
      const dj = decisionJoinSql('m', '$2', CHANNELS, opts);
      const joined = await db.many(
        `SELECT m.id, ${CHANNELS.map((ch) => `${dj.reachable(ch)} AS ok_${ch}, ${dj.reason(ch)} AS reason_${ch}`).join(', ')}
           FROM members m ${dj.joins} WHERE m.id = ANY ($1::bigint[])`, [members, code]);
      // The joins are on unique keys: still one row per member.
      expect(joined).toHaveLength(members.length);
      const joinedById = new Map(joined.map((r) => [r.id as number, r]));
      // The join form over the category's facts as read (constants; irrelevant joins left out), as the preview uses it.
      const facts = await categoryFacts(db, code);
      const djk = decisionJoinSql('m', '$2', CHANNELS, opts, facts);
      const knownById = new Map((await db.many(
        `SELECT m.id, ${CHANNELS.map((ch) => `${djk.reachable(ch)} AS ok_${ch}, ${djk.reason(ch)} AS reason_${ch}`).join(', ')}
           FROM members m ${djk.joins} WHERE m.id = ANY ($1::bigint[])`, [members, code])).map((r) => [r.id as number, r]));
      expect(knownById.size).toBe(members.length);
      for (const ch of CHANNELS) {
        // …and one channel joined alone.
        const dj1 = decisionJoinSql('m', '$2', [ch], opts);
        const alone = new Map((await db.many(
          `SELECT m.id, ${dj1.reachable(ch)} AS ok, ${dj1.reason(ch)} AS reason FROM members m ${dj1.joins} WHERE m.id = ANY ($1::bigint[])`,
          [members, code])).map((r) => [r.id as number, r]));
        const dk1 = decisionJoinSql('m', '$2', [ch], opts, facts);
        const knownAlone = new Map((await db.many(
          `SELECT m.id, ${dk1.reachable(ch)} AS ok, ${dk1.reason(ch)} AS reason FROM members m ${dk1.joins} WHERE m.id = ANY ($1::bigint[])`,
          [members, code])).map((r) => [r.id as number, r]));
        const sql = await db.many(
          `SELECT m.id, ${reachableSql('m', '$2', ch, opts)} AS ok, ${unreachableReasonSql('m', '$2', ch, opts)} AS reason
             FROM members m WHERE m.id = ANY ($1::bigint[])`, [members, code]);
        // The set form as the audience builder uses it: the condition at the top of a WHERE (semi/anti joins).
        const set = new Set((await db.many(`SELECT m.id FROM members m WHERE ${reachableSql('m', '$1', ch, opts)}`, [code])).map((r) => r.id as number));
        const batch = new Map<number, { allowed: boolean; reason: string | null; address: string | null }>();
        for (let i = 0; i < members.length; i += 1000) {
          for (const [k, v] of await decideBatch(db, code, ch, members.slice(i, i + 1000), opts)) batch.set(k, v);
        }
        expect(sql).toHaveLength(members.length);
        for (const r of sql) {
          const b = batch.get(r.id)!;
          const label = `member ${r.id} ${code}/${ch} ${JSON.stringify(opts)}`;
          expect({ label, allowed: b.allowed, reason: b.reason }).toEqual({ label, allowed: r.ok, reason: r.reason });
          expect({ label, reasonNullIffOk: r.reason === null }).toEqual({ label, reasonNullIffOk: r.ok });
          expect({ label, inSet: set.has(r.id) }).toEqual({ label, inSet: r.ok });
          const j = joinedById.get(r.id)!;
          expect({ label, joined: [j[`ok_${ch}`], j[`reason_${ch}`]] }).toEqual({ label, joined: [r.ok, r.reason] });
          const a = alone.get(r.id)!;
          expect({ label, alone: [a.ok, a.reason] }).toEqual({ label, alone: [r.ok, r.reason] });
          const k = knownById.get(r.id)!;
          expect({ label, known: [k[`ok_${ch}`], k[`reason_${ch}`]] }).toEqual({ label, known: [r.ok, r.reason] });
          const ka = knownAlone.get(r.id)!;
          expect({ label, knownAlone: [ka.ok, ka.reason] }).toEqual({ label, knownAlone: [r.ok, r.reason] });
          if (b.allowed) expect(b.address).toBeTruthy();
          const key = r.reason ?? 'allowed';
          counts.set(key, (counts.get(key) ?? 0) + 1);
          compared++;
        }
      }
    }
  }
  // The population really exercises every outcome.
  for (const k of ['allowed', 'channel_not_allowed', 'inactive', 'no_address', 'suppressed', 'opted_out', 'no_consent']) {
    expect({ k, seen: (counts.get(k) ?? 0) > 0 }).toEqual({ k, seen: true });
  }
  expect(compared).toBeGreaterThan(10000);
});

function pick3(id: number): Channel | null {
  return ([null, 'email', 'sms', 'letter'] as const)[id % 4];
}

test('decideBatch: specific rules', async () => {
  const db = t.hub.db;
  const ins = async (num: string, status: string, email: string | null) => (await db.one(
    `INSERT INTO members (member_number, first_name, last_name, email, phone, street, postcode, status, resigned_at)
     VALUES ($1, 'A', 'B', $2, '+4799000001', 'Gata 2', '0150', $3, $4) RETURNING id`,
    [num, email, status, status === 'resigned' ? '2024-05-01' : null]))!.id as number;
  const resigned = await ins('R1', 'resigned', 'r1@example.no');
  const active = await ins('R2', 'active', 'R2@Example.no');
  const d1 = await decideBatch(db, 'service', 'email', [resigned, active, 99999999]);
  expect(d1.get(resigned)).toEqual({ allowed: false, reason: 'inactive', address: 'r1@example.no' });
  expect(d1.get(active)).toEqual({ allowed: true, reason: null, address: 'R2@Example.no' });
  expect(d1.get(99999999)).toEqual({ allowed: false, reason: 'unknown_member', address: null });
  // Confirmation of resignation: only for `service`, only when asked for.
  expect((await decideBatch(db, 'service', 'email', [resigned], { includeResigned: true })).get(resigned)!.allowed).toBe(true);
  expect((await decideBatch(db, 'newsletter', 'email', [resigned], { includeResigned: true })).get(resigned)!.reason).toBe('inactive');
  // Benefits need a grant; the letter address is street + postcode + place.
  expect((await decideBatch(db, 'benefits', 'email', [active])).get(active)!.reason).toBe('no_consent');
  await recordConsentChange(db, { memberId: active, category: 'benefits', channel: 'email', granted: true, source: 'staff', actor: 'test' });
  expect((await decideBatch(db, 'benefits', 'email', [active])).get(active)!.allowed).toBe(true);
  const letter = (await decideBatch(db, 'magazine', 'letter', [active])).get(active)!;
  expect(letter.allowed).toBe(true);
  expect(letter.address).toMatch(/^Gata 2\n0150 OSLO$/);
  expect((await decideBatch(db, 'magazine', 'email', [active])).get(active)!.reason).toBe('channel_not_allowed');
});

test('a changed or erased email is decided by its new value in every form (the stored key follows the email)', async () => {
  const db = t.hub.db;
  const id = (await db.one(
    `INSERT INTO members (member_number, first_name, last_name, email, status) VALUES ('K1', 'A', 'B', 'fri@example.no', 'active') RETURNING id`))!.id as number;
  await suppress(db, { channel: 'email', address: 'sperret@example.no', reason: 'hard_bounce', sourceEvent: 'test' });
  const forms = async () => {
    const sql = (await db.one(`SELECT ${unreachableReasonSql('m', '$1', 'email')} AS reason FROM members m WHERE m.id = $2`, ['newsletter', id]))!.reason;
    const dj = decisionJoinSql('m', '$1', ['email']);
    const join = (await db.one(`SELECT ${dj.reason('email')} AS reason FROM members m ${dj.joins} WHERE m.id = $2`, ['newsletter', id]))!.reason;
    const batch = (await decideBatch(db, 'newsletter', 'email', [id])).get(id)!.reason;
    return [sql, join, batch];
  };
  expect(await forms()).toEqual([null, null, null]);
  // The member form writes the email as typed: other case, surrounding spaces.
  await db.query(`UPDATE members SET email = '  Sperret@Example.NO ' WHERE id = $1`, [id]);
  expect(await forms()).toEqual(['suppressed', 'suppressed', 'suppressed']);
  await db.query('UPDATE members SET email = NULL WHERE id = $1', [id]);
  expect(await forms()).toEqual(['no_address', 'no_address', 'no_address']);
});

test('the set form plans as joins (no per-member loop in Node, one query)', async () => {
  const plan = await t.hub.db.many(`EXPLAIN SELECT m.id FROM members m WHERE ${reachableSql('m', '$1', 'email')}`.replaceAll('$1', "'newsletter'"));
  const text = plan.map((r) => r['QUERY PLAN']).join('\n');
  expect(text).toMatch(/Anti Join/);
});

test('the join form is plain joins: no subquery is evaluated per member', async () => {
  const dj = decisionJoinSql('m', '$1', CHANNELS);
  const plan = await t.hub.db.many(`EXPLAIN SELECT m.id, ${CHANNELS.map((ch) => dj.reachable(ch)).join(', ')} FROM members m ${dj.joins}`.replaceAll('$1', "'newsletter'"));
  const text = plan.map((r) => r['QUERY PLAN']).join('\n');
  expect(text).not.toMatch(/SubPlan/);
  expect(text).toMatch(/Left Join/);
});
