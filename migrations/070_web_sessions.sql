-- Staff web sessions. The cookie carries a random session id (signed with SESSION_SECRET);
-- only its SHA-256 is stored, so a copy of this table cannot be replayed as cookies.
CREATE TABLE web_sessions (
  id_hash bytea PRIMARY KEY,
  staff_user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_user ON web_sessions(staff_user_id);
CREATE INDEX web_sessions_expires ON web_sessions(expires_at);

-- Sign-in attempts (no passwords, no IP addresses kept beyond a hash): lets an admin see
-- failed attempts against an account.
CREATE TABLE web_login_attempts (
  id bigserial PRIMARY KEY,
  email text NOT NULL,
  ok boolean NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_login_attempts_email ON web_login_attempts(lower(email), at);

ALTER TABLE staff_users ADD COLUMN password_changed_at timestamptz;
