#!/usr/bin/env bash
# Listing latency (issue 7): GET /keys pages over HTTP with 1,000 and with 1,000,000 keys, one client on loopback,
# the service started in the same JVM. Prints p50 / p99 per kind of page as a Markdown table (about 2 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -q -Pbench -DskipTests test-compile dependency:build-classpath \
    -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
exec java -Xmx2g -cp "target/test-classes:target/classes:$(cat target/test-classpath.txt)" \
    dev.kvstore.bench.ListingLatency
