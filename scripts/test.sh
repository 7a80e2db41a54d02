#!/bin/sh
# The whole test suite, from a clean clone on a fresh Debian 12:
#   installs the packages, builds the sanitizer (ASan + UBSan) flavour, starts a throwaway
#   MariaDB, a Redis and a 3-master Redis Cluster on free loopback ports in a temp dir, runs the
#   unit tests (ctest) and the black-box API suite twice (SQLite + memory cache, and MariaDB +
#   Redis), and stops every server it started.
# The two API suites run side by side (most of their time is spent waiting on servers, not on
# the CPU): each has its own range of ports (QNLIVE_TEST_PORTS) and its own temp dirs, and only
# the MariaDB + Redis suite uses the shared servers. Each lane's output is shown when it ends.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)

# One lane of the run below (scripts/test.sh --lane NAME), with the environment it set up.
if [ "${1:-}" = "--lane" ]; then
    case "$2" in
    unit-and-sqlite)
        (cd build/debug && ctest --output-on-failure -j2)
        echo "== fake upstream self-test"
        /usr/bin/python3 -m pytest -q tests/fakes -p no:cacheprovider
        echo "== API suite: SQLite + memory cache"
        QNLIVE_TEST_BACKEND=sqlite QNLIVE_TEST_PORTS=20000-25999 \
            exec /usr/bin/python3 -m pytest -q tests/api -p no:cacheprovider
        ;;
    mysql)
        echo "== API suite: MariaDB + Redis"
        QNLIVE_TEST_BACKEND=mysql QNLIVE_TEST_PORTS=26000-31999 \
            exec /usr/bin/python3 -m pytest -q tests/api -p no:cacheprovider
        ;;
    esac
    exit 2
fi

./scripts/install-deps.sh test
./scripts/check-style.sh
# the OpenAPI 3.1 validator tests/api/test_openapi.py runs (versions locked in its lock file)
npm ci --prefix tests/openapi --no-audit --no-fund --loglevel=error

cmake --preset debug >/dev/null
cmake --build build/debug -j2

TMP=$(mktemp -d "${TMPDIR:-/tmp}/qnlive-test.XXXXXX")
LANES=""
cleanup() {
    # an interrupted run: each lane is a process group of its own, servers included
    for pid in $LANES; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    wait
    "$ROOT/scripts/testenv/redis.sh" stop "$TMP/redis" >/dev/null 2>&1 || true
    "$ROOT/scripts/testenv/mariadb.sh" stop "$TMP/mariadb" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

eval "$("$ROOT/scripts/testenv/mariadb.sh" start "$TMP/mariadb")"
eval "$("$ROOT/scripts/testenv/redis.sh" start "$TMP/redis")"
eval "$("$ROOT/scripts/testenv/redis.sh" start-cluster "$TMP/redis")"
export QNLIVE_TEST_MYSQL_DIR="$TMP/mariadb" QNLIVE_TEST_REDIS_DIR="$TMP/redis"

# Sanitizers: fail on the first report; LeakSanitizer runs too.
export ASAN_OPTIONS="abort_on_error=0:detect_leaks=1:halt_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

export QNLIVE_BIN="$ROOT/build/debug/qnlive"

# The lanes run side by side, each in a session of its own (so that an interrupt can stop it
# with its servers), their output kept until they end.
start=$(date +%s)
for name in unit-and-sqlite mysql; do
    setsid "$ROOT/scripts/test.sh" --lane "$name" >"$TMP/$name.log" 2>&1 &
    LANES="$LANES $!"
done
failed=0
set -- $LANES
for name in unit-and-sqlite mysql; do
    pid=$1
    shift
    rc=0
    wait "$pid" || rc=$?
    echo "==== $name (exit $rc)"
    cat "$TMP/$name.log"
    [ $rc = 0 ] || failed=1
done
LANES=""
echo "lanes took $(($(date +%s) - start)) s"
[ $failed = 0 ] || exit 1
echo "all tests passed"
