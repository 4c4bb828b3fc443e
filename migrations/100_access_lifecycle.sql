-- Access lifecycle (issue 13): sessions an admin can list and end one by one, and login
-- throttling that slows guessing down instead of locking an account for everyone.

-- A public handle for a session (the primary key is the hash of the secret cookie value, which
-- must never leave the server), and what the browser said it was, cut short.
ALTER TABLE web_sessions ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY;
ALTER TABLE web_sessions ADD CONSTRAINT web_sessions_id_unique UNIQUE (id);
ALTER TABLE web_sessions ADD COLUMN user_agent text CHECK (length(user_agent) <= 200);

-- Failed sign-ins per key: 'email:<sha256 of the normalised email>', 'ip:<address>' and
-- 'pair:<sha256 of email and address>'. No email address is kept here in the clear.
CREATE TABLE login_throttle (
  key text PRIMARY KEY CHECK (length(key) <= 120),
  failures integer NOT NULL CHECK (failures >= 0),
  last_failure_at timestamptz NOT NULL
);
CREATE INDEX login_throttle_last ON login_throttle(last_failure_at);
