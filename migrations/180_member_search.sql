-- Member search (issue 12): accent-insensitive names ("gronli" finds Grønli), by the unaccent
-- extension. unaccent() is only STABLE (it reads a dictionary chosen by search_path), so an index
-- needs this IMMUTABLE wrapper that names the dictionary; ø→o, å→a, æ→ae, é→e.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION member_fold(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, t)) $$;

-- Prefix search on folded names (LIKE 'x%'), and the email search by prefix.
CREATE INDEX members_name_folded ON members (member_fold(last_name) text_pattern_ops, member_fold(first_name) text_pattern_ops);
CREATE INDEX members_first_name_folded ON members (member_fold(first_name) text_pattern_ops);
CREATE INDEX members_email_prefix ON members (lower(email) text_pattern_ops);
