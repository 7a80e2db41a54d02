#!/bin/sh
# The whole test suite, from a clean clone on a fresh Debian 12:
#   installs the packages, builds the sanitizer (ASan + UBSan) flavour, starts a throwaway
#   MariaDB, a Redis and a 3-master Redis Cluster on free loopback ports in a temp dir, runs the
#   unit tests (ctest) and the black-box API suite twice (SQLite + memory cache, then MariaDB +
#   Redis), and stops every server it started.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

./scripts/install-deps.sh test
./scripts/check-style.sh

cmake --preset debug >/dev/null
cmake --build build/debug -j2

TMP=$(mktemp -d "${TMPDIR:-/tmp}/qnlive-test.XXXXXX")
cleanup() {
    "$ROOT/scripts/testenv/redis.sh" stop "$TMP/redis" >/dev/null 2>&1 || true
    "$ROOT/scripts/testenv/mariadb.sh" stop "$TMP/mariadb" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

eval "$("$ROOT/scripts/testenv/mariadb.sh" start "$TMP/mariadb")"
eval "$("$ROOT/scripts/testenv/redis.sh" start "$TMP/redis")"
eval "$("$ROOT/scripts/testenv/redis.sh" start-cluster "$TMP/redis")"
export QNLIVE_TEST_MYSQL_DIR="$TMP/mariadb" QNLIVE_TEST_REDIS_DIR="$TMP/redis"

# Sanitizers: fail on the first report; LeakSanitizer runs too.
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

(cd build/debug && ctest --output-on-failure -j2)

echo "== fake upstream self-test"
/usr/bin/python3 -m pytest -q tests/fakes -p no:cacheprovider

export QNLIVE_BIN="$ROOT/build/debug/qnlive"
echo "== API suite: SQLite + memory cache"
QNLIVE_TEST_BACKEND=sqlite /usr/bin/python3 -m pytest -q tests/api -p no:cacheprovider
echo "== API suite: MariaDB + Redis"
QNLIVE_TEST_BACKEND=mysql /usr/bin/python3 -m pytest -q tests/api -p no:cacheprovider
echo "all tests passed"
