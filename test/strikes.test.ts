import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';
import { FixedClock } from '../src/clock';
import { strikersAt } from '../src/strikes';

const T0 = new Date('2026-03-02T06:00:00Z');
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let lead: Awaited<ReturnType<typeof staffWithToken>>;
let org: Org;
const clock = new FixedClock(T0);

beforeAll(async () => {
  t = await createTestHub({ clock });
  api = await startApi(t.hub);
  lead = await staffWithToken(t.hub, 'communications');
  org = await createOrg(t.hub.db);
});
afterAll(async () => { await api.close(); await t.close(); });

async function call(method: string, path: string, body?: unknown, auth = lead.auth): Promise<{ status: number; body: any }> {
  const r = await fetch(`${api.url}/api${path}`, { method, headers: { ...auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function newStrike(name = 'Streik i HTA'): Promise<number> {
  const r = await call('POST', '/strikes', { name, agreementId: org.agreementId, mediationDeadline: '2026-03-01T23:00:00Z' });
  expect(r.status).toBe(201);
  return r.body.id;
}

describe('strike states', () => {
  test('a strike moves notified → notice_given → on_strike → ended, each move dated; it belongs to its agreement', async () => {
    const id = await newStrike();
    let r = await call('GET', `/strikes/${id}`);
    expect(r.body).toMatchObject({ state: 'notified', notifiedAt: T0.toISOString(), agreement: { id: org.agreementId }, mediationDeadline: '2026-03-01T23:00:00.000Z' });
    clock.advance(60_000);
    r = await call('POST', `/strikes/${id}/state`, { state: 'notice_given' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'notice_given', noticeGivenAt: clock.now().toISOString() });
    clock.advance(60_000);
    r = await call('POST', `/strikes/${id}/state`, { state: 'on_strike' });
    expect(r.body).toMatchObject({ state: 'on_strike', onStrikeAt: clock.now().toISOString(), endedAt: null });
    clock.advance(60_000);
    r = await call('POST', `/strikes/${id}/state`, { state: 'ended' });
    expect(r.body).toMatchObject({ state: 'ended', endedAt: clock.now().toISOString() });
    expect(r.body.erasedAt).not.toBeNull();
  });

  test('an illegal move is a 409 problem naming the state', async () => {
    const id = await newStrike();
    const r = await call('POST', `/strikes/${id}/state`, { state: 'on_strike' });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ status: 409, state: 'notified', to: 'on_strike' });
    expect(r.body.detail).toMatch(/«Varslet».*«Streik»/);
    await call('POST', `/strikes/${id}/state`, { state: 'ended' });
    const again = await call('POST', `/strikes/${id}/state`, { state: 'ended' });
    expect(again.status).toBe(409);
    expect(again.body.state).toBe('ended');
    const phase = await call('POST', `/strikes/${id}/phases`, { name: 'Uttak 1', startsAt: T0.toISOString(), selection: { all: [] } });
    expect(phase.status).toBe(409);
  });

  test('a move dated in the future or before the previous move is refused, naming body.at', async () => {
    const id = await newStrike();
    const future = await call('POST', `/strikes/${id}/state`, { state: 'notice_given', at: new Date(clock.now().getTime() + 3_600_000).toISOString() });
    expect(future.status).toBe(400);
    expect(future.body.errors[0].field).toBe('body.at');
    const before = await call('POST', `/strikes/${id}/state`, { state: 'notice_given', at: '2020-01-01T00:00:00Z' });
    expect(before.status).toBe(400);
    expect(before.body.errors[0].field).toBe('body.at');
  });

  test('hostile input: unknown agreement, bad state, unknown fields are 400 problems naming the field', async () => {
    const bad = await call('POST', '/strikes', { name: 'x', agreementId: 999999 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.agreementId');
    const id = await newStrike();
    const st = await call('POST', `/strikes/${id}/state`, { state: 'notified' });
    expect(st.status).toBe(400);
    expect(st.body.errors[0].field).toBe('body.state');
    const extra = await call('POST', '/strikes', { name: 'x', agreementId: org.agreementId, sql: 'DROP TABLE members' });
    expect(extra.status).toBe(400);
    expect(extra.body.errors[0].field).toBe('body.sql');
    const missing = await call('GET', '/strikes/987654');
    expect(missing.status).toBe(404);
  });

  test('a representative may read strikes but not create or move them', async () => {
    const m = await insertMember(t.hub.db, { workplaceId: org.workplaceId });
    const rep = await staffWithToken(t.hub, 'representative', { memberId: m.id });
    expect((await call('GET', '/strikes', undefined, rep.auth)).status).toBe(200);
    expect((await call('POST', '/strikes', { name: 'x', agreementId: org.agreementId }, rep.auth)).status).toBe(403);
  });
});

describe('phases (uttak)', () => {
  test('a phase reaches exactly the members its filter selects among the active members covered by the agreement; escalation adds; taking back in removes', async () => {
    const db = t.hub.db;
    const covered = [org.agreementId];
    const outA = await insertMember(db, { workplaceId: org.workplaceId, agreementIds: covered, phone: '+4791000001' });
    const outB = await insertMember(db, { workplaceId: org.workplaceId, agreementIds: [org.agreementId, org.otherAgreementId] });
    const notCovered = await insertMember(db, { workplaceId: org.workplaceId, agreementIds: [org.otherAgreementId] });
    const resigned = await insertMember(db, { workplaceId: org.workplaceId, agreementIds: covered, status: 'resigned' });
    const otherWp = await insertMember(db, { workplaceId: org.otherWorkplaceId, agreementIds: covered });
    const otherWpUncovered = await insertMember(db, { workplaceId: org.otherWorkplaceId });

    const id = await newStrike('Streik med opptrapping');
    clock.advance(1000);
    await call('POST', `/strikes/${id}/state`, { state: 'notice_given' });
    const p1Start = new Date(clock.now().getTime() + 3_600_000);
    const p1 = await call('POST', `/strikes/${id}/phases`, { name: 'Første uttak', startsAt: p1Start.toISOString(), selection: { workplace: [org.workplaceId] } });
    expect(p1.status).toBe(201);
    expect(p1.body.selected).toBe(2);
    const phase1 = p1.body.phase.id;

    // Before the strike is on: nobody is on strike, though two are taken out.
    expect(await strikersAt(db, p1Start, id)).toEqual([]);
    clock.set(p1Start);
    await call('POST', `/strikes/${id}/state`, { state: 'on_strike' });
    expect(await strikersAt(db, clock.now(), id)).toEqual([outA.id, outB.id].sort((a, b) => a - b));

    // Escalation: the whole employer; members already out stay in phase 1.
    const p2Start = new Date(p1Start.getTime() + 86_400_000);
    const p2 = await call('POST', `/strikes/${id}/phases`, { name: 'Opptrapping', startsAt: p2Start.toISOString(), selection: { employer: [org.employerId] } });
    expect(p2.body.selected).toBe(1);
    expect(p2.body.phase.number).toBe(2);
    expect(await strikersAt(db, new Date(p2Start.getTime() - 1), id)).toEqual([outA.id, outB.id].sort((a, b) => a - b));
    expect(await strikersAt(db, p2Start, id)).toEqual([outA.id, outB.id, otherWp.id].sort((a, b) => a - b));
    for (const never of [notCovered, resigned, otherWpUncovered]) expect(await strikersAt(db, p2Start, id)).not.toContain(never.id);

    // Taking back in: outA from a moment on; before it, still on strike.
    clock.set(new Date(p2Start.getTime() + 3_600_000));
    const back = await call('POST', `/strikes/${id}/phases/${phase1}/take-back`, { selection: { memberNumbers: [outA.memberNumber] } });
    expect(back.body).toEqual({ takenBack: 1 });
    expect(await strikersAt(db, clock.now(), id)).toEqual([outB.id, otherWp.id].sort((a, b) => a - b));
    expect(await strikersAt(db, p2Start, id)).toContain(outA.id);

    const view = await call('GET', `/strikes/${id}`);
    expect(view.body.onStrikeNow).toBe(2);
    expect(view.body.phases.map((p: any) => p.counts)).toEqual([{ takenOut: 2, takenBack: 1, onStrikeNow: 1 }, { takenOut: 1, takenBack: 0, onStrikeNow: 1 }]);

    const list = await call('GET', `/strikes/${id}/members`);
    expect(list.body.members.map((m: any) => [m.memberNumber, m.phase, m.onStrike])).toEqual(expect.arrayContaining([
      [outA.memberNumber, 1, false], [outB.memberNumber, 1, true], [otherWp.memberNumber, 2, true]]));
    expect(list.body.total).toBe(3);
    const audited = await db.one(`SELECT row_count FROM audit_log WHERE action = 'strike.members_list' ORDER BY id DESC LIMIT 1`);
    expect(audited!.row_count).toBe(3);
  });

  test('a representative sees only the strike members in their own scope', async () => {
    const db = t.hub.db;
    const holder = await insertMember(db, { workplaceId: org.otherWorkplaceId });
    await db.query(`INSERT INTO member_roles (member_id, role, workplace_id, starts_on) VALUES ($1, 'shop_steward', $2, '2020-01-01')`, [holder.id, org.otherWorkplaceId]);
    const rep = await staffWithToken(t.hub, 'representative', { memberId: holder.id });
    const inScope = await insertMember(db, { workplaceId: org.otherWorkplaceId, agreementIds: [org.agreementId] });
    const outOfScope = await insertMember(db, { workplaceId: org.workplaceId, agreementIds: [org.agreementId] });
    const id = await newStrike('Streik og tillitsvalgt');
    await call('POST', `/strikes/${id}/phases`, { name: 'Uttak', startsAt: clock.now().toISOString(), selection: { memberNumbers: [inScope.memberNumber, outOfScope.memberNumber] } });
    const r = await call('GET', `/strikes/${id}/members`, undefined, rep.auth);
    expect(r.status).toBe(200);
    expect(r.body.members.map((m: any) => m.memberNumber)).toEqual([inScope.memberNumber]);
    const view = await call('GET', `/strikes/${id}`, undefined, rep.auth);
    expect(view.body.phases[0].selection).toBeUndefined();
  });

  test('a phase selection is validated by the audience grammar: the field is named', async () => {
    const id = await newStrike();
    const r = await call('POST', `/strikes/${id}/phases`, { name: 'Uttak', startsAt: clock.now().toISOString(), selection: { county: ['x'] } });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('body.selection.county.0');
  });
});
