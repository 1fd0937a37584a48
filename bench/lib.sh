# Helpers for bench/run.sh (sourced). The first three are copied from the peer benchmarks in shared/bench/lib.sh.
#   pids_on_port PORT            -> PIDs of the processes listening on PORT (the server under test)
#   snap PIDS...                 -> "time busy_jiffies own_jiffies dev_writes dev_flushes" (one line)
#   snap_delta "S0" "S1" CLIENT_CPU_S -> "own_cpu foreign_cpu dev_wr_iops dev_flush_per_s server_cpu"
#       own_cpu     = cores used by the server process tree + the load client (wrk)
#       server_cpu  = cores used by the server process tree alone
#       foreign_cpu = cores used by everything else on the box during the run (other processes)
#       dev_*       = whole-device write IOs/s and cache flushes/s (each fsync/fdatasync => >=1 flush)
# Added for bench/run.sh:
#   port_free PORT               -> true when nothing listens on PORT
#   children_cpu FILE            -> seconds of CPU used by this shell's reaped children, from `times` saved in FILE
#   stop_pid NAME PID GRACE_S    -> SIGTERM, wait up to GRACE_S seconds, then SIGKILL; that PID only
DISK_DEV=${DISK_DEV:-$(basename "$(findmnt -no SOURCE -T "${DATA_DIR_REF:-$PWD}" 2>/dev/null || echo vda)")}

pids_on_port() {
  ss -ltnpH "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u | tr '\n' ' '
}

snap() {
  local own=0 p q all=""
  for p in "$@"; do all="$all $p $(pgrep -P "$p" 2>/dev/null | tr '\n' ' ')"; done
  for q in $(echo "$all" | tr ' ' '\n' | grep . | sort -u); do   # each process once
    [[ -r /proc/$q/stat ]] || continue
    own=$((own + $(sed 's/^.*) //' "/proc/$q/stat" | awk '{print $12 + $13}')))
  done
  echo "$(date +%s.%N) $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat) $own" \
       "$(awk -v d="$DISK_DEV" '$3 == d {print $8, $19}' /proc/diskstats)"
}

snap_delta() {
  awk -v a="$1" -v b="$2" -v c="${3:-0}" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(a, x, " "); split(b, y, " "); dt = y[1] - x[1]; if (dt <= 0) dt = 1
    busy = (y[2] - x[2]) / hz; own = (y[3] - x[3]) / hz + c
    printf "%.2f %.2f %.0f %.0f %.3f\n", own / dt, (busy - own) / dt, (y[4] - x[4]) / dt, (y[5] - x[5]) / dt,
           (y[3] - x[3]) / hz / dt }'
}

port_free() {
  [[ -z $(ss -ltnH "sport = :$1" 2>/dev/null) ]]
}

children_cpu() { # the second line of `times` is "XmY.YYYs XmY.YYYs" (user, system) of reaped children
  awk 'NR == 2 { s = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); s += p[1] * 60 + p[2] } printf "%.3f\n", s }' "$1"
}

stop_pid() {
  local name=$1 pid=$2 grace=${3:-10} i rc
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$name (pid $pid) still running after ${grace}s, SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null && rc=0 || rc=$?
  echo "stopped $name (pid $pid, exit status $rc)"
}
