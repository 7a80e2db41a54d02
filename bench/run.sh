#!/bin/sh
# Benchmarks: builds the release binary, starts it on MariaDB + Redis (--backend sqlite for the
# embedded default), seeds data, drives wrk per workload and prints one table. See bench.py -h.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh bench
cmake --preset release >/dev/null
cmake --build build/release -j2
exec /usr/bin/python3 bench/bench.py "$@"
