#!/usr/bin/env bash
# Redis killed (SIGKILL) and restarted empty at random points of an email campaign, RUNS times
# (default 5), against a private redis-server the test starts on a free port (never the shared
# one). Prints one JSON line per run: sent at the kill, batches in flight, seconds from Redis's
# return to completion, lost, duplicates. Record the output in bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
REDIS_LOSS_RUNS="${RUNS:-5}" TEST_LOG_LEVEL=silent npx jest test/redis-loss.test.ts -t 'Redis killed' 2>&1 | tee /tmp/redis-loss-full.txt | grep -E 'redis-loss run|Tests:|Error|Expected|Received'
