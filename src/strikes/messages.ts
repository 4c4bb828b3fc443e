import type { Hub } from '../hub';
import type { Staff } from '../auth';
import type { Channel } from '../consent';
import { audit } from '../audit';
import { Problem } from '../errors';
import { valuesOf, labelsIn } from '../vocabulary';
import type { AudienceFilter } from '../audience';
import { createCampaign, launchCampaign, approveCampaign, loadCampaign, type Campaign, type TemplateRef, type LaunchResult } from '../campaigns';
import { loadStrike } from './model';
import { loadPhase } from './phases';

export type StrikePurpose = 'announcement' | 'instruction' | 'end';
export const STRIKE_PURPOSES = valuesOf('strikePurpose') as StrikePurpose[];
export const STRIKE_PURPOSE_LABEL = labelsIn('strikePurpose') as Record<StrikePurpose, string>;

/** Email first, then SMS, then letter: the campaign's channel order is its fallback order. */
export const STRIKE_CHANNELS: Channel[] = ['email', 'sms', 'letter'];

export interface StrikeMessageInput {
  purpose: StrikePurpose;
  phaseId?: number | null;
  name: string;
  channels?: Channel[];
  templates: Partial<Record<Channel, TemplateRef>>;
  links?: Record<string, string>;
  sendAt?: Date | null;
  /** Launch at once (staff other than representatives; four eyes above the threshold as usual). */
  launch?: boolean;
}

export interface StrikeMessage { campaign: Campaign; purpose: StrikePurpose; phaseId: number | null; launch: LaunchResult | null }

/**
 * A representative's messages reach only the strike members in their scope: the audience itself
 * carries the branches, clubs and workplaces of their current tillitsverv (the same rule as
 * memberScopeSql), so the snapshot at launch cannot reach beyond them.
 */
async function representativeScope(hub: Hub, staff: Staff): Promise<AudienceFilter> {
  const rows = await hub.db.many(
    `SELECT branch_id, club_id, workplace_id FROM member_roles
      WHERE member_id = $1 AND starts_on <= current_date AND (ends_on IS NULL OR ends_on >= current_date)`, [staff.memberId ?? -1]);
  const ids = (k: string) => [...new Set(rows.map((r) => r[k]).filter((v) => v !== null).map(Number))];
  const any: AudienceFilter[] = [];
  if (ids('branch_id').length) any.push({ branch: ids('branch_id') });
  if (ids('club_id').length) any.push({ club: ids('club_id') });
  if (ids('workplace_id').length) any.push({ workplace: ids('workplace_id') });
  if (!any.length) throw Problem.forbidden('Du har ikke noe gjeldende tillitsverv, så ingen streikende medlemmer er blant dine medlemmer.');
  return { any };
}

/**
 * A strike message is an ordinary campaign in the strike category (it cannot be declined and
 * SMS are not held for quiet hours) whose audience is the members the strike or phase took out
 * and has not taken back in, linked to the strike and phase. A representative's message waits
 * as a draft until communications staff approve it (`approveStrikeMessage`).
 */
export async function createStrikeMessage(hub: Hub, staff: Staff, strikeId: number, input: StrikeMessageInput): Promise<StrikeMessage> {
  const s = await loadStrike(hub.db, strikeId);
  if (s.state === 'ended') throw Problem.conflict(`Streik ${strikeId} er avsluttet; den sender ingen flere meldinger.`, { state: s.state });
  if (input.purpose === 'announcement' && !input.phaseId) {
    throw Problem.badRequest('Skjemaet har feil.', [{ field: 'body.phaseId', message: 'Uttak (phaseId) må oppgis for en kunngjøring av uttak' }]);
  }
  if (input.phaseId) await loadPhase(hub.db, strikeId, input.phaseId);
  let audience: AudienceFilter = input.phaseId ? { strikePhase: input.phaseId } : { strike: strikeId };
  if (staff.role === 'representative') audience = { all: [audience, await representativeScope(hub, staff)] };
  const campaign = await createCampaign(hub, staff, {
    name: input.name, category: 'strike', channels: input.channels ?? STRIKE_CHANNELS, templates: input.templates,
    audience, sendAt: input.sendAt ?? null, links: input.links,
  });
  await hub.db.tx(async (db) => {
    await db.query('UPDATE campaigns SET strike_id = $2, strike_phase_id = $3, strike_purpose = $4 WHERE id = $1',
      [campaign.id, strikeId, input.phaseId ?? null, input.purpose]);
    await audit(db, { staff, action: 'strike.message', detail: { strikeId, phaseId: input.phaseId ?? null, campaignId: campaign.id, purpose: input.purpose } });
  });
  let launch: LaunchResult | null = null;
  if (input.launch && staff.role !== 'representative') launch = await launchCampaign(hub, campaign.id, staff);
  return { campaign: launch?.campaign ?? await loadCampaign(hub.db, campaign.id), purpose: input.purpose, phaseId: input.phaseId ?? null, launch };
}

async function linked(hub: Hub, strikeId: number, campaignId: number): Promise<{ purpose: StrikePurpose; phaseId: number | null }> {
  const r = await hub.db.one('SELECT strike_purpose, strike_phase_id FROM campaigns WHERE id = $1 AND strike_id = $2', [campaignId, strikeId]);
  if (!r) throw Problem.notFound(`Fant ikke melding ${campaignId} i streik ${strikeId}.`);
  return { purpose: r.strike_purpose, phaseId: r.strike_phase_id === null ? null : Number(r.strike_phase_id) };
}

/**
 * Communications staff send a strike message: a representative's draft (four eyes: never the
 * one who wrote it), or one waiting for approval above the threshold.
 */
export async function approveStrikeMessage(hub: Hub, staff: Staff, strikeId: number, campaignId: number): Promise<StrikeMessage> {
  const s = await loadStrike(hub.db, strikeId);
  if (s.state === 'ended') throw Problem.conflict(`Streik ${strikeId} er avsluttet; den sender ingen flere meldinger.`, { state: s.state });
  const l = await linked(hub, strikeId, campaignId);
  const c = await loadCampaign(hub.db, campaignId);
  if (c.createdBy === staff.id) throw Problem.conflict('En streikemelding må godkjennes av en annen bruker enn den som skrev den.');
  const launch = c.approval.requestedAt && !c.approval.approvedAt ? await approveCampaign(hub, campaignId, staff) : await launchCampaign(hub, campaignId, staff);
  return { campaign: launch.campaign, ...l, launch };
}

/** The strike's messages, newest first; a representative sees their own. */
export async function listStrikeMessages(hub: Hub, staff: Staff, strikeId: number): Promise<(Campaign & { purpose: StrikePurpose; phaseId: number | null })[]> {
  await loadStrike(hub.db, strikeId);
  const rows = await hub.db.many(
    `SELECT id, strike_purpose, strike_phase_id FROM campaigns WHERE strike_id = $1 AND ($2::bigint IS NULL OR created_by = $2) ORDER BY id DESC`,
    [strikeId, staff.role === 'representative' ? staff.id : null]);
  const out = [];
  for (const r of rows) {
    out.push({ ...(await loadCampaign(hub.db, Number(r.id))), purpose: r.strike_purpose as StrikePurpose, phaseId: r.strike_phase_id === null ? null : Number(r.strike_phase_id) });
  }
  return out;
}
