import type { Hub } from '../hub';
import type { Queryable } from '../db';
import type { BallotRow, Channel, NotificationKind, NotificationRow } from './service';
import { osloText } from './time';

/** The built-in templates of the rendering part, one per notification kind. */
export const BALLOT_TEMPLATES: Record<NotificationKind, string> = {
  opened: 'ballot_opened',
  reminder: 'ballot_reminder',
  result: 'ballot_result',
};

/**
 * Who a ballot notification goes to: the frozen roll, and only members still active. A member
 * who resigned after the cut-off stays on the roll (the provider has it) but is not notified;
 * the difference report lists them. Consent adds nothing to narrow it: the ballot category cannot
 * be declined; suppressed or missing addresses fall through to the next channel.
 */
export function ballotAudience(ballotId: number): Record<string, unknown> {
  return { all: [{ ballotRoll: ballotId }, { status: ['active'] }] };
}

/**
 * The ballot's subject as the templates use it: they say "Uravstemningen om {{ballot.title}}", so
 * a title that itself begins "Uravstemning om …" (as staff often write it) loses that beginning
 * rather than reading "Uravstemningen om Uravstemning om …".
 */
export function ballotSubject(title: string): string {
  const rest = title.replace(/^\s*uravstemning(en)?\s+om\s+/i, '');
  return rest.length > 0 && rest !== title ? rest : title;
}

/** Merge fields for the ballot templates (`ballot.title`, `ballot.votingUrl`, `ballot.closesAt`, `ballot.result`). */
export function ballotMergeData(b: BallotRow): { ballot: Record<string, string | null> } {
  return {
    ballot: {
      title: ballotSubject(b.title),
      // A per-member template keeps its {memberNumber} placeholder: it is filled per recipient.
      votingUrl: b.voting_url ?? b.voting_url_template,
      closesAt: osloText(b.closes_at),
      opensAt: osloText(b.opens_at),
      result: b.result_text,
    },
  };
}

/** The voting link one member gets: the common URL, or the template with their member number. */
export function votingUrlFor(b: Pick<BallotRow, 'voting_url' | 'voting_url_template'>, memberNumber: string): string {
  if (b.voting_url) return b.voting_url;
  return b.voting_url_template!.split('{memberNumber}').join(encodeURIComponent(memberNumber));
}

export interface BallotCampaignSpec {
  name: string;
  kind: 'ballot';
  category: 'ballot';
  channels: Channel[];
  audience: Record<string, unknown>;
  template: string;
  mergeData: { ballot: Record<string, string | null> };
  /** Set for a per-member voting link: the placeholder the renderer fills per recipient. */
  perMemberVotingUrlTemplate: string | null;
  createdBy: number | null;
  ballotId: number;
}

export function campaignSpec(b: BallotRow, n: NotificationRow, channels: Channel[]): BallotCampaignSpec {
  const label = n.kind === 'opened' ? 'åpen' : n.kind === 'reminder' ? `påminnelse ${n.offset_before_close} før stenging` : 'resultat';
  return {
    name: `Uravstemning ${b.id}: ${b.title} – ${label}`,
    kind: 'ballot',
    category: 'ballot',
    channels,
    audience: ballotAudience(b.id),
    template: BALLOT_TEMPLATES[n.kind],
    mergeData: ballotMergeData(b),
    perMemberVotingUrlTemplate: b.voting_url_template,
    createdBy: b.created_by,
    ballotId: b.id,
  };
}

/**
 * What the ballots part needs from campaigns. Kept as an interface so the seam is explicit;
 * `campaignGateway` below is the one implementation, on the campaigns part's public surface.
 */
export interface CampaignGateway {
  /** Creates the campaign (draft) and returns its id. */
  create(hub: Hub, spec: BallotCampaignSpec): Promise<number>;
  /** Launches now; launching a launched campaign changes nothing. */
  launch(hub: Hub, campaignId: number): Promise<void>;
  /** Cancels what has not gone out yet; a finished campaign is left alone. */
  cancel(hub: Hub, campaignId: number): Promise<void>;
}

/** The ballot fields of a template as the renderer takes them (src/render BallotFields). */
export interface BallotMergeFields {
  title: string;
  votingUrl: string;
  closesAt: string;
  result: string;
}

/**
 * For campaigns' renderer: given a campaign id, null when it is not a ballot notification, else
 * a function giving one recipient's ballot fields (their own voting link when the provider uses
 * per-member links; the closing time in their language, Europe/Oslo).
 */
export async function ballotFieldsForCampaign(db: Queryable, campaignId: number):
  Promise<((m: { memberNumber: string; language?: string | null }) => BallotMergeFields) | null> {
  const r = await db.query(`SELECT b.* FROM ballot_notifications n JOIN ballots b ON b.id = n.ballot_id WHERE n.campaign_id = $1`, [campaignId]);
  const b = r.rows[0] as BallotRow | undefined;
  if (!b) return null;
  return (m) => ({
    title: b.title,
    votingUrl: votingUrlFor(b, m.memberNumber),
    closesAt: osloText(b.closes_at, m.language ?? 'nb'),
    result: b.result_text ?? '',
  });
}
