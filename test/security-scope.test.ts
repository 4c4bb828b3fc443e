import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';

/**
 * Issue 13, "scope everywhere": saved audiences are visible to their owner's scope only (in SQL),
 * every listing and view of one is audited, and every refused out-of-scope attempt (a member or a
 * saved audience a representative may not see, answered 404/403) is audited as access.refused.
 */
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let org: Org;
let rep: Awaited<ReturnType<typeof staffWithToken>>;
let rep2: Awaited<ReturnType<typeof staffWithToken>>;
let comms: Awaited<ReturnType<typeof staffWithToken>>;
let mine: string;
let theirs: string;

const call = async (method: string, path: string, auth: Record<string, string>, body?: unknown) => {
  const r = await fetch(api.url + path, {
    method, headers: { ...auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
};
const auditOf = async (action: string, userId: number) =>
  (await t.hub.db.many('SELECT member_id, row_count, detail FROM audit_log WHERE action = $1 AND actor_user_id = $2 ORDER BY id', [action, userId]));

beforeAll(async () => {
  t = await createTestHub();
  api = await startApi(t.hub);
  org = await createOrg(t.hub.db);
  // The representative is shop steward at one workplace; `theirs` works at another, in another branch.
  const holder = await insertMember(t.hub.db, { workplaceId: org.workplaceId, branchId: org.branchId });
  const holder2 = await insertMember(t.hub.db, { workplaceId: org.workplaceId, branchId: org.branchId });
  mine = (await insertMember(t.hub.db, { workplaceId: org.workplaceId, branchId: org.branchId })).memberNumber;
  theirs = (await insertMember(t.hub.db, { workplaceId: org.otherWorkplaceId, branchId: org.otherBranchId })).memberNumber;
  rep = await staffWithToken(t.hub, 'representative', { memberId: holder.id });
  rep2 = await staffWithToken(t.hub, 'representative', { memberId: holder2.id });
  comms = await staffWithToken(t.hub, 'communications');
});
afterAll(async () => {
  await api?.close();
  await t?.close();
});

describe('saved audiences', () => {
  test('a representative lists and reads only the saved audiences they made; each listing and view is audited', async () => {
    const central = await call('POST', '/api/audiences', comms.auth, { name: 'Alle aktive', filter: { status: ['active'] } });
    expect(central.status).toBe(201);
    const own = await call('POST', '/api/audiences', rep.auth, { name: 'Mine på verkstedet', filter: { memberNumbers: [mine] } });
    expect(own.status).toBe(201);

    const list = await call('GET', '/api/audiences', rep.auth);
    expect(list.body.items.map((a: any) => a.id)).toEqual([own.body.id]);
    expect((await call('GET', '/api/audiences', rep2.auth)).body.items).toEqual([]);
    const all = (await call('GET', '/api/audiences', comms.auth)).body.items.map((a: any) => a.id);
    expect(all).toEqual(expect.arrayContaining([central.body.id, own.body.id]));
    expect((await auditOf('audience.list', rep.staff.id)).at(-1)).toMatchObject({ row_count: 1 });
    expect((await auditOf('audience.list', rep2.staff.id)).at(-1)).toMatchObject({ row_count: 0 });

    expect((await call('GET', `/api/audiences/${own.body.id}`, rep.auth)).status).toBe(200);
    expect((await auditOf('audience.view', rep.staff.id)).at(-1)).toMatchObject({ detail: { audienceId: own.body.id, purpose: 'view' } });
    const preview = await call('POST', '/api/audiences/preview', rep.auth, { category: 'service', channels: ['email'], audienceId: own.body.id });
    expect(preview.status).toBe(200);
    expect((await auditOf('audience.view', rep.staff.id)).at(-1)).toMatchObject({ detail: { audienceId: own.body.id, purpose: 'preview' } });
  });

  test('a representative never sees a saved audience whose member numbers reach outside their scope; each refused attempt is audited', async () => {
    // Saving one is refused outright.
    const refused = await call('POST', '/api/audiences', rep.auth, { name: 'Utenfor', filter: { any: [{ memberNumbers: [mine] }, { excludeMemberNumbers: [theirs] }] } });
    expect(refused.status).toBe(403);
    expect((await auditOf('access.refused', rep.staff.id)).at(-1)).toMatchObject({ detail: { route: 'audience.save' } });
    expect(await t.hub.db.one(`SELECT count(*)::int AS n FROM audiences WHERE name = 'Utenfor'`)).toEqual({ n: 0 });

    // One of theirs that came to name someone else's member (changed centrally, or their scope narrowed).
    const own = await call('POST', '/api/audiences', rep.auth, { name: 'Blir utvidet', filter: { memberNumbers: [mine] } });
    expect((await call('PUT', `/api/audiences/${own.body.id}`, comms.auth, { filter: { memberNumbers: [mine, theirs] } })).status).toBe(200);
    expect((await call('GET', '/api/audiences', rep.auth)).body.items.map((a: any) => a.id)).not.toContain(own.body.id);
    for (const [method, path, body] of [
      ['GET', `/api/audiences/${own.body.id}`, undefined],
      ['POST', '/api/audiences/preview', { category: 'service', channels: ['email'], audienceId: own.body.id }],
      ['PUT', `/api/audiences/${own.body.id}`, { name: 'Nytt navn' }],
      ['DELETE', `/api/audiences/${own.body.id}`, undefined],
    ] as const) {
      const before = (await auditOf('access.refused', rep.staff.id)).length;
      expect([method, path, (await call(method, path, rep.auth, body)).status]).toEqual([method, path, 404]);
      const after = await auditOf('access.refused', rep.staff.id);
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)!.detail).toMatchObject({ audienceId: own.body.id });
    }
    // An audience that does not exist is a plain 404, not a refusal.
    const before = (await auditOf('access.refused', rep.staff.id)).length;
    expect((await call('GET', '/api/audiences/999999', rep.auth)).status).toBe(404);
    expect(await auditOf('access.refused', rep.staff.id)).toHaveLength(before);
    // Communications still read and change it.
    expect((await call('GET', `/api/audiences/${own.body.id}`, comms.auth)).status).toBe(200);
  });
});

describe('members outside scope', () => {
  test('a representative naming a member outside their scope gets 404, and the attempt is audited as refused (a number that names no one is not)', async () => {
    const theirsId = (await t.hub.db.one('SELECT id FROM members WHERE member_number = $1', [theirs]))!.id;
    for (const [method, path, body] of [
      ['GET', `/api/members/${theirs}`, undefined],
      ['GET', `/api/members/${theirs}/consents`, undefined],
      ['GET', `/api/members/${theirs}/communications`, undefined],
    ] as const) {
      const before = (await auditOf('access.refused', rep.staff.id)).length;
      expect([method, path, (await call(method, path, rep.auth, body)).status]).toEqual([method, path, 404]);
      const after = await auditOf('access.refused', rep.staff.id);
      expect(after).toHaveLength(before + 1);
      expect(after.at(-1)).toMatchObject({ member_id: theirsId });
    }
    const before = (await auditOf('access.refused', rep.staff.id)).length;
    expect((await call('GET', `/api/members/${mine}`, rep.auth)).status).toBe(200);
    expect((await call('GET', '/api/members/NOSUCH1', rep.auth)).status).toBe(404);
    expect(await auditOf('access.refused', rep.staff.id)).toHaveLength(before);
  });
});
