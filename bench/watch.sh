#!/usr/bin/env bash
# Watch figures (issue 16): what watchers cost writers, and how fast events reach them. One command:
#
#   bench/watch.sh [-d SECS] [-r ROUNDS] [-o OUTDIR] [-n]
#
#   -d SECS    length of each wrk PUT run (default 10)
#   -r ROUNDS  rounds of the PUT scenarios, interleaved (default 2)
#   -o OUTDIR  default bench/results/watch-<UTC date-time>
#   -n         do not build: use the existing target/kv-store.jar
#
# 1. Durable PUTs (wrk, bench/lua/kv.lua, 16 connections, 10,000 keys anchor-*) with: no watcher; 100 and 1,000
#    idle watchers (streams of a prefix nobody writes); 10 watchers of anchor- that never read (every PUT is an
#    event for them; their sockets fill). Each scenario once per round, back to back; the ratio is to the run
#    without watchers of the same round.
# 2. Delivery: streams read by bench/WatchBench.java while it PUTs 1,000 a second: 1,000 streams each of its own
#    prefix (SPREAD, 20 s or LAT_SECS), 100 streams of the written prefix (SHARED, 100,000 deliveries a second) and
#    1,000 of it (1,000,000 deliveries a second, 5 s).
#
# The server is target/kv-store.jar (KV_JAVA, default Temurin 25 when present; KV_JAVA_OPTS default
# "-Xms1g -Xmx1g -XX:+UseParallelGC"), on 127.0.0.1:$KV_PORT (default 28090), with a fresh data directory, the
# default durability (sync=always). Everything runs on this machine: client, watchers and server share its cores.
# Every process it starts is stopped by PID on exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
source "$HERE/lib.sh"
DUR=10; ROUNDS=2; OUT=""; BUILD=1
while getopts "d:r:o:nh" o; do
  case $o in
    d) DUR=$OPTARG ;; r) ROUNDS=$OPTARG ;; o) OUT=$OPTARG ;; n) BUILD=0 ;;
    *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
  esac
done
KV_PORT=${KV_PORT:-28090}
KV_JAVA=${KV_JAVA:-$([[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]] && echo /usr/lib/jvm/temurin-25-jdk-amd64/bin/java || echo java)}
KV_JAVA_OPTS=${KV_JAVA_OPTS:-"-Xms1g -Xmx1g -XX:+UseParallelGC"}
OUT=${OUT:-$HERE/results/watch-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT/logs"
WORK=$(mktemp -d)
BASE=http://127.0.0.1:$KV_PORT
SERVER=""; HOLDER=""
cleanup() {
  [[ -n $HOLDER ]] && { stop_pid holder "$HOLDER" 5 >/dev/null || true; }
  [[ -n $SERVER ]] && stop_pid kv-store "$SERVER" 20 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if ((BUILD)); then (cd "$REPO" && ./mvnw -B -q -DskipTests package); fi
port_free "$KV_PORT" || { echo "port $KV_PORT is in use" >&2; exit 1; }
"$KV_JAVA" $KV_JAVA_OPTS -jar "$REPO/target/kv-store.jar" --server.port="$KV_PORT" --server.address=127.0.0.1 \
  --kv.data-dir="$WORK/data" >"$OUT/logs/server.log" 2>&1 &
SERVER=$!
for i in $(seq 1 300); do curl -fsS "$BASE/actuator/health/readiness" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "$BASE/actuator/health/readiness" >/dev/null

wrk_put() { # -> RESULT line
  STYLE=kv MODE=put KEYS=10000 KEY_PREFIX=anchor VALUE_SIZE=16 \
    wrk -t2 -c16 -d"${DUR}s" --latency -s "$HERE/lua/kv.lua" "$BASE" | tee -a "$OUT/logs/wrk.log" | grep '^RESULT'
}

hold() { # N PREFIX: start the holder, wait for READY
  java "$HERE/WatchBench.java" hold "$BASE" "$1" "$2" >"$WORK/hold.out" 2>>"$OUT/logs/holder.log" &
  HOLDER=$!
  for i in $(seq 1 600); do grep -qs READY "$WORK/hold.out" && return 0; kill -0 "$HOLDER" 2>/dev/null || break; sleep 0.1; done
  echo "holder did not get ready: $(cat "$WORK/hold.out")" >&2; exit 1
}

release() {
  stop_pid holder "$HOLDER" 5 >/dev/null
  HOLDER=""
}

echo -e "round\tscenario\trps\tp50_ms\tp99_ms\tmax_ms\tnon2xx" >"$OUT/put.tsv"
wrk_put >/dev/null # warm-up, not recorded
for r in $(seq 1 "$ROUNDS"); do
  for sc in none idle100 idle1000 stuck10; do
    case $sc in
      idle100) hold 100 idle/ ;; idle1000) hold 1000 idle/ ;; stuck10) hold 10 anchor- ;;
    esac
    line=$(wrk_put)
    [[ $sc != none ]] && release
    echo "round $r $sc: $line"
    echo "$line" | awk -v r="$r" -v s="$sc" '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
      printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, s, v["rps"], v["p50_ms"], v["p99_ms"], v["max_ms"], v["non2xx"] }' \
      >>"$OUT/put.tsv"
  done
done

for run in "spread 1000 ${LAT_SECS:-20}" "shared 100 ${LAT_SECS:-20}" "shared 1000 5"; do
  set -- $run
  java "$HERE/WatchBench.java" latency "$BASE" "$2" 1000 "$3" "$1" | tee "$OUT/delivery-$1-$2.txt"
done
curl -fsS "$BASE/actuator/prometheus" 2>/dev/null | grep -E '^kv_(watch|history)' >"$OUT/metrics.txt" || true

{
  echo "# Watch figures ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $("$KV_JAVA" -version 2>&1 | head -1))"
  echo
  echo "Durable PUT, wrk 16 connections, ${DUR} s per run, $ROUNDS rounds (median of the rounds; ratio to no watcher):"
  echo
  echo "| watchers | PUT/s | ratio | p50 ms | p99 ms |"
  echo "|---|---|---|---|---|"
  awk -F'\t' 'NR > 1 { rps[$2] = rps[$2] " " $3; p50[$2] = p50[$2] " " $4; p99[$2] = p99[$2] " " $5 }
    function med(s,   a, n, i, j, t) { n = split(s, a, " "); for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
      if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }; return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    END { base = med(rps["none"]); split("none idle100 idle1000 stuck10", order, " ")
      name["none"] = "none"; name["idle100"] = "100 idle"; name["idle1000"] = "1,000 idle"; name["stuck10"] = "10 that never read"
      for (k = 1; k <= 4; k++) { s = order[k]; printf "| %s | %.0f | %.2f | %.2f | %.2f |\n", name[s], med(rps[s]), med(rps[s]) / base, med(p50[s]), med(p99[s]) } }' "$OUT/put.tsv"
  echo
  echo "Delivery at 1,000 PUT/s (latency from the PUT's send to the event read by the client): 1,000 streams of"
  echo "their own prefixes (spread), 100 and 1,000 streams of the written prefix (shared; the last one 5 s only):"
  echo
  echo '```'
  cat "$OUT/delivery-spread-1000.txt" "$OUT/delivery-shared-100.txt" "$OUT/delivery-shared-1000.txt"
  echo '```'
} >"$OUT/results.md"
cat "$OUT/results.md"
