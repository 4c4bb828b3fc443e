-- Import (issue 15): a first load of the register drops the members table's plain indexes and
-- rebuilds them afterwards; each text index then sorts a million values. Under the database's libc
-- collation (C.UTF-8 here, nb_NO in production) every comparison goes through strcoll and without
-- abbreviated keys: 1.4–2.5 CPU-seconds per text index per million rows, against ~0.5 for a
-- byte-wise (pattern_ops) one. Measured per index on 1,000,000 members, bench/RESULTS.md (import).
--
-- No query orders by or compares ranges on these, so nothing a user sees changes:
-- * members_name (lower(last_name), lower(first_name)): no query reads it any more (member search
--   uses member_fold(), migration 180; lists order by last_name itself). Dropped.
-- * members_email (lower(email)): members_email_prefix (lower(email) text_pattern_ops, migration
--   180) answers the same equality lookups (`lower(email) = $1`, `= ANY`), as a pattern_ops index
--   does for `=`. Dropped.
-- * members_phone, members_county, members_municipality, members_postcode: only equality
--   (`phone = $1`, `county_code = ANY($1::bpchar[])`, the postcode foreign key's checks…): rebuilt
--   with the byte-wise operator class, which serves `=` and `= ANY` the same way. (Postcode
--   ranges are tested per member against the filter's ranges and use no index on members; no
--   query orders members by postcode.)
DROP INDEX members_name;
DROP INDEX members_email;
DROP INDEX members_phone;
CREATE INDEX members_phone ON members (phone text_pattern_ops);
DROP INDEX members_county;
CREATE INDEX members_county ON members (county_code bpchar_pattern_ops);
DROP INDEX members_municipality;
CREATE INDEX members_municipality ON members (municipality_number bpchar_pattern_ops);
DROP INDEX members_postcode;
CREATE INDEX members_postcode ON members (postcode bpchar_pattern_ops);
