import { DateTime } from 'luxon';
import { advanceBallot } from '../src/ballots/advance';
import { loadCampaign } from '../src/campaigns';
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
