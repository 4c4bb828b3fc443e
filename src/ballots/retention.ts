import type { Queryable } from '../db';

/**
 * The ballot tables that hold personal data, for the privacy part's retention sweep and a
 * member's access export. Roll entries say who was eligible; export records say who exported
 * the roll (staff) and when. Neither says anything about voting: the hub has no vote data.
 */
export const BALLOT_PERSONAL_TABLES = ['ballot_roll_entries', 'ballot_roll_exports'] as const;

/**
 * Erases one ballot's electoral roll: its entries and the records of its exports. The ballot
 * keeps its roll size and gets roll_erased_at. Call with a closed (or cancelled) ballot once
 * RETENTION_ELECTORAL_ROLL_DAYS have passed since closing; the privacy sweep decides when.
 */
export async function eraseBallotRoll(db: Queryable, ballotId: number, at: Date = new Date()): Promise<{ entries: number; exports: number }> {
  const entries = (await db.query('DELETE FROM ballot_roll_entries WHERE ballot_id = $1', [ballotId])).rowCount ?? 0;
  const exports = (await db.query('DELETE FROM ballot_roll_exports WHERE ballot_id = $1', [ballotId])).rowCount ?? 0;
  await db.query('UPDATE ballots SET roll_erased_at = $2 WHERE id = $1 AND roll_erased_at IS NULL', [ballotId, at]);
  return { entries, exports };
}
