#!/usr/bin/env bash
# Starts a single-node OpenSearch for tests in the foreground:
#   tests/opensearch/run.sh <http-port> <data-dir>
# Prints "READY <port>" when the node has started (then wait for yellow health before use).
# Builds the launcher with Maven on first use (tests/opensearch/target/, cached in ~/.m2; runs
# offline once the dependencies are cached). `run.sh build` only builds.
# OPENSEARCH_HEAP sets the JVM heap (default 1g).
# Stop it with SIGTERM to its pid: the node closes cleanly and its data directory can be reused.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cp_file="$here/target/classpath.txt"

build() {
  if [ -f "$cp_file" ] && [ -f "$here/target/classes/dev/confab/opensearch/TestNode.class" ] \
     && [ "$cp_file" -nt "$here/pom.xml" ] \
     && [ "$here/target/classes/dev/confab/opensearch/TestNode.class" -nt "$here/src/main/java/dev/confab/opensearch/TestNode.java" ]; then
    return 0
  fi
  # Offline when everything is already cached; fall back to a normal build otherwise.
  if mvn -q -B -o -f "$here/pom.xml" compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >/dev/null 2>&1; then
    return 0
  fi
  mvn -q -B -f "$here/pom.xml" compile dependency:build-classpath -Dmdep.outputFile="$cp_file" >&2
}

build
if [ "${1:-}" = build ]; then exit 0; fi
port="${1:?usage: run.sh <http-port> <data-dir>}"
data="${2:?usage: run.sh <http-port> <data-dir>}"
mkdir -p "$data"
exec java -Xms512m -Xmx"${OPENSEARCH_HEAP:-1g}" -XX:+UseSerialGC -Dopensearch.set.netty.runtime.available.processors=false \
  -Dlog4j2.disable.jmx=true -Djava.awt.headless=true \
  -cp "$here/target/classes:$(cat "$cp_file")" dev.confab.opensearch.TestNode "$port" "$data"
