import { createTestHub, type TestHub } from './helpers/hub';
import { seedDemoUnion } from '../src/demo/seed';

let t: TestHub;
beforeAll(async () => { t = await createTestHub(); });
afterAll(() => t.close());

test('the demo seed has one strike on strike, with two phases that took members out and a committee with guards', async () => {
  const r = await seedDemoUnion(t.hub, { members: 800 });
  expect(r.staff).toContainEqual({ email: 'streikekomite@budstikke.example', role: 'strike_committee' });
  const strikes = await t.hub.db.many(`SELECT id, state, mediation_deadline FROM strikes`);
  expect(strikes).toHaveLength(1);
  expect(strikes[0].state).toBe('on_strike');
  expect(strikes[0].mediation_deadline).not.toBeNull();
  const phases = await t.hub.db.many(`SELECT p.number, count(t.member_id)::int AS n FROM strike_phases p LEFT JOIN strike_takeouts t ON t.phase_id = p.id GROUP BY 1 ORDER BY 1`);
  expect(phases.map((p) => p.number)).toEqual([1, 2]);
  for (const p of phases) expect(p.n).toBeGreaterThan(0);
  const onStrike = (await t.hub.db.one(`SELECT count(*)::int AS n FROM strikers_at(now())`))!.n;
  expect(onStrike).toBe(phases[0].n);
  expect((await t.hub.db.one(`SELECT count(*)::int AS n FROM strike_committees c JOIN strike_guards g ON g.committee_id = c.id`))!.n).toBe(2);
});
