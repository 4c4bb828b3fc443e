import { DateTime } from 'luxon';
import { createTestHub, startApi, staffWithToken, type TestHub } from './helpers/hub';
import { createOrg, insertMember, type Org } from './helpers/fixtures';
import { FixedClock } from '../src/clock';
import type { Db } from '../src/db';
import { recordConsentChange, suppress } from '../src/consent';
import { campaignCounts, findTraces, runRetentionSweep, trackingSettings, type MemberExport } from '../src/privacy';
import { RETENTION_SCHEDULER_ID } from '../queues/retention';
import { startRetentionScheduler } from '../queues/retention.worker';

const NOW = new Date('2025-06-15T10:00:00Z');
const clock = new FixedClock(NOW);
let t: TestHub;
let api: Awaited<ReturnType<typeof startApi>>;
let org: Org;
let admin: Awaited<ReturnType<typeof staffWithToken>>;
let comms: Awaited<ReturnType<typeof staffWithToken>>;
let auditor: Awaited<ReturnType<typeof staffWithToken>>;

const osloDate = (d: DateTime) => d.setZone('Europe/Oslo').toISODate()!;
const today = () => DateTime.fromJSDate(clock.now()).setZone('Europe/Oslo');

async function campaign(db: Db, o: { category?: string; state?: string; name?: string } = {}): Promise<number> {
  return (await db.one(`INSERT INTO campaigns (name, category, channels, state) VALUES ($1, $2, ARRAY['email','sms'], $3) RETURNING id`,
    [o.name ?? 'Kampanje', o.category ?? 'newsletter', o.state ?? 'completed']))!.id;
}

async function logRow(db: Db, o: { campaignId: number; memberId: number; channel?: string; state?: string; address?: string | null; createdAt?: Date; reason?: string | null }): Promise<number> {
  return (await db.one(
    `INSERT INTO send_log (campaign_id, member_id, channel, state, address, reason, sent_at, created_at, batch_no)
     VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $4 IN ('sent','delivered','bounced') THEN $7::timestamptz END, $7, 0) RETURNING id`,
    [o.campaignId, o.memberId, o.channel ?? 'email', o.state ?? 'delivered', o.address ?? null, o.reason ?? null, o.createdAt ?? clock.now()]))!.id;
}

async function sweep() {
  return runRetentionSweep(t.hub);
}

const zeroRemoved = {
  resignedMembersErased: 0, strikeCampaignsErased: 0, strikeRecipientRowsErased: 0, electoralRollsErased: 0,
  rollEntriesDeleted: 0, rollExportsDeleted: 0, sendLogRowsReduced: 0, auditRowsDeleted: 0,
};

beforeAll(async () => {
  t = await createTestHub({ clock });
  api = await startApi(t.hub);
  org = await createOrg(t.hub.db);
  admin = await staffWithToken(t.hub, 'admin');
  comms = await staffWithToken(t.hub, 'communications');
  auditor = await staffWithToken(t.hub, 'auditor');
});

afterAll(async () => {
  await api.close();
  await t.close();
});

describe('retention sweep', () => {
  test('a member resigned 2 years 364 days ago stays, 3 years and 1 day ago goes; outstanding dues hold', async () => {
    const db = t.hub.db;
    const stays = await insertMember(db, { status: 'resigned', resignedAt: osloDate(today().minus({ years: 2, days: 364 })) });
    const goes = await insertMember(db, { status: 'resigned', resignedAt: osloDate(today().minus({ years: 3, days: 1 })), agreementIds: [org.agreementId] });
    const held = await insertMember(db, { status: 'resigned', resignedAt: osloDate(today().minus({ years: 3, days: 1 })) });
    await db.query('UPDATE members SET dues_outstanding = true WHERE id = $1', [held.id]);
    const active = await insertMember(db, { joinedAt: '2001-01-01' });

    const report = await sweep();
    expect(report.resignedMembersErased).toBe(1);
    expect(report.resignedMembersHeld).toBe(1);
    const left = (await db.many('SELECT id FROM members WHERE id = ANY($1)', [[stays.id, goes.id, held.id, active.id]])).map((r) => r.id);
    expect(left.sort()).toEqual([stays.id, held.id, active.id].sort());

    // The sweep reports itself: an audit row with the counts, and a second run removes nothing.
    const row = await db.one(`SELECT actor, row_count, detail FROM audit_log WHERE action = 'retention.sweep' ORDER BY id DESC LIMIT 1`);
    expect(row!.actor).toBe('system:retention');
    expect(row!.detail.resignedMembersErased).toBe(1);
    const again = await sweep();
    expect(again).toMatchObject(zeroRemoved);

    // Negotia: five years, configured.
    const negotia = await createTestHub({ clock, env: { RETENTION_RESIGNED_MEMBER_YEARS: '5' } });
    try {
      const four = await insertMember(negotia.hub.db, { status: 'resigned', resignedAt: osloDate(today().minus({ years: 4 })) });
      const six = await insertMember(negotia.hub.db, { status: 'resigned', resignedAt: osloDate(today().minus({ years: 6 })) });
      const r = await runRetentionSweep(negotia.hub);
      expect(r.resignedMembersErased).toBe(1);
      expect((await negotia.hub.db.many('SELECT id FROM members WHERE id = ANY($1)', [[four.id, six.id]])).map((x) => x.id)).toEqual([four.id]);
    } finally {
      await negotia.close();
    }
  });

  test('a strike campaign\'s recipient list is erased when the strike is marked ended; its counts stay', async () => {
    const db = t.hub.db;
    const a = await insertMember(db);
    const b = await insertMember(db);
    const strike = await campaign(db, { category: 'strike', state: 'completed', name: 'Streik: plassfratredelse' });
    await logRow(db, { campaignId: strike, memberId: a.id, state: 'delivered', address: 'x@example.no' });
    await logRow(db, { campaignId: strike, memberId: b.id, state: 'bounced' });
    await logRow(db, { campaignId: strike, memberId: b.id, channel: 'sms', state: 'sent' });
    const before = await campaignCounts(db, strike);

    // Still sending: marked ended, erased later by the sweep.
    const running = await campaign(db, { category: 'strike', state: 'running' });
    await logRow(db, { campaignId: running, memberId: a.id, state: 'queued' });
    const newsletter = await campaign(db, { category: 'newsletter' });

    const res = await fetch(`${api.url}/api/campaigns/${strike}/strike-ended`, { method: 'POST', headers: comms.auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ campaignId: strike, recipientsErased: true, sendLogRows: 3 });
    expect((await db.one('SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1', [strike]))!.n).toBe(0);
    expect(await campaignCounts(db, strike)).toEqual(before);

    const pending = await (await fetch(`${api.url}/api/campaigns/${running}/strike-ended`, { method: 'POST', headers: admin.auth })).json();
    expect(pending).toMatchObject({ recipientsErased: false });
    expect(pending.pending).toMatch(/running/);
    const bad = await fetch(`${api.url}/api/campaigns/${newsletter}/strike-ended`, { method: 'POST', headers: admin.auth });
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors[0].field).toBe('params.id');
    expect((await fetch(`${api.url}/api/campaigns/${strike}/strike-ended`, { method: 'POST', headers: auditor.auth })).status).toBe(403);

    expect((await sweep()).strikeCampaignsErased).toBe(0);
    await db.query(`UPDATE campaigns SET state = 'cancelled' WHERE id = $1`, [running]);
    const r = await sweep();
    expect(r.strikeCampaignsErased).toBe(1);
    expect(r.strikeRecipientRowsErased).toBe(1);
    expect((await sweep()).strikeCampaignsErased).toBe(0);
  });

  test('electoral rolls are erased once the ballot closed more than the configured days ago', async () => {
    const db = t.hub.db;
    const m = await insertMember(db);
    const days = t.config.retention.electoralRollDaysAfterClose;
    const ballot = async (closedDaysAgo: number) => {
      const closes = today().minus({ days: closedDaysAgo }).toJSDate();
      const opens = today().minus({ days: closedDaysAgo + 14 }).toJSDate();
      const id = (await db.one(`INSERT INTO ballots (title, state, opens_at, closes_at, voting_url, roll_cutoff_at, roll_frozen_at, roll_size)
        VALUES ('Uravstemning', 'closed', $1, $2, 'https://valg.example/', $1, $1, 1) RETURNING id`, [opens, closes]))!.id;
      await db.query('INSERT INTO ballot_roll_entries (ballot_id, member_id) VALUES ($1, $2)', [id, m.id]);
      await db.query(`INSERT INTO ballot_roll_exports (ballot_id, fields, row_count, key_fingerprint) VALUES ($1, '{member_number}', 1, 'abc')`, [id]);
      return id;
    };
    const old = await ballot(days + 1);
    const recent = await ballot(days - 1);
    const r = await sweep();
    expect(r).toMatchObject({ electoralRollsErased: 1, rollEntriesDeleted: 1, rollExportsDeleted: 1 });
    const left = await db.many('SELECT ballot_id FROM ballot_roll_entries WHERE member_id = $1', [m.id]);
    expect(left.map((x) => x.ballot_id)).toEqual([recent]);
    expect((await db.one('SELECT roll_erased_at, roll_size FROM ballots WHERE id = $1', [old]))).toMatchObject({ roll_size: 1 });
    expect((await db.one('SELECT roll_erased_at FROM ballots WHERE id = $1', [old]))!.roll_erased_at).not.toBeNull();
    expect((await sweep()).electoralRollsErased).toBe(0);
  });

  test('send-log rows older than the configured age become anonymous counts; campaign counts stay true', async () => {
    const db = t.hub.db;
    const months = t.config.retention.sendLogMonths;
    const m1 = await insertMember(db);
    const m2 = await insertMember(db);
    const c = await campaign(db, { name: 'Gammelt nyhetsbrev' });
    const old = today().minus({ months, days: 1 }).toJSDate();
    const young = today().minus({ months, days: -1 }).toJSDate();
    await logRow(db, { campaignId: c, memberId: m1.id, createdAt: old, state: 'delivered' });
    await logRow(db, { campaignId: c, memberId: m2.id, createdAt: old, state: 'bounced' });
    await logRow(db, { campaignId: c, memberId: m1.id, channel: 'sms', createdAt: young, state: 'delivered' });
    const running = await campaign(db, { state: 'running' });
    await logRow(db, { campaignId: running, memberId: m1.id, createdAt: old, state: 'queued' });
    const before = await campaignCounts(db, c);

    const r = await sweep();
    expect(r.sendLogRowsReduced).toBe(2);
    expect(await campaignCounts(db, c)).toEqual(before);
    expect((await db.many('SELECT channel FROM send_log WHERE campaign_id = $1', [c])).map((x) => x.channel)).toEqual(['sms']);
    expect((await db.one('SELECT count(*)::int AS n FROM send_log WHERE campaign_id = $1', [running]))!.n).toBe(1);
    expect((await sweep()).sendLogRowsReduced).toBe(0);
  });

  test('audit rows older than the configured period are deleted, younger ones kept', async () => {
    const db = t.hub.db;
    const months = t.config.retention.auditMonths;
    const old = (await db.one(`INSERT INTO audit_log (at, actor, action) VALUES ($1, 'system', 'member.list') RETURNING id`,
      [today().minus({ months, days: 1 }).toJSDate()]))!.id;
    const young = (await db.one(`INSERT INTO audit_log (at, actor, action) VALUES ($1, 'system', 'member.list') RETURNING id`,
      [today().minus({ months, days: -1 }).toJSDate()]))!.id;
    const r = await sweep();
    expect(r.auditRowsDeleted).toBe(1);
    expect((await db.many('SELECT id FROM audit_log WHERE id = ANY($1)', [[old, young]])).map((x) => x.id)).toEqual([young]);
  });

  test('the sweep is idempotent: run twice, the second removes nothing', async () => {
    const db = t.hub.db;
    await insertMember(db, { status: 'resigned', resignedAt: osloDate(today().minus({ years: 10 })) });
    const first = await sweep();
    expect(first.resignedMembersErased).toBe(1);
    expect(await sweep()).toMatchObject(zeroRemoved);
    // The same sweep on demand through the API (admin only).
    expect((await fetch(`${api.url}/api/privacy/retention-sweep`, { method: 'POST', headers: comms.auth })).status).toBe(403);
    const viaApi = await fetch(`${api.url}/api/privacy/retention-sweep`, { method: 'POST', headers: admin.auth });
    expect(viaApi.status).toBe(200);
    expect(await viaApi.json()).toMatchObject(zeroRemoved);
  });

  test('a backlog larger than one batch is cleared in batches, counts intact', async () => {
    const db = t.hub.db;
    const c = await campaign(db, { name: 'Stort gammelt utsendelse' });
    const old = today().minus({ months: t.config.retention.sendLogMonths + 1 }).toJSDate();
    await db.query(`INSERT INTO send_log (campaign_id, member_id, channel, state, created_at)
      SELECT $1, NULL, CASE WHEN g % 3 = 0 THEN 'sms' ELSE 'email' END, CASE WHEN g % 7 = 0 THEN 'bounced' ELSE 'delivered' END, $2
        FROM generate_series(1, 2500) g`, [c, old]);
    await db.query(`INSERT INTO audit_log (at, actor, action) SELECT $1, 'system', 'member.list' FROM generate_series(1, 2100)`,
      [today().minus({ months: t.config.retention.auditMonths + 1 }).toJSDate()]);
    const resigned = osloDate(today().minus({ years: 5 }));
    await db.query(`INSERT INTO members (member_number, first_name, last_name, status, resigned_at)
      SELECT 'BULK' || g, 'Bulk', 'Medlem', 'resigned', $1::date FROM generate_series(1, 450) g`, [resigned]);
    const before = await campaignCounts(db, c);
    const r = await sweep();
    expect(r).toMatchObject({ sendLogRowsReduced: 2500, auditRowsDeleted: 2100, resignedMembersErased: 450 });
    expect(await campaignCounts(db, c)).toEqual(before);
    expect((await db.one(`SELECT count(*)::int AS n FROM members WHERE member_number LIKE 'BULK%'`))!.n).toBe(0);
    expect(await sweep()).toMatchObject(zeroRemoved);
  });

  test('the daily job scheduler has a deterministic id and the worker runs the sweep', async () => {
    const s = await startRetentionScheduler(t.hub);
    try {
      const schedulers = await s.queue.getJobSchedulers();
      expect(schedulers.map((x) => x.key)).toEqual([RETENTION_SCHEDULER_ID]);
      expect(schedulers[0]).toMatchObject({ pattern: '30 3 * * *', tz: 'Europe/Oslo' });
      // Upserting again (a second process starting) keeps one scheduler.
      await startRetentionScheduler(t.hub).then((x) => x.close());
      expect((await s.queue.getJobSchedulers()).length).toBe(1);
      const m = await insertMember(t.hub.db, { status: 'resigned', resignedAt: osloDate(today().minus({ years: 4 })) });
      const done = new Promise<any>((resolve) => s.worker.on('completed', (_job, result) => resolve(result)));
      await s.runNow('retention-test-now');
      const result = await done;
      expect(result.resignedMembersErased).toBe(1);
      expect(await t.hub.db.one('SELECT 1 FROM members WHERE id = $1', [m.id])).toBeUndefined();
    } finally {
      await s.close();
    }
  });
});

/** A member with a record of every kind the hub holds. */
async function richMember(db: Db, tag: string) {
  const first = `Ingeborg${tag}`;
  const last = `Zyxwvutsen${tag}`;
  const email = `ingeborg.${tag.toLowerCase()}@medlem.example`;
  const phone = `+4791${String(100000 + Math.floor(Math.random() * 899999))}`;
  const m = await insertMember(db, { firstName: first, lastName: last, email, phone, branchId: org.branchId, workplaceId: org.workplaceId, agreementIds: [org.agreementId] });
  await db.query(`INSERT INTO member_roles (member_id, role, club_id) VALUES ($1, 'shop_steward', $2)`, [m.id, org.clubId]);
  await recordConsentChange(db, { memberId: m.id, category: 'newsletter', channel: 'email', granted: false, source: 'staff', actor: 'staff:1', reason: `${first} ringte`, at: clock.now() });
  await recordConsentChange(db, { memberId: m.id, category: 'benefits', channel: 'sms', granted: true, source: 'preference_page', actor: 'member', at: clock.now() });
  await db.query(`INSERT INTO member_channel_preferences (member_id, channel) VALUES ($1, 'sms')`, [m.id]);
  await suppress(db, { channel: 'email', address: email, reason: 'hard_bounce', sourceEvent: 'sg-1' });
  await suppress(db, { channel: 'sms', address: phone, reason: 'carrier_opt_out', sourceEvent: 'tw-1' });
  const done = await campaign(db, { name: `Nyhetsbrev ${tag}` });
  await logRow(db, { campaignId: done, memberId: m.id, state: 'bounced', address: email, reason: `550 5.1.1 <${email}>: user unknown` });
  await logRow(db, { campaignId: done, memberId: m.id, channel: 'sms', state: 'delivered', address: phone });
  const ballot = (await db.one(`INSERT INTO ballots (title, state, opens_at, closes_at, voting_url) VALUES ($1, 'open', now(), now() + interval '7 days', 'https://valg.example/') RETURNING id`, [`Uravstemning ${tag}`]))!.id;
  await db.query('INSERT INTO ballot_roll_entries (ballot_id, member_id) VALUES ($1, $2)', [ballot, m.id]);
  return { ...m, first, last, email, phone, campaignId: done, ballotId: ballot };
}

describe('access export (innsyn)', () => {
  test('contains every kind of record about the member and nothing about another', async () => {
    const db = t.hub.db;
    const me = await richMember(db, 'Exp');
    const other = await richMember(db, 'Oth');
    // The other member shares my campaign; a view of each is audited.
    await logRow(db, { campaignId: me.campaignId, memberId: other.id, state: 'delivered', address: other.email });
    await fetch(`${api.url}/api/members/${me.memberNumber}`, { headers: comms.auth });
    await fetch(`${api.url}/api/members/${other.memberNumber}`, { headers: comms.auth });

    const res = await fetch(`${api.url}/api/members/${me.memberNumber}/export`, { headers: admin.auth });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as MemberExport;
    expect(doc.member).toMatchObject({ memberNumber: me.memberNumber, firstName: me.first, lastName: me.last, email: me.email, phone: me.phone });
    expect(doc.agreements.map((a) => a.code)).toHaveLength(1);
    expect(doc.roles).toEqual([expect.objectContaining({ role: 'shop_steward' })]);
    expect(doc.consents.history).toHaveLength(2);
    expect(doc.consents.preferredChannel).toBe('sms');
    expect(doc.consents.current.find((c: any) => c.category === 'newsletter' && c.channel === 'email')).toMatchObject({ granted: false, isDefault: false });
    expect(doc.suppressions.map((s) => s.channel).sort()).toEqual(['email', 'sms']);
    expect(doc.messages).toHaveLength(2);
    expect(doc.messages.find((s) => s.channel === 'email')).toMatchObject({ state: 'bounced', campaignId: me.campaignId, address: me.email });
    expect(doc.ballotRolls).toEqual([expect.objectContaining({ ballotId: me.ballotId })]);
    expect(doc.accessLog.map((a) => a.action)).toEqual(expect.arrayContaining(['member.view', 'member.export']));
    expect(doc.accessLog.find((a) => a.action === 'member.view')).toMatchObject({ actorRole: 'communications' });

    const text = JSON.stringify(doc).toLowerCase();
    for (const s of [other.memberNumber, other.first, other.last, other.email, other.phone, `uravstemning oth`]) expect(text).not.toContain(s.toLowerCase());

    const audited = await db.one(`SELECT actor_user_id, row_count FROM audit_log WHERE action = 'member.export' AND member_id = $1`, [me.id]);
    expect(audited).toMatchObject({ actor_user_id: admin.staff.id, row_count: 1 });
  });

  test('the human-readable version is Norwegian HTML', async () => {
    const me = await richMember(t.hub.db, 'Html');
    const res = await fetch(`${api.url}/api/members/${me.memberNumber}/export.html`, { headers: comms.auth });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<html lang="nb">');
    for (const h of ['Innsyn', 'Medlemsopplysninger', 'Meldinger vi har sendt deg', 'Hvem har sett opplysningene dine', 'Sperrede adresser', 'Uravstemninger']) expect(html).toContain(h);
    expect(html).toContain(me.last);
    // States and reasons by their names in the vocabulary, never codes.
    expect(html).toContain('<td>Avvist (');
    expect(html).not.toMatch(/>(bounced|hard_bounce)\b/);
  });

  test('representatives and auditors cannot export; a member number that does not exist is 404', async () => {
    const m = await insertMember(t.hub.db, { clubId: org.clubId });
    const holder = await insertMember(t.hub.db);
    await t.hub.db.query(`INSERT INTO member_roles (member_id, role, club_id) VALUES ($1, 'shop_steward', $2)`, [holder.id, org.clubId]);
    const rep = await staffWithToken(t.hub, 'representative', { memberId: holder.id });
    expect((await fetch(`${api.url}/api/members/${m.memberNumber}/export`, { headers: rep.auth })).status).toBe(403);
    expect((await fetch(`${api.url}/api/members/${m.memberNumber}/export`, { headers: auditor.auth })).status).toBe(403);
    expect((await fetch(`${api.url}/api/members/NOPE404/export`, { headers: admin.auth })).status).toBe(404);
  });
});

describe('erasure', () => {
  test('removes the person from every table, keeps campaign counts, and a re-import is a new member', async () => {
    const db = t.hub.db;
    const me = await richMember(db, 'Era');
    const other = await richMember(db, 'Stay');
    await logRow(db, { campaignId: me.campaignId, memberId: other.id, state: 'delivered', address: other.email });
    // A campaign still running has a queued row for the member.
    const running = await campaign(db, { state: 'running', name: 'Pågående' });
    const queued = await logRow(db, { campaignId: running, memberId: me.id, state: 'queued', address: me.email });
    // A representative's account for the member, a search for their name, views of their data.
    const rep = await staffWithToken(t.hub, 'representative', { memberId: me.id, email: `rep-${me.email}` });
    await fetch(`${api.url}/api/members?q=${encodeURIComponent(me.last)}`, { headers: comms.auth });
    await fetch(`${api.url}/api/members/${me.memberNumber}/export`, { headers: admin.auth });
    const countsBefore = await campaignCounts(db, me.campaignId);
    const ledgerBefore = (await db.one('SELECT count(*)::int AS n FROM consent_events'))!.n;

    const noReason = await fetch(`${api.url}/api/members/${me.memberNumber}/erase`, { method: 'POST', headers: { ...admin.auth, 'content-type': 'application/json' }, body: '{}' });
    expect(noReason.status).toBe(400);
    expect((await noReason.json()).errors[0].field).toBe('body.reason');
    const notAdmin = await fetch(`${api.url}/api/members/${me.memberNumber}/erase`, { method: 'POST', headers: { ...comms.auth, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'request' }) });
    expect(notAdmin.status).toBe(403);

    const res = await fetch(`${api.url}/api/members/${me.memberNumber}/erase`, {
      method: 'POST', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'Sletting etter krav fra medlemmet' }),
    });
    expect(res.status).toBe(200);
    const out = await res.json();
    expect(out).toMatchObject({ members: 1, sendLogCancelled: 1, consentEventsAnonymised: 2, suppressionsDeleted: 2, staffAccountsDisabled: 1 });
    expect(out.related).toMatchObject({ member_roles: 1, member_agreements: 1, ballot_roll_entries: 1, member_channel_preferences: 1 });

    // No trace of the person in any text or jsonb column of any table.
    expect(await findTraces(db, [me.email, me.phone, me.last, `${me.first} ${me.last}`, me.first])).toEqual([]);
    // …while the other member is still found (the search works).
    expect((await findTraces(db, [other.email])).length).toBeGreaterThan(0);
    // Counts stay true; the ledger keeps its rows.
    expect(await campaignCounts(db, me.campaignId)).toEqual(countsBefore);
    expect((await db.one('SELECT count(*)::int AS n FROM consent_events'))!.n).toBe(ledgerBefore);
    // The running campaign will not send to them.
    expect(await db.one('SELECT member_id, address, state, reason FROM send_log WHERE id = $1', [queued])).toEqual({ member_id: null, address: null, state: 'cancelled', reason: 'member_erased' });
    // Their representative account is disabled and its token no longer works.
    expect((await fetch(`${api.url}/api/members`, { headers: rep.auth })).status).toBe(401);
    // The erasure is audited by member number, with no name or address.
    const a = await db.one(`SELECT actor_user_id, member_id, detail FROM audit_log WHERE action = 'member.erase' ORDER BY id DESC LIMIT 1`);
    expect(a).toMatchObject({ actor_user_id: admin.staff.id, member_id: null, detail: expect.objectContaining({ memberNumber: me.memberNumber }) });
    expect((await db.one('SELECT count(*)::int AS n FROM audit_log WHERE member_id = $1', [me.id]))!.n).toBe(0);
    expect(await db.one('SELECT 1 FROM members WHERE member_number = $1', [me.memberNumber])).toBeUndefined();

    // Importing the member again creates a new record.
    const again = await fetch(`${api.url}/api/members/${me.memberNumber}`, {
      method: 'PUT', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ first_name: 'Ny', last_name: 'Person' }),
    });
    expect(again.status).toBe(201);
    const newId = (await db.one('SELECT id FROM members WHERE member_number = $1', [me.memberNumber]))!.id;
    expect(newId).not.toBe(me.id);
    const exp = (await (await fetch(`${api.url}/api/members/${me.memberNumber}/export`, { headers: admin.auth })).json()) as MemberExport;
    expect(exp.messages).toEqual([]);
    expect(exp.consents.history).toEqual([]);
    expect(exp.accessLog.map((x) => x.action)).toEqual(['member.export']);
    // The audit trail still answers "when was member N erased, and by whom".
    const trail = await (await fetch(`${api.url}/api/audit?memberNumber=${me.memberNumber}&action=member.erase`, { headers: auditor.auth })).json();
    expect(trail.entries).toEqual([expect.objectContaining({ action: 'member.erase', actorUserId: admin.staff.id, memberId: null })]);
  });

  test('a suppression of an address another member still uses is kept', async () => {
    const db = t.hub.db;
    const shared = 'familie@delt.example';
    const a = await insertMember(db, { email: shared });
    await insertMember(db, { email: shared });
    await suppress(db, { channel: 'email', address: shared, reason: 'hard_bounce' });
    const res = await fetch(`${api.url}/api/members/${a.memberNumber}/erase`, {
      method: 'POST', headers: { ...admin.auth, 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'test' }),
    });
    expect(await res.json()).toMatchObject({ suppressionsDeleted: 0, suppressionsKept: 1 });
    expect(await db.one(`SELECT 1 FROM suppressions WHERE address = $1`, [shared])).toBeDefined();
  });
});

describe('audit trail', () => {
  test('auditors and admins read it, filtered and paginated; others cannot; reading is audited', async () => {
    const m = await insertMember(t.hub.db);
    for (let i = 0; i < 3; i++) await fetch(`${api.url}/api/members/${m.memberNumber}`, { headers: comms.auth });
    const q = (s: string, who = auditor) => fetch(`${api.url}/api/audit?${s}`, { headers: who.auth });
    expect((await q('', comms)).status).toBe(403);
    const page1 = await (await q(`memberNumber=${m.memberNumber}&action=member.view&limit=2`)).json();
    expect(page1.entries).toHaveLength(2);
    expect(page1.entries[0]).toMatchObject({ action: 'member.view', memberNumber: m.memberNumber, actorUserId: comms.staff.id, actorRole: 'communications' });
    expect(page1.nextBefore).toBe(page1.entries[1].id);
    const page2 = await (await q(`memberNumber=${m.memberNumber}&action=member.view&limit=2&before=${page1.nextBefore}`)).json();
    expect(page2.entries).toHaveLength(1);
    expect(page2.nextBefore).toBeNull();
    const byActor = await (await q(`actor=staff:${comms.staff.id}&from=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`, admin)).json();
    expect(byActor.entries.length).toBeGreaterThanOrEqual(3);
    expect(byActor.entries.every((e: any) => e.actorUserId === comms.staff.id)).toBe(true);
    const future = await (await q(`from=2999-01-01T00:00:00Z`)).json();
    expect(future.entries).toEqual([]);
    const bad = await q('limit=0');
    expect(bad.status).toBe(400);
    expect((await bad.json()).errors[0].field).toBe('query.limit');
    const viewed = await t.hub.db.many(`SELECT actor_user_id, row_count FROM audit_log WHERE action = 'audit.view' AND member_id = $1 ORDER BY id`, [m.id]);
    expect(viewed).toEqual([{ actor_user_id: auditor.staff.id, row_count: 2 }, { actor_user_id: auditor.staff.id, row_count: 1 }]);
    // Read-only: there is no way to change it through the API.
    expect((await fetch(`${api.url}/api/audit/1`, { method: 'DELETE', headers: admin.auth })).status).toBe(404);
  });

  test('audit_log and consent_events are append-only in the database', async () => {
    const db = t.hub.db;
    const id = (await db.one(`INSERT INTO audit_log (actor, action) VALUES ('system', 'member.list') RETURNING id`))!.id;
    await expect(db.query(`UPDATE audit_log SET actor = 'someone else' WHERE id = $1`, [id])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM audit_log WHERE id = $1', [id])).rejects.toThrow(/append-only/);
    const m = await insertMember(db);
    await recordConsentChange(db, { memberId: m.id, category: 'survey', channel: 'email', granted: false, source: 'staff', actor: 'staff:1' });
    await expect(db.query('UPDATE consent_events SET granted = true WHERE member_id = $1', [m.id])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM consent_events WHERE member_id = $1', [m.id])).rejects.toThrow(/append-only/);
    // The two keys open exactly one door each, and only for their own transaction.
    await expect(db.tx(async (c) => {
      await c.query(`SET LOCAL budstikke.erasure = 'on'`);
      await c.query('DELETE FROM audit_log WHERE id = $1', [id]);
    })).rejects.toThrow(/append-only/);
    await db.tx(async (c) => {
      await c.query(`SET LOCAL budstikke.retention = 'on'`);
      await c.query('DELETE FROM audit_log WHERE id = $1', [id]);
      throw Object.assign(new Error('rollback'), { rollback: true });
    }).catch((e) => { if (!e.rollback) throw e; });
    expect(await db.one('SELECT 1 FROM audit_log WHERE id = $1', [id])).toBeDefined();
    await expect(db.query('DELETE FROM audit_log WHERE id = $1', [id])).rejects.toThrow(/append-only/);
  });
});

describe('tracking', () => {
  test('per-member open and click tracking is off unless configured', async () => {
    expect(trackingSettings(t.config)).toMatchObject({ open_tracking: { enable: false }, click_tracking: { enable: false } });
    expect(trackingSettings({ trackOpensAndClicks: true })).toMatchObject({ open_tracking: { enable: true }, click_tracking: { enable: true } });
  });
});
