"""Cached room views (live.view_cache_ms): a write to a room shows at once, on this node and,
with a shared Redis, on every other node. The cache lifetime here is a minute, so only the
generation bump can explain a fresh answer."""
import pytest

import qnlive_server
from helpers import assert_ok, client_call, user_token

VIEWS = "live:\n  view_cache_ms: 60000\n"


def info(srv, tok, live_id):
    return assert_ok(client_call(srv, "GET", "/client/live/room/info/" + live_id, tok))


def listed(srv, tok):
    page = assert_ok(client_call(srv, "GET", "/client/live/room/list?page_size=100", tok))
    return {r["live_id"]: r for r in page["list"]}


def test_writes_show_at_once(make_server):
    s = make_server(extra=VIEWS).start()
    a, v = user_token(s, "view_anchor"), user_token(s, "view_viewer")
    room = assert_ok(client_call(s, "POST", "/client/live/room/instance", a, {"title": "t"}))
    lid = room["live_id"]
    assert info(s, v, lid)["live_status"] == 0
    assert listed(s, v)[lid]["live_status"] == 0
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, a))
    assert info(s, v, lid)["live_status"] == 1
    assert listed(s, v)[lid]["live_status"] == 1
    assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, v))
    assert info(s, v, lid)["online_count"] == 2
    assert_ok(client_call(s, "PUT", "/client/live/room/extends", a,
                          {"live_id": lid, "extends": {"k": "v"}}))
    assert info(s, v, lid)["extends"] == {"k": "v"}
    assert_ok(client_call(s, "DELETE", "/client/live/room/user/" + lid, v))
    assert info(s, v, lid)["online_count"] == 1
    assert_ok(client_call(s, "DELETE", "/client/live/room/" + lid, a))
    assert info(s, v, lid)["live_status"] == 2
    assert lid not in listed(s, v)
    # the same answer twice from the cache is byte for byte the uncached one, envelope aside
    r1 = client_call(s, "GET", "/client/live/room/info/" + lid, v).json()
    r2 = client_call(s, "GET", "/client/live/room/info/" + lid, v).json()
    assert r1["data"] == r2["data"]


@pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                    reason="two nodes need a shared MariaDB and Redis")
def test_invalidation_across_nodes(make_server):
    one = make_server(extra=VIEWS).start()
    # a second node on the same database and Redis, with its own node id
    two = make_server(extra=VIEWS)
    with open(one.config) as f:
        cfg = f.read()
    with open(two.config, "w") as f:
        f.write(cfg.replace("node_id: 1", "node_id: 2")
                .replace("127.0.0.1:%d" % one.port, "127.0.0.1:%d" % two.port))
    two.start()
    a, v = user_token(one, "xnode_anchor"), user_token(one, "xnode_viewer")
    room = assert_ok(client_call(one, "POST", "/client/live/room/instance", a, {"title": "t"}))
    lid = room["live_id"]
    assert info(two, v, lid)["live_status"] == 0       # cached on node two
    assert listed(two, v)[lid]["live_status"] == 0
    assert_ok(client_call(one, "PUT", "/client/live/room/" + lid, a))   # written on node one
    assert info(two, v, lid)["live_status"] == 1
    assert listed(two, v)[lid]["live_status"] == 1
    assert_ok(client_call(one, "POST", "/client/live/room/user/" + lid, v))
    assert info(two, v, lid)["online_count"] == 2
