#!/usr/bin/env bash
# Starts a single-node Apache Kafka 4.1 broker (KRaft, broker+controller) on 127.0.0.1:9092
# without Docker: jars from .cache/kafka/lib, data in .cache/kafka/data, logs in
# .cache/kafka/logs/server.log, pid in .cache/kafka/kafka.pid. Does nothing if 9092 answers.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
PROPS="$KAFKA_HOME/server.properties"
DATA_DIR="$KAFKA_HOME/data"
LOG_DIR="$KAFKA_HOME/logs"
PID_FILE="$KAFKA_HOME/kafka.pid"
CLUSTER_ID_FILE="$KAFKA_HOME/cluster-id"
LOG4J_CONF="$ROOT/infra/kafka/log4j2.properties"
TEMPLATE="$ROOT/infra/kafka/server.properties.tmpl"

if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
  log "kafka already answering on $KAFKA_HOST:$KAFKA_PORT; nothing to do"
  exit 0
fi

# One starter at a time (concurrent infra:up runs): the others wait, then find the port open.
mkdir -p "$KAFKA_HOME"
exec 9>"$KAFKA_HOME/start.lock"
if ! flock -w "$((START_TIMEOUT + 30))" 9; then
  die "timed out waiting for another kafka-start.sh (lock $KAFKA_HOME/start.lock)"
fi
if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
  log "kafka already answering on $KAFKA_HOST:$KAFKA_PORT; nothing to do"
  exit 0
fi

is_our_kafka() {
  pid_alive "$1" && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'
}

# A broker we started earlier may still be booting: wait for it instead of starting another.
if [[ -f "$PID_FILE" ]]; then
  old_pid="$(cat "$PID_FILE")"
  if is_our_kafka "$old_pid"; then
    log "kafka (pid $old_pid) is starting; waiting for $KAFKA_HOST:$KAFKA_PORT"
    if wait_port "$KAFKA_HOST" "$KAFKA_PORT" "$START_TIMEOUT"; then
      log "kafka ready on $KAFKA_HOST:$KAFKA_PORT (pid $old_pid)"
      exit 0
    fi
    die "kafka pid $old_pid never opened $KAFKA_HOST:$KAFKA_PORT; run scripts/kafka-stop.sh"
  fi
  rm -f "$PID_FILE"
fi

command -v java >/dev/null 2>&1 || die "java not found (apt-get install -y openjdk-17-jre-headless)"
bash "$ROOT/scripts/kafka-fetch.sh"

mkdir -p "$DATA_DIR" "$LOG_DIR"
CP="$KAFKA_LIB/*"
TOOL_OPTS=(-Xmx256m -Djava.awt.headless=true
  "-Dlog4j2.configurationFile=$LOG4J_CONF" "-Dkafka.logs.dir=$LOG_DIR" -Dkafka.log.file=tools.log)

# Render server.properties (cheap, always: keeps it in sync with the template).
sed "s|@KAFKA_DATA_DIR@|$DATA_DIR|g" "$TEMPLATE" >"$PROPS.tmp"
mv "$PROPS.tmp" "$PROPS"

# Format the storage once; later starts reuse the formatted directory.
if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
  if [[ ! -s "$CLUSTER_ID_FILE" ]]; then
    cluster_id="$(java "${TOOL_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool random-uuid | tail -n 1 | tr -d '[:space:]')"
    [[ -n "$cluster_id" ]] || die "kafka.tools.StorageTool random-uuid returned nothing"
    echo "$cluster_id" >"$CLUSTER_ID_FILE"
  fi
  cluster_id="$(cat "$CLUSTER_ID_FILE")"
  log "formatting kafka storage (cluster id $cluster_id) in ${DATA_DIR#"$ROOT"/}"
  java "${TOOL_OPTS[@]}" -cp "$CP" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$PROPS" -g | sed 's/^/[infra]   /'
else
  log "kafka storage already formatted (cluster id $(cat "$CLUSTER_ID_FILE" 2>/dev/null || echo '?'))"
fi

log_offset=0
[[ -f "$LOG_DIR/server.log" ]] && log_offset="$(stat -c %s "$LOG_DIR/server.log")"
log "starting kafka on $KAFKA_HOST:$KAFKA_PORT (log: ${LOG_DIR#"$ROOT"/}/server.log)"
# setsid + nohup: the broker survives the calling shell; both exec, so $! is java's pid.
# 9>&- : the broker must not inherit (and hold) the start lock.
setsid nohup java -Xms512m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -Djava.awt.headless=true \
  "-Dlog4j2.configurationFile=$LOG4J_CONF" "-Dkafka.logs.dir=$LOG_DIR" \
  -cp "$CP" kafka.Kafka "$PROPS" >"$LOG_DIR/kafka.out" 2>&1 </dev/null 9>&- &
pid=$!
echo "$pid" >"$PID_FILE"

deadline=$((SECONDS + START_TIMEOUT))
started=$SECONDS
until port_open "$KAFKA_HOST" "$KAFKA_PORT"; do
  if ! pid_alive "$pid" || ((SECONDS >= deadline)); then
    if pid_alive "$pid"; then
      printf '[infra] ERROR: kafka did not open %s:%s within %ss\n' "$KAFKA_HOST" "$KAFKA_PORT" "$START_TIMEOUT" >&2
      kill -TERM "$pid" 2>/dev/null || true
      sleep 2
      kill -KILL "$pid" 2>/dev/null || true
    else
      printf '[infra] ERROR: kafka (pid %s) exited during startup\n' "$pid" >&2
    fi
    rm -f "$PID_FILE"
    this_run() { tail -c "+$((log_offset + 1))" "$LOG_DIR/server.log" 2>/dev/null || true; }
    echo "[infra] ---- first errors in ${LOG_DIR#"$ROOT"/}/server.log ----" >&2
    this_run | grep -E -A 3 '^\[[^]]*\] (ERROR|FATAL) ' | head -n 20 >&2 || true
    echo "[infra] ---- tail of ${LOG_DIR#"$ROOT"/}/server.log ----" >&2
    this_run | tail -n 30 >&2
    echo "[infra] ---- tail of ${LOG_DIR#"$ROOT"/}/kafka.out ----" >&2
    tail -n 20 "$LOG_DIR/kafka.out" >&2 2>/dev/null || true
    exit 1
  fi
  sleep 0.5
done
log "kafka ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid, $((SECONDS - started)) s)"
