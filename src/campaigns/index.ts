/**
 * Campaigns: who (an audience), what (a template version per channel), on which channels in which
 * order, and when; launch snapshots the audience against the consent decision into the send log,
 * and the queues in queues/campaigns.ts carry it out. Single messages and the register's event
 * messages are campaigns of one member.
 */
export { type Campaign, type CampaignState, type CampaignKind, loadCampaign, quietUntil } from './model';
export { createCampaign, createCampaignOnce, updateCampaign, campaignProgress, type CampaignInput, type TemplateRef } from './create';
export {
  launchCampaign, approveCampaign, startCampaign, pauseCampaign, resumeCampaign, cancelCampaign, enqueuePending, completeIfDone,
  launchDueCampaign, audienceSize, type LaunchResult,
} from './launch';
export { takeSnapshot } from './snapshot';
export { runCampaignSweep, reconcileCampaigns, requeueFromDatabase, CAMPAIGN_SWEEP_HEARTBEAT } from './sweep';
export { planWindow, type DeliveryWindow, type WindowPlan } from './window';
export { sendSingleMessage, sendRegisterEventMessages, type SingleMessageInput } from './messages';
export { runFallbacks, startFallbackPoller } from './fallback';
export { haltChannel, openHalts, type Halt, type HaltReason } from './halts';
export { retryFailed, sendInDoubtAgain } from './retry';
export { registerCampaignRoutes } from './routes';
export { assertLaunchable, refusePastSendAt } from './guards';
export { campaignSchema, campaignRowSchema } from './responses';
