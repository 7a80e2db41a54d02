"""The hot paths' shortcuts keep their meaning: coalesced heartbeats, one-statement room views,
and the TTLs of the like keys set only when a key may be new."""
import os
import subprocess
import time

import pytest

from helpers import assert_error, assert_ok, client_call, user_token
from qnlive_server import BACKEND


def wall(unix_s):
    """A DATETIME cell as the server stores it: UTC+8 wall-clock text."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(unix_s + 8 * 3600))


def create(srv, tok):
    return assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                 {"title": "hot"}))["live_id"]


@pytest.fixture(scope="module")
def srv(make_server_module):
    return make_server_module("live:\n  room_timeout_s: 600\n  user_timeout_s: 20\n")


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
        s.stop()


def presence_beat(srv, uid):
    return srv.sql("SELECT heart_beat_at FROM live_room_user_entities WHERE user_id = '%s'"
                   % uid)[0][0]


def room_beat(srv, lid):
    return srv.sql("SELECT last_heartbeat_at FROM live_entities WHERE live_id = '%s'" % lid)[0][0]


def test_heartbeat_skips_fresh_writes_and_refreshes_old_ones(srv):
    a, v = user_token(srv, "hp_anchor"), user_token(srv, "hp_viewer")
    lid = create(srv, a)
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    # written 2 s ago: within a quarter of the 20 s timeout, so the heartbeat writes nothing
    fresh = wall(int(time.time()) - 2)
    srv.sql("UPDATE live_room_user_entities SET heart_beat_at = '%s' WHERE user_id = 'hp_viewer'"
            % fresh)
    srv.sql("UPDATE live_entities SET last_heartbeat_at = '%s' WHERE live_id = '%s'"
            % (fresh, lid))
    hb = client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v)
    assert assert_ok(hb) == {"live_id": lid, "live_status": 1}
    assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, a))
    assert presence_beat(srv, "hp_viewer") == fresh
    assert room_beat(srv, lid) == fresh
    # a minute old: refreshed to now by the next heartbeat
    old = wall(int(time.time()) - 60)
    srv.sql("UPDATE live_room_user_entities SET heart_beat_at = '%s' WHERE user_id = 'hp_viewer'"
            % old)
    srv.sql("UPDATE live_entities SET last_heartbeat_at = '%s' WHERE live_id = '%s'" % (old, lid))
    before = wall(int(time.time()) - 1)
    assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v))
    assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, a))
    assert presence_beat(srv, "hp_viewer") >= before
    assert room_beat(srv, lid) >= before
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))
    assert info["online_count"] == 2 and info["anchor_status"] == 1


def test_heartbeat_of_a_deleted_room_is_record_not_found(srv):
    a, v = user_token(srv, "hp_anchor2"), user_token(srv, "hp_viewer2")
    lid = create(srv, a)
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    srv.sql("UPDATE live_entities SET deleted_at = '%s' WHERE live_id = '%s'"
            % (wall(int(time.time())), lid))
    assert_error(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v), 500, 500,
                 "record not found")


def test_views_count_only_online_users_and_follow_the_anchor(srv):
    a = user_token(srv, "hp_anchor3")
    lid = create(srv, a)
    viewers = [user_token(srv, "hp_v3_%d" % i) for i in range(3)]
    for v in viewers:
        assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    assert_ok(client_call(srv, "DELETE", "/client/live/room/user/" + lid, viewers[0]))
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, viewers[1]))
    assert info["online_count"] == 2 and info["anchor_status"] == 0
    assert info["anchor_info"]["user_id"] == "hp_anchor3"
    # the anchor joining its own room shows at once in the join's own answer
    joined = assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, a, {}))
    assert joined["anchor_status"] == 1 and joined["online_count"] == 0
    page = assert_ok(client_call(srv, "GET", "/client/live/room/list?page_num=1&page_size=100",
                                 viewers[1]))
    mine = [r for r in page["list"] if r["live_id"] == lid]
    assert len(mine) == 1 and mine[0]["online_count"] == 3 and mine[0]["anchor_status"] == 1
    # a room whose anchor profile is gone: info 404, left out of lists
    srv.sql("UPDATE live_users SET deleted_at = '%s' WHERE user_id = 'hp_anchor3'"
            % wall(int(time.time())))
    assert_error(client_call(srv, "GET", "/client/live/room/info/" + lid, viewers[1]), 404, 404)
    page = assert_ok(client_call(srv, "GET", "/client/live/room/list?page_num=1&page_size=100",
                                 viewers[1]))
    assert all(r["live_id"] != lid for r in page["list"])


def redis(*args):
    host, port = os.environ["QNLIVE_TEST_REDIS"].rsplit(":", 1)
    out = subprocess.run(["redis-cli", "-h", host, "-p", port] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return out.split()


@pytest.mark.skipif(BACKEND != "mysql", reason="needs Redis to read the TTLs")
def test_like_keys_always_get_a_ttl(srv):
    a, v = user_token(srv, "hp_anchor4"), user_token(srv, "hp_viewer4")
    lid = create(srv, a)
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    for _ in range(3):
        assert_ok(client_call(srv, "PUT", "/client/live/room/%s/like" % lid, v, {"count": 2}))
    keys = redis("--scan", "--pattern", "*like*%s*" % lid) + redis("--scan", "--pattern",
                                                                   "*like_rooms:*")
    assert any(k.endswith("like:" + lid) for k in keys)
    assert any(":%s:" % lid in k for k in keys)  # like_users:<live_id>:<sec>
    for k in keys:
        assert int(redis("PTTL", k)[0]) > 0, k
    # the counters' hash gone: the next like re-seeds it from the flushed rows, with a TTL
    deadline = time.time() + 10
    while time.time() < deadline and not srv.sql(
            "SELECT count FROM stats_single_live WHERE type = 6 AND live_id = '%s' AND "
            "user_id = 'hp_viewer4' AND count = 6" % lid):
        time.sleep(0.2)
    hash_key = [k for k in keys if k.endswith("like:" + lid)][0]
    redis("DEL", hash_key)
    got = assert_ok(client_call(srv, "PUT", "/client/live/room/%s/like" % lid, v, {"count": 1}))
    assert got == {"count": 7, "total": 7}
    assert int(redis("PTTL", hash_key)[0]) > 0
