import type { Hub } from '../hub';
import type { Staff } from '../auth';
import { Problem } from '../errors';
import type { Channel } from '../consent';
import { loadLatestVersionByKey, loadTemplateVersionOf, type TemplateVersion } from '../render';
import { createCampaign, CONTENT_OF, type CampaignInput } from './create';
import { loadCampaign, loadCategory, campaignFromRow, type Campaign } from './model';
import { startCampaign } from './launch';

export interface SingleMessageInput {
  memberNumber: string;
  /** A built-in or stored template by key, or by id (latest version unless `version`). */
  template?: string;
  templateId?: number;
  version?: number;
  /** Default: the template's category. */
  category?: string;
  /** Fallback order; default: the category's channels (email, SMS, letter). */
  channels?: Channel[];
  links?: Record<string, string>;
  idempotencyKey: string;
}

const ORDER: Channel[] = ['email', 'sms', 'letter'];

function channelsFor(v: TemplateVersion, allowed: Channel[], wanted?: Channel[]): Channel[] {
  return (wanted ?? ORDER).filter((ch) => allowed.includes(ch) && v.languages.nb[CONTENT_OF[ch]]);
}

/**
 * One templated message to one member now (a dues reminder, a course change), through the same
 * decision, queues, providers and log as campaigns: a campaign of kind `single` whose audience is
 * that member. Idempotent on the caller's key: the same key returns the same message.
 */
export async function sendSingleMessage(hub: Hub, staff: Staff, input: SingleMessageInput): Promise<{ campaign: Campaign; created: boolean }> {
  const existing = await hub.db.one('SELECT * FROM campaigns WHERE idempotency_key = $1', [input.idempotencyKey]);
  if (existing) return { campaign: campaignFromRow(existing), created: false };
  const member = await hub.db.one('SELECT id FROM members WHERE member_number = $1', [input.memberNumber]);
  if (!member) throw Problem.notFound(`Fant ikke medlem ${input.memberNumber}.`);
  let version: TemplateVersion;
  try {
    version = input.template ? await loadLatestVersionByKey(hub.db, input.template) : await loadTemplateVersionOf(hub.db, input.templateId!, input.version);
  } catch {
    throw Problem.badRequest('Fant ikke malen.', [{ field: input.template ? 'body.template' : 'body.templateId', message: 'Mal: fant ikke malen' }]);
  }
  const category = input.category ?? version.category;
  const cat = await loadCategory(hub.db, category);
  if (!cat) throw Problem.badRequest('Ukjent meldingskategori.', [{ field: 'body.category', message: `Meldingskategori: ukjent kategori ${category}` }]);
  const channels = channelsFor(version, cat.channels, input.channels);
  if (!channels.length) throw Problem.badRequest('Malen har ikke innhold for noen kanal kategorien kan bruke.', [{ field: 'body.channels', message: `Malen ${version.key} har ikke innhold for noen kanal kategorien ${category} kan bruke` }]);
  const spec: CampaignInput = {
    kind: 'single', name: `${version.name} – ${input.memberNumber}`, category, channels,
    templates: Object.fromEntries(channels.map((ch) => [ch, version.id])), audience: { memberNumbers: [input.memberNumber] },
    links: input.links, idempotencyKey: input.idempotencyKey,
  };
  let campaign: Campaign;
  try {
    campaign = await createCampaign(hub, staff, spec);
  } catch (err: any) {
    if (err?.code === '23505') {
      const again = await hub.db.one('SELECT * FROM campaigns WHERE idempotency_key = $1', [input.idempotencyKey]);
      return { campaign: campaignFromRow(again!), created: false };
    }
    throw err;
  }
  await startCampaign(hub, campaign.id);
  return { campaign: await loadCampaign(hub.db, campaign.id), created: true };
}

const EVENTS = [
  { event: 'joined', template: 'membership_confirmation', name: 'Velkommen som medlem',
    column: 'created_at', status: 'active' },
  { event: 'resigned', template: 'resignation_confirmation', name: 'Bekreftelse på utmelding',
    column: 'updated_at', status: 'resigned' },
] as const;

/**
 * The register's events (when REGISTER_EVENT_MESSAGES is on): members who joined since the last
 * run get the membership confirmation, members who resigned get the confirmation of resignation,
 * as campaigns of kind `register_event` in the service category. A watermark per event, locked
 * while it moves, keeps two sweeps from confirming anyone twice.
 */
export async function sendRegisterEventMessages(hub: Hub): Promise<number> {
  let sent = 0;
  for (const e of EVENTS) {
    const id = await hub.db.tx(async (db) => {
      const w = (await db.query(`SELECT at FROM register_event_watermarks WHERE event = $1 FOR UPDATE SKIP LOCKED`, [e.event])).rows[0];
      if (!w) return null;
      // The watermark moves in SQL: timestamps keep their microseconds.
      const members = (await db.query(
        `SELECT id, member_number, ${e.column}::date::text AS day FROM members WHERE status = $2 AND ${e.column} > (SELECT at FROM register_event_watermarks WHERE event = $1)
          ORDER BY ${e.column}, id LIMIT 1000`, [e.event, e.status])).rows;
      if (!members.length) return null;
      const version = await loadLatestVersionByKey(db, e.template);
      const cat = (await loadCategory(db, version.category))!;
      const channels = channelsFor(version, cat.channels);
      const last = members[members.length - 1].day as string;
      const { rows } = await db.query(
        `INSERT INTO campaigns (kind, name, category, channels, audience, templates, state) VALUES ('register_event', $1, $2, $3, $4, $5, 'draft') RETURNING id`,
        [`${e.name} ${last}`, version.category, channels,
          JSON.stringify({ memberNumbers: members.map((m) => m.member_number) }), JSON.stringify(Object.fromEntries(channels.map((ch) => [ch, version.id])))]);
      await db.query(`UPDATE register_event_watermarks SET at = (SELECT max(${e.column}) FROM members WHERE id = ANY($2::bigint[])) WHERE event = $1`,
        [e.event, members.map((m) => m.id)]);
      sent += members.length;
      return rows[0].id as number;
    });
    if (id) await startCampaign(hub, id);
  }
  return sent;
}
