import type { Hub } from '../hub';
import { Problem } from '../errors';
import { audienceSql, validateAudience } from '../audience';
import { reachableSql } from '../consent';
import type { Campaign } from './model';
import { audienceSize } from './launch';

/** How far in the past a send time may be and still count as "now" (a slow form, clock skew). */
const SEND_AT_SLACK_MS = 60_000;

/** A send time in the past is refused: it would go out at once, which is not what staff chose. */
export function refusePastSendAt(hub: Pick<Hub, 'clock'>, sendAt: Date | string | null | undefined, field = 'body.sendAt'): void {
  if (!sendAt) return;
  const t = new Date(sendAt).getTime();
  if (t < hub.clock.now().getTime() - SEND_AT_SLACK_MS) {
    throw Problem.badRequest('Sendetidspunktet har passert.', [{ field, message: 'Sendetidspunktet har passert. Velg et tidspunkt fram i tid, eller send straks.' }]);
  }
}

/**
 * Before a launch (or approval, or start): the audience must hold someone the campaign can reach,
 * and a chosen send time must not have passed since the draft was saved. Both are 409: the draft
 * is fine as a draft, it just cannot go out like this.
 */
export async function assertLaunchable(hub: Hub, c: Campaign): Promise<void> {
  if (c.kind !== 'campaign') return;
  if (c.state === 'draft' && c.sendAt && new Date(c.sendAt).getTime() < hub.clock.now().getTime() - SEND_AT_SLACK_MS) {
    throw Problem.conflict('Sendetidspunktet har passert. Endre tidspunktet i utkastet, eller velg å sende straks.', { code: 'send_at_passed', sendAt: c.sendAt });
  }
  // Two EXISTS, not a count and a whole preview: the first member found ends each search, so the
  // launch answers in a second at a million members (the four-eyes count in launchCampaign is the
  // only full count). Reachable = allowed on at least one of the campaign's channels, by the one
  // consent rule (reachableSql), as the preview's total − unreachable counts it.
  const params: unknown[] = [c.category];
  const where = audienceSql(validateAudience(c.audience, 'audience'), 'm', params);
  const reachable = c.channels.map((ch) => `(${reachableSql('m', '$1', ch)})`).join(' OR ');
  const found = await hub.db.one<{ active: boolean; reachable: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM members m WHERE m.status = 'active' AND (${where})) AS active,
            EXISTS (SELECT 1 FROM members m WHERE m.status = 'active' AND (${where}) AND (${reachable})) AS reachable`, params);
  if (!found?.active) {
    throw Problem.conflict('Målgruppen er tom: ingen aktive medlemmer passer filteret. Endre målgruppen før kampanjen startes.', { code: 'empty_audience', audience: 0, reachable: 0 });
  }
  if (!found.reachable) {
    const active = await audienceSize(hub.db, c.audience);
    throw Problem.conflict(`Ingen av de ${active} medlemmene i målgruppen kan nås på de valgte kanalene (mangler adresse, er sperret eller har reservert seg).`,
      { code: 'empty_audience', audience: active, reachable: 0 });
  }
}
