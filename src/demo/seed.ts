import type { Hub } from '../hub';
import type { Role } from '../auth';
import { createApiToken, createStaffUser, enrolWithSecret, staffFromRow } from '../auth';
import { importMembers } from '../members';
import { demoOrganisation, generateMembers, insertOrganisation, streetPostcodes } from './generator';
import { setPassword } from '../web/session';
import { seedDemoStrike } from './strike';

export { demoOrganisation, generateMembers, insertOrganisation, memberCsv, memberCsvLine, streetPostcodes, prng, CSV_HEADER } from './generator';
export type { DemoMember, DemoOrganisation, Postcode } from './generator';

export interface DemoSeedResult {
  seeded: boolean;
  adminEmail?: string;
  adminToken?: string;
  /** The demo staff users (only the admin gets a token here; others: `npm run create-token`). */
  staff?: { email: string; role: Role; memberNumber?: string }[];
  members?: number;
}

export const DEMO_MEMBERS = 5_000;
export const DEMO_SEED = 2026;
/** The demo staff users' password (printed by npm start on first run). */
export const DEMO_PASSWORD = 'budstikke-demo-passord';
/**
 * The demo's TOTP secret, published in the README: demo staff whose role needs two-factor sign-in
 * (STAFF_2FA_REQUIRED) are enrolled with it, so a newcomer can sign in at once — add it to an
 * authenticator app, or run `npm run demo-code`. Demo only: the demo seed never runs in
 * production (src/config.ts refuses DEMO_SEED there), and real users enrol with a secret of
 * their own. We chose this over leaving the demo admin unenrolled so that the demo shows the
 * sign-in staff will really have, with nothing switched off.
 */
export const DEMO_TOTP_SECRET = 'BUDSTIKKEDEMOHEMMELIGIKKEBRUK234';

/**
 * On an empty database: a demo union of about 5,000 synthetic members with real postcodes,
 * 30 employers and 60 workplaces with valid organisation numbers, 4 branches, 8 clubs, two tariff
 * agreements with coverage, a few tillitsverv, and staff users (admin, communications, auditor
 * and two representatives linked to role-holding members). The members go in through the
 * import's own set-based path. Deterministic: the same union on every machine.
 */
export async function seedDemoUnion(hub: Hub, opts: { members?: number } = {}): Promise<DemoSeedResult> {
  const existing = await hub.db.one('SELECT count(*)::int AS n FROM staff_users');
  if (existing!.n > 0) return { seeded: false };

  const postcodes = await streetPostcodes(hub.db);
  const organisation = demoOrganisation(postcodes, DEMO_SEED);
  await hub.db.tx((c) => insertOrganisation(c, organisation));
  const count = opts.members ?? DEMO_MEMBERS;
  const report = await importMembers(hub,
    { kind: 'records', records: generateMembers({ count, seed: DEMO_SEED, postcodes, organisation }) },
    { staff: null, actor: 'demo-seed', via: 'seed' });
  if (report.rejected) throw new Error(`demo seed: ${report.rejected} generated members were rejected: ${JSON.stringify(report.errors.slice(0, 3))}`);

  const result = await hub.db.tx(async (c) => {
    // Tillitsverv: a board member per club, a shop steward at the first workplaces, a branch board member,
    // a safety rep; each held by an active member of that unit.
    const holders = (await c.query(
      `WITH units AS (
         SELECT 'club_board' AS role, NULL::bigint AS branch_id, cl.id AS club_id, NULL::bigint AS workplace_id, cl.code AS unit FROM clubs cl
         UNION ALL SELECT 'branch_board', b.id, NULL, NULL, b.code FROM branches b
         UNION ALL SELECT 'shop_steward', NULL, NULL, w.id, w.org_number FROM (SELECT * FROM workplaces ORDER BY org_number LIMIT 4) w
         UNION ALL SELECT 'safety_rep', NULL, NULL, w.id, w.org_number FROM (SELECT * FROM workplaces ORDER BY org_number OFFSET 4 LIMIT 2) w)
       SELECT u.*, (SELECT m.id FROM members m
                     WHERE m.status = 'active' AND m.category = 'employee'
                       AND (m.club_id = u.club_id OR m.branch_id = u.branch_id OR m.workplace_id = u.workplace_id)
                     ORDER BY m.member_number LIMIT 1) AS member_id
         FROM units u ORDER BY u.role, u.unit`)).rows.filter((h) => h.member_id);
    for (const h of holders) {
      await c.query('INSERT INTO member_roles (member_id, role, branch_id, club_id, workplace_id, starts_on) VALUES ($1, $2, $3, $4, $5, $6)',
        [h.member_id, h.role, h.branch_id, h.club_id, h.workplace_id, '2024-01-01']);
    }
    const clubRep = holders.find((h) => h.role === 'club_board');
    const stewardRep = holders.find((h) => h.role === 'shop_steward');
    const numberOf = async (id: number) => (await c.query('SELECT member_number FROM members WHERE id = $1', [id])).rows[0].member_number as string;

    const admin = await createStaffUser(c, { email: 'admin@budstikke.example', name: 'Demo Admin', role: 'admin' });
    const staff: NonNullable<DemoSeedResult['staff']> = [{ email: admin.email, role: 'admin' }];
    await createStaffUser(c, { email: 'kommunikasjon@budstikke.example', name: 'Kari Kommunikasjon', role: 'communications' });
    staff.push({ email: 'kommunikasjon@budstikke.example', role: 'communications' });
    await createStaffUser(c, { email: 'revisor@budstikke.example', name: 'Rolf Revisor', role: 'auditor' });
    staff.push({ email: 'revisor@budstikke.example', role: 'auditor' });
    for (const [h, email, name] of [[clubRep, 'tillitsvalgt.klubb@budstikke.example', 'Tillitsvalgt (klubbstyre)'],
      [stewardRep, 'tillitsvalgt.verksted@budstikke.example', 'Tillitsvalgt (verksted)']] as const) {
      if (!h) continue;
      await createStaffUser(c, { email, name, role: 'representative', memberId: h.member_id });
      staff.push({ email, role: 'representative', memberNumber: await numberOf(h.member_id) });
    }
    // Demo only: every demo staff user signs in to the web pages with the same password.
    for (const u of (await c.query(`SELECT id FROM staff_users`)).rows) await setPassword(c, u.id, DEMO_PASSWORD);
    const { token } = await createApiToken(c, admin.id, 'demo');
    return { seeded: true, adminEmail: admin.email, adminToken: token, staff, members: report.inserted };
  });
  const committee = await seedDemoStrike(hub, DEMO_PASSWORD);
  if (committee) result.staff?.push({ email: committee.email, role: 'strike_committee' });
  for (const row of (await hub.db.query('SELECT id, email, name, role, member_id FROM staff_users WHERE role = ANY($1::text[])', [hub.config.staff2faRequired])).rows) {
    await enrolWithSecret(hub, staffFromRow(row), DEMO_TOTP_SECRET, { actor: 'demo-seed' });
  }
  return result;
}
