import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { createStaffUser } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { labelOf } from '../vocabulary';
import { normalisePhone } from '../members';
import { loadStrike } from './model';

/**
 * Strike committees (streikekomité) per location, and their guard lists (vaktlister).
 *
 * Who sees what (NTL's guide: limited to the purpose, contact details not spread without the
 * person's approval):
 *  - a committee member (role strike_committee) reaches only their own committees; any other
 *    committee is "not found" (404), never "forbidden", so its existence is not disclosed;
 *  - a guard's contact details are shown inside the guard's own committee, and inside a
 *    committee the guard was shared with, which needs the guard's recorded consent;
 *  - the strike leadership (admins, communications) set committees up and see the lists
 *    without contact details.
 * Every view and export of a guard list is audited with its row count. The audit rows name the
 * committee and guard ids, never a member id: the append-only audit log outlives the strike and
 * must not become a lasting list of who stood guard.
 */

export interface Committee { id: number; strikeId: number; name: string; location: string; members: { id: number; name: string; email: string }[]; guards: number; shifts: number }

const LEAD_ROLES = new Set(['admin', 'communications']);
const isLead = (s: Staff) => LEAD_ROLES.has(s.role);

async function strikeOpen(db: Queryable, strikeId: number): Promise<void> {
  const s = await loadStrike(db, strikeId);
  if (s.state === 'ended') throw Problem.conflict(`Streik ${strikeId} er avsluttet; komiteene er slettet.`, { state: s.state });
}

/**
 * The committee as `staff` may reach it: leadership any, a committee member only their own
 * (else 404). The one rule for committee access.
 */
export async function reachCommittee(db: Queryable, staff: Staff, committeeId: number): Promise<{ id: number; strikeId: number; name: string; location: string; inside: boolean }> {
  const { rows } = await db.query(
    `SELECT c.id, c.strike_id, c.name, c.location,
            EXISTS (SELECT 1 FROM strike_committee_members cm WHERE cm.committee_id = c.id AND cm.staff_user_id = $2) AS inside
       FROM strike_committees c WHERE c.id = $1`, [committeeId, staff.id]);
  const c = rows[0];
  if (!c || (!isLead(staff) && !c.inside)) throw Problem.notFound(`Fant ingen streikekomité ${committeeId}.`);
  return { id: Number(c.id), strikeId: Number(c.strike_id), name: c.name, location: c.location, inside: c.inside };
}

function requireInside(c: { id: number; inside: boolean }): void {
  if (!c.inside) throw Problem.forbidden('Bare komiteens egne medlemmer fører vaktlisten.');
}

export async function createCommittee(hub: Hub, staff: Staff, strikeId: number, input: { name: string; location: string }): Promise<Committee> {
  await strikeOpen(hub.db, strikeId);
  const id = await hub.db.tx(async (db) => {
    const r = await db.query(`INSERT INTO strike_committees (strike_id, name, location) VALUES ($1, $2, $3) ON CONFLICT (strike_id, location) DO NOTHING RETURNING id`,
      [strikeId, input.name, input.location]);
    if (!r.rows[0]) throw Problem.conflict(`Streik ${strikeId} har allerede en komité for ${input.location}.`);
    await audit(db, { staff, action: 'strike.committee', detail: { strikeId, committeeId: Number(r.rows[0].id), change: 'create' } });
    return Number(r.rows[0].id);
  });
  return getCommittee(hub, staff, id);
}

export async function getCommittee(hub: Hub, staff: Staff, committeeId: number): Promise<Committee> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  const members = await hub.db.many(
    `SELECT u.id, u.name, u.email FROM strike_committee_members cm JOIN staff_users u ON u.id = cm.staff_user_id WHERE cm.committee_id = $1 ORDER BY u.name`, [committeeId]);
  const n = await hub.db.one(`SELECT (SELECT count(*)::int FROM strike_guards WHERE committee_id = $1) AS guards, (SELECT count(*)::int FROM strike_shifts WHERE committee_id = $1) AS shifts`, [committeeId]);
  return { id: c.id, strikeId: c.strikeId, name: c.name, location: c.location, members: members.map((m) => ({ id: Number(m.id), name: m.name, email: m.email })), guards: n!.guards, shifts: n!.shifts };
}

export async function listCommittees(hub: Hub, staff: Staff, strikeId: number): Promise<Committee[]> {
  await loadStrike(hub.db, strikeId);
  const ids = await hub.db.many(
    `SELECT c.id FROM strike_committees c WHERE c.strike_id = $1
        AND ($2 OR EXISTS (SELECT 1 FROM strike_committee_members cm WHERE cm.committee_id = c.id AND cm.staff_user_id = $3)) ORDER BY c.location`,
    [strikeId, isLead(staff), staff.id]);
  const out: Committee[] = [];
  for (const r of ids) out.push(await getCommittee(hub, staff, Number(r.id)));
  return out;
}

/** A committee member's own committees, across strikes that are not ended. */
export async function myCommittees(hub: Hub, staff: Staff): Promise<(Committee & { strikeName: string })[]> {
  const rows = await hub.db.many(
    `SELECT c.id, s.name AS strike_name FROM strike_committee_members cm JOIN strike_committees c ON c.id = cm.committee_id JOIN strikes s ON s.id = c.strike_id
      WHERE cm.staff_user_id = $1 ORDER BY s.id DESC, c.location`, [staff.id]);
  const out = [];
  for (const r of rows) out.push({ ...(await getCommittee(hub, staff, Number(r.id))), strikeName: r.strike_name });
  return out;
}

/**
 * Adds a committee member: an existing staff user with the strike_committee role, or a new one
 * (name and email), whose account exists for the strike only and is erased with it.
 */
export async function addCommitteeMember(hub: Hub, staff: Staff, committeeId: number, input: { staffUserId?: number; name?: string; email?: string }): Promise<Committee> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  await strikeOpen(hub.db, c.strikeId);
  await hub.db.tx(async (db) => {
    let userId = input.staffUserId;
    if (userId) {
      const u = (await db.query('SELECT role, disabled_at FROM staff_users WHERE id = $1', [userId])).rows[0];
      if (!u || u.disabled_at) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.staffUserId', message: `Bruker: fant ingen aktiv bruker ${userId}` }]);
      if (u.role !== 'strike_committee') throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.staffUserId', message: `Bruker ${userId} har rollen ${labelOf('staffRole', u.role)}; komitémedlemmer har rollen ${labelOf('staffRole', 'strike_committee')}` }]);
    } else {
      const exists = (await db.query('SELECT 1 FROM staff_users WHERE lower(email) = lower($1)', [input.email])).rowCount;
      if (exists) throw Problem.conflict(`Det finnes allerede en bruker med ${input.email}: legg brukeren til med staffUserId.`);
      userId = (await createStaffUser(db, { email: input.email!, name: input.name!, role: 'strike_committee' })).id;
    }
    await db.query('INSERT INTO strike_committee_members (committee_id, staff_user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [committeeId, userId]);
    await audit(db, { staff, action: 'strike.committee', detail: { strikeId: c.strikeId, committeeId, change: 'add_member', staffUserId: userId } });
  });
  return getCommittee(hub, staff, committeeId);
}

export interface Guard {
  id: number;
  committeeId: number;
  name: string;
  /** Only inside the guard's committee or one it was shared with (with the guard's consent). */
  phone?: string | null;
  email?: string | null;
  volunteeredAt: string;
  shareConsent: boolean;
  sharedFrom: number | null;
  shifts: number[];
}

export interface GuardInput { name: string; phone?: string | null; email?: string | null; memberNumber?: string | null; volunteeredAt?: Date | null; shareConsent?: boolean }

export async function addGuard(hub: Hub, staff: Staff, committeeId: number, input: GuardInput): Promise<Guard> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  requireInside(c);
  await strikeOpen(hub.db, c.strikeId);
  let phone: string | null = null;
  if (input.phone) {
    phone = normalisePhone(input.phone) ?? null;
    if (!phone) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.phone', message: `Telefon: ${input.phone} er ikke et telefonnummer` }]);
  }
  let memberId: number | null = null;
  if (input.memberNumber) {
    const m = await hub.db.one(`SELECT id FROM members WHERE member_number = $1 AND status = 'active'`, [input.memberNumber]);
    if (!m) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.memberNumber', message: `Medlemsnummer: fant ikke noe aktivt medlem ${input.memberNumber}` }]);
    memberId = Number(m.id);
  }
  const now = hub.clock.now();
  const id = await hub.db.tx(async (db) => {
    const r = await db.query(
      `INSERT INTO strike_guards (committee_id, member_id, name, phone, email, volunteered_at, share_consent_at, share_consent_recorded_by, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [committeeId, memberId, input.name, phone, input.email ?? null, input.volunteeredAt ?? now, input.shareConsent ? now : null, input.shareConsent ? staff.id : null, staff.id]);
    await audit(db, { staff, action: 'strike.guard_change', detail: { strikeId: c.strikeId, committeeId, guardId: Number(r.rows[0].id), change: 'add', shareConsent: !!input.shareConsent } });
    return Number(r.rows[0].id);
  });
  return (await guardRows(hub.db, committeeId, true, id))[0];
}

async function guardRows(db: Queryable, committeeId: number, withContacts: boolean, guardId?: number): Promise<Guard[]> {
  const { rows } = await db.query(
    `SELECT g.*, NULLIF(g.committee_id, $1) AS shared_from,
            ARRAY(SELECT sg.shift_id FROM strike_shift_guards sg JOIN strike_shifts sh ON sh.id = sg.shift_id WHERE sg.guard_id = g.id AND sh.committee_id = $1 ORDER BY sg.shift_id) AS shifts
       FROM strike_guards g
      WHERE (g.committee_id = $1 OR EXISTS (SELECT 1 FROM strike_guard_shares s WHERE s.guard_id = g.id AND s.committee_id = $1))
        AND ($2::bigint IS NULL OR g.id = $2)
      ORDER BY g.name, g.id`, [committeeId, guardId ?? null]);
  return rows.map((r) => ({
    id: Number(r.id), committeeId: Number(r.committee_id), name: r.name,
    ...(withContacts ? { phone: r.phone, email: r.email } : {}),
    volunteeredAt: r.volunteered_at.toISOString(), shareConsent: r.share_consent_at !== null,
    sharedFrom: r.shared_from === null ? null : Number(r.shared_from), shifts: r.shifts.map(Number),
  }));
}

/** The guard list of a committee; contact details inside the committee only. Audited. */
export async function listGuards(hub: Hub, staff: Staff, committeeId: number): Promise<{ guards: Guard[]; contacts: boolean }> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  const guards = await guardRows(hub.db, committeeId, c.inside);
  await audit(hub.db, { staff, action: 'strike.guards_view', rowCount: guards.length, detail: { strikeId: c.strikeId, committeeId, contacts: c.inside } });
  return { guards, contacts: c.inside };
}

async function ownGuard(db: Queryable, committeeId: number, guardId: number): Promise<{ id: number; shareConsentAt: Date | null }> {
  const g = (await db.query('SELECT id, share_consent_at, member_id FROM strike_guards WHERE id = $1 AND committee_id = $2', [guardId, committeeId])).rows[0];
  if (!g) throw Problem.notFound(`Fant ikke streikevakt ${guardId} i komité ${committeeId}.`);
  return { id: Number(g.id), shareConsentAt: g.share_consent_at };
}

/** Records (or withdraws) the guard's consent to share their contact details with other committees. */
export async function recordShareConsent(hub: Hub, staff: Staff, committeeId: number, guardId: number, consent: boolean): Promise<Guard> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  requireInside(c);
  await hub.db.tx(async (db) => {
    await ownGuard(db, committeeId, guardId);
    await db.query(`UPDATE strike_guards SET share_consent_at = $2, share_consent_recorded_by = $3 WHERE id = $1`,
      [guardId, consent ? hub.clock.now() : null, consent ? staff.id : null]);
    // Withdrawn consent ends the sharing it allowed.
    if (!consent) await db.query('DELETE FROM strike_guard_shares WHERE guard_id = $1', [guardId]);
    await audit(db, { staff, action: 'strike.guard_share', detail: { strikeId: c.strikeId, committeeId, guardId, consent } });
  });
  return (await guardRows(hub.db, committeeId, true, guardId))[0];
}

/** Shares a guard with another committee of the same strike: only with the guard's recorded consent (409 otherwise). */
export async function shareGuard(hub: Hub, staff: Staff, committeeId: number, guardId: number, toCommitteeId: number): Promise<{ guardId: number; committeeId: number }> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  requireInside(c);
  return hub.db.tx(async (db) => {
    const g = await ownGuard(db, committeeId, guardId);
    const to = (await db.query('SELECT id FROM strike_committees WHERE id = $1 AND strike_id = $2', [toCommitteeId, c.strikeId])).rows[0];
    if (!to || toCommitteeId === committeeId) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.committeeId', message: `Komité: fant ingen annen komité ${toCommitteeId} i denne streiken` }]);
    if (!g.shareConsentAt) throw Problem.conflict(`Streikevakt ${guardId} har ikke samtykket til at kontaktopplysningene deles med andre komiteer; registrer samtykket først.`, { consent: false });
    await db.query('INSERT INTO strike_guard_shares (guard_id, committee_id, shared_by, shared_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [guardId, toCommitteeId, staff.id, hub.clock.now()]);
    await audit(db, { staff, action: 'strike.guard_share', detail: { strikeId: c.strikeId, committeeId, guardId, toCommitteeId } });
    return { guardId, committeeId: toCommitteeId };
  });
}

export async function removeGuard(hub: Hub, staff: Staff, committeeId: number, guardId: number): Promise<void> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  requireInside(c);
  await hub.db.tx(async (db) => {
    await ownGuard(db, committeeId, guardId);
    await db.query('DELETE FROM strike_guards WHERE id = $1', [guardId]);
    await audit(db, { staff, action: 'strike.guard_change', detail: { strikeId: c.strikeId, committeeId, guardId, change: 'remove' } });
  });
}

export interface Shift { id: number; place: string; startsAt: string; endsAt: string; guards: number[] }

export async function addShift(hub: Hub, staff: Staff, committeeId: number, input: { place: string; startsAt: Date; endsAt: Date }): Promise<Shift> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  requireInside(c);
  await strikeOpen(hub.db, c.strikeId);
  if (input.endsAt.getTime() <= input.startsAt.getTime()) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.endsAt', message: 'endsAt (slutter) må være etter startsAt (begynner)' }]);
  const r = await hub.db.one('INSERT INTO strike_shifts (committee_id, place, starts_at, ends_at) VALUES ($1, $2, $3, $4) RETURNING id', [committeeId, input.place, input.startsAt, input.endsAt]);
  await audit(hub.db, { staff, action: 'strike.guard_change', detail: { strikeId: c.strikeId, committeeId, shiftId: Number(r!.id), change: 'add_shift' } });
  return (await listShifts(hub, staff, committeeId)).find((s) => s.id === Number(r!.id))!;
}

export async function listShifts(hub: Hub, staff: Staff, committeeId: number): Promise<Shift[]> {
  await reachCommittee(hub.db, staff, committeeId);
  const rows = await hub.db.many(
    `SELECT s.*, ARRAY(SELECT guard_id FROM strike_shift_guards WHERE shift_id = s.id ORDER BY guard_id) AS guards
       FROM strike_shifts s WHERE s.committee_id = $1 ORDER BY s.starts_at, s.id`, [committeeId]);
  return rows.map((r) => ({ id: Number(r.id), place: r.place, startsAt: r.starts_at.toISOString(), endsAt: r.ends_at.toISOString(), guards: r.guards.map(Number) }));
}

/** Puts a guard on a shift: the committee's own guard, or one shared with it. */
export async function assignGuard(hub: Hub, staff: Staff, committeeId: number, shiftId: number, guardId: number): Promise<Shift> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  requireInside(c);
  const shift = await hub.db.one('SELECT id FROM strike_shifts WHERE id = $1 AND committee_id = $2', [shiftId, committeeId]);
  if (!shift) throw Problem.notFound(`Fant ikke vakt ${shiftId} i komité ${committeeId}.`);
  if (!(await guardRows(hub.db, committeeId, false, guardId)).length) throw Problem.notFound(`Fant ikke streikevakt ${guardId} i komité ${committeeId}.`);
  await hub.db.query('INSERT INTO strike_shift_guards (shift_id, guard_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [shiftId, guardId]);
  await audit(hub.db, { staff, action: 'strike.guard_change', detail: { strikeId: c.strikeId, committeeId, shiftId, guardId, change: 'assign' } });
  return (await listShifts(hub, staff, committeeId)).find((s) => s.id === shiftId)!;
}

/** The guard list with shifts as CSV, for the committee itself; audited with its row count. */
export async function exportGuardList(hub: Hub, staff: Staff, committeeId: number): Promise<{ filename: string; rows: string[][] }> {
  const c = await reachCommittee(hub.db, staff, committeeId);
  requireInside(c);
  const rows = await hub.db.many(
    `SELECT sh.place, sh.starts_at, sh.ends_at, g.name, g.phone, g.email FROM strike_shifts sh
       LEFT JOIN strike_shift_guards sg ON sg.shift_id = sh.id LEFT JOIN strike_guards g ON g.id = sg.guard_id
      WHERE sh.committee_id = $1 ORDER BY sh.starts_at, sh.id, g.name`, [committeeId]);
  await audit(hub.db, { staff, action: 'strike.guards_view', rowCount: rows.length, detail: { strikeId: c.strikeId, committeeId, export: 'csv' } });
  const fmt = (d: Date) => d.toLocaleString('nb-NO', { timeZone: 'Europe/Oslo', dateStyle: 'short', timeStyle: 'short' });
  return {
    filename: `vaktliste-${c.id}.csv`,
    rows: [['Sted', 'Fra', 'Til', 'Vakt', 'Telefon', 'E-post'], ...rows.map((r) => [r.place, fmt(r.starts_at), fmt(r.ends_at), r.name ?? '', r.phone ?? '', r.email ?? ''])],
  };
}
