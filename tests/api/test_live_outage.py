"""An outage is not silence: while the database or the cache hangs, heartbeats that cannot get
through must not turn into audience timeouts once it is back. MariaDB + Redis backend only: each
test owns a throwaway server that it freezes with SIGSTOP. The outage outlasts the audience
timeout on the server's business clock, which the test moves forward: nothing waits for the
timeout in real time."""
import os
import signal
import time

import pytest

import qnlive_server
from helpers import advance_clock, assert_error, assert_ok, client_call, run_job, try_job, user_token
from qnlive_server import Server

pytestmark = pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                                reason="needs the MariaDB + Redis backend")

# Far longer than the test takes in real time: only the moved clock times anyone out. The
# scheduled passes never come (timeout_check_s); the test runs each one.
LIVE_YAML = "live:\n  user_timeout_s: 60\n  timeout_check_s: 3600\n  room_timeout_s: 3600\n"
USER_TIMEOUT_S = 60
VIEWERS = 6
JOB = "live_user_timeout"


def start_server(env):
    saved = {k: os.environ[k] for k in env if k in os.environ}
    os.environ.update(env)
    try:
        return Server(extra=LIVE_YAML).start()
    finally:
        os.environ.update(saved)


def run_once_the_lease_is_back(srv):
    """Runs the timeout pass once this node holds the singleton lease again: after a cache
    outage the lease comes back when the cache expires its key (real time, a lease length)."""
    deadline = time.time() + 30
    while True:
        r = try_job(srv, JOB)
        assert r.status_code == 200, (r.text, srv.read_log()[-3000:])
        if r.json()["data"]["ran"] or time.time() > deadline:
            break
        time.sleep(0.2)
    assert r.json()["data"]["ran"], srv.read_log()[-3000:]


def heartbeat(srv, lid, tok):
    return client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, tok)


def audience_survives_a_freeze(srv, pid_file):
    """A room with its anchor and viewers, each heartbeating once. The process of pid_file is
    frozen, the clock moves well past the audience timeout, and the timeout pass that runs
    meanwhile cannot reach it. Once thawed, a pass runs before any client speaks again (clients
    back off after failures), so their silence outlasts the timeout only because of the outage:
    nobody may be evicted. A member silent for a full timeout after the outage still is."""
    anchor = user_token(srv, "hang_anchor")
    lid = assert_ok(client_call(srv, "POST", "/client/live/room/instance", anchor,
                                {"title": "hang"}))["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, anchor, {}))
    users = {"hang_anchor": anchor}
    for i in range(VIEWERS):
        tok = user_token(srv, "hang_v%d" % i)
        assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, tok, {}))
        users["hang_v%d" % i] = tok
    for tok in users.values():
        assert_ok(heartbeat(srv, lid, tok))
    run_job(srv, JOB)
    pid = int(open(pid_file).read().strip())
    os.kill(pid, signal.SIGSTOP)
    try:
        advance_clock(srv, USER_TIMEOUT_S + 10)
        # the passes during the outage: the write-behind pings the cache, the timeout pass
        # checks both dependencies (or cannot run at all: its lease lives in the cache). Each
        # fails, or answers only once the frozen process thaws, and the outage is noted.
        try_job(srv, "live_presence_flush")
        r = try_job(srv, JOB)
        assert r.status_code != 200 or r.json()["data"] == {"ran": False}, r.text
    finally:
        os.kill(pid, signal.SIGCONT)
    run_once_the_lease_is_back(srv)
    for uid, tok in users.items():
        assert_ok(heartbeat(srv, lid, tok))
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, anchor))
    assert info["online_count"] == 1 + VIEWERS and info["anchor_status"] == 1, srv.read_log()
    # the same pass still evicts silence that comes after the outage
    advance_clock(srv, USER_TIMEOUT_S + 10)
    for uid, tok in users.items():
        if uid != "hang_v0":
            assert_ok(heartbeat(srv, lid, tok))
    run_job(srv, JOB)
    assert_error(heartbeat(srv, lid, users["hang_v0"]), 500, 500, "user not in live room")
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, anchor))
    assert info["online_count"] == VIEWERS


def test_a_hung_database_evicts_nobody(own_mariadb):
    mdir, env = own_mariadb
    srv = start_server({"QNLIVE_TEST_MYSQL": env["QNLIVE_TEST_MYSQL"]})
    try:
        audience_survives_a_freeze(srv, os.path.join(mdir, "pid"))
    finally:
        assert srv.stop() == 0


def test_a_hung_cache_evicts_nobody(own_redis):
    rdir, env = own_redis
    srv = start_server({"QNLIVE_TEST_REDIS": env["QNLIVE_TEST_REDIS"]})
    try:
        audience_survives_a_freeze(srv, os.path.join(rdir, "redis.pid"))
    finally:
        assert srv.stop() == 0
