"""The near cache of a single Redis node: hot reads answered from each node's memory, dropped
as soon as Redis reports a change. Two nodes share one Redis and one database: what one node
changes, the other shows on the very next read; heartbeats answered from memory are written,
so they keep their users in their rooms; the near cache is really used (its hit counter grows).
MariaDB + Redis only."""
import os
import signal
import time

import pytest
import requests

import qnlive_server
from helpers import advance_clock, assert_ok, client_call, run_job_on_one, user_token
from qnlive_server import Server, free_port

pytestmark = pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                                reason="the near cache is a Redis node's")


def near_hits(port):
    text = requests.get("http://127.0.0.1:%d/metrics" % port, timeout=10).text
    for line in text.splitlines():
        if line.startswith("qnlive_cache_near_hits "):
            return float(line.split()[1])
    return None


def on_air_room(srv, anchor_id, viewer_id):
    """An anchor's room on air: (anchor token, viewer token, live id)."""
    anchor, viewer = user_token(srv, anchor_id), user_token(srv, viewer_id)
    live_id = assert_ok(client_call(srv, "POST", "/client/live/room/instance", anchor,
                                    {"title": "t"}))["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + live_id, anchor, {}))
    return anchor, viewer, live_id


@pytest.fixture
def two_nodes(make_server):
    port = free_port()
    first = make_server(extra="live:\n  user_timeout_s: 20\n  timeout_check_s: 3600\n"
                        "prome:\n  client_mode: exporter\n  exporter_config:\n"
                        "    listen_addr: 127.0.0.1:%d\n" % port).start()
    second = Server(extra="live:\n  user_timeout_s: 20\n  timeout_check_s: 3600\n")
    with open(second.config) as f:
        cfg = f.read()
    with open(second.config, "w") as f:
        f.write(cfg.replace("database: %s" % second.db, "database: %s" % first.db)
                .replace("node_id: 1", "node_id: 2"))
    second.db = first.db
    second.start()
    yield first, second, port
    second.stop()


def test_a_change_on_one_node_shows_on_the_next_read_of_the_other(two_nodes):
    first, second, port = two_nodes
    anchor, viewer, live_id = on_air_room(first, "near_anchor", "near_viewer")

    def info():
        return assert_ok(client_call(first, "GET", "/client/live/room/info/" + live_id, viewer))
    hits = near_hits(port)
    for i in range(20):
        for _ in range(3):  # unchanged: answered from memory after the first read
            assert info()["extends"] == ({"k": str(i - 1)} if i else None)
        assert_ok(client_call(second, "PUT", "/client/live/room/extends", anchor,
                              {"live_id": live_id, "extends": {"k": str(i)}}))
        assert info()["extends"] == {"k": str(i)}
        assert_ok(client_call(second, "POST", "/client/live/room/user/" + live_id, viewer, {}))
        assert info()["online_count"] == 2
        assert_ok(client_call(second, "DELETE", "/client/live/room/user/" + live_id, viewer))
        assert info()["online_count"] == 1
    assert near_hits(port) > hits


def test_heartbeats_answered_from_memory_keep_their_users(two_nodes):
    first, second, port = two_nodes
    anchor, viewer, live_id = on_air_room(first, "near_anchor2", "near_viewer2")
    assert_ok(client_call(first, "POST", "/client/live/room/user/" + live_id, viewer, {}))
    hits = near_hits(port)
    for _ in range(6):  # 90 s in all, each heartbeat within the timeout of the one before
        advance_clock(first, 15)
        advance_clock(second, 15)
        for srv in (first, first, second):
            assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + live_id, viewer))
            assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + live_id, anchor))
        run_job_on_one((first, second), "live_user_timeout")
    info = assert_ok(client_call(first, "GET", "/client/live/room/info/" + live_id, viewer))
    assert info["online_count"] == 2 and info["live_status"] == 1
    assert near_hits(port) > hits
    # silent from now on: both time out
    advance_clock(first, 60)
    advance_clock(second, 60)
    run_job_on_one((first, second), "live_user_timeout")
    info = assert_ok(client_call(first, "GET", "/client/live/room/info/" + live_id, viewer))
    assert info["online_count"] == 0


def near_metric(port, name):
    text = requests.get("http://127.0.0.1:%d/metrics" % port, timeout=10).text
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_a_hung_redis_turns_the_near_cache_off(own_redis):
    """A Redis that hangs sends no invalidations either: within about a second the node stops
    answering from memory, so nothing stale is served while another node could be writing;
    the near cache comes back with Redis."""
    rdir, env = own_redis
    port = free_port()
    saved = os.environ["QNLIVE_TEST_REDIS"]
    os.environ["QNLIVE_TEST_REDIS"] = env["QNLIVE_TEST_REDIS"]
    try:
        s = Server(extra="prome:\n  client_mode: exporter\n  exporter_config:\n"
                   "    listen_addr: 127.0.0.1:%d\n" % port).start()
    finally:
        os.environ["QNLIVE_TEST_REDIS"] = saved
    pid = int(open(os.path.join(rdir, "redis.pid")).read().strip())
    try:
        anchor, viewer, live_id = on_air_room(s, "hung_anchor", "hung_viewer")
        assert_ok(client_call(s, "POST", "/client/live/room/user/" + live_id, viewer, {}))
        hits = near_metric(port, "qnlive_cache_near_hits")
        for _ in range(5):
            assert_ok(client_call(s, "GET", "/client/live/room/heartbeat/" + live_id, viewer))
        assert near_metric(port, "qnlive_cache_near_hits") > hits
        os.kill(pid, signal.SIGSTOP)
        try:
            deadline = time.monotonic() + 10
            while near_metric(port, "qnlive_cache_near_active") != 0:
                assert time.monotonic() < deadline, "the near cache stayed on"
                time.sleep(0.1)
            r = client_call(s, "GET", "/client/live/room/heartbeat/" + live_id, viewer)
            assert r.status_code == 503, r.text
        finally:
            os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 15
        while near_metric(port, "qnlive_cache_near_active") != 1:
            assert time.monotonic() < deadline, "the near cache did not come back"
            time.sleep(0.1)
        assert_ok(client_call(s, "GET", "/client/live/room/heartbeat/" + live_id, viewer))
    finally:
        os.kill(pid, signal.SIGCONT)
        assert s.stop() == 0
