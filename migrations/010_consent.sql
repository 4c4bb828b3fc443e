-- Consent engine (issue 3): the one function that appends to the ledger and keeps the current
-- state in step, the member's preferred channel, and indexes the decision and webhooks use.

-- A member's preferred channel (preference centre). Where the campaign's channels include it and
-- the decision allows it, it is tried first; otherwise the campaign's order applies.
CREATE TABLE member_channel_preferences (
  member_id bigint PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Staff list suppressions newest first; lookups by address use suppressions_active (002).
CREATE INDEX suppressions_at ON suppressions(at DESC);

-- Records one consent change: category NULL = every declinable category, channel NULL = every
-- channel the category allows. Under a per-member advisory lock (so two identical requests at
-- the same instant cannot both append), it appends ONE ledger row and sets consent_state for
-- every concrete (category, channel) covered, unless every covered pair already holds exactly
-- that explicit choice: then nothing is written and NULL is returned. Returns the event id.
-- A missing member also returns NULL. Runs inside the caller's transaction when there is one.
CREATE FUNCTION consent_record(
  p_member bigint, p_category text, p_channel text, p_granted boolean, p_source text,
  p_actor_user bigint, p_actor text, p_campaign bigint, p_reason text, p_at timestamptz
) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  v_event bigint;
  v_pending integer;
BEGIN
  PERFORM pg_advisory_xact_lock(7301, (p_member % 2147483647)::integer);
  IF NOT EXISTS (SELECT 1 FROM members WHERE id = p_member) THEN
    RETURN NULL;
  END IF;
  SELECT count(*) INTO v_pending
    FROM message_categories mc
    CROSS JOIN LATERAL unnest(mc.channels) AS ch(channel)
    LEFT JOIN consent_state cs ON cs.member_id = p_member AND cs.category = mc.code AND cs.channel = ch.channel
   WHERE ((p_category IS NULL AND mc.declinable) OR mc.code = p_category)
     AND (p_channel IS NULL OR ch.channel = p_channel)
     AND cs.granted IS DISTINCT FROM p_granted;
  IF v_pending = 0 THEN
    RETURN NULL;
  END IF;
  INSERT INTO consent_events (member_id, category, channel, granted, source, actor_user_id, actor, campaign_id, reason, at)
  VALUES (p_member, p_category, p_channel, p_granted, p_source, p_actor_user, p_actor, p_campaign, p_reason, p_at)
  RETURNING id INTO v_event;
  INSERT INTO consent_state (member_id, category, channel, granted, event_id, updated_at)
  SELECT p_member, mc.code, ch.channel, p_granted, v_event, p_at
    FROM message_categories mc
    CROSS JOIN LATERAL unnest(mc.channels) AS ch(channel)
   WHERE ((p_category IS NULL AND mc.declinable) OR mc.code = p_category)
     AND (p_channel IS NULL OR ch.channel = p_channel)
  ON CONFLICT (member_id, category, channel)
  DO UPDATE SET granted = EXCLUDED.granted, event_id = EXCLUDED.event_id, updated_at = EXCLUDED.updated_at;
  RETURN v_event;
END $$;
