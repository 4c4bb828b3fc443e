-- Message templates (rendering). A template is a named, categorised message; its content lives
-- in immutable versions, one row per language. A campaign refers to the template_versions row it
-- was launched with, so editing a template (a new version) never changes what a campaign sends.
-- Built-in templates come from templates/ in the source tree (source = 'file'); staff add their
-- own, or new versions of any template, through the API (source = 'api').

CREATE TABLE templates (
  id bigserial PRIMARY KEY,
  key text NOT NULL UNIQUE CHECK (key ~ '^[a-z0-9][a-z0-9_-]{1,62}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  description text,
  category text NOT NULL REFERENCES message_categories(code),
  built_in boolean NOT NULL DEFAULT false,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE template_versions (
  id bigserial PRIMARY KEY,
  template_id bigint NOT NULL REFERENCES templates(id) ON DELETE RESTRICT,
  version integer NOT NULL CHECK (version >= 1),
  source text NOT NULL DEFAULT 'api' CHECK (source IN ('api', 'file')),
  -- sha256 of the canonical JSON of the content: a built-in file that did not change adds nothing.
  content_hash text NOT NULL,
  note text,
  created_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (template_id, version)
);
CREATE INDEX template_versions_hash ON template_versions(template_id, content_hash);

-- Per language: bokmål is required (it is the fallback), nynorsk and English are optional.
-- A channel left NULL in nn/en falls back to bokmål's; NULL in nb means the template has no
-- such channel.
CREATE TABLE template_version_languages (
  template_version_id bigint NOT NULL REFERENCES template_versions(id) ON DELETE RESTRICT,
  language text NOT NULL CHECK (language IN ('nb', 'nn', 'en')),
  subject text,
  mjml text,
  sms text,
  letter text,
  PRIMARY KEY (template_version_id, language),
  CHECK (mjml IS NULL OR subject IS NOT NULL)
);

-- Versions are immutable: what a campaign was launched with can always be shown again.
CREATE TRIGGER template_versions_immutable BEFORE UPDATE OR DELETE ON template_versions
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER template_version_languages_immutable BEFORE UPDATE OR DELETE ON template_version_languages
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
