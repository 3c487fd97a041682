#!/usr/bin/env bash
# npm test — infra:up, then jest (in band) against the real Kafka/Redis/PostgreSQL, then the
# console's component tests (vitest, apps/console).
# Output: .cache/test-output.log, .cache/jest-results.json, .cache/vitest-results.json; the
# last line is `N passed, N failed` over both runners
# (N failed counts failed tests plus test suites that could not run). Exits with jest's code.
# Afterwards it stops only the services that this run's infra:up started.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
mkdir -p "$CACHE"

RESULTS="$CACHE/jest-results.json"
CONSOLE_RESULTS="$CACHE/vitest-results.json"
OUTPUT="$CACHE/test-output.log"
RUN_STARTED=()
STOPPED=0

stop_started() {
  ((STOPPED)) && return 0
  STOPPED=1
  if ((${#RUN_STARTED[@]} > 0)); then
    bash "$ROOT/scripts/infra-down.sh" "${RUN_STARTED[@]}" || true
  fi
}
read_started() {
  if [[ -s "$CACHE/started.run" ]]; then
    mapfile -t RUN_STARTED <"$CACHE/started.run"
  fi
}
trap 'stop_started' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rm -f "$RESULTS" "$CONSOLE_RESULTS"
if ! bash "$ROOT/scripts/infra-up.sh"; then
  read_started
  echo "[infra] ERROR: infra:up failed; tests not run" >&2
  stop_started
  echo "0 passed, 1 failed"
  exit 1
fi
read_started

log "running jest"
set +e
node --experimental-vm-modules node_modules/jest/bin/jest.js --runInBand \
  --json --outputFile="$RESULTS" "$@" 2>&1 | tee "$OUTPUT"
jest_rc=${PIPESTATUS[0]}
log "running the console's component tests (vitest)"
node node_modules/vitest/vitest.mjs run --config apps/console/vite.config.ts \
  --reporter=default --reporter=json --outputFile="$CONSOLE_RESULTS" 2>&1 | tee -a "$OUTPUT"
vitest_rc=${PIPESTATUS[0]}
set -e

# shellcheck disable=SC2016 # JavaScript, not shell
summary="$(node -e '
  const fs = require("fs");
  let passed = 0;
  let failed = 0;
  for (const file of process.argv.slice(1)) {
    try {
      const r = JSON.parse(fs.readFileSync(file, "utf8"));
      passed += r.numPassedTests || 0;
      failed += (r.numFailedTests || 0) + (r.numRuntimeErrorTestSuites || 0);
    } catch {
      failed += 1;
    }
  }
  console.log(`${passed} passed, ${failed} failed`);' "$RESULTS" "$CONSOLE_RESULTS")"
# No results file: jest crashed; make sure the run fails even if it exited 0.
if [[ ! -s "$RESULTS" && "$jest_rc" == "0" ]]; then
  jest_rc=1
fi

if [[ "$jest_rc" == "0" && "$vitest_rc" != "0" ]]; then
  jest_rc=$vitest_rc
fi

stop_started
echo "$summary"
exit "$jest_rc"
