-- Group commit of member unsubscribes (issue 15): the whole batch of the writer in
-- src/consent/group-commit.ts as set-based statements, instead of one consent_record call (and
-- its five statements, each planned and run from PL/pgSQL) per request.
--
-- Each request is one concrete (member, category, channel) withdrawn (granted = false), as
-- consent_record(member, category, channel, false, source, NULL, 'member', campaign, NULL, at)
-- records it, with the same result per request:
--   * a member that does not exist: no row of the result (the caller answers "not found");
--   * the pair already off (consent_state granted = false), or the channel not one of the
--     category's: the member's row with event_id NULL, nothing written;
--   * otherwise ONE ledger row and the state set to it, event_id the new row.
-- Requests for the same (member, category, channel) in one batch act as if called one after the
-- other in array order: the first writes, the rest find it written (a double click: one row).
--
-- The advisory lock (the same key as consent_record, 7301 / member) is why this is safe beside
-- consent_record on other connections: two changes of one member never both read "not yet off".
-- The rule to keep: a statement's snapshot is taken BEFORE the locks it waits for, so the
-- statement that reads consent_state must start AFTER every lock is held, or it could miss a
-- change committed by the transaction it waited for. Hence two statements: the first takes every
-- lock (in key order, as every batch does, so two batches cannot deadlock), the second reads and
-- writes. A VOLATILE PL/pgSQL function takes a fresh snapshot for each statement it runs (READ
-- COMMITTED, the hub's level), so both are in here, one round trip and one transaction for the
-- caller (test/unsubscribe-group-commit.test.ts holds a member's lock with an uncommitted change
-- and checks the batch waiting for it sees that change).
CREATE FUNCTION consent_unsubscribe_batch(
  p_members bigint[], p_categories text[], p_channels text[], p_sources text[],
  p_campaigns bigint[], p_ats timestamptz[]
) RETURNS TABLE (i bigint, language text, event_id bigint) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
BEGIN
  -- unnest() of the sorted array yields its elements in order: the locks are taken in key order.
  PERFORM pg_advisory_xact_lock(7301, k)
     FROM unnest((SELECT array_agg(DISTINCT (m % 2147483647)::integer ORDER BY (m % 2147483647)::integer)
                    FROM unnest(p_members) m)) k;
  RETURN QUERY
  WITH x AS (
    SELECT u.member_id, u.category, u.channel, u.source, u.campaign, u.at, u.i, mem.language
      FROM unnest(p_members, p_categories, p_channels, p_sources, p_campaigns, p_ats)
           WITH ORDINALITY AS u(member_id, category, channel, source, campaign, at, i)
      JOIN members mem ON mem.id = u.member_id
  ), todo AS (
    -- The first request of each pair that is a pair of the category and not already off.
    SELECT DISTINCT ON (x.member_id, x.category, x.channel) x.*
      FROM x
      JOIN message_categories mc ON mc.code = x.category AND x.channel = ANY (mc.channels)
      LEFT JOIN consent_state cs ON cs.member_id = x.member_id AND cs.category = x.category AND cs.channel = x.channel
     WHERE cs.granted IS DISTINCT FROM false
     ORDER BY x.member_id, x.category, x.channel, x.i
  ), ev AS (
    INSERT INTO consent_events (member_id, category, channel, granted, source, actor_user_id, actor, campaign_id, reason, at)
    SELECT t.member_id, t.category, t.channel, false, t.source, NULL, 'member', t.campaign, NULL, t.at
      FROM todo t ORDER BY t.i
    RETURNING consent_events.id, consent_events.member_id, consent_events.category, consent_events.channel, consent_events.at
  ), st AS (
    INSERT INTO consent_state (member_id, category, channel, granted, event_id, updated_at)
    SELECT ev.member_id, ev.category, ev.channel, false, ev.id, ev.at FROM ev
    ON CONFLICT (member_id, category, channel)
    DO UPDATE SET granted = EXCLUDED.granted, event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at
  )
  SELECT x.i, x.language, ev.id
    FROM x
    LEFT JOIN todo t ON t.i = x.i
    LEFT JOIN ev ON ev.member_id = t.member_id AND ev.category = t.category AND ev.channel = t.channel;
END $$;
