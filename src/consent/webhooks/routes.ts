import Joi from 'joi';
import type { Api } from '../../http/api';
import { providerEvents } from '../responses';

/**
 * What became of the providers' events: counts per provider, outcome and reason, and the most
 * recent events that were not applied (rejected: they did not belong to the row they named;
 * skipped: unusable fields). Holds no address or member data (row ids and reasons only), so it
 * needs no audit entry. An operator watches this for a sudden rise in rejected events.
 */
export function registerProviderEventRoutes(api: Api): void {
  api.get('/provider-events', {
    summary: 'Provider events that were rejected or skipped, with their reasons, and counts per outcome',
    roles: ['admin', 'communications', 'auditor'],
    tags: ['consent'],
    query: Joi.object({
      outcome: Joi.string().valid('applied', 'rejected', 'skipped'),
      provider: Joi.string().valid('sendgrid', 'twilio'),
      since: Joi.date().iso(),
      limit: Joi.number().integer().min(1).max(500).default(100),
    }),
    responses: { 200: providerEvents },
  }, async ({ hub, query }) => {
    const since: Date = query.since ?? new Date(hub.clock.now().getTime() - 7 * 24 * 3600 * 1000);
    const counts = await hub.db.many(
      `SELECT provider, outcome, reason, count(*)::int AS n FROM provider_events
        WHERE received_at >= $1 AND ($2::text IS NULL OR provider = $2) AND ($3::text IS NULL OR outcome = $3)
        GROUP BY 1, 2, 3 ORDER BY 1, 2, n DESC`, [since, query.provider ?? null, query.outcome ?? null]);
    const events = await hub.db.many(
      `SELECT provider, event_id, event, outcome, reason, send_log_id, received_at FROM provider_events
        WHERE received_at >= $1 AND ($2::text IS NULL OR provider = $2)
          AND (CASE WHEN $3::text IS NULL THEN outcome <> 'applied' ELSE outcome = $3 END)
        ORDER BY received_at DESC, event_id LIMIT $4`, [since, query.provider ?? null, query.outcome ?? null, query.limit]);
    return {
      since: since.toISOString(),
      counts,
      events: events.map((e) => ({
        provider: e.provider, eventId: e.event_id, event: e.event, outcome: e.outcome, reason: e.reason,
        sendLogId: e.send_log_id === null ? null : Number(e.send_log_id), receivedAt: e.received_at,
      })),
    };
  });
}
