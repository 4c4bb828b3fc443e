import { DateTime } from 'luxon';
import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { Problem } from '../errors';
import { labelOf } from '../vocabulary';
import { eraseBallotRoll } from '../ballots';
import { reduceSendLogRows } from '../sendlog';
import { counts, eraseMembersTx, type ErasureResult } from './erase';
import { ident, tableExists } from './schema';

/** Rows per statement: each DELETE/UPDATE is its own short transaction and locks ~1,000 rows at most. */
export const RETENTION_BATCH = 1000;
/** Members erased per transaction (each touches a dozen tables). */
export const MEMBER_BATCH = 200;
const SWEEP_LOCK = 727280;
const ZONE = 'Europe/Oslo';
/** Campaign states in which the senders may still touch the send log. */
const ACTIVE_CAMPAIGN_STATES = ['scheduled', 'running', 'paused'];

export interface RetentionCutoffs {
  /** Members who resigned on or before this date (Europe/Oslo) are erased. */
  resignedOnOrBefore: string;
  /** Send-log rows created before this are reduced to counts. */
  sendLogBefore: string;
  /** Audit rows before this are deleted. */
  auditBefore: string;
  /** Electoral rolls of ballots closed on or before this are erased. */
  ballotsClosedBefore: string;
}

export interface SweepReport {
  at: string;
  skipped?: 'another sweep is running';
  cutoffs: RetentionCutoffs;
  resignedMembersErased: number;
  /** Past the retention period but held by the register's dues_outstanding flag. */
  resignedMembersHeld: number;
  strikeCampaignsErased: number;
  strikeRecipientRowsErased: number;
  electoralRollsErased: number;
  rollEntriesDeleted: number;
  rollExportsDeleted: number;
  sendLogRowsReduced: number;
  auditRowsDeleted: number;
  ms: number;
}

export function retentionCutoffs(hub: Hub): RetentionCutoffs {
  const r = hub.config.retention;
  const now = DateTime.fromJSDate(hub.clock.now()).setZone(ZONE);
  return {
    resignedOnOrBefore: now.minus({ years: r.resignedMemberYears }).toISODate()!,
    sendLogBefore: now.minus({ months: r.sendLogMonths }).toUTC().toISO()!,
    auditBefore: now.minus({ months: r.auditMonths }).toUTC().toISO()!,
    ballotsClosedBefore: now.minus({ days: r.electoralRollDaysAfterClose }).toUTC().toISO()!,
  };
}

/**
 * The daily retention sweep. Every rule runs in batches of short transactions, so no table is
 * locked for long and a sweep interrupted half-way simply continues next time. Idempotent: a
 * second run right after the first removes nothing. Only one sweep runs at a time (advisory lock).
 */
export async function runRetentionSweep(hub: Hub): Promise<SweepReport> {
  const started = Date.now();
  const cutoffs = retentionCutoffs(hub);
  const now = hub.clock.now();
  const report: SweepReport = {
    at: now.toISOString(), cutoffs, resignedMembersErased: 0, resignedMembersHeld: 0, strikeCampaignsErased: 0,
    strikeRecipientRowsErased: 0, electoralRollsErased: 0, rollEntriesDeleted: 0, rollExportsDeleted: 0,
    sendLogRowsReduced: 0, auditRowsDeleted: 0, ms: 0,
  };
  const lock = await hub.db.pool.connect();
  try {
    const got = (await lock.query('SELECT pg_try_advisory_lock($1) AS ok', [SWEEP_LOCK])).rows[0].ok;
    if (!got) {
      report.skipped = 'another sweep is running';
      return report;
    }
    try {
      await eraseResignedMembers(hub, cutoffs, now, report);
      await eraseEndedStrikes(hub, now, report);
      await eraseElectoralRolls(hub, cutoffs, now, report);
      report.sendLogRowsReduced = await reduceSendLog(hub.db, { before: cutoffs.sendLogBefore }, now);
      report.auditRowsDeleted = await deleteOldAudit(hub, cutoffs.auditBefore);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [SWEEP_LOCK]);
    }
  } finally {
    lock.release();
  }
  report.ms = Date.now() - started;
  const { at: _at, cutoffs: _c, skipped: _s, ms: _ms, ...removed } = report;
  await audit(hub.db, { staff: null, actor: 'system:retention', action: 'retention.sweep', rowCount: Object.values(removed).reduce((a, b) => a + b, 0), detail: { ...removed, cutoffs, clock: report.at } });
  hub.log.info({ ...removed, ms: report.ms }, 'retention sweep');
  return report;
}

async function eraseResignedMembers(hub: Hub, cutoffs: RetentionCutoffs, now: Date, report: SweepReport): Promise<void> {
  const totals: ErasureResult[] = [];
  for (;;) {
    const r = await hub.db.tx(async (client) => {
      const ids = (await client.query(
        `SELECT id FROM members WHERE status = 'resigned' AND resigned_at <= $1::date AND NOT dues_outstanding
          ORDER BY resigned_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`, [cutoffs.resignedOnOrBefore, MEMBER_BATCH])).rows.map((x) => x.id as number);
      return eraseMembersTx(client, ids, now);
    });
    report.resignedMembersErased += r.members;
    if (r.members) totals.push(r);
    if (r.members < MEMBER_BATCH) break;
  }
  report.resignedMembersHeld = (await hub.db.one(
    `SELECT count(*)::int AS n FROM members WHERE status = 'resigned' AND resigned_at <= $1::date AND dues_outstanding`,
    [cutoffs.resignedOnOrBefore]))!.n;
  if (report.resignedMembersErased) {
    const sum: Record<string, number> = {};
    for (const t of totals) for (const [k, v] of Object.entries(counts(t))) sum[k] = (sum[k] ?? 0) + v;
    hub.log.info(sum, 'retention: resigned members erased');
  }
}

/**
 * Folds send-log rows into send_log_counts and deletes them, 1,000 per statement (each statement
 * its own transaction: the DELETE and the count it adds commit together, so counts stay true
 * even if the sweep stops half-way). Rows of campaigns that are still sending are left alone.
 */
export async function reduceSendLog(db: Queryable, where: { before?: string; campaignId?: number }, now: Date): Promise<number> {
  return reduceSendLogRows(db, where, { batch: RETENTION_BATCH, activeStates: ACTIVE_CAMPAIGN_STATES, now });
}

/** Audit rows older than the period, 1,000 per transaction (the only deletes the trigger allows). */
async function deleteOldAudit(hub: Hub, before: string): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await hub.db.tx(async (client) => {
      await client.query(`SET LOCAL budstikke.retention = 'on'`);
      return (await client.query(
        `DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE at < $1::timestamptz ORDER BY at LIMIT $2)`,
        [before, RETENTION_BATCH])).rowCount ?? 0;
    });
    total += n;
    if (n < RETENTION_BATCH) return total;
  }
}

async function eraseElectoralRolls(hub: Hub, cutoffs: RetentionCutoffs, now: Date, report: SweepReport): Promise<void> {
  if (!(await tableExists(hub.db, 'ballots'))) return;
  const ballots = await hub.db.many(
    `SELECT id FROM ballots WHERE roll_erased_at IS NULL AND (
        (state IN ('open', 'closed') AND closes_at <= $1::timestamptz)
     OR (state = 'cancelled' AND LEAST(COALESCE(cancelled_at, closes_at), closes_at) <= $1::timestamptz))
      ORDER BY closes_at, id`, [cutoffs.ballotsClosedBefore]);
  for (const b of ballots) {
    let entries = 0;
    for (;;) {
      const n = (await hub.db.query(
        `DELETE FROM ballot_roll_entries WHERE ballot_id = $1 AND member_id IN (
           SELECT member_id FROM ballot_roll_entries WHERE ballot_id = $1 LIMIT $2)`, [b.id, RETENTION_BATCH])).rowCount ?? 0;
      entries += n;
      if (n < RETENTION_BATCH) break;
    }
    const rest = await eraseBallotRoll(hub.db, b.id, now);
    report.rollEntriesDeleted += entries + rest.entries;
    report.rollExportsDeleted += rest.exports;
    report.electoralRollsErased++;
  }
}

/** Tables that list a campaign's recipients besides the send log (the campaigns part's, when they exist). */
async function campaignRecipientTables(db: Queryable): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name IN ('campaign_id', 'member_id')
      GROUP BY table_name HAVING count(*) = 2`);
  const notLists = new Set(['send_log', 'consent_events', 'send_log_counts', 'audit_log']);
  return rows.map((r) => r.table_name as string).filter((t) => !notLists.has(t));
}

/**
 * Erases a campaign's recipient list: its send-log rows become counts, and any other table that
 * lists the campaign's members loses those rows. Refuses while the campaign is still sending.
 */
export async function eraseCampaignRecipients(hub: Hub, campaignId: number): Promise<{ sendLogRows: number; otherRows: number }> {
  const now = hub.clock.now();
  const c = await hub.db.one('SELECT state FROM campaigns WHERE id = $1', [campaignId]);
  if (!c) throw Problem.notFound(`Fant ingen kampanje ${campaignId}.`);
  if (ACTIVE_CAMPAIGN_STATES.includes(c.state)) throw Problem.conflict(`Kampanje ${campaignId} har status «${labelOf('campaignState', c.state)}»; mottakerne slettes først når den er fullført eller avbrutt.`);
  const sendLogRows = await reduceSendLog(hub.db, { campaignId }, now);
  let otherRows = 0;
  for (const table of await campaignRecipientTables(hub.db)) {
    const t = ident(table);
    for (;;) {
      const n = (await hub.db.query(
        `DELETE FROM ${t} WHERE ctid = ANY(ARRAY(SELECT ctid FROM ${t} WHERE campaign_id = $1 LIMIT $2))`, [campaignId, RETENTION_BATCH])).rowCount ?? 0;
      otherRows += n;
      if (n < RETENTION_BATCH) break;
    }
  }
  await hub.db.query('UPDATE campaigns SET recipients_erased_at = $2 WHERE id = $1', [campaignId, now]);
  return { sendLogRows, otherRows };
}

async function eraseEndedStrikes(hub: Hub, now: Date, report: SweepReport): Promise<void> {
  const due = await hub.db.many(
    `SELECT id FROM campaigns WHERE category = 'strike' AND strike_ended_at IS NOT NULL AND strike_ended_at <= $1
        AND recipients_erased_at IS NULL AND state <> ALL($2::text[]) ORDER BY id`, [now, ACTIVE_CAMPAIGN_STATES]);
  for (const c of due) {
    const r = await eraseCampaignRecipients(hub, c.id);
    report.strikeCampaignsErased++;
    report.strikeRecipientRowsErased += r.sendLogRows + r.otherRows;
  }
}

/**
 * Staff mark a strike ended: the strike campaign's recipient list is erased now, or, while the
 * campaign is still sending, by the daily sweep once it is completed or cancelled.
 */
export async function markStrikeEnded(hub: Hub, staff: Staff, campaignId: number): Promise<{
  campaignId: number; strikeEndedAt: string; recipientsErased: boolean; sendLogRows: number; otherRows: number; pending?: string;
}> {
  const now = hub.clock.now();
  const c = await hub.db.one(
    `UPDATE campaigns SET strike_ended_at = COALESCE(strike_ended_at, $2), updated_at = now()
      WHERE id = $1 AND category = 'strike' RETURNING id, state, strike_ended_at, recipients_erased_at`, [campaignId, now]);
  if (!c) {
    const exists = await hub.db.one('SELECT category FROM campaigns WHERE id = $1', [campaignId]);
    if (!exists) throw Problem.notFound(`Fant ingen kampanje ${campaignId}.`);
    throw Problem.unprocessable('Bare en streikekampanje kan markeres som avsluttet.', [{ field: 'params.id', message: `kampanje ${campaignId} er ikke en streikekampanje` }]);
  }
  await audit(hub.db, { staff, action: 'campaign.strike_ended', detail: { campaignId, strikeEndedAt: c.strike_ended_at } });
  const out = { campaignId, strikeEndedAt: new Date(c.strike_ended_at).toISOString(), recipientsErased: c.recipients_erased_at !== null, sendLogRows: 0, otherRows: 0 };
  if (out.recipientsErased) return out;
  if (ACTIVE_CAMPAIGN_STATES.includes(c.state)) {
    return { ...out, pending: `The campaign is ${c.state}; the daily retention sweep erases its recipients once it is completed or cancelled.` };
  }
  const r = await eraseCampaignRecipients(hub, campaignId);
  hub.log.info({ campaignId, ...r }, 'strike ended: recipient list erased');
  return { ...out, recipientsErased: true, sendLogRows: r.sendLogRows, otherRows: r.otherRows };
}

/** Moved to src/sendlog (read by campaigns and privacy alike); kept here for existing callers. */
export { campaignCounts } from '../sendlog';
