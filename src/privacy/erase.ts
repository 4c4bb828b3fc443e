import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { Staff } from '../auth';
import { audit } from '../audit';
import { memberIdInScope } from '../members';
import { anonymiseMembersRows } from '../sendlog';
import { Problem } from '../errors';
import { ident, memberReferences, tableExists } from './schema';

/** What one erasure removed or anonymised, per table. Counts only: nothing about the person. */
export interface ErasureResult {
  members: number;
  /** send_log rows kept for the campaign counts with member, address and provider id removed. */
  sendLogAnonymised: number;
  /** of those, rows still queued by a running campaign: cancelled (reason member_erased), never sent. */
  sendLogCancelled: number;
  consentEventsAnonymised: number;
  suppressionsDeleted: number;
  /** suppressions of an address another member still uses: kept (they protect that member). */
  suppressionsKept: number;
  auditRowsUnlinked: number;
  auditSearchesScrubbed: number;
  staffAccountsUnlinked: number;
  staffAccountsDisabled: number;
  campaignAudiencesScrubbed: number;
  /** Rows removed with the member through foreign keys: member_roles, member_agreements, consent_state, roll entries… */
  related: Record<string, number>;
}

export const ERASED_MARK = '[slettet]';

/**
 * Erases members inside the caller's transaction (call it in ONE transaction: everything about
 * the members goes, or nothing does). Sets `budstikke.erasure` for that transaction so the
 * append-only ledger and audit log may be anonymised (never deleted).
 *
 * Decisions (see the README's privacy section):
 *  - send_log rows stay with member_id, address and provider_message_id NULL (counts per
 *    campaign, channel and outcome stay true); a reason that quotes the address becomes
 *    'erased'; rows still queued become cancelled with reason member_erased, so a campaign
 *    already running sends nothing to the erased member.
 *  - consent_events stay with member_id and the free-text reason NULL (the ledger's counts stay).
 *  - suppressions of the member's addresses are deleted, unless another member still has that
 *    address: a suppression identifies the person behind the address, and once the member is
 *    gone the hub has nobody to send to there. The provider keeps its own bounce/spam lists.
 *  - audit rows stay (who did what is the staff's accountability) with member_id NULL; a member
 *    search whose text named the person has the text replaced by [slettet].
 *  - a representative's staff account linked to the member is disabled and anonymised (its
 *    tokens revoked, sessions ended); other staff accounts are only unlinked.
 *  - explicit member numbers in campaign audiences are replaced by [slettet].
 *  - everything else that references the member (roles, agreements, consent state, channel
 *    preference, electoral-roll entries, and any table added later) goes with the members row:
 *    by its foreign key's cascade, or here when the key has none.
 */
export async function eraseMembersTx(client: Queryable, memberIds: number[], at: Date): Promise<ErasureResult> {
  const result: ErasureResult = {
    members: 0, sendLogAnonymised: 0, sendLogCancelled: 0, consentEventsAnonymised: 0, suppressionsDeleted: 0,
    suppressionsKept: 0, auditRowsUnlinked: 0, auditSearchesScrubbed: 0, staffAccountsUnlinked: 0, staffAccountsDisabled: 0,
    campaignAudiencesScrubbed: 0, related: {},
  };
  if (memberIds.length === 0) return result;
  await client.query(`SET LOCAL budstikke.erasure = 'on'`);
  const { rows: people } = await client.query(
    `SELECT id, member_number, first_name, last_name, lower(btrim(email)) AS email, phone
       FROM members WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, [memberIds]);
  const ids = people.map((p) => p.id as number);
  if (ids.length === 0) return result;
  const emails = people.map((p) => p.email).filter((e): e is string => !!e);
  const phones = people.map((p) => p.phone).filter((e): e is string => !!e);
  const numbers = people.map((p) => String(p.member_number));
  // Strings that identify the people in free text (lower-cased, long enough not to hit everyone).
  const terms = [...new Set(people.flatMap((p) => [
    p.member_number, p.email, p.phone, p.last_name, `${p.first_name} ${p.last_name}`,
  ]).filter((s): s is string => typeof s === 'string').map((s) => s.trim().toLowerCase()).filter((s) => s.length >= 3))];

  // The send log: anonymised, kept for counts; queued rows never leave.
  const sl = await anonymiseMembersRows(client, ids, terms, at);
  result.sendLogAnonymised = sl.anonymised;
  result.sendLogCancelled = sl.cancelled;

  // The consent ledger: anonymised, never deleted.
  result.consentEventsAnonymised = (await client.query(
    'UPDATE consent_events SET member_id = NULL, reason = NULL WHERE member_id = ANY($1::bigint[])', [ids])).rowCount ?? 0;

  // Suppressions of their addresses (active and lifted), unless another member uses the address.
  if (emails.length || phones.length) {
    const sup = await client.query(
      `WITH mine AS (
         SELECT s.id, EXISTS (SELECT 1 FROM members m WHERE NOT (m.id = ANY($1::bigint[]))
                               AND ((s.channel = 'email' AND lower(m.email) = s.address) OR (s.channel = 'sms' AND m.phone = s.address))) AS shared
           FROM suppressions s
          WHERE (s.channel = 'email' AND s.address = ANY($2::text[])) OR (s.channel = 'sms' AND s.address = ANY($3::text[]))),
       gone AS (DELETE FROM suppressions s USING mine WHERE s.id = mine.id AND NOT mine.shared RETURNING s.id)
       SELECT (SELECT count(*) FROM gone)::int AS deleted, (SELECT count(*) FROM mine WHERE shared)::int AS kept`,
      [ids, emails, phones]);
    result.suppressionsDeleted = sup.rows[0].deleted;
    result.suppressionsKept = sup.rows[0].kept;
  }

  // The audit trail: rows kept, the link to the person dropped; searches naming them scrubbed.
  result.auditRowsUnlinked = (await client.query(
    `UPDATE audit_log SET member_id = NULL, detail = detail || '{"memberErased": true}'::jsonb WHERE member_id = ANY($1::bigint[])`,
    [ids])).rowCount ?? 0;
  // Searches are matched word by word (a hash join, so a sweep erasing hundreds at once stays
  // one pass over the searches): a search for "Nordmann" or "kari@x.no" is scrubbed; one for a
  // prefix ("Nord") is not, it names nobody.
  const words = [...new Set(people.flatMap((p) => [
    p.member_number, p.email, p.phone, p.phone ? String(p.phone).replace(/^\+47/, '') : null,
    ...String(p.first_name ?? '').split(/\s+/), ...String(p.last_name ?? '').split(/\s+/),
  ]).filter((s): s is string => typeof s === 'string').map((s) => s.trim().toLowerCase()).filter((s) => s.length >= 2))];
  if (words.length) {
    result.auditSearchesScrubbed = (await client.query(
      `UPDATE audit_log a SET detail = jsonb_set(a.detail, '{q}', to_jsonb($2::text))
         FROM (SELECT DISTINCT s.id FROM audit_log s
                 CROSS JOIN LATERAL regexp_split_to_table(lower(s.detail->>'q'), '[\\s,;]+') AS tok(word)
                 JOIN unnest($1::text[]) AS w(word) ON w.word = tok.word
                WHERE s.action = 'member.search' AND jsonb_typeof(s.detail->'q') = 'string') hit
        WHERE a.id = hit.id`,
      [words, ERASED_MARK])).rowCount ?? 0;
  }

  // Staff accounts linked to the member.
  const { rows: accounts } = await client.query(
    'SELECT id, role, lower(email) AS email FROM staff_users WHERE member_id = ANY($1::bigint[]) FOR UPDATE', [ids]);
  const reps = accounts.filter((a) => a.role === 'representative');
  if (reps.length) {
    const repIds = reps.map((a) => a.id as number);
    await client.query(
      `UPDATE staff_users SET member_id = NULL, disabled_at = COALESCE(disabled_at, $2), name = 'Slettet tillitsvalgt',
              email = 'erased-' || id || '@erased.invalid', password_hash = NULL WHERE id = ANY($1::bigint[])`, [repIds, at]);
    await client.query('UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE staff_user_id = ANY($1::bigint[])', [repIds, at]);
    if (await tableExists(client, 'web_sessions')) await client.query('DELETE FROM web_sessions WHERE staff_user_id = ANY($1::bigint[])', [repIds]);
    if (await tableExists(client, 'web_login_attempts')) {
      await client.query('DELETE FROM web_login_attempts WHERE lower(email) = ANY($1::text[])', [reps.map((a) => a.email)]);
    }
    result.staffAccountsDisabled = reps.length;
  }
  result.staffAccountsUnlinked = (await client.query(
    'UPDATE staff_users SET member_id = NULL WHERE member_id = ANY($1::bigint[])', [ids])).rowCount ?? 0;
  result.staffAccountsUnlinked += reps.length;

  // Explicit member numbers in audiences (campaigns, saved audiences).
  result.campaignAudiencesScrubbed = await scrubMemberNumbersInAudiences(client, numbers);

  // Everything else that references the member, including tables added after this was written.
  const handled = new Set(['send_log', 'consent_events', 'staff_users']);
  for (const ref of await memberReferences(client)) {
    if (handled.has(ref.table)) continue;
    const t = ident(ref.table);
    const c = ident(ref.column);
    let n: number;
    if (ref.onDelete === 'restrict') {
      n = (ref.notNull
        ? await client.query(`DELETE FROM ${t} WHERE ${c} = ANY($1::bigint[])`, [ids])
        : await client.query(`UPDATE ${t} SET ${c} = NULL WHERE ${c} = ANY($1::bigint[])`, [ids])).rowCount ?? 0;
    } else {
      n = (await client.query(`SELECT count(*)::int AS n FROM ${t} WHERE ${c} = ANY($1::bigint[])`, [ids])).rows[0].n;
    }
    if (n) result.related[ref.table] = (result.related[ref.table] ?? 0) + n;
  }

  result.members = (await client.query('DELETE FROM members WHERE id = ANY($1::bigint[])', [ids])).rowCount ?? 0;
  return result;
}

/** Audience filters may list member numbers to include or exclude; an erased number becomes [slettet]. */
async function scrubMemberNumbersInAudiences(client: Queryable, numbers: string[]): Promise<number> {
  if (!numbers.length) return 0;
  const { rows: cols } = await client.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('json', 'jsonb')
        AND (table_name = 'campaigns' OR table_name LIKE '%audience%') AND table_name NOT LIKE 'audit%'`);
  let n = 0;
  const strings = numbers.map((x) => JSON.stringify(x));
  for (const col of cols) {
    const t = ident(col.table_name);
    const c = ident(col.column_name);
    const { rows } = await client.query(
      `SELECT ctid::text AS at, ${c}::text AS v FROM ${t}
        WHERE ${c} IS NOT NULL AND EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE strpos(${c}::text, s) > 0) FOR UPDATE`, [strings]);
    for (const r of rows) {
      let v = r.v as string;
      for (const s of strings) v = v.split(s).join(JSON.stringify(ERASED_MARK));
      await client.query(`UPDATE ${t} SET ${c} = $1::${col.data_type} WHERE ctid = $2::tid`, [v, r.at]);
      n++;
    }
  }
  return n;
}

/** On request: erase one member (admin), in one transaction, audited 'member.erase'. */
export async function eraseMember(hub: Hub, staff: Staff, memberNumber: string, reason: string): Promise<ErasureResult & { memberNumber: string }> {
  const memberId = await memberIdInScope(hub.db, staff, memberNumber);
  const at = hub.clock.now();
  const result = await hub.db.tx(async (client) => {
    const r = await eraseMembersTx(client, [memberId], at);
    if (r.members === 0) throw Problem.notFound(`Fant ikke medlem ${memberNumber}.`);
    // The record that the request was carried out keeps the member number (the union must be able
    // to show when and by whom member N was erased) and nothing else about the person.
    await audit(client, { staff, action: 'member.erase', rowCount: 1, detail: { memberNumber, reason, via: 'request', ...counts(r) } });
    return r;
  });
  hub.log.info({ memberId, ...counts(result) }, 'member erased on request');
  return { memberNumber, ...result };
}

export function counts(r: ErasureResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) if (typeof v === 'number') out[k] = v;
  for (const [k, v] of Object.entries(r.related)) out[`related_${k}`] = v;
  return out;
}

/** For tests and the README: is there any trace of these strings in any text or jsonb column? */
export async function findTraces(db: Queryable, needles: string[]): Promise<{ table: string; column: string; n: number }[]> {
  const { rows: cols } = await db.query(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
      ORDER BY 1, 2`);
  const lowered = needles.filter(Boolean).map((s) => s.toLowerCase());
  const out: { table: string; column: string; n: number }[] = [];
  for (const col of cols) {
    const { rows } = await db.query(
      `SELECT count(*)::int AS n FROM ${ident(col.table_name)} WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) s WHERE strpos(lower(${ident(col.column_name)}::text), s) > 0)`,
      [lowered]);
    if (rows[0].n > 0) out.push({ table: col.table_name, column: col.column_name, n: rows[0].n });
  }
  return out;
}
