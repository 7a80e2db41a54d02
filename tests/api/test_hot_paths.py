"""The hot paths' shortcuts keep their meaning: presence in the cache with its rows written
behind, room views cached with live counts, and the TTLs of the like keys."""
import os
import subprocess
import time

import pytest

from helpers import (assert_error, assert_ok, client_call, run_job, server_call, sql_after_flush,
                     user_token)
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


def test_heartbeats_write_no_presence_rows_and_the_room_beat_once_per_window(srv):
    a, v = user_token(srv, "hp_anchor"), user_token(srv, "hp_viewer")
    lid = create(srv, a)
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    # the join's row is written behind
    assert sql_after_flush(srv, "SELECT live_id, status FROM live_room_user_entities WHERE "
                           "user_id = 'hp_viewer'") == [[lid, "1"]]
    old = wall(int(time.time()) - 60)
    srv.sql("UPDATE live_room_user_entities SET heart_beat_at = '%s' WHERE user_id = 'hp_viewer'"
            % old)
    srv.sql("UPDATE live_entities SET last_heartbeat_at = '%s' WHERE live_id = '%s'" % (old, lid))
    for _ in range(3):
        hb = client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v)
        assert assert_ok(hb) == {"live_id": lid, "live_status": 1}
    run_job(srv, "live_presence_flush")
    assert presence_beat(srv, "hp_viewer") == old  # audience heartbeats never write the table
    # the anchor's first heartbeat of a window keeps the room on air in the table; later ones
    # within the window write nothing
    before = wall(int(time.time()) - 1)
    assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, a))
    beat = room_beat(srv, lid)
    assert beat >= before
    srv.sql("UPDATE live_entities SET last_heartbeat_at = '%s' WHERE live_id = '%s'" % (old, lid))
    assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, a))
    assert room_beat(srv, lid) == old
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))
    assert info["online_count"] == 2 and info["anchor_status"] == 1


def test_heartbeat_of_a_deleted_room_is_record_not_found(srv):
    a, v = user_token(srv, "hp_anchor2"), user_token(srv, "hp_viewer2")
    lid = create(srv, a)
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v))
    assert_ok(server_call(srv, "DELETE", "/server/live/" + lid))
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
    # cached answers follow the audience at once: a leave shows on the next read
    assert_ok(client_call(srv, "DELETE", "/client/live/room/user/" + lid, viewers[1]))
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, viewers[2]))
    assert info["online_count"] == 2 and info["anchor_status"] == 1
    page = assert_ok(client_call(srv, "GET", "/client/live/room/list?page_num=1&page_size=100",
                                 viewers[2]))
    mine = [r for r in page["list"] if r["live_id"] == lid]
    assert mine[0]["online_count"] == 2


def test_a_room_whose_anchor_profile_is_gone_is_not_shown(make_server_module):
    # the profile is removed behind the server's back, so this server caches no views
    srv = make_server_module("live:\n  view_cache_ms: 0\n")
    a, v = user_token(srv, "hp_anchor5"), user_token(srv, "hp_viewer5")
    lid = create(srv, a)
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    srv.sql("UPDATE live_users SET deleted_at = '%s' WHERE user_id = 'hp_anchor5'"
            % wall(int(time.time())))
    assert_error(client_call(srv, "GET", "/client/live/room/info/" + lid, v), 404, 404)
    page = assert_ok(client_call(srv, "GET", "/client/live/room/list?page_num=1&page_size=100",
                                 v))
    assert all(r["live_id"] != lid for r in page["list"])


def redis(*args):
    host, port = os.environ["QNLIVE_TEST_REDIS"].rsplit(":", 1)
    out = subprocess.run(["redis-cli", "-h", host, "-p", port] + list(args), check=True,
                         capture_output=True, text=True).stdout
    return out.split()


@pytest.mark.skipif(BACKEND != "mysql", reason="needs Redis to read the TTLs")
def test_like_keys_always_get_a_ttl_and_acknowledged_likes_are_stored(srv):
    a, v = user_token(srv, "hp_anchor4"), user_token(srv, "hp_viewer4")
    lid = create(srv, a)
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    for _ in range(3):
        assert_ok(client_call(srv, "PUT", "/client/live/room/%s/like" % lid, v, {"count": 2}))
    # acknowledged means stored: no flush to wait for
    assert srv.sql("SELECT count FROM stats_single_live WHERE type = 6 AND live_id = '%s' AND "
                   "user_id = 'hp_viewer4'" % lid) == [["6"]]
    keys = redis("--scan", "--pattern", "like:{%s}*" % lid)
    assert sorted(keys) == ["like:{%s}" % lid, "like:{%s}:seeded" % lid]
    for k in keys:
        assert int(redis("PTTL", k)[0]) > 0, k
    # the counters gone (a cache restart): the next like re-seeds them from the stored rows
    redis("DEL", *keys)
    got = assert_ok(client_call(srv, "PUT", "/client/live/room/%s/like" % lid, v, {"count": 1}))
    assert got == {"count": 7, "total": 7}
    for k in keys:
        assert int(redis("PTTL", k)[0]) > 0, k


def test_a_refused_join_leaves_the_presence_as_it_was(srv):
    a, v = user_token(srv, "hp_anchor6"), user_token(srv, "hp_viewer6")
    here, stopped, other = create(srv, a), create(srv, a), create(srv, a)
    for lid in (here, stopped, other):
        assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(srv, "DELETE", "/client/live/room/" + stopped, a))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + here, v, {}))

    def online(lid):
        return assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))[
            "online_count"]
    # the move happens in the round trip that reads the room; a refused join puts it back
    assert_error(client_call(srv, "POST", "/client/live/room/user/" + stopped, v, {}), 500, 500,
                 "live status error")
    assert_error(client_call(srv, "POST", "/client/live/room/user/123456789", v, {}), 500, 500,
                 "record not found")
    assert assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + here, v)) == {
        "live_id": here, "live_status": 1}
    # the anchor started `other` last, so it is there, and the viewer is alone here
    assert online(here) == 1 and online(stopped) == 0 and online(other) == 1
    # an accepted join moves the single presence
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + other, v, {}))
    assert online(here) == 0 and online(other) == 2
    assert_error(client_call(srv, "GET", "/client/live/room/heartbeat/" + here, v), 500, 500,
                 "user not in live room")
    # a refused join of a viewer in no room leaves it in none
    assert_ok(client_call(srv, "DELETE", "/client/live/room/user/" + other, v))
    assert_error(client_call(srv, "POST", "/client/live/room/user/" + stopped, v, {}), 500, 500,
                 "live status error")
    assert online(other) == 1 and online(stopped) == 0
