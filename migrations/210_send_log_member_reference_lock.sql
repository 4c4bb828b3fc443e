-- The campaign snapshot (issues 11 and 15): migration 209 checks a step's members once per
-- statement, but still locks each of them FOR KEY SHARE so that a concurrent deletion waits. At
-- 100,000 members a step that lock took 180–260 ms of the trigger's 420 (bench/RESULTS.md,
-- seventh session): it writes every member row's xmax and dirties every members page the step
-- touches, for deletions that happen a few times a year (erasure, the import's duplicates).
--
-- In READ COMMITTED (every writer of the hub) the same guarantee comes from one lock on the
-- relation "members referenced by send_log": writers of send_log hold it shared until they end,
-- a deletion of members takes it exclusive before it deletes. Then
--  * a writer that comes first holds the lock; the deletion waits for its commit, and its AFTER
--    DELETE trigger (a new statement, a new snapshot) sees the committed rows and sets their
--    member to NULL, as before;
--  * a deletion that comes first holds the lock; the writer's check waits for its commit, then
--    counts the members in a new snapshot, finds one missing and raises SQLSTATE 23503 with the
--    old constraint's name, as before.
-- A writer in REPEATABLE READ or SERIALIZABLE cannot see a commit after its snapshot, so it
-- keeps the row locks of migration 209 (a locked row deleted meanwhile is a serialization
-- failure there). A deletion of members must run in READ COMMITTED: its trigger could not see
-- rows written after its own snapshot, and it refuses rather than leave a row naming nobody.
-- Campaigns keep their row lock (one row per statement). TRUNCATE needs nothing new: it waits
-- for every writer's lock on the members table itself, which the check's read holds to the end.
--
-- The lock is a transaction-level advisory lock on the key below ("sl_member_refs").
CREATE FUNCTION send_log_member_refs_key() RETURNS bigint LANGUAGE sql IMMUTABLE AS $$ SELECT 7308604759914411891::bigint $$;

CREATE OR REPLACE FUNCTION send_log_check_inserted() RETURNS trigger LANGUAGE plpgsql
  -- A snapshot step's 100,000 rows name 100,000 members of one id range: one range scan of
  -- members merged with them, not 100,000 index probes (the planner knows nothing of the
  -- transition table and chose the probes). For this function's statements only.
  SET enable_nestloop = off AS $$
DECLARE
  want bigint;
  got bigint;
  lo bigint;
  hi bigint;
  clo bigint;
  chi bigint;
BEGIN
  SELECT count(DISTINCT member_id), min(member_id), max(member_id), min(campaign_id), max(campaign_id)
    INTO want, lo, hi, clo, chi FROM new_rows;
  IF want > 0 THEN
    IF current_setting('transaction_isolation') = 'read committed' THEN
      -- Taken before the count: a deletion that committed while this waited is seen missing.
      PERFORM pg_advisory_xact_lock_shared(send_log_member_refs_key());
      SELECT count(*) INTO got FROM members m JOIN (SELECT DISTINCT n.member_id FROM new_rows n) n ON n.member_id = m.id
       WHERE m.id BETWEEN lo AND hi;
    ELSE
      SELECT count(*) INTO got FROM (
        SELECT 1 FROM members m JOIN (SELECT DISTINCT n.member_id FROM new_rows n) n ON n.member_id = m.id
         WHERE m.id BETWEEN lo AND hi FOR KEY SHARE OF m) l;
    END IF;
    IF got <> want THEN
      PERFORM send_log_reference_missing('member', (SELECT n.member_id FROM new_rows n
        WHERE n.member_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM members m WHERE m.id = n.member_id) LIMIT 1));
    END IF;
  END IF;
  -- One campaign per statement is the rule (a snapshot step, a single message): no DISTINCT over
  -- the step's rows for it.
  IF clo = chi THEN
    want := 1;
    SELECT count(*) INTO got FROM (SELECT 1 FROM campaigns c WHERE c.id = clo FOR KEY SHARE OF c) l;
  ELSE
    SELECT count(DISTINCT campaign_id) INTO want FROM new_rows;
    SELECT count(*) INTO got FROM (
      SELECT 1 FROM campaigns c WHERE c.id IN (SELECT n.campaign_id FROM new_rows n) FOR KEY SHARE OF c) l;
  END IF;
  IF got <> want THEN
    PERFORM send_log_reference_missing('campaign', (SELECT n.campaign_id FROM new_rows n
      WHERE NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = n.campaign_id) LIMIT 1));
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION send_log_check_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.member_id IS NOT NULL THEN
    IF current_setting('transaction_isolation') = 'read committed' THEN
      PERFORM pg_advisory_xact_lock_shared(send_log_member_refs_key());
      PERFORM 1 FROM members m WHERE m.id = NEW.member_id;
    ELSE
      PERFORM 1 FROM members m WHERE m.id = NEW.member_id FOR KEY SHARE OF m;
    END IF;
    IF NOT FOUND THEN PERFORM send_log_reference_missing('member', NEW.member_id); END IF;
  END IF;
  PERFORM 1 FROM campaigns c WHERE c.id = NEW.campaign_id FOR KEY SHARE OF c;
  IF NOT FOUND THEN PERFORM send_log_reference_missing('campaign', NEW.campaign_id); END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION send_log_members_deleting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'members are deleted in READ COMMITTED transactions only (their send_log rows keep the proof with no member)'
      USING ERRCODE = 'invalid_transaction_state';
  END IF;
  PERFORM pg_advisory_xact_lock(send_log_member_refs_key());
  RETURN NULL;
END $$;
CREATE TRIGGER members_deleting_send_log BEFORE DELETE ON members
  FOR EACH STATEMENT EXECUTE FUNCTION send_log_members_deleting();
