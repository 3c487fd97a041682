#!/usr/bin/env bash
# A Redis Cluster of three masters with one replica each, from the machine's redis-server.
#   redis-cluster.sh start   starts every node that is not running, creates the cluster
#                            once (redis-cli --cluster create --cluster-replicas 1), waits
#                            until every node reports cluster_state:ok
#   redis-cluster.sh stop    SHUTDOWN NOSAVE to the nodes it started, then forgets the
#                            cluster (nodes.conf): Redis is a cache here, nothing is kept
#   redis-cluster.sh nodes   the REDIS_CLUSTER_NODES value (host:port,...)
# Environment (defaults in scripts/lib.sh): REDIS_CLUSTER_DIR, REDIS_CLUSTER_PORTS (six
# comma-separated ports; each node's cluster bus is its port + 10000 unless
# REDIS_CLUSTER_BUS_PORTS lists six), REDIS_CLUSTER_NODE_TIMEOUT (ms, default 3000: how
# long a silent master stays a master before its replica takes over).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$REDIS_CLUSTER_DIR"
IFS=',' read -r -a PORTS <<<"$REDIS_CLUSTER_PORTS"
((${#PORTS[@]} == 6)) || die "REDIS_CLUSTER_PORTS needs six ports"
BUS_PORTS=()
if [[ -n "${REDIS_CLUSTER_BUS_PORTS:-}" ]]; then
  IFS=',' read -r -a BUS_PORTS <<<"$REDIS_CLUSTER_BUS_PORTS"
  ((${#BUS_PORTS[@]} == 6)) || die "REDIS_CLUSTER_BUS_PORTS needs six ports"
fi
NODE_TIMEOUT="${REDIS_CLUSTER_NODE_TIMEOUT:-3000}"

cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
answers() { [[ "$(cli "$1" ping 2>/dev/null)" == "PONG" ]]; }
node_dir() { echo "$DIR/node-$1"; }
nodes() {
  local out="" p
  for p in "${PORTS[@]}"; do out+="${out:+,}127.0.0.1:$p"; done
  echo "$out"
}
cluster_field() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

start_node() {
  local i="$1" port="${PORTS[$1]}" dir bus
  dir="$(node_dir "$port")"
  if answers "$port"; then
    [[ -f "$dir/redis.pid" ]] || die "port $port answers but is not a node of this cluster"
    return 0
  fi
  mkdir -p "$dir"
  bus=$((port + 10000))
  ((${#BUS_PORTS[@]} == 0)) || bus="${BUS_PORTS[i]}"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --cluster-enabled yes \
    --cluster-port "$bus" --cluster-config-file "$dir/nodes.conf" \
    --cluster-node-timeout "$NODE_TIMEOUT" --save "" --appendonly no --dir "$dir" \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
}

start() {
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server redis-tools
  mkdir -p "$DIR"
  local i port
  for i in "${!PORTS[@]}"; do start_node "$i"; done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 1 40); do if answers "$port"; then break; fi; sleep 0.25; done
    answers "$port" || die "redis node $port did not answer (log: $(node_dir "$port")/redis.log)"
  done
  if [[ "$(cluster_field "${PORTS[0]}" cluster_slots_assigned)" != "16384" ]]; then
    log "creating the redis cluster (3 masters, 1 replica each) on $(nodes)"
    local addresses=()
    for port in "${PORTS[@]}"; do addresses+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes >"$DIR/create.log" 2>&1 ||
      {
        tail -n 20 "$DIR/create.log" >&2
        die "redis-cli --cluster create failed"
      }
  fi
  local deadline=$((SECONDS + 60))
  for port in "${PORTS[@]}"; do
    until [[ "$(cluster_field "$port" cluster_state)" == "ok" ]]; do
      ((SECONDS < deadline)) || die "redis node $port never reported cluster_state:ok"
      sleep 0.5
    done
  done
  log "redis cluster ready on $(nodes)"
}

stop() {
  local port dir
  for port in "${PORTS[@]}"; do
    dir="$(node_dir "$port")"
    [[ -f "$dir/redis.pid" ]] || continue
    if answers "$port"; then
      log "stopping redis node $port"
      cli "$port" shutdown nosave >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
  done
  log "redis cluster stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  nodes) nodes ;;
  *) die "usage: redis-cluster.sh start|stop|nodes" ;;
esac
