/**
 * Tariff ballots (uravstemninger): who may vote (the frozen electoral roll), the encrypted roll
 * for the provider, and the notifications (campaigns in the `ballot` category) that tell every
 * eligible member the ballot is open, remind them, and give the result.
 *
 * The hub holds NO vote data: no vote, no per-member turnout, no "has voted" (seed 000).
 *
 * Tables (migration 050): ballots, ballot_agreements, ballot_roll_entries, ballot_roll_exports,
 * ballot_notifications. For retention: `eraseBallotRoll(db, ballotId)` deletes a ballot's roll
 * entries and export records.
 */
export { registerBallotRoutes } from './routes';
export {
  createBallot, updateBallot, addResult, cancelBallot, getBallot, listBallots, loadBallot, notificationChannels,
  type BallotRow, type BallotView, type BallotState, type Channel, type NotificationKind, type NotificationView,
  type CreateBallotInput, type UpdateBallotInput,
} from './service';
export { freezeRoll, rollDifference, exportRoll, listRollExports, type RollDifference, type DifferenceEntry, type RollExport, type ContactField } from './roll';
export { eraseBallotRoll, BALLOT_PERSONAL_TABLES } from './retention';
export { advanceBallot, type AdvanceResult } from './advance';
export { ballotAudience, ballotMergeData, ballotFieldsForCampaign, votingUrlFor, campaignSpec, BALLOT_TEMPLATES, type BallotCampaignSpec, type CampaignGateway } from './notify';
export { syncBallotJobs, reconcileBallotJobs, dueBallots, desiredWakeups } from './schedule';
export { planNotifications, planRecipients, type NotificationPlan } from './plan';
export { parseOsloTime, osloIso } from './time';
export { readProviderKey, encryptFor, type ProviderKey } from './pgp';
export type { EligibilityRule } from './eligibility';
