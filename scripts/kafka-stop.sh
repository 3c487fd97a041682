#!/usr/bin/env bash
# Stops the broker started by scripts/kafka-start.sh: SIGTERM to the recorded pid only,
# up to 30 s for a clean shutdown, then SIGKILL. Idempotent.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PID_FILE="$KAFKA_HOME/kafka.pid"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"

if [[ ! -f "$PID_FILE" ]]; then
  log "kafka: no pid file; nothing to stop"
  exit 0
fi
pid="$(cat "$PID_FILE")"
if ! pid_alive "$pid"; then
  log "kafka: pid $pid not running; removing stale pid file"
  rm -f "$PID_FILE"
  exit 0
fi
if ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then
  warn "pid $pid is not a kafka.Kafka process; not touching it (removing stale pid file)"
  rm -f "$PID_FILE"
  exit 0
fi

log "stopping kafka (pid $pid)"
kill -TERM "$pid" 2>/dev/null || true
deadline=$((SECONDS + STOP_TIMEOUT))
while pid_alive "$pid" && ((SECONDS < deadline)); do
  sleep 0.5
done
if pid_alive "$pid"; then
  warn "kafka (pid $pid) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 1
fi
rm -f "$PID_FILE"
log "kafka stopped"
