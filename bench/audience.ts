/**
 * Audience preview: `previewAudience` (the code behind POST /api/audiences/preview) over
 * 1,000,000 generated members, three filters plus the consent decision.
 *
 *   npm run bench -- audience            (or: npx tsx bench/audience.ts)
 *   options: --members 1000000 --runs 20 --keep (keep the database bench_audience, and reuse a kept one
 *            with the same population instead of generating it again: saves ~5 minutes a run)
 *
 * Population (generated in SQL, deterministic: setseed): real street postcodes (so county and
 * municipality follow the register), the demo union's 30 employers / 60 workplaces / 4 branches /
 * 8 clubs, 10 agreements (two large, eight small), 8 % resigned, 94 % with email, 90 % with a
 * phone; 5 % have withdrawn newsletter by email and 3 % campaign by email, 2 % campaign by SMS
 * (through consent_record, so ledger and state agree); 1 % of emails and 0.5 % of phones suppressed.
 *
 * Measured: the median and p95 of 20 runs (after 2 warm-up rounds; floor, preview and the three-channel
 * preview alternate, one of each per round) of previewAudience with
 * `{ all: [ {status:['active']}, {county:[A, B]}, {agreement:[X]} ] }` for category newsletter
 * on ['email', 'sms'] — and, for the record, the same for category campaign on all three
 * channels (three reachable sets instead of one). Floor, same run: the bare
 * `SELECT count(*) FROM members m WHERE <the same three filters>` (no consent), median of 20, with
 * JIT off for the statement as the preview has it.
 * Prints one JSON line, then a short table.
 */
import os from 'node:os';
import { configFromEnvironment } from '../src/config';
import { createDb, dropDatabase, ensureDatabase } from '../src/db';
import { migrate } from '../src/db/migrate';
import { demoOrganisation, insertOrganisation, streetPostcodes } from '../src/demo/seed';
import { audienceSql, previewAudience, type AudienceFilter, type PreviewResult } from '../src/audience';
import type { Channel } from '../src/consent';

function flag(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}
const ms = (x: number) => Number(x.toFixed(1));
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
const p95 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]; };

/** Bump when the generated population changes: a kept database of another version is rebuilt. */
const POPULATION_VERSION = 1;

/** A kept bench_audience with this population (written as the generation's last step), or false. */
async function keptPopulation(url: string, members: number): Promise<boolean> {
  const probe = createDb(url, { max: 1 });
  try {
    const r = await probe.one(`SELECT to_regclass('bench_population') IS NOT NULL AS ok`);
    if (!r?.ok) return false;
    const p = await probe.one('SELECT members, version FROM bench_population');
    return p?.members === members && p?.version === POPULATION_VERSION;
  } catch {
    return false; // no such database
  } finally {
    await probe.close();
  }
}

async function main(): Promise<void> {
  const members = flag('members', 1_000_000);
  const runs = flag('runs', 20);
  const keep = process.argv.includes('--keep');
  const loadStart = os.loadavg().map((x) => Number(x.toFixed(1)));
  const config = configFromEnvironment();
  const u = new URL(config.databaseUrl);
  u.pathname = '/bench_audience';
  const url = u.toString();
  const log = (s: string) => process.stderr.write(`bench audience: ${s}\n`);
  const reuse = keep && await keptPopulation(url, members);
  if (!reuse) {
    await dropDatabase(url);
    await ensureDatabase(url);
  }
  const db = createDb(url, { max: 2, applicationName: 'budstikke-bench-audience' });
  let genMs = 0;
  let consentMs = 0;
  try {
    await migrate(db);
    if (reuse) log(`reusing the kept database bench_audience (${members} members, population ${POPULATION_VERSION})`);
    else {
      const postcodes = await streetPostcodes(db);
      await db.tx((c) => insertOrganisation(c, demoOrganisation(postcodes)));
      await db.query(`INSERT INTO agreements (code, name) SELECT 'SMA' || g, 'Særavtale ' || g FROM generate_series(1, 8) g`);

      const g0 = performance.now();
      // One statement on one connection so setseed applies: deterministic population.
      await db.query(`
        SELECT setseed(0.4711);
        INSERT INTO members (member_number, first_name, last_name, email, phone, street, postcode, municipality_number, county_code,
                             language, status, category, workplace_id, branch_id, club_id, joined_at, resigned_at, resignation_reason)
        SELECT (100000 + g)::text, 'Fornavn' || (g % 500), 'Etternavn' || (g % 2000),
               CASE WHEN x.r_email < 0.94 THEN 'medlem' || g || '@example.no' END,
               CASE WHEN x.r_phone < 0.9 THEN '+47' || (40000000 + g)::text END,
               'Storgata ' || (1 + g % 150), p.postcode, p.municipality_number, left(p.municipality_number, 2),
               CASE WHEN x.r_lang < 0.85 THEN 'nb' WHEN x.r_lang < 0.97 THEN 'nn' ELSE 'en' END,
               CASE WHEN x.r_res < 0.08 THEN 'resigned' ELSE 'active' END,
               CASE WHEN x.r_cat < 0.74 THEN 'employee' WHEN x.r_cat < 0.78 THEN 'self_employed' WHEN x.r_cat < 0.83 THEN 'apprentice'
                    WHEN x.r_cat < 0.87 THEN 'student' WHEN x.r_cat < 0.89 THEN 'pupil' ELSE 'pensioner' END,
               CASE WHEN x.r_wp < 0.8 THEN wp.ids[1 + (g % array_length(wp.ids, 1))] END,
               br.ids[1 + (g % array_length(br.ids, 1))],
               CASE WHEN x.r_club < 0.6 THEN cl.ids[1 + ((g / 7) % array_length(cl.ids, 1))] END,
               DATE '1975-01-01' + (x.r_join * 18000)::int,
               CASE WHEN x.r_res < 0.08 THEN DATE '2025-06-01' END,
               CASE WHEN x.r_res < 0.08 THEN 'resigned' END
          FROM generate_series(1, ${members}) g
          CROSS JOIN LATERAL (SELECT random() AS r_email, random() AS r_phone, random() AS r_lang, random() AS r_res, random() AS r_cat,
                                     random() AS r_wp, random() AS r_club, random() AS r_join, random() AS r_pc, g AS gg) x
          CROSS JOIN (SELECT array_agg(postcode ORDER BY postcode) AS pcs, count(*)::int AS n FROM postal_codes WHERE in_register AND category IN ('G', 'B')) pcs
          JOIN postal_codes p ON p.postcode = pcs.pcs[1 + floor(x.r_pc * pcs.n)::int]
          CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM workplaces) wp
          CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM branches) br
          CROSS JOIN (SELECT array_agg(id ORDER BY id) AS ids FROM clubs) cl;
        -- Two large agreements through the workplace (85 % of those with one), eight small ones at 4 % each.
        INSERT INTO member_agreements (member_id, agreement_id, covered_from)
        SELECT m.id, CASE WHEN m.workplace_id % 2 = 0 THEN (SELECT id FROM agreements WHERE code = 'HTA') ELSE (SELECT id FROM agreements WHERE code = 'IND') END, m.joined_at
          FROM members m WHERE m.workplace_id IS NOT NULL AND random() < 0.85;
        INSERT INTO member_agreements (member_id, agreement_id, covered_from)
        SELECT m.id, a.id, m.joined_at FROM members m JOIN agreements a ON a.code = 'SMA' || (1 + m.id % 8) WHERE random() < 0.04
        ON CONFLICT DO NOTHING;
        INSERT INTO member_roles (member_id, role, club_id, starts_on)
        SELECT m.id, 'club_board', m.club_id, DATE '2024-01-01' FROM members m WHERE m.club_id IS NOT NULL AND m.status = 'active' AND m.id % 5000 = 0;`);
      genMs = performance.now() - g0;
      log(`${members} members generated in ${(genMs / 1000).toFixed(1)} s; consent and suppressions…`);

      const c0 = performance.now();
      // consent_record takes a per-member advisory lock for its transaction: chunks of 20,000 ids
      // keep the lock table small. Selection by a hash of the id: deterministic.
      const { max } = (await db.one('SELECT max(id)::bigint AS max FROM members'))!;
      const withdrawals: [string, string, number, number][] = [['newsletter', 'email', 50, 1], ['campaign', 'email', 30, 2], ['campaign', 'sms', 20, 3]];
      for (let lo = 0; lo <= max; lo += 20_000) {
        for (const [cat, ch, perMille, salt] of withdrawals) {
          await db.query(`SELECT count(consent_record(m.id, $1, $2, false, 'import', NULL, 'bench', NULL, NULL, now())) FROM members m
            WHERE m.id > $3 AND m.id <= $4 AND abs(hashint8(m.id * 7 + $5)) % 1000 < $6`, [cat, ch, lo, lo + 20_000, salt, perMille]);
        }
      }
      await db.query(`
        INSERT INTO suppressions (channel, address, reason) SELECT 'email', lower(btrim(email)), 'hard_bounce' FROM members
         WHERE email IS NOT NULL AND abs(hashint8(id * 7 + 4)) % 1000 < 10 ON CONFLICT (channel, address) WHERE lifted_at IS NULL DO NOTHING;
        INSERT INTO suppressions (channel, address, reason) SELECT 'sms', phone, 'invalid_number' FROM members
         WHERE phone IS NOT NULL AND abs(hashint8(id * 7 + 5)) % 1000 < 5 ON CONFLICT (channel, address) WHERE lifted_at IS NULL DO NOTHING;`);
      consentMs = performance.now() - c0;
      await db.query('VACUUM ANALYZE');
      await db.query('CREATE TABLE bench_population (members int NOT NULL, version int NOT NULL)');
      await db.query('INSERT INTO bench_population VALUES ($1, $2)', [members, POPULATION_VERSION]);
      log(`consent and suppressions in ${(consentMs / 1000).toFixed(1)} s; analysed; timing…`);
    }

    // The three filters: two counties with many members and the larger agreement.
    const top = await db.many(`SELECT county_code FROM members GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 4`);
    const counties = [top[1].county_code, top[3].county_code];
    const agreementId = (await db.one(`SELECT id FROM agreements WHERE code = 'HTA'`))!.id;
    const filter: AudienceFilter = { all: [{ status: ['active'] }, { county: counties }, { agreement: [agreementId] }] };

    const params: unknown[] = [];
    const floorSql = `SELECT count(*)::int AS n FROM members m WHERE ${audienceSql(filter, 'm', params)}`;
    // Floor and previews alternate, one of each per round (after two warm-up rounds), so each kind
    // meets the same buffer cache and the same machine: run back to back, the floor's 22 runs kept
    // the members pages it reads in shared_buffers and the previews then evicted them for their
    // own tables, and the two medians differed by that order (floor 215–256 ms, the ratio 1.11–1.55×
    // on the same database) as much as by their work.
    type Timed<T> = { times: number[]; last: T };
    const timed = <T>(): Timed<T> => ({ times: [], last: undefined as T });
    const floor = timed<number>();
    const news = timed<PreviewResult>();
    const camp = timed<PreviewResult>();
    const round = async <T>(t: Timed<T>, fn: () => Promise<T>, record: boolean) => {
      const t0 = performance.now();
      t.last = await fn();
      if (record) t.times.push(performance.now() - t0);
    };
    const hub = { db };
    // The floor runs as the preview does, with JIT off for the statement (it would only add its compile time).
    const floorRun = () => db.tx(async (c) => { await c.query('SET LOCAL jit = off'); return (await c.query(floorSql, params)).rows[0].n as number; });
    const newsRun = () => previewAudience(hub, null, { category: 'newsletter', channels: ['email', 'sms'] as Channel[], audience: filter });
    const campRun = () => previewAudience(hub, null, { category: 'campaign', channels: ['email', 'sms', 'letter'] as Channel[], audience: filter });
    for (let i = 0; i < runs + 2; i++) {
      await round(floor, floorRun, i >= 2);
      await round(news, newsRun, i >= 2);
      await round(camp, campRun, i >= 2);
    }
    if (news.last.total !== floor.last || camp.last.total !== floor.last) throw new Error(`preview total ${news.last.total} ≠ floor count ${floor.last}`);
    const load = os.loadavg().map((x) => Number(x.toFixed(1)));

    const summary = (r: PreviewResult) => ({ total: r.total, byChannel: r.byChannel, unreachable: r.unreachable, unreachableReasons: r.unreachableReasons });
    const result = {
      bench: 'audience',
      members,
      median_ms: ms(median(news.times)),
      p95_ms: ms(p95(news.times)),
      floor_median_ms: ms(median(floor.times)),
      ratio: Number((median(news.times) / median(floor.times)).toFixed(2)),
      target_ms: 300,
      runs,
      filter,
      category: 'newsletter',
      channels: ['email', 'sms'],
      preview: summary(news.last),
      campaign_3_channels: { median_ms: ms(median(camp.times)), p95_ms: ms(p95(camp.times)), preview: summary(camp.last) },
      generate_s: Number((genMs / 1000).toFixed(1)),
      consent_setup_s: Number((consentMs / 1000).toFixed(1)),
      load_avg_start: loadStart,
      load_avg: load,
      cpus: os.cpus().length,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const table: [string, string][] = [
      ['members (generated in SQL)', `${members}`],
      ['audience: active, 2 counties, agreement', `${floor.last} members`],
      [`preview newsletter [email, sms], ${runs} runs`, `median ${result.median_ms} ms, p95 ${result.p95_ms} ms (target median ≤ 300 ms)`],
      ['preview campaign [email, sms, letter]', `median ${result.campaign_3_channels.median_ms} ms, p95 ${result.campaign_3_channels.p95_ms} ms`],
      ['floor: bare count(*) with the same filters', `median ${result.floor_median_ms} ms`],
      ['preview / floor', `${result.ratio}× (target ≤ 1.3×)`],
      ['load average (1, 5, 15 min) start → end', `${loadStart.join(', ')} → ${load.join(', ')}`],
    ];
    const w = Math.max(...table.map((r) => r[0].length));
    for (const [k, v] of table) process.stdout.write(`  ${k.padEnd(w)}  ${v}\n`);
  } finally {
    await db.close();
    if (!keep) await dropDatabase(url);
    else process.stderr.write('kept database bench_audience\n');
  }
}

export default main;

if (require.main === module) {
  main().then(() => process.exit(0), (e) => { process.stderr.write(`bench audience: ${e?.stack ?? e}\n`); process.exit(1); });
}
