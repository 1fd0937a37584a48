#!/usr/bin/env bash
# Profiles the service's request path with JFR under a wrk load and draws a flame graph of its threads.
#   bench/profile.sh get|put|mixed [connections] [seconds]
# Builds the jar when missing, starts it on a temporary data directory with the default settings (sync=always),
# preloads 10,000 keys, warms up for 20 s, then records JFR's CPU samples (settings=profile) for the given time.
# Writes target/bench/profile-<workload>.{jfr,svg,collapsed} and prints the share of samples per area.
set -euo pipefail
cd "$(dirname "$0")/.."
workload=${1:-get}
conns=${2:-64}
secs=${3:-20}
port=${KV_PROFILE_PORT:-18091}
# The image's runtime (Temurin 25) when it is there, as bench/run.sh; KV_JAVA overrides. jcmd and jfr come with it.
java=${KV_JAVA:-java}
[[ -z ${KV_JAVA:-} && -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]] && java=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
jdk_bin=$(dirname "$(readlink -f "$(command -v "$java")")")
out=target/bench
mkdir -p "$out"
[ -f target/kv-store.jar ] || ./mvnw -B -q -DskipTests package
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
data=$(mktemp -d)
lua=$(mktemp --suffix=.lua)
cat > "$lua" <<'EOF'
local mode = os.getenv("KV_MODE") or "get"
local body = '{"type":"string","value":"0123456789abcdef"}'
request = function()
  local k = string.format("bench-%07d", math.random(1, 10000))
  if mode == "put" or (mode == "mixed" and math.random(10) == 1) then
    return wrk.format("PUT", "/keys/" .. k, {["Content-Type"] = "application/json"}, body)
  end
  return wrk.format("GET", "/keys/" .. k)
end
EOF
"$java" -Xms1g -Xmx1g -XX:+UseParallelGC -jar target/kv-store.jar --server.port="$port" --kv.data-dir="$data" \
    --logging.level.root=WARN > "$out/profile-$workload.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data" "$lua" "${jfc:-}"' EXIT
for _ in $(seq 1 120); do curl -sf "localhost:$port/actuator/health/readiness" >/dev/null && break; sleep 0.5; done
url="http://127.0.0.1:$port"
# 10,000 keys in batches of 100, so that every GET finds its key.
for b in $(seq 0 99); do
  ops=$(for i in $(seq 1 100); do printf '{"op":"set","key":"bench-%07d","type":"string","value":"0123456789abcdef"},' $((b * 100 + i)); done)
  curl -sf -X POST "localhost:$port/batch" -H 'Content-Type: application/json' -d "{\"operations\":[${ops%,}]}" >/dev/null
done
KV_MODE=$workload wrk -t2 -c"$conns" -d20s -s "$lua" "$url" >/dev/null
# JFR's profile settings, with Java code sampled every millisecond instead of every 10 ms.
jfc=$(mktemp --suffix=.jfc)
sed '/"jdk.ExecutionSample"/,/<\/event>/ s/>10 ms</>1 ms</' \
    "$(dirname "$jdk_bin")/lib/jfr/profile.jfc" > "$jfc"
"$jdk_bin/jcmd" $pid JFR.start name=kvprofile settings="$jfc" >/dev/null
KV_MODE=$workload wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url" | tee "$out/profile-$workload.wrk"
"$jdk_bin/jcmd" $pid JFR.dump name=kvprofile filename="$PWD/$out/profile-$workload.jfr" >/dev/null
"$jdk_bin/jfr" print --stack-depth 96 --events jdk.ExecutionSample "$out/profile-$workload.jfr" > "$out/profile-$workload.txt"
# Requests run on virtual threads (which JFR samples under their own, empty names), so every Java thread is drawn;
# KV_PROFILE_THREADS=http-nio keeps only Tomcat's platform workers (Java 17, or virtual threads off).
python3 bench/flamegraph.py "$out/profile-$workload.txt" "$out/profile-$workload.svg" \
    --threads "${KV_PROFILE_THREADS:-}" --title "kv-store $workload, c=$conns, Java threads"
rm -f "$out/profile-$workload.txt"
