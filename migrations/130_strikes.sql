-- Strikes (issue 16): a strike under one tariff agreement, its phases (uttak) and who each phase
-- takes out, the plassoppsigelse exports to employers, strike committees with their guard lists,
-- and the strike communications (campaigns linked to the strike and phase).
--
-- Purpose limitation: every table here that names a person is emptied when the strike ends
-- (src/strikes/erase.ts); what stays is the strike, its phases (name, start) and
-- strike_phase_counts (numbers per phase and employer). The retention sweep erases whatever an
-- interrupted end left behind, STRIKE_RETENTION_DAYS after the end.

CREATE TABLE strikes (
  id bigserial PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  agreement_id bigint NOT NULL REFERENCES agreements(id),
  state text NOT NULL DEFAULT 'notified' CHECK (state IN ('notified', 'notice_given', 'on_strike', 'ended')),
  -- The date of each move (varslet → plassoppsigelse → streik → avsluttet).
  notified_at timestamptz NOT NULL,
  notice_given_at timestamptz,
  on_strike_at timestamptz,
  ended_at timestamptz,
  -- Mekling: when mediation ends; a strike can start after that.
  mediation_deadline timestamptz,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- When the personal data the strike held was erased (by the end, or the sweep).
  erased_at timestamptz,
  -- What the erasure left: counts only ({ committees, guards, shifts, exports }).
  erased_counts jsonb,
  CHECK ((state = 'ended') = (ended_at IS NOT NULL)),
  CHECK (state <> 'on_strike' OR on_strike_at IS NOT NULL)
);
CREATE INDEX strikes_ended ON strikes(ended_at) WHERE ended_at IS NOT NULL AND erased_at IS NULL;

-- Uttak: each phase takes out more members from its start (opptrapping). The selection is an
-- audience filter (src/audience grammar), always confined to members covered by the strike's
-- agreement; NULL once the strike's personal data is erased.
CREATE TABLE strike_phases (
  id bigserial PRIMARY KEY,
  strike_id bigint NOT NULL REFERENCES strikes(id) ON DELETE CASCADE,
  number integer NOT NULL CHECK (number >= 1),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  starts_at timestamptz NOT NULL,
  selection jsonb,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (strike_id, number)
);

-- Who a phase took out. One row per (strike, member): a member is out in one phase at a time;
-- taking back in sets returned_at. Emptied when the strike ends.
CREATE TABLE strike_takeouts (
  strike_id bigint NOT NULL REFERENCES strikes(id) ON DELETE CASCADE,
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  phase_id bigint NOT NULL REFERENCES strike_phases(id) ON DELETE CASCADE,
  selected_at timestamptz NOT NULL,
  returned_at timestamptz,
  returned_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  PRIMARY KEY (strike_id, member_id)
);
CREATE INDEX strike_takeouts_phase ON strike_takeouts(phase_id, member_id);
CREATE INDEX strike_takeouts_member ON strike_takeouts(member_id);

-- Who is on strike at a moment: the one query. Out in a phase that has started, not taken back
-- in by then, and the strike is on (moved to on_strike by then and not ended).
CREATE FUNCTION strikers_at(at timestamptz)
RETURNS TABLE (strike_id bigint, phase_id bigint, member_id bigint)
LANGUAGE sql STABLE AS $$
  SELECT t.strike_id, t.phase_id, t.member_id
    FROM strike_takeouts t
    JOIN strike_phases p ON p.id = t.phase_id
    JOIN strikes s ON s.id = t.strike_id
   WHERE s.on_strike_at IS NOT NULL AND s.on_strike_at <= at
     AND (s.ended_at IS NULL OR s.ended_at > at)
     AND p.starts_at <= at
     AND (t.returned_at IS NULL OR t.returned_at > at)
$$;

-- What stays of a strike after erasure: counts per phase and employer.
CREATE TABLE strike_phase_counts (
  strike_id bigint NOT NULL REFERENCES strikes(id) ON DELETE CASCADE,
  phase_id bigint NOT NULL REFERENCES strike_phases(id) ON DELETE CASCADE,
  employer_id bigint REFERENCES employers(id),
  taken_out integer NOT NULL CHECK (taken_out >= 0),
  taken_back integer NOT NULL CHECK (taken_back >= 0),
  exports integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX strike_phase_counts_key ON strike_phase_counts(phase_id, COALESCE(employer_id, 0));

-- Plassoppsigelse lists: what was exported to which employer (who, when, which fields, how many
-- rows, which key). The list's content is not kept; the members it held are, so the next export
-- can mark those no longer taken out. Emptied when the strike ends.
CREATE TABLE strike_exports (
  id bigserial PRIMARY KEY,
  strike_id bigint NOT NULL REFERENCES strikes(id) ON DELETE CASCADE,
  phase_id bigint NOT NULL REFERENCES strike_phases(id) ON DELETE CASCADE,
  employer_id bigint NOT NULL REFERENCES employers(id),
  format text NOT NULL CHECK (format IN ('csv', 'pgp')),
  fields text[] NOT NULL,
  row_count integer NOT NULL,
  returned_count integer NOT NULL DEFAULT 0,
  key_fingerprint text,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX strike_exports_phase ON strike_exports(phase_id, employer_id, id);

CREATE TABLE strike_export_members (
  export_id bigint NOT NULL REFERENCES strike_exports(id) ON DELETE CASCADE,
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  returned boolean NOT NULL DEFAULT false,
  PRIMARY KEY (export_id, member_id)
);

-- Streikekomité: one per location, its members staff users scoped to it.
CREATE TABLE strike_committees (
  id bigserial PRIMARY KEY,
  strike_id bigint NOT NULL REFERENCES strikes(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  location text NOT NULL CHECK (length(location) BETWEEN 1 AND 200),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (strike_id, location)
);

CREATE TABLE strike_committee_members (
  committee_id bigint NOT NULL REFERENCES strike_committees(id) ON DELETE CASCADE,
  staff_user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  added_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (committee_id, staff_user_id)
);
CREATE INDEX strike_committee_members_staff ON strike_committee_members(staff_user_id);

-- Vaktlister: guards who volunteered (name and the contact details they gave, nothing else) and
-- shifts. share_consent_at: the guard agreed that other committees may see their contact details.
CREATE TABLE strike_guards (
  id bigserial PRIMARY KEY,
  committee_id bigint NOT NULL REFERENCES strike_committees(id) ON DELETE CASCADE,
  member_id bigint REFERENCES members(id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text,
  volunteered_at timestamptz NOT NULL,
  share_consent_at timestamptz,
  share_consent_recorded_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL
);
CREATE INDEX strike_guards_committee ON strike_guards(committee_id);

CREATE TABLE strike_guard_shares (
  guard_id bigint NOT NULL REFERENCES strike_guards(id) ON DELETE CASCADE,
  committee_id bigint NOT NULL REFERENCES strike_committees(id) ON DELETE CASCADE,
  shared_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  shared_at timestamptz NOT NULL,
  PRIMARY KEY (guard_id, committee_id)
);

CREATE TABLE strike_shifts (
  id bigserial PRIMARY KEY,
  committee_id bigint NOT NULL REFERENCES strike_committees(id) ON DELETE CASCADE,
  place text NOT NULL CHECK (length(place) BETWEEN 1 AND 200),
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX strike_shifts_committee ON strike_shifts(committee_id, starts_at);

CREATE TABLE strike_shift_guards (
  shift_id bigint NOT NULL REFERENCES strike_shifts(id) ON DELETE CASCADE,
  guard_id bigint NOT NULL REFERENCES strike_guards(id) ON DELETE CASCADE,
  PRIMARY KEY (shift_id, guard_id)
);

-- Strike communications are ordinary campaigns (category strike) linked to the strike and phase.
-- Written only by src/strikes.
ALTER TABLE campaigns
  ADD COLUMN strike_id bigint REFERENCES strikes(id),
  ADD COLUMN strike_phase_id bigint REFERENCES strike_phases(id),
  ADD COLUMN strike_purpose text CHECK (strike_purpose IN ('announcement', 'instruction', 'end'));
CREATE INDEX campaigns_strike ON campaigns(strike_id) WHERE strike_id IS NOT NULL;

-- Strike committee members are staff users with the role strike_committee: they reach only the
-- committee endpoints and pages, and only for the committees they belong to.
-- The role list is extended, not restated, so roles added by earlier migrations stay.
DO $$
DECLARE def text;
BEGIN
  SELECT pg_get_constraintdef(oid) INTO def FROM pg_constraint
   WHERE conrelid = 'staff_users'::regclass AND conname = 'staff_users_role_check';
  IF def IS NULL OR position('ARRAY[' IN def) = 0 THEN
    RAISE EXCEPTION 'staff_users_role_check has an unexpected shape: %', def;
  END IF;
  EXECUTE 'ALTER TABLE staff_users DROP CONSTRAINT staff_users_role_check';
  EXECUTE 'ALTER TABLE staff_users ADD CONSTRAINT staff_users_role_check '
    || replace(def, 'ARRAY[', 'ARRAY[''strike_committee''::text, ');
END $$;
