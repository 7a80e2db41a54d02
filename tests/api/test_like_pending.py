"""Likes wait for their group commit without holding a handler thread: with commits slowed
down, many likes wait at once while routes that need a handler thread still answer at once,
and every acknowledged like is counted exactly once."""
import threading
import time

import pytest
import requests

from helpers import assert_ok, client_call, user_token
from qnlive_server import Server

LIKERS = 64
COMMIT_DELAY_MS = 1500


@pytest.fixture(scope="module")
def server():
    """The suite's servers have four handler threads: far fewer than the likes that wait."""
    s = Server().start()
    yield s
    requests.post(s.url("/test/like/commit_delay?ms=0"), timeout=10)
    assert s.stop() == 0


def like(srv, live_id, tok, out, i):
    out[i] = client_call(srv, "PUT", "/client/live/room/%s/like" % live_id, tok, {"count": 1})


def test_waiting_likes_hold_no_handler_thread(server):
    anchor = user_token(server, "lp_anchor")
    room = assert_ok(client_call(server, "POST", "/client/live/room/instance", anchor,
                                 {"title": "likes"}))["live_id"]
    assert_ok(client_call(server, "PUT", "/client/live/room/" + room, anchor))
    toks = [user_token(server, "lp_viewer_%d" % i) for i in range(LIKERS)]
    for tok in toks:
        assert_ok(client_call(server, "POST", "/client/live/room/user/" + room, tok))
    assert_ok(requests.post(server.url("/test/like/commit_delay?ms=%d" % COMMIT_DELAY_MS),
                            timeout=10))
    replies = [None] * LIKERS
    threads = [threading.Thread(target=like, args=(server, room, toks[i], replies, i))
               for i in range(LIKERS)]
    started = time.time()
    for t in threads:
        t.start()
    time.sleep(0.5)
    # the likes wait for their commit now: a route run on a handler thread answers at once
    t0 = time.time()
    users = client_call(server, "GET", "/client/live/room/user_list?live_id=%s&page_num=1"
                        "&page_size=10" % room, anchor)
    assert_ok(users)
    assert time.time() - t0 < 1.0, "a handler thread was not free"
    assert requests.get(server.url("/healthz"), timeout=10).status_code == 200
    assert_ok(client_call(server, "GET", "/client/live/room/info/" + room, anchor))
    # ... while every like still waits
    assert time.time() - started < COMMIT_DELAY_MS / 1000
    assert all(r is None for r in replies)
    for t in threads:
        t.join()
    assert [r.status_code for r in replies] == [200] * LIKERS, [r.text for r in replies]
    assert sorted(assert_ok(r)["count"] for r in replies) == [1] * LIKERS
    assert max(assert_ok(r)["total"] for r in replies) == LIKERS
    requests.post(server.url("/test/like/commit_delay?ms=0"), timeout=10)
    last = assert_ok(client_call(server, "PUT", "/client/live/room/%s/like" % room, toks[0],
                                 {"count": 1}))
    assert (last["count"], last["total"]) == (2, LIKERS + 1)


def test_like_past_its_deadline_answers_503_and_frees_nothing_twice(make_server):
    """A like whose commit outlasts the request's deadline is answered 503 by the deadline; its
    late commit then finds the request gone, and the server goes on serving."""
    s = make_server(httpq="  request_timeout_ms: 500\n").start()
    anchor = user_token(s, "lp_late_anchor")
    room = assert_ok(client_call(s, "POST", "/client/live/room/instance", anchor,
                                 {"title": "late"}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + room, anchor))
    viewer = user_token(s, "lp_late_viewer")
    assert_ok(client_call(s, "POST", "/client/live/room/user/" + room, viewer))
    assert_ok(requests.post(s.url("/test/like/commit_delay?ms=1500"), timeout=10))
    late = client_call(s, "PUT", "/client/live/room/%s/like" % room, viewer, {"count": 1})
    assert late.status_code == 503, late.text
    assert late.json()["message"] == "request timed out"
    time.sleep(1.5)  # the late commit calls back into a request that was answered
    requests.post(s.url("/test/like/commit_delay?ms=0"), timeout=10)
    again = assert_ok(client_call(s, "PUT", "/client/live/room/%s/like" % room, viewer,
                                  {"count": 1}))
    # the late like was stored after all: it counts, once
    assert (again["count"], again["total"]) == (2, 2)
    assert s.stop() == 0
