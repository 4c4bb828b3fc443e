-- Staff workflow (issue 12): idempotency of creates and launches, the wizard's server-side draft,
-- and which message categories representatives may use for their own members.

-- A repeated "create template" (double click, reload) returns the template made the first time.
-- The key is scoped by its creator: "<staff user id>:<key the form carried>".
ALTER TABLE templates ADD COLUMN idempotency_key text;
CREATE UNIQUE INDEX templates_idempotency ON templates(idempotency_key) WHERE idempotency_key IS NOT NULL;

-- The key of the launch (or start, or approval) form that launched the campaign: a repeat with the
-- same key answers with the campaign as it is instead of launching twice or answering 409.
ALTER TABLE campaigns ADD COLUMN launch_key text;

-- The new-campaign wizard as staff left it: restored after reload and back/forward.
CREATE TABLE campaign_wizard_drafts (
  staff_user_id bigint NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  draft_key text NOT NULL CHECK (draft_key ~ '^[A-Za-z0-9_-]{8,64}$'),
  state jsonb NOT NULL,
  campaign_id bigint REFERENCES campaigns(id) ON DELETE SET NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (staff_user_id, draft_key)
);

-- Categories a representative may message their own members in (configurable per category).
ALTER TABLE message_categories ADD COLUMN representatives_allowed boolean NOT NULL DEFAULT false;
UPDATE message_categories SET representatives_allowed = true WHERE code IN ('campaign', 'course', 'survey');
