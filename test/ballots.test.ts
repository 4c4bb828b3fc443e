import { Writable } from 'node:stream';
import pino from 'pino';
import type * as OpenPGP from 'openpgp' with { 'resolution-mode': 'import' };
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember as insertRegisterMember, type Org, type MemberInput } from './helpers/fixtures';
import type { Db } from '../src/db';
import { FixedClock } from '../src/clock';
import { advanceBallot, planRecipients, type BallotCampaignSpec, type CampaignGateway } from '../src/ballots';
import { ballotQueue } from '../queues/ballots';
import { startBallotWorkers } from '../queues/ballots.worker';
import { reconcileBallotJobs, dueBallots } from '../src/ballots/schedule';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const openpgp: typeof OpenPGP = require('openpgp');

// Before both daylight-saving changes of 2026, so the test times are in the future.
const clock = new FixedClock(new Date('2026-01-15T10:00:00Z'));
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let admin: { authorization: string };
let comms: { authorization: string };
let org: Org;
let codeA: string;
const logLines: string[] = [];

/** Stands in for campaigns' create/launch while that part is not in the tree: real rows in `campaigns`. */
const specs: BallotCampaignSpec[] = [];
const gateway: CampaignGateway = {
  async create(hub, spec) {
    specs.push(spec);
    const r = await hub.db.one(`INSERT INTO campaigns (kind, name, category, channels, audience, state) VALUES ('ballot', $1, $2, $3, $4, 'draft') RETURNING id`,
      [spec.name, spec.category, spec.channels, JSON.stringify(spec.audience)]);
    return r!.id;
  },
  async launch(hub, id) { await hub.db.query(`UPDATE campaigns SET state = 'running' WHERE id = $1`, [id]); },
  async cancel(hub, id) { await hub.db.query(`UPDATE campaigns SET state = 'cancelled' WHERE id = $1`, [id]); },
};

beforeAll(async () => {
  t = await createTestHub({ clock });
  const sink = new Writable({ write(chunk, _enc, cb) { logLines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  t.hub.log = pino({ level: 'trace' }, sink);
  api = await startApi(t.hub);
  admin = (await staffWithToken(t.hub, 'admin')).auth;
  comms = (await staffWithToken(t.hub, 'communications')).auth;
  org = await createOrg(t.hub.db);
  codeA = (await t.hub.db.one('SELECT code FROM agreements WHERE id = $1', [org.agreementId]))!.code;
});
afterAll(async () => {
  await api.close();
  await t.close();
});

async function call(method: string, path: string, auth: Record<string, string>, body?: unknown): Promise<{ status: number; json: any; text: string; headers: Headers }> {
  const r = await fetch(`${api.url}/api${path}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, json, text, headers: r.headers };
}

const ballotBody = (over: Record<string, unknown> = {}) => ({
  title: 'Uravstemning om lønnsoppgjøret',
  agreements: [codeA],
  opensAt: '2026-02-10T09:00',
  closesAt: '2026-02-20T12:00',
  votingUrl: 'https://valg.example/ntl',
  ...over,
});

async function createBallot(over: Record<string, unknown> = {}): Promise<any> {
  const r = await call('POST', '/ballots', comms, ballotBody(over));
  expect(r.status).toBe(201);
  return r.json;
}

/** insertMember, with agreement coverage dated from 2020 (the fixture dates it today, after this file's clock). */
async function insertMember(db: Db, m: MemberInput = {}): Promise<{ id: number; memberNumber: string }> {
  const r = await insertRegisterMember(db, m);
  await db.query(`UPDATE member_agreements SET covered_from = '2020-01-01' WHERE member_id = $1`, [r.id]);
  return r;
}

let agreementSeq = 0;
/** An agreement of its own, so each test's roll holds only its own members. */
async function freshAgreement(): Promise<{ id: number; code: string }> {
  const code = `BA${++agreementSeq}`;
  const r = await t.hub.db.one('INSERT INTO agreements (code, name) VALUES ($1, $2) RETURNING id', [code, `Avtale ${code}`]);
  return { id: r!.id, code };
}

async function rollMembers(ballotId: number): Promise<number[]> {
  return (await t.hub.db.many('SELECT member_id FROM ballot_roll_entries WHERE ballot_id = $1 ORDER BY member_id', [ballotId])).map((r) => r.member_id);
}

describe('eligibility and the frozen roll', () => {
  test('the roll is the active members covered by the agreement at the cut-off', async () => {
    const a = await insertMember(t.hub.db, { agreementIds: [org.agreementId] });
    const onlyB = await insertMember(t.hub.db, { agreementIds: [org.otherAgreementId] });
    const resigned = await insertMember(t.hub.db, { status: 'resigned', resignedAt: '2025-12-01', agreementIds: [org.agreementId] });
    const both = await insertMember(t.hub.db, { agreementIds: [org.agreementId, org.otherAgreementId] });
    await insertMember(t.hub.db, {});
    const coveredLater = await insertMember(t.hub.db, { agreementIds: [org.agreementId] });
    await t.hub.db.query(`UPDATE member_agreements SET covered_from = '2026-02-01' WHERE member_id = $1`, [coveredLater.id]);
    const joinedLater = await insertMember(t.hub.db, { joinedAt: '2026-02-01', agreementIds: [org.agreementId] });

    const b = await createBallot();
    expect(b).toMatchObject({ state: 'draft', agreements: [{ code: codeA }], opensAt: '2026-02-10T09:00:00+01:00', closesAt: '2026-02-20T12:00:00+01:00' });
    const frozen = await call('POST', `/ballots/${b.id}/roll`, comms, {});
    expect(frozen.status).toBe(200);
    expect(frozen.json).toEqual({ cutoffAt: '2026-01-15T11:00:00+01:00', size: 2 });
    expect(await rollMembers(b.id)).toEqual([a.id, both.id].sort((x, y) => x - y));
    for (const m of [onlyB, resigned, coveredLater, joinedLater]) expect(await rollMembers(b.id)).not.toContain(m.id);

    const audit = await t.hub.db.one(`SELECT row_count, detail FROM audit_log WHERE action = 'ballot.roll_freeze' AND (detail->>'ballotId')::int = $1`, [b.id]);
    expect(audit).toMatchObject({ row_count: 2 });

    // A cut-off in the past: who was active and covered then (resigned since: still on the roll).
    const past = await createBallot();
    await t.hub.db.query(`UPDATE members SET status = 'resigned', resigned_at = '2026-01-10' WHERE id = $1`, [both.id]);
    const r = await call('POST', `/ballots/${past.id}/roll`, comms, { cutoffAt: '2026-01-05T12:00' });
    expect(r.json.size).toBe(2);
    const future = await call('POST', `/ballots/${past.id}/roll`, comms, { cutoffAt: '2026-01-20T12:00' });
    expect(future.status).toBe(400);
    expect(future.json.errors[0].field).toBe('body.cutoffAt');
  });

  test('the rule can be narrowed by category and workplace', async () => {
    const here = await insertMember(t.hub.db, { workplaceId: org.workplaceId, agreementIds: [org.agreementId] });
    await insertMember(t.hub.db, { workplaceId: org.otherWorkplaceId, agreementIds: [org.agreementId] });
    await insertMember(t.hub.db, { workplaceId: org.workplaceId, category: 'pensioner', agreementIds: [org.agreementId] });
    const wp = (await t.hub.db.one('SELECT org_number FROM workplaces WHERE id = $1', [org.workplaceId]))!.org_number;
    const b = await createBallot({ eligibility: { categories: ['employee', 'apprentice'], workplaceOrgNumbers: [wp] } });
    await call('POST', `/ballots/${b.id}/roll`, comms, {});
    expect(await rollMembers(b.id)).toEqual([here.id]);

    const bad = await call('POST', '/ballots', comms, ballotBody({ agreements: [codeA, 'NOPE'], eligibility: { workplaceOrgNumbers: ['923609016'] } }));
    expect(bad.status).toBe(400);
    expect(bad.json.errors.map((e: any) => e.field)).toEqual(['body.agreements.1', 'body.eligibility.workplaceOrgNumbers.0']);
  });

  test('validation, roles and the voting URL', async () => {
    const both = await call('POST', '/ballots', comms, ballotBody({ votingUrlTemplate: 'https://valg.example/v/{memberNumber}' }));
    expect(both.status).toBe(400);
    const noPlaceholder = await call('POST', '/ballots', comms, ballotBody({ votingUrl: undefined, votingUrlTemplate: 'https://valg.example/v/{code}' }));
    expect(noPlaceholder.status).toBe(400);
    expect(noPlaceholder.json.errors[0].field).toBe('body.votingUrlTemplate');
    const personal = await call('POST', '/ballots', comms, ballotBody({ votingUrl: undefined, votingUrlTemplate: 'https://valg.example/v/{memberNumber}' }));
    expect(personal.status).toBe(201);
    const rep = await staffWithToken(t.hub, 'representative', { memberId: (await insertMember(t.hub.db)).id });
    expect((await call('POST', '/ballots', rep.auth, ballotBody())).status).toBe(403);
    expect((await call('GET', '/ballots', rep.auth)).status).toBe(403);
    const closesFirst = await call('POST', '/ballots', comms, ballotBody({ closesAt: '2026-02-01T12:00' }));
    expect(closesFirst.json.errors[0].field).toBe('body.closesAt');
    const list = await call('GET', '/ballots?state=draft', comms);
    expect(list.json.total).toBeGreaterThan(0);
  });
});

describe('notifications', () => {
  test('a member resigning between cut-off and reminder is not reminded and is in the difference report', async () => {
    const ag = await freshAgreement();
    const x = await insertMember(t.hub.db, { lastName: 'Blir', agreementIds: [ag.id] });
    const y = await insertMember(t.hub.db, { lastName: 'Slutter', agreementIds: [ag.id] });
    const w = await insertMember(t.hub.db, { lastName: 'Bytter', agreementIds: [ag.id] });
    const b = await createBallot({ agreements: [ag.code] });
    await call('POST', `/ballots/${b.id}/roll`, comms, {});
    expect(await rollMembers(b.id)).toEqual([x.id, y.id, w.id]);

    clock.set(new Date('2026-01-20T10:00:00Z'));
    await t.hub.db.query(`UPDATE members SET status = 'resigned', resigned_at = '2026-01-20', resignation_reason = 'resigned' WHERE id = $1`, [y.id]);
    await t.hub.db.query('DELETE FROM member_agreements WHERE member_id = $1 AND agreement_id = $2', [w.id, ag.id]);
    const z = await insertMember(t.hub.db, { lastName: 'Ny', joinedAt: '2026-01-20', agreementIds: [ag.id] });

    const diff = await call('GET', `/ballots/${b.id}/roll/difference`, comms);
    expect(diff.status).toBe(200);
    expect(diff.json.rollSize).toBe(3);
    expect(diff.json.noLongerEligible.map((e: any) => [e.memberNumber, e.reason])).toEqual([[w.memberNumber, 'coverage_ended'], [y.memberNumber, 'resigned']]);
    expect(diff.json.notOnRoll.map((e: any) => [e.memberNumber, e.reason])).toEqual([[z.memberNumber, 'joined']]);
    expect(await rollMembers(b.id)).toEqual([x.id, y.id, w.id]); // reported, not applied

    // Opening, then the three-day reminder, as the worker would run them.
    specs.length = 0;
    clock.set(new Date('2026-02-10T08:00:30Z'));
    const opened = await advanceBallot(t.hub, b.id, gateway);
    expect(opened.state).toBe('open');
    expect(opened.launched.map((l) => l.kind)).toEqual(['opened']);
    clock.set(new Date('2026-02-17T11:00:30Z'));
    const reminded = await advanceBallot(t.hub, b.id, gateway);
    expect(reminded.launched.map((l) => [l.kind, l.offsetBeforeClose])).toEqual([['reminder', 'P3D']]);
    expect(await advanceBallot(t.hub, b.id, gateway)).toMatchObject({ launched: [] }); // twice changes nothing

    const spec = specs[1];
    expect(spec).toMatchObject({ kind: 'ballot', category: 'ballot', template: 'ballot_reminder', audience: { all: [{ ballotRoll: b.id }, { status: ['active'] }] } });
    // The templates say "Uravstemningen om {{ballot.title}}": the title loses its own "Uravstemning om" (no "Uravstemningen om Uravstemning om …").
    expect(spec.mergeData.ballot).toMatchObject({ title: 'lønnsoppgjøret', votingUrl: 'https://valg.example/ntl', closesAt: '20. februar 2026 kl. 12:00' });
    // The audience as campaigns compile it: roll AND active.
    const reached = await t.hub.db.many(`SELECT m.id FROM members m WHERE EXISTS (SELECT 1 FROM ballot_roll_entries r WHERE r.ballot_id = $1 AND r.member_id = m.id)
      AND m.status = 'active' ORDER BY m.id`, [b.id]);
    expect(reached.map((r) => r.id)).toEqual([x.id, w.id]);
    expect((await planRecipients(t.hub, b.id, ['email', 'sms', 'letter'])).map((r) => r.memberId)).toEqual([x.id, w.id]);

    const view = (await call('GET', `/ballots/${b.id}`, comms)).json;
    expect(view.notifications.map((n: any) => [n.kind, n.offsetBeforeClose, n.state])).toEqual([
      ['opened', null, 'launched'], ['reminder', 'P3D', 'launched'], ['reminder', 'P1D', 'pending'],
    ]);

    // Closing, the result.
    expect((await call('POST', `/ballots/${b.id}/result`, comms, { text: 'Ja: 61 %' })).status).toBe(409);
    clock.set(new Date('2026-02-20T11:00:01Z'));
    const closed = await advanceBallot(t.hub, b.id, gateway);
    expect(closed).toMatchObject({ state: 'closed', launched: [], skipped: [{ kind: 'reminder', offsetBeforeClose: 'P1D' }] });
    const withResult = await call('POST', `/ballots/${b.id}/result`, comms, { text: 'Forslaget ble vedtatt.' });
    expect(withResult.status).toBe(200);
    const res = await advanceBallot(t.hub, b.id, gateway);
    expect(res.launched.map((l) => l.kind)).toEqual(['result']);
    expect(specs.at(-1)).toMatchObject({ template: 'ballot_result', channels: ['email', 'sms', 'letter'], mergeData: { ballot: { result: 'Forslaget ble vedtatt.' } } });
    expect((await call('POST', `/ballots/${b.id}/result`, comms, { text: 'endret' })).status).toBe(409);
    clock.set(new Date('2026-01-15T10:00:00Z'));
  });

  test('channels fall back email → SMS → letter; a letter only when it arrives before closing', async () => {
    const ag = await freshAgreement();
    const b = await createBallot({ agreements: [ag.code], opensAt: '2026-03-02T09:00', closesAt: '2026-03-12T12:00' });
    const email = await insertMember(t.hub.db, { agreementIds: [ag.id] });
    const bounced = await insertMember(t.hub.db, { email: 'hoppet@example.no', phone: '+4791234567', agreementIds: [ag.id] });
    await t.hub.db.query(`INSERT INTO suppressions (channel, address, reason) VALUES ('email', 'hoppet@example.no', 'hard_bounce')`);
    const post = await insertMember(t.hub.db, { email: null, phone: null, agreementIds: [ag.id] });
    const nothing = await insertMember(t.hub.db, { email: null, phone: null, street: null, postcode: null, agreementIds: [ag.id] });
    await call('POST', `/ballots/${b.id}/roll`, comms, {});

    const plan = (await call('GET', `/ballots/${b.id}/plan`, comms)).json.notifications;
    const opened = plan.find((n: any) => n.kind === 'opened');
    expect(opened).toMatchObject({ channels: ['email', 'sms', 'letter'], audience: 4, byChannel: { email: 1, sms: 1, letter: 1 }, unreachable: { no_address: 1 } });
    const p3d = plan.find((n: any) => n.offsetBeforeClose === 'P3D');
    expect(p3d.channels).toEqual(['email', 'sms']);
    expect(p3d.note).toMatch(/^Ikke brev: .*etter at avstemningen stenger \(postgang 5 dager\)$/);
    expect(p3d.byChannel).toEqual({ email: 1, sms: 1, letter: 0 });
    expect(plan.find((n: any) => n.kind === 'result').channels).toEqual(['email', 'sms', 'letter']);

    const per = await planRecipients(t.hub, b.id, ['email', 'sms', 'letter']);
    expect(Object.fromEntries(per.map((r) => [r.memberId, r.channel ?? r.reason]))).toEqual({
      [email.id]: 'email', [bounced.id]: 'sms', [post.id]: 'letter', [nothing.id]: 'no_address',
    });

    // What is handed to campaigns at launch: the opened notification may use letters, the reminders not.
    specs.length = 0;
    clock.set(new Date('2026-03-02T08:00:05Z'));
    await advanceBallot(t.hub, b.id, gateway);
    clock.set(new Date('2026-03-09T11:00:05Z'));
    await advanceBallot(t.hub, b.id, gateway);
    expect(specs.map((s) => [s.template, s.channels])).toEqual([['ballot_opened', ['email', 'sms', 'letter']], ['ballot_reminder', ['email', 'sms']]]);
    clock.set(new Date('2026-01-15T10:00:00Z'));
  });
});

describe('scheduling with BullMQ', () => {
  async function jobsOf(ballotId: number): Promise<{ id: string; delay: number; ts: number }[]> {
    const jobs = await ballotQueue(t.hub).getJobs(['delayed', 'waiting']);
    return jobs.filter((j) => j.id?.startsWith(`ballot-${ballotId}-`)).map((j) => ({ id: j.id!, delay: j.delay, ts: j.timestamp }))
      .sort((a, b) => a.id.localeCompare(b.id));
  }
  const due = (iso: string) => new Date(iso).getTime();

  test('moving the times reschedules pending notifications, cancelling removes them, a restart loses none', async () => {
    const b = await createBallot({ opensAt: '2026-02-10T09:00', closesAt: '2026-02-20T12:00' });
    const ids = (await jobsOf(b.id)).map((j) => j.id);
    expect(ids).toEqual([
      `ballot-${b.id}-close-${due('2026-02-20T11:00:00Z')}`,
      `ballot-${b.id}-open-${due('2026-02-10T08:00:00Z')}`,
      `ballot-${b.id}-reminder-P1D-${due('2026-02-19T11:00:00Z')}`,
      `ballot-${b.id}-reminder-P3D-${due('2026-02-17T11:00:00Z')}`,
    ]);
    const open = (await jobsOf(b.id)).find((j) => j.id.includes('-open-'))!;
    expect(open.delay).toBe(due('2026-02-10T08:00:00Z') - clock.now().getTime());

    const moved = await call('PATCH', `/ballots/${b.id}`, comms, { opensAt: '2026-02-11T09:00', closesAt: '2026-02-24T12:00', reminders: ['P2D'] });
    expect(moved.status).toBe(200);
    expect(moved.json.notifications.map((n: any) => [n.kind, n.offsetBeforeClose, n.dueAt, n.state])).toEqual([
      ['opened', null, '2026-02-11T09:00:00+01:00', 'pending'],
      ['reminder', 'P3D', '2026-02-17T12:00:00+01:00', 'cancelled'],
      ['reminder', 'P1D', '2026-02-19T12:00:00+01:00', 'cancelled'],
      ['reminder', 'P2D', '2026-02-22T12:00:00+01:00', 'pending'],
    ]);
    expect((await jobsOf(b.id)).map((j) => j.id)).toEqual([
      `ballot-${b.id}-close-${due('2026-02-24T11:00:00Z')}`,
      `ballot-${b.id}-open-${due('2026-02-11T08:00:00Z')}`,
      `ballot-${b.id}-reminder-P2D-${due('2026-02-22T11:00:00Z')}`,
    ]);

    // A restart with an empty queue: the schedule comes back from PostgreSQL.
    for (const j of await ballotQueue(t.hub).getJobs(['delayed', 'waiting'])) await j.remove();
    expect(await jobsOf(b.id)).toEqual([]);
    const rec = await reconcileBallotJobs(t.hub);
    expect(rec.added).toBeGreaterThanOrEqual(3);
    expect((await jobsOf(b.id)).map((j) => j.id)).toHaveLength(3);
    expect((await reconcileBallotJobs(t.hub)).added).toBe(0); // deterministic ids: nothing twice
    const sweep = await ballotQueue(t.hub).getJobSchedulers();
    expect(sweep.map((s) => s.key)).toContain('ballot-sweep');

    const cancelled = await call('POST', `/ballots/${b.id}/cancel`, comms);
    expect(cancelled.json.state).toBe('cancelled');
    expect(cancelled.json.notifications.every((n: any) => n.state === 'cancelled')).toBe(true);
    expect(await jobsOf(b.id)).toEqual([]);
    expect((await call('POST', `/ballots/${b.id}/cancel`, comms)).status).toBe(409);
    expect((await call('PATCH', `/ballots/${b.id}`, comms, { closesAt: '2026-02-25T12:00' })).status).toBe(409);
    expect(await advanceBallot(t.hub, b.id, gateway)).toMatchObject({ state: 'cancelled', launched: [] });
  });

  test('the worker runs a due wake-up: the ballot opens and its announcement is launched once', async () => {
    const ag = await freshAgreement();
    await insertMember(t.hub.db, { agreementIds: [ag.id] });
    const b = await createBallot({ agreements: [ag.code], opensAt: '2026-02-03T09:00', closesAt: '2026-02-13T12:00' });
    const { worker, close } = await startBallotWorkers(t.hub, { gateway });
    try {
      specs.length = 0;
      clock.set(new Date('2026-02-03T08:00:01Z'));
      expect(await dueBallots(t.hub)).toContain(b.id);
      const job = (await ballotQueue(t.hub).getJobs(['delayed'])).find((j) => j.id?.startsWith(`ballot-${b.id}-open-`))!;
      const done = new Promise<void>((resolve) => worker.on('completed', (j) => { if (j.id === job.id) resolve(); }));
      await job.promote();
      await done;
      // The minutely sweep may be advancing the same ballot at this moment (its row lock makes the
      // promoted job skip it): wait for whichever of the two launched it.
      let view: any;
      for (let i = 0; i < 100; i++) {
        view = (await call('GET', `/ballots/${b.id}`, comms)).json;
        if (view.notifications[0]?.state === 'launched') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(view).toMatchObject({ state: 'open', roll: { size: 1, cutoffAt: '2026-02-03T09:00:00+01:00' } });
      expect(view.notifications[0]).toMatchObject({ kind: 'opened', state: 'launched', channels: ['email', 'sms', 'letter'] });
      expect(specs.map((s) => s.template)).toEqual(['ballot_opened']);
      expect(await dueBallots(t.hub)).not.toContain(b.id);
    } finally {
      await close();
      clock.set(new Date('2026-01-15T10:00:00Z'));
    }
  });

  test('an open ballot may move only its closing time', async () => {
    const b = await createBallot({ opensAt: '2026-02-10T09:00', closesAt: '2026-02-20T12:00' });
    clock.set(new Date('2026-02-18T12:00:00Z'));
    await advanceBallot(t.hub, b.id, gateway); // opens (roll frozen at the opening), P3D is sent late
    const view = (await call('GET', `/ballots/${b.id}`, comms)).json;
    expect(view.state).toBe('open');
    expect(view.roll.cutoffAt).toBe('2026-02-10T09:00:00+01:00');
    expect((await call('PATCH', `/ballots/${b.id}`, comms, { opensAt: '2026-02-12T09:00' })).status).toBe(409);
    // Shortened: the P1D reminder's new time has passed, so it is skipped rather than fired at once.
    const r = await call('PATCH', `/ballots/${b.id}`, comms, { closesAt: '2026-02-19T12:30' });
    expect(r.status).toBe(200);
    expect(r.json.notifications.find((n: any) => n.offsetBeforeClose === 'P1D')).toMatchObject({ state: 'skipped' });
    expect((await jobsOf(b.id)).map((j) => j.id)).toEqual([`ballot-${b.id}-close-${due('2026-02-19T11:30:00Z')}`]);
    clock.set(new Date('2026-01-15T10:00:00Z'));
  });
});

describe('Europe/Oslo times across the daylight-saving changes', () => {
  test('a time that does not exist is refused; an ambiguous one needs its offset; reminders keep the wall-clock time', async () => {
    const gap = await call('POST', '/ballots', comms, ballotBody({ opensAt: '2026-03-29T02:30', closesAt: '2026-04-10T12:00' }));
    expect(gap.status).toBe(400);
    expect(gap.json.errors).toEqual([{ field: 'body.opensAt', message: expect.stringMatching(/^body\.opensAt .* finnes ikke i norsk tid/) }]);

    const twice = await call('POST', '/ballots', comms, ballotBody({ opensAt: '2026-10-25T02:30', closesAt: '2026-11-10T12:00' }));
    expect(twice.status).toBe(400);
    expect(twice.json.errors[0].field).toBe('body.opensAt');
    expect(twice.json.errors[0].message).toMatch(/finnes to ganger.*2026-10-25T02:30:00\+02:00 eller 2026-10-25T02:30:00\+01:00/);

    const summer = await createBallot({ opensAt: '2026-10-25T02:30+02:00', closesAt: '2026-11-10T12:00' });
    const winter = await createBallot({ opensAt: '2026-10-25T02:30+01:00', closesAt: '2026-11-10T12:00' });
    expect(summer.opensAt).toBe('2026-10-25T02:30:00+02:00');
    expect(winter.opensAt).toBe('2026-10-25T02:30:00+01:00');
    const rows = await t.hub.db.many('SELECT id, opens_at FROM ballots WHERE id = ANY($1::bigint[]) ORDER BY id', [[summer.id, winter.id]]);
    expect(rows[1].opens_at.getTime() - rows[0].opens_at.getTime()).toBe(3600_000);

    const spring = await createBallot({ opensAt: '2026-03-29T03:00', closesAt: '2026-03-30T12:00', reminders: ['P3D', 'P1D', 'PT12H'] });
    expect(spring.opensAt).toBe('2026-03-29T03:00:00+02:00');
    const due = Object.fromEntries(spring.notifications.map((n: any) => [n.offsetBeforeClose ?? n.kind, [n.dueAt, n.state]]));
    expect(due).toEqual({
      opened: ['2026-03-29T03:00:00+02:00', 'pending'],
      P1D: ['2026-03-29T12:00:00+02:00', 'pending'], // 12:00 the day before: 23 hours, not 24
      PT12H: ['2026-03-30T00:00:00+02:00', 'pending'],
      P3D: ['2026-03-27T12:00:00+01:00', 'skipped'], // before the opening: not sent
    });
    const job = (await ballotQueue(t.hub).getJobs(['delayed'])).find((j) => j.id === `ballot-${spring.id}-open-${new Date('2026-03-29T01:00:00Z').getTime()}`);
    expect(job).toBeDefined();
  });
});

describe('the roll export for the provider', () => {
  test('encrypted to the provider key: decrypts with that key only; admin only; audited; no plaintext kept', async () => {
    const provider = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Valgleverandør', email: 'manntall@valg.example' }], format: 'armored' });
    const stranger = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Noen andre', email: 'x@example.org' }], format: 'armored' });
    const ag = await freshAgreement();
    const b = await createBallot({ agreements: [ag.code] });
    await insertMember(t.hub.db, { agreementIds: [ag.id] });
    const m = await insertMember(t.hub.db, { firstName: 'Åse', lastName: 'Ødegård', email: 'ase.odegard@example.no', phone: '+4799887766', agreementIds: [ag.id] });
    await call('POST', `/ballots/${b.id}/roll`, comms, {});
    const size = (await rollMembers(b.id)).length;

    expect((await call('POST', `/ballots/${b.id}/roll/exports`, comms, { fields: ['email'], publicKey: provider.publicKey })).status).toBe(403);
    const noKey = await call('POST', `/ballots/${b.id}/roll/exports`, admin, { fields: ['email'] });
    expect(noKey.status).toBe(422);
    expect(noKey.json.errors[0].field).toBe('body.publicKey');
    const priv = await call('POST', `/ballots/${b.id}/roll/exports`, admin, { fields: ['email'], publicKey: provider.privateKey });
    expect(priv.status).toBe(400);
    expect(priv.json.errors[0]).toMatchObject({ field: 'body.publicKey', message: expect.stringMatching(/^body\.publicKey er en PRIVAT nøkkel/) });
    const badField = await call('POST', `/ballots/${b.id}/roll/exports`, admin, { fields: ['nationalId'], publicKey: provider.publicKey });
    expect(badField.json.errors[0].field).toBe('body.fields.0');

    const r = await call('POST', `/ballots/${b.id}/roll/exports`, admin, { fields: ['email', 'phone'], publicKey: provider.publicKey });
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toMatch(/application\/pgp-encrypted/);
    expect(r.headers.get('content-disposition')).toMatch(new RegExp(`manntall-${b.id}-.*\\.csv\\.asc`));
    expect(r.text).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    expect(r.text).not.toContain('Ødegård');

    const message = await openpgp.readMessage({ armoredMessage: r.text });
    const { data } = await openpgp.decrypt({ message, decryptionKeys: await openpgp.readPrivateKey({ armoredKey: provider.privateKey }), format: 'binary' });
    const csv = Buffer.from(data as Uint8Array).toString('utf8').split('\r\n').filter(Boolean);
    expect(csv[0]).toBe('member_number,first_name,last_name,email,phone');
    expect(csv).toContain(`${m.memberNumber},Åse,Ødegård,ase.odegard@example.no,+4799887766`);
    expect(csv).toHaveLength(size + 1);

    const again = await openpgp.readMessage({ armoredMessage: r.text });
    await expect(openpgp.decrypt({ message: again, decryptionKeys: await openpgp.readPrivateKey({ armoredKey: stranger.privateKey }) })).rejects.toThrow();

    const fingerprint = (await openpgp.readKey({ armoredKey: provider.publicKey })).getFingerprint().toUpperCase();
    const rec = await t.hub.db.one('SELECT * FROM ballot_roll_exports WHERE id = $1', [Number(r.headers.get('x-export-id'))]);
    expect(rec).toMatchObject({ ballot_id: b.id, fields: ['email', 'phone'], row_count: size, key_fingerprint: fingerprint });
    const audit = await t.hub.db.one(`SELECT actor, row_count, detail FROM audit_log WHERE action = 'ballot.roll_export' ORDER BY id DESC LIMIT 1`);
    expect(audit).toMatchObject({ row_count: size, detail: { ballotId: b.id, fields: ['email', 'phone'], keyFingerprint: fingerprint } });

    // The member's e-mail address is in the register and nowhere else in the database.
    const cols = await t.hub.db.many(`SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'character varying', 'ARRAY', 'bytea') AND table_name <> 'members'`);
    for (const c of cols) {
      const hit = await t.hub.db.one(`SELECT count(*)::int AS n FROM "${c.table_name}" WHERE "${c.column_name}"::text ILIKE '%ase.odegard%'`);
      expect([c.table_name, c.column_name, hit!.n]).toEqual([c.table_name, c.column_name, 0]);
    }

    // The key stored on the ballot is used when none is given; the list shows exports without content.
    await call('PATCH', `/ballots/${b.id}`, comms, { providerPublicKey: provider.publicKey });
    const stored = await call('POST', `/ballots/${b.id}/roll/exports`, admin, { fields: [] });
    expect(stored.status).toBe(201);
    expect(stored.headers.get('x-key-fingerprint')).toBe(fingerprint);
    const list = await call('GET', `/ballots/${b.id}/roll/exports`, admin);
    expect(list.json.exports).toHaveLength(2);
    expect((await call('GET', `/ballots/${b.id}`, comms)).json.providerKeyFingerprint).toBe(fingerprint);
    // Once exported, the roll is final.
    expect((await call('POST', `/ballots/${b.id}/roll`, comms, {})).status).toBe(409);
  });
});

describe('no vote data', () => {
  test('no table or column holds anything about votes, and no API offers it', async () => {
    const VOTE = /(^|_)(vote|votes|voted|voter|voters|turnout|stemme|stemmer|stemt|stemmegiv\w*|has_voted|participation)($|_)/i;
    const cols = await t.hub.db.many(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`);
    expect(cols.filter((c) => VOTE.test(c.column_name) || VOTE.test(c.table_name))).toEqual([]);
    const spec = await (await fetch(`${api.url}/api/openapi.json`)).json();
    expect(Object.keys(spec.paths).filter((p) => /vote|turnout|stemme|non-?voter/i.test(p))).toEqual([]);
    const ballotBodyKeys = JSON.stringify(spec.paths['/api/ballots'].post);
    expect(ballotBodyKeys).not.toMatch(/voted|turnout|onlyNonVoters/i);
  });

  test('the logs of a whole ballot carry no vote data and no member contact data', async () => {
    expect(logLines.length).toBeGreaterThan(0);
    const joined = logLines.join('\n');
    expect(joined).toMatch(/ballot opened/);
    expect(joined).not.toMatch(/\b(vote|votes|voted|voter|turnout|stemme|stemt)\b/i);
    expect(joined).not.toMatch(/ase\.odegard|Ødegård|\+4799887766/);
  });
});
