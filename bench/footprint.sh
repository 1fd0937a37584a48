#!/usr/bin/env bash
# Index memory (issue 5): heap per key of a store holding 1,000,000 16-byte keys, from two class histograms of live
# objects (GC.class_histogram, as jcmd runs it) around the inserts; 8-byte integer values, then 16-byte strings.
# Prints the per-class difference and bytes per key (about 1 minute).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
exec java -Xmx2g -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
    dev.kvstore.bench.IndexFootprint
