import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { Problem } from '../errors';
import { decisionJoinSql, CHANNELS, type Channel, type UnreachableReason } from '../consent';
import { memberScopeSql } from '../members';
import { audienceSql, validateAudience, type AudienceFilter } from './filter';
import { getSavedAudience } from './saved';
import { chooseChannelSql } from './channel';
import { boundedQuery, QUERY_CANCELED } from '../db';

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
 * The campaign preview in ONE query and one pass over the audience: a materialised CTE with one
 * row per member of the audience (confined to a representative's scope in SQL), a boolean per
 * channel that is exactly the consent decision, and the decision's reason on the first channel;
 * everything is counted from it with FILTER. The decision is its join form (`decisionJoinSql`:
 * LEFT JOINs on unique keys to the category row and the member's suppression and consent_state
 * rows), so the lookups are hash joins and the flags plain expressions, both computed in the
 * parallel workers below the Gather: the correlated EXISTS form in a select list became hashed
 * SubPlans evaluated serially in the leader above it (~35 % of the preview at a million).
 * The chosen channel is the member's preferred one when offered and allowed, else the first allowed
 * one in `channels` order: what the launch snapshot does.
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

  const params: unknown[] = [input.category];
  const catP = '$1::text';
  const where = audienceSql(filter, 'm', params);
  const scope = memberScopeSql(staff, 'm', params);
  const dj = decisionJoinSql('m', catP, channels);
  // Per member: the first channel's reason (NULL = reachable on it) and a flag for each other one.
  const first = channels[0];
  const rest = channels.slice(1);
  const flags = rest.map((ch) => `,\n         ${dj.reachable(ch)} AS c_${ch}`).join('');
  const allowed = (ch: Channel) => (ch === first ? '(f.reason IS NULL)' : `f.c_${ch}`);
  // As the launch chooses (the one rule, ./channel.ts), over the facts computed once per member.
  const chosen = chooseChannelSql(channels, { preferred: 'f.pref', allowed });
  const none = channels.map((ch) => `NOT ${allowed(ch)}`).join(' AND ');
  const counts = channels.map((ch) =>
    `count(*) FILTER (WHERE (${chosen}) = '${ch}')::int AS by_${ch}, count(*) FILTER (WHERE ${allowed(ch)})::int AS on_${ch}`).join(',\n       ');

  const sql = `
WITH aud AS MATERIALIZED (
  SELECT m.id, mp.channel AS pref,
         ${dj.reason(first)} AS reason${flags}
    -- The audience as a subquery: with many joins (> from_collapse_limit) the planner keeps it a
    -- unit, so the decision's joins run over the audience, not over the members before its filter.
    FROM (SELECT m.* FROM members m WHERE ${where} AND ${scope}) m
    LEFT JOIN member_channel_preferences mp ON mp.member_id = m.id
    ${dj.joins}
)
SELECT count(*)::int AS total,
       ${counts},
       count(*) FILTER (WHERE ${none})::int AS unreachable,
       (SELECT coalesce(json_object_agg(x.reason, x.n ORDER BY x.reason), '{}'::json) FROM (
          SELECT f.reason, count(*)::int AS n FROM aud f WHERE ${none} GROUP BY 1) x) AS reasons,
       (SELECT coalesce(json_agg(json_build_object(
                 'memberNumber', s.member_number, 'firstName', s.first_name, 'lastName', s.last_name,
                 'municipality', s.municipality, 'channel', s.channel) ORDER BY s.id), '[]'::json)
          FROM (SELECT sm.id, sm.member_number, sm.first_name, sm.last_name, mu.name AS municipality, ${chosen} AS channel
                  FROM (SELECT * FROM aud ORDER BY id LIMIT ${SAMPLE_SIZE}) f
                  JOIN members sm ON sm.id = f.id
                  LEFT JOIN municipalities mu ON mu.number = sm.municipality_number) s) AS sample
  FROM aud f`;
  // (JIT is off on the hub's connections: it would cost ~50 ms of a query that needs less.)
  // Bounded: a statement timeout of its own, cancelled on the server when the client goes away.
  const r = (bounds.timeoutMs
    ? await boundedQuery(hub.db, sql, params, { timeoutMs: bounds.timeoutMs, signal: bounds.signal }).catch((err) => previewCut(err, bounds))
    : await hub.db.query(sql, params)).rows[0];
  const byChannel: Partial<Record<Channel, number>> = {};
  const reachableOn: Partial<Record<Channel, number>> = {};
  for (const ch of channels) { byChannel[ch] = r[`by_${ch}`]; reachableOn[ch] = r[`on_${ch}`]; }
  const reasons: Partial<Record<UnreachableReason, number>> = {};
  for (const [k, v] of Object.entries(r.reasons ?? {})) if (k !== 'null') reasons[k as UnreachableReason] = Number(v);
  return { total: r.total, byChannel, reachableOn, unreachable: r.unreachable, unreachableReasons: reasons, sample: r.sample };
}
