import type { Queryable } from '../db';
import { actorLabel, type Staff } from '../auth/staff';
import { AUDIT_ACTION } from '../vocabulary';

export type AuditAction =
  | 'member.view' | 'member.search' | 'member.list' | 'member.export' | 'member.erase' | 'member.import' | 'member.upsert'
  | 'consent.change' | 'suppression.lift' | 'category.update'
  | 'audience.preview' | 'campaign.create' | 'campaign.update' | 'campaign.approve' | 'campaign.launch' | 'campaign.pause' | 'campaign.resume'
  | 'campaign.cancel' | 'campaign.retry' | 'campaign.send_again' | 'campaign.test_send' | 'campaign.strike_ended' | 'message.send'
  | 'ballot.roll_freeze' | 'ballot.roll_export'
  | 'token.create' | 'user.create' | 'retention.sweep' | 'audit.view'
  | 'template.copy' | 'audit.export' | 'user.password_set' | 'token.list' | 'print_run.download' | 'print_run.handed_over'
  | 'strike.create' | 'strike.move' | 'strike.phase_create' | 'strike.take_back' | 'strike.members_list' | 'strike.message'
  | 'strike.export' | 'strike.committee' | 'strike.guards_view' | 'strike.guard_change' | 'strike.guard_share' | 'strike.erase'
  // Access lifecycle and refusals (issue 13)
  | 'user.disable' | 'user.enable' | 'user.role' | 'token.revoke' | 'session.list' | 'session.revoke' | 'password.change'
  | 'access.lapsed' | 'access.refused' | 'audience.view' | 'audience.list'
  // Two-factor sign-in (issue 13)
  | 'twofactor.enrol' | 'twofactor.reset' | 'twofactor.recovery_used' | 'twofactor.failed';

// Every action has its Norwegian label for the audit page (and no label names an action that is
// not recorded): a new action without one fails the typecheck here.
type ActionLabels = typeof AUDIT_ACTION;
const _everyActionLabelled: Record<AuditAction, unknown> = AUDIT_ACTION;
const _noStrayLabel: Record<keyof ActionLabels, unknown> = {} as Record<AuditAction, unknown>;
void _everyActionLabelled; void _noStrayLabel;

/** Writes one audit row. Pass the transaction's client when the audited change is in one. */
export async function audit(db: Queryable, e: {
  staff: Staff | null;
  action: AuditAction;
  memberId?: number | null;
  rowCount?: number | null;
  detail?: Record<string, unknown>;
  actor?: string;
}): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (actor_user_id, actor, action, member_id, row_count, detail) VALUES ($1, $2, $3, $4, $5, $6)',
    [e.staff?.id ?? null, e.actor ?? actorLabel(e.staff), e.action, e.memberId ?? null, e.rowCount ?? null, JSON.stringify(e.detail ?? {})],
  );
}
