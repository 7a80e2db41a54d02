#!/bin/sh
# Runs qnlive on its embedded default (SQLite under ./data, in-memory cache, no other servers).
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh run
cmake --preset release >/dev/null
cmake --build build/release -j2
exec ./build/release/qnlive -f config/qnlive.yaml "$@"
