"""The fast path: with the embedded store and the memory cache, room info, room lists, join,
leave, like, heartbeats, profile and user lookups run on the event thread (run=event in the access log)
unless something would have to wait, in which case they run on the handler pool (run=pool) with
the same answer. With MariaDB + Redis the reads the near cache holds run on the event thread, the
rest on the pool; without the near cache everything runs on the pool."""
import json
import threading
import time
import uuid

import pytest
import requests

from helpers import assert_error, assert_ok, make_jwt, server_call, user_token
from qnlive_server import BACKEND, Server

HOLD_MS = 1500

sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="the fast path needs the memory cache")
mysql_only = pytest.mark.skipif(BACKEND != "mysql", reason="checks the MariaDB + Redis backend")


@pytest.fixture(scope="module")
def server():
    """A store bulkhead wider than SQLite's pool, so /test/store/hold can take every
    connection and a request then waits for a connection, not for a bulkhead slot."""
    s = Server(extra="limits:\n  store: 100\n").start()
    yield s
    assert s.stop() == 0



def call(srv, method, path, token, body=None):
    """A client request with its own request id: (response, request id)."""
    rid = "fp-" + uuid.uuid4().hex[:16]
    h = {"Authorization": token, "X-Reqid": rid}
    data = None if body is None else json.dumps(body)
    return requests.request(method, srv.url(path), headers=h, data=data, timeout=10), rid


def ran(srv, rid, timeout=5.0):
    """Where the request ran, from its access log line: "event" or "pool"."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in srv.read_log().splitlines():
            if rid in line and " route=" in line and " run=" in line:
                return line.rsplit(" run=", 1)[1].split()[0]
        time.sleep(0.05)
    raise AssertionError("no access log line for " + rid)


def body_data(resp):
    j = resp.json()
    j.pop("request_id")
    return j


def create_room(srv, tok, title):
    room = assert_ok(call(srv, "POST", "/client/live/room/instance", tok, {"title": title})[0])
    assert_ok(call(srv, "PUT", "/client/live/room/" + room["live_id"], tok)[0])
    return room["live_id"]


class StoreHold:
    """Holds every store connection for HOLD_MS on a thread of the test; waits until the server
    says it holds them."""

    def __init__(self, srv):
        self.srv = srv
        self.mark = len(srv.read_log())
        self.thread = threading.Thread(target=self.run)
        self.status = None

    def run(self):
        r = requests.post(self.srv.url("/test/store/hold?ms=%d" % HOLD_MS), timeout=10)
        self.status = r.status_code

    def __enter__(self):
        self.thread.start()
        deadline = time.time() + 5
        while "holding" not in self.srv.read_log()[self.mark:]:
            assert time.time() < deadline, "the store was never held"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.thread.join()
        assert self.status == 200, self.srv.read_log()[-2000:]


@sqlite_only
def test_hot_reads_run_on_the_event_thread(server, tokens):
    a, v = tokens("fp_anchor"), tokens("fp_viewer")
    live_id = create_room(server, a, "fast")
    for path in ("/client/live/room/info/" + live_id, "/client/live/room/list?page_num=1",
                 "/client/live/room/list/anchor", "/client/live/room?keyword=fast",
                 "/client/user/profile", "/client/user/user/fp_anchor", "/client/user/fp_anchor"):
        resp, rid = call(server, "GET", path, v)
        assert_ok(resp)
        assert ran(server, rid) == "event", path
    resp, rid = call(server, "POST", "/client/live/room/user/" + live_id, v)
    info = assert_ok(resp)
    assert ran(server, rid) == "event"
    assert info["live_id"] == live_id
    resp, rid = call(server, "GET", "/client/live/room/heartbeat/" + live_id, v)
    assert_ok(resp)
    assert ran(server, rid) == "event"
    # the anchor's heartbeat may write the database: always the pool
    resp, rid = call(server, "GET", "/client/live/room/heartbeat/" + live_id, a)
    assert_ok(resp)
    assert ran(server, rid) == "pool"
    # routes not flagged keep the pool
    resp, rid = call(server, "GET", "/client/live/room/user_list?live_id=%s&page_num=1"
                     "&page_size=10" % live_id, v)
    assert_ok(resp)
    assert ran(server, rid) == "pool"


@sqlite_only
def test_auth_failures_answer_their_codes_on_the_event_thread(server, tokens):
    tokens("fp_known")
    resp, rid = call(server, "GET", "/client/user/profile", "not-a-token")
    assert_error(resp, 401, 401)
    assert ran(server, rid) == "event"
    stranger = make_jwt({"user_id": "fp_nobody_" + uuid.uuid4().hex[:6], "app_id": "app1",
                         "device_id": "d", "role": "user", "exp": int(time.time()) + 600})
    resp, rid = call(server, "GET", "/client/user/user/fp_known", stranger)
    assert_error(resp, 401, 401)
    assert ran(server, rid) == "event"
    expired = make_jwt({"user_id": "fp_known", "app_id": "app1", "device_id": "d",
                        "role": "user", "exp": int(time.time()) - 60})
    resp, rid = call(server, "GET", "/client/live/room/list", expired)
    assert_error(resp, 401, 499)
    assert ran(server, rid) == "event"


@sqlite_only
def test_busy_store_falls_back_to_the_pool_with_the_same_answer(server, tokens):
    v = tokens("fp_busy_viewer")
    user_token(server, "fp_busy_target")
    live_id = create_room(server, tokens("fp_busy_anchor"), "busy-" + uuid.uuid4().hex[:6])
    title = assert_ok(call(server, "GET", "/client/live/room/info/" + live_id, v)[0])["title"]
    search = "/client/live/room?keyword=" + title
    # never read before: each needs the store, which is held (a request on the pool waits
    # for the hold to end, hence one hold each)
    with StoreHold(server):
        user_resp, user_rid = call(server, "GET", "/client/user/user/fp_busy_target", v)
    with StoreHold(server):
        search_resp, search_rid = call(server, "GET", search, v)
    assert ran(server, user_rid) == "pool" and ran(server, search_rid) == "pool"
    assert assert_ok(user_resp)["user_id"] == "fp_busy_target"
    assert [r["live_id"] for r in assert_ok(search_resp)["list"]] == [live_id]
    # the same requests again, answered in place: the same bodies
    again_user, rid1 = call(server, "GET", "/client/user/user/fp_busy_target", v)
    again_search, rid2 = call(server, "GET", search, v)
    assert ran(server, rid1) == "event" and ran(server, rid2) == "event"
    assert body_data(again_user) == body_data(user_resp)
    assert body_data(again_search) == body_data(search_resp)


@sqlite_only
def test_missing_room_answers_the_same_on_both_paths(server, tokens):
    v = tokens("fp_missing")
    with StoreHold(server):
        held, rid1 = call(server, "GET", "/client/live/room/info/1234567", v)
    free, rid2 = call(server, "GET", "/client/live/room/info/1234567", v)
    assert (ran(server, rid1), ran(server, rid2)) == ("pool", "event")
    assert_error(held, 500, 500, "record not found")
    assert body_data(held) == body_data(free)


@sqlite_only
def test_auth_lookup_that_would_wait_falls_back(server):
    tok = user_token(server, "fp_fresh_" + uuid.uuid4().hex[:6])
    time.sleep(0.1)
    with StoreHold(server):
        resp, rid = call(server, "GET", "/client/live/room/list", tok)
    assert ran(server, rid) == "pool"
    assert "list" in assert_ok(resp)


@sqlite_only
def test_join_that_would_wait_is_taken_back_and_done_once_on_the_pool(server, tokens):
    v = tokens("fp_mover")
    first = create_room(server, tokens("fp_room_a"), "first")
    second = create_room(server, tokens("fp_room_b"), "second")
    resp, rid = call(server, "POST", "/client/live/room/user/" + first, v)
    assert assert_ok(resp)["live_id"] == first
    assert ran(server, rid) == "event"
    # the second room's view was never read: the join needs the store while it is held
    with StoreHold(server):
        resp, rid = call(server, "POST", "/client/live/room/user/" + second, v)
    assert ran(server, rid) == "pool"
    joined = assert_ok(resp)
    assert joined["live_id"] == second
    members = assert_ok(call(server, "GET", "/client/live/room/user_list?live_id=%s&page_num=1"
                             "&page_size=50" % second, v)[0])["list"]
    assert [u["user_id"] for u in members].count("fp_mover") == 1
    left = assert_ok(call(server, "GET", "/client/live/room/user_list?live_id=%s&page_num=1"
                          "&page_size=50" % first, v)[0])["list"]
    assert "fp_mover" not in [u["user_id"] for u in left]


@sqlite_only
def test_like_counts_on_the_event_thread_and_once_when_it_falls_back(server, tokens):
    v = tokens("fp_liker")
    live_id = create_room(server, tokens("fp_like_anchor"), "likes")
    assert_ok(call(server, "POST", "/client/live/room/user/" + live_id, v)[0])
    path = "/client/live/room/%s/like" % live_id
    # the room's first like seeds its counters from the store, which is held: counted in
    # place, taken back, then counted once on the pool
    with StoreHold(server):
        resp, rid = call(server, "PUT", path, v, {"count": 2})
    assert ran(server, rid) == "pool"
    assert assert_ok(resp) == {"count": 2, "total": 2}
    resp, rid = call(server, "PUT", path, v, {"count": 1})
    assert ran(server, rid) == "event"
    assert assert_ok(resp) == {"count": 3, "total": 3}
    # the anchor's own like is refused in place
    resp, rid = call(server, "PUT", path, tokens("fp_like_anchor"))
    assert_error(resp, 400, 400, "anchor can not like self")
    assert ran(server, rid) == "event"


@sqlite_only
def test_a_viewer_leaves_on_the_event_thread_the_anchor_on_the_pool(server, tokens):
    a, v = tokens("fp_leave_anchor"), tokens("fp_leaver")
    live_id = create_room(server, a, "leave")
    assert_ok(call(server, "POST", "/client/live/room/user/" + live_id, v)[0])
    resp, rid = call(server, "DELETE", "/client/live/room/user/" + live_id, v)
    assert_ok(resp)
    assert ran(server, rid) == "event"
    members = assert_ok(call(server, "GET", "/client/live/room/user_list?live_id=%s&page_num=1"
                             "&page_size=50" % live_id, a)[0])["list"]
    assert [u["user_id"] for u in members] == ["fp_leave_anchor"]
    # the anchor's leave tells the room's listeners: never where it must not block
    resp, rid = call(server, "DELETE", "/client/live/room/user/" + live_id, a)
    assert_ok(resp)
    assert ran(server, rid) == "pool"


def ran_after_reads(srv, method, path, tok, tries=5):
    """Where the last of up to `tries` identical requests ran, stopping at the first on the
    event thread: what a read needs is held by the near cache after it was read once."""
    where = None
    for _ in range(tries):
        resp, rid = call(srv, method, path, tok)
        assert_ok(resp)
        where = ran(srv, rid)
        if where == "event":
            break
    return where


@mysql_only
def test_mariadb_and_redis_answer_held_reads_on_the_event_thread(server, tokens):
    a, v = tokens("fp_m_anchor"), tokens("fp_m_viewer")
    live_id = create_room(server, a, "near")
    resp, rid = call(server, "POST", "/client/live/room/user/" + live_id, v)
    assert_ok(resp)
    assert ran(server, rid) == "pool"  # a write to Redis
    for path in ("/client/live/room/info/" + live_id, "/client/live/room/list?page_num=1",
                 "/client/user/profile", "/client/live/room/heartbeat/" + live_id):
        assert ran_after_reads(server, "GET", path, v) == "event", path
    resp, rid = call(server, "GET", "/client/live/room/heartbeat/" + live_id, a)
    assert_ok(resp)
    assert ran(server, rid) == "pool"
    resp, rid = call(server, "GET", "/client/user/profile", "not-a-token")
    assert_error(resp, 401, 401)
    assert server_call(server, "GET", "/server/live/" + live_id).status_code == 200


@mysql_only
def test_mariadb_and_redis_without_the_near_cache_run_everything_on_the_pool(make_server):
    srv = make_server()
    with open(srv.config) as f:
        cfg = f.read()
    with open(srv.config, "w") as f:
        f.write(cfg.replace("cache:\n  type: node\n", "cache:\n  type: node\n  near_cache: false\n"))
    srv.start()
    a, v = user_token(srv, "fp_p_anchor"), user_token(srv, "fp_p_viewer")
    live_id = create_room(srv, a, "pooled")
    for method, path in (("GET", "/client/live/room/info/" + live_id),
                         ("GET", "/client/live/room/list?page_num=1"),
                         ("GET", "/client/user/profile"),
                         ("GET", "/client/user/user/fp_p_anchor"),
                         ("POST", "/client/live/room/user/" + live_id)):
        for _ in range(3):
            resp, rid = call(srv, method, path, v)
            assert_ok(resp)
            assert ran(srv, rid) == "pool", path
    resp, rid = call(srv, "GET", "/client/user/profile", "not-a-token")
    assert_error(resp, 401, 401)
    assert ran(srv, rid) == "pool"
