#!/usr/bin/env bash
# npm run bench [-- [--cluster] suite …] — brings the infrastructure up (idempotent; builds
# the apps and bench/), then runs the benchmark suites of bench/ and writes
# bench/results/latest.md and latest.json. Each suite works in a namespace and schema of its
# own and removes them.
# --cluster (or BENCH_CLUSTER=1): instead, the write path (accept, apply, propagation) on the
# local cluster of `npm run infra:up -- --cluster` (three Kafka brokers, a Redis Cluster),
# reported beside the single-node figures of the last run; a cluster this started is stopped
# again at the end.
# Knobs: BENCH_DURATION_SECONDS (10), BENCH_WARMUP_SECONDS (3), BENCH_CONNECTIONS (50),
# BENCH_ROUNDS (3: each load run repeated, the best kept), BENCH_SERVICES (10000, read-path),
# BENCH_WRITE_BACKLOG (40000, write-path), BENCH_WATCHERS (10000, watch), BENCH_COOL_SECONDS
# (60: the longest wait for a quiet machine before a round), BENCH_PROFILE_DIR (CPU profiles
# of the worker's apply phase, of the worker and both APIs over the propagation runs, of the
# API over the accept phase and of the watchers' API over the fan-out, summarised in the
# results), BENCH_WRITE_QUICK (1: only the signed apply and propagation; apply: only the
# apply; accept: only the accept), BENCH_WORKER_NODE_ARGS and BENCH_API_NODE_ARGS (extra node
# flags for the write path's worker and APIs), BENCH_PERF_DIR (a system-wide `perf record -e cpu-clock -g` of each
# propagation round there, the apps started with --perf-basic-prof).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CLUSTER=0
[[ "${BENCH_CLUSTER:-0}" == 1 ]] && CLUSTER=1
args=()
for arg in "$@"; do
  if [[ "$arg" == --cluster ]]; then CLUSTER=1; else args+=("$arg"); fi
done
if ((CLUSTER == 0)); then
  bash "$ROOT/scripts/infra-up.sh"
  cd "$ROOT"
  exec node dist/bench/run.js "${args[@]}"
fi

# The cluster's first broker answering already: someone else's cluster, left running.
running_before=0
(exec 3<>/dev/tcp/127.0.0.1/19092) 2>/dev/null && running_before=1
if ((running_before == 0)); then
  trap 'bash "$ROOT/scripts/infra-down.sh" --cluster' EXIT
fi
up="$(bash "$ROOT/scripts/infra-up.sh" --cluster | tee /dev/stderr)"
eval "$(grep '^export ' <<<"$up")"
cd "$ROOT"
node dist/bench/run.js --cluster "${args[@]}"
