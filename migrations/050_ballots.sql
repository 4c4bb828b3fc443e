-- Tariff ballots (uravstemninger): the ballot, the agreements it concerns, the frozen electoral
-- roll (manntall), a record of each encrypted roll export, and the notification plan.
--
-- NO VOTE DATA. The ballot provider runs the vote and holds the votes; the union must not be
-- able to see who voted or how (seed 000: "NTL har kun begrenset tilgang for å hindre at
-- forbundet påvirker stemmegivingen underveis"). There is deliberately no column for a vote,
-- a turnout figure per member or a "has voted" flag, and nothing may add one (test/ballots.test.ts
-- scans the schema).
--
-- Privacy (retention): ballot_roll_entries and ballot_roll_exports are personal data about who
-- was eligible; they may be deleted per ballot (DELETE … WHERE ballot_id = $1) once the ballot
-- has closed plus RETENTION_ELECTORAL_ROLL_DAYS. Nothing references them, so deleting them
-- breaks nothing; ballots.roll_size keeps the count. ballots.roll_erased_at records that it happened.

CREATE TABLE ballots (
  id bigserial PRIMARY KEY,
  title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  state text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed', 'cancelled')),
  opens_at timestamptz NOT NULL,
  closes_at timestamptz NOT NULL,
  -- Narrowing of the default rule (active members covered by one of the ballot's agreements at
  -- the cut-off): { categories?: text[], employerOrgNumbers?: text[], workplaceOrgNumbers?: text[] }.
  eligibility jsonb NOT NULL DEFAULT '{}',
  -- Exactly one: a common voting URL, or a per-member link template containing {memberNumber}.
  voting_url text,
  voting_url_template text CHECK (voting_url_template IS NULL OR voting_url_template LIKE '%{memberNumber}%'),
  -- ISO 8601 durations before closing, e.g. {P3D,P1D}.
  reminder_offsets text[] NOT NULL DEFAULT ARRAY['P3D', 'P1D'],
  channels text[] NOT NULL DEFAULT ARRAY['email', 'sms', 'letter']
    CHECK (channels <@ ARRAY['email', 'sms', 'letter']::text[] AND cardinality(channels) > 0),
  -- The provider's armored OpenPGP public key (public: no secret here).
  provider_public_key text,
  result_text text,
  result_added_at timestamptz,
  roll_cutoff_at timestamptz,
  roll_frozen_at timestamptz,
  roll_frozen_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  roll_size integer,
  roll_erased_at timestamptz,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz,
  CHECK (closes_at > opens_at),
  CHECK (num_nonnulls(voting_url, voting_url_template) = 1),
  CHECK (roll_frozen_at IS NULL OR roll_cutoff_at IS NOT NULL)
);
CREATE INDEX ballots_state ON ballots(state) WHERE state IN ('draft', 'open');

CREATE TABLE ballot_agreements (
  ballot_id bigint NOT NULL REFERENCES ballots(id) ON DELETE CASCADE,
  agreement_id bigint NOT NULL REFERENCES agreements(id),
  PRIMARY KEY (ballot_id, agreement_id)
);

-- The frozen electoral roll: who was eligible at the cut-off. Only the key pair is kept; names
-- and addresses are read from the register when the roll is exported.
CREATE TABLE ballot_roll_entries (
  ballot_id bigint NOT NULL REFERENCES ballots(id) ON DELETE CASCADE,
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  PRIMARY KEY (ballot_id, member_id)
);
CREATE INDEX ballot_roll_entries_member ON ballot_roll_entries(member_id);

-- One row per encrypted export handed to the provider. The plaintext is never stored; the
-- ciphertext is not stored either (it goes to the requesting admin only).
CREATE TABLE ballot_roll_exports (
  id bigserial PRIMARY KEY,
  ballot_id bigint NOT NULL REFERENCES ballots(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  fields text[] NOT NULL,
  row_count integer NOT NULL,
  key_fingerprint text NOT NULL,
  ciphertext_sha256 text
);
CREATE INDEX ballot_roll_exports_ballot ON ballot_roll_exports(ballot_id);

-- The notification plan: what the hub will tell the roll and when. Each row becomes one campaign
-- (kind 'ballot', category 'ballot') when it is due. BullMQ jobs only wake the hub up; this
-- table is the schedule, so a restart loses nothing.
CREATE TABLE ballot_notifications (
  id bigserial PRIMARY KEY,
  ballot_id bigint NOT NULL REFERENCES ballots(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('opened', 'reminder', 'result')),
  -- reminders: the ISO 8601 duration before closing; '' for the others
  offset_before_close text NOT NULL DEFAULT '',
  due_at timestamptz NOT NULL,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'launching', 'launched', 'cancelled', 'skipped')),
  channels text[],
  reason text,
  campaign_id bigint REFERENCES campaigns(id) ON DELETE SET NULL,
  launched_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ballot_id, kind, offset_before_close)
);
CREATE INDEX ballot_notifications_pending ON ballot_notifications(due_at) WHERE state IN ('pending', 'launching');
