import type { Hub } from '../hub';
import { staffFromRow } from '../auth';
import { createStrike, moveStrike, createPhase, createCommittee, addCommitteeMember, addGuard, addShift, assignGuard } from '../strikes';
import { setPassword } from '../web/session';

const DAY = 86_400_000;

/**
 * The demo union's strike, so a newcomer sees one on first start: under the first agreement,
 * notified and given notice after mediation failed, on strike since yesterday with a first
 * phase (two workplaces) and an escalation tomorrow (three more), and a strike committee in Oslo
 * with a committee member (signs in like the other demo users), two guards and a shift.
 */
export async function seedDemoStrike(hub: Hub, password: string): Promise<{ email: string } | null> {
  const admin = staffFromRow((await hub.db.one(`SELECT * FROM staff_users WHERE role = 'admin' ORDER BY id LIMIT 1`))!);
  const agreement = await hub.db.one('SELECT id, name FROM agreements ORDER BY id LIMIT 1');
  if (!agreement) return null;
  // Workplaces with the most members covered by the agreement.
  const workplaces = (await hub.db.many(
    `SELECT m.workplace_id AS id FROM members m JOIN member_agreements ma ON ma.member_id = m.id AND ma.agreement_id = $1
      WHERE m.status = 'active' AND m.workplace_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5`, [agreement.id])).map((r) => Number(r.id));
  if (workplaces.length < 2) return null;
  const now = hub.clock.now().getTime();
  const strike = await createStrike(hub, admin, {
    name: `Streik – ${agreement.name}`, agreementId: Number(agreement.id),
    notifiedAt: new Date(now - 10 * DAY), mediationDeadline: new Date(now - 2 * DAY),
  });
  await moveStrike(hub, admin, strike.id, 'notice_given', new Date(now - 4 * DAY));
  await createPhase(hub, admin, strike.id, { name: 'Første uttak', startsAt: new Date(now - DAY), selection: { workplace: workplaces.slice(0, 2) } });
  await moveStrike(hub, admin, strike.id, 'on_strike', new Date(now - DAY));
  await createPhase(hub, admin, strike.id, { name: 'Opptrapping', startsAt: new Date(now + DAY), selection: { workplace: workplaces.slice(2) } });

  const email = 'streikekomite@budstikke.example';
  const committee = await createCommittee(hub, admin, strike.id, { name: 'Streikekomiteen i Oslo', location: 'Oslo' });
  const withMember = await addCommitteeMember(hub, admin, committee.id, { name: 'Siv Streikekomité', email });
  const member = staffFromRow((await hub.db.one('SELECT * FROM staff_users WHERE id = $1', [withMember.members[0].id]))!);
  await hub.db.tx((c) => setPassword(c, member.id, password));
  const g1 = await addGuard(hub, member, committee.id, { name: 'Vidar Vakt', phone: '+4740000001', shareConsent: true });
  await addGuard(hub, member, committee.id, { name: 'Vera Vakt', phone: '+4740000002' });
  const shift = await addShift(hub, member, committee.id, { place: 'Hovedinngangen', startsAt: new Date(now + 2 * 3_600_000), endsAt: new Date(now + 6 * 3_600_000) });
  await assignGuard(hub, member, committee.id, shift.id, g1.id);
  return { email };
}
