import type { CampaignGateway } from './notify';
import { loadLatestVersionByKey } from '../render';
import { createCampaign, startCampaign, cancelCampaign, loadCampaign } from '../campaigns';

/**
 * The ballots part's way into campaigns: a notification is a campaign of kind `ballot` with the
 * built-in template of its kind on every channel, launched at once (no four-eyes: the roll was
 * frozen by staff, and the ballot category cannot be declined).
 */
export const campaignGateway: CampaignGateway = {
  async create(hub, spec) {
    const version = await loadLatestVersionByKey(hub.db, spec.template);
    const c = await createCampaign(hub, null, {
      kind: 'ballot', name: spec.name, category: spec.category, channels: spec.channels,
      templates: Object.fromEntries(spec.channels.map((ch) => [ch, version.id])), audience: spec.audience,
    });
    if (spec.createdBy) await hub.db.query('UPDATE campaigns SET created_by = $2 WHERE id = $1', [c.id, spec.createdBy]);
    return c.id;
  },
  async launch(hub, campaignId) {
    await startCampaign(hub, campaignId);
  },
  async cancel(hub, campaignId) {
    const c = await loadCampaign(hub.db, campaignId);
    if (c.state === 'completed' || c.state === 'cancelled') return;
    await cancelCampaign(hub, campaignId, null);
  },
};
