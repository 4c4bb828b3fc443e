import path from 'node:path';
import type { Hub } from '../hub';
import { decideBatch, signLinkTokens, issueLetterCodes, type Channel, type LinkToSign } from '../consent';
import {
  renderEmailBatch, renderSms, renderLetterRun, writeAddressList, loadRecipientData, recipientColumns, TemplateInvalid,
  type RecipientData, type MergeFields, type LetterRecipient, type EmailBatchRequest,
} from '../render';
import { markFailed, markSkipped, pendingRows, settleEarlierAttemptOfRow, FALL_THROUGH_REASONS } from '../sendlog';
import { ballotFieldsForCampaign } from '../ballots/notify';
import { loadCampaign, loadCategory, templateVersion, quietUntil, type Campaign, type CategoryRow } from './model';
import { runFallbacks } from './fallback';
import { completeIfDone } from './launch';
import { gate, openBatch, recheck, type BatchResult, type AllowedRow } from './open';
import { deliverTracked, emailProvider, smsProvider, withBatchLock, type TrackedRow } from './delivery';
import { enqueueSmsMessages, type BatchJob, type SmsMessageJob } from '../../queues/campaigns';

export type { BatchResult } from './open';

/** Thrown to hold an SMS job until the quiet hours end (the queue delays it). */
export class QuietHours extends Error {
  constructor(readonly until: Date) { super(`SMS quiet hours until ${until.toISOString()}`); }
}

/**
 * Personalizations per SendGrid request. SendGrid takes up to 1000; a request is the unit that
 * can be lost between SendGrid's acceptance and our mark (a killed worker, a dropped answer), so
 * its size bounds the rows left in doubt (declinable) or sent twice (mandatory) per lost answer.
 * The requests of a batch go one after the other, so a worker running C email jobs has at most
 * C × EMAIL_REQUEST_SIZE rows in flight (2 × 250 = 500 per worker process by default). 250 keeps
 * the request count at a million recipients at 4,000, which the send rate still carries
 * (bench/RESULTS.md has the figures).
 */
export const EMAIL_REQUEST_SIZE = 250;

/**
 * The merge fields of these members in this campaign: register fields, signed links, campaign
 * links, ballot fields; and each member's one-click unsubscribe URL (the List-Unsubscribe target,
 * signed for every category: in a category that cannot be declined the field stays '').
 * The members' own `fields` objects are completed in place (they are this batch's, freshly
 * loaded), and the links of the whole batch are signed in one call (`signLinkTokens`).
 */
export async function mergeFieldsFor(hub: Hub, c: Campaign, cat: CategoryRow, channel: Channel, data: RecipientData[]): Promise<{ fields: MergeFields[]; unsubscribeUrls: string[] }> {
  const ballot = c.kind === 'ballot' ? await ballotFieldsForCampaign(hub.db, c.id) : null;
  // The ballot's own transaction links the notification to the campaign as it launches it: until
  // that commits, wait (the job is retried) rather than send a ballot message without its link.
  if (c.kind === 'ballot' && !ballot) throw new Error(`campaign ${c.id}: its ballot notification is not committed yet`);
  const links: LinkToSign[] = new Array(data.length * 2);
  for (let i = 0; i < data.length; i++) {
    const claims = { memberId: data[i].memberId, campaignId: c.id, channel, category: c.category };
    links[2 * i] = { purpose: 'unsubscribe', claims };
    links[2 * i + 1] = { purpose: 'preferences', claims };
  }
  const tokens = signLinkTokens(hub.config, links);
  const base = hub.config.publicBaseUrl;
  const fields: MergeFields[] = new Array(data.length);
  const unsubscribeUrls: string[] = new Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const r = data[i];
    const f = r.fields;
    unsubscribeUrls[i] = `${base}/u/${tokens[2 * i]}`;
    f.unsubscribeUrl = cat.declinable ? unsubscribeUrls[i] : '';
    f.preferencesUrl = `${base}/p/${tokens[2 * i + 1]}`;
    f.links = c.links;
    if (ballot) f.ballot = ballot({ memberNumber: r.memberNumber, language: r.language });
    fields[i] = f;
  }
  return { fields, unsubscribeUrls };
}

/** Members this channel cannot carry (template errors): failed with the reason, fallback decided with it. */
async function failRows(hub: Hub, rows: { id: number; address?: string | null }[], reason: string): Promise<number> {
  const n = await markFailed(hub.db, rows, reason);
  if (n) await runFallbacks(hub);
  return n;
}

/** A rendered message cut into messages of at most `size` recipients (the body is shared, not copied). */
function splitRequest(req: EmailBatchRequest, size: number): EmailBatchRequest[] {
  if (req.message.recipients.length <= size) return [req];
  const out: EmailBatchRequest[] = [];
  for (let i = 0; i < req.message.recipients.length; i += size) {
    out.push({ ...req, sendLogIds: req.sendLogIds.slice(i, i + size), message: { ...req.message, recipients: req.message.recipients.slice(i, i + size) } });
  }
  return out;
}

/** Email: the batch's requests, one after the other, each member alone in their To; one run of a batch at a time. */
export function sendEmailBatch(hub: Hub, job: BatchJob): Promise<BatchResult> {
  return withBatchLock(hub, `c${job.campaignId}-email-b${job.batchNo}`, () => sendEmailBatchLocked(hub, job));
}

async function sendEmailBatchLocked(hub: Hub, job: BatchJob): Promise<BatchResult> {
  // The template's recipient columns are read with the consent re-check (one statement per batch).
  const o = await openBatch(hub, job, async (c) => recipientColumns(await templateVersion(hub.db, c.templates.email!)));
  if (!('c' in o)) return o;
  const { c, cat, allowed, skipped, inDoubt } = o;
  const result: BatchResult = { sent: 0, skipped, failed: 0, inDoubt };
  if (allowed.length) {
    const version = await templateVersion(hub.db, c.templates.email!);
    const data = allowed.map((a) => a.data!);
    const { fields, unsubscribeUrls } = await mergeFieldsFor(hub, c, cat, 'email', data);
    const rendered = await renderEmailBatch(hub, version, data.map((d, i) => {
      const row = allowed[i];
      return { sendLogId: row.id, email: row.decision.address!, language: d.language, fields: fields[i], listUnsubscribeUrl: unsubscribeUrls[i] };
    }), { declinable: cat.declinable, links: c.links, metadata: { campaign_id: String(c.id) }, categories: [c.category] }).catch(async (err) => {
      if (!(err instanceof TemplateInvalid)) throw err;
      result.failed += await failRows(hub, allowed.map((a) => ({ id: a.id, address: a.decision.address })), `template: ${err.message}`);
      return null;
    });
    if (rendered) {
      const byId = new Map<number, AllowedRow>(allowed.map((a) => [a.id, a]));
      const requests = rendered.flatMap((r) => splitRequest(r, EMAIL_REQUEST_SIZE));
      for (const req of requests) {
        let rows: TrackedRow[] = req.sendLogIds.map((id) => { const a = byId.get(Number(id))!; return { id: a.id, memberId: a.memberId, address: a.decision.address! }; });
        let message = req.message;
        // A request refused for some of its members (invalid address) goes again without them.
        for (let round = 0; rows.length && round < 3; round++) {
          const send = message;
          // A pause or cancel takes effect between requests, not only between batches: the
          // attempt's statement checks the campaign (closed: nothing written, nothing sent).
          const r = await deliverTracked(hub, { campaignId: c.id, channel: 'email', batchNo: job.batchNo }, rows, async (marked) => {
            const keep = new Set(marked.map((m) => String(m.id)));
            const m = marked.length === rows.length ? send : { ...send, recipients: send.recipients.filter((p) => keep.has(p.ref ?? '')) };
            const res = await emailProvider(hub).send(m);
            return marked.map(() => res.messageId || null);
          });
          if (r.closed) { await gate(hub, await loadCampaign(hub.db, c.id), job); return { ...result, idle: 'paused' }; }
          result.sent += r.sent;
          result.failed += r.failed;
          if (r.halted) return { ...result, halted: true };
          if (r.failed) await runFallbacks(hub);
          const again = new Set(r.retry.map((x) => String(x.id)));
          rows = r.retry;
          message = { ...send, recipients: send.recipients.filter((p) => again.has(p.ref ?? '')) };
        }
      }
    }
  }
  await completeIfDone(hub, c.id, job);
  return result;
}

/**
 * SMS, step one: re-check consent for the batch's queued rows in one query, then one
 * `sms-message` job per member (the limiter counts messages). Held during quiet hours. Rows
 * already `sending` belong to their message job (enqueued again: the job id dedupes).
 */
export async function fanOutSmsBatch(hub: Hub, job: BatchJob): Promise<BatchResult> {
  const c = await loadCampaign(hub.db, job.campaignId);
  const g = await gate(hub, c, job);
  if (g !== 'send') return { sent: 0, skipped: 0, failed: 0, idle: c.state };
  const until = quietUntil(hub.config, c.category, hub.clock.now());
  if (until) throw new QuietHours(until);
  const rows = await pendingRows(hub.db, c.id, 'sms', job.batchNo);
  if (!rows.length) { await completeIfDone(hub, c.id, job); return { sent: 0, skipped: 0, failed: 0 }; }
  const { allowed, skipped } = await recheck(hub, c, 'sms', rows.filter((r) => r.state === 'queued'));
  await enqueueSmsMessages(hub, c.id, [...allowed.map((a) => a.id), ...rows.filter((r) => r.state === 'sending').map((r) => r.id)]);
  await completeIfDone(hub, c.id, job);
  return { sent: 0, skipped, failed: 0 };
}

/** SMS, step two: one message through the Messaging Service, with a status callback to the hub. */
export async function sendSmsMessage(hub: Hub, job: SmsMessageJob): Promise<{ state: string }> {
  const c = await loadCampaign(hub.db, job.campaignId);
  const { rows } = await hub.db.query(`SELECT id, member_id, state, batch_no FROM send_log WHERE id = $1`, [job.sendLogId]);
  const row = rows[0];
  if (!row || !row.member_id || !['queued', 'sending'].includes(row.state)) return { state: row?.state ?? 'gone' };
  const g = await gate(hub, c, { channel: 'sms', batchNo: row.batch_no });
  if (g !== 'send') return { state: c.state };
  const until = quietUntil(hub.config, c.category, hub.clock.now());
  if (until) throw new QuietHours(until);
  const cat = (await loadCategory(hub.db, c.category))!;
  // Left `sending` by an earlier attempt of this job (a kill, a lost answer): in doubt.
  if (row.state === 'sending' && await settleEarlierAttemptOfRow(hub.db, row.id, cat.declinable)) {
    await completeIfDone(hub, c.id, { channel: 'sms', batchNo: row.batch_no });
    return { state: 'in_doubt' };
  }
  const decision = (await decideBatch(hub.db, c.category, 'sms', [row.member_id], { includeResigned: c.kind === 'register_event' })).get(row.member_id)!;
  if (!decision.allowed) {
    await markSkipped(hub.db, [{ id: row.id, reason: decision.reason ?? 'unreachable' }]);
    if (FALL_THROUGH_REASONS.has(decision.reason ?? '')) await runFallbacks(hub);
    await completeIfDone(hub, c.id, { channel: 'sms', batchNo: row.batch_no });
    return { state: 'skipped' };
  }
  const version = await templateVersion(hub.db, c.templates.sms!);
  const [data] = await loadRecipientData(hub.db, [row.member_id], version);
  const fields = (await mergeFieldsFor(hub, c, cat, 'sms', [data])).fields[0];
  let sms: ReturnType<typeof renderSms>;
  try {
    sms = renderSms(hub, version, data.language, fields, { declinable: cat.declinable });
  } catch (err) {
    if (!(err instanceof TemplateInvalid)) throw err;
    // Too long once merged, or no SMS in the template: this member cannot get it by SMS.
    await failRows(hub, [{ id: row.id, address: decision.address }], `template: ${err.message}`);
    await completeIfDone(hub, c.id, { channel: 'sms', batchNo: row.batch_no });
    return { state: 'failed' };
  }
  const r = await deliverTracked(hub, { campaignId: c.id, channel: 'sms', batchNo: row.batch_no }, [{ id: Number(row.id), memberId: Number(row.member_id), address: decision.address! }], async ([m]) => {
    const res = await smsProvider(hub).send({ to: m.address, body: sms.text, statusCallback: `${hub.config.publicBaseUrl}/webhooks/twilio/status?log=${m.id}` });
    return [res.sid];
  });
  if (r.halted) return { state: 'halted' };
  if (r.failed) await runFallbacks(hub);
  await completeIfDone(hub, c.id, { channel: 'sms', batchNo: row.batch_no });
  return { state: r.sent ? 'sent' : r.failed ? 'failed' : 'unchanged' };
}

/**
 * Letters: the batch's print run (one PDF and the vendor's manifest) or, for a magazine sent as an
 * address list, the distributor's CSV; logged as sent at hand-off, when the file is complete. A
 * re-run writes the same file name again (the vendor takes a run by its name), so a letter batch
 * interrupted mid-write is written again whole, never twice.
 */
export async function sendLetterBatch(hub: Hub, job: BatchJob, jobId: string): Promise<BatchResult & { file?: string }> {
  const o = await openBatch(hub, job);
  if (!('c' in o)) return o;
  const { c, cat, allowed, skipped } = o;
  if (!allowed.length) { await completeIfDone(hub, c.id, job); return { sent: 0, skipped, failed: 0 }; }
  const data = await loadRecipientData(hub.db, allowed.map((a) => a.memberId));
  const byMember = new Map(allowed.map((a) => [a.memberId, a]));
  const dir = path.resolve(hub.config.letterOutputDir, `campaign-${c.id}`);
  const name = jobId.replace(/[^A-Za-z0-9_-]/g, '_');
  let file = '';
  const rows: TrackedRow[] = data.map((d) => { const a = byMember.get(d.memberId)!; return { id: a.id, memberId: a.memberId, address: a.decision.address! }; });
  const r = await deliverTracked(hub, { campaignId: c.id, channel: 'letter', batchNo: job.batchNo }, rows, async (marked) => {
    const keep = new Set(marked.map((m) => m.memberId));
    const mine = data.filter((d) => keep.has(d.memberId));
    if (c.printMode === 'address_list') {
      file = (await writeAddressList(mine.map((d) => ({ memberNumber: d.memberNumber, name: d.name, addressLines: d.addressLines, postcode: d.postcode ?? '', place: d.place ?? '' })),
        path.join(dir, `${name}.csv`))).path;
    } else {
      const version = await templateVersion(hub.db, c.templates.letter!);
      const { fields } = await mergeFieldsFor(hub, c, cat, 'letter', mine);
      // Declinable letters print the member's personal preference code (registered here, before printing).
      const now = hub.clock.now();
      const codes = cat.declinable ? await issueLetterCodes(hub.db, hub.config, mine.map((d) => d.memberId), now) : new Map<number, { code: string; expiresAt: Date }>();
      const recipients: LetterRecipient[] = mine.map((d, i) => ({
        memberNumber: d.memberNumber, name: d.name, addressLines: d.addressLines, postcode: d.postcode ?? '', place: d.place ?? '', language: d.language, fields: fields[i],
        preferenceCode: codes.get(d.memberId) ?? null,
      }));
      file = (await renderLetterRun(hub, version, recipients, dir, { name, date: now, declinable: cat.declinable })).pdfPath;
    }
    return marked.map(() => path.basename(file));
  });
  await completeIfDone(hub, c.id, job);
  return { sent: r.sent, skipped, failed: 0, file };
}
