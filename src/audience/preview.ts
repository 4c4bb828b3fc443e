import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { Problem } from '../errors';
import { decisionJoinSql, preferenceJoinSql, categoryFacts, CHANNELS, type CategoryFacts, type Channel, type UnreachableReason } from '../consent';
import { memberScopeSql } from '../members';
import { audienceSql, validateAudience, type AudienceFilter } from './filter';
import { getSavedAudience } from './saved';
import { chooseChannelSql } from './channel';
import { boundedTx, setLocal, QUERY_CANCELED, type Queryable } from '../db';

function previewCut(err: any, bounds: { timeoutMs?: number; signal?: AbortSignal }): never {
  if (err?.code !== QUERY_CANCELED) throw err;
  if (bounds.signal?.aborted) throw new Problem(499, 'Client Closed Request', 'Forbindelsen ble brutt; forhåndsvisningen ble avbrutt.');
  throw new Problem(503, 'Service Unavailable', `Forhåndsvisningen tok lengre tid enn grensen på ${bounds.timeoutMs} ms (PREVIEW_STATEMENT_TIMEOUT_MS) og ble stoppet; snevre inn filteret eller prøv igjen.`,
    { extra: { limit: 'PREVIEW_STATEMENT_TIMEOUT_MS', max: bounds.timeoutMs } });
}

export interface PreviewInput {
  /** Message category code (message_categories.code). */
  category: string;
  /** Channels in the campaign's order: 1–3, unique. */
  channels: Channel[];
  /** The filter, or the id of a saved audience (exactly one). */
  audience?: AudienceFilter | unknown;
  audienceId?: number;
}

export interface PreviewSample {
  memberNumber: string;
  firstName: string;
  lastName: string;
  municipality: string | null;
  channel: Channel | null;
}

export interface PreviewResult {
  /** Members matching the filter (within the caller's scope). */
  total: number;
  /** Members whose chosen channel is ch: their preferred channel when offered and allowed, else the first allowed in order. */
  byChannel: Partial<Record<Channel, number>>;
  /** Members the decision allows on ch at all. */
  reachableOn: Partial<Record<Channel, number>>;
  /** Members reachable on none of the channels. */
  unreachable: number;
  /** For the unreachable: the reason on the first channel (consent decision reason codes). */
  unreachableReasons: Partial<Record<UnreachableReason, number>>;
  /** The first 20 members by id, with their chosen channel (null: unreachable). */
  sample: PreviewSample[];
}

export const SAMPLE_SIZE = 20;

/**
 * The campaign preview in ONE statement and one pass over the audience, computed in the parallel
 * workers. The audience (confined to a representative's scope in SQL) is joined to the consent
 * decision in its join form (`decisionJoinSql`: LEFT JOINs on unique keys to the category row and
 * the member's suppression and consent_state rows, so the lookups are hash joins and the rules
 * plain expressions), and each member is reduced to the few facts the counts need: the preferred
 * channel, the decision's reason on the first channel (NULL = reachable) and a flag per other
 * channel. Those facts are GROUPED in the same pass: the workers each aggregate their share
 * (a partial aggregate below the Gather) and the leader merges a handful of groups, from which
 * every count is summed; nothing per member is materialised or read twice (the earlier form kept
 * a CTE of the whole audience and counted it in the leader, serially: ~0.2× the floor).
 * The sample is a second, bounded statement in the same REPEATABLE READ transaction (same
 * snapshot): the first 20 members of the audience by id, decided by the same joins over those 20
 * rows only.
 * The chosen channel is the member's preferred one when offered and allowed, else the first allowed
 * one in `channels` order: what the launch snapshot does (`chooseChannelSql`, over the groups).
 *
 * `fieldPrefix` names fields in errors ('body.' from the HTTP route).
 */
export async function previewAudience(hub: Pick<Hub, 'db'>, staff: Staff | null, input: PreviewInput, fieldPrefix = '',
  bounds: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<PreviewResult> {
  const channels = input.channels;
  if (!Array.isArray(channels) || channels.length < 1 || channels.length > 3 || new Set(channels).size !== channels.length
    || channels.some((c) => !CHANNELS.includes(c))) {
    throw Problem.badRequest('Ugyldige kanaler.', [{ field: `${fieldPrefix}channels`, message: 'Kanaler: velg 1–3 forskjellige av e-post, SMS og brev' }]);
  }
  const cat = await hub.db.one('SELECT code FROM message_categories WHERE code = $1', [input.category]);
  if (!cat) throw Problem.badRequest('Ukjent meldingskategori.', [{ field: `${fieldPrefix}category`, message: `Meldingskategori: ukjent kategori ${JSON.stringify(input.category)}` }]);

  let filter: AudienceFilter;
  if (input.audienceId !== undefined && input.audienceId !== null) {
    const saved = await getSavedAudience(hub, staff, input.audienceId, 'preview');
    filter = validateAudience(saved.filter, `${fieldPrefix}audienceId`);
  } else {
    filter = validateAudience(input.audience, `${fieldPrefix}audience`);
  }

  // The SQL is built over the category's facts as read in the query's own snapshot (see below).
  const build = (category: CategoryFacts | null) => {
    const params: unknown[] = [input.category];
    const catP = '$1::text';
    const where = audienceSql(filter, 'm', params);
    const scope = memberScopeSql(staff, 'm', params);
    const dj = decisionJoinSql('m', catP, channels, {}, category);
    // Per member: the first channel's reason (NULL = reachable on it) and a flag for each other one.
    const first = channels[0];
    const rest = channels.slice(1);
    const flags = rest.map((ch) => `, ${dj.reachable(ch)} AS c_${ch}`).join('');
    const groupBy = ['1', '2', ...rest.map((_, i) => String(i + 3))].join(', ');
    const allowed = (ch: Channel) => (ch === first ? '(f.reason IS NULL)' : `f.c_${ch}`);
    // As the launch chooses (the one rule, ./channel.ts), over the facts computed once per member.
    const chosen = chooseChannelSql(channels, { preferred: 'f.pref', allowed });
    const none = channels.map((ch) => `NOT ${allowed(ch)}`).join(' AND ');
    const sum = (cond: string) => `coalesce(sum(f.n) FILTER (WHERE ${cond}), 0)::int`;
    const counts = channels.map((ch) => `${sum(`(${chosen}) = '${ch}'`)} AS by_${ch}, ${sum(allowed(ch))} AS on_${ch}`).join(',\n       ');
    // The sample's chosen channel: the same rule over the decision of those 20 rows.
    const sampleChosen = chooseChannelSql(channels, { preferred: 'mp.channel', allowed: (ch) => dj.reachable(ch) });
    // The audience as a subquery: with many joins (> from_collapse_limit) the planner keeps it a
    // unit, so the decision's joins run over the audience, not over the members before its filter.
    const audience = `(SELECT m.* FROM members m WHERE ${where} AND ${scope})`;

    const sql = `
  WITH aud AS MATERIALIZED (
    SELECT mp.channel AS pref, ${dj.reason(first)} AS reason${flags}, count(*) AS n
      FROM ${audience} m
      ${preferenceJoinSql('m', 'mp')}
      ${dj.joins}
     GROUP BY ${groupBy}
  )
  SELECT coalesce(sum(f.n), 0)::int AS total,
         ${counts},
         ${sum(none)} AS unreachable,
         (SELECT coalesce(json_object_agg(x.reason, x.n ORDER BY x.reason), '{}'::json) FROM (
            SELECT f.reason, sum(f.n)::int AS n FROM aud f WHERE ${none} GROUP BY 1) x) AS reasons
    FROM aud f`;
    // The sample: the first 20 members of the audience by id, decided by the same joins over
    // those 20 rows only. A statement of its own in the same REPEATABLE READ transaction (the same
    // snapshot as the counts): as a subquery of the counts' statement it added its joins to that
    // statement's planning, ~1 % of the preview (bench/RESULTS.md, eighth session).
    const sampleSql = `
  SELECT coalesce(json_agg(json_build_object(
           'memberNumber', s.member_number, 'firstName', s.first_name, 'lastName', s.last_name,
           'municipality', s.municipality, 'channel', s.channel) ORDER BY s.id), '[]'::json) AS sample
    FROM (SELECT m.id, m.member_number, m.first_name, m.last_name, mu.name AS municipality, ${sampleChosen} AS channel
            FROM (SELECT * FROM ${audience} m ORDER BY m.id LIMIT ${SAMPLE_SIZE}) m
            ${preferenceJoinSql('m', 'mp')}
            ${dj.joins}
            LEFT JOIN municipalities mu ON mu.number = m.municipality_number) s`;
    return { sql, sampleSql, params };
  };
  // (JIT is off on the hub's connections: it would cost ~50 ms of a query that needs less.)
  // join_collapse_limit = 1: the joins run in the order written (the audience first, then each of
  // the decision's LEFT JOINs over it), which is the plan the planner finds anyway; searching the
  // orders of ~16 join items cost more planning time (tens of ms at a million members, under
  // load) than the bare count's whole execution share. Local to the statement's transaction.
  // REPEATABLE READ: the category's facts and the preview see one snapshot, so the SQL built from
  // them is exactly the decision at that instant (decisionJoinSql's `category`).
  const settings = { join_collapse_limit: '1' };
  const run = async (q: Queryable): Promise<Record<string, any>> => {
    const { sql, sampleSql, params } = build(await categoryFacts(q, input.category));
    const counts: Record<string, any> = (await q.query(sql, params)).rows[0];
    return { ...counts, sample: (await q.query(sampleSql, params)).rows[0].sample };
  };
  // Bounded: a statement timeout of its own, cancelled on the server when the client goes away.
  const r = bounds.timeoutMs
    ? await boundedTx(hub.db, run, { timeoutMs: bounds.timeoutMs, signal: bounds.signal, settings, begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' })
      .catch((err) => previewCut(err, bounds))
    : await hub.db.tx(async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      await setLocal(c, settings);
      return run(c);
    });
  const byChannel: Partial<Record<Channel, number>> = {};
  const reachableOn: Partial<Record<Channel, number>> = {};
  for (const ch of channels) { byChannel[ch] = r[`by_${ch}`]; reachableOn[ch] = r[`on_${ch}`]; }
  const reasons: Partial<Record<UnreachableReason, number>> = {};
  for (const [k, v] of Object.entries(r.reasons ?? {})) if (k !== 'null') reasons[k as UnreachableReason] = Number(v);
  return { total: r.total, byChannel, reachableOn, unreachable: r.unreachable, unreachableReasons: reasons, sample: r.sample };
}
