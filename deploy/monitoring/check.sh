#!/usr/bin/env bash
# Checks the observability pack against the real thing. Run by .ci/run after `./mvnw -B verify` (it needs
# target/kv-store.jar); installs promtool (Debian's prometheus package) and jq when missing.
#
#   deploy/monitoring/check.sh
#
# 1. promtool check rules / test rules (kv-store-alerts.test.yml) / check config (prometheus.yml);
# 2. starts the packaged jar with deploy/kubernetes' metrics settings, exercises every kind of request, and lets a
#    real Prometheus scrape it with a token and evaluate the rules; then
#    - every query of the Grafana dashboard must be valid PromQL and return data from that scrape, and
#    - every alerting rule must evaluate without error, and none may fire: the store is healthy.
set -euo pipefail
cd "$(dirname "$0")/../.."
began=$(date +%s)
MON=deploy/monitoring
JAR=${JAR:-target/kv-store.jar}
KV_PORT=${KV_PORT:-18492}
PROM_PORT=${PROM_PORT:-19092}
TOKEN=monitoring-check-token-0123456789
WORK=$(mktemp -d /tmp/kv-monitoring-check.XXXXXX)

log() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# Polls a condition (a command) every half second until it holds or the deadline passes.
await() { # seconds description command...
  local deadline=$(( $(date +%s) + $1 )) what=$2; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "not within the deadline: $what"
    sleep 0.5
  done
}

log "tools"
if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null || ! command -v jq >/dev/null \
   || ! command -v curl >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus jq curl >/dev/null
fi
# Debian's package starts a server where systemd runs; this check starts its own on another port.
promtool --version 2>&1 | head -1

log "promtool"
promtool check rules "$MON/prometheus/kv-store-alerts.yml"
(cd "$MON/prometheus" && promtool test rules kv-store-alerts.test.yml)
# check config wants the token file to exist; the example reads it from beside itself.
cp "$MON/prometheus/prometheus.yml" "$MON/prometheus/kv-store-alerts.yml" "$WORK/"
echo placeholder >"$WORK/kv-store-token"
promtool check config "$WORK/prometheus.yml"

log "the dashboard's queries and the alerts against a running store"
[ -f "$JAR" ] || fail "$JAR is missing: run ./mvnw -B verify (or package) first"
manifest=deploy/kubernetes/statefulset.yaml
env_of() { awk -v n="- name: $1" 'index($0, n) {getline; sub(/^ *value: */, ""); print; exit}' "$manifest"; }
mkdir -p "$WORK/data"
KV_DATA_DIR="$WORK/data" SERVER_PORT=$KV_PORT SERVER_ADDRESS=127.0.0.1 \
  KV_SECURITY_TOKENS_0_TOKEN=$TOKEN KV_SECURITY_TOKENS_0_ROLE=admin \
  MANAGEMENT_METRICS_SYSTEM_DISKSPACE_PATHS="$WORK/data" \
  MANAGEMENT_METRICS_DISTRIBUTION_SLO_HTTP_SERVER_REQUESTS="$(env_of MANAGEMENT_METRICS_DISTRIBUTION_SLO_HTTP_SERVER_REQUESTS)" \
  java -Xmx256m -jar "$JAR" >"$WORK/kv.log" 2>&1 &
kvpid=$!
pids+=($kvpid)
kv="http://127.0.0.1:$KV_PORT"
await 90 "the store became ready" curl -fs "$kv/actuator/health/readiness"
# The GC panels read jvm_gc_pause_seconds, which exists only once the JVM has collected since the metrics bound:
# a short run in a 256 MB heap may not, so one collection now (as any running store has had) gives it a series.
"$(dirname "$(readlink -f "$(command -v java)")")/jcmd" "$kvpid" GC.run >/dev/null
auth=(-H "Authorization: Bearer $TOKEN")
json=(-H 'Content-Type: application/json')

# Every kind of request, in two rounds a few scrapes apart, so that rate() has two samples of each.
exercise() {
  for i in $(seq 1 20); do
    curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$kv/keys/mon/k$i" -d "{\"type\":\"string\",\"value\":\"v$1-$i\"}" >/dev/null
    curl -fsS "${auth[@]}" "$kv/keys/mon/k$i" >/dev/null
  done
  curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$kv/keys/mon/n" -d '{"type":"integer","value":1}' >/dev/null
  curl -fsS "${auth[@]}" "${json[@]}" -X PATCH "$kv/keys/mon/n" -d '{"increment":2}' >/dev/null
  curl -fsS "${auth[@]}" -X DELETE "$kv/keys/mon/k1" >/dev/null
  curl -s -o /dev/null "${auth[@]}" "$kv/keys/mon/missing"                           # 404
  curl -s -o /dev/null "${auth[@]}" "${json[@]}" -X PUT "$kv/keys/mon/bad" -d '{'     # 400
  curl -s -o /dev/null "$kv/keys/mon/k2"                                             # 401
  curl -fsS "${auth[@]}" "$kv/keys?prefix=mon/" >/dev/null
  curl -fsS "${auth[@]}" "${json[@]}" -X POST "$kv/batch" \
    -d '{"operations":[{"op":"set","key":"mon/b","type":"string","value":"x"},{"op":"delete","key":"mon/k3"}]}' >/dev/null
  curl -fsS "${auth[@]}" -X POST "$kv/admin/compaction" >/dev/null
}
# The first round runs before Prometheus starts: a cold JVM's first, slow requests are then in the counters before
# the first scrape, and so in no rate().
exercise 0

cat >"$WORK/prometheus-live.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/$MON/prometheus/kv-store-alerts.yml
scrape_configs:
  - job_name: kv-store
    metrics_path: /actuator/prometheus
    authorization:
      type: Bearer
      credentials_file: $WORK/token
    static_configs:
      - targets: ["127.0.0.1:$KV_PORT"]
EOF
printf '%s' "$TOKEN" >"$WORK/token"
prometheus --config.file="$WORK/prometheus-live.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
pids+=($!)
prom="http://127.0.0.1:$PROM_PORT"
query() { curl -fsS "$prom/api/v1/query" --data-urlencode "query=$1"; }
has_data() { [ "$(query "$1" | jq '.data.result | length')" -gt 0 ]; }
await 60 "Prometheus scrapes the store" has_data 'up{job="kv-store"} == 1'

scrapes() { query 'count_over_time(up{job="kv-store"}[10m])' | jq -r '.data.result[0].value[1] // 0'; }
after() { local n; n=$(scrapes); [ "$n" -ge "$1" ]; }
exercise 1
start=$(scrapes)
await 60 "three more scrapes" after $((start + 3))
exercise 2
start=$(scrapes)
await 60 "three more scrapes" after $((start + 3))

dashboard=$MON/grafana/kv-store-dashboard.json
# Its layout: unique panel ids, every panel within Grafana's 24 columns, every query on the chosen data source.
jq -e '[.. | objects | select(has("gridPos"))] | (map(.id) | length == (unique | length))
       and all(.gridPos.x + .gridPos.w <= 24)' "$dashboard" >/dev/null || fail "$dashboard: duplicate ids or too wide"
jq -e '[.. | objects | select(has("expr"))] | all(.datasource.uid == "${datasource}")' "$dashboard" >/dev/null \
  || fail "$dashboard: a query not on the \$datasource variable"
# The dashboard's variables, as Grafana fills them in: this job, every instance, a rate window of a minute.
checked=0
while IFS= read -r expr; do
  q=${expr//\$__rate_interval/1m}
  q=${q//\$job/kv-store}
  q=${q//\$instance/.*}
  answer=$(curl -sS "$prom/api/v1/query" --data-urlencode "query=$q")
  [ "$(jq -r .status <<<"$answer")" = success ] || fail "dashboard query does not run: $q: $(jq -r .error <<<"$answer")"
  [ "$(jq '.data.result | length' <<<"$answer")" -gt 0 ] || fail "dashboard query returns nothing: $q"
  checked=$((checked + 1))
done < <(jq -r '.. | objects | select(has("expr")) | .expr' "$dashboard")
for variable in $(jq -r '.templating.list[] | select(.type == "query") | .definition' "$dashboard" \
    | sed -n 's/^label_values(\(.*\), *[a-z_]*)$/\1/p' | sed 's/\$job/kv-store/'); do
  has_data "$variable" || fail "dashboard variable finds nothing: $variable"
done
echo "dashboard: $checked queries and its variables return data"

# Let every rule be evaluated at least once after the second round, then read their state.
all_rules_evaluated() {
  local rules; rules=$(curl -fsS "$prom/api/v1/rules")
  [ "$(jq '[.data.groups[].rules[] | select(.lastEvaluation | startswith("0001"))] | length' <<<"$rules")" = 0 ]
}
await 30 "every rule evaluated" all_rules_evaluated
rules=$(curl -fsS "$prom/api/v1/rules")
errors=$(jq -r '.data.groups[].rules[] | select(.health != "ok") | "\(.name): \(.lastError)"' <<<"$rules")
[ -z "$errors" ] || fail "rules that do not evaluate: $errors"
# Latency and disk alerts depend on this machine's disk (how full, how fast, what else writes to it), not on the
# store: they must evaluate, and their state is shown. Every other alert must be inactive, not even pending.
machine='KvStoreForceLatencyHigh|KvStoreForceLatencyCritical|KvStoreRequestsSlow|KvStoreDiskSpaceLow|KvStoreDiskSpaceCritical|KvStoreDiskFillingUp|KvStoreNoRoomToCompact'
firing=$(jq -r --arg m "^($machine)$" '.data.groups[].rules[] | select(.state != "inactive" and (.name | test($m) | not))
  | "\(.name) (\(.state))"' <<<"$rules")
[ -z "$firing" ] || fail "alerts pending or firing on a healthy store: $firing"
echo "alerts: $(jq '[.data.groups[].rules[]] | length' <<<"$rules") rules evaluate without error; none of the store's fires;" \
  "those that depend on this machine's disk: $(jq -r --arg m "^($machine)$" '[.data.groups[].rules[] | select(.name | test($m))
  | "\(.name) \(.state)"] | join(", ")' <<<"$rules")"
log "monitoring checks passed in $(( $(date +%s) - began )) s"
