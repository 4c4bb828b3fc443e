-- Import and member search (issue 15): member_fold() (migration 180) is a LANGUAGE sql function
-- declared IMMUTABLE around unaccent(regdictionary, text), which is only STABLE. PostgreSQL does
-- not inline an IMMUTABLE SQL function whose body calls a non-immutable one, so every call ran
-- the SQL-function executor (a query start and end per value): about three times the cost of the
-- expression itself. A first load of the register evaluates it three million times (the two
-- folded-name indexes), and a member search once or more per member it scans.
--
-- The same expression in PL/pgSQL is evaluated as a "simple expression" (no executor start per
-- call): about half the cost per value, measured on 300,000 names (bench/RESULTS.md, import,
-- fifth session). The result is the same function of the same input (lower() of unaccent() with
-- the named dictionary), so the indexes built on it stay valid; queries keep calling
-- member_fold() and so keep matching the indexes (EXPLAIN in bench/RESULTS.md).
-- (An inlinable form needs an IMMUTABLE C wrapper of unaccent_dict, which only a superuser may
-- create; migrations here must not need one.)
CREATE OR REPLACE FUNCTION member_fold(t text) RETURNS text
  LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ BEGIN RETURN lower(public.unaccent('public.unaccent'::regdictionary, t)); END $$;
