#!/usr/bin/env bash
# Codecs for large values (issue 13): LZ4 (lz4-java, pure Java and JNI) against Zstandard (zstd-jni, levels 1 and 3)
# on realistic text and JSON values of 4 KiB and 1 MiB; compressed sizes as [compression ...] lines, then JMH's table
# of microseconds per compress and per decompress (about 6 minutes on 2 cores).
#   bench/compression.sh            all of it
#   bench/compression.sh compress   only the benchmarks whose name matches
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
mkdir -p target/bench
exec java -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" org.openjdk.jmh.Main \
    "dev.kvstore.bench.CompressionBenchmark.${1:-}" -rf json -rff target/bench/compression.json
