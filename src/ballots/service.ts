import { DateTime } from 'luxon';
import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { Problem, type FieldError } from '../errors';
import { labelOf } from '../vocabulary';
import type { EligibilityRule } from './eligibility';
import { beforeClosing, osloIso, OSLO } from './time';
import { readProviderKey } from './pgp';

export type BallotState = 'draft' | 'open' | 'closed' | 'cancelled';
export type Channel = 'email' | 'sms' | 'letter';
export type NotificationKind = 'opened' | 'reminder' | 'result';

export interface BallotRow {
  id: number;
  title: string;
  state: BallotState;
  opens_at: Date;
  closes_at: Date;
  eligibility: EligibilityRule;
  voting_url: string | null;
  voting_url_template: string | null;
  reminder_offsets: string[];
  channels: Channel[];
  provider_public_key: string | null;
  result_text: string | null;
  result_added_at: Date | null;
  roll_cutoff_at: Date | null;
  roll_frozen_at: Date | null;
  roll_frozen_by: number | null;
  roll_size: number | null;
  roll_erased_at: Date | null;
  created_by: number | null;
  created_at: Date;
  cancelled_at: Date | null;
}

export interface NotificationRow {
  id: number;
  ballot_id: number;
  kind: NotificationKind;
  offset_before_close: string;
  due_at: Date;
  state: 'pending' | 'launching' | 'launched' | 'cancelled' | 'skipped';
  channels: Channel[] | null;
  reason: string | null;
  campaign_id: number | null;
  launched_at: Date | null;
}

export interface NotificationView {
  kind: NotificationKind;
  offsetBeforeClose: string | null;
  dueAt: string | null;
  state: NotificationRow['state'];
  /** The channels in fallback order: planned while pending, as launched afterwards. */
  channels: Channel[];
  /** Why a channel was left out, or why the notification was skipped. */
  note: string | null;
  campaignId: number | null;
}

export interface BallotView {
  id: number;
  title: string;
  state: BallotState;
  agreements: { code: string; name: string }[];
  opensAt: string;
  closesAt: string;
  eligibility: EligibilityRule;
  votingUrl: string | null;
  votingUrlTemplate: string | null;
  reminders: string[];
  channels: Channel[];
  providerKeyFingerprint: string | null;
  result: { text: string; addedAt: string | null } | null;
  roll: { cutoffAt: string | null; frozenAt: string | null; size: number | null; erasedAt: string | null; exports: number };
  notifications: NotificationView[];
  createdAt: string;
}

export async function loadBallot(db: Queryable, id: number, opts: { forUpdate?: boolean } = {}): Promise<BallotRow> {
  const r = await db.query<BallotRow>(`SELECT * FROM ballots WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  if (!r.rows[0]) throw Problem.notFound(`Fant ingen uravstemning ${id}.`);
  return r.rows[0];
}

/**
 * Which channels a notification may use, in fallback order. Email and SMS always (as the
 * ballot lists them). A letter only where it can arrive in time: for the announcement and the
 * reminders, handing it to the print vendor at the due time plus BALLOT_POSTAL_LEAD_DAYS must
 * not be after closing; otherwise letter is left out of that notification (members reachable
 * only by post then get the earlier letters, never a letter that arrives after the vote).
 * The result has no deadline and may always go by letter.
 */
export function notificationChannels(ballot: Pick<BallotRow, 'channels' | 'closes_at'>, kind: NotificationKind, dueAt: Date, postalLeadDays: number):
  { channels: Channel[]; note: string | null } {
  if (kind === 'result' || !ballot.channels.includes('letter')) return { channels: [...ballot.channels], note: null };
  const arrives = DateTime.fromJSDate(dueAt).setZone(OSLO).plus({ days: postalLeadDays });
  if (arrives.toMillis() <= ballot.closes_at.getTime()) return { channels: [...ballot.channels], note: null };
  return {
    channels: ballot.channels.filter((c) => c !== 'letter'),
    // Shown to staff on the ballots page: Norwegian, with the date as they read it.
    note: `Ikke brev: sendt ${DateTime.fromJSDate(dueAt).setZone(OSLO).toFormat('dd.LL.yyyy HH:mm')} kommer det fram etter at avstemningen stenger (postgang ${postalLeadDays} dager)`,
  };
}

function notificationView(hub: Hub, b: BallotRow, n: NotificationRow): NotificationView {
  const planned = notificationChannels(b, n.kind, n.due_at, hub.config.ballotPostalLeadDays);
  const launched = n.channels && (n.state === 'launched' || n.state === 'launching');
  return {
    kind: n.kind,
    offsetBeforeClose: n.offset_before_close || null,
    dueAt: osloIso(n.due_at),
    state: n.state,
    channels: launched ? n.channels! : planned.channels,
    note: n.reason ?? (launched ? null : planned.note),
    campaignId: n.campaign_id,
  };
}

export async function ballotView(hub: Hub, b: BallotRow, db: Queryable = hub.db): Promise<BallotView> {
  const agreements = (await db.query(`SELECT a.code, a.name FROM ballot_agreements ba JOIN agreements a ON a.id = ba.agreement_id
    WHERE ba.ballot_id = $1 ORDER BY a.code`, [b.id])).rows as { code: string; name: string }[];
  const notes = (await db.query<NotificationRow>(`SELECT * FROM ballot_notifications WHERE ballot_id = $1
    ORDER BY due_at, id`, [b.id])).rows;
  const exports = (await db.query(`SELECT count(*)::int AS n FROM ballot_roll_exports WHERE ballot_id = $1`, [b.id])).rows[0].n as number;
  let fingerprint: string | null = null;
  if (b.provider_public_key) fingerprint = (await readProviderKey(b.provider_public_key, 'providerPublicKey')).fingerprint;
  return {
    id: b.id,
    title: b.title,
    state: b.state,
    agreements,
    opensAt: osloIso(b.opens_at)!,
    closesAt: osloIso(b.closes_at)!,
    eligibility: b.eligibility,
    votingUrl: b.voting_url,
    votingUrlTemplate: b.voting_url_template,
    reminders: b.reminder_offsets,
    channels: b.channels,
    providerKeyFingerprint: fingerprint,
    result: b.result_text ? { text: b.result_text, addedAt: osloIso(b.result_added_at) } : null,
    roll: { cutoffAt: osloIso(b.roll_cutoff_at), frozenAt: osloIso(b.roll_frozen_at), size: b.roll_size, erasedAt: osloIso(b.roll_erased_at), exports },
    notifications: notes.map((n) => notificationView(hub, b, n)),
    createdAt: osloIso(b.created_at)!,
  };
}

export async function getBallot(hub: Hub, id: number): Promise<BallotView> {
  return ballotView(hub, await loadBallot(hub.db, id));
}

export async function listBallots(hub: Hub, q: { state?: BallotState; limit: number; offset: number }): Promise<{ total: number; ballots: BallotView[] }> {
  const params: unknown[] = [q.state ?? null];
  const total = (await hub.db.one(`SELECT count(*)::int AS n FROM ballots WHERE $1::text IS NULL OR state = $1`, params))!.n as number;
  const rows = await hub.db.many<BallotRow>(`SELECT * FROM ballots WHERE $1::text IS NULL OR state = $1
    ORDER BY opens_at DESC, id DESC LIMIT $2 OFFSET $3`, [q.state ?? null, q.limit, q.offset]);
  const ballots: BallotView[] = [];
  for (const r of rows) ballots.push(await ballotView(hub, r));
  return { total, ballots };
}

export interface CreateBallotInput {
  title: string;
  agreements: string[];
  opensAt: Date;
  closesAt: Date;
  eligibility?: EligibilityRule;
  votingUrl?: string;
  votingUrlTemplate?: string;
  reminders?: string[];
  channels?: Channel[];
  providerPublicKey?: string;
}

async function checkReferences(db: Queryable, agreements: string[] | undefined, rule: EligibilityRule | undefined): Promise<number[]> {
  const errors: FieldError[] = [];
  let ids: number[] = [];
  if (agreements) {
    const rows = (await db.query(`SELECT id, code FROM agreements WHERE code = ANY($1::text[])`, [agreements])).rows;
    const byCode = new Map(rows.map((r) => [r.code as string, r.id as number]));
    agreements.forEach((code, i) => { if (!byCode.has(code)) errors.push({ field: `body.agreements.${i}`, message: `fant ingen tariffavtale med koden ${code}` }); });
    ids = agreements.map((c) => byCode.get(c)!).filter((x) => x !== undefined);
  }
  for (const [key, table] of [['employerOrgNumbers', 'employers'], ['workplaceOrgNumbers', 'workplaces']] as const) {
    const list = rule?.[key];
    if (!list?.length) continue;
    const found = new Set((await db.query(`SELECT org_number FROM ${table} WHERE org_number = ANY($1::text[])`, [list])).rows.map((r) => r.org_number as string));
    list.forEach((o, i) => { if (!found.has(o)) errors.push({ field: `body.eligibility.${key}.${i}`, message: `fant ${table === 'employers' ? 'ingen arbeidsgiver' : 'ikke noe arbeidssted'} med organisasjonsnummer ${o}` }); });
  }
  if (errors.length) throw Problem.badRequest('Noe av det uravstemningen viser til, finnes ikke.', errors);
  return ids;
}

function checkTimes(now: Date, opensAt: Date, closesAt: Date, opts: { opensMustBeFuture: boolean }): void {
  const errors: FieldError[] = [];
  if (opts.opensMustBeFuture && opensAt.getTime() <= now.getTime()) errors.push({ field: 'body.opensAt', message: 'opensAt (åpner) må være fram i tid' });
  if (closesAt.getTime() <= opensAt.getTime()) errors.push({ field: 'body.closesAt', message: 'closesAt (stenger) må være etter opensAt (åpner)' });
  else if (closesAt.getTime() <= now.getTime()) errors.push({ field: 'body.closesAt', message: 'closesAt (stenger) må være fram i tid' });
  if (errors.length) throw Problem.badRequest('Tidspunktene for uravstemningen går ikke.', errors);
}

/** Inserts or re-times the opened and reminder rows of the plan to match the ballot's times. */
async function planNotifications(db: Queryable, b: BallotRow, now: Date, opts: { skipPassed: boolean }): Promise<void> {
  await db.query(`INSERT INTO ballot_notifications (ballot_id, kind, due_at) VALUES ($1, 'opened', $2)
    ON CONFLICT (ballot_id, kind, offset_before_close) DO UPDATE SET due_at = EXCLUDED.due_at, updated_at = now()
    WHERE ballot_notifications.state = 'pending'`, [b.id, b.opens_at]);
  for (const offset of b.reminder_offsets) {
    const due = beforeClosing(b.closes_at, offset);
    await db.query(`INSERT INTO ballot_notifications (ballot_id, kind, offset_before_close, due_at) VALUES ($1, 'reminder', $2, $3)
      ON CONFLICT (ballot_id, kind, offset_before_close) DO UPDATE SET due_at = EXCLUDED.due_at, updated_at = now()
      WHERE ballot_notifications.state = 'pending'`, [b.id, offset, due]);
  }
  // Reminders no longer asked for are withdrawn (kept, as cancelled, if they never went out).
  await db.query(`UPDATE ballot_notifications SET state = 'cancelled', reason = 'reminder removed from the ballot', updated_at = now()
    WHERE ballot_id = $1 AND kind = 'reminder' AND state = 'pending' AND NOT (offset_before_close = ANY($2::text[]))`, [b.id, b.reminder_offsets]);
  // A reminder that would fall before the opening is not sent.
  await db.query(`UPDATE ballot_notifications SET state = 'skipped', reason = 'due before the ballot opens', updated_at = now()
    WHERE ballot_id = $1 AND kind = 'reminder' AND state = 'pending' AND due_at <= $2`, [b.id, b.opens_at]);
  await db.query(`UPDATE ballot_notifications SET state = 'pending', reason = NULL, updated_at = now()
    WHERE ballot_id = $1 AND kind = 'reminder' AND state = 'skipped' AND reason = 'due before the ballot opens' AND due_at > $2
      AND offset_before_close = ANY($3::text[])`, [b.id, b.opens_at, b.reminder_offsets]);
  await db.query(`UPDATE ballot_notifications SET state = 'pending', reason = NULL, updated_at = now()
    WHERE ballot_id = $1 AND kind = 'reminder' AND state = 'cancelled' AND reason = 'reminder removed from the ballot'
      AND offset_before_close = ANY($2::text[])`, [b.id, b.reminder_offsets]);
  if (opts.skipPassed) {
    // Moving the times must not fire a reminder at once whose new time has already passed.
    await db.query(`UPDATE ballot_notifications SET state = 'skipped', reason = 'its new time had passed when the ballot was moved', updated_at = now()
      WHERE ballot_id = $1 AND kind = 'reminder' AND state = 'pending' AND due_at <= $2`, [b.id, now]);
  }
}

export async function createBallot(hub: Hub, staff: Staff | null, input: CreateBallotInput): Promise<number> {
  const now = hub.clock.now();
  checkTimes(now, input.opensAt, input.closesAt, { opensMustBeFuture: true });
  if (input.providerPublicKey) await readProviderKey(input.providerPublicKey, 'body.providerPublicKey');
  return hub.db.tx(async (c) => {
    const agreementIds = await checkReferences(c, input.agreements, input.eligibility);
    const b = (await c.query<BallotRow>(`INSERT INTO ballots (title, opens_at, closes_at, eligibility, voting_url, voting_url_template,
        reminder_offsets, channels, provider_public_key, created_by, created_at, updated_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *`,
    [input.title, input.opensAt, input.closesAt, JSON.stringify(input.eligibility ?? {}), input.votingUrl ?? null, input.votingUrlTemplate ?? null,
      input.reminders ?? hub.config.ballotReminderOffsets, input.channels ?? ['email', 'sms', 'letter'], input.providerPublicKey ?? null,
      staff?.id ?? null, now])).rows[0];
    await c.query(`INSERT INTO ballot_agreements (ballot_id, agreement_id) SELECT $1, unnest($2::bigint[])`, [b.id, agreementIds]);
    await planNotifications(c, b, now, { skipPassed: false });
    return b.id;
  });
}

export interface UpdateBallotInput {
  title?: string;
  opensAt?: Date;
  closesAt?: Date;
  reminders?: string[];
  providerPublicKey?: string | null;
}

/**
 * Changes a ballot's title, times, reminders or provider key. Times may move while the ballot is
 * a draft; once open only the closing time (and reminders) may move. Pending notifications are
 * re-timed here; the caller re-syncs the queue afterwards.
 */
export async function updateBallot(hub: Hub, _staff: Staff | null, id: number, input: UpdateBallotInput): Promise<void> {
  const now = hub.clock.now();
  if (input.providerPublicKey) await readProviderKey(input.providerPublicKey, 'body.providerPublicKey');
  await hub.db.tx(async (c) => {
    const b = await loadBallot(c, id, { forUpdate: true });
    if (b.state === 'closed' || b.state === 'cancelled') throw Problem.conflict(`Uravstemningen er ${labelOf('ballotState', b.state).toLowerCase()}; den kan ikke endres lenger.`, { state: b.state });
    const timesChange = input.opensAt !== undefined || input.closesAt !== undefined || input.reminders !== undefined;
    if (b.state === 'open' && input.opensAt !== undefined && input.opensAt.getTime() !== b.opens_at.getTime()) {
      throw Problem.conflict('Uravstemningen er allerede åpen; bare tidspunktet den stenger, kan flyttes.', { state: b.state });
    }
    const opensAt = input.opensAt ?? b.opens_at;
    const closesAt = input.closesAt ?? b.closes_at;
    if (timesChange) checkTimes(now, opensAt, closesAt, { opensMustBeFuture: b.state === 'draft' && input.opensAt !== undefined });
    const updated = (await c.query<BallotRow>(`UPDATE ballots SET title = $2, opens_at = $3, closes_at = $4, reminder_offsets = $5,
        provider_public_key = $6, updated_at = $7 WHERE id = $1 RETURNING *`,
    [id, input.title ?? b.title, opensAt, closesAt, input.reminders ?? b.reminder_offsets,
      input.providerPublicKey === undefined ? b.provider_public_key : input.providerPublicKey, now])).rows[0];
    if (timesChange) await planNotifications(c, updated, now, { skipPassed: true });
  });
}

/** Adds (or, until it has gone out, corrects) the result of a closed ballot, and plans its notification now. */
export async function addResult(hub: Hub, _staff: Staff | null, id: number, text: string): Promise<void> {
  const now = hub.clock.now();
  await hub.db.tx(async (c) => {
    const b = await loadBallot(c, id, { forUpdate: true });
    if (b.state !== 'closed') throw Problem.conflict(`Resultatet kan legges inn først når uravstemningen er stengt; nå er den ${labelOf('ballotState', b.state).toLowerCase()}.`, { state: b.state });
    const sent = await c.query(`SELECT 1 FROM ballot_notifications WHERE ballot_id = $1 AND kind = 'result' AND state IN ('launching', 'launched')`, [id]);
    if (sent.rowCount) throw Problem.conflict('Resultatet er allerede sendt til medlemmene.');
    await c.query(`UPDATE ballots SET result_text = $2, result_added_at = $3, updated_at = $3 WHERE id = $1`, [id, text, now]);
    await c.query(`INSERT INTO ballot_notifications (ballot_id, kind, due_at) VALUES ($1, 'result', $2)
      ON CONFLICT (ballot_id, kind, offset_before_close) DO UPDATE SET due_at = EXCLUDED.due_at, state = 'pending', reason = NULL, updated_at = now()`, [id, now]);
  });
}

/** Cancels a draft or open ballot and every notification that has not gone out. Returns campaigns to stop. */
export async function cancelBallot(hub: Hub, _staff: Staff | null, id: number): Promise<number[]> {
  const now = hub.clock.now();
  return hub.db.tx(async (c) => {
    const b = await loadBallot(c, id, { forUpdate: true });
    if (b.state !== 'draft' && b.state !== 'open') throw Problem.conflict(`En uravstemning som er ${labelOf('ballotState', b.state).toLowerCase()}, kan ikke avlyses.`, { state: b.state });
    await c.query(`UPDATE ballots SET state = 'cancelled', cancelled_at = $2, updated_at = $2 WHERE id = $1`, [id, now]);
    await c.query(`UPDATE ballot_notifications SET state = 'cancelled', reason = 'ballot cancelled', updated_at = now()
      WHERE ballot_id = $1 AND state = 'pending'`, [id]);
    const running = await c.query(`SELECT campaign_id FROM ballot_notifications WHERE ballot_id = $1 AND campaign_id IS NOT NULL
      AND state IN ('launching', 'launched')`, [id]);
    return running.rows.map((r) => r.campaign_id as number);
  });
}
