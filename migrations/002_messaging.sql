-- What the hub may send (categories), what members chose (the consent ledger and its current
-- state), which addresses must never be used (suppressions), and what was sent (campaigns and
-- the send log). Shared by consent, campaigns, ballots and privacy.

CREATE TABLE message_categories (
  code text PRIMARY KEY,
  name_nb text NOT NULL,
  legal_basis text NOT NULL,
  declinable boolean NOT NULL,
  default_on boolean NOT NULL,
  channels text[] NOT NULL CHECK (channels <@ ARRAY['email', 'sms', 'letter']::text[] AND cardinality(channels) > 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (declinable OR default_on)
);

INSERT INTO message_categories (code, name_nb, legal_basis, declinable, default_on, channels) VALUES
  ('service',        'Medlemskap og kontingent',          'membership agreement, GDPR art. 6(1)(b) and 9(2)(d)', false, true,  ARRAY['email','sms','letter']),
  ('ballot',         'Uravstemning',                      'membership agreement, GDPR art. 6(1)(b) and 9(2)(d)', false, true,  ARRAY['email','sms','letter']),
  ('strike',         'Streik og konflikt',                'membership agreement, GDPR art. 6(1)(b) and 9(2)(d)', false, true,  ARRAY['email','sms','letter']),
  ('representative', 'Informasjon til tillitsvalgte',     'membership agreement, GDPR art. 6(1)(b) and 9(2)(d)', false, true,  ARRAY['email','sms','letter']),
  ('course',         'Kurs og arrangementer du er meldt på', 'membership agreement, GDPR art. 6(1)(b) and 9(2)(d)', false, true, ARRAY['email','sms']),
  ('newsletter',     'Nyhetsbrev',                        'membership agreement, GDPR art. 6(1)(b); may be declined', true, true, ARRAY['email']),
  ('magazine',       'Medlemsblad i posten',              'membership agreement, GDPR art. 6(1)(b); may be declined', true, true, ARRAY['letter']),
  ('campaign',       'Kampanjer og informasjonstiltak',   'membership agreement, GDPR art. 6(1)(b); may be declined', true, true, ARRAY['email','sms','letter']),
  ('survey',         'Medlemsundersøkelser',              'legitimate interest, GDPR art. 6(1)(f); may be declined', true, true, ARRAY['email','sms']),
  ('benefits',       'Medlemsfordeler fra partnere',      'consent, GDPR art. 6(1)(a) and markedsføringsloven § 15', true, false, ARRAY['email','sms']);

-- The ledger: every change of a member's choice. category NULL = every declinable category,
-- channel NULL = every channel. Append-only; erasure anonymises (member_id set NULL).
CREATE TABLE consent_events (
  id bigserial PRIMARY KEY,
  member_id bigint REFERENCES members(id) ON DELETE SET NULL,
  category text REFERENCES message_categories(code),
  channel text CHECK (channel IN ('email', 'sms', 'letter')),
  granted boolean NOT NULL,
  source text NOT NULL CHECK (source IN ('unsubscribe_link', 'one_click', 'preference_page', 'sms_keyword', 'provider_event', 'staff', 'import')),
  actor_user_id bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  actor text NOT NULL,
  campaign_id bigint,
  reason text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_member ON consent_events(member_id, at);

CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
  FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Current state, one row per concrete (member, category, channel) a choice was made for;
-- no row means "no choice made": the category's default applies.
CREATE TABLE consent_state (
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  category text NOT NULL REFERENCES message_categories(code),
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  granted boolean NOT NULL,
  event_id bigint NOT NULL REFERENCES consent_events(id),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (member_id, category, channel)
);

-- Addresses that must not be used, whatever the category. Lifting keeps the row.
CREATE TABLE suppressions (
  id bigserial PRIMARY KEY,
  channel text NOT NULL CHECK (channel IN ('email', 'sms')),
  address text NOT NULL,
  reason text NOT NULL CHECK (reason IN ('hard_bounce', 'spam_complaint', 'invalid_number', 'carrier_opt_out')),
  source_event text,
  at timestamptz NOT NULL DEFAULT now(),
  lifted_at timestamptz,
  lifted_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  lift_reason text
);
-- Email addresses are stored lower-cased; one active suppression per address.
CREATE UNIQUE INDEX suppressions_active ON suppressions(channel, address) WHERE lifted_at IS NULL;

CREATE TABLE campaigns (
  id bigserial PRIMARY KEY,
  kind text NOT NULL DEFAULT 'campaign' CHECK (kind IN ('campaign', 'single', 'ballot', 'register_event', 'test')),
  name text NOT NULL,
  category text NOT NULL REFERENCES message_categories(code),
  channels text[] NOT NULL CHECK (channels <@ ARRAY['email', 'sms', 'letter']::text[] AND cardinality(channels) > 0),
  state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
  audience jsonb,
  send_at timestamptz,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The send log: one row per (campaign, member, channel). member_id becomes NULL on erasure so
-- campaign counts stay true without anything that identifies the person.
CREATE TABLE send_log (
  id bigserial PRIMARY KEY,
  campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  member_id bigint REFERENCES members(id) ON DELETE SET NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'letter')),
  state text NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'sending', 'sent', 'delivered', 'bounced', 'failed', 'skipped', 'cancelled')),
  reason text,
  address text,
  batch_no integer,
  sent_at timestamptz,
  provider_message_id text,
  last_event text,
  last_event_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX send_log_unique ON send_log(campaign_id, member_id, channel);
CREATE INDEX send_log_member ON send_log(member_id, created_at DESC);
CREATE INDEX send_log_batch ON send_log(campaign_id, channel, batch_no);
CREATE INDEX send_log_provider_id ON send_log(provider_message_id) WHERE provider_message_id IS NOT NULL;

-- Provider webhook events already applied (SendGrid sg_event_id, Twilio MessageSid+status):
-- a retried delivery is recognised here and changes nothing.
CREATE TABLE provider_events (
  provider text NOT NULL,
  event_id text NOT NULL,
  event text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);
