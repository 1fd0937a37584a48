#!/usr/bin/env bash
# Engine figures (issue 5): JMH on the engine alone, real file system, real forces, in target/bench/engine.
#   bench/engine.sh             all of it: codec, append (sync none/always x 1/8 threads), replay (about 7 minutes
#                               on 2 cores)
#   bench/engine.sh replay      only the benchmarks whose name matches (codec, append, replay, replayRead,
#                               replayScan, replayApply)
# Prints [append ...] lines (writes per group and per force) and [replay ...] lines (MB/s) from the forks, then
# JMH's table; the JSON lands in target/bench/engine.json.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
# The replay log is rebuilt once per run from the current Frame code, then shared by the forks.
rm -rf target/bench/engine
mkdir -p target/bench/engine
exec java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" org.openjdk.jmh.Main \
    "dev.kvstore.store.EngineBenchmark.${1:-}" -rf json -rff target/bench/engine.json
