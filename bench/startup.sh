#!/usr/bin/env bash
# Start-up of the packaged service against a bare Spring Boot web application (bench/startup-baseline: one
# controller and Actuator's probes, same Boot version), measured in the same run so that the ratio survives a busy
# machine (issue 14). One command:
#
#   bench/startup.sh [-r ROUNDS] [-n]
#
#   -r ROUNDS  rounds (default 5); each round starts every configuration once, back to back:
#              base17/kv17  java -jar on Java 17 (the build's baseline)
#              base25/kv25  Java 25 with an AOT cache, as the image runs (extracted jar, one training start per
#                           application stopped at refresh, -XX:SharedArchiveFile)
#   -n         do not build: use the existing target/kv-store.jar and bench/startup-baseline/target
#
# Every start uses the image's flags (-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseParallelGC); the
# service opens a data directory holding a small log (1,000 keys written over HTTP once). A start is measured from
# launching the JVM to the first 200 from /actuator/health/readiness (polled every 10 ms): wall time, and the CPU
# time the process used until then (utime + stime), which moves far less than wall time when other processes share
# the cores. Prints one row per start and the medians, each with its ratio to the baseline of the same round.
# Environment: JAVA17 (default java), JAVA25 (default /usr/lib/jvm/temurin-25-jdk-amd64/bin/java), PORT (18940).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=5 BUILD=1
while getopts "r:n" o; do case $o in r) ROUNDS=$OPTARG;; n) BUILD=0;; *) exit 2;; esac; done
JAVA17=${JAVA17:-java} JAVA25=${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java} PORT=${PORT:-18940}
FLAGS=(-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseParallelGC)
if [ "$BUILD" = 1 ]; then
    ./mvnw -B -q package -DskipTests
    ./mvnw -B -q -f bench/startup-baseline/pom.xml package -DskipTests
fi
WORK=$(mktemp -d)
# Every JVM this script starts writes its PID here, so that an interrupt stops exactly those.
cleanup() { for f in "$WORK"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

# The image's layout (extracted jar) and an AOT cache for each application, made as the Dockerfile makes it.
for app in kv:target/kv-store.jar base:bench/startup-baseline/target/startup-baseline.jar; do
    name=${app%%:*} jar=${app#*:}
    "$JAVA25" -Djarmode=tools -jar "$jar" extract --destination "$WORK/$name" > /dev/null
    mkdir -p "$WORK/train-$name"
    "$JAVA25" "${FLAGS[@]}" -XX:AOTCacheOutput="$WORK/$name/app.aot" -Dspring.context.exit=onRefresh \
        -jar "$WORK/$name/$(basename "$jar")" --server.port=0 --kv.data-dir="$WORK/train-$name" > "$WORK/train-$name.log" 2>&1
done

# start JAVA JAR [ARGS...]: "wall_ms cpu_ms" from launching the JVM to readiness; stops the process.
start() {
    local java=$1 jar=$2; shift 2
    local t0 t1 pid cpu
    t0=$(date +%s%N)
    "$java" "${FLAGS[@]}" "$@" -jar "$jar" --server.port="$PORT" $APP_ARGS > "$WORK/last.log" 2>&1 &
    pid=$!; echo "$pid" > "$WORK/start.pid"
    until curl -fs -o /dev/null "http://127.0.0.1:$PORT/actuator/health/readiness"; do
        kill -0 "$pid" 2>/dev/null || { echo "start failed:" >&2; cat "$WORK/last.log" >&2; exit 1; }
        sleep 0.01
    done
    t1=$(date +%s%N)
    cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$pid/stat")
    kill "$pid"; wait "$pid" 2>/dev/null || true; rm -f "$WORK/start.pid"
    echo "$(( (t1 - t0) / 1000000 )) $cpu"
}

# The small log every start of the service opens (a copy each time): 1,000 keys written over HTTP once.
mkdir -p "$WORK/seed"
"$JAVA17" -jar target/kv-store.jar --server.port="$PORT" --kv.data-dir="$WORK/seed" > "$WORK/seed.log" 2>&1 &
SEED=$!; echo "$SEED" > "$WORK/seed.pid"
until curl -fs -o /dev/null "http://127.0.0.1:$PORT/actuator/health/readiness"; do
    kill -0 "$SEED" 2>/dev/null || { cat "$WORK/seed.log" >&2; exit 1; }
    sleep 0.1
done
for i in $(seq 1000); do
    curl -fs -o /dev/null -X PUT -H 'Content-Type: application/json' \
        -d "{\"type\":\"string\",\"value\":\"value-$i-abcdefghijklmnopqrstuvwxyz\"}" "http://127.0.0.1:$PORT/keys/key$i"
done
kill "$SEED"; wait "$SEED" 2>/dev/null || true; rm -f "$WORK/seed.pid"

RESULTS=$WORK/results.txt
for r in $(seq "$ROUNDS"); do
    for cfg in base17 kv17 base25 kv25; do
        rm -rf "$WORK/data" && cp -r "$WORK/seed" "$WORK/data"
        case $cfg in
            base17) APP_ARGS="" row=$(start "$JAVA17" bench/startup-baseline/target/startup-baseline.jar);;
            kv17) APP_ARGS="--kv.data-dir=$WORK/data" row=$(start "$JAVA17" target/kv-store.jar);;
            base25) APP_ARGS="" row=$(start "$JAVA25" "$WORK/base/startup-baseline.jar" -XX:SharedArchiveFile="$WORK/base/app.aot");;
            kv25) APP_ARGS="--kv.data-dir=$WORK/data" row=$(start "$JAVA25" "$WORK/kv/kv-store.jar" -XX:SharedArchiveFile="$WORK/kv/app.aot");;
        esac
        echo "$r $cfg $row $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$RESULTS"
    done
done

python3 - "$RESULTS" <<'PY'
import statistics as st, sys
by = {}
for line in open(sys.argv[1]):
    r, cfg, wall, cpu, load = line.split()
    by.setdefault(cfg, {})[r] = (int(wall), int(cpu), float(load))
print("\n| start | wall ms (median) | ratio to base | CPU ms (median) | ratio to base | load |")
print("|---|--:|--:|--:|--:|--:|")
for cfg in ("base17", "kv17", "base25", "kv25"):
    base = by["base" + cfg[-2:]]
    row = [cfg]
    for i in (0, 1):
        ratios = [by[cfg][r][i] / base[r][i] for r in by[cfg]]
        row += [f"{st.median(v[i] for v in by[cfg].values()):.0f}",
                f"{st.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"]
    loads = [v[2] for v in by[cfg].values()]
    row.append(f"{min(loads)}-{max(loads)}")
    print("| " + " | ".join(row) + " |")
PY
