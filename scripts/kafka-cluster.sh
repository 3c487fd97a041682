#!/usr/bin/env bash
# A three-node Apache Kafka cluster (KRaft; each node is broker and controller, the
# lightest layout that still has a quorum of three) from the jars in .cache/kafka/lib.
#   kafka-cluster.sh start   starts every node that is not running (a killed node comes
#                            back on its own data); waits until all three serve
#   kafka-cluster.sh stop    SIGTERM to the recorded pids only, SIGKILL after 30 s
#   kafka-cluster.sh pids    "node.id pid" of the running nodes
# Environment (defaults in scripts/lib.sh): KAFKA_CLUSTER_DIR (data, logs, pids),
# KAFKA_CLUSTER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS (three comma-separated ports each).
# Internal and default topics: replication factor 3, min.insync.replicas=2.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$KAFKA_CLUSTER_DIR"
IFS=',' read -r -a PORTS <<<"$KAFKA_CLUSTER_PORTS"
IFS=',' read -r -a CONTROLLER_PORTS <<<"$KAFKA_CLUSTER_CONTROLLER_PORTS"
((${#PORTS[@]} == 3 && ${#CONTROLLER_PORTS[@]} == 3)) ||
  die "KAFKA_CLUSTER_PORTS and KAFKA_CLUSTER_CONTROLLER_PORTS need three ports each"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
LOG4J_CONF="$ROOT/infra/kafka/log4j2.properties"

node_dir() { echo "$DIR/node-$1"; }
node_pid() { cat "$(node_dir "$1")/kafka.pid" 2>/dev/null || true; }
is_our_kafka() {
  pid_alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

voters() {
  local i out=""
  for i in 1 2 3; do out+="${out:+,}$i@127.0.0.1:${CONTROLLER_PORTS[i - 1]}"; done
  echo "$out"
}

write_properties() {
  local id="$1" dir
  dir="$(node_dir "$id")"
  mkdir -p "$dir/data" "$dir/logs"
  cat >"$dir/server.properties" <<PROPS
# Written by scripts/kafka-cluster.sh: node $id of a three-node KRaft cluster.
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:${PORTS[id - 1]},CONTROLLER://127.0.0.1:${CONTROLLER_PORTS[id - 1]}
advertised.listeners=PLAINTEXT://127.0.0.1:${PORTS[id - 1]}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
# Three replicas, two of which must have a write before it is acknowledged (acks=all).
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.partitions=6
log.retention.ms=-1
num.network.threads=2
num.io.threads=2
background.threads=2
num.replica.fetchers=1
PROPS
}

tool_opts() {
  echo "-Xmx256m -Djava.awt.headless=true -Dlog4j2.configurationFile=$LOG4J_CONF -Dkafka.logs.dir=$1 -Dkafka.log.file=tools.log"
}

format_node() {
  local id="$1" dir
  dir="$(node_dir "$id")"
  [[ -f "$dir/data/meta.properties" ]] && return 0
  # shellcheck disable=SC2046 # word splitting of the JVM options is intended
  java $(tool_opts "$dir/logs") -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
    -t "$(cat "$DIR/cluster-id")" -c "$dir/server.properties" -g >/dev/null
}

start_node() {
  local id="$1" dir pid
  dir="$(node_dir "$id")"
  pid="$(node_pid "$id")"
  if [[ -n "$pid" ]] && is_our_kafka "$pid"; then
    log "kafka node $id already running (pid $pid)"
    return 0
  fi
  port_open 127.0.0.1 "${PORTS[id - 1]}" && die "port ${PORTS[id - 1]} is taken by another process"
  # Small heaps, the serial collector and the quick JIT only (-XX:TieredStopAtLevel=1, a
  # third of the start-up CPU): three brokers share two cores with everything else.
  setsid nohup java -Xms128m -Xmx384m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$LOG4J_CONF" "-Dkafka.logs.dir=$dir/logs" \
    -cp "$KAFKA_LIB/*" kafka.Kafka "$dir/server.properties" >"$dir/logs/kafka.out" 2>&1 </dev/null &
  echo "$!" >"$dir/kafka.pid"
  log "kafka node $id starting on 127.0.0.1:${PORTS[id - 1]} (pid $!)"
}

start() {
  command -v java >/dev/null 2>&1 || die "java not found (apt-get install -y openjdk-17-jre-headless)"
  bash "$ROOT/scripts/kafka-fetch.sh" >/dev/null
  mkdir -p "$DIR"
  if [[ ! -s "$DIR/cluster-id" ]]; then
    # What `StorageTool random-uuid` prints (16 random bytes, base64url), without a JVM; like
    # it, never an id that starts with '-', which the format tool would read as an option.
    local cluster_id=-
    while [[ $cluster_id == -* ]]; do
      cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    done
    printf '%s' "$cluster_id" >"$DIR/cluster-id"
  fi
  local id pids=()
  for id in 1 2 3; do
    write_properties "$id"
    format_node "$id" &
    pids+=("$!")
  done
  for id in "${pids[@]}"; do wait "$id" || die "formatting a kafka node failed"; done
  # All at once: a node waits for a quorum of controllers before it serves.
  for id in 1 2 3; do start_node "$id"; done
  local deadline=$((SECONDS + START_TIMEOUT))
  for id in 1 2 3; do
    until port_open 127.0.0.1 "${PORTS[id - 1]}"; do
      if ! is_our_kafka "$(node_pid "$id")" || ((SECONDS >= deadline)); then
        tail -n 20 "$(node_dir "$id")/logs/server.log" >&2 2>/dev/null || true
        die "kafka node $id did not open 127.0.0.1:${PORTS[id - 1]} (log: $(node_dir "$id")/logs)"
      fi
      sleep 0.5
    done
  done
  log "kafka cluster ready on $(brokers)"
}

stop() {
  local id pid deadline
  for id in 1 2 3; do
    pid="$(node_pid "$id")"
    if [[ -n "$pid" ]] && is_our_kafka "$pid"; then
      log "stopping kafka node $id (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for id in 1 2 3; do
    pid="$(node_pid "$id")"
    [[ -n "$pid" ]] || continue
    deadline=$((SECONDS + 30))
    while is_our_kafka "$pid" && ((SECONDS < deadline)); do sleep 0.5; done
    if is_our_kafka "$pid"; then
      warn "kafka node $id (pid $pid) still running after 30 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$(node_dir "$id")/kafka.pid"
  done
  log "kafka cluster stopped"
}

brokers() {
  local out="" p
  for p in "${PORTS[@]}"; do out+="${out:+,}127.0.0.1:$p"; done
  echo "$out"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  brokers) brokers ;;
  pids)
    for id in 1 2 3; do
      pid="$(node_pid "$id")"
      if [[ -n "$pid" ]] && is_our_kafka "$pid"; then echo "$id $pid"; fi
    done
    ;;
  *) die "usage: kafka-cluster.sh start|stop|brokers|pids" ;;
esac
