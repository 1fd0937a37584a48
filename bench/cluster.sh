#!/usr/bin/env bash
# Three nodes of ours (cluster mode) side by side with a three-member etcd 3.4, all on loopback (issue 15):
#
#   bench/cluster.sh [-r ROUNDS] [-d SECS] [-w "WORKLOADS"] [-W SECS] [-o OUTDIR] [-n]
#
#   -r ROUNDS     rounds (default 3); in each round every workload runs on ours, then on etcd
#   -d SECS       length of each run (default 10)
#   -w WORKLOADS  default "put_c64 get_c64"; any of put_cN (durable PUT of a random preloaded key) and get_cN
#                 (linearizable GET: ours by default, etcd's v3 range by default), N connections in all
#   -W SECS       warm-up per target before round 1, mixed load, not recorded (default 5)
#   -o OUTDIR     default bench/results/cluster-<UTC date-time>
#   -n            do not build: use the existing target/kv-store.jar
#
# The N connections are spread over the three members, one wrk process per member (N/3 each), as clients of a
# cluster spread over its members: any member answers any request (a follower forwards writes to the leader, and a
# read waits for the leader's confirmation). Both systems are durable: ours forces the Raft log on a majority before
# it answers; etcd fsyncs its WAL. Both read linearizably (ReadIndex).
#
# The machine may be shared: every row carries the load average before the run and the CPU that other processes
# used during it ("other cores"). Take figures for comparison on a quiet machine.
#
# Environment: KEYS=10000 VALUE_SIZE=16, KV_JAVA (default: the image's Temurin 25 when installed, else java),
# KV_JAVA_OPTS (default "-Xms512m -Xmx512m -XX:+UseParallelGC", the image's collector), ports KV_HTTP_BASE=28090
# (28091..28093), KV_RAFT_BASE=29090, ETCD_CLIENT_BASE=28390, ETCD_PEER_BASE=28490, SLEEP=1.
# It stops every process it started, by PID, on exit or interrupt, and deletes its data directories.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
ROUNDS=3; DUR=10; WORKLOADS="put_c64 get_c64"; WARMUP=5; OUT=""; BUILD=1
while getopts "r:d:w:W:o:nh" o; do
  case $o in
    r) ROUNDS=$OPTARG ;; d) DUR=$OPTARG ;; w) WORKLOADS=$OPTARG ;; W) WARMUP=$OPTARG ;; o) OUT=$OPTARG ;;
    n) BUILD=0 ;; h) usage 0 ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || usage
for w in $WORKLOADS; do
  [[ $w =~ ^(get|put)_c[1-9][0-9]*$ ]] || { echo "unknown workload $w" >&2; exit 2; }
done
KEYS=${KEYS:-10000}; VALUE_SIZE=${VALUE_SIZE:-16}; SLEEP=${SLEEP:-1}
KV_JAVA_OPTS=${KV_JAVA_OPTS:--Xms512m -Xmx512m -XX:+UseParallelGC}
# The image's runtime (Temurin 25) when it is there, as bench/run.sh; KV_JAVA overrides.
if [[ -z ${KV_JAVA:-} ]]; then
  KV_JAVA=java
  [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]] && KV_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
fi
KV_HTTP_BASE=${KV_HTTP_BASE:-28090}; KV_RAFT_BASE=${KV_RAFT_BASE:-29090}
ETCD_CLIENT_BASE=${ETCD_CLIENT_BASE:-28390}; ETCD_PEER_BASE=${ETCD_PEER_BASE:-28490}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$HERE/results/cluster-$STAMP}
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw.tsv
# shellcheck source=lib.sh
source "$HERE/lib.sh"

WORK=""; declare -A PID_OF=(); STARTED=(); WRK_PIDS=()
cleanup() {
  local rc=$? n p
  trap - EXIT INT TERM
  set +e
  for p in "${WRK_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for ((n = ${#STARTED[@]} - 1; n >= 0; n--)); do stop_pid "${STARTED[n]}" "${PID_OF[${STARTED[n]}]}" 45; done
  [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'echo "terminated" >&2; exit 143' TERM

for tool in wrk etcd curl python3 java ss; do
  command -v "$tool" >/dev/null || { echo "missing $tool (bench/run.sh installs wrk and etcd-server)" >&2; exit 1; }
done
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$REPO" status --porcelain --untracked-files=no -- src pom.xml 2>/dev/null) ]] \
  || commit="$commit + uncommitted changes to src/ or pom.xml"
if ((BUILD)); then
  echo "building target/kv-store.jar"
  (cd "$REPO" && ./mvnw -B -q -DskipTests package)
fi
[[ -f $REPO/target/kv-store.jar ]] || { echo "no target/kv-store.jar (run without -n)" >&2; exit 1; }
for i in 1 2 3; do
  for p in $((KV_HTTP_BASE + i)) $((KV_RAFT_BASE + i)) $((ETCD_CLIENT_BASE + i)) $((ETCD_PEER_BASE + i)); do
    port_free "$p" || { echo "port $p is in use" >&2; exit 1; }
  done
done
WORK=$(mktemp -d /tmp/kv-cluster-bench.XXXXXX)
DISK_DEV=$(basename "$(findmnt -no SOURCE -T "$WORK" 2>/dev/null || echo unknown)")
cp "$REPO/target/kv-store.jar" "$WORK/kv-store.jar"

wait_ready() { # name url pattern seconds
  local name=$1 url=$2 pat=$3 secs=$4 i
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "${PID_OF[$name]}" 2>/dev/null || { echo "$name exited, see $OUT/logs/$name.log" >&2; return 1; }
    curl -fs "$url" 2>/dev/null | grep -q "$pat" && return 0
    sleep 0.1
  done
  echo "$name not ready after ${secs}s, see $OUT/logs/$name.log" >&2
  return 1
}

# ---- ours: three nodes --------------------------------------------------------------------------------------------
PEERS="n1=127.0.0.1:$((KV_RAFT_BASE + 1)),n2=127.0.0.1:$((KV_RAFT_BASE + 2)),n3=127.0.0.1:$((KV_RAFT_BASE + 3))"
for i in 1 2 3; do
  mkdir -p "$WORK/kv$i"
  # shellcheck disable=SC2086
  "$KV_JAVA" $KV_JAVA_OPTS -jar "$WORK/kv-store.jar" --server.port=$((KV_HTTP_BASE + i)) --kv.data-dir="$WORK/kv$i" \
    --kv.cluster.enabled=true --kv.cluster.node-id=n$i --kv.cluster.peers="$PEERS" >"$OUT/logs/kv$i.log" 2>&1 &
  PID_OF[kv$i]=$!; STARTED+=(kv$i)
done
for i in 1 2 3; do wait_ready kv$i "http://127.0.0.1:$((KV_HTTP_BASE + i))/actuator/health/readiness" '"UP"' 180; done
echo "ours: three nodes ready ($PEERS)"

# ---- etcd: three members -----------------------------------------------------------------------------------------
CLUSTER="e1=http://127.0.0.1:$((ETCD_PEER_BASE + 1)),e2=http://127.0.0.1:$((ETCD_PEER_BASE + 2)),e3=http://127.0.0.1:$((ETCD_PEER_BASE + 3))"
for i in 1 2 3; do
  etcd --name e$i --data-dir "$WORK/etcd$i" \
    --listen-client-urls "http://127.0.0.1:$((ETCD_CLIENT_BASE + i))" \
    --advertise-client-urls "http://127.0.0.1:$((ETCD_CLIENT_BASE + i))" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PEER_BASE + i))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PEER_BASE + i))" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token kv-bench \
    --logger zap --log-level warn >"$OUT/logs/etcd$i.log" 2>&1 &
  PID_OF[etcd$i]=$!; STARTED+=(etcd$i)
done
for i in 1 2 3; do wait_ready etcd$i "http://127.0.0.1:$((ETCD_CLIENT_BASE + i))/health" '"health":"true"' 60; done
echo "etcd: three members ready ($CLUSTER)"

{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $commit"
  echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), Linux $(uname -r), data on $(findmnt -no SOURCE,FSTYPE -T "$WORK" | tr -s ' ' ' ')"
  echo "runs: ${ROUNDS} round(s) x ${DUR} s, ${KEYS} preloaded keys, ${VALUE_SIZE}-byte values, each workload's connections spread over the three members (one wrk per member)"
  echo "ours: three JVMs, java $KV_JAVA_OPTS -jar kv-store.jar --kv.cluster.enabled=true, every other setting at its default; $("$KV_JAVA" -version 2>&1 | head -1)"
  echo "etcd: $(etcd --version 2>/dev/null | head -1 | sed 's/^etcd Version: //'), three members, v3 JSON gateway (put, range: linearizable by default), default durability"
} >"$OUT/meta.txt"
sed 's/^/# /' "$OUT/meta.txt"

python3 "$HERE/preload.py" kv "http://127.0.0.1:$((KV_HTTP_BASE + 1))" "$KEYS" --value-size "$VALUE_SIZE" \
  | tee -a "$OUT/logs/preload.txt"
python3 "$HERE/preload.py" etcd3 "http://127.0.0.1:$((ETCD_CLIENT_BASE + 1))" "$KEYS" --value-size "$VALUE_SIZE" \
  | tee -a "$OUT/logs/preload.txt"

# ---- runs --------------------------------------------------------------------------------------------------------
url_of() { case $1 in kv) echo "http://127.0.0.1:$((KV_HTTP_BASE + $2))" ;; etcd) echo "http://127.0.0.1:$((ETCD_CLIENT_BASE + $2))" ;; esac; }
style_of() { case $1 in kv) echo kv ;; etcd) echo etcd3 ;; esac; }
server_pids() { local t=$1 i; for i in 1 2 3; do echo -n "${PID_OF[$t$i]} "; done; }

RESULT=""
run() { # target workload seconds logbase -> RESULT="rps p99_ms errors own_cpu foreign_cpu server_cpu"
  local t=$1 w=$2 d=$3 log=$4 mode conc i c s0 s1 c0 c1 own foreign wr fl srv
  case $w in get_c*) mode=get; conc=${w#get_c} ;; put_c*) mode=put; conc=${w#put_c} ;; warmup) mode=mixed; conc=64 ;; esac
  s0=$(snap $(server_pids "$t"))
  times >"$WORK/times0"
  WRK_PIDS=()
  for i in 1 2 3; do
    c=$(( conc / 3 + (i <= conc % 3 ? 1 : 0) ))
    STYLE=$(style_of "$t") MODE=$mode KEYS=$KEYS VALUE_SIZE=$VALUE_SIZE \
      wrk -t1 -c"$c" -d"${d}s" --timeout 10s --latency -s "$HERE/lua/kv.lua" "$(url_of "$t" "$i")" >"$log-$i.txt" 2>&1 &
    WRK_PIDS+=($!)
  done
  for i in "${WRK_PIDS[@]}"; do wait "$i" || true; done
  WRK_PIDS=()
  times >"$WORK/times1"
  s1=$(snap $(server_pids "$t"))
  c0=$(children_cpu "$WORK/times0"); c1=$(children_cpu "$WORK/times1")
  read -r own foreign wr fl srv < <(snap_delta "$s0" "$s1" "$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')")
  # Throughput: the sum over the three wrk; p99: the worst of the three; errors: non-2xx plus socket errors.
  RESULT=$(cat "$log"-[123].txt | awk -v own="$own" -v foreign="$foreign" -v srv="$srv" '
    /^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                rps += v["rps"]; if (v["p99_ms"] > p99) p99 = v["p99_ms"]; err += v["non2xx"] + v["sock_errors"]; n++ }
    END { if (n != 3) { print "missing"; exit } printf "%.0f %.2f %d %s %s %s\n", rps, p99, err, own, foreign, srv }')
}

if ((WARMUP > 0)); then
  for t in kv etcd; do run "$t" warmup "$WARMUP" "$OUT/logs/warmup-$t"; echo "warm-up $t: ${RESULT%% *} req/s"; done
fi
echo -e "round\ttarget\tworkload\trps\tp99_ms\terrors\tload1\tforeign_cpu\tserver_cpu" >"$RAW"
for rep in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    for t in kv etcd; do
      load=$(cut -d' ' -f1 /proc/loadavg)
      run "$t" "$w" "$DUR" "$OUT/logs/round$rep-$t-$w"
      [[ $RESULT != missing ]] || { echo "round $rep $w $t: no result, see $OUT/logs" >&2; exit 1; }
      read -r rps p99 err own foreign srv <<<"$RESULT"
      echo -e "$rep\t$t\t$w\t$rps\t$p99\t$err\t$load\t$foreign\t$srv" >>"$RAW"
      printf 'round %d/%d %-8s %-5s %7s req/s  p99 %7s ms  errors %s  load %s, other processes %s cores\n' \
        "$rep" "$ROUNDS" "$w" "$([[ $t == kv ]] && echo ours || echo etcd)" "$rps" "$p99" "$err" "$load" "$foreign"
      sleep "$SLEEP"
    done
  done
done

# ---- the table -----------------------------------------------------------------------------------------------------
python3 - "$RAW" "$OUT/meta.txt" >"$OUT/results.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
meta = open(sys.argv[2]).read().strip().splitlines()
print("# Three nodes of ours against a three-member etcd 3.4, on loopback\n")
for m in meta:
    print("- " + m)
print()
print("| workload | ours req/s | etcd req/s | ours/etcd | ours p99 ms | etcd p99 ms | errors ours/etcd | load (1 min) | other processes, cores |")
print("|---|---|---|---|---|---|---|---|---|")
for w in dict.fromkeys(r["workload"] for r in rows):
    ours = [r for r in rows if r["workload"] == w and r["target"] == "kv"]
    etcd = [r for r in rows if r["workload"] == w and r["target"] == "etcd"]
    med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
    ratios = sorted(float(o["rps"]) / float(e["rps"]) for o, e in zip(ours, etcd) if float(e["rps"]) > 0)
    ratio = "%.2f (%.2f-%.2f)" % (statistics.median(ratios), ratios[0], ratios[-1]) if ratios else "-"
    loads = sorted(float(r["load1"]) for r in ours + etcd)
    foreign = sorted(float(r["foreign_cpu"]) for r in ours + etcd)
    print("| %s | %.0f | %.0f | %s | %.1f | %.1f | %d/%d | %.1f-%.1f | %.2f-%.2f |" % (
        w, med(ours, "rps"), med(etcd, "rps"), ratio, med(ours, "p99_ms"), med(etcd, "p99_ms"),
        sum(int(r["errors"]) for r in ours), sum(int(r["errors"]) for r in etcd),
        loads[0], loads[-1], foreign[0], foreign[-1]))
print("\nMedians over the rounds; the ratio is the median of the per-round ratios (lowest-highest). \"other processes\":"
      " CPU used during the runs by everything but the six servers and wrk, in cores; the load average is taken"
      " before each run.")
PY
cat "$OUT/results.md"
