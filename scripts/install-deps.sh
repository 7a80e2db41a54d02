#!/bin/sh
# Installs every Debian 12 package qnlive needs to build, run, test and benchmark.
# Idempotent and non-interactive: packages already present are skipped.
set -eu

BUILD="build-essential cmake ninja-build pkg-config"
LIBS="libmicrohttpd-dev libjansson-dev libyaml-dev libmariadb-dev libsqlite3-dev
      libhiredis-dev libcurl4-openssl-dev libssl-dev libcmocka-dev"
TEST="mariadb-server mariadb-client redis-server redis-tools python3 python3-pytest python3-requests
      procps sqlite3 clang-format chromium chromium-driver python3-selenium"
BENCH="wrk nginx-light"

# The API tests validate /openapi.json with an npm package (tests/openapi): Node.js and npm
# from Debian unless the machine already has them.
command -v npm >/dev/null 2>&1 || TEST="$TEST nodejs npm"

case "${1:-all}" in
run) want="$BUILD $LIBS" ;;
test) want="$BUILD $LIBS $TEST" ;;
bench) want="$BUILD $LIBS $TEST $BENCH" ;;
*) want="$BUILD $LIBS $TEST $BENCH" ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "installing:$missing" >&2
$SUDO apt-get update -qq
# policy-rc.d keeps the packaged services (mariadb, redis, nginx) from starting on install:
# the tests and benchmarks start their own throwaway instances on free loopback ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    # removed however the script ends, killed included
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
fi
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
