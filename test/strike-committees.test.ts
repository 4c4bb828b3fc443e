import { createApiToken } from '../src/auth';
import { staffWithToken } from './helpers/hub';
import { startStrikeRig, type StrikeRig } from './helpers/strike';

let rig: StrikeRig;
beforeAll(async () => { rig = await startStrikeRig(); });
afterAll(() => rig.close());
const call: StrikeRig['call'] = (...a) => rig.call(...a);

/** A strike with two committees, each with one member signed in by token. */
async function setUp() {
  const s = await call('POST', '/strikes', { name: 'Streik', agreementId: rig.org.agreementId });
  const oslo = await call('POST', `/strikes/${s.body.id}/committees`, { name: 'Streikekomiteen i Oslo', location: 'Oslo' });
  const bergen = await call('POST', `/strikes/${s.body.id}/committees`, { name: 'Streikekomiteen i Bergen', location: 'Bergen' });
  const member = async (committeeId: number, who: string) => {
    const c = await call('POST', `/committees/${committeeId}/members`, { name: who, email: `${who === 'Bjørn' ? 'bjorn' : who.toLowerCase()}-${committeeId}@komite.example` });
    expect(c.status).toBe(200);
    const userId = c.body.members.find((m: any) => m.name === who).id;
    const { token } = await createApiToken(rig.hub.db, userId, 'test');
    return { authorization: `Bearer ${token}` };
  };
  return { strikeId: s.body.id, oslo: oslo.body.id, bergen: bergen.body.id, osloAuth: await member(oslo.body.id, 'Olga'), bergenAuth: await member(bergen.body.id, 'Bjørn') };
}

describe('strike committees and guard lists', () => {
  test("a committee member cannot see another committee's guards (404), nor the committee", async () => {
    const x = await setUp();
    const g = await call('POST', `/committees/${x.oslo}/guards`, { name: 'Gunn Vakt', phone: '922 22 222', email: 'gunn@example.no' }, x.osloAuth);
    expect(g.status).toBe(201);
    expect(g.body).toMatchObject({ name: 'Gunn Vakt', phone: '+4792222222', email: 'gunn@example.no', shareConsent: false });
    const own = await call('GET', `/committees/${x.oslo}/guards`, undefined, x.osloAuth);
    expect(own.body.guards.map((r: any) => r.phone)).toEqual(['+4792222222']);
    for (const path of [`/committees/${x.oslo}/guards`, `/committees/${x.oslo}`, `/committees/${x.oslo}/shifts`, `/committees/${x.oslo}/guards.csv`]) {
      const r = await call('GET', path, undefined, x.bergenAuth);
      expect(r.status).toBe(404);
      expect(r.body.status).toBe(404);
    }
    expect((await call('POST', `/committees/${x.oslo}/guards/${g.body.id}/share`, { committeeId: x.bergen }, x.bergenAuth)).status).toBe(404);
    const list = await call('GET', `/strikes/${x.strikeId}/committees`, undefined, x.bergenAuth);
    expect(list.body.committees.map((c: any) => c.id)).toEqual([x.bergen]);
    // Committee members reach nothing else in the hub.
    expect((await call('GET', '/members', undefined, x.bergenAuth)).status).toBe(403);
    expect((await call('GET', `/strikes/${x.strikeId}`, undefined, x.bergenAuth)).status).toBe(403);
  });

  test("the leadership sees the guard list without contact details; every view is audited with its row count", async () => {
    const x = await setUp();
    await call('POST', `/committees/${x.oslo}/guards`, { name: 'Gunn Vakt', phone: '+4792222223' }, x.osloAuth);
    const r = await call('GET', `/committees/${x.oslo}/guards`);
    expect(r.status).toBe(200);
    expect(r.body.contacts).toBe(false);
    expect(r.body.guards[0].name).toBe('Gunn Vakt');
    expect(r.body.guards[0]).not.toHaveProperty('phone');
    expect(JSON.stringify(r.body)).not.toContain('92222223');
    const audited = await rig.hub.db.many(`SELECT row_count, detail FROM audit_log WHERE action = 'strike.guards_view' AND detail->>'committeeId' = $1 ORDER BY id`, [String(x.oslo)]);
    expect(audited.map((a) => [a.row_count, a.detail.contacts])).toEqual([[1, false]]);
    // The leadership does not keep a committee's list.
    expect((await call('POST', `/committees/${x.oslo}/guards`, { name: 'Noen' })).status).toBe(403);
  });

  test("sharing a guard's contact details with another committee needs the guard's recorded consent", async () => {
    const x = await setUp();
    const g = await call('POST', `/committees/${x.oslo}/guards`, { name: 'Siri Deler', phone: '+4792222224' }, x.osloAuth);
    const refused = await call('POST', `/committees/${x.oslo}/guards/${g.body.id}/share`, { committeeId: x.bergen }, x.osloAuth);
    expect(refused.status).toBe(409);
    expect(refused.body.consent).toBe(false);
    expect((await call('GET', `/committees/${x.bergen}/guards`, undefined, x.bergenAuth)).body.guards).toEqual([]);

    await call('POST', `/committees/${x.oslo}/guards/${g.body.id}/consent`, { consent: true }, x.osloAuth);
    const shared = await call('POST', `/committees/${x.oslo}/guards/${g.body.id}/share`, { committeeId: x.bergen }, x.osloAuth);
    expect(shared.status).toBe(200);
    const inBergen = await call('GET', `/committees/${x.bergen}/guards`, undefined, x.bergenAuth);
    expect(inBergen.body.guards).toEqual([expect.objectContaining({ name: 'Siri Deler', phone: '+4792222224', sharedFrom: x.oslo })]);

    // Withdrawing consent ends the sharing.
    await call('POST', `/committees/${x.oslo}/guards/${g.body.id}/consent`, { consent: false }, x.osloAuth);
    expect((await call('GET', `/committees/${x.bergen}/guards`, undefined, x.bergenAuth)).body.guards).toEqual([]);
    const trail = await rig.hub.db.many(`SELECT detail FROM audit_log WHERE action = 'strike.guard_share' AND detail->>'guardId' = $1 ORDER BY id`, [String(g.body.id)]);
    expect(trail.map((a) => a.detail.consent ?? `to:${a.detail.toCommitteeId}`)).toEqual([true, `to:${x.bergen}`, false]);
  });

  test('shifts: guards are put on shifts of their committee; the CSV is for the committee and audited', async () => {
    const x = await setUp();
    const g = await call('POST', `/committees/${x.oslo}/guards`, { name: '=Formel', phone: '+4792222225' }, x.osloAuth);
    const bad = await call('POST', `/committees/${x.oslo}/shifts`, { place: 'Porten', startsAt: '2026-03-02T06:00:00Z', endsAt: '2026-03-02T05:00:00Z' }, x.osloAuth);
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('body.endsAt');
    const s = await call('POST', `/committees/${x.oslo}/shifts`, { place: 'Porten', startsAt: '2026-03-02T06:00:00Z', endsAt: '2026-03-02T10:00:00Z' }, x.osloAuth);
    expect(s.status).toBe(201);
    const a = await call('POST', `/committees/${x.oslo}/shifts/${s.body.id}/guards`, { guardId: g.body.id }, x.osloAuth);
    expect(a.body.guards).toEqual([g.body.id]);
    const bergenGuard = await call('POST', `/committees/${x.bergen}/guards`, { name: 'Annen' }, x.bergenAuth);
    expect((await call('POST', `/committees/${x.oslo}/shifts/${s.body.id}/guards`, { guardId: bergenGuard.body.id }, x.osloAuth)).status).toBe(404);
    const csv = await call('GET', `/committees/${x.oslo}/guards.csv`, undefined, x.osloAuth);
    expect(csv.text).toContain('Porten');
    expect(csv.text).toContain("'=Formel");
    expect(csv.text).toContain('+4792222225');
    const audited = await rig.hub.db.one(`SELECT row_count FROM audit_log WHERE action = 'strike.guards_view' AND detail->>'export' = 'csv' ORDER BY id DESC LIMIT 1`);
    expect(audited!.row_count).toBe(1);
  });

  test('hostile input: a bad phone, an unknown member, both or neither of staffUserId and email are 400s naming the field', async () => {
    const x = await setUp();
    const phone = await call('POST', `/committees/${x.oslo}/guards`, { name: 'X', phone: 'ring meg' }, x.osloAuth);
    expect(phone.status).toBe(400);
    expect(phone.body.errors[0].field).toBe('body.phone');
    const member = await call('POST', `/committees/${x.oslo}/guards`, { name: 'X', memberNumber: 'nope' }, x.osloAuth);
    expect(member.body.errors[0].field).toBe('body.memberNumber');
    const neither = await call('POST', `/committees/${x.oslo}/members`, {});
    expect(neither.status).toBe(400);
    const rep = await staffWithToken(rig.hub, 'auditor');
    const wrongRole = await call('POST', `/committees/${x.oslo}/members`, { staffUserId: rep.staff.id });
    expect(wrongRole.body.errors[0].field).toBe('body.staffUserId');
  });
});
