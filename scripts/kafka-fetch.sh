#!/usr/bin/env bash
# Fetches the Apache Kafka broker jars (infra/kafka/pom.xml) from Maven Central into
# .cache/kafka/lib. Does nothing when they are already there.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null; then
  log "kafka jars present in ${KAFKA_LIB#"$ROOT"/}"
  exit 0
fi

command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install -y maven)"
command -v java >/dev/null 2>&1 || die "java not found (apt-get install -y openjdk-17-jre-headless)"

log "fetching kafka jars with maven into ${KAFKA_LIB#"$ROOT"/}"
mkdir -p "$KAFKA_LIB"
mvn -q -B -Dstyle.color=never -f "$ROOT/infra/kafka/pom.xml" dependency:copy-dependencies \
  -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIB" 2>&1 |
  sed -e 's/\x1b\[[0-9;]*m//g' -e '/^[[:space:]]*$/d' -e 's/^/[infra]   mvn: /'

compgen -G "$KAFKA_LIB/kafka_2.13-*.jar" >/dev/null || die "maven finished but kafka_2.13 jar is missing"
log "kafka jars fetched ($(find "$KAFKA_LIB" -name '*.jar' | wc -l) jars)"
