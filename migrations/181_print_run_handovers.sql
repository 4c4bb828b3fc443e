-- Letters' print runs on the campaign page (issue 12). A run is the PDF and manifest one letter
-- batch wrote (send_log.provider_message_id names its file); it is "klar til trykk" until staff
-- mark it handed to the printer, which is all this table holds.
CREATE TABLE print_run_handovers (
  campaign_id bigint NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  run text NOT NULL CHECK (run ~ '^[A-Za-z0-9_-]{1,200}$'),
  handed_over_at timestamptz NOT NULL DEFAULT now(),
  handed_over_by bigint REFERENCES staff_users(id) ON DELETE SET NULL,
  PRIMARY KEY (campaign_id, run)
);
