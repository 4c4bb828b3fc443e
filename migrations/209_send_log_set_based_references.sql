-- The campaign snapshot (issues 11 and 15): send_log's two foreign keys checked every row of a
-- snapshot step one by one. PostgreSQL runs a foreign key as a row trigger that executes
-- "SELECT 1 FROM ONLY members x WHERE id = $1 FOR KEY SHARE OF x" for each inserted row: a
-- step of 100,000 rows spent 0.49 s on the campaign key (the same campaign row 100,000 times)
-- and 0.62 s on the member key, half the step (auto_explain with log_triggers, bench/RESULTS.md,
-- sixth session). The same checks once per statement over its new rows take under 0.1 s.
--
-- The two keys become triggers that keep exactly what the keys guaranteed:
--  * every member_id and campaign_id written exists, and its row is locked FOR KEY SHARE until
--    the writing transaction ends, so a concurrent DELETE of that member or campaign waits for
--    it (and a row deleted meanwhile by a committed transaction is reported, SQLSTATE 23503 with
--    the old constraint's name and message, as before);
--  * deleting a member keeps their log rows with member_id NULL (was ON DELETE SET NULL: the
--    proof stays, the person goes); deleting a campaign deletes its rows (was ON DELETE CASCADE);
--  * TRUNCATE of members or campaigns does the same to send_log (a foreign key refused a plain
--    TRUNCATE and emptied send_log with CASCADE; nothing in the hub truncates either).
-- Inserts are checked per statement (transition table); updates only when an UPDATE sets
-- member_id or campaign_id to another non-null value (nothing in the hub does; erasure sets
-- NULL), so the mark and the webhooks pay nothing.
ALTER TABLE send_log DROP CONSTRAINT send_log_member_id_fkey;
ALTER TABLE send_log DROP CONSTRAINT send_log_campaign_id_fkey;

-- The error a foreign key raised, with the old constraint's name: `ref` is 'member' or 'campaign'.
CREATE FUNCTION send_log_reference_missing(ref text, id bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'insert or update on table "send_log" violates foreign key constraint "send_log_%_id_fkey"', ref
    USING ERRCODE = 'foreign_key_violation', CONSTRAINT = format('send_log_%s_id_fkey', ref), TABLE = 'send_log',
          DETAIL = format('Key (%s_id)=(%s) is not present in table "%ss".', ref, id, ref);
END $$;

-- Locked first, then counted: a member (campaign) deleted by a transaction that commits while
-- this waits for its lock is not returned, so it is missing.
CREATE FUNCTION send_log_check_inserted() RETURNS trigger LANGUAGE plpgsql
  -- A snapshot step's 100,000 rows name 100,000 members of one id range: one range scan of
  -- members merged with them, not 100,000 index probes (the planner knows nothing of the
  -- transition table and chose the probes). For this function's statements only.
  SET enable_nestloop = off AS $$
DECLARE
  want bigint;
  got bigint;
  lo bigint;
  hi bigint;
BEGIN
  SELECT count(DISTINCT member_id), min(member_id), max(member_id) INTO want, lo, hi FROM new_rows;
  IF want > 0 THEN
    SELECT count(*) INTO got FROM (
      SELECT 1 FROM members m JOIN (SELECT DISTINCT n.member_id FROM new_rows n) n ON n.member_id = m.id
       WHERE m.id BETWEEN lo AND hi FOR KEY SHARE OF m) l;
    IF got <> want THEN
      PERFORM send_log_reference_missing('member', (SELECT n.member_id FROM new_rows n
        WHERE n.member_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM members m WHERE m.id = n.member_id) LIMIT 1));
    END IF;
  END IF;
  SELECT count(DISTINCT campaign_id) INTO want FROM new_rows;
  SELECT count(*) INTO got FROM (
    SELECT 1 FROM campaigns c WHERE c.id IN (SELECT n.campaign_id FROM new_rows n) FOR KEY SHARE OF c) l;
  IF got <> want THEN
    PERFORM send_log_reference_missing('campaign', (SELECT n.campaign_id FROM new_rows n
      WHERE NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.id = n.campaign_id) LIMIT 1));
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER send_log_references_insert AFTER INSERT ON send_log
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION send_log_check_inserted();

CREATE FUNCTION send_log_check_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.member_id IS NOT NULL THEN
    PERFORM 1 FROM members m WHERE m.id = NEW.member_id FOR KEY SHARE OF m;
    IF NOT FOUND THEN PERFORM send_log_reference_missing('member', NEW.member_id); END IF;
  END IF;
  PERFORM 1 FROM campaigns c WHERE c.id = NEW.campaign_id FOR KEY SHARE OF c;
  IF NOT FOUND THEN PERFORM send_log_reference_missing('campaign', NEW.campaign_id); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER send_log_references_update AFTER UPDATE OF member_id, campaign_id ON send_log FOR EACH ROW
  WHEN ((NEW.member_id IS NOT NULL AND NEW.member_id IS DISTINCT FROM OLD.member_id) OR NEW.campaign_id IS DISTINCT FROM OLD.campaign_id)
  EXECUTE FUNCTION send_log_check_updated();

CREATE FUNCTION send_log_members_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE send_log s SET member_id = NULL FROM old_rows o WHERE s.member_id = o.id;
  RETURN NULL;
END $$;
CREATE TRIGGER members_deleted_send_log AFTER DELETE ON members
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION send_log_members_deleted();

CREATE FUNCTION send_log_campaigns_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM send_log s USING old_rows o WHERE s.campaign_id = o.id;
  RETURN NULL;
END $$;
CREATE TRIGGER campaigns_deleted_send_log AFTER DELETE ON campaigns
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION send_log_campaigns_deleted();

CREATE FUNCTION send_log_members_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE send_log SET member_id = NULL WHERE member_id IS NOT NULL;
  RETURN NULL;
END $$;
CREATE TRIGGER members_truncated_send_log BEFORE TRUNCATE ON members
  FOR EACH STATEMENT EXECUTE FUNCTION send_log_members_truncated();

CREATE FUNCTION send_log_campaigns_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM send_log;
  RETURN NULL;
END $$;
CREATE TRIGGER campaigns_truncated_send_log BEFORE TRUNCATE ON campaigns
  FOR EACH STATEMENT EXECUTE FUNCTION send_log_campaigns_truncated();
