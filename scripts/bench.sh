#!/usr/bin/env bash
# npm run bench [-- suite …] — brings the infrastructure up (idempotent; builds the apps
# and bench/), then runs the benchmark suites of bench/ and writes bench/results/latest.md
# and latest.json. Each suite works in a namespace and schema of its own and removes them.
# Knobs: BENCH_DURATION_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (50),
# BENCH_ROUNDS (3: each load run repeated, the best kept), BENCH_SERVICES (10000, read-path),
# BENCH_WRITE_BACKLOG (40000, write-path), BENCH_WATCHERS (10000, watch), BENCH_COOL_SECONDS (120).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/infra-up.sh"
cd "$ROOT"
exec node dist/bench/run.js "$@"
