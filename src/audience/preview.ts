import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { Problem } from '../errors';
import { reachableSql, unreachableReasonSql, CHANNELS, type Channel, type UnreachableReason } from '../consent';
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
 * row per member of the audience (confined to a representative's scope in SQL) and a boolean per
 * channel that is exactly `reachableSql`; everything is counted from it with FILTER. In a select
 * list PostgreSQL turns the decision's correlated EXISTS into hashed subplans (the withdrawn
 * consent rows and active suppressions of the category are hashed once, then probed per member),
 * so the cost grows linearly with the audience; separate reachable-set CTEs joined back were
 * tried and planned as nested loops, because a CTE scan has no column statistics.
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
  const flag = (ch: Channel) => `c_${ch}`;
  const flags = channels.map((ch) => `${reachableSql('m', catP, ch)} AS ${flag(ch)}`).join(',\n         ');
  // As the launch chooses (the one rule, ./channel.ts), over the flags computed once per member.
  const chosen = chooseChannelSql(channels, { preferred: 'f.pref', allowed: (ch) => `f.${flag(ch)}` });
  const none = channels.map((ch) => `NOT f.${flag(ch)}`).join(' AND ');
  const counts = channels.map((ch) =>
    `count(*) FILTER (WHERE (${chosen}) = '${ch}')::int AS by_${ch}, count(*) FILTER (WHERE f.${flag(ch)})::int AS on_${ch}`).join(',\n       ');

  const sql = `
WITH aud AS MATERIALIZED (
  SELECT m.id, mp.channel AS pref,
         ${flags}
    FROM members m
    LEFT JOIN member_channel_preferences mp ON mp.member_id = m.id
   WHERE ${where} AND ${scope}
)
SELECT count(*)::int AS total,
       ${counts},
       count(*) FILTER (WHERE ${none})::int AS unreachable,
       (SELECT coalesce(json_object_agg(x.reason, x.n), '{}'::json) FROM (
          SELECT ${unreachableReasonSql('rm', catP, channels[0])} AS reason, count(*)::int AS n
            FROM aud f
            -- The unreachable few, looked up by id (OFFSET 0 keeps it a nested loop: a CTE scan has no statistics).
            CROSS JOIN LATERAL (SELECT id, status, email, phone, street, postcode FROM members WHERE id = f.id OFFSET 0) rm
           WHERE ${none}
           GROUP BY 1) x) AS reasons,
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
