-- Expired letter codes and old one-time links are removed as new ones are made (src/consent/
-- letter-codes.ts, one-time.ts): indexes so that clean-up never scans the whole table.
CREATE INDEX letter_codes_expiry ON letter_codes(expires_at);
CREATE INDEX member_links_expiry ON member_links(expires_at);
