#!/usr/bin/env bash
# Redis killed (SIGKILL) and restarted empty at random points of a 100,000-email campaign, RUNS
# times (default 5), plus API_KILLS (default 1) runs of the API killed between the launch's commit
# and its enqueue, plus CONTROL (default 1) runs with nothing killed (the floor): bench/redis-loss.ts (real worker and API processes, a private redis-server on a
# free port, never the shared one; see its header). One JSON line per run and a table on stdout;
# every process's full output in LOG (default /tmp/redis-loss-<time>.log), so a failed run can be
# explained afterwards. Record the table in bench/RESULTS.md. Exits non-zero when a run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
LOG="${LOG:-/tmp/redis-loss-$(date -u +%Y%m%dT%H%M%SZ).log}"
echo "full output: $LOG" >&2
exec npx tsx bench/redis-loss.ts --runs "${RUNS:-5}" --api-kill "${API_KILLS:-1}" --control "${CONTROL:-1}" --members "${MEMBERS:-100000}" --log "$LOG" "$@"
