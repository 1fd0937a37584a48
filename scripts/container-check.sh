#!/usr/bin/env bash
# Builds and runs the image for real, without a Docker engine: Debian's podman builds the Dockerfile against base
# images made locally from Debian packages (no registry is reachable here), then the script starts the container
# and checks what an orchestrator relies on. Not part of `./mvnw verify` (it needs root, apt and a few minutes):
# .ci/run runs it after verify. About 2.5 minutes on a fresh machine, under one when the base images exist.
#
#   sudo scripts/container-check.sh            # builds kv-store:check, runs the checks, removes its containers
#
# Checks: the HEALTHCHECK passes; the service runs as the non-root user kv, with the uid and gid that
# deploy/kubernetes runs it as; protected mode refuses a client from outside the container until a token is given;
# with a token, as Kubernetes runs it (read-only root file system with a /tmp, no capabilities, the manifest's
# metrics settings), a PUT and GET work and the metrics the alerts read are there; `podman stop` (SIGTERM) exits 0;
# a new container on the same volume has the data; the heap follows the container's memory limit; compose validates.
set -euo pipefail
cd "$(dirname "$0")/.."
began=$(date +%s)

WORK=${WORK:-/tmp/kv-container-check}
IMAGE=kv-store:check
NAME=kv-check
PORT=${PORT:-18480}
TOKEN=container-check-token-0123456789
mkdir -p "$WORK"

log() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

log "tools"
need=()
for p in podman runc debootstrap docker-compose jq curl; do command -v "$p" >/dev/null || need+=("$p"); done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc debootstrap docker-compose \
    jq curl >/dev/null
fi
# The VM refuses podman's default rlimits and systemd cgroups; crun refuses its hybrid cgroup layout.
printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' > "$WORK/containers.conf"
export CONTAINERS_CONF=$WORK/containers.conf
# Without systemd, podman cannot schedule the HEALTHCHECK on a timer and says so as an "error" on every run and
# removal; the checks below run the health check themselves, so those lines are dropped.
podman_runc() { podman --runtime runc "$@" 2> >(grep -v 'unable to get systemd connection' >&2); }
PODMAN=(podman_runc)

# One base per FROM line, made from Debian packages and given the name the Dockerfile uses. Certificates the
# host trusts (a proxy's CA, here) go in too, so that the Maven build stage can reach Maven Central.
make_base() { # name package [a JDK, copied to /opt/java/openjdk as in the eclipse-temurin images]
  local name=$1 pkg=$2 jdk=${3:-} root=$WORK/rootfs-${1//[:.]/-}
  if "${PODMAN[@]}" image exists "$name"; then return; fi
  log "base image $name from Debian ($pkg)"
  [ -d "$root" ] || debootstrap --variant=minbase --include="$pkg,ca-certificates" bookworm "$root" >/dev/null
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
  if [ -n "$jdk" ] && [ ! -d "$root/opt/java/openjdk" ]; then
    mkdir -p "$root/opt/java" "$root/etc/ssl/certs/java"
    cp -a "$jdk" "$root/opt/java/openjdk"
    cp -L /etc/ssl/certs/java/cacerts "$root/etc/ssl/certs/java/cacerts"   # its lib/security/cacerts links there
  fi
  # Java's keystore hook (ca-certificates-java) runs keytool, which needs /proc: without it the hook fails, the
  # CAs never reach the JDK's cacerts and the package is left half-configured. A private mount namespace gives the
  # chroot a /proc that disappears with it; `dpkg --configure -a` repairs a rootfs left over from an earlier run.
  unshare --mount --pid --fork --mount-proc="$root/proc" chroot "$root" \
    sh -c 'dpkg --configure -a && update-ca-certificates' >/dev/null || fail "CA certificates in $name"
  # debootstrap keeps the packages it installed (~150 MB for a JDK); an image has no use for them.
  tar -C "$root" --exclude='./var/cache/apt/archives/*.deb' -c . | "${PODMAN[@]}" import \
    --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV JAVA_HOME=/opt/java/openjdk' - "$name" >/dev/null
}
make_base eclipse-temurin:17-jdk openjdk-17-jdk-headless
# Java 25 has no Debian bookworm package: the runtime base gets the Temurin 25 JDK installed on this machine
# (KV_JDK25; a user with a registry pulls eclipse-temurin:25-jre instead).
jdk25=${KV_JDK25:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ -x "$jdk25/bin/java" ] || fail "no Temurin 25 JDK at $jdk25 (set KV_JDK25)"
make_base eclipse-temurin:25-jre curl "$jdk25"

log "build"
start=$(date +%s)
"${PODMAN[@]}" build --pull=never --network host --format docker -t "$IMAGE" . >"$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log"; fail "build"; }
echo "built $IMAGE in $(( $(date +%s) - start )) s, $("${PODMAN[@]}" image inspect "$IMAGE" --format '{{.Size}}') bytes"
"${PODMAN[@]}" image inspect "$IMAGE" --format '{{json .HealthCheck}}' | grep -q readiness || fail "HEALTHCHECK kept"

cleanup() { "${PODMAN[@]}" rm -f "$NAME" >/dev/null 2>&1 || true; "${PODMAN[@]}" volume rm -f kv-check-data >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

wait_healthy() {
  for _ in $(seq 1 60); do
    if "${PODMAN[@]}" healthcheck run "$NAME" >/dev/null 2>&1; then return 0; fi
    sleep 2
  done
  "${PODMAN[@]}" logs "$NAME" | tail -40
  fail "healthcheck never passed"
}

log "protected mode: no token, a client from outside the container is refused"
"${PODMAN[@]}" run -d --name "$NAME" -p "$PORT:8080" -v kv-check-data:/data --memory 512m "$IMAGE" >/dev/null
wait_healthy
echo "healthcheck: passing"
[ "$("${PODMAN[@]}" exec "$NAME" id -un)" = kv ] || fail "runs as kv"
echo "user: $("${PODMAN[@]}" exec "$NAME" id)"
# The StatefulSet names the user by number (runAsNonRoot cannot check a name): it must be the image's kv.
manifest=deploy/kubernetes/statefulset.yaml
for field in runAsUser:'id -u' runAsGroup:'id -g'; do
  want=$(awk -v k="${field%%:*}:" '$1 == k {print $2; exit}' "$manifest")
  got=$("${PODMAN[@]}" exec "$NAME" ${field#*:})
  [ "$want" = "$got" ] || fail "$manifest has ${field%%:*}: $want, the image's kv has $got"
done
echo "$manifest: runAsUser and runAsGroup match the image"
code=$(curl -s -o "$WORK/refused.json" -w '%{http_code}' "localhost:$PORT/keys/x")
[ "$code" = 403 ] && grep -q protected-mode "$WORK/refused.json" || fail "protected mode refuses remote (got $code)"
echo "from the host: $code $(cat "$WORK/refused.json")"
heap=$("${PODMAN[@]}" exec "$NAME" java -XX:+PrintFlagsFinal -version 2>/dev/null | awk '/ MaxHeapSize /{print $4}')
echo "MaxHeapSize under --memory 512m: $heap bytes"
[ "$heap" -le $((512 * 1024 * 1024 * 80 / 100)) ] || fail "heap follows the memory limit"
"${PODMAN[@]}" rm -f "$NAME" >/dev/null

log "with a token, as deploy/kubernetes runs it: read-only root, a /tmp, no capabilities, its metrics settings"
# --read-only mounts a tmpfs on /tmp (the emptyDir of the StatefulSet); the settings are the manifest's own values.
env_of() { awk -v n="- name: $1" 'index($0, n) {getline; sub(/^ *value: */, ""); print; exit}' "$manifest"; }
"${PODMAN[@]}" run -d --name "$NAME" -p "$PORT:8080" -v kv-check-data:/data \
  --read-only --cap-drop=ALL --security-opt=no-new-privileges \
  -e MANAGEMENT_METRICS_SYSTEM_DISKSPACE_PATHS="$(env_of MANAGEMENT_METRICS_SYSTEM_DISKSPACE_PATHS)" \
  -e MANAGEMENT_METRICS_DISTRIBUTION_SLO_HTTP_SERVER_REQUESTS="$(env_of MANAGEMENT_METRICS_DISTRIBUTION_SLO_HTTP_SERVER_REQUESTS)" \
  -e KV_SECURITY_TOKENS_0_TOKEN="$TOKEN" -e KV_SECURITY_TOKENS_0_ROLE=admin "$IMAGE" >/dev/null
wait_healthy
auth=(-H "Authorization: Bearer $TOKEN")
curl -fsS "${auth[@]}" -X PUT "localhost:$PORT/keys/container/check" -H 'Content-Type: application/json' \
  -d '{"type":"string","value":"survives"}' >/dev/null || fail "PUT with a token"
[ "$(curl -s -o /dev/null -w '%{http_code}' "localhost:$PORT/keys/container/check")" = 401 ] || fail "401 without a token"
echo "PUT with the token: ok; GET without it: 401"
curl -fsS "${auth[@]}" "localhost:$PORT/actuator/prometheus" >"$WORK/metrics.txt" || fail "metrics with a token"
for series in 'kv_wal_writable 1' 'disk_free_bytes{path="/data"}' 'kv_wal_force_seconds_bucket' \
    'http_server_requests_seconds_bucket'; do
  grep -qF "$series" "$WORK/metrics.txt" || fail "/actuator/prometheus lacks $series"
done
echo "metrics: the log is writable, disk_free_bytes is the volume's, force and request latency have buckets"

log "podman stop (SIGTERM)"
"${PODMAN[@]}" stop -t 40 "$NAME" >/dev/null
status=$("${PODMAN[@]}" inspect "$NAME" --format '{{.State.ExitCode}}')
"${PODMAN[@]}" logs "$NAME" 2>&1 | grep -E "Readiness|graceful|Closed" || true
[ "$status" = 0 ] || fail "exit status after SIGTERM: $status"
echo "exit status: $status"

log "a new container on the same volume"
"${PODMAN[@]}" rm -f "$NAME" >/dev/null
"${PODMAN[@]}" run -d --name "$NAME" -p "$PORT:8080" -v kv-check-data:/data \
  -e KV_SECURITY_TOKENS_0_TOKEN="$TOKEN" -e KV_SECURITY_TOKENS_0_ROLE=admin "$IMAGE" >/dev/null
wait_healthy
body=$(curl -fsS "${auth[@]}" "localhost:$PORT/keys/container/check")
# What matters: the same key, type and value, and the revision the write got (other fields may be added).
jq -e '.key == "container/check" and .type == "string" and .value == "survives"
       and (.revision | type == "number" and . >= 1)' <<<"$body" >/dev/null || fail "data on the volume: $body"
echo "in the new container: $body"

log "compose"
KV_ADMIN_TOKEN=check-only-token-0123456789 docker-compose -f docker-compose.yml config -q
echo "docker-compose.yml: valid"

# A rebuild under the same tag leaves the previous image dangling; the base images stay as the build's cache.
"${PODMAN[@]}" image prune -f >/dev/null
log "all container checks passed in $(( $(date +%s) - began )) s"
