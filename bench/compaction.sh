#!/usr/bin/env bash
# Compaction figures (issue 4): JMH on the engine alone, real file system, real forces, in target/bench.
#   bench/compaction.sh            all three benchmarks (about 6 minutes on 2 cores)
#   bench/compaction.sh put        only the ones whose name matches
# Prints the compaction's size and pause once, then JMH's table; the JSON lands in target/bench/compaction.json.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
mkdir -p target/bench
exec java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" org.openjdk.jmh.Main \
    "dev.kvstore.bench.CompactionBenchmark.${1:-}" -rf json -rff target/bench/compaction.json
