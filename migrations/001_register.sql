-- The member register, its geography and the union's local units.
-- No national identity number is stored anywhere: there is deliberately no column for one.

CREATE TABLE counties (
  code char(2) PRIMARY KEY,
  name text NOT NULL
);

CREATE TABLE municipalities (
  number char(4) PRIMARY KEY,
  name text NOT NULL,
  county_code char(2) NOT NULL REFERENCES counties(code)
);

CREATE TABLE postal_codes (
  postcode char(4) PRIMARY KEY,
  place text NOT NULL,
  municipality_number char(4) NOT NULL REFERENCES municipalities(number),
  category char(1) NOT NULL DEFAULT 'G',
  in_register boolean NOT NULL DEFAULT true
);

-- Norwegian organisation numbers: 9 digits, weights 3 2 7 6 5 4 3 2, mod 11.
CREATE FUNCTION valid_org_number(n text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT n ~ '^[0-9]{9}$' AND (
    CASE (11 - (
      substr(n,1,1)::int*3 + substr(n,2,1)::int*2 + substr(n,3,1)::int*7 + substr(n,4,1)::int*6 +
      substr(n,5,1)::int*5 + substr(n,6,1)::int*4 + substr(n,7,1)::int*3 + substr(n,8,1)::int*2) % 11)
      WHEN 11 THEN 0 WHEN 10 THEN -1 ELSE (11 - (
      substr(n,1,1)::int*3 + substr(n,2,1)::int*2 + substr(n,3,1)::int*7 + substr(n,4,1)::int*6 +
      substr(n,5,1)::int*5 + substr(n,6,1)::int*4 + substr(n,7,1)::int*3 + substr(n,8,1)::int*2) % 11) END
  ) = substr(n,9,1)::int
$$;

CREATE TABLE branches (
  id bigserial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL
);

CREATE TABLE clubs (
  id bigserial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL,
  branch_id bigint NOT NULL REFERENCES branches(id)
);

CREATE TABLE employers (
  id bigserial PRIMARY KEY,
  org_number char(9) NOT NULL UNIQUE CHECK (valid_org_number(org_number)),
  name text NOT NULL
);

CREATE TABLE workplaces (
  id bigserial PRIMARY KEY,
  org_number char(9) NOT NULL UNIQUE CHECK (valid_org_number(org_number)),
  name text NOT NULL,
  employer_id bigint NOT NULL REFERENCES employers(id),
  street text,
  postcode char(4) REFERENCES postal_codes(postcode)
);
CREATE INDEX workplaces_employer ON workplaces(employer_id);

CREATE TABLE agreements (
  id bigserial PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL,
  bargaining_area text
);

CREATE TABLE members (
  id bigserial PRIMARY KEY,
  member_number text NOT NULL UNIQUE,
  first_name text NOT NULL,
  last_name text NOT NULL,
  email text,
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  street text,
  postcode char(4) REFERENCES postal_codes(postcode),
  municipality_number char(4) REFERENCES municipalities(number),
  county_code char(2) REFERENCES counties(code),
  language text NOT NULL DEFAULT 'nb' CHECK (language IN ('nb', 'nn', 'en')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'resigned')),
  category text NOT NULL DEFAULT 'employee'
    CHECK (category IN ('employee', 'self_employed', 'apprentice', 'student', 'pupil', 'pensioner')),
  workplace_id bigint REFERENCES workplaces(id),
  branch_id bigint REFERENCES branches(id),
  club_id bigint REFERENCES clubs(id),
  joined_at date NOT NULL DEFAULT current_date,
  resigned_at date,
  resignation_reason text CHECK (resignation_reason IN
    ('resigned', 'moved_lo_union', 'moved_outside_lo', 'struck_off', 'deceased')),
  dues_outstanding boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'resigned') = (resigned_at IS NOT NULL))
);
CREATE INDEX members_email ON members(lower(email));
CREATE INDEX members_phone ON members(phone);
CREATE INDEX members_postcode ON members(postcode);
CREATE INDEX members_municipality ON members(municipality_number);
CREATE INDEX members_county ON members(county_code);
CREATE INDEX members_workplace ON members(workplace_id);
CREATE INDEX members_branch ON members(branch_id);
CREATE INDEX members_club ON members(club_id);
CREATE INDEX members_resigned ON members(resigned_at) WHERE resigned_at IS NOT NULL;
CREATE INDEX members_name ON members(lower(last_name), lower(first_name));

CREATE TABLE member_agreements (
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  agreement_id bigint NOT NULL REFERENCES agreements(id),
  covered_from date NOT NULL DEFAULT current_date,
  PRIMARY KEY (member_id, agreement_id)
);
CREATE INDEX member_agreements_agreement ON member_agreements(agreement_id);

-- Tillitsverv: a role held by a member, covering exactly one branch, club or workplace.
CREATE TABLE member_roles (
  id bigserial PRIMARY KEY,
  member_id bigint NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('shop_steward', 'chief_shop_steward', 'safety_rep', 'branch_board', 'club_board')),
  branch_id bigint REFERENCES branches(id),
  club_id bigint REFERENCES clubs(id),
  workplace_id bigint REFERENCES workplaces(id),
  starts_on date NOT NULL DEFAULT current_date,
  ends_on date,
  CHECK (num_nonnulls(branch_id, club_id, workplace_id) = 1)
);
CREATE INDEX member_roles_member ON member_roles(member_id);

-- Staff users of the hub. A representative is linked to the member who holds the role(s);
-- their scope is the branches, clubs and workplaces those roles cover.
CREATE TABLE staff_users (
  id bigserial PRIMARY KEY,
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'communications', 'representative', 'auditor')),
  member_id bigint REFERENCES members(id) ON DELETE SET NULL,
  password_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  CHECK (role <> 'representative' OR member_id IS NOT NULL OR disabled_at IS NOT NULL)
);

CREATE TABLE api_tokens (
  id bigserial PRIMARY KEY,
  staff_user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  name text NOT NULL,
  token_hash bytea NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

-- Who viewed, listed, exported or changed member data. Append-only: only the retention sweep
-- may delete (it sets budstikke.retention for its own transaction), nothing may update.
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_user_id bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  actor text NOT NULL,
  action text NOT NULL,
  member_id bigint,
  row_count integer,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_member ON audit_log(member_id) WHERE member_id IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log(at);

CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('budstikke.retention', true) = 'on' THEN RETURN OLD; END IF;
  IF TG_OP = 'UPDATE' AND current_setting('budstikke.erasure', true) = 'on' THEN RETURN NEW; END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
