import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { labelOf } from '../vocabulary';
import { markStrikeEnded } from '../privacy';
import { assertMove, loadStrike, type Strike } from './model';

/** What an erasure removed (rows per kind); what it keeps is strike_phase_counts. */
export interface StrikeErasure {
  takeouts: number;
  exports: number;
  exportMembers: number;
  committees: number;
  committeeMembers: number;
  committeeAccounts: number;
  guards: number;
  shifts: number;
  shares: number;
  selections: number;
}

const ZERO: StrikeErasure = { takeouts: 0, exports: 0, exportMembers: 0, committees: 0, committeeMembers: 0, committeeAccounts: 0, guards: 0, shifts: 0, shares: 0, selections: 0 };

export function erasedRows(e: StrikeErasure): number {
  return Object.values(e).reduce((a, b) => a + b, 0);
}

/**
 * Erases every personal row a strike holds, in the caller's transaction, leaving counts per
 * phase and employer (taken out, taken back in, exports). Idempotent: a second run finds nothing
 * and keeps the counts of the first. Committee members' staff accounts that serve no other
 * strike are disabled and anonymised (their audit rows keep the pseudonymous actor id), their
 * tokens and sessions removed.
 */
export async function eraseStrikeDataIn(db: Queryable, strikeId: number, now: Date): Promise<StrikeErasure> {
  const out: StrikeErasure = { ...ZERO };
  const n = async (sql: string, params: unknown[] = [strikeId]) => (await db.query(sql, params)).rowCount ?? 0;

  // Counts first, while the rows they count exist (ON CONFLICT: an earlier, interrupted run's counts stay).
  await db.query(
    `INSERT INTO strike_phase_counts (strike_id, phase_id, employer_id, taken_out, taken_back, exports)
     SELECT t.strike_id, t.phase_id, w.employer_id, count(*), count(*) FILTER (WHERE t.returned_at IS NOT NULL),
            (SELECT count(*) FROM strike_exports x WHERE x.phase_id = t.phase_id AND x.employer_id IS NOT DISTINCT FROM w.employer_id)
       FROM strike_takeouts t JOIN members m ON m.id = t.member_id LEFT JOIN workplaces w ON w.id = m.workplace_id
      WHERE t.strike_id = $1 GROUP BY t.strike_id, t.phase_id, w.employer_id
     ON CONFLICT (phase_id, COALESCE(employer_id, 0)) DO NOTHING`, [strikeId]);

  // Accounts that exist only for this strike's committees.
  const accounts = (await db.query(
    `SELECT DISTINCT cm.staff_user_id AS id FROM strike_committee_members cm JOIN strike_committees c ON c.id = cm.committee_id
       JOIN staff_users u ON u.id = cm.staff_user_id
      WHERE c.strike_id = $1 AND u.role = 'strike_committee'
        AND NOT EXISTS (SELECT 1 FROM strike_committee_members o JOIN strike_committees oc ON oc.id = o.committee_id
                         WHERE o.staff_user_id = cm.staff_user_id AND oc.strike_id <> $1)`, [strikeId])).rows.map((r) => Number(r.id));

  out.exportMembers = await n(`DELETE FROM strike_export_members WHERE export_id IN (SELECT id FROM strike_exports WHERE strike_id = $1)`);
  out.exports = await n(`DELETE FROM strike_exports WHERE strike_id = $1`);
  out.shares = await n(`DELETE FROM strike_guard_shares WHERE guard_id IN (SELECT g.id FROM strike_guards g JOIN strike_committees c ON c.id = g.committee_id WHERE c.strike_id = $1)
                          OR committee_id IN (SELECT id FROM strike_committees WHERE strike_id = $1)`);
  await n(`DELETE FROM strike_shift_guards WHERE shift_id IN (SELECT s.id FROM strike_shifts s JOIN strike_committees c ON c.id = s.committee_id WHERE c.strike_id = $1)`);
  out.shifts = await n(`DELETE FROM strike_shifts WHERE committee_id IN (SELECT id FROM strike_committees WHERE strike_id = $1)`);
  out.guards = await n(`DELETE FROM strike_guards WHERE committee_id IN (SELECT id FROM strike_committees WHERE strike_id = $1)`);
  out.committeeMembers = await n(`DELETE FROM strike_committee_members WHERE committee_id IN (SELECT id FROM strike_committees WHERE strike_id = $1)`);
  out.committees = await n(`DELETE FROM strike_committees WHERE strike_id = $1`);
  out.takeouts = await n(`DELETE FROM strike_takeouts WHERE strike_id = $1`);
  out.selections = await n(`UPDATE strike_phases SET selection = NULL WHERE strike_id = $1 AND selection IS NOT NULL`);

  if (accounts.length) {
    await db.query('DELETE FROM api_tokens WHERE staff_user_id = ANY($1::bigint[])', [accounts]);
    await db.query(`DELETE FROM web_sessions WHERE staff_user_id = ANY($1::bigint[])`, [accounts]).catch(() => undefined);
    out.committeeAccounts = await n(
      `UPDATE staff_users SET name = 'Slettet komitémedlem', email = 'slettet-' || id || '@streik.invalid', password_hash = NULL,
              disabled_at = COALESCE(disabled_at, $2) WHERE id = ANY($1::bigint[]) AND email NOT LIKE 'slettet-%@streik.invalid'`, [accounts, now]);
  }
  await db.query(
    `UPDATE strikes SET erased_at = COALESCE(erased_at, $2), updated_at = now(),
            erased_counts = COALESCE(erased_counts, '{}'::jsonb) || $3::jsonb WHERE id = $1`,
    [strikeId, now, JSON.stringify({
      committees: out.committees, guards: out.guards, shifts: out.shifts, exports: out.exports,
    })]);
  return out;
}

/** Linked campaigns that would lose their recipients if the strike ended now. */
async function campaignsInFlight(db: Queryable, strikeId: number): Promise<{ id: number; state: string }[]> {
  const { rows } = await db.query(
    `SELECT id, state FROM campaigns WHERE strike_id = $1 AND (
        state = 'scheduled' OR (state IN ('running', 'paused') AND snapshot_at IS NULL)
     OR (state = 'draft' AND approval_requested_at IS NOT NULL AND approved_at IS NULL)) ORDER BY id`, [strikeId]);
  return rows.map((r) => ({ id: Number(r.id), state: r.state }));
}

/**
 * Ends the strike (from any state: a strike that was averted ends too) and, in the same
 * transaction and one audited action, erases every personal row it held. Its messages' recipient
 * lists are erased through the privacy part's strike-ended rule (now, or once they stop sending).
 * Refused (409) while a message of the strike is scheduled, awaiting approval or still taking its
 * audience: ending would leave it with no one to reach.
 */
export async function endStrike(hub: Hub, staff: Staff | null, strikeId: number, at?: Date | null): Promise<{ strike: Strike; erased: StrikeErasure; campaigns: number[] }> {
  const now = hub.clock.now();
  const when = at ?? now;
  if (when.getTime() > now.getTime() + 1000) {
    throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.at', message: 'at (tidspunkt) kan ikke være fram i tid: en endring registreres når den skjer' }]);
  }
  const result = await hub.db.tx(async (db) => {
    const s = await loadStrike(db, strikeId, { forUpdate: true });
    assertMove(s, 'ended');
    const waiting = await campaignsInFlight(db, strikeId);
    if (waiting.length) {
      throw Problem.conflict(`Streik ${strikeId} har meldinger som ikke har tatt ut mottakerne ennå (${waiting.map((c) => `${c.id}: ${labelOf('campaignState', c.state)}`).join(', ')}); send eller avbryt dem før streiken avsluttes.`,
        { state: s.state, campaigns: waiting });
    }
    await db.query(`SET LOCAL budstikke.erasure = 'on'`);
    await db.query(`UPDATE strikes SET state = 'ended', ended_at = $2, updated_at = now() WHERE id = $1`, [strikeId, when]);
    const erased = await eraseStrikeDataIn(db, strikeId, now);
    const campaigns = (await db.query('SELECT id FROM campaigns WHERE strike_id = $1 ORDER BY id', [strikeId])).rows.map((r) => Number(r.id));
    await audit(db, { staff, action: 'strike.erase', rowCount: erasedRows(erased), detail: { strikeId, from: s.state, endedAt: when.toISOString(), erased, campaigns } });
    return { erased, campaigns };
  });
  for (const c of result.campaigns) await markStrikeEnded(hub, staff as Staff, c);
  return { strike: await loadStrike(hub.db, strikeId), ...result };
}

export interface StrikeSweepReport { strikes: number; rows: number; campaigns: number }

/**
 * The retention rule for strikes: STRIKE_RETENTION_DAYS after a strike ended, anything it still
 * holds (an end interrupted half-way, a message that was still sending) is erased. Idempotent.
 */
export async function sweepEndedStrikes(hub: Hub): Promise<StrikeSweepReport> {
  const now = hub.clock.now();
  const before = new Date(now.getTime() - hub.config.strikeRetentionDays * 86_400_000);
  const due = await hub.db.many(`SELECT id FROM strikes WHERE state = 'ended' AND ended_at <= $1 ORDER BY id`, [before]);
  const report: StrikeSweepReport = { strikes: 0, rows: 0, campaigns: 0 };
  for (const s of due) {
    const id = Number(s.id);
    const erased = await hub.db.tx(async (db) => {
      await db.query(`SET LOCAL budstikke.erasure = 'on'`);
      return eraseStrikeDataIn(db, id, now);
    });
    const rows = erasedRows(erased);
    const open = await hub.db.many(`SELECT id FROM campaigns WHERE strike_id = $1 AND strike_ended_at IS NULL ORDER BY id`, [id]);
    for (const c of open) await markStrikeEnded(hub, null as unknown as Staff, Number(c.id));
    if (rows || open.length) {
      report.strikes++;
      report.rows += rows;
      report.campaigns += open.length;
      await audit(hub.db, { staff: null, actor: 'system:retention', action: 'strike.erase', rowCount: rows, detail: { strikeId: id, erased, campaigns: open.map((c) => Number(c.id)), sweep: true } });
    }
  }
  return report;
}
