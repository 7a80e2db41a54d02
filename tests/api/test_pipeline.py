"""The request pipeline seen from outside: a dependency that hangs holds only its own slots (the
cache test needs the MariaDB + Redis backend and owns a throwaway Redis that it freezes with
SIGSTOP), and a stop serves what was already sent and no new connection."""
import concurrent.futures
import os
import re
import signal
import socket
import time

import pytest
import requests

import qnlive_server
from helpers import assert_error, assert_ok, client_call, user_token
from qnlive_server import Server

needs_mysql = pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                                 reason="needs the MariaDB + Redis backend")

CACHE_SLOTS = 2
CALLERS = 16
# A call that holds a cache slot waits for Redis's 3 s command timeout; one refused by the full
# bulkhead waits at most limits.cache_wait_ms (250 ms). The bound sits between the two with room
# for a loaded machine's scheduling.
REFUSED_WITHIN_S = 2.5


def server_on_redis(env, extra, near_cache=True):
    saved = os.environ["QNLIVE_TEST_REDIS"]
    os.environ["QNLIVE_TEST_REDIS"] = env["QNLIVE_TEST_REDIS"]
    try:
        s = Server(extra=extra)
        if not near_cache:
            with open(s.config) as f:
                cfg = f.read()
            with open(s.config, "w") as f:
                f.write(cfg.replace("cache:\n  type: node\n",
                                    "cache:\n  type: node\n  near_cache: false\n"))
        return s.start()
    finally:
        os.environ["QNLIVE_TEST_REDIS"] = saved


@needs_mysql
def test_hung_cache_holds_only_its_slots(own_redis):
    """Redis frozen, limits.cache 2: of 16 concurrent heartbeats (which need the cache) two wait
    on Redis and the rest are refused 503 at once; everything answers 503, never hangs, and
    /status keeps answering; heartbeats are served again once Redis thaws."""
    rdir, env = own_redis
    # without the near cache: a heartbeat it holds would be answered from memory
    s = server_on_redis(env, "limits:\n  cache: %d\n" % CACHE_SLOTS, near_cache=False)
    pid = int(open(os.path.join(rdir, "redis.pid")).read().strip())
    try:
        anchor = user_token(s, "bh_anchor")
        lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", anchor,
                                    {"title": "bulkhead"}))["live_id"]
        assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, anchor, {}))
        viewer = user_token(s, "bh_viewer")
        assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, viewer, {}))
        assert_ok(client_call(s, "GET", "/client/live/room/heartbeat/" + lid, viewer))
        os.kill(pid, signal.SIGSTOP)
        try:
            def heartbeat(_):
                t0 = time.monotonic()
                r = client_call(s, "GET", "/client/live/room/heartbeat/" + lid, viewer)
                return r, time.monotonic() - t0

            with concurrent.futures.ThreadPoolExecutor(CALLERS) as ex:
                results = list(ex.map(heartbeat, range(CALLERS)))
            t0 = time.monotonic()
            status = requests.get(s.url("/status"), timeout=30)
            status_s = time.monotonic() - t0
        finally:
            os.kill(pid, signal.SIGCONT)
        took = sorted(t for _, t in results)
        print("while frozen: %s" % " ".join("%.2f" % t for t in took))
        for r, _ in results:
            assert_error(r, 503, 503)
        refused_fast = [t for t in took if t < REFUSED_WITHIN_S]
        assert len(refused_fast) >= CALLERS - CACHE_SLOTS, took
        assert status.status_code == 200 and status_s < 2.0
        assert re.search(r"cache: all %d slots busy" % CACHE_SLOTS, s.read_log())
        deadline = time.time() + 30
        while time.time() < deadline:
            r = client_call(s, "GET", "/client/live/room/heartbeat/" + lid, viewer)
            if r.status_code == 200:
                break
            time.sleep(0.5)
        assert_ok(r)
    finally:
        os.kill(pid, signal.SIGCONT)
        assert s.stop() == 0


def read_until_closed(sock, timeout):
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except ConnectionResetError:
        return data


def test_stop_serves_started_requests_and_no_new_connection(make_server):
    """After SIGTERM a request already under way is answered, while a connection made during
    the drain is closed without an answer; the process exits 0."""
    s = make_server().start()
    body = b'{"user_name":"ghost","password":"x"}'
    started = socket.create_connection(("127.0.0.1", s.port))
    started.sendall(("POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % len(body)).encode() + body[:10])
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    late = socket.create_connection(("127.0.0.1", s.port))
    late.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert read_until_closed(late, 10) == b""
    late.close()
    started.sendall(body[10:])
    reply = read_until_closed(started, 10)
    started.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert b"30001" in reply
    assert s.stop() == 0
