import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { valuesOf, labelsIn } from '../vocabulary';

export type StrikeState = 'notified' | 'notice_given' | 'on_strike' | 'ended';
/** The states and their names live in the vocabulary (C5). */
export const STRIKE_STATES = valuesOf('strikeState') as StrikeState[];
export const STRIKE_STATE_LABEL = labelsIn('strikeState') as Record<StrikeState, string>;

export interface Strike {
  id: number;
  name: string;
  agreement: { id: number; code: string; name: string; bargainingArea: string | null };
  state: StrikeState;
  /** The date of each move. */
  notifiedAt: string;
  noticeGivenAt: string | null;
  onStrikeAt: string | null;
  endedAt: string | null;
  mediationDeadline: string | null;
  createdBy: number | null;
  createdAt: string;
  erasedAt: string | null;
  erasedCounts: Record<string, number> | null;
}

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

const SELECT = `SELECT s.*, a.code AS agreement_code, a.name AS agreement_name, a.bargaining_area
  FROM strikes s JOIN agreements a ON a.id = s.agreement_id`;

function fromRow(r: Record<string, any>): Strike {
  return {
    id: Number(r.id), name: r.name,
    agreement: { id: Number(r.agreement_id), code: r.agreement_code, name: r.agreement_name, bargainingArea: r.bargaining_area },
    state: r.state, notifiedAt: iso(r.notified_at)!, noticeGivenAt: iso(r.notice_given_at), onStrikeAt: iso(r.on_strike_at),
    endedAt: iso(r.ended_at), mediationDeadline: iso(r.mediation_deadline), createdBy: r.created_by === null ? null : Number(r.created_by),
    createdAt: iso(r.created_at)!, erasedAt: iso(r.erased_at), erasedCounts: r.erased_counts ?? null,
  };
}

export async function loadStrike(db: Queryable, id: number, opts: { forUpdate?: boolean } = {}): Promise<Strike> {
  const { rows } = await db.query(`${SELECT} WHERE s.id = $1${opts.forUpdate ? ' FOR UPDATE OF s' : ''}`, [id]);
  if (!rows[0]) throw Problem.notFound(`Fant ingen streik ${id}.`);
  return fromRow(rows[0]);
}

export async function listStrikes(db: Queryable): Promise<Strike[]> {
  const { rows } = await db.query(`${SELECT} ORDER BY (s.state = 'ended'), s.notified_at DESC, s.id DESC`);
  return rows.map(fromRow);
}

export interface StrikeInput { name: string; agreementId: number; notifiedAt?: Date | null; mediationDeadline?: Date | null }

export async function createStrike(hub: Hub, staff: Staff | null, input: StrikeInput): Promise<Strike> {
  const now = hub.clock.now();
  const notifiedAt = input.notifiedAt ?? now;
  if (notifiedAt.getTime() > now.getTime()) {
    throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.notifiedAt', message: 'notifiedAt (varslet) kan ikke være fram i tid: det er når streiken ble varslet' }]);
  }
  return hub.db.tx(async (db) => {
    const a = await db.query('SELECT 1 FROM agreements WHERE id = $1', [input.agreementId]);
    if (!a.rowCount) throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.agreementId', message: `Tariffavtale: fant ingen tariffavtale ${input.agreementId}` }]);
    const r = await db.query(
      `INSERT INTO strikes (name, agreement_id, notified_at, mediation_deadline, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [input.name, input.agreementId, notifiedAt, input.mediationDeadline ?? null, staff?.id ?? null]);
    await audit(db, { staff, action: 'strike.create', detail: { strikeId: Number(r.rows[0].id), agreementId: input.agreementId } });
    return loadStrike(db, Number(r.rows[0].id));
  });
}

/** The mediation deadline may change until the strike ends. */
export async function updateStrike(hub: Hub, staff: Staff, id: number, patch: { name?: string; mediationDeadline?: Date | null }): Promise<Strike> {
  return hub.db.tx(async (db) => {
    const s = await loadStrike(db, id, { forUpdate: true });
    if (s.state === 'ended') throw Problem.conflict(`Streik ${id} er avsluttet; den kan ikke endres.`, { state: s.state });
    await db.query(`UPDATE strikes SET name = COALESCE($2, name), mediation_deadline = CASE WHEN $3 THEN $4::timestamptz ELSE mediation_deadline END,
      updated_at = now() WHERE id = $1`, [id, patch.name ?? null, patch.mediationDeadline !== undefined, patch.mediationDeadline ?? null]);
    await audit(db, { staff, action: 'strike.move', detail: { strikeId: id, changed: Object.keys(patch) } });
    return loadStrike(db, id);
  });
}

/** The legal moves: forward one step, or to ended from any state (the threat is over). */
const NEXT: Record<StrikeState, StrikeState[]> = {
  notified: ['notice_given', 'ended'],
  notice_given: ['on_strike', 'ended'],
  on_strike: ['ended'],
  ended: [],
};

const MOVED_AT: Record<Exclude<StrikeState, 'notified'>, string> = {
  notice_given: 'notice_given_at', on_strike: 'on_strike_at', ended: 'ended_at',
};

/** The one rule for a move: 409 naming the state when it is not allowed. */
export function assertMove(s: Pick<Strike, 'id' | 'state'>, to: StrikeState): void {
  if (!NEXT[s.state].includes(to)) {
    throw Problem.conflict(`Streik ${s.id} har status «${STRIKE_STATE_LABEL[s.state]}»; den kan ikke gå over til «${STRIKE_STATE_LABEL[to]}».`, { state: s.state, to });
  }
}

function lastMove(s: Strike): Date {
  return new Date(s.onStrikeAt ?? s.noticeGivenAt ?? s.notifiedAt);
}

/**
 * Moves the strike to notice_given or on_strike, dated `at` (default now; never in the future,
 * never before the previous move). Ending is `endStrike` (src/strikes/erase.ts): it erases.
 */
export async function moveStrikeIn(db: Queryable, hub: Hub, staff: Staff | null, id: number, to: StrikeState, at?: Date | null): Promise<Strike> {
  const s = await loadStrike(db, id, { forUpdate: true });
  assertMove(s, to);
  const when = at ?? hub.clock.now();
  if (when.getTime() > hub.clock.now().getTime() + 1000) {
    throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.at', message: 'at (tidspunkt) kan ikke være fram i tid: en endring registreres når den skjer' }]);
  }
  if (when.getTime() < lastMove(s).getTime()) {
    throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.at', message: `at (tidspunkt) kan ikke være før forrige endring (${lastMove(s).toISOString()})` }]);
  }
  const col = MOVED_AT[to as Exclude<StrikeState, 'notified'>];
  await db.query(`UPDATE strikes SET state = $2, ${col} = $3, updated_at = now() WHERE id = $1`, [id, to, when]);
  await audit(db, { staff, action: 'strike.move', detail: { strikeId: id, from: s.state, to, at: when.toISOString() } });
  return loadStrike(db, id);
}

export async function moveStrike(hub: Hub, staff: Staff | null, id: number, to: 'notice_given' | 'on_strike', at?: Date | null): Promise<Strike> {
  return hub.db.tx((db) => moveStrikeIn(db, hub, staff, id, to, at));
}
