/**
 * Privacy operations (issue 8): retention, the member's access export (innsyn), erasure, the
 * audit trail API and data-minimisation helpers. Other areas import only from here.
 *
 * Tables (migration 060): send_log_counts; campaigns.strike_ended_at / recipients_erased_at.
 * The daily sweep's queue lives in queues/retention.ts, its worker in queues/retention.worker.ts (startRetentionScheduler).
 */
export { registerPrivacyRoutes, EXPORT_ROLES, AUDIT_ROLES } from './routes';
export { eraseMember, eraseMembersTx, findTraces, ERASED_MARK, type ErasureResult } from './erase';
export { buildMemberExport, renderExportHtml, type MemberExport } from './export';
export {
  runRetentionSweep, retentionCutoffs, reduceSendLog, eraseCampaignRecipients, markStrikeEnded, campaignCounts,
  RETENTION_BATCH, MEMBER_BATCH, type SweepReport, type RetentionCutoffs,
} from './retention';
export { queryAudit, writeAuditCsv, detailText, categoryNames, type AuditQuery, type AuditEntry, type DetailNames } from './audit-trail';
export { trackingSettings, sendgridTrackingSettings } from './tracking';
