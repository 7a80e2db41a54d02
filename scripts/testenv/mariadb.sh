#!/bin/sh
# Throwaway MariaDB for tests: a private data directory, loopback only, a free port, no systemd.
#
#   mariadb.sh start <dir>    initialise <dir> (first time only), start the server, wait until it
#                             answers, create database `live` and user qnlive/qnlive (all
#                             privileges, grant option), then print lines for `eval`:
#                               export QNLIVE_TEST_MYSQL=127.0.0.1:<port>:qnlive:qnlive:live
#                               export QNLIVE_TEST_MYSQL_DIR=<dir>
#                             QNLIVE_TEST_MYSQL is host:port:user:password:database; tests treat
#                             missing trailing fields as root, "", live.
#                             Starting an already initialised <dir> reuses its data and its port
#                             (so a test can stop and restart the same server).
#   mariadb.sh stop <dir>     stop the server of <dir>: SIGTERM, bounded wait, then SIGKILL.
#
# Needs mariadb-server installed (binaries mariadb-install-db, mariadbd, mariadb). Works as root.
set -eu

READY_WAIT_S=60
STOP_WAIT_S=30

die() {
    echo "mariadb.sh: $*" >&2
    exit 1
}

# A TCP port nobody listens on now (the kernel picks it).
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

server_pid() {
    if [ -f "$1/pid" ]; then
        pid=$(cat "$1/pid")
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            echo "$pid"
        fi
    fi
}

init_dir() {
    dir=$1
    mkdir -p "$dir/data"
    if [ ! -d "$dir/data/mysql" ]; then
        mariadb-install-db --no-defaults --user=root --datadir="$dir/data" \
            --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
            die "mariadb-install-db failed, see $dir/install.log"
    fi
    if [ ! -f "$dir/port" ]; then
        free_port >"$dir/port"
    fi
}

wait_ready() {
    dir=$1
    i=0
    while [ $i -lt $((READY_WAIT_S * 5)) ]; do
        if mariadb-admin --no-defaults --protocol=socket --socket="$dir/s.sock" -uroot \
            ping >/dev/null 2>&1; then
            return 0
        fi
        # mariadbd writes its pid file early; none after 10 s means it gave up.
        if [ -z "$(server_pid "$dir")" ] && [ $i -gt 50 ]; then
            die "server exited, see $dir/server.log"
        fi
        sleep 0.2
        i=$((i + 1))
    done
    die "server not ready after ${READY_WAIT_S}s, see $dir/server.log"
}

provision() {
    mariadb --no-defaults --protocol=socket --socket="$1/s.sock" -uroot <<'EOF' ||
CREATE DATABASE IF NOT EXISTS live CHARACTER SET utf8mb4;
CREATE USER IF NOT EXISTS 'qnlive'@'%' IDENTIFIED BY 'qnlive';
GRANT ALL PRIVILEGES ON *.* TO 'qnlive'@'%' WITH GRANT OPTION;
FLUSH PRIVILEGES;
EOF
        die "provisioning failed"
}

start() {
    dir=$(mkdir -p "$1" && cd "$1" && pwd)
    init_dir "$dir"
    port=$(cat "$dir/port")
    if [ -z "$(server_pid "$dir")" ]; then
        # setsid: the server must not die with the caller's terminal or process group.
        setsid mariadbd --no-defaults --user=root --datadir="$dir/data" --socket="$dir/s.sock" \
            --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --pid-file="$dir/pid" \
            --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
            --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
            --log-error="$dir/server.log" </dev/null >/dev/null 2>&1 &
    fi
    wait_ready "$dir"
    provision "$dir"
    echo "export QNLIVE_TEST_MYSQL=127.0.0.1:$port:qnlive:qnlive:live"
    echo "export QNLIVE_TEST_MYSQL_DIR=$dir"
}

stop() {
    dir=$1
    pid=$(server_pid "$dir")
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ $i -ge $((STOP_WAIT_S * 5)) ]; then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.2
        i=$((i + 1))
    done
    rm -f "$dir/pid"
}

[ $# -eq 2 ] || die "usage: mariadb.sh start|stop <dir>"
case $1 in
start) start "$2" ;;
stop) stop "$2" ;;
*) die "usage: mariadb.sh start|stop <dir>" ;;
esac
