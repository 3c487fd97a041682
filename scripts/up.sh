#!/usr/bin/env bash
# npm run up — infra:up, then the API and the worker in the background until Ctrl-C.
# On exit (INT/TERM/EXIT) it stops the API and the worker, then stops only the services
# that this run's infra:up started.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

PORT="${PORT:-3000}"
WORKER_PORT="${WORKER_PORT:-3100}"
STOP_TIMEOUT=30
export PORT WORKER_PORT
API_PID=""
WORKER_PID=""
RUN_STARTED=()
CLEANED=0

# shellcheck disable=SC2317 # invoked through trap
cleanup() {
  local code=$?
  ((CLEANED)) && return
  CLEANED=1
  trap - INT TERM EXIT
  echo
  for pid in $API_PID $WORKER_PID; do
    if pid_alive "$pid"; then
      log "stopping pid $pid"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for pid in $API_PID $WORKER_PID; do
    for _ in $(seq 1 $((STOP_TIMEOUT * 4))); do pid_alive "$pid" || break; sleep 0.25; done
    if pid_alive "$pid"; then
      warn "pid $pid still running after ${STOP_TIMEOUT} s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  if ((${#RUN_STARTED[@]} > 0)); then
    bash "$ROOT/scripts/infra-down.sh" "${RUN_STARTED[@]}" || true
  else
    log "infrastructure was already running before; leaving it up"
  fi
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$ROOT/scripts/infra-up.sh"
if [[ -s "$CACHE/started.run" ]]; then
  mapfile -t RUN_STARTED <"$CACHE/started.run"
fi

[[ -f dist/apps/api/src/main.js ]] || die "dist/apps/api/src/main.js not found (did the build run?)"
[[ -f dist/apps/worker/src/main.js ]] || die "dist/apps/worker/src/main.js not found (did the build run?)"

for p in "$PORT" "$WORKER_PORT"; do
  if port_open 127.0.0.1 "$p"; then
    die "port $p is already in use (another api/worker running?); set PORT / WORKER_PORT or stop it"
  fi
done

log "starting api (PORT=$PORT)"
node dist/apps/api/src/main.js &
API_PID=$!
log "starting worker (WORKER_PORT=$WORKER_PORT)"
# Its node flags: libs/config/src/node-flags.ts.
node --max-semi-space-size=64 dist/apps/worker/src/main.js &
WORKER_PID=$!

deadline=$((SECONDS + 60))
until port_open 127.0.0.1 "$PORT" && port_open 127.0.0.1 "$WORKER_PORT"; do
  pid_alive "$API_PID" || die "api exited during startup"
  pid_alive "$WORKER_PID" || die "worker exited during startup"
  ((SECONDS < deadline)) || die "api/worker did not listen on 127.0.0.1:$PORT/$WORKER_PORT within 60 s"
  sleep 0.5
done

cat <<INFO
[infra] ------------------------------------------------------------------
[infra] Warden is up (api pid $API_PID, worker pid $WORKER_PID)
[infra]   API        http://127.0.0.1:$PORT/v1
[infra]   API docs   http://127.0.0.1:$PORT/docs
[infra]   readiness  http://127.0.0.1:$PORT/admin/health/ready
[infra]   worker     http://127.0.0.1:$WORKER_PORT/health/ready
[infra] Development tokens (role:token): reader:dev-reader  writer:dev-writer  admin:dev-admin
[infra]   curl -H 'Authorization: Bearer dev-reader' http://127.0.0.1:$PORT/v1/...
[infra]   curl -H 'Authorization: Bearer dev-writer' -X POST http://127.0.0.1:$PORT/v1/...
[infra]   curl -H 'Authorization: Bearer dev-admin'  http://127.0.0.1:$PORT/admin/health/ready
[infra] Ctrl-C stops the api and the worker (and what this run started).
[infra] ------------------------------------------------------------------
INFO

# Wait until either process exits (or a signal arrives); then clean up through the trap.
set +e
wait -n "$API_PID" "$WORKER_PID"
code=$?
set -e
warn "a process exited (status $code); shutting down"
exit "$code"
