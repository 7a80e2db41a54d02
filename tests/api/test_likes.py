"""Likes: PUT /client/live/room/:live_id/like, stored before they are
acknowledged."""
import os
import re
import subprocess
import threading
import time

import pytest
import requests

from conftest import im_yaml
from helpers import assert_error, assert_ok, client_call, user_token
from qnlive_server import BACKEND, ROOT

# Users must stay in the room for the whole test (no heartbeats are sent).
LONG_TIMEOUTS = "live:\n  room_timeout_s: 3600\n  user_timeout_s: 3600\n"


@pytest.fixture(scope="module")
def srv(make_server_module):
    return make_server_module(LONG_TIMEOUTS)


@pytest.fixture(scope="module")
def make_server_module():
    from qnlive_server import Server
    started = []

    def make(extra):
        s = Server(extra=extra).start()
        started.append(s)
        return s
    yield make
    for s in started:
        assert s.stop() == 0


def open_room(srv, anchor):
    tok = user_token(srv, anchor)
    r = client_call(srv, "POST", "/client/live/room/instance", tok, {"title": "likes"})
    live_id = assert_ok(r)["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/%s" % live_id, tok))
    return live_id, tok


def join(srv, live_id, user):
    tok = user_token(srv, user)
    assert_ok(client_call(srv, "POST", "/client/live/room/user/%s" % live_id, tok))
    return tok


def like(srv, live_id, tok, body=None, session=None):
    url = srv.url("/client/live/room/%s/like" % live_id)
    h = {"Authorization": tok}
    if body is not None:
        import json
        return (session or requests).put(url, data=json.dumps(body), headers=h, timeout=30)
    return (session or requests).put(url, headers=h, timeout=30)


def like_stats(srv, live_id, tok):
    info = assert_ok(client_call(srv, "GET", "/client/stats/singleLive/%s" % live_id, tok))["info"]
    return next(i for i in info if i["type"] == 6)


def wait_like_stats(srv, live_id, tok, page_view, timeout=20):
    deadline = time.time() + timeout
    while True:
        s = like_stats(srv, live_id, tok)
        if s["page_view"] == page_view or time.time() > deadline:
            return s
        time.sleep(0.2)


def stored_counts(srv, live_id):
    rows = srv.sql("SELECT user_id, count FROM stats_single_live WHERE type = 6 AND live_id = '%s'"
                   % live_id)
    return {u: int(c) for u, c in rows}


def test_like_counts_and_flush(srv):
    live_id, _ = open_room(srv, "lk_anchor1")
    a = join(srv, live_id, "lk_a1")
    b = join(srv, live_id, "lk_b1")
    assert assert_ok(like(srv, live_id, a)) == {"count": 1, "total": 1}   # no body: one like
    assert assert_ok(like(srv, live_id, a, {"count": 0})) == {"count": 2, "total": 2}
    assert assert_ok(like(srv, live_id, b, {"count": 5})) == {"count": 5, "total": 7}
    assert assert_ok(like(srv, live_id, a, {"count": 1000})) == {"count": 1002, "total": 1007}
    # an undecodable body counts as one like, as the reference ignores decode errors
    r = requests.put(srv.url("/client/live/room/%s/like" % live_id), data="{oops",
                     headers={"Authorization": b}, timeout=10)
    assert assert_ok(r) == {"count": 6, "total": 1008}
    s = wait_like_stats(srv, live_id, a, 1008)
    assert s == {"type": 6, "type_description": "Like", "page_view": 1008, "unique_visitor": 2}
    assert stored_counts(srv, live_id) == {"lk_a1": 1002, "lk_b1": 6}


def test_like_errors(srv):
    live_id, anchor = open_room(srv, "lk_anchor2")
    a = join(srv, live_id, "lk_a2")
    outsider = user_token(srv, "lk_out2")
    for bad in ({"count": -1}, {"count": 1001}, {"count": 10 ** 12}, {"count": "3"},
                {"count": 1.5}):
        assert_error(like(srv, live_id, a, bad), 400, 400)
    assert_error(like(srv, live_id, anchor), 400, 400, "anchor can not like self")
    assert_error(like(srv, live_id, outsider), 500, 500, "user not in live room")
    assert_error(like(srv, "123456789", a), 500, 500, "record not found")
    r = requests.put(srv.url("/client/live/room/%s/like" % live_id), timeout=10)
    assert r.status_code == 401
    # nothing was counted by the refused calls
    assert assert_ok(like(srv, live_id, a)) == {"count": 1, "total": 1}


def hammer(srv, live_id, toks, per_user):
    """Each user likes per_user times from its own thread; returns the last response per user."""
    last = {}
    errors = []

    def run(uid, tok):
        s = requests.Session()
        for i in range(per_user):
            r = like(srv, live_id, tok, {"count": 1} if i % 2 else None, session=s)
            if r.status_code != 200:
                errors.append(r.text)
                return
            last[uid] = r.json()["data"]
    threads = [threading.Thread(target=run, args=(u, t)) for u, t in toks.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    return last


def test_likes_exact_under_concurrency(srv):
    live_id, anchor = open_room(srv, "lk_anchor3")
    toks = {"lk_c%02d" % i: join(srv, live_id, "lk_c%02d" % i) for i in range(16)}
    last = hammer(srv, live_id, toks, 500)
    assert all(d["count"] == 500 for d in last.values()), last
    assert max(d["total"] for d in last.values()) == 8000
    s = wait_like_stats(srv, live_id, anchor, 8000)
    assert s["page_view"] == 8000 and s["unique_visitor"] == 16
    assert stored_counts(srv, live_id) == {u: 500 for u in toks}


def test_likes_exact_across_restart(make_server_module):
    srv = make_server_module(LONG_TIMEOUTS)
    live_id, anchor = open_room(srv, "lk_anchor4")
    toks = {"lk_r%02d" % i: join(srv, live_id, "lk_r%02d" % i) for i in range(16)}
    hammer(srv, live_id, toks, 250)
    # SIGTERM right after the last like: the graceful shutdown flushes what is pending
    assert srv.stop() == 0
    assert sum(stored_counts(srv, live_id).values()) == 4000
    srv.start()
    last = hammer(srv, live_id, toks, 250)
    assert all(d["count"] == 500 for d in last.values()), last
    assert max(d["total"] for d in last.values()) == 8000
    s = wait_like_stats(srv, live_id, anchor, 8000)
    assert s["page_view"] == 8000 and s["unique_visitor"] == 16
    assert stored_counts(srv, live_id) == {u: 500 for u in toks}


def test_like_notify_sent_to_room(make_server_module, fake):
    srv = make_server_module(LONG_TIMEOUTS + im_yaml(fake))
    fake.reset()
    live_id, _ = open_room(srv, "lk_anchor5")
    a = join(srv, live_id, "lk_a5")
    assert assert_ok(like(srv, live_id, a, {"count": 3})) == {"count": 3, "total": 3}
    # sent in the background: the like's answer does not wait for it
    deadline = time.monotonic() + 10
    while True:
        msgs = [c for c in fake.calls("im") if "like_notify" in str(c.get("body"))]
        if msgs or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(msgs) == 1, fake.calls("im")
    body = str(msgs[0]["body"])
    assert live_id in body and "lk_a5" in body


def redis_script(*argv):
    out = subprocess.run([os.path.join(ROOT, "scripts", "testenv", "redis.sh")] + list(argv),
                         check=True, capture_output=True, text=True, timeout=60).stdout
    return dict(re.findall(r"export (\w+)=(\S+)", out))


@pytest.mark.skipif(BACKEND != "mysql", reason="needs a Redis of its own to restart")
def test_acknowledged_likes_survive_a_crash_and_a_cache_restart(tmp_path):
    from qnlive_server import Server
    rdir = str(tmp_path / "redis")
    env = redis_script("start", rdir)
    saved = os.environ["QNLIVE_TEST_REDIS"]
    os.environ["QNLIVE_TEST_REDIS"] = env["QNLIVE_TEST_REDIS"]  # read into the config
    try:
        srv = Server(extra=LONG_TIMEOUTS)
    finally:
        os.environ["QNLIVE_TEST_REDIS"] = saved
    try:
        srv.start()
        live_id, anchor = open_room(srv, "lk_anchor6")
        users = ["lk_k%02d" % i for i in range(8)]
        toks = {u: join(srv, live_id, u) for u in users}
        acked, stop = {u: 0 for u in users}, threading.Event()

        def run(uid, tok):
            s = requests.Session()
            while not stop.is_set():
                try:
                    r = like(srv, live_id, tok, session=s)
                except requests.RequestException:
                    return
                if r.status_code != 200:
                    return
                acked[uid] = r.json()["data"]["count"]
        threads = [threading.Thread(target=run, args=(u, t)) for u, t in toks.items()]
        for t in threads:
            t.start()
        time.sleep(1.5)
        srv.proc.kill()  # a crash: no graceful flush of anything
        srv.proc.wait()
        stop.set()
        for t in threads:
            t.join(30)
        stored = stored_counts(srv, live_id)
        assert sum(acked.values()) > 0
        for u in users:  # every acknowledged like is stored; at most the in-flight one more
            assert acked[u] <= stored.get(u, 0) <= acked[u] + 1, (u, acked[u], stored.get(u))
        # the cache restarts empty (no persistence) while the node is down
        redis_script("stop", rdir)
        redis_script("start", rdir)
        srv.start()
        total = sum(stored.values())
        for u in users:
            join(srv, live_id, u)  # presence was in the lost cache: clients re-join
            got = assert_ok(like(srv, live_id, toks[u]))
            total += 1
            assert got["count"] == stored.get(u, 0) + 1
        assert got["total"] == total
    finally:
        assert srv.stop() == 0
        redis_script("stop", rdir)
