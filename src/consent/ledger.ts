import type { Queryable } from '../db';
import type { Channel } from './decision';

/**
 * How a change came about. `preference_page`: the preference centre opened from a message's
 * link; `preference_link`: opened from a one-time link the member asked for on the public entry
 * page (`/p`); `letter_code`: opened with the personal code printed on a letter; `double_opt_in`:
 * an opt-in grant the member confirmed from the confirmation message sent to that address.
 */
export type ConsentSource = 'unsubscribe_link' | 'one_click' | 'preference_page' | 'sms_keyword' | 'provider_event' | 'staff' | 'import'
  | 'preference_link' | 'letter_code' | 'double_opt_in';
export const CONSENT_SOURCES: ConsentSource[] = ['unsubscribe_link', 'one_click', 'preference_page', 'sms_keyword', 'provider_event', 'staff', 'import',
  'preference_link', 'letter_code', 'double_opt_in'];

export interface ConsentChange {
  memberId: number;
  /** null = every declinable category. A named category must be declinable (callers check; see assertDeclinable). */
  category: string | null;
  /** null = every channel the category (or categories) allow. */
  channel: Channel | null;
  granted: boolean;
  source: ConsentSource;
  actorUserId?: number | null;
  /** Who: 'member', `staff:<id>`, 'provider:sendgrid', 'provider:twilio', 'import'. */
  actor: string;
  campaignId?: number | null;
  reason?: string | null;
  /** Defaults to the database's now(); pass hub.clock.now() where tests control time. */
  at?: Date;
}

export interface ConsentChangeResult {
  /** False when every covered (category, channel) already held exactly this choice: no ledger row was added. */
  changed: boolean;
  eventId: number | null;
}

/**
 * Appends one consent_events row and sets consent_state for every concrete (category, channel)
 * the change covers — in one statement (the SQL function consent_record, migration 010), so the
 * ledger and the state can never disagree, and under a per-member lock so that two identical
 * changes arriving at once add one row. Never updates or deletes ledger rows.
 */
export async function recordConsentChange(db: Queryable, c: ConsentChange): Promise<ConsentChangeResult> {
  const { rows } = await db.query(
    'SELECT consent_record($1, $2, $3, $4, $5, $6, $7, $8, $9, COALESCE($10::timestamptz, now())) AS event_id',
    [c.memberId, c.category, c.channel, c.granted, c.source, c.actorUserId ?? null, c.actor, c.campaignId ?? null, c.reason ?? null, c.at ?? null],
  );
  const eventId = rows[0]?.event_id ?? null;
  return { changed: eventId !== null, eventId };
}

/** The SQL call used by the hot unsubscribe path: the member's language and the change in one round trip. */
export const UNSUBSCRIBE_SQL = `SELECT m.language,
    consent_record(m.id, $2, $3, false, $4, NULL, 'member', $5, NULL, now()) AS event_id
  FROM members m WHERE m.id = $1`;
