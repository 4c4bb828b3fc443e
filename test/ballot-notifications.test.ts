import { DateTime } from 'luxon';
import { advanceBallot } from '../src/ballots/advance';
import { loadCampaign } from '../src/campaigns';
import { planRecipients } from '../src/ballots';
import { campaignRig, until, type CampaignRig } from './helpers/campaign';
import { staffWithToken } from './helpers/hub';
import { insertMember } from './helpers/fixtures';


/**
 * A ballot's announcement through the real campaigns part: the frozen roll is the audience, the
 * ballot category cannot be declined, and a member without an email address falls through to SMS
 * and then to a letter; each gets their own voting link, and it shows in their history.
 */
describe('ballot notifications are campaigns', () => {
  let rig: CampaignRig;
  beforeAll(async () => { rig = await campaignRig(); });
  afterAll(async () => { await rig.close(); });

  test('the announcement reaches every eligible member on the first channel that reaches them, with a personal voting link', async () => {
    const { auth } = await staffWithToken(rig.hub, 'communications');
    const ag = (await rig.hub.db.one(`INSERT INTO agreements (code, name) VALUES ('UR1', 'Uravstemningsavtalen') RETURNING id`))!.id as number;
    const email = await insertMember(rig.hub.db, { firstName: 'Eva', agreementIds: [ag], phone: '+4790000401' });
    const sms = await insertMember(rig.hub.db, { firstName: 'Sverre', email: null, phone: '+4790000402', agreementIds: [ag] });
    const letter = await insertMember(rig.hub.db, { firstName: 'Lise', email: null, phone: null, street: 'Postveien 2', postcode: '5003', agreementIds: [ag] });
    // Declining the campaign category does not touch a ballot: it cannot be declined.
    await rig.hub.db.query(`SELECT consent_record($1, NULL, NULL, false, 'preference_page', NULL, 'member', NULL, NULL, now())`, [email.id]);
    const outside = await insertMember(rig.hub.db, { firstName: 'Ole' });
    await rig.hub.db.query(`UPDATE member_agreements SET covered_from = '2020-01-01'`);

    const oslo = (d: Date) => DateTime.fromJSDate(d, { zone: 'Europe/Oslo' }).toFormat("yyyy-LL-dd'T'HH:mm");
    const now = rig.clock.now();
    const res = await fetch(`${rig.url}/api/ballots`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Uravstemning om tariffavtalen', agreements: ['UR1'], opensAt: oslo(new Date(now.getTime() + 120_000)),
        closesAt: oslo(new Date(now.getTime() + 10 * 86400_000)), votingUrlTemplate: 'https://valg.example/stem/{memberNumber}',
      }),
    });
    expect(res.status).toBe(201);
    const ballot = await res.json();

    rig.clock.advance(180_000);
    try {
      const r = await advanceBallot(rig.hub, ballot.id);
      expect(r.state).toBe('open');
      expect(r.launched.map((l) => l.kind)).toEqual(['opened']);
      const campaignId = r.launched[0].campaignId;
      await until(async () => (await loadCampaign(rig.hub.db, campaignId)).state === 'completed', 30_000, 'the announcement');
      const c = await loadCampaign(rig.hub.db, campaignId);
      expect(c).toMatchObject({ kind: 'ballot', category: 'ballot', channels: ['email', 'sms', 'letter'] });

      const log = await rig.hub.db.many(`SELECT m.member_number, s.channel, s.state FROM send_log s JOIN members m ON m.id = s.member_id WHERE s.campaign_id = $1`, [campaignId]);
      const by = Object.fromEntries(log.map((x) => [x.member_number, `${x.channel}:${x.state === 'delivered' ? 'sent' : x.state}`]));
      expect(by).toEqual({ [email.memberNumber]: 'email:sent', [sms.memberNumber]: 'sms:sent', [letter.memberNumber]: 'letter:sent' });
      expect(by[outside.memberNumber]).toBeUndefined();

      const mail = rig.em.sendgrid.ledger.recent({ to: `${email.memberNumber.toLowerCase()}@example.no` })[0];
      expect(mail.html).toContain(`https://valg.example/stem/${email.memberNumber}`);
      const text = rig.em.twilio.ledger.recent({ to: '+4790000402' })[0];
      expect(JSON.stringify(text)).toContain(`https://valg.example/stem/${sms.memberNumber}`);

      const history = await fetch(`${rig.url}/api/members/${sms.memberNumber}/communications`, { headers: auth }).then((x) => x.json());
      expect(history.communications[0]).toMatchObject({ campaignId, kind: 'ballot', channel: 'sms' });
    } finally {
      rig.clock.reset();
    }
  });
});

/**
 * The ballot plan is what launch does: `GET /api/ballots/:id/plan` and the launch snapshot both
 * choose the channel by the one rule (src/audience/channel.ts). Members with every mix of
 * preferred channel and missing address get, per member, the channel the plan names (and, for
 * those nobody reaches, the plan's reason as the skipped row's reason).
 */
describe('the ballot plan equals what launch writes', () => {
  let rig: CampaignRig;
  beforeAll(async () => { rig = await campaignRig(); });
  afterAll(async () => { await rig.close(); });

  test('per member: the plan\'s channel (or reason) is the channel (or skip reason) of the row launching the announcement writes', async () => {
    const { auth } = await staffWithToken(rig.hub, 'communications');
    const ag = (await rig.hub.db.one(`INSERT INTO agreements (code, name) VALUES ('UR2', 'Planavtalen') RETURNING id`))!.id as number;
    const db = rig.hub.db;
    const prefer = (id: number, ch: string) => db.query(`INSERT INTO member_channel_preferences (member_id, channel) VALUES ($1, $2)`, [id, ch]);
    const m = {
      smsPreferred: await insertMember(db, { agreementIds: [ag], phone: '+4790000501' }),
      smsPreferredNoPhone: await insertMember(db, { agreementIds: [ag] }),
      letterPreferred: await insertMember(db, { agreementIds: [ag], phone: '+4790000503' }),
      emailPreferredNoEmail: await insertMember(db, { agreementIds: [ag], email: null, phone: '+4790000504' }),
      postOnly: await insertMember(db, { agreementIds: [ag], email: null, phone: null }),
      suppressedEmail: await insertMember(db, { agreementIds: [ag], email: 'sperret-plan@example.no', phone: '+4790000506' }),
      nothing: await insertMember(db, { agreementIds: [ag], email: null, phone: null, street: null, postcode: null }),
      letterPreferredNoAddress: await insertMember(db, { agreementIds: [ag], street: null, postcode: null }),
      plain: await insertMember(db, { agreementIds: [ag] }),
    };
    await prefer(m.smsPreferred.id, 'sms');
    await prefer(m.smsPreferredNoPhone.id, 'sms');
    await prefer(m.letterPreferred.id, 'letter');
    await prefer(m.emailPreferredNoEmail.id, 'email');
    await prefer(m.letterPreferredNoAddress.id, 'letter');
    await db.query(`INSERT INTO suppressions (channel, address, reason) VALUES ('email', 'sperret-plan@example.no', 'hard_bounce')`);
    await db.query(`UPDATE member_agreements SET covered_from = '2020-01-01'`);

    const oslo = (d: Date) => DateTime.fromJSDate(d, { zone: 'Europe/Oslo' }).toFormat("yyyy-LL-dd'T'HH:mm");
    const now = rig.clock.now();
    const created = await fetch(`${rig.url}/api/ballots`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        title: 'Uravstemning om planen', agreements: ['UR2'], opensAt: oslo(new Date(now.getTime() + 120_000)),
        closesAt: oslo(new Date(now.getTime() + 10 * 86400_000)), votingUrlTemplate: 'https://valg.example/stem/{memberNumber}',
      }),
    });
    expect(created.status).toBe(201);
    const ballot = await created.json();
    expect((await fetch(`${rig.url}/api/ballots/${ballot.id}/roll`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).status).toBeLessThan(300);

    const planRes = await fetch(`${rig.url}/api/ballots/${ballot.id}/plan`, { headers: auth });
    expect(planRes.status).toBe(200);
    const opened = (await planRes.json()).notifications.find((n: { kind: string }) => n.kind === 'opened');
    expect(opened.channels).toEqual(['email', 'sms', 'letter']);
    const perMember = await planRecipients(rig.hub, ballot.id, opened.channels);
    const planned = Object.fromEntries(perMember.map((r) => [r.memberId, r.channel ?? `skipped:${r.reason}`]));
    // The mix covers every branch of the rule (so the comparison below is not between two empty lists).
    expect(planned).toEqual({
      [m.smsPreferred.id]: 'sms', [m.smsPreferredNoPhone.id]: 'email', [m.letterPreferred.id]: 'letter',
      [m.emailPreferredNoEmail.id]: 'sms', [m.postOnly.id]: 'letter', [m.suppressedEmail.id]: 'sms',
      [m.nothing.id]: 'skipped:no_address', [m.letterPreferredNoAddress.id]: 'email', [m.plain.id]: 'email',
    });

    rig.clock.advance(180_000);
    try {
      const r = await advanceBallot(rig.hub, ballot.id);
      expect(r.launched.map((l) => l.kind)).toEqual(['opened']);
      const campaignId = r.launched[0].campaignId;
      await until(async () => (await db.one(`SELECT snapshot_at FROM campaigns WHERE id = $1`, [campaignId]))!.snapshot_at !== null, 30_000, 'the snapshot');
      // The snapshot's rows (not the fallback rows a later bounce may add).
      const rows = await db.many(`SELECT member_id, channel, state, reason FROM send_log WHERE campaign_id = $1 AND fallback_from IS NULL`, [campaignId]);
      const launched = Object.fromEntries(rows.map((x) => [x.member_id, x.state === 'skipped' ? `skipped:${x.reason}` : x.channel]));
      expect(launched).toEqual(planned);
      // And the plan's counts are the launch's counts.
      const byChannel = { email: 0, sms: 0, letter: 0 } as Record<string, number>;
      const unreachable: Record<string, number> = {};
      for (const x of rows) {
        if (x.state === 'skipped') unreachable[x.reason] = (unreachable[x.reason] ?? 0) + 1;
        else byChannel[x.channel]++;
      }
      expect({ audience: opened.audience, byChannel: opened.byChannel, unreachable: opened.unreachable }).toEqual({ audience: rows.length, byChannel, unreachable });
      await until(async () => (await loadCampaign(db, campaignId)).state === 'completed', 30_000, 'the announcement');
    } finally {
      rig.clock.reset();
    }
  });
});
