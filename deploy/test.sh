#!/bin/sh
# End-to-end test of the compose deployment, on this machine, with nothing left behind:
#   * uses the Docker daemon in DOCKER_HOST (or the system one) when it answers, else starts a
#     private dockerd (root only) with its own data root, exec root, pid file and socket in a
#     temporary directory;
#   * builds debian:bookworm-slim locally with debootstrap when the daemon lacks it (no image
#     registry is needed; the rootfs tarball is cached in QNLIVE_DEPLOY_CACHE);
#   * builds the images, starts qnlive, MariaDB, Redis and Prometheus (Grafana is not packaged
#     for Debian, so its dashboard file is checked instead), waits for qnlive to be healthy,
#     checks /status on the published port, creates a user and a room through the API, sees
#     Prometheus scrape qnlive (target up, request counter increased, every dashboard metric
#     known), then `down -v` and stops the private daemon.
# Prints "SKIP: <reason>" and exits 0 when Docker cannot run here; exits non-zero on a failure.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${QNLIVE_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qnlive-deploy}
PY=/usr/bin/python3
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo -n"

log() { printf '== %s\n' "$*" >&2; }
skip() { printf 'SKIP: %s\n' "$*"; exit 0; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# ---- tools -----------------------------------------------------------------------------------
need_pkgs=""
command -v dockerd >/dev/null 2>&1 || need_pkgs="$need_pkgs docker.io"
command -v docker-compose >/dev/null 2>&1 || need_pkgs="$need_pkgs docker-compose"
command -v debootstrap >/dev/null 2>&1 || need_pkgs="$need_pkgs debootstrap"
command -v curl >/dev/null 2>&1 || need_pkgs="$need_pkgs curl"
if [ -n "$need_pkgs" ]; then
    log "installing:$need_pkgs"
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --no-install-recommends $need_pkgs >/dev/null; } || skip "cannot install$need_pkgs"
fi
if docker compose version >/dev/null 2>&1; then
    COMPOSE="docker compose"
else
    COMPOSE="docker-compose"
fi
# The stack plus the test overlay (fake IM), under a project name of its own.
compose() {
    $COMPOSE -p "$PROJECT" -f deploy/docker-compose.yml -f deploy/test/docker-compose.test.yml \
        --env-file "$TMP/live.env" "$@"
}

PROJECT="qnlivetest$$"

# ---- daemon ----------------------------------------------------------------------------------
TMP=$(mktemp -d "${TMPDIR:-/tmp}/qnlive-deploy.XXXXXX")
DOCKERD_PID=""
MADE_BRIDGE=""
cleanup() {
    status=$?
    set +e
    if [ -f "$TMP/live.env" ]; then
        compose down -v --remove-orphans >/dev/null 2>&1
    fi
    if [ -n "$DOCKERD_PID" ]; then
        kill "$DOCKERD_PID" 2>/dev/null
        i=0
        while kill -0 "$DOCKERD_PID" 2>/dev/null && [ $i -lt 60 ]; do sleep 1; i=$((i + 1)); done
        kill -9 "$DOCKERD_PID" 2>/dev/null
        # whatever the daemon left mounted under its roots, and the bridge it created
        grep -o " $TMP/[^ ]*" /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
        [ -n "$MADE_BRIDGE" ] && ip link delete docker0 2>/dev/null
        # dockerd leaves its chains, NAT rules and a FORWARD policy of DROP behind
        [ -s "$TMP/iptables.before" ] && iptables-restore <"$TMP/iptables.before"
    fi
    rm -rf "$TMP" 2>/dev/null
    exit $status
}
trap cleanup EXIT INT TERM

if [ -z "${DOCKER_HOST:-}" ] && ! docker info >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || skip "no Docker daemon answers and starting one needs root"
    log "starting a private dockerd in $TMP"
    ip link show docker0 >/dev/null 2>&1 || MADE_BRIDGE=yes
    if command -v iptables-save >/dev/null 2>&1 && ! iptables -S DOCKER >/dev/null 2>&1; then
        iptables-save >"$TMP/iptables.before"
    fi
    mkdir -p "$TMP/docker/data" "$TMP/docker/exec"
    dockerd --data-root "$TMP/docker/data" --exec-root "$TMP/docker/exec" \
        --pidfile "$TMP/docker/dockerd.pid" -H "unix://$TMP/docker/docker.sock" \
        >"$TMP/docker/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    export DOCKER_HOST="unix://$TMP/docker/docker.sock"
    i=0
    until docker info >/dev/null 2>&1; do
        kill -0 "$DOCKERD_PID" 2>/dev/null || { tail -5 "$TMP/docker/dockerd.log" >&2;
            skip "dockerd does not start here (see its log above)"; }
        i=$((i + 1))
        [ $i -lt 60 ] || skip "dockerd did not answer within 60 s"
        sleep 1
    done
fi
docker info >/dev/null 2>&1 || skip "the Docker daemon at ${DOCKER_HOST:-default} does not answer"

# ---- base image ------------------------------------------------------------------------------
# The mirror of this machine's own apt sources (deb822 or one-line format).
apt_mirror() {
    m=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources | head -1 | awk '{print $2}')
    [ -n "$m" ] || m=$(grep -hs '^deb .*debian' /etc/apt/sources.list | head -1 | awk '{print $2}')
    echo "${m:-http://deb.debian.org/debian}"
}

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
    tarball="$CACHE/bookworm-minbase.tar"
    if [ ! -s "$tarball" ]; then
        [ "$(id -u)" -eq 0 ] || skip "debootstrap needs root to build debian:bookworm-slim"
        log "debootstrap --variant=minbase bookworm from $(apt_mirror) (cached in $CACHE)"
        mkdir -p "$CACHE"
        debootstrap --variant=minbase bookworm "$TMP/rootfs" "$(apt_mirror)" \
            >"$TMP/debootstrap.log" 2>&1 || { tail -20 "$TMP/debootstrap.log" >&2;
            fail "debootstrap failed"; }
        rm -rf "$TMP"/rootfs/var/cache/apt/archives/*.deb "$TMP"/rootfs/var/lib/apt/lists/* \
            "$TMP"/rootfs/usr/share/doc/* "$TMP"/rootfs/usr/share/man/*
        tar --numeric-owner -C "$TMP/rootfs" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
        rm -rf "$TMP/rootfs"
    fi
    log "importing debian:bookworm-slim"
    docker import --change 'CMD ["bash"]' "$tarball" debian:bookworm-slim >/dev/null
fi

# ---- stack -----------------------------------------------------------------------------------
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT_LIVE=$(free_port)
PORT_PROMETHEUS=$(free_port)
rnd() { $PY -c 'import secrets; print(secrets.token_hex(24))'; }
SERVER_AK=deploy-test-ak
SERVER_SK=$(rnd)
# IM goes to the fake (deploy/test/docker-compose.test.yml); the other Qiniu services are not
# called by what the test does. The test never calls real services.
sed -e "s/^PORT_LIVE=.*/PORT_LIVE=$PORT_LIVE/" \
    -e "s/^PORT_PROMETHEUS=.*/PORT_PROMETHEUS=$PORT_PROMETHEUS/" \
    -e "s/^QINIU_ACCESS_KEY=.*/QINIU_ACCESS_KEY=test-ak/" \
    -e "s/^QINIU_SECRET_KEY=.*/QINIU_SECRET_KEY=test-sk/" \
    -e "s/^IM_APP_ID=.*/IM_APP_ID=test-im-app/" \
    -e "s/^IM_ADMIN_TOKEN=.*/IM_ADMIN_TOKEN=test-im-token/" \
    -e "s/^RTC_APP_ID=.*/RTC_APP_ID=test-rtc-app/" \
    -e "s/^PILI_HUB=.*/PILI_HUB=test-hub/" \
    -e "s/^QNLIVE_JWT_KEY=.*/QNLIVE_JWT_KEY=$(rnd)/" \
    -e "s/^SERVER_ACCESS_KEY=.*/SERVER_ACCESS_KEY=$SERVER_AK/" \
    -e "s/^SERVER_SECRET_KEY=.*/SERVER_SECRET_KEY=$SERVER_SK/" \
    -e "s/^MYSQL_PASSWORD=.*/MYSQL_PASSWORD=$(rnd)/" \
    -e "s/^REDIS_PASSWORD=.*/REDIS_PASSWORD=$(rnd)/" \
    -e "s/^GRAFANA_ADMIN_PASSWORD=.*/GRAFANA_ADMIN_PASSWORD=$(rnd)/" \
    -e "s/^LOG_FORMAT=.*/LOG_FORMAT=json/" \
    deploy/live.env.example >"$TMP/live.env"
log "compose config ($COMPOSE)"
compose config -q
log "building images (compiles qnlive: several minutes on a busy machine)"
t0=$(date +%s)
compose build qnlive mysql redis prometheus fakeqiniu >"$TMP/build.log" 2>&1 || { tail -30 "$TMP/build.log" >&2;
    fail "image build failed"; }
log "built in $(($(date +%s) - t0)) s; qnlive image: $(docker image inspect -f '{{.Size}}' qnlive:latest | awk '{printf "%.0f MB", $1/1e6}')"
# Grafana is not started: its image comes from a registry this test does not use.
compose up -d qnlive mysql redis prometheus fakeqiniu

container=$(compose ps -q qnlive)
log "waiting for qnlive to be healthy"
i=0
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$container")" = healthy ]; do
    i=$((i + 1))
    if [ $i -gt 300 ]; then
        compose logs --tail 40 qnlive mysql redis >&2
        fail "qnlive not healthy after 300 s"
    fi
    sleep 1
done
log "healthy after about $i s"

FAKE_CONTAINER=$(compose ps -q fakeqiniu) \
QNLIVE_URL="http://127.0.0.1:$PORT_LIVE" PROM_URL="http://127.0.0.1:$PORT_PROMETHEUS" \
SERVER_AK="$SERVER_AK" SERVER_SK="$SERVER_SK" PYTHONPATH="$ROOT/tests/api" \
    $PY "$ROOT/deploy/smoke_test.py" || { compose logs --tail 60 qnlive >&2; fail "smoke test"; }

# The operators' tool inside the running container, then a login with the new account.
printf 'deploy-admin-secret\n' |
    compose exec -T qnlive qnlive admin add deploy_admin -f /etc/qnlive/config.yaml >/dev/null ||
    fail "qnlive admin add in the container"
curl -fsS -X POST -H 'Content-Type: application/json' \
    -d '{"user_name":"deploy_admin","password":"deploy-admin-secret"}' \
    "http://127.0.0.1:$PORT_LIVE/manager/login" | grep -q '"access_token"' ||
    fail "admin login with the account made by qnlive admin"
log "admin account made with qnlive admin logs in"

# Only published ports on the loopback address.
if docker ps --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Ports}}' |
    grep -E '0\.0\.0\.0|:::' >/dev/null; then
    fail "a port is published on a public address"
fi
compose logs qnlive | grep -q '"level":"info","module":"main"' || fail "log.format json not in effect"

compose exec -T redis sh -c 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli config get appendonly' |
    grep -qx yes || fail "Redis runs without AOF persistence"

# docker stop sends SIGTERM: qnlive drains and exits 0.
compose stop qnlive >/dev/null 2>&1
[ "$(docker inspect -f '{{.State.ExitCode}}' "$container")" = 0 ] ||
    fail "qnlive did not exit 0 on SIGTERM"
compose logs qnlive | grep -q '"msg":"bye"' || fail "qnlive did not finish its drain"
log "SIGTERM: drained, exit 0"

log "down -v"
compose down -v --remove-orphans >/dev/null 2>&1
[ -z "$(docker ps -q --filter "label=com.docker.compose.project=$PROJECT")" ] ||
    fail "containers left running"
[ -z "$(docker volume ls -q --filter "label=com.docker.compose.project=$PROJECT")" ] ||
    fail "volumes left behind"
echo "deploy test passed"
