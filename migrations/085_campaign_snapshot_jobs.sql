-- Launch (issue 11): the audience snapshot runs as queue jobs, step by step, after the launch
-- request has answered. Its progress lives here, so a job that dies continues where the last
-- committed step ended, and staff see how much of the audience has been taken.
ALTER TABLE campaigns
  ADD COLUMN snapshot_cursor bigint,                     -- the next member id a step starts at; NULL before the first step
  ADD COLUMN snapshot_taken integer NOT NULL DEFAULT 0,  -- log rows written by the snapshot so far
  ADD COLUMN delivery_window jsonb;                      -- optional email window: {"minutes": N} or {"perHour": N}; NULL = as fast as possible

-- The queue watchdog (queues/watchdog.ts): the campaign sweep, a job scheduler that lives in
-- Redis, records each run here. A worker process that finds it older than a few intervals knows
-- the sweep (and perhaps every queue) was lost with Redis, and rebuilds them from PostgreSQL.
CREATE TABLE queue_heartbeats (
  name text PRIMARY KEY,
  at timestamptz NOT NULL
);
