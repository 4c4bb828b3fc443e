import { prepared, type Queryable } from '../db';

/**
 * THE consent decision: may member M be sent category C on channel X?
 *
 * True only when all of these hold:
 *  1. C exists and allows X (message_categories.channels);
 *  2. M is reachable at all: status 'active' — or, when the caller passes `includeResigned`,
 *     a resigned member for category `service` only (the confirmation of resignation);
 *  3. M has an address for X: email (non-blank) for email, phone for sms, street + postcode for letter;
 *  4. that address is not actively suppressed (suppressions.lifted_at IS NULL; emails compared
 *     lower-cased and trimmed; letters are never suppressed);
 *  5. C cannot be declined, OR M's consent_state for (C, X) is granted, OR M has no row for
 *     (C, X) and C is on by default. A withdrawn row on a category that has since become
 *     non-declinable does not count (non-declinable means "always").
 *
 * Three forms, proven to agree by test/consent-decision.test.ts over a generated population:
 *  - `reachableSql` / `unreachableReasonSql`: SQL text for set-based queries (snapshot, ballots);
 *  - `decisionJoinSql`: the same rules over LEFT JOINed facts (the category row, the member's
 *    suppression and consent_state row per channel), for a query that reads its audience once
 *    and wants the decision computed in the parallel workers (the audience preview);
 *  - `decideBatch`: one query for the raw facts of up to 1000 members, then `decideFacts` in
 *    TypeScript — deliberately a separate code path from the SQL form.
 * The reason codes, in the order they are checked: channel_not_allowed, inactive, no_address,
 * suppressed, opted_out, no_consent (a category off by default with no grant). decideBatch adds
 * unknown_member for an id that is not (or no longer) in the register.
 */
export type Channel = 'email' | 'sms' | 'letter';
export const CHANNELS: Channel[] = ['email', 'sms', 'letter'];

export type UnreachableReason =
  | 'channel_not_allowed' | 'inactive' | 'no_address' | 'suppressed' | 'opted_out' | 'no_consent' | 'unknown_member';

export interface DecisionOptions {
  /**
   * Allow resigned members for category `service` (confirmation of resignation, final dues
   * invoice). Off by default: resigned members are otherwise never reachable.
   */
  includeResigned?: boolean;
}

export interface Decision {
  allowed: boolean;
  reason: UnreachableReason | null;
  /** The address the message would go to (email as stored, E.164 phone, "street\npostcode place"), null when none. */
  address: string | null;
}

function assertChannel(channel: string): asserts channel is Channel {
  if (!CHANNELS.includes(channel as Channel)) throw new Error(`unknown channel ${channel}`);
}

function assertIdent(s: string, what: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) throw new Error(`${what} must be a plain SQL identifier: ${s}`);
}

function assertCategoryExpr(s: string): void {
  if (!/^(\$\d+(::text)?|[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*)$/.test(s)) {
    throw new Error(`categoryParam must be a placeholder like $2 or a column like c.code: ${s}`);
  }
}

/** The six rules as SQL conditions, each true (never NULL) when that rule is satisfied. */
interface Parts { channelAllowed: string; active: string; hasAddress: string; notSuppressed: string; notOptedOut: string; consented: string }

/** Rules 2 and 3 read only the member row: the same text in both SQL forms. */
function memberParts(m: string, c: string, channel: Channel, opts: DecisionOptions): Pick<Parts, 'active' | 'hasAddress'> {
  const active = opts.includeResigned
    ? `(${m}.status = 'active' OR (${m}.status = 'resigned' AND ${c} = 'service'))`
    : `${m}.status = 'active'`;
  return { active, hasAddress: hasAddressSql(m, channel) };
}

/** Rule 3 as an SQL boolean over the member row `m` (never NULL): M has an address for the channel. */
export function hasAddressSql(m: string, channel: Channel): string {
  // members.email_key is lower(btrim(email)) (migration 212): non-empty exactly when the trimmed email is.
  return channel === 'email' ? `(${m}.email_key IS NOT NULL AND ${m}.email_key <> '')`
    : channel === 'sms' ? `${m}.phone IS NOT NULL`
      : `(${m}.street IS NOT NULL AND btrim(${m}.street) <> '' AND ${m}.postcode IS NOT NULL)`;
}

/**
 * The address a suppression row matches, as an SQL expression over the member row (null for
 * letters: never suppressed). For email the stored key, lower(btrim(email)) (migration 212): a
 * plain column instead of two string functions per member in a set-based decision.
 */
export function suppressionKey(m: string, channel: Channel): string | null {
  return channel === 'email' ? `${m}.email_key` : channel === 'sms' ? `${m}.phone` : null;
}

/** The parts of the decision as correlated EXISTS / NOT EXISTS conditions (the set form). */
function parts(m: string, cat: string, channel: Channel, opts: DecisionOptions): Parts {
  assertIdent(m, 'memberAlias');
  assertCategoryExpr(cat);
  assertChannel(channel);
  const c = `(${cat})::text`;
  const { active, hasAddress } = memberParts(m, c, channel, opts);
  const channelAllowed = `EXISTS (SELECT 1 FROM message_categories mc_a WHERE mc_a.code = ${c} AND '${channel}' = ANY (mc_a.channels))`;
  const key = suppressionKey(m, channel);
  const notSuppressed = key === null ? 'TRUE'
    : `NOT EXISTS (SELECT 1 FROM suppressions sp WHERE sp.channel = '${channel}' AND sp.address = ${key} AND sp.lifted_at IS NULL)`;
  // Declined: an explicit withdrawal on a category that can be declined.
  const notOptedOut = `NOT EXISTS (SELECT 1 FROM consent_state cs_o JOIN message_categories mc_o ON mc_o.code = cs_o.category
      WHERE cs_o.member_id = ${m}.id AND cs_o.category = ${c} AND cs_o.channel = '${channel}' AND NOT cs_o.granted AND mc_o.declinable)`;
  // Needs no grant (cannot be declined, or on by default), or has one.
  const consented = `(EXISTS (SELECT 1 FROM message_categories mc_d WHERE mc_d.code = ${c} AND (mc_d.default_on OR NOT mc_d.declinable))
      OR EXISTS (SELECT 1 FROM consent_state cs_g WHERE cs_g.member_id = ${m}.id AND cs_g.category = ${c} AND cs_g.channel = '${channel}' AND cs_g.granted))`;
  return { active, channelAllowed, hasAddress, notSuppressed, notOptedOut, consented };
}

const allOf = (p: Parts) =>
  `(${p.channelAllowed} AND ${p.active} AND ${p.hasAddress} AND ${p.notSuppressed} AND ${p.notOptedOut} AND ${p.consented})`;

/** NULL when every rule holds, else the first failing one's reason code (the order of the module comment). */
const firstFailing = (p: Parts) => `(CASE
    WHEN NOT ${p.channelAllowed} THEN 'channel_not_allowed'
    WHEN NOT ${p.active} THEN 'inactive'
    WHEN NOT ${p.hasAddress} THEN 'no_address'
    WHEN NOT ${p.notSuppressed} THEN 'suppressed'
    WHEN NOT ${p.notOptedOut} THEN 'opted_out'
    WHEN NOT ${p.consented} THEN 'no_consent'
    ELSE NULL END)`;

/**
 * SQL boolean: member `memberAlias` may be sent the category in `categoryParam` (a placeholder
 * such as `$2`, or a column such as `c.code`) on `channel`. A conjunction of EXISTS / NOT EXISTS
 * so that, at the top level of a WHERE, PostgreSQL plans it as semi/anti joins (hash joins over
 * a million members in one pass).
 */
export function reachableSql(memberAlias: string, categoryParam: string, channel: Channel, opts: DecisionOptions = {}): string {
  return allOf(parts(memberAlias, categoryParam, channel, opts));
}

/** SQL text expression: NULL when reachable, else the first failing reason (see the module comment). */
export function unreachableReasonSql(memberAlias: string, categoryParam: string, channel: Channel, opts: DecisionOptions = {}): string {
  return firstFailing(parts(memberAlias, categoryParam, channel, opts));
}

/** The decision in join form (`decisionJoinSql`). */
export interface DecisionJoin {
  /**
   * LEFT JOINs to write right after the FROM item `memberAlias` (a `members` row): per channel
   * the member's active suppression, withdrawal and grant. Each is on a unique key
   * (suppressions_active, consent_state's primary key), so none adds a row: the query keeps one
   * row per member.
   */
  joins: string;
  /** SQL boolean over the joined rows: exactly `reachableSql` for this channel. */
  reachable: (channel: Channel) => string;
  /** SQL text over the joined rows: exactly `unreachableReasonSql` for this channel. */
  reason: (channel: Channel) => string;
}

/**
 * The same decision over LEFT JOINed facts instead of correlated subqueries, for `channels`.
 * Why a third form: in a select list the EXISTS form becomes hashed SubPlans, which PostgreSQL
 * evaluates above the Gather, serially in the leader; as joins on unique keys the lookups are
 * hash joins and the rules plain expressions, computed in the parallel workers. The category's
 * facts stay uncorrelated EXISTS (InitPlans: evaluated once, passed to the workers), and they
 * gate the consent joins: a withdrawal is read only for a declinable category, a grant only for
 * a category that needs one, so the other join's scan does not run at all.
 *
 * `category`: the category's row as read IN THE SAME SNAPSHOT as the query that uses this SQL
 * (`categoryFacts` in a REPEATABLE READ transaction; null = no such category). The category's
 * facts are then constants in the SQL and the joins they make irrelevant are left out (a channel
 * the category does not allow joins nothing; a category that cannot be declined joins no
 * withdrawal, one that needs no grant no grant): a LEFT JOIN costs every member of the audience
 * a pass through its node even when its side is empty. The same rules, proven equal with the
 * other forms by test/consent-decision.test.ts.
 * Aliases `dj_*` are taken. `categoryParam` as for `reachableSql`.
 */
export function decisionJoinSql(memberAlias: string, categoryParam: string, channels: readonly Channel[], opts: DecisionOptions = {},
  category?: CategoryFacts | null): DecisionJoin {
  const m = memberAlias;
  assertIdent(m, 'memberAlias');
  assertCategoryExpr(categoryParam);
  channels.forEach((ch) => assertChannel(ch));
  if (new Set(channels).size !== channels.length) throw new Error('channels must be distinct');
  const c = `(${categoryParam})::text`;
  const known = category !== undefined;
  const lit = (b: boolean) => (b ? 'TRUE' : 'FALSE');
  const isDeclinable = !!category?.declinable;
  const grantNeeded = !!category && category.declinable && !category.defaultOn;
  const allows = (ch: Channel) => !!category?.channels.includes(ch);
  const declinable = known ? lit(isDeclinable)
    : `EXISTS (SELECT 1 FROM message_categories mc_o WHERE mc_o.code = ${c} AND mc_o.declinable)`;
  const needsNoGrant = known ? lit(!grantNeeded)
    : `EXISTS (SELECT 1 FROM message_categories mc_d WHERE mc_d.code = ${c} AND (mc_d.default_on OR NOT mc_d.declinable))`;
  // Known: the facts hold only for the category they were read for, so the channel rule names it
  // (anything else is "not allowed": nobody reachable, the safe side); this also keeps the
  // category parameter referenced in every form, so its type is always known.
  const quoted = category ? `'${category.code.replace(/'/g, "''")}'` : null;
  const channelAllowed = (ch: Channel) => (!known
    ? `EXISTS (SELECT 1 FROM message_categories mc_a WHERE mc_a.code = ${c} AND '${ch}' = ANY (mc_a.channels))`
    : allows(ch) ? `coalesce(${c} = ${quoted}, FALSE)` : `(${c} IS NULL AND FALSE)`);
  // Which joins are written: all of them, gated in SQL, unless the category is known.
  const joined = (ch: Channel) => ({
    sp: suppressionKey(m, ch) !== null && (!known || allows(ch)),
    wd: !known || (allows(ch) && isDeclinable),
    gr: !known || (allows(ch) && grantNeeded),
  });
  const joins: string[] = [];
  for (const ch of channels) {
    const j = joined(ch);
    if (j.sp) joins.push(`LEFT JOIN suppressions dj_sp_${ch} ON dj_sp_${ch}.channel = '${ch}' AND dj_sp_${ch}.address = ${suppressionKey(m, ch)} AND dj_sp_${ch}.lifted_at IS NULL`);
    // The gate is inside the subquery: a pseudo-constant there stops the scan itself (One-Time Filter).
    const cs = (a: string, cond: string) => `LEFT JOIN (SELECT ${a}.member_id FROM consent_state ${a}
       WHERE ${a}.category = ${c} AND ${a}.channel = '${ch}' AND ${cond}) ${a} ON ${a}.member_id = ${m}.id`;
    if (j.wd) joins.push(cs(`dj_wd_${ch}`, known ? `NOT dj_wd_${ch}.granted` : `NOT dj_wd_${ch}.granted AND ${declinable}`));
    if (j.gr) joins.push(cs(`dj_gr_${ch}`, known ? `dj_gr_${ch}.granted` : `dj_gr_${ch}.granted AND NOT ${needsNoGrant}`));
  }
  const partsOf = (ch: Channel): Parts => {
    if (!channels.includes(ch)) throw new Error(`channel ${ch} was not joined`);
    const j = joined(ch);
    // A part whose join was left out is decided by the category alone: the channel is not allowed
    // (checked first, so the part is never what decides), or the category cannot be declined
    // (no withdrawal counts), or it needs no grant.
    return {
      ...memberParts(m, c, ch, opts),
      channelAllowed: channelAllowed(ch),
      notSuppressed: suppressionKey(m, ch) === null || !j.sp ? 'TRUE' : `dj_sp_${ch}.id IS NULL`,
      // Declined: a withdrawal (joined only when the category can be declined).
      notOptedOut: j.wd ? `dj_wd_${ch}.member_id IS NULL` : 'TRUE',
      // Needs no grant, or has one (joined only when one is needed).
      consented: j.gr ? `(${needsNoGrant} OR dj_gr_${ch}.member_id IS NOT NULL)` : 'TRUE',
    };
  };
  return { joins: joins.join('\n    '), reachable: (ch) => allOf(partsOf(ch)), reason: (ch) => firstFailing(partsOf(ch)) };
}

/**
 * The category's facts the decision reads (null: no such category), for `decisionJoinSql`'s
 * `category`. Read it in the same REPEATABLE READ transaction as the query that uses them.
 */
export async function categoryFacts(db: Queryable, code: string): Promise<CategoryFacts | null> {
  const r = (await db.query('SELECT code, declinable, default_on, channels FROM message_categories WHERE code = $1', [code])).rows[0];
  return r ? { code: r.code, declinable: r.declinable, defaultOn: r.default_on, channels: r.channels } : null;
}

/** The raw facts about one member that the decision needs (what decideBatch's query fetches). */
export interface MemberFacts {
  status: string;
  email: string | null;
  phone: string | null;
  street: string | null;
  postcode: string | null;
  place: string | null;
  /** consent_state.granted for (category, channel), null when no row. */
  choice: boolean | null;
  /** An active suppression matches the member's address on this channel. */
  suppressed: boolean;
}

export interface CategoryFacts {
  code: string;
  declinable: boolean;
  defaultOn: boolean;
  channels: string[];
}

function addressFor(f: MemberFacts, channel: Channel): string | null {
  if (channel === 'email') return f.email && f.email.trim() !== '' ? f.email.trim() : null;
  if (channel === 'sms') return f.phone ?? null;
  if (f.street && f.street.trim() !== '' && f.postcode) return `${f.street.trim()}\n${f.postcode}${f.place ? ` ${f.place}` : ''}`;
  return null;
}

/** The decision in TypeScript over fetched facts. Pure; the batch form's logic. */
export function decideFacts(category: CategoryFacts | null, channel: Channel, f: MemberFacts, opts: DecisionOptions = {}): Decision {
  const address = addressFor(f, channel);
  const no = (reason: UnreachableReason): Decision => ({ allowed: false, reason, address });
  if (!category || !category.channels.includes(channel)) return no('channel_not_allowed');
  const activeOk = f.status === 'active' || (opts.includeResigned === true && f.status === 'resigned' && category.code === 'service');
  if (!activeOk) return no('inactive');
  if (!address) return no('no_address');
  if (channel !== 'letter' && f.suppressed) return no('suppressed');
  if (category.declinable && f.choice === false) return no('opted_out');
  if (category.declinable && !category.defaultOn && f.choice !== true) return no('no_consent');
  return { allowed: true, reason: null, address };
}

/**
 * More columns of the same members, read by the decision's own statement: `select` items and
 * LEFT JOINs that may use `m` (members) and `pc` (its postcode's postal_codes row). A sender that
 * needs the members' data for the message too reads each member once (src/campaigns/open.ts).
 */
export interface ColumnsWithDecision { select: string; joins: string }

/**
 * The batch form: ONE query for up to 1000 members, used by senders just before a batch
 * leaves. Every requested id is in the result; ids not in the register get `unknown_member`.
 */
export async function decideBatch(
  db: Queryable, category: string, channel: Channel, memberIds: number[], opts: DecisionOptions = {},
): Promise<Map<number, Decision>> {
  const out = new Map<number, Decision>();
  for (const [id, d] of await decideBatchWith(db, category, channel, memberIds, opts, null)) out.set(id, d.decision);
  return out;
}

/** decideBatch, each member's row of `columns` beside their decision (null for an id not in the register). */
export async function decideBatchWith(
  db: Queryable, category: string, channel: Channel, memberIds: number[], opts: DecisionOptions, columns: ColumnsWithDecision | null,
): Promise<Map<number, { decision: Decision; row: Record<string, any> | null }>> {
  assertChannel(channel);
  if (memberIds.length > 1000) throw new Error('decideBatch takes at most 1000 members');
  const out = new Map<number, { decision: Decision; row: Record<string, any> | null }>();
  if (memberIds.length === 0) return out;
  // The category's columns come on the first row only: parsing its channel array on each of a
  // thousand rows per batch was measurable at a million recipients.
  const { rows } = await db.query(
    prepared(`SELECT ids.id AS req_id, m.id, m.status, m.email, m.phone, m.street, m.postcode, pc.place,
            cs.granted AS choice,
            (SELECT count(*) > 0 FROM suppressions s
              WHERE s.channel = $3 AND s.lifted_at IS NULL
                AND s.address = CASE $3 WHEN 'email' THEN m.email_key WHEN 'sms' THEN m.phone END) AS suppressed,
            CASE WHEN ids.ord = 1 THEN mc.code END AS c_code, CASE WHEN ids.ord = 1 THEN mc.declinable END AS c_declinable,
            CASE WHEN ids.ord = 1 THEN mc.default_on END AS c_default_on, CASE WHEN ids.ord = 1 THEN mc.channels END AS c_channels${columns ? `,
            ${columns.select}` : ''}
       FROM unnest($1::bigint[]) WITH ORDINALITY AS ids(id, ord)
       LEFT JOIN members m ON m.id = ids.id
       LEFT JOIN postal_codes pc ON pc.postcode = m.postcode
       LEFT JOIN message_categories mc ON mc.code = $2
       LEFT JOIN consent_state cs ON cs.member_id = m.id AND cs.category = $2 AND cs.channel = $3${columns ? `
       ${columns.joins}` : ''}`),
    [memberIds, category, channel],
  );
  const first = rows.find((r) => r.c_code !== null);
  const cat: CategoryFacts | null = first
    ? { code: first.c_code, declinable: first.c_declinable, defaultOn: first.c_default_on, channels: first.c_channels } : null;
  for (const r of rows) {
    const id = Number(r.req_id);
    if (r.id === null) { out.set(id, { decision: { allowed: false, reason: 'unknown_member', address: null }, row: null }); continue; }
    out.set(id, {
      decision: decideFacts(cat, channel, {
        status: r.status, email: r.email, phone: r.phone, street: r.street, postcode: r.postcode, place: r.place,
        choice: r.choice, suppressed: r.suppressed,
      }, opts),
      row: columns ? r : null,
    });
  }
  return out;
}

/**
 * SQL expression: the member's preferred channel (preference centre) or NULL. Campaign channel
 * selection should try it first when it is among the campaign's channels and `reachableSql`
 * allows it, then the campaign's own order.
 */
export function preferredChannelSql(memberAlias: string): string {
  assertIdent(memberAlias, 'memberAlias');
  return `(SELECT mcp.channel FROM member_channel_preferences mcp WHERE mcp.member_id = ${memberAlias}.id)`;
}

/**
 * The same fact in join form, beside decisionJoinSql's joins: a LEFT JOIN that makes
 * `${alias}.channel` the member's preferred channel or NULL (at most one row per member).
 */
export function preferenceJoinSql(memberAlias: string, alias: string): string {
  assertIdent(memberAlias, 'memberAlias');
  assertIdent(alias, 'alias');
  return `LEFT JOIN member_channel_preferences ${alias} ON ${alias}.member_id = ${memberAlias}.id`;
}
