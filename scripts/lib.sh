#!/usr/bin/env bash
# Shared helpers for the infrastructure scripts. Source it: `. "$(dirname "$0")/lib.sh"`.
# Defines ROOT (repo root), CACHE (ignored cache folder), logging and port probes.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
KAFKA_HOME="$CACHE/kafka"
KAFKA_LIB="$KAFKA_HOME/lib"
KAFKA_HOST="127.0.0.1"
KAFKA_PORT="9092"
STARTED_FILE="$CACHE/started"
export ROOT CACHE KAFKA_HOME KAFKA_LIB KAFKA_HOST KAFKA_PORT STARTED_FILE

# The local cluster (`infra:up -- --cluster`): ports of its own, apart from the machine's
# services (Kafka 9092/9093, Redis 6379, ...). The fault tests pass private ones.
KAFKA_CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-$CACHE/cluster/kafka}"
KAFKA_CLUSTER_PORTS="${KAFKA_CLUSTER_PORTS:-19092,19093,19094}"
KAFKA_CLUSTER_CONTROLLER_PORTS="${KAFKA_CLUSTER_CONTROLLER_PORTS:-19192,19193,19194}"
REDIS_CLUSTER_DIR="${REDIS_CLUSTER_DIR:-$CACHE/cluster/redis}"
REDIS_CLUSTER_PORTS="${REDIS_CLUSTER_PORTS:-17000,17001,17002,17003,17004,17005}"
export KAFKA_CLUSTER_DIR KAFKA_CLUSTER_PORTS KAFKA_CLUSTER_CONTROLLER_PORTS
export REDIS_CLUSTER_DIR REDIS_CLUSTER_PORTS

log() { printf '[infra] %s\n' "$*"; }
warn() { printf '[infra] WARNING: %s\n' "$*" >&2; }
die() {
  printf '[infra] ERROR: %s\n' "$*" >&2
  exit 1
}

# port_open host port -> 0 when a TCP connection succeeds (1 s max).
port_open() {
  timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# wait_port host port timeout_s -> 0 once the port answers, 1 on timeout.
wait_port() {
  local host="$1" port="$2" timeout_s="$3"
  local deadline=$((SECONDS + timeout_s))
  while ((SECONDS < deadline)); do
    if port_open "$host" "$port"; then
      return 0
    fi
    sleep 0.5
  done
  port_open "$host" "$port"
}

# pid_alive pid -> 0 when the process exists and is not a zombie.
pid_alive() {
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

# as_root cmd... -> runs cmd directly when root, else through sudo if available.
as_root() {
  if [[ "$(id -u)" == "0" ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run: $*"
  fi
}

# apt_install pkg... -> apt-get update (once per script run) then install.
_APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || die "apt-get not available; install manually: $*"
  if [[ "$_APT_UPDATED" == "0" ]]; then
    log "apt-get update"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    _APT_UPDATED=1
  fi
  log "apt-get install -y $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# mark_started name -> records that the current infra-up run started <name>.
mark_started() {
  mkdir -p "$CACHE"
  touch "$STARTED_FILE"
  grep -qx "$1" "$STARTED_FILE" 2>/dev/null || echo "$1" >>"$STARTED_FILE"
}
