-- Saved audiences (issue 5): a named, reusable audience filter (the JSON grammar of
-- src/audience/filter.ts, validated before it is stored). Campaigns copy the filter they launch
-- with, so deleting a saved audience changes no campaign. Explicit member numbers inside a
-- filter are scrubbed by erasure (src/privacy/erase.ts scans tables named like '%audience%').
CREATE TABLE audiences (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  filter jsonb NOT NULL,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The consent decision's opt-out anti join reads withdrawn rows of one (category, channel);
-- they are a small part of consent_state, so a partial index keeps that read small as the
-- table grows.
CREATE INDEX consent_state_withdrawn ON consent_state(category, channel, member_id) WHERE NOT granted;
