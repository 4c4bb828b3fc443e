import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { audienceSql, validateAudience, type AudienceFilter } from '../audience';
import { memberScopeSql } from '../members';
import { loadStrike, type Strike } from './model';

export interface Phase {
  id: number;
  strikeId: number;
  number: number;
  name: string;
  startsAt: string;
  /** The audience filter; null once the strike's personal data is erased. Not shown to representatives. */
  selection: AudienceFilter | null;
  counts: { takenOut: number; takenBack: number; onStrikeNow: number };
}

/**
 * The one condition for "covered by the strike's agreement": an active member with coverage of
 * that agreement. Every phase selection is confined by it, whatever its filter says.
 */
export function coveredSql(alias: string, agreementParam: string): string {
  return `${alias}.status = 'active' AND EXISTS (SELECT 1 FROM member_agreements sca WHERE sca.member_id = ${alias}.id AND sca.agreement_id = ${agreementParam}::bigint)`;
}

export async function listPhases(db: Queryable, strikeId: number, now: Date): Promise<Phase[]> {
  const { rows } = await db.query(
    `SELECT p.*,
            COALESCE(t.out, c.out, 0)::int AS taken_out, COALESCE(t.back, c.back, 0)::int AS taken_back,
            (SELECT count(*)::int FROM strikers_at($2) w WHERE w.phase_id = p.id) AS on_strike_now
       FROM strike_phases p
       LEFT JOIN LATERAL (SELECT count(*) AS out, count(*) FILTER (WHERE returned_at IS NOT NULL) AS back
                            FROM strike_takeouts WHERE phase_id = p.id HAVING count(*) > 0) t ON true
       LEFT JOIN LATERAL (SELECT sum(taken_out) AS out, sum(taken_back) AS back FROM strike_phase_counts WHERE phase_id = p.id HAVING count(*) > 0) c ON true
      WHERE p.strike_id = $1 ORDER BY p.number`, [strikeId, now]);
  return rows.map((r) => ({
    id: Number(r.id), strikeId: Number(r.strike_id), number: r.number, name: r.name, startsAt: r.starts_at.toISOString(),
    selection: r.selection, counts: { takenOut: r.taken_out, takenBack: r.taken_back, onStrikeNow: r.on_strike_now },
  }));
}

export async function loadPhase(db: Queryable, strikeId: number, phaseId: number): Promise<{ id: number; strikeId: number; number: number; name: string; startsAt: Date }> {
  const r = await db.query('SELECT id, strike_id, number, name, starts_at FROM strike_phases WHERE id = $1 AND strike_id = $2', [phaseId, strikeId]);
  if (!r.rows[0]) throw Problem.notFound(`Fant ikke uttak ${phaseId} i streik ${strikeId}.`);
  const p = r.rows[0];
  return { id: Number(p.id), strikeId: Number(p.strike_id), number: p.number, name: p.name, startsAt: p.starts_at };
}

function assertOpen(s: Strike): void {
  if (s.state === 'ended') throw Problem.conflict(`Streik ${s.id} er avsluttet; uttakene kan ikke endres.`, { state: s.state });
}

export interface PhaseInput { name: string; startsAt: Date; selection: unknown }

/**
 * A phase (uttak) takes out the members its selection matches among those covered by the
 * strike's agreement, from its start. Escalation (opptrapping) is a later phase: members already
 * out stay in their phase; members taken back in earlier are taken out again by the new phase.
 * The selection is taken now, in one INSERT … SELECT, so the plassoppsigelse lists and the
 * messages all name the same people.
 */
export async function createPhase(hub: Hub, staff: Staff | null, strikeId: number, input: PhaseInput): Promise<{ phase: Phase; selected: number }> {
  const selection = validateAudience(input.selection, 'body.selection');
  return hub.db.tx(async (db) => {
    const s = await loadStrike(db, strikeId, { forUpdate: true });
    assertOpen(s);
    const number = (await db.query('SELECT COALESCE(max(number), 0) + 1 AS n FROM strike_phases WHERE strike_id = $1', [strikeId])).rows[0].n as number;
    const p = (await db.query(
      `INSERT INTO strike_phases (strike_id, number, name, starts_at, selection, created_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [strikeId, number, input.name, input.startsAt, JSON.stringify(selection), staff?.id ?? null])).rows[0];
    const phaseId = Number(p.id);
    const params: unknown[] = [strikeId, phaseId, hub.clock.now(), s.agreement.id];
    const where = audienceSql(selection, 'm', params);
    const r = await db.query(
      `INSERT INTO strike_takeouts (strike_id, member_id, phase_id, selected_at)
       SELECT $1, m.id, $2, $3 FROM members m WHERE ${coveredSql('m', '$4')} AND (${where})
       ON CONFLICT (strike_id, member_id) DO UPDATE SET phase_id = EXCLUDED.phase_id, selected_at = EXCLUDED.selected_at, returned_at = NULL, returned_by = NULL
         WHERE strike_takeouts.returned_at IS NOT NULL`, params);
    const selected = r.rowCount ?? 0;
    await audit(db, { staff, action: 'strike.phase_create', rowCount: selected, detail: { strikeId, phaseId, number, startsAt: input.startsAt.toISOString() } });
    const phase = (await listPhases(db, strikeId, hub.clock.now())).find((x) => x.id === phaseId)!;
    return { phase, selected };
  });
}

/**
 * Takes members of a phase back in (from `at`, default now): those of the phase the filter
 * matches. They stop being on strike from then, are no longer reached by the strike's messages,
 * and are marked as no longer taken out in the next plassoppsigelse export.
 */
export async function takeBackIn(hub: Hub, staff: Staff | null, strikeId: number, phaseId: number, input: { selection: unknown; at?: Date | null }): Promise<{ takenBack: number }> {
  const selection = validateAudience(input.selection, 'body.selection');
  return hub.db.tx(async (db) => {
    const s = await loadStrike(db, strikeId, { forUpdate: true });
    assertOpen(s);
    await loadPhase(db, strikeId, phaseId);
    const at = input.at ?? hub.clock.now();
    const params: unknown[] = [phaseId, at, staff?.id ?? null];
    const where = audienceSql(selection, 'm', params);
    const r = await db.query(
      `UPDATE strike_takeouts t SET returned_at = $2, returned_by = $3
         FROM members m WHERE m.id = t.member_id AND t.phase_id = $1 AND t.returned_at IS NULL AND (${where})`, params);
    const n = r.rowCount ?? 0;
    await audit(db, { staff, action: 'strike.take_back', rowCount: n, detail: { strikeId, phaseId, at: at.toISOString() } });
    return { takenBack: n };
  });
}

export interface StrikeMember {
  memberNumber: string;
  firstName: string;
  lastName: string;
  workplace: string | null;
  employer: string | null;
  phase: number;
  onStrike: boolean;
  returnedAt: string | null;
}

/**
 * The members a strike took out, for staff: confined in SQL to a representative's scope, with
 * whether each is on strike at `at` (the strikers_at function). Audited with the row count.
 */
export async function listStrikeMembers(hub: Hub, staff: Staff, strikeId: number, opts: { phaseId?: number; at?: Date; limit?: number } = {}): Promise<{ members: StrikeMember[]; total: number }> {
  await loadStrike(hub.db, strikeId);
  const at = opts.at ?? hub.clock.now();
  const params: unknown[] = [strikeId, at, opts.limit ?? 500];
  const conds = ['t.strike_id = $1'];
  if (opts.phaseId) { params.push(opts.phaseId); conds.push(`t.phase_id = $${params.length}`); }
  conds.push(memberScopeSql(staff, 'm', params));
  const rows = await hub.db.many(
    `SELECT m.member_number, m.first_name, m.last_name, w.name AS workplace, e.name AS employer, p.number AS phase, t.returned_at,
            EXISTS (SELECT 1 FROM strikers_at($2) x WHERE x.strike_id = t.strike_id AND x.member_id = t.member_id) AS on_strike,
            count(*) OVER () AS total
       FROM strike_takeouts t JOIN members m ON m.id = t.member_id JOIN strike_phases p ON p.id = t.phase_id
       LEFT JOIN workplaces w ON w.id = m.workplace_id LEFT JOIN employers e ON e.id = w.employer_id
      WHERE ${conds.join(' AND ')}
      ORDER BY p.number, m.last_name, m.first_name, m.member_number LIMIT $3`, params);
  const total = rows[0] ? Number(rows[0].total) : 0;
  await audit(hub.db, { staff, action: 'strike.members_list', rowCount: rows.length, detail: { strikeId, phaseId: opts.phaseId ?? null } });
  return {
    total,
    members: rows.map((r) => ({
      memberNumber: r.member_number, firstName: r.first_name, lastName: r.last_name, workplace: r.workplace, employer: r.employer,
      phase: r.phase, onStrike: r.on_strike, returnedAt: r.returned_at ? r.returned_at.toISOString() : null,
    })),
  };
}

/** Member ids on strike at `at` (the one query), optionally of one strike. */
export async function strikersAt(db: Queryable, at: Date, strikeId?: number): Promise<number[]> {
  const { rows } = await db.query(
    `SELECT member_id FROM strikers_at($1) WHERE $2::bigint IS NULL OR strike_id = $2 ORDER BY member_id`, [at, strikeId ?? null]);
  return rows.map((r) => Number(r.member_id));
}
