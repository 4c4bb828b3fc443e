-- Members reach their choices without an old message (issue 14) and opt-in consent by link
-- needs a confirmation (issue 13, "Consent by link").

-- New ledger sources: a change made from a one-time preference link (preference entry), a grant
-- confirmed by the member from a confirmation message (double opt-in), a change made with the
-- personal code printed on a letter.
ALTER TABLE consent_events DROP CONSTRAINT IF EXISTS consent_events_source_check;
ALTER TABLE consent_events ADD CONSTRAINT consent_events_source_check CHECK (source IN (
  'unsubscribe_link', 'one_click', 'preference_page', 'sms_keyword', 'provider_event', 'staff', 'import',
  'preference_link', 'double_opt_in', 'letter_code'));

-- One-time links sent to a member's address: `entry` opens the preference centre (30 minutes),
-- `confirm` is a pending opt-in grant (category × channel) that only the click confirms. Only a
-- hash of the link's secret is kept; consumed_at makes a link single-use (set in one UPDATE).
CREATE TABLE member_links (
  id bigserial PRIMARY KEY,
  purpose text NOT NULL CHECK (purpose IN ('entry', 'confirm')),
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  -- the channel the link was sent on
  sent_channel text NOT NULL CHECK (sent_channel IN ('email', 'sms')),
  -- confirm: the grant waiting for the click
  category text REFERENCES message_categories(code),
  consent_channel text CHECK (consent_channel IN ('email', 'sms', 'letter')),
  secret_hash bytea NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  sent_at timestamptz,
  consumed_at timestamptz,
  CHECK (purpose = 'entry' OR (category IS NOT NULL AND consent_channel IS NOT NULL))
);
CREATE INDEX member_links_member ON member_links(member_id, purpose, created_at);

-- Fixed-window counters of preference-entry requests per address and per client (the keys are
-- hashes: no address is stored).
CREATE TABLE member_link_throttle (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  hits integer NOT NULL
);

-- Personal codes printed on letters: short, derived by HMAC (not guessable), expiring.
CREATE TABLE letter_codes (
  code text PRIMARY KEY,
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX letter_codes_member ON letter_codes(member_id);
