#!/usr/bin/env bash
# npm run infra:down — stops only the services that infra:up started (listed in
# .cache/started); services that were already running are left alone. Idempotent.
# Usage: infra-down.sh [--cluster | kafka|redis|postgres|kafka-cluster|redis-cluster ...]
# (default: everything in .cache/started; --cluster: only the local cluster).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ ! -s "$STARTED_FILE" ]]; then
  log "nothing recorded as started by infra:up; nothing to stop"
  exit 0
fi

if [[ "${1:-}" == "--cluster" ]]; then
  wanted=(kafka-cluster redis-cluster)
elif (($# > 0)); then
  wanted=("$@")
else
  mapfile -t wanted <"$STARTED_FILE"
fi

forget() {
  local tmp="$STARTED_FILE.tmp"
  grep -vx "$1" "$STARTED_FILE" >"$tmp" || true
  mv "$tmp" "$STARTED_FILE"
}

rc=0
for svc in "${wanted[@]}"; do
  [[ -n "$svc" ]] || continue
  if ! grep -qx "$svc" "$STARTED_FILE"; then
    log "$svc was not started by infra:up; leaving it alone"
    continue
  fi
  ok=1
  case "$svc" in
    kafka)
      bash "$ROOT/scripts/kafka-stop.sh" || ok=0
      ;;
    kafka-cluster)
      bash "$ROOT/scripts/kafka-cluster.sh" stop || ok=0
      ;;
    redis-cluster)
      bash "$ROOT/scripts/redis-cluster.sh" stop || ok=0
      ;;
    redis)
      if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
        log "stopping redis"
        redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
      else
        log "redis not running"
      fi
      ;;
    postgres)
      # shellcheck disable=SC2012 # version directories are plain numbers
      ver="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
      if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
        log "stopping postgres $ver/main"
        pg_ctlcluster --skip-systemctl-redirect "$ver" main stop || ok=0
      else
        log "postgres not running"
      fi
      ;;
    *)
      warn "unknown service '$svc' in $STARTED_FILE; ignoring"
      ;;
  esac
  if ((ok)); then
    forget "$svc"
  else
    warn "failed to stop $svc"
    rc=1
  fi
done
log "down"
exit "$rc"
