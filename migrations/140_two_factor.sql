-- Two-factor sign-in (issue 13): TOTP (RFC 6238) and recovery codes for staff users.

-- One authenticator per staff user. The shared secret is stored encrypted (AES-256-GCM with a key
-- from TOTP_ENCRYPTION_KEYS, src/auth/two-factor.ts): a copy of this table alone does not let
-- anyone compute codes. confirmed_at is null while an enrolment waits for its first code.
-- last_step is the RFC 6238 time step of the last accepted code: a code of that step or an
-- earlier one is refused (replay, RFC 6238 §5.2).
CREATE TABLE staff_totp (
  staff_user_id bigint PRIMARY KEY REFERENCES staff_users(id) ON DELETE CASCADE,
  secret_enc text NOT NULL CHECK (length(secret_enc) <= 400),
  confirmed_at timestamptz,
  last_step bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Ten one-time recovery codes per enrolment, stored only as argon2id hashes; used_at marks one spent.
CREATE TABLE staff_recovery_codes (
  id bigserial PRIMARY KEY,
  staff_user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_recovery_codes_user ON staff_recovery_codes(staff_user_id) WHERE used_at IS NULL;

-- A sign-in half done: the password was right and the second step (a code, or enrolment for a
-- role that must have two-factor sign-in) is still to come. Not a session: nothing under /app or
-- /api accepts it. The cookie holds a random id (signed); only its SHA-256 is stored.
CREATE TABLE web_sign_in_steps (
  id_hash bytea PRIMARY KEY,
  staff_user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('code', 'enrol')),
  csrf_token text NOT NULL,
  next_path text NOT NULL CHECK (length(next_path) <= 500),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sign_in_steps_user ON web_sign_in_steps(staff_user_id);
CREATE INDEX web_sign_in_steps_expires ON web_sign_in_steps(expires_at);
