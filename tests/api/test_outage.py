"""A dependency that goes away or hangs mid-run gives clean failures before the request's
deadline, never a crash or a hang, never stalls unrelated traffic, and service resumes by itself
when it comes back. Database tests need the MariaDB + Redis backend: each starts its own
throwaway server so the shared ones are never disturbed."""
import concurrent.futures
import json
import os
import signal
import socket
import statistics
import threading
import time

import pytest
import requests

import qnlive_server
from conftest import im_yaml
from helpers import (advance_clock, assert_error, assert_ok, client_call, make_jwt, now,
                     server_call, user_token)
from qnlive_server import Server, env_script

needs_mysql = pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                                 reason="needs the MariaDB + Redis backend")

# Every request is answered within httpq.request_timeout_ms (5 s by default); the margin covers
# the client's own scheduling on a loaded machine.
DEADLINE_S = 5.0
MARGIN_S = 2.0
IM_CALL_TIMEOUT_S = 5.0  # the IM client's total timeout per call


def until_served(s, path, timeout=30):
    """The first 200 answer of the server route `path` once a dependency is back (the last
    answer after `timeout` seconds)."""
    deadline = time.time() + timeout
    while True:
        r = server_call(s, "GET", path)
        if r.status_code == 200 or time.time() >= deadline:
            return r
        time.sleep(0.5)


def uncached_user(srv, user_id):
    """A user whose row only the database holds (registered, never read through the server),
    and a client token for it made here: its lookups need the database."""
    assert_ok(server_call(srv, "POST", "/server/user/register", {"user_id": user_id}))
    return make_jwt({"exp": now() + 600, "AppId": "a", "UserId": user_id, "DeviceId": "",
                     "Role": ""})


@needs_mysql
def test_mariadb_down_then_back(own_mariadb):
    mdir, env = own_mariadb
    # the per-server database lives on this private MariaDB
    saved = os.environ["QNLIVE_TEST_MYSQL"]
    os.environ["QNLIVE_TEST_MYSQL"] = env["QNLIVE_TEST_MYSQL"]
    try:
        s = Server().start()
    finally:
        os.environ["QNLIVE_TEST_MYSQL"] = saved
    try:
        tok = user_token(s, "outage_u1")
        assert_ok(client_call(s, "GET", "/client/user/profile", tok))
        cold = uncached_user(s, "outage_u2")
        env_script("mariadb.sh", "stop", mdir)
        t0 = time.time()
        r = server_call(s, "GET", "/server/user/info/outage_u2")
        assert_error(r, 503, 503)
        assert time.time() - t0 < 20, "a dead database must not hang requests"
        assert_error(requests.get(s.url("/readyz")), 503, 503)
        assert requests.get(s.url("/status")).status_code == 200
        # a user the auth cannot look up gets 503: a 401 would send the client to log in again
        assert_error(client_call(s, "GET", "/client/user/profile", cold), 503, 503)
        advance_clock(s, 6)  # past the 5 s cache of token lookups: auth must ask the database
        assert_error(client_call(s, "GET", "/client/user/profile", cold), 503, 503)
        # a user already in the shared cache keeps being served from it
        assert_ok(client_call(s, "GET", "/client/user/profile", tok))
        env_script("mariadb.sh", "start", mdir)
        assert_ok(until_served(s, "/server/user/info/outage_u2"))
        assert_ok(client_call(s, "GET", "/client/user/profile", cold))
    finally:
        assert s.stop() == 0


class Probe:
    """Calls `fn` in a loop on its own thread and records each answer's status and latency."""

    def __init__(self, name, fn):
        self.name, self.fn = name, fn
        self.samples, self.statuses = [], []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            try:
                code = self.fn().status_code
            except requests.RequestException as e:
                code = str(e)
            self.samples.append(time.monotonic() - t0)
            self.statuses.append(code)
            self.stop.wait(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def summary(self):
        s = sorted(self.samples)
        return "%s: n=%d p50=%.1f ms max=%.1f ms" % (self.name, len(s), 1000 * s[len(s) // 2],
                                                     1000 * s[-1])


def live_room(s, anchor, viewer):
    atok, vtok = user_token(s, anchor), user_token(s, viewer)
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", atok,
                                {"title": "t"}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, atok, {}))
    assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, vtok, {}))
    return atok, vtok, lid


def configure_custom_gift(s, gift_id=1):
    """A gift must be configured before it is sent; price 0 takes any positive amount."""
    assert_ok(server_call(s, "POST", "/server/gift/config",
                          {"gift_id": gift_id, "type": 9, "name": "Custom", "amount": 0}))


def unrelated_traffic(s, vtok, lid):
    """Heartbeats, /status and room info: what must keep flowing while a dependency hangs."""
    return [
        Probe("status", lambda: requests.get(s.url("/status"), timeout=30)),
        Probe("heartbeat", lambda: client_call(s, "GET", "/client/live/room/heartbeat/" + lid,
                                               vtok)),
        Probe("room info", lambda: client_call(s, "GET", "/client/live/room/info/" + lid, vtok)),
    ]


def assert_served(probes, bound_s):
    for p in probes:
        print(p.summary())
        assert p.samples, p.name
        assert all(code == 200 for code in p.statuses), (p.name, p.statuses)
        assert max(p.samples) < bound_s, p.summary()


def hammer_while_probing(s, fake, vtok, lid, call, n=40):
    """Runs call(0..n-1) from n threads at once while the unrelated-traffic probes measure;
    resets the fake's faults afterwards. Returns the probes and the calls' results."""
    probes = unrelated_traffic(s, vtok, lid)
    for p in probes:
        p.__enter__()
    try:
        time.sleep(0.3)
        with concurrent.futures.ThreadPoolExecutor(n) as ex:
            results = list(ex.map(call, range(n)))
        time.sleep(0.3)
    finally:
        for p in probes:
            p.__exit__()
        fake.reset()
    return probes, results


def test_hung_payment_hook_stalls_nothing_else(make_server, fake):
    """40 gift sends against a payment hook that never answers: each fails with the payment
    failure code before its deadline, while heartbeats, /status and room info keep answering."""
    fake.reset()
    s = make_server(extra="gift:\n  gift_addr: %s\n" % fake.url("pay")).start()
    _, vtok, lid = live_room(s, "hang_anchor", "hang_viewer")
    configure_custom_gift(s)
    fake.fail("pay", "slow", count=1000, delay=30)

    def send(i):
        t0 = time.monotonic()
        r = client_call(s, "POST", "/client/gift/send", vtok,
                        {"live_id": lid, "gift_id": 1, "amount": 1, "biz_id": "hang-%d" % i})
        return r, time.monotonic() - t0

    probes, results = hammer_while_probing(s, fake, vtok, lid, send)
    took = [t for _, t in results]
    print("gift sends: max %.2f s, median %.2f s" % (max(took), statistics.median(took)))
    for r, t in results:
        assert_error(r, 200, 20002)
        assert t < DEADLINE_S + MARGIN_S
    # the hook's 2.5 s total timeout is the longest any send waited for it
    assert max(took) < 2.5 + MARGIN_S
    assert_served(probes, 2.0)
    assert s.stop() == 0


def test_hung_im_during_likes(make_server, fake):
    """Likes whose room notification hangs in IM answer without waiting for it (the notification
    is sent in the background, best effort); heartbeats, /status and room info are not held
    up."""
    fake.reset()
    s = make_server(extra=im_yaml(fake)).start()
    _, vtok, lid = live_room(s, "im_anchor", "im_viewer0")
    viewers = [vtok] + [user_token(s, "im_viewer%d" % i) for i in range(1, 8)]
    for tok in viewers[1:]:
        assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, tok, {}))
    fake.fail("im", "slow", count=1000, delay=30)

    def like(i):
        t0 = time.monotonic()
        r = client_call(s, "PUT", "/client/live/room/%s/like" % lid, viewers[i % len(viewers)],
                        {"count": 1})
        return r, time.monotonic() - t0

    probes, results = hammer_while_probing(s, fake, vtok, lid, like)
    took = [t for _, t in results]
    print("likes: max %.2f s, median %.2f s" % (max(took), statistics.median(took)))
    for r, t in results:
        assert_ok(r)
        assert t < IM_CALL_TIMEOUT_S  # a like that waited for the hung IM would take that long
    assert_served(probes, 2.0)
    assert s.stop() == 0


def server_on(env, **kw):
    """A qnlive whose database lives on the private MariaDB described by env."""
    saved = os.environ["QNLIVE_TEST_MYSQL"]
    os.environ["QNLIVE_TEST_MYSQL"] = env["QNLIVE_TEST_MYSQL"]
    try:
        return Server(**kw).start()
    finally:
        os.environ["QNLIVE_TEST_MYSQL"] = saved


@needs_mysql
def test_hung_mariadb_fails_fast_and_recovers(own_mariadb):
    """MariaDB frozen (SIGSTOP): requests that need it answer 503 before their deadline, never
    401; /status and /healthz keep answering at once; service resumes once it thaws."""
    mdir, env = own_mariadb
    s = server_on(env)
    with open(os.path.join(mdir, "pid")) as f:
        db_pid = int(f.read().strip())
    try:
        tok = user_token(s, "frozen_u1")
        assert_ok(client_call(s, "GET", "/client/user/profile", tok))
        cold = uncached_user(s, "frozen_u2")
        os.kill(db_pid, signal.SIGSTOP)
        probes = [Probe("status", lambda: requests.get(s.url("/status"), timeout=30)),
                  Probe("healthz", lambda: requests.get(s.url("/healthz"), timeout=30))]
        for p in probes:
            p.__enter__()
        try:
            advance_clock(s, 6)  # past the 5 s cache of token lookups: auth must ask the database

            # users only the database knows: auth and the user routes must ask it
            def call(i):
                t0 = time.monotonic()
                if i % 2:
                    r = client_call(s, "GET", "/client/user/profile", cold)
                else:
                    r = server_call(s, "GET", "/server/user/info/frozen_u2")
                return r, time.monotonic() - t0

            with concurrent.futures.ThreadPoolExecutor(40) as ex:
                results = list(ex.map(call, range(40)))
        finally:
            for p in probes:
                p.__exit__()
            os.kill(db_pid, signal.SIGCONT)
        took = [t for _, t in results]
        print("while frozen: max %.2f s, median %.2f s" % (max(took), statistics.median(took)))
        for r, t in results:
            assert_error(r, 503, 503)
            assert t < DEADLINE_S + MARGIN_S
        assert_served(probes, 2.0)
        assert_ok(until_served(s, "/server/user/info/frozen_u2"))
        assert_ok(client_call(s, "GET", "/client/user/profile", tok))
    finally:
        os.kill(db_pid, signal.SIGCONT)
        assert s.stop() == 0


def test_client_that_hangs_up_stops_costing_work(make_server, fake):
    """A gift send whose client disconnects while the payment hook hangs holds its hook slot
    no longer than the hook's own timeout (the hook may have charged, so its answer is awaited
    whatever the client does; test_gifts checks the paid case): with one slot, a second send
    then reaches the hook instead of being refused for a full bulkhead for good."""
    fake.reset()
    s = make_server(extra="gift:\n  gift_addr: %s\nlimits:\n  pay: 1\n" % fake.url("pay")).start()
    try:
        _, vtok, lid = live_room(s, "gone_anchor", "gone_viewer")
        configure_custom_gift(s)
        fake.fail("pay", "slow", count=1000, delay=30)
        body = json.dumps({"live_id": lid, "gift_id": 1, "amount": 1, "biz_id": "gone-1"})
        sock = socket.create_connection(("127.0.0.1", s.port))
        sock.sendall(("POST /client/gift/send HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s"
                      "\r\nContent-Length: %d\r\n\r\n%s" % (vtok, len(body), body)).encode())
        fake.wait_calls("pay", 1, timeout=10)
        sock.close()
        # The first send gives the slot back at the hook's 2.5 s timeout; on a loaded machine
        # it may take longer, so retry (each try with its own biz_id) until one send reaches
        # the hook; a slot that is never given back makes every try a bulkhead refusal.
        deadline = time.monotonic() + 20
        tries = 0
        while time.monotonic() < deadline:
            tries += 1
            r = client_call(s, "POST", "/client/gift/send", vtok,
                            {"live_id": lid, "gift_id": 1, "amount": 1,
                             "biz_id": "gone-%d" % (tries + 1)})
            if len(fake.calls("pay")) > 1:
                break
            time.sleep(0.2)
        assert_error(r, 200, 20002)
        assert [c["body"]["biz_id"] for c in fake.calls("pay")] == ["gone-1", "gone-%d" % (tries + 1)]
    finally:
        fake.reset()
        assert s.stop() == 0


@needs_mysql
def test_client_that_hangs_up_before_the_payment_hook_is_not_charged(own_mariadb, fake):
    """A gift send whose client hangs up while the send still waits for the database, before
    the payment hook is called, stops once the database answers: the hook is never asked and
    no gift row is left, so the same key sent again later is a new gift, paid once."""
    mdir, env = own_mariadb
    fake.reset()
    s = server_on(env, extra="gift:\n  gift_addr: %s\n" % fake.url("pay"))
    with open(os.path.join(mdir, "pid")) as f:
        db_pid = int(f.read().strip())
    try:
        _, vtok, lid = live_room(s, "early_anchor", "early_viewer")
        configure_custom_gift(s)
        body = {"live_id": lid, "gift_id": 1, "amount": 1, "biz_id": "early-1"}
        text = json.dumps(body)
        os.kill(db_pid, signal.SIGSTOP)
        try:
            sock = socket.create_connection(("127.0.0.1", s.port))
            sock.sendall(("POST /client/gift/send HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: %s\r\nContent-Length: %d\r\n\r\n%s"
                          % (vtok, len(text), text)).encode())
            time.sleep(1.0)
            sock.close()
            # the database thaws only once the server has given the request up (the watchdog
            # looks for clients gone every 100 ms, later on a loaded machine)
            given_up = lambda: any("/client/gift/send" in line and "status=503" in line
                                   for line in s.read_log().splitlines())
            deadline = time.monotonic() + 10
            while not given_up() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert given_up()
        finally:
            os.kill(db_pid, signal.SIGCONT)
        time.sleep(3.0)  # the send runs on once the database answers
        assert [c for c in fake.calls("pay") if (c["body"] or {}).get("biz_id") == "early-1"] == []
        gifts = lambda: assert_ok(server_call(s, "GET", "/server/gift/list/user/early_viewer"))
        assert gifts()["total_count"] == 0
        assert assert_ok(client_call(s, "POST", "/client/gift/send", vtok, body))["status"] == 1
        assert len([c for c in fake.calls("pay") if c["body"]["biz_id"] == "early-1"]) == 1
        assert [(g["biz_id"], g["status"]) for g in gifts()["list"]] == [("early-1", 1)]
    finally:
        os.kill(db_pid, signal.SIGCONT)
        fake.reset()
        assert s.stop() == 0
