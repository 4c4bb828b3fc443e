import path from 'node:path';
import type { Hub } from '../hub';
import { decideBatch, unsubscribeUrl, preferencesUrl, suppress, type Channel, type Decision } from '../consent';
import {
  renderEmailBatch, renderSms, renderLetterRun, writeAddressList, loadRecipientData, TemplateInvalid,
  type RecipientData, type MergeFields, type LetterRecipient,
} from '../render';
import { createEmailProvider, createSmsProvider, isProviderError, type EmailProvider, type SmsProvider } from '../providers';
import { ballotFieldsForCampaign } from '../ballots/notify';
import { loadCampaign, loadCategory, templateVersion, quietUntil, type Campaign, type CategoryRow } from './model';
import { fallBack, type FallbackRow } from './fallback';
import { completeIfDone } from './launch';
import { enqueueSmsMessages, type BatchJob, type SmsMessageJob } from '../../queues/campaigns';

/** Thrown to hold an SMS job until the quiet hours end (the queue delays it). */
export class QuietHours extends Error {
  constructor(readonly until: Date) { super(`SMS quiet hours until ${until.toISOString()}`); }
}

/** Reasons after which the next channel is tried: this channel cannot carry it, the member may still be reached. */
const FALL_THROUGH = new Set(['no_address', 'suppressed', 'channel_not_allowed']);

const emailProviders = new WeakMap<Hub, EmailProvider>();
const smsProviders = new WeakMap<Hub, SmsProvider>();
function emailProvider(hub: Hub): EmailProvider {
  let p = emailProviders.get(hub);
  if (!p) emailProviders.set(hub, (p = createEmailProvider(hub.config)));
  return p;
}
function smsProvider(hub: Hub): SmsProvider {
  let p = smsProviders.get(hub);
  if (!p) smsProviders.set(hub, (p = createSmsProvider(hub.config)));
  return p;
}

export interface BatchResult { sent: number; skipped: number; failed: number; idle?: string }

/** What a batch job may do with its campaign's state: send, stop (cancelled), or leave the rows for later. */
async function gate(hub: Hub, c: Campaign, job: BatchJob): Promise<'send' | 'stop' | 'hold'> {
  if (c.state === 'running' || c.state === 'completed') return 'send';
  if (c.state === 'cancelled') {
    await hub.db.query(
      `UPDATE send_log SET state = 'cancelled', reason = 'campaign_cancelled', updated_at = now()
        WHERE campaign_id = $1 AND channel = $2 AND batch_no = $3 AND state IN ('queued', 'sending')`,
      [c.id, job.channel, job.batchNo]);
    return 'stop';
  }
  return 'hold';
}

/**
 * The batch's rows still to send. A batch is one job's alone (the job id is the batch), so no row
 * is claimed: a re-run of the job after its worker died sends what is still queued, which the
 * provider may already have accepted once (at most this batch). Rows of erased members
 * (member_id NULL) are never sent.
 */
async function pending(hub: Hub, job: BatchJob): Promise<{ id: number; memberId: number }[]> {
  const { rows } = await hub.db.query(
    `SELECT s.id, s.member_id FROM send_log s
      WHERE s.campaign_id = $1 AND s.channel = $2 AND s.batch_no = $3 AND s.state IN ('queued', 'sending') AND s.member_id IS NOT NULL`,
    [job.campaignId, job.channel, job.batchNo]);
  return rows.map((r) => ({ id: r.id, memberId: r.member_id }));
}

/**
 * The consent decision again, for the whole batch in one query, just before it leaves. Members
 * who may no longer be sent are logged skipped with the reason; those this channel cannot carry
 * fall through to the campaign's next channel.
 */
async function recheck(hub: Hub, c: Campaign, channel: Channel, rows: { id: number; memberId: number }[]):
  Promise<{ allowed: { id: number; memberId: number; decision: Decision }[]; skipped: number }> {
  const decisions = await decideBatch(hub.db, c.category, channel, rows.map((r) => r.memberId), { includeResigned: c.kind === 'register_event' });
  const allowed: { id: number; memberId: number; decision: Decision }[] = [];
  const skipped: FallbackRow[] = [];
  for (const r of rows) {
    const d = decisions.get(r.memberId)!;
    if (d.allowed) allowed.push({ ...r, decision: d });
    else skipped.push({ id: r.id, memberId: r.memberId, channel, reason: d.reason ?? 'unreachable' });
  }
  if (skipped.length) {
    await hub.db.query(
      `UPDATE send_log s SET state = 'skipped', reason = v.reason, updated_at = now()
         FROM unnest($1::bigint[], $2::text[]) AS v(id, reason) WHERE s.id = v.id`,
      [skipped.map((s) => s.id), skipped.map((s) => s.reason)]);
    await fallBack(hub, c, skipped.filter((s) => FALL_THROUGH.has(s.reason)));
  }
  return { allowed, skipped: skipped.length };
}

/** The merge fields of one member in this campaign: register fields, signed links, campaign links, ballot fields. */
async function fieldsMaker(hub: Hub, c: Campaign, cat: CategoryRow, channel: Channel): Promise<(r: RecipientData) => MergeFields> {
  const ballot = c.kind === 'ballot' ? await ballotFieldsForCampaign(hub.db, c.id) : null;
  // The ballot's own transaction links the notification to the campaign as it launches it: until
  // that commits, wait (the job is retried) rather than send a ballot message without its link.
  if (c.kind === 'ballot' && !ballot) throw new Error(`campaign ${c.id}: its ballot notification is not committed yet`);
  return (r) => {
    const claims = { memberId: r.memberId, campaignId: c.id, channel, category: c.category };
    return {
      ...r.fields,
      unsubscribeUrl: cat.declinable ? unsubscribeUrl(hub.config, claims) : '',
      preferencesUrl: preferencesUrl(hub.config, claims),
      links: c.links,
      ...(ballot ? { ballot: ballot({ memberNumber: r.memberNumber, language: r.language }) } : {}),
    };
  };
}

async function markSent(hub: Hub, ids: number[], addresses: string[], providerIds: (string | null)[], at: Date): Promise<void> {
  // A webhook may have got there first (delivered before we heard 202): keep its final state.
  await hub.db.query(
    `UPDATE send_log s SET state = CASE WHEN s.state IN ('queued', 'sending') THEN 'sent' ELSE s.state END,
            sent_at = COALESCE(s.sent_at, $4), address = v.address,
            provider_message_id = COALESCE(s.provider_message_id, v.pid), updated_at = now()
       FROM unnest($1::bigint[], $2::text[], $3::text[]) AS v(id, address, pid) WHERE s.id = v.id`,
    [ids, addresses, providerIds, at]);
}

async function markFailed(hub: Hub, c: Campaign, channel: Channel, rows: { id: number; memberId: number; address?: string | null }[], reason: string): Promise<void> {
  if (!rows.length) return;
  await hub.db.query(
    `UPDATE send_log s SET state = 'failed', reason = $2, address = COALESCE(v.address, s.address), updated_at = now()
       FROM unnest($1::bigint[], $3::text[]) AS v(id, address) WHERE s.id = v.id AND s.state IN ('queued', 'sending')`,
    [rows.map((r) => r.id), reason.slice(0, 500), rows.map((r) => r.address ?? null)]);
  await fallBack(hub, c, rows.map((r) => ({ id: r.id, memberId: r.memberId, channel, reason })));
}

/** A batch ready to go: its campaign sends, and consent was re-checked for its rows; else the job's result. */
async function openBatch(hub: Hub, job: BatchJob):
  Promise<{ c: Campaign; cat: CategoryRow; allowed: { id: number; memberId: number; decision: Decision }[]; skipped: number } | BatchResult> {
  const c = await loadCampaign(hub.db, job.campaignId);
  const g = await gate(hub, c, job);
  if (g !== 'send') return { sent: 0, skipped: 0, failed: 0, idle: c.state };
  const rows = await pending(hub, job);
  if (!rows.length) { await completeIfDone(hub, c.id); return { sent: 0, skipped: 0, failed: 0 }; }
  const cat = (await loadCategory(hub.db, c.category))!;
  const { allowed, skipped } = await recheck(hub, c, job.channel, rows);
  return { c, cat, allowed, skipped };
}

/** Email: one SendGrid request per language group, up to 1000 personalizations, each member alone in their To. */
export async function sendEmailBatch(hub: Hub, job: BatchJob): Promise<BatchResult> {
  const o = await openBatch(hub, job);
  if (!('c' in o)) return o;
  const { c, cat, allowed, skipped } = o;
  let sent = 0;
  let failed = 0;
  if (allowed.length) {
    const version = await templateVersion(hub.db, c.templates.email!);
    const data = await loadRecipientData(hub.db, allowed.map((a) => a.memberId));
    const fields = await fieldsMaker(hub, c, cat, 'email');
    const rowOf = new Map(allowed.map((a) => [a.memberId, a]));
    const requests = await renderEmailBatch(hub, version, data.map((d) => {
      const f = fields(d);
      const row = rowOf.get(d.memberId)!;
      return {
        sendLogId: row.id, email: row.decision.address!, language: d.language, fields: f,
        listUnsubscribeUrl: f.unsubscribeUrl || unsubscribeUrl(hub.config, { memberId: d.memberId, campaignId: c.id, channel: 'email', category: c.category }),
      };
    }), { declinable: cat.declinable, customArgs: { campaign_id: String(c.id) }, categories: [c.category] }).catch(async (err) => {
      if (!(err instanceof TemplateInvalid)) throw err;
      await markFailed(hub, c, 'email', allowed.map((a) => ({ ...a, address: a.decision.address })), `template: ${err.message}`);
      return null;
    });
    if (!requests) { await completeIfDone(hub, c.id); return { sent: 0, skipped, failed: allowed.length }; }
    const byId = new Map(allowed.map((a) => [a.id, a]));
    // The language groups go out at once; what was accepted is logged in one UPDATE. A group
    // refused as it stands (400) fails its members; any other error is thrown for the retry,
    // after what the other groups got accepted has been logged (so the retry resends only the rest).
    const outcomes = await Promise.allSettled(requests.map((req) => emailProvider(hub).send(req.body as any)));
    const ok = { ids: [] as number[], addresses: [] as string[], pids: [] as (string | null)[] };
    let thrown: unknown;
    for (let i = 0; i < requests.length; i++) {
      const ids = requests[i].sendLogIds.map(Number);
      const members = ids.map((id) => byId.get(id)!);
      const o = outcomes[i];
      if (o.status === 'fulfilled') {
        for (let k = 0; k < ids.length; k++) { ok.ids.push(ids[k]); ok.addresses.push(members[k].decision.address!); ok.pids.push(o.value.messageId || null); }
        continue;
      }
      const err = o.reason;
      // A whole request refused as it stands (400): permanent for these members on this channel.
      if (isProviderError(err) && err.kind === 'rejected') {
        await markFailed(hub, c, 'email', members.map((m) => ({ ...m, address: m.decision.address })), `rejected: ${err.message}`);
        failed += ids.length;
      } else thrown ??= err;
    }
    if (ok.ids.length) {
      await markSent(hub, ok.ids, ok.addresses, ok.pids, hub.clock.now());
      sent += ok.ids.length;
    }
    if (thrown !== undefined) throw thrown;
  }
  await completeIfDone(hub, c.id);
  return { sent, skipped, failed };
}

/**
 * SMS, step one: re-check consent for the batch in one query, then one `sms-message` job per
 * member (the limiter counts messages). Held during quiet hours.
 */
export async function fanOutSmsBatch(hub: Hub, job: BatchJob): Promise<BatchResult> {
  const c = await loadCampaign(hub.db, job.campaignId);
  const g = await gate(hub, c, job);
  if (g !== 'send') return { sent: 0, skipped: 0, failed: 0, idle: c.state };
  const until = quietUntil(hub.config, c.category, hub.clock.now());
  if (until) throw new QuietHours(until);
  const rows = await pending(hub, job);
  if (!rows.length) { await completeIfDone(hub, c.id); return { sent: 0, skipped: 0, failed: 0 }; }
  const { allowed, skipped } = await recheck(hub, c, 'sms', rows);
  await enqueueSmsMessages(hub, c.id, allowed.map((a) => a.id));
  await completeIfDone(hub, c.id);
  return { sent: 0, skipped, failed: 0 };
}

/** SMS, step two: one message through the Messaging Service, with a status callback to the hub. */
export async function sendSmsMessage(hub: Hub, job: SmsMessageJob): Promise<{ state: string }> {
  const c = await loadCampaign(hub.db, job.campaignId);
  const { rows } = await hub.db.query(`SELECT id, member_id, state, batch_no FROM send_log WHERE id = $1`, [job.sendLogId]);
  const row = rows[0];
  if (!row || !row.member_id || !['queued', 'sending'].includes(row.state)) return { state: row?.state ?? 'gone' };
  const g = await gate(hub, c, { campaignId: c.id, channel: 'sms', batchNo: row.batch_no });
  if (g !== 'send') return { state: c.state };
  const until = quietUntil(hub.config, c.category, hub.clock.now());
  if (until) throw new QuietHours(until);
  const decision = (await decideBatch(hub.db, c.category, 'sms', [row.member_id], { includeResigned: c.kind === 'register_event' })).get(row.member_id)!;
  if (!decision.allowed) {
    await hub.db.query(`UPDATE send_log SET state = 'skipped', reason = $2, updated_at = now() WHERE id = $1 AND state IN ('queued', 'sending')`,
      [row.id, decision.reason]);
    if (FALL_THROUGH.has(decision.reason ?? '')) await fallBack(hub, c, [{ id: row.id, memberId: row.member_id, channel: 'sms', reason: decision.reason! }]);
    await completeIfDone(hub, c.id);
    return { state: 'skipped' };
  }
  const cat = (await loadCategory(hub.db, c.category))!;
  const version = await templateVersion(hub.db, c.templates.sms!);
  const [data] = await loadRecipientData(hub.db, [row.member_id]);
  const fields = (await fieldsMaker(hub, c, cat, 'sms'))(data);
  let sms: ReturnType<typeof renderSms>;
  try {
    sms = renderSms(hub, version, data.language, fields, { declinable: cat.declinable });
  } catch (err) {
    if (!(err instanceof TemplateInvalid)) throw err;
    // Too long once merged, or no SMS in the template: this member cannot get it by SMS.
    await markFailed(hub, c, 'sms', [{ id: row.id, memberId: row.member_id, address: decision.address }], `template: ${err.message}`);
    await completeIfDone(hub, c.id);
    return { state: 'failed' };
  }
  await hub.db.query(`UPDATE send_log SET state = 'sending', address = $2, updated_at = now() WHERE id = $1 AND state IN ('queued', 'sending')`, [row.id, decision.address]);
  try {
    const res = await smsProvider(hub).send({ to: decision.address!, body: sms.text, statusCallback: `${hub.config.publicBaseUrl}/webhooks/twilio/status` });
    await markSent(hub, [row.id], [decision.address!], [res.sid], hub.clock.now());
  } catch (err) {
    if (isProviderError(err) && (err.recipientPermanent || err.kind === 'rejected')) {
      if (err.kind === 'opted_out') await suppress(hub.db, { channel: 'sms', address: decision.address!, reason: 'carrier_opt_out', sourceEvent: `twilio:${err.code}` });
      if (err.kind === 'invalid_number') await suppress(hub.db, { channel: 'sms', address: decision.address!, reason: 'invalid_number', sourceEvent: `twilio:${err.code}` });
      await markFailed(hub, c, 'sms', [{ id: row.id, memberId: row.member_id, address: decision.address }], `${err.kind}${err.code ? ` ${err.code}` : ''}: ${err.message}`);
      await completeIfDone(hub, c.id);
      return { state: 'failed' };
    }
    throw err;
  }
  await completeIfDone(hub, c.id);
  return { state: 'sent' };
}

/**
 * Letters: the batch's print run (one PDF and the vendor's manifest) or, for a magazine sent as an
 * address list, the distributor's CSV; logged as sent at hand-off, when the file is complete.
 */
export async function sendLetterBatch(hub: Hub, job: BatchJob, jobId: string): Promise<BatchResult & { file?: string }> {
  const o = await openBatch(hub, job);
  if (!('c' in o)) return o;
  const { c, cat, allowed, skipped } = o;
  if (!allowed.length) { await completeIfDone(hub, c.id); return { sent: 0, skipped, failed: 0 }; }
  const data = await loadRecipientData(hub.db, allowed.map((a) => a.memberId));
  const dir = path.resolve(hub.config.letterOutputDir, `campaign-${c.id}`);
  const name = jobId.replace(/[^A-Za-z0-9_-]/g, '_');
  let file: string;
  if (c.printMode === 'address_list') {
    const r = await writeAddressList(data.map((d) => ({ memberNumber: d.memberNumber, name: d.name, addressLines: d.addressLines, postcode: d.postcode ?? '', place: d.place ?? '' })),
      path.join(dir, `${name}.csv`));
    file = r.path;
  } else {
    const version = await templateVersion(hub.db, c.templates.letter!);
    const fields = await fieldsMaker(hub, c, cat, 'letter');
    const recipients: LetterRecipient[] = data.map((d) => ({
      memberNumber: d.memberNumber, name: d.name, addressLines: d.addressLines, postcode: d.postcode ?? '', place: d.place ?? '', language: d.language, fields: fields(d),
    }));
    const run = await renderLetterRun(hub, version, recipients, dir, { name, date: hub.clock.now() });
    file = run.pdfPath;
  }
  const byMember = new Map(allowed.map((a) => [a.memberId, a]));
  const ids = data.map((d) => byMember.get(d.memberId)!.id);
  await markSent(hub, ids, data.map((d) => byMember.get(d.memberId)!.decision.address!), ids.map(() => path.basename(file)), hub.clock.now());
  await completeIfDone(hub, c.id);
  return { sent: ids.length, skipped, failed: 0, file };
}
