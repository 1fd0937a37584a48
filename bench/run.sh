#!/usr/bin/env bash
# Our service side by side with etcd 3.4 (and nginx, the HTTP ceiling) under wrk (issue 5). One command:
#
#   bench/run.sh [-r ROUNDS] [-d SECS] [-w "WORKLOADS"] [-W SECS] [-o OUTDIR] [-n]
#
#   -r ROUNDS     rounds (default 3); in each round every workload runs once per target, the targets back to
#                 back (ours, etcd, nginx), then the next workload
#   -d SECS       length of each wrk run (default 10)
#   -w WORKLOADS  default "get_c64 put_c1 put_c16 put_c64 mixed_c64"; any of static, get_cN, put_cN, mixed_cN
#                 get_cN    GET a random one of the KEYS preloaded keys, N connections (2 wrk threads, 1 at N=1)
#                 put_cN    durable PUT of a random one of the keys, VALUE_SIZE-byte string value
#                 mixed_cN  90% GET / 10% PUT
#                 static    one fixed GET, no Lua per request (ours /keys/anchor-000001, etcd /version, nginx /)
#                 nginx runs the GET-only and mixed workloads; PUT workloads compare ours with etcd only
#   -W SECS       warm-up per target before round 1, mixed load at 64 connections, not recorded (default 10)
#   -o OUTDIR     default bench/results/<UTC date-time>
#   -n            do not build: use the existing target/kv-store.jar
#
# Environment: KV_PORT=28080 ETCD_PORT=28379 ETCD_PEER_PORT=28380 NGINX_PORT=28081 KEYS=10000 VALUE_SIZE=16
#   SLEEP=1 (seconds between runs), KV_JAVA_OPTS (default "-Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseParallelGC": the
#   image's collector, a fixed heap), KV_JAVA (the java that runs ours; default: Temurin 25, the image's runtime, at
#   /usr/lib/jvm/temurin-25-jdk-amd64 when it is there, else java), KV_ARGS (more arguments for ours, e.g.
#   --spring.threads.virtual.enabled=false).
#
# It builds the jar, installs wrk, etcd-server and nginx with apt-get when they are missing, starts the three
# servers on 127.0.0.1 with fresh data directories under one temporary directory, preloads the keys into ours
# and etcd, runs the rounds, and stops every process it started, by PID, on exit or interrupt.
# Output in OUTDIR: raw.tsv (one row per wrk run), results.md (the table), chart.svg, summary.md (every
# metric, CPU per request), meta.txt, logs/ (each wrk output, the servers' logs). results.md and chart.svg are
# also copied to bench/results/latest.md and latest.svg. Default run: about 9 minutes.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
ROUNDS=3; DUR=10; WORKLOADS="get_c64 put_c1 put_c16 put_c64 mixed_c64"; WARMUP=10; OUT=""; BUILD=1
while getopts "r:d:w:W:o:nh" o; do
  case $o in
    r) ROUNDS=$OPTARG ;; d) DUR=$OPTARG ;; w) WORKLOADS=$OPTARG ;; W) WARMUP=$OPTARG ;; o) OUT=$OPTARG ;;
    n) BUILD=0 ;; h) usage 0 ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 0 ]] || usage
for w in $WORKLOADS; do
  [[ $w =~ ^(static|(get|put|mixed)_c[1-9][0-9]*)$ ]] || { echo "unknown workload $w" >&2; exit 2; }
done
KV_PORT=${KV_PORT:-28080}; ETCD_PORT=${ETCD_PORT:-28379}; ETCD_PEER_PORT=${ETCD_PEER_PORT:-28380}
NGINX_PORT=${NGINX_PORT:-28081}; KEYS=${KEYS:-10000}; VALUE_SIZE=${VALUE_SIZE:-16}; SLEEP=${SLEEP:-1}
KV_JAVA_OPTS=${KV_JAVA_OPTS:--Xms1g -Xmx1g -XX:+AlwaysPreTouch -XX:+UseParallelGC}
if [[ -z ${KV_JAVA:-} ]]; then
  KV_JAVA=java
  [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]] && KV_JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
fi
KV_ARGS=${KV_ARGS:-}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${OUT:-$HERE/results/$STAMP}
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)
RAW=$OUT/raw.tsv
# shellcheck source=lib.sh
source "$HERE/lib.sh"

# ---- everything started here is stopped by PID on exit --------------------------------------------------------
WORK=""; WRK_PID=""; POLICY_CREATED=0
declare -A PID_OF=()
STARTED=()
cleanup() {
  local rc=$? n
  trap - EXIT INT TERM
  set +e
  if [[ -n $WRK_PID ]]; then kill -TERM "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; fi
  for ((n = ${#STARTED[@]} - 1; n >= 0; n--)); do
    case ${STARTED[n]} in kv) stop_pid "${STARTED[n]}" "${PID_OF[${STARTED[n]}]}" 45 ;;
                          *) stop_pid "${STARTED[n]}" "${PID_OF[${STARTED[n]}]}" 15 ;; esac
  done
  ((POLICY_CREATED)) && rm -f /usr/sbin/policy-rc.d
  if [[ -n $WORK && -d $WORK ]]; then
    [[ -f $WORK/nginx/error.log ]] && cp "$WORK/nginx/error.log" "$OUT/logs/nginx-error.log"
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'echo "interrupted" >&2; exit 130' INT
trap 'echo "terminated" >&2; exit 143' TERM

# ---- tools: install what is missing ---------------------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v etcd >/dev/null || need+=(etcd-server)
command -v nginx >/dev/null || need+=(nginx)
command -v curl >/dev/null || need+=(curl)
command -v ss >/dev/null || need+=(iproute2)
command -v findmnt >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
command -v java >/dev/null || need+=(openjdk-17-jdk-headless)
if ((${#need[@]})); then
  [[ $(id -u) -eq 0 ]] || { echo "missing: ${need[*]}; install them (apt-get install -y ${need[*]}) or run as root" >&2; exit 1; }
  echo "installing ${need[*]}"
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then   # keep the packages from starting system services of their own
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; POLICY_CREATED=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -q "${need[@]}"; then
    apt-get update -q && apt-get install -y -q "${need[@]}"
  fi
  if ((POLICY_CREATED)); then rm -f /usr/sbin/policy-rc.d; POLICY_CREATED=0; fi
fi

# ---- the jar ---------------------------------------------------------------------------------------------------
HEAD_SHORT=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)   # what is built, taken before
commit=$HEAD_SHORT
if [[ -n $(git -C "$REPO" status --porcelain --untracked-files=no -- src pom.xml 2>/dev/null) ]]; then
  commit="$commit + uncommitted changes to src/ or pom.xml"
fi
if ((BUILD)); then
  echo "building target/kv-store.jar (./mvnw -B -q -DskipTests package)"
  (cd "$REPO" && ./mvnw -B -q -DskipTests package)
fi
[[ -f $REPO/target/kv-store.jar ]] || { echo "no target/kv-store.jar (run without -n)" >&2; exit 1; }
((BUILD)) || commit="$commit (jar not rebuilt: built $(date -u -r "$REPO/target/kv-store.jar" '+%Y-%m-%d %H:%M UTC'))"

for p in "$KV_PORT" "$ETCD_PORT" "$ETCD_PEER_PORT" "$NGINX_PORT"; do
  port_free_msg=$(ss -ltnpH "sport = :$p" 2>/dev/null || true)
  [[ -z $port_free_msg ]] || { echo "port $p is in use: $port_free_msg (set KV_PORT/ETCD_PORT/ETCD_PEER_PORT/NGINX_PORT)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/kv-bench.XXXXXX)
chmod 755 "$WORK"
DISK_DEV=$(basename "$(findmnt -no SOURCE -T "$WORK" 2>/dev/null || echo unknown)")   # whose flushes snap counts
cp "$REPO/target/kv-store.jar" "$WORK/kv-store.jar"   # a rebuild during the run cannot swap the jar under us

# ---- servers ---------------------------------------------------------------------------------------------------
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

mkdir -p "$WORK/kv-data"
# shellcheck disable=SC2086 # KV_JAVA_OPTS is a list of flags
"$KV_JAVA" $KV_JAVA_OPTS -XX:+PrintCommandLineFlags -jar "$WORK/kv-store.jar" \
  --server.port="$KV_PORT" --kv.data-dir="$WORK/kv-data" $KV_ARGS >"$OUT/logs/kv.log" 2>&1 &
PID_OF[kv]=$!; STARTED+=(kv)
wait_ready kv "http://127.0.0.1:$KV_PORT/actuator/health/readiness" '"UP"' 120
echo "ours  started pid ${PID_OF[kv]} on 127.0.0.1:$KV_PORT, data $WORK/kv-data"

etcd --name kvbench --data-dir "$WORK/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster "kvbench=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
  --enable-v2=true --logger zap --log-level warn >"$OUT/logs/etcd.log" 2>&1 &
PID_OF[etcd]=$!; STARTED+=(etcd)
wait_ready etcd "http://127.0.0.1:$ETCD_PORT/health" '"health":"true"' 60
echo "etcd  started pid ${PID_OF[etcd]} on 127.0.0.1:$ETCD_PORT, data $WORK/etcd-data"

mkdir -p "$WORK/nginx/body"
sed -e "s|@DIR@|$WORK/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" "$HERE/conf/nginx.conf" >"$WORK/nginx/nginx.conf"
nginx -e "$WORK/nginx/error.log" -c "$WORK/nginx/nginx.conf" -g 'daemon off;' >"$OUT/logs/nginx.log" 2>&1 &
PID_OF[nginx]=$!; STARTED+=(nginx)
wait_ready nginx "http://127.0.0.1:$NGINX_PORT/" '"v"' 30
echo "nginx started pid ${PID_OF[nginx]} on 127.0.0.1:$NGINX_PORT"

# ---- what was measured, on what ------------------------------------------------------------------------------
cpu_model=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
[[ -n $cpu_model ]] || cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
jvm_flags=$(grep -m1 -- '-XX:' "$OUT/logs/kv.log" | sed -e 's/ *-XX:+PrintCommandLineFlags//' -e 's/ *$//' || true)
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $commit"
  echo "machine: $(nproc) cores, ${cpu_model:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), Linux $(uname -r), data on $(findmnt -no SOURCE,FSTYPE -T "$WORK" | tr -s ' ' ' ')"
  echo "runs: ${ROUNDS} round(s) x ${DUR} s per run, ${WARMUP} s warm-up per target, wrk keep-alive, 2 threads (1 at c=1), ${KEYS} preloaded keys, ${VALUE_SIZE}-byte values"
  echo "ours: java -jar kv-store.jar with $KV_JAVA_OPTS --server.port=$KV_PORT --kv.data-dir=<fresh dir>${KV_ARGS:+ $KV_ARGS}, every kv.* setting at its default (kv.wal.sync=always); JVM: $("$KV_JAVA" -version 2>&1 | head -1)${jvm_flags:+; flags: $jvm_flags}"
  echo "etcd: $(etcd --version 2>/dev/null | head -1 | sed 's/^etcd Version: //'), one member, v2 API (--enable-v2), default durability (WAL fsync per batch)"
  echo "nginx: $(nginx -v 2>&1 | sed 's/^nginx version: //'), a fixed 200 {\"v\":1} for every request"
  echo "wrk: $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')"
} >"$OUT/meta.txt"
sed 's/^/# /' "$OUT/meta.txt"
echo "# JVM heap flags for ours: $KV_JAVA_OPTS"

# ---- preload ---------------------------------------------------------------------------------------------------
python3 "$HERE/preload.py" kv "http://127.0.0.1:$KV_PORT" "$KEYS" --value-size "$VALUE_SIZE" --path-prefix /keys/ \
  | tee -a "$OUT/logs/preload.txt"
python3 "$HERE/preload.py" etcd2 "http://127.0.0.1:$ETCD_PORT" "$KEYS" --value-size "$VALUE_SIZE" \
  | tee -a "$OUT/logs/preload.txt"

# ---- wrk -------------------------------------------------------------------------------------------------------
url_of()    { case $1 in kv) echo "http://127.0.0.1:$KV_PORT" ;; etcd) echo "http://127.0.0.1:$ETCD_PORT" ;; nginx) echo "http://127.0.0.1:$NGINX_PORT" ;; esac; }
style_of()  { case $1 in etcd) echo etcd2 ;; *) echo kv ;; esac; }   # nginx gets our request shapes
prefix_of() { case $1 in etcd) echo /v2/keys/ ;; *) echo /keys/ ;; esac; }
static_of() { case $1 in kv) echo /keys/anchor-000001 ;; etcd) echo /version ;; nginx) echo / ;; esac; }
port_of()   { case $1 in kv) echo "$KV_PORT" ;; etcd) echo "$ETCD_PORT" ;; nginx) echo "$NGINX_PORT" ;; esac; }
targets_of() { case $1 in put_*) echo kv etcd ;; *) echo kv etcd nginx ;; esac; }

RESULT=""
wrk_run() { # target workload seconds log -> RESULT="RESULT rps=.. ... own_cpu=.. server_cpu=.. foreign_cpu=.. ..."
  local t=$1 w=$2 d=$3 log=$4 mode conc threads url style prefix pids s0 s1 c0 c1 own foreign wr fl srv
  url=$(url_of "$t"); style=$(style_of "$t"); prefix=$(prefix_of "$t")
  case $w in
    static)   mode=get; conc=64; style=plain; url=$url$(static_of "$t") ;;
    get_c*)   mode=get; conc=${w#get_c} ;;
    put_c*)   mode=put; conc=${w#put_c} ;;
    mixed_c*) mode=mixed; conc=${w#mixed_c} ;;
    warmup)   mode=mixed; conc=64 ;;
  esac
  threads=2; ((conc >= 2)) || threads=1
  echo "\$ STYLE=$style MODE=$mode KEYS=$KEYS VALUE_SIZE=$VALUE_SIZE PATH_PREFIX=$prefix wrk -t$threads -c$conc -d${d}s --timeout 10s --latency -s lua/kv.lua $url" >"$log"
  pids=$(pids_on_port "$(port_of "$t")")
  # shellcheck disable=SC2086
  s0=$(snap $pids)
  times >"$WORK/times0"
  STYLE=$style MODE=$mode KEYS=$KEYS VALUE_SIZE=$VALUE_SIZE PATH_PREFIX=$prefix \
    wrk -t"$threads" -c"$conc" -d"${d}s" --timeout 10s --latency -s "$HERE/lua/kv.lua" "$url" >>"$log" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || true
  WRK_PID=""
  times >"$WORK/times1"
  # shellcheck disable=SC2086
  s1=$(snap $pids)
  c0=$(children_cpu "$WORK/times0"); c1=$(children_cpu "$WORK/times1")
  read -r own foreign wr fl srv < <(snap_delta "$s0" "$s1" "$(awk -v a="$c0" -v b="$c1" 'BEGIN {print b - a}')")
  echo "# server_pids=$pids own_cpu=$own server_cpu=$srv foreign_cpu=$foreign dev_wr_iops=$wr dev_flush_per_s=$fl" >>"$log"
  RESULT="$(grep '^RESULT' "$log" | tail -1 || true) own_cpu=$own server_cpu=$srv foreign_cpu=$foreign dev_wr_iops=$wr dev_flush_per_s=$fl"
}

name_of() { case $1 in kv) echo ours ;; *) echo "$1" ;; esac; }

if ((WARMUP > 0)); then
  for t in kv etcd nginx; do
    wrk_run "$t" warmup "$WARMUP" "$OUT/logs/warmup-$t.txt"
    echo "warm-up $(name_of "$t") ${WARMUP}s: $(echo "$RESULT" | grep -o 'rps=[0-9.]*') req/s"
  done
fi

echo -e "rep\ttarget\tworkload\trps\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tnon2xx\tsock_errors\town_cpu\tserver_cpu\tforeign_cpu\tdev_flush_per_s\tdev_wr_iops\tload1" >"$RAW"
for rep in $(seq 1 "$ROUNDS"); do
  for w in $WORKLOADS; do
    for t in $(targets_of "$w"); do
      load=$(cut -d' ' -f1 /proc/loadavg)
      wrk_run "$t" "$w" "$DUR" "$OUT/logs/round$rep-$t-$w.txt"
      if [[ $RESULT == RESULT* ]]; then
        # RESULT rps=.. p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. requests=.. non2xx=.. sock_errors=.. own_cpu=.. ...
        echo "$RESULT" | awk -v r="$rep" -v t="$t" -v w="$w" -v l="$load" '{
          for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
          printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r, t, w, v["rps"], v["p50_ms"], v["p90_ms"],
                 v["p99_ms"], v["max_ms"], v["non2xx"], v["sock_errors"], v["own_cpu"], v["server_cpu"], v["foreign_cpu"],
                 v["dev_flush_per_s"], v["dev_wr_iops"], l }' >>"$RAW"
        echo "round $rep/$ROUNDS $w $(name_of "$t"): $(echo "$RESULT" | awk '{for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
          printf "%.0f req/s, p99 %s ms, errors %d/%d, other load %s cores", v["rps"], v["p99_ms"], v["non2xx"], v["sock_errors"], v["foreign_cpu"] }')"
      else
        echo "round $rep/$ROUNDS $w $(name_of "$t"): no result, see $OUT/logs/round$rep-$t-$w.txt" >&2
      fi
      sleep "$SLEEP"
    done
  done
done

echo "data at the end: ours $(du -sh "$WORK/kv-data" | cut -f1), etcd $(du -sh "$WORK/etcd-data" | cut -f1)" >>"$OUT/meta.txt"

# ---- results ---------------------------------------------------------------------------------------------------
python3 "$HERE/table.py" "$RAW" --meta "$OUT/meta.txt" --chart chart.svg >"$OUT/results.md"
python3 "$HERE/chart.py" "$RAW" "$OUT/chart.svg" --title "kv-store vs etcd, $(date -u '+%Y-%m-%d'), $HEAD_SHORT$([[ $commit == *uncommitted* ]] && echo ' + uncommitted changes')"
python3 "$HERE/summarize.py" "$RAW" --compact --ratio kv:etcd --ratio kv:nginx >"$OUT/summary.md"
mkdir -p "$HERE/results"
sed 's/(chart\.svg)/(latest.svg)/' "$OUT/results.md" >"$HERE/results/latest.md"
cp "$OUT/chart.svg" "$HERE/results/latest.svg"
echo
cat "$OUT/results.md"
echo
echo "results in $OUT (raw.tsv, results.md, chart.svg, summary.md, logs/); copied to bench/results/latest.md and latest.svg"
echo "run time: $((SECONDS / 60)) min $((SECONDS % 60)) s"
