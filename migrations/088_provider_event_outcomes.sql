-- Provider events belong to their row (issue 11): every webhook event we receive is kept with
-- what became of it. 'applied': it named a send-log row and agreed with it (its effect, if any,
-- was applied); 'rejected': it named no row we know or disagreed with the row (channel, provider
-- message id or address), nothing changed; 'skipped': its fields were unusable (a timestamp out
-- of range, wrong types, deep nesting), nothing changed. The reason says which. No address or
-- payload is kept here: the row id and the reason are enough to investigate.
ALTER TABLE provider_events
  ADD COLUMN outcome text NOT NULL DEFAULT 'applied' CHECK (outcome IN ('applied', 'rejected', 'skipped')),
  ADD COLUMN reason text,
  -- No foreign key: retention may reduce old send-log rows while their events stay countable.
  ADD COLUMN send_log_id bigint;
CREATE INDEX provider_events_not_applied ON provider_events(received_at) WHERE outcome <> 'applied';
