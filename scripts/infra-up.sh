#!/usr/bin/env bash
# npm run infra:up — brings up everything Warden needs on this machine, idempotently:
#   node_modules, Kafka (127.0.0.1:9092), Redis (127.0.0.1:6379), PostgreSQL (127.0.0.1:5432),
#   the TypeScript build, and the app's prepare step (database, migrations, topics).
# Records in .cache/started which services it started, so infra:down stops only those;
# the services started by this very run are also listed in .cache/started.run.
# SKIP_BUILD=1 skips steps (e) and (f) (services only).
# --cluster: instead of the single Kafka and Redis, a three-node Kafka cluster and a Redis
# Cluster (three masters, one replica each) on ports of their own (scripts/lib.sh); the
# topics get three replicas; ends with the `export ...` lines that point the apps at them.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CLUSTER=0
for arg in "$@"; do
  case "$arg" in
    --cluster) CLUSTER=1 ;;
    *) die "unknown argument '$arg' (usage: infra-up.sh [--cluster])" ;;
  esac
done

t0=$SECONDS
cd "$ROOT"
mkdir -p "$CACHE"
RUN_FILE="$CACHE/started.run"
: >"$RUN_FILE"
started_now() {
  mark_started "$1"
  echo "$1" >>"$RUN_FILE"
}

# (a) dependencies -------------------------------------------------------------------------
if [[ ! -d node_modules ]]; then
  if [[ -f package-lock.json ]]; then
    log "node_modules missing: npm ci"
    npm ci --no-audit --no-fund
  else
    log "node_modules missing (no package-lock.json): npm install"
    npm install --no-audit --no-fund
  fi
else
  log "node_modules present"
fi

# (b) Kafka --------------------------------------------------------------------------------
# The jars are fetched even when some broker already answers: the fault tests start a
# private broker of their own from them.
bash "$ROOT/scripts/kafka-fetch.sh"
if ((CLUSTER)); then
  bash "$ROOT/scripts/kafka-cluster.sh" start
  started_now kafka-cluster
  KAFKA_BROKERS="$(bash "$ROOT/scripts/kafka-cluster.sh" brokers)"
  export KAFKA_BROKERS
elif port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
  log "kafka already running on $KAFKA_HOST:$KAFKA_PORT"
else
  bash "$ROOT/scripts/kafka-start.sh"
  started_now kafka
fi

# (c) Redis --------------------------------------------------------------------------------
redis_ok() { command -v redis-cli >/dev/null 2>&1 && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
if ((CLUSTER)); then
  bash "$ROOT/scripts/redis-cluster.sh" start
  started_now redis-cluster
  REDIS_CLUSTER_NODES="$(bash "$ROOT/scripts/redis-cluster.sh" nodes)"
  export REDIS_CLUSTER_NODES
elif redis_ok; then
  log "redis already running on 127.0.0.1:6379"
else
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server redis-tools
  mkdir -p /var/lib/redis /var/log/redis
  log "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 40); do if redis_ok; then break; fi; sleep 0.25; done
  redis_ok || die "redis did not answer PING within 10 s (see /var/log/redis/ci.log)"
  started_now redis
  log "redis ready"
fi

# (d) PostgreSQL ---------------------------------------------------------------------------
pg_ok() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }
# shellcheck disable=SC2012 # version directories are plain numbers
pg_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1; }
if pg_ok; then
  log "postgres already running on 127.0.0.1:5432"
else
  if ! command -v pg_ctlcluster >/dev/null 2>&1 || [[ -z "$(pg_version)" ]]; then
    apt_install postgresql
    # A fresh Debian cluster asks for passwords over TCP; the dev setup uses trust auth.
    hba="/etc/postgresql/$(pg_version)/main/pg_hba.conf"
    log "configuring trust auth for local connections in $hba (fresh install)"
    cat >"$hba" <<'HBA'
# Written by scripts/infra-up.sh: local development database, trust auth.
local   all   all                 trust
host    all   all   127.0.0.1/32  trust
host    all   all   ::1/128       trust
HBA
  fi
  log "starting postgres $(pg_version)/main"
  pg_ctlcluster --skip-systemctl-redirect "$(pg_version)" main start
  for _ in $(seq 1 60); do if pg_ok; then break; fi; sleep 0.5; done
  pg_ok || die "postgres did not become ready within 30 s"
  started_now postgres
  log "postgres ready"
fi

# (e) build --------------------------------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" == "1" ]]; then
  warn "SKIP_BUILD=1: not building, not preparing the database and topics"
else
  log "npm run build"
  npm run --silent build
fi

# (f) database, migrations, topics ---------------------------------------------------------
if [[ "${SKIP_BUILD:-0}" == "1" ]]; then
  :
elif [[ -f dist/tools/prepare.js ]]; then
  log "node dist/tools/prepare.js"
  node dist/tools/prepare.js
else
  warn "dist/tools/prepare.js not found; skipping database/migrations/topics preparation"
fi

log "up in $((SECONDS - t0)) s"
if ((CLUSTER)); then
  log "point the apps at the cluster with:"
  echo "export KAFKA_BROKERS=$KAFKA_BROKERS"
  echo "export REDIS_CLUSTER_NODES=$REDIS_CLUSTER_NODES"
fi
