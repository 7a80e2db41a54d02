#!/usr/bin/env bash
# Throwaway Redis servers for tests, on free loopback ports, owned by a directory.
#
#   redis.sh start <dir>          one server in <dir>; prints  export QNLIVE_TEST_REDIS=127.0.0.1:P
#                                 (if <dir>/port exists, that port is reused: stop + start is a
#                                 restart on the same address)
#   redis.sh start-cluster <dir>  three cluster masters in a fresh <dir>/n1..n3, slots assigned, waits for
#                                 cluster_state:ok; prints
#                                 export QNLIVE_TEST_REDIS_CLUSTER=127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3
#   redis.sh stop <dir>           stops every server started in <dir> (TERM, bounded wait, KILL)
#
# Nothing is persisted (--save '' --appendonly no); servers listen on 127.0.0.1 only. Works as
# root without systemd. Diagnostics go to stderr; stdout carries only the export line.
set -euo pipefail

REDIS_SERVER=${REDIS_SERVER:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
WAIT_STEPS=100 # x 0.1 s

die() { echo "redis.sh: $*" >&2; exit 1; }

# Prints a TCP port that is free on 127.0.0.1 right now (the kernel picks it).
free_port() {
    if [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
        return
    fi
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
    die "no free port found"
}

wait_ping() { # port
    local i
    for i in $(seq 1 "$WAIT_STEPS"); do
        if [ "$("$REDIS_CLI" -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
        sleep 0.1
    done
    return 1
}

# Starts one daemonized server in directory $1 on port $2; extra arguments go to redis-server.
spawn() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    rm -f "$dir/redis.pid"
    "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" \
        "$@" >/dev/null || die "redis-server failed to start in $dir (see $dir/redis.log)"
    echo "$port" >"$dir/port"
    wait_ping "$port" || die "redis on port $port did not answer (see $dir/redis.log)"
}

cmd_start() {
    local dir=$1 port
    mkdir -p "$dir"
    if [ -s "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(free_port); fi
    spawn "$dir" "$port"
    echo "export QNLIVE_TEST_REDIS=127.0.0.1:$port"
}

cluster_ok() { # port...
    local p
    for p in "$@"; do
        "$REDIS_CLI" -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' \
            || return 1
    done
}

cmd_start_cluster() {
    local dir=$1 ports=() addrs=() i p
    [ ! -e "$dir/n1/nodes.conf" ] || die "$dir already holds a cluster: use a fresh directory"
    for i in 1 2 3; do
        p=$(free_port)
        # The cluster bus gets its own free port rather than the default port + 10000.
        spawn "$dir/n$i" "$p" --cluster-enabled yes --cluster-config-file nodes.conf \
            --cluster-node-timeout 5000 --cluster-port "$(free_port)"
        ports+=("$p")
        addrs+=("127.0.0.1:$p")
    done
    "$REDIS_CLI" --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 \
        || die "cluster create failed (see $dir/create.log)"
    for i in $(seq 1 "$WAIT_STEPS"); do
        if cluster_ok "${ports[@]}"; then
            echo "export QNLIVE_TEST_REDIS_CLUSTER=$(IFS=,; echo "${addrs[*]}")"
            return 0
        fi
        sleep 0.1
    done
    die "cluster did not reach cluster_state:ok"
}

# True while pid runs; a zombie counts as gone (its sockets are closed, and where PID 1 reaps
# lazily it can linger for a while).
alive() { # pid
    local st
    st=$(ps -o stat= -p "$1" 2>/dev/null || true)
    [ -n "$st" ] && [ "${st#Z}" = "$st" ]
}

stop_one() { # pidfile
    local pid i
    pid=$(cat "$1" 2>/dev/null || true)
    rm -f "$1"
    case "$pid" in '' | *[!0-9]*) return 0 ;; esac
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 50); do
        alive "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

cmd_stop() {
    local dir=$1 f
    [ -d "$dir" ] || return 0
    for f in "$dir/redis.pid" "$dir"/n*/redis.pid; do
        [ -e "$f" ] && stop_one "$f"
    done
    return 0
}

[ $# -eq 2 ] || die "usage: redis.sh start|start-cluster|stop <dir>"
command -v "$REDIS_SERVER" >/dev/null || die "$REDIS_SERVER not found"
case "$1" in
start) cmd_start "$2" ;;
start-cluster) cmd_start_cluster "$2" ;;
stop) cmd_stop "$2" ;;
*) die "unknown command $1" ;;
esac
