import { insertMember } from './helpers/fixtures';
import { startStrikeRig, type StrikeRig } from './helpers/strike';
import { until } from './helpers/campaign';
import { FixedClock } from '../src/clock';
import { createApiToken } from '../src/auth';
import { startRetentionScheduler } from '../queues/retention.worker';

const T0 = new Date('2026-04-01T08:00:00Z');
const clock = new FixedClock(T0);
let rig: StrikeRig;
beforeAll(async () => { rig = await startStrikeRig({ clock, env: { STRIKE_RETENTION_DAYS: '30' } }); });
afterAll(() => rig.close());
const call: StrikeRig['call'] = (...a) => rig.call(...a);

/** Columns that hold or point at a person. */
const PERSONAL = ['member_id', 'staff_user_id', 'phone', 'email', 'address', 'name', 'first_name', 'last_name'];

interface People { memberIds: number[]; staffIds: number[]; phones: string[]; emails: string[]; names: string[] }

/**
 * For every table of the schema with a personal column (from information_schema), how many of its
 * rows point at one of these people. A table added later is walked without a change here.
 */
async function personalRows(p: People): Promise<Record<string, number>> {
  const cols = await rig.hub.db.many(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c JOIN information_schema.tables tb USING (table_schema, table_name)
      WHERE c.table_schema = 'public' AND tb.table_type = 'BASE TABLE' AND c.column_name = ANY($1) ORDER BY 1, 2`, [PERSONAL]);
  const byTable = new Map<string, { column: string; type: string }[]>();
  for (const c of cols) byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), { column: c.column_name, type: c.data_type }]);
  const out: Record<string, number> = {};
  for (const [table, columns] of byTable) {
    const params: unknown[] = [];
    const p1 = (v: unknown, type: string) => { params.push(v); return `$${params.length}::${type}`; };
    const conds = columns.map(({ column, type }) => {
      if (column === 'member_id') return `"${column}" = ANY(${p1(p.memberIds, 'bigint[]')})`;
      if (column === 'staff_user_id') return `"${column}" = ANY(${p1(p.staffIds, 'bigint[]')})`;
      if (type !== 'text' && type !== 'character varying') return 'false';
      if (column === 'phone') return `"${column}" = ANY(${p1(p.phones, 'text[]')})`;
      if (column === 'email' || column === 'address') return `lower("${column}") = ANY(${p1(p.emails.map((e) => e.toLowerCase()), 'text[]')})`;
      return `"${column}" = ANY(${p1(p.names, 'text[]')})`;
    });
    out[table] = (await rig.hub.db.one(`SELECT count(*)::int AS n FROM "${table}" WHERE ${conds.join(' OR ')}`, params))!.n;
  }
  return out;
}

describe('erasure when the strike ends', () => {
  test('ending erases every personal row the strike held (walking every personal table of the schema), keeping counts per phase and employer', async () => {
    const a = await insertMember(rig.hub.db, { firstName: 'Astrid', workplaceId: rig.org.workplaceId, agreementIds: [rig.org.agreementId], phone: '+4793000001' });
    const b = await insertMember(rig.hub.db, { firstName: 'Bent', workplaceId: rig.org.otherWorkplaceId, agreementIds: [rig.org.agreementId], phone: '+4793000002' });
    const guardMember = await insertMember(rig.hub.db, { firstName: 'Gro', workplaceId: rig.org.workplaceId, agreementIds: [rig.org.agreementId] });
    const people: People = {
      memberIds: [a.id, b.id, guardMember.id], staffIds: [], phones: ['+4793000003', '+4793000004'],
      emails: ['vakt1@example.no', 'komite-a@komite.example', 'komite-b@komite.example'], names: ['Vakt Vaktesen', 'Gro Guard', 'Kari Komité', 'Kåre Komité'],
    };

    const s = (await call('POST', '/strikes', { name: 'Vårstreiken', agreementId: rig.org.agreementId })).body.id;
    await call('POST', `/strikes/${s}/state`, { state: 'notice_given' });
    const p1 = (await call('POST', `/strikes/${s}/phases`, { name: 'Uttak 1', startsAt: T0.toISOString(), selection: { memberNumbers: [a.memberNumber, guardMember.memberNumber] } })).body.phase.id;
    const p2 = (await call('POST', `/strikes/${s}/phases`, { name: 'Opptrapping', startsAt: new Date(T0.getTime() + 86_400_000).toISOString(), selection: { workplace: [rig.org.otherWorkplaceId] } })).body.phase.id;
    await call('POST', `/strikes/${s}/phases/${p1}/take-back`, { selection: { memberNumbers: [guardMember.memberNumber] } });
    expect((await call('POST', `/strikes/${s}/phases/${p1}/exports`, { employerId: rig.org.employerId })).status).toBe(201);
    expect((await call('POST', `/strikes/${s}/phases/${p2}/exports`, { employerId: rig.org.employerId })).status).toBe(201);
    await call('POST', `/strikes/${s}/state`, { state: 'on_strike' });

    const ca = (await call('POST', `/strikes/${s}/committees`, { name: 'Komité A', location: 'Oslo' })).body.id;
    const cb = (await call('POST', `/strikes/${s}/committees`, { name: 'Komité B', location: 'Bergen' })).body.id;
    const addMember = async (committeeId: number, name: string, email: string) => {
      const r = await call('POST', `/committees/${committeeId}/members`, { name, email });
      const id = r.body.members.find((m: any) => m.name === name).id as number;
      people.staffIds.push(id);
      return { authorization: `Bearer ${(await createApiToken(rig.hub.db, id, 'test')).token}` };
    };
    const authA = await addMember(ca, 'Kari Komité', 'komite-a@komite.example');
    await addMember(cb, 'Kåre Komité', 'komite-b@komite.example');
    const g1 = (await call('POST', `/committees/${ca}/guards`, { name: 'Vakt Vaktesen', phone: '+4793000003', email: 'vakt1@example.no', shareConsent: true }, authA)).body.id;
    await call('POST', `/committees/${ca}/guards`, { name: 'Gro Guard', phone: '+4793000004', memberNumber: guardMember.memberNumber }, authA);
    await call('POST', `/committees/${ca}/guards/${g1}/share`, { committeeId: cb }, authA);
    const shift = (await call('POST', `/committees/${ca}/shifts`, { place: 'Porten', startsAt: T0.toISOString(), endsAt: new Date(T0.getTime() + 4 * 3_600_000).toISOString() }, authA)).body.id;
    await call('POST', `/committees/${ca}/shifts/${shift}/guards`, { guardId: g1 }, authA);
    await call('GET', `/committees/${ca}/guards`, undefined, authA);

    const during = await personalRows(people);
    // The walk sees what the strike holds (it can fail).
    for (const table of ['strike_takeouts', 'strike_export_members', 'strike_guards', 'strike_committee_members', 'staff_users', 'api_tokens']) {
      expect([table, during[table]]).toEqual([table, expect.any(Number)]);
      expect(during[table]).toBeGreaterThan(0);
    }

    clock.advance(3_600_000);
    const ended = await call('POST', `/strikes/${s}/state`, { state: 'ended' });
    expect(ended.status).toBe(200);
    expect(ended.body.erased).toMatchObject({ takeouts: 3, exports: 2, committees: 2, guards: 2, shifts: 1, shares: 1, committeeAccounts: 2, selections: 2 });

    const after = await personalRows(people);
    const left = Object.entries(after).filter(([table, n]) => n > 0 && !['members', 'member_agreements'].includes(table));
    expect(left).toEqual([]);
    // Every strike table that is not the strike, its phases or its counts is empty.
    for (const r of await rig.hub.db.many(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'strike%'
                                            AND table_name NOT IN ('strikes', 'strike_phases', 'strike_phase_counts')`)) {
      expect([r.table_name, (await rig.hub.db.one(`SELECT count(*)::int AS n FROM "${r.table_name}"`))!.n]).toEqual([r.table_name, 0]);
    }
    expect((await rig.hub.db.one(`SELECT count(*)::int AS n FROM strike_phases WHERE strike_id = $1 AND selection IS NOT NULL`, [s]))!.n).toBe(0);

    // What stays: counts per phase and employer.
    const counts = await rig.hub.db.many('SELECT phase_id, employer_id, taken_out, taken_back, exports FROM strike_phase_counts WHERE strike_id = $1 ORDER BY phase_id', [s]);
    expect(counts).toEqual([
      { phase_id: p1, employer_id: rig.org.employerId, taken_out: 2, taken_back: 1, exports: 1 },
      { phase_id: p2, employer_id: rig.org.employerId, taken_out: 1, taken_back: 0, exports: 1 },
    ]);
    const view = await call('GET', `/strikes/${s}`);
    expect(view.body.phases.map((p: any) => p.counts.takenOut)).toEqual([2, 1]);

    // One audited action, with what it removed.
    const audit = await rig.hub.db.many(`SELECT row_count, detail FROM audit_log WHERE action = 'strike.erase' AND detail->>'strikeId' = $1`, [String(s)]);
    expect(audit).toHaveLength(1);
    expect(audit[0].row_count).toBeGreaterThan(0);
    // The committee accounts are gone: their tokens no longer sign in.
    expect((await call('GET', '/committees/mine', undefined, authA)).status).toBe(401);
  });

  test('the retention sweep erases whatever a strike still holds STRIKE_RETENTION_DAYS after it ended, not before', async () => {
    clock.set(T0);
    const m = await insertMember(rig.hub.db, { workplaceId: rig.org.workplaceId, agreementIds: [rig.org.agreementId] });
    const s = (await call('POST', '/strikes', { name: 'Avblåst', agreementId: rig.org.agreementId })).body.id;
    const p = (await call('POST', `/strikes/${s}/phases`, { name: 'Uttak', startsAt: T0.toISOString(), selection: { memberNumbers: [m.memberNumber] } })).body.phase.id;
    await call('POST', `/strikes/${s}/state`, { state: 'ended' });
    // An end interrupted half-way would leave rows like this one behind.
    await rig.hub.db.query('INSERT INTO strike_takeouts (strike_id, member_id, phase_id, selected_at) VALUES ($1, $2, $3, now())', [s, m.id, p]);
    const left = () => rig.hub.db.one('SELECT count(*)::int AS n FROM strike_takeouts WHERE strike_id = $1', [s]).then((r) => r!.n);

    const retention = await startRetentionScheduler(rig.hub, { pattern: '0 0 1 1 *' });
    clock.set(new Date(T0.getTime() + 29 * 86_400_000));
    await retention.runNow('strike-sweep-29');
    await until(async () => (await retention.queue.getJobState('strike-sweep-29')) === 'completed', 60_000, 'sweep at 29 days');
    expect(await left()).toBe(1);

    clock.set(new Date(T0.getTime() + 31 * 86_400_000));
    await retention.runNow('strike-sweep-31');
    // The rows go before the sweep writes its audit row: wait for the whole job, not the rows.
    await until(async () => (await retention.queue.getJobState('strike-sweep-31')) === 'completed', 60_000, 'sweep at 31 days');
    expect(await left()).toBe(0);
    const audit = await rig.hub.db.one(`SELECT actor, row_count FROM audit_log WHERE action = 'strike.erase' AND detail->>'strikeId' = $1 AND detail->>'sweep' = 'true'`, [String(s)]);
    expect(audit).toEqual({ actor: 'system:retention', row_count: 1 });
    await retention.close();
  });
});
