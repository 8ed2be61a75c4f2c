#!/usr/bin/env bash
# The container as a user runs it: builds the image with the project's Dockerfile, starts it
# with `docker run -p` and a named data volume, waits for the image's HEALTHCHECK
# (`propimport health`) to report healthy, asks /readyz through the published port, imports
# the demo feeds inside the container, checks that `docker logs` has no colour codes and that
# the generated admin token is in the volume (mode 0600), stops it with `docker stop`
# (SIGTERM: a clean exit 0), and finds the history again in the volume from a new container;
# then `docker compose up` (the app and its PostgreSQL) until the app is healthy, and down.
#
# Opt-in by what is on the machine: without a running Docker daemon, or when the base images
# are not here already, it prints one "SKIPPED container test: <why>" line and exits 0 (the
# image's build compiles the whole workspace again, about 10 minutes on 2 cores).
# CONTAINER_TEST_PULL=1 pulls missing base images first; REQUIRE_CONTAINER=1 turns a skip into
# a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

skip() {
  if [ "${REQUIRE_CONTAINER:-}" = 1 ]; then
    echo "container test required (REQUIRE_CONTAINER=1) but cannot run: $*" >&2
    exit 1
  fi
  echo "SKIPPED container test: $*"
  exit 0
}
fail() {
  echo "container test failed: $*" >&2
  exit 1
}

command -v docker >/dev/null 2>&1 || skip "no docker command (Debian's docker.io provides one)"
docker info >/dev/null 2>&1 || skip "no Docker daemon answers (start dockerd)"
for arg in RUST_IMAGE RUNTIME_IMAGE; do
  image=$(sed -n "s/^ARG $arg=//p" Dockerfile)
  [ -n "$image" ] || fail "the Dockerfile declares no ARG $arg"
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    [ "${CONTAINER_TEST_PULL:-}" = 1 ] || skip "base image $image is not on this machine (CONTAINER_TEST_PULL=1 pulls it)"
    timeout 600 docker pull -q "$image" >/dev/null 2>&1 || skip "cannot pull base image $image (offline?)"
  fi
done

tag="propimport:container-test"
name="propimport-container-test-$$"
volume="propimport-container-test-$$"
cleanup() {
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker volume rm "$volume" >/dev/null 2>&1 || true
}
trap cleanup EXIT

echo "== docker build"
# The CAs this machine adds to its trust store (a TLS-inspecting proxy's) are the build's too.
extra_cas=""
for crt in /usr/local/share/ca-certificates/*.crt; do
  [ -f "$crt" ] && extra_cas+="$(cat "$crt")"$'\n'
done
docker build -q --build-arg EXTRA_CA_CERTS="$extra_cas" -t "$tag" . >/dev/null

echo "== docker run"
docker run -d --name "$name" -p 127.0.0.1::5050 -v "$volume:/app/data" "$tag" >/dev/null
port=$(docker port "$name" 5050/tcp | head -n 1 | sed 's/.*://')
[ -n "$port" ] || fail "port 5050 is not published"

deadline=$((SECONDS + 120))
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$name")" = healthy ]; do
  if [ "$(docker inspect -f '{{.State.Running}}' "$name")" != true ]; then
    docker logs "$name" >&2 || true
    fail "the container stopped before it was healthy"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    docker logs "$name" >&2 || true
    fail "not healthy within 120 s"
  fi
  sleep 1
done
echo "healthy: $(docker exec "$name" propimport health)"

ready=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz") \
  || fail "no answer on the published port $port"
[ "$ready" = 200 ] || fail "/readyz through the published port answered $ready"
echo "/readyz on 127.0.0.1:$port: 200"

imported=$(docker exec "$name" propimport import 2>&1) || fail "propimport import in the container failed: $imported"
logs=$(docker logs "$name" 2>&1)
[[ "$logs" != *$'\e['* ]] || fail "docker logs contains colour codes"
mode=$(docker exec "$name" stat -c '%a' /app/data/admin-token) || fail "no generated admin token in /app/data"
[ "$mode" = 600 ] || fail "the admin token file is mode $mode, not 600"

echo "== docker stop"
docker stop -t 60 "$name" >/dev/null
code=$(docker inspect -f '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || { docker logs "$name" >&2; fail "exit code $code after docker stop"; }

history=$(docker run --rm -v "$volume:/app/data" "$tag" executions list) || fail "executions list in a new container failed"
printf '%s\n' "$history" | grep -q demo-costa-blanca \
  || fail "the runs are not in the volume after a restart: $history"
echo "docker run: ok (healthy, ready on the published port, no colour codes, clean stop, data kept in the volume)"

# docker compose up: the service and its PostgreSQL, the app's port on a free one.
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "SKIPPED compose test: neither docker compose nor docker-compose is installed"
  exit 0
fi
db_image=$(sed -n 's/^ *image: *//p' docker-compose.yml | head -n 1)
if ! docker image inspect "$db_image" >/dev/null 2>&1; then
  [ "${CONTAINER_TEST_PULL:-}" = 1 ] && timeout 600 docker pull -q "$db_image" >/dev/null 2>&1 \
    || { echo "SKIPPED compose test: image $db_image is not on this machine"; exit 0; }
fi
project="propimport-compose-test-$$"
compose+=(-p "$project")
compose_down() {
  "${compose[@]}" down -v >/dev/null 2>&1 || true
  cleanup
}
trap compose_down EXIT
app_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "== docker compose up"
# The image built above, not a second build of the same sources.
PROPIMPORT_IMAGE="$tag" PROPIMPORT_PORT="$app_port" "${compose[@]}" up -d --no-build >/dev/null 2>&1 \
  || fail "docker compose up failed: $("${compose[@]}" logs 2>&1 | tail -n 20)"
app=$("${compose[@]}" ps -q app)
deadline=$((SECONDS + 180))
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$app")" = healthy ]; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    "${compose[@]}" logs >&2 || true
    fail "the compose app was not healthy within 180 s"
  fi
  sleep 1
done
ready=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$app_port/readyz") \
  || fail "no answer from the compose app on 127.0.0.1:$app_port"
[ "$ready" = 200 ] || fail "/readyz of the compose app answered $ready"
app_logs=$(docker logs "$app" 2>&1)
[[ "$app_logs" == *"@db:5432/propimport"* ]] || fail "the compose app does not use its PostgreSQL: $app_logs"
"${compose[@]}" stop >/dev/null 2>&1
code=$(docker inspect -f '{{.State.ExitCode}}' "$app")
[ "$code" = 0 ] || fail "the compose app exited $code when stopped"
echo "docker compose: ok (PostgreSQL healthy on a free port, app healthy and ready, clean stop)"
