"""Live rooms L1-L13 and L15-L18: lifecycle, presence, lists, errors."""
import base64
import json

import pytest

import qnlive_server
from helpers import (advance_clock, assert_error, assert_ok, client_call, run_job, server_call,
                     sql_after_flush, user_token)

LIVE_INFO_KEYS = ["live_id", "title", "notice", "cover_url", "extends", "anchor_info",
                  "anchor_status", "room_token", "pk_id", "online_count", "start_time",
                  "end_time", "chat_id", "push_url", "hls_url", "rtmp_url", "flv_url", "pv", "uv",
                  "total_count", "total_mics", "live_status"]



def create(srv, tok, body=None):
    return assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                 body if body is not None else {"title": "t"}))


def test_create_info_shape(server, tokens):
    a = tokens("anc_shape")
    room = create(server, a, {"title": "Evening", "notice": "hi", "cover_url": "http://c",
                              "extends": {"b": "2", "a": "1"}, "anchor_id": "someone_else"})
    assert list(room) == LIVE_INFO_KEYS
    assert isinstance(room["live_id"], str) and room["live_id"].isdigit()
    assert room["anchor_info"]["user_id"] == "anc_shape"
    assert "im_username" not in room["anchor_info"]
    assert room["live_status"] == 0 and room["room_token"] == "" and room["chat_id"] == 0
    assert room["extends"] == {"a": "1", "b": "2"}
    info = assert_ok(client_call(server, "GET", "/client/live/room/info/" + room["live_id"], a))
    assert list(info) == LIVE_INFO_KEYS
    assert (info["title"], info["notice"], info["start_time"]) == ("Evening", "hi", 0)
    assert info["online_count"] == 0 and info["anchor_status"] == 0
    s = assert_ok(server_call(server, "GET", "/server/live/" + room["live_id"]))
    assert s["live_id"] == room["live_id"]


def test_create_times_and_bad_bodies(server, tokens):
    a = tokens("anc_times")
    room = create(server, a, {"title": "x", "start_at": "2023-1-5 20:30:00"})
    assert room["start_time"] == 1672921800  # UTC+8 wall clock
    room = create(server, a, {"start_at": 1672921800000})
    assert room["start_time"] == 1672921800
    url = "/client/live/room/instance"
    assert_error(client_call(server, "POST", url, a, {"start_at": ""}), 400, 400)
    assert_error(client_call(server, "POST", url, a, {"extends": "k=v"}), 400, 400)
    assert_error(client_call(server, "POST", url, a, {"title": "t" * 129}), 400, 400)
    assert_error(client_call(server, "POST", url, a, [1]), 400, 400)


def test_anchor_lifecycle(server, tokens):
    a, v = tokens("anc_life"), tokens("viewer_life")
    lid = create(server, a)["live_id"]
    started = assert_ok(client_call(server, "PUT", "/client/live/room/" + lid, a, {}))
    assert started["live_status"] == 1 and started["anchor_status"] == 1
    parts = started["room_token"].split(":")
    assert len(parts) == 3 and parts[0] == "acct-ak"
    payload = json.loads(base64.urlsafe_b64decode(parts[2]))
    assert list(payload) == ["appId", "roomName", "userId", "expireAt", "permission"]
    assert (payload["appId"], payload["roomName"], payload["userId"]) == ("rtc-app", lid,
                                                                          "anc_life")
    assert started["start_time"] > 0
    # restart of an on-air room is allowed
    assert_ok(client_call(server, "PUT", "/client/live/room/" + lid, a, {}))
    # only the anchor may start or stop
    assert_error(client_call(server, "PUT", "/client/live/room/" + lid, v, {}), 500, 500,
                 "user not anchor")
    assert_error(client_call(server, "DELETE", "/client/live/room/" + lid, v), 500, 500,
                 "user not anchor")
    joined = assert_ok(client_call(server, "POST", "/client/live/room/user/" + lid, v, {}))
    assert joined["anchor_status"] == 1 and joined["live_status"] == 1
    info = assert_ok(client_call(server, "GET", "/client/live/room/info/" + lid, v))
    assert info["online_count"] == 2 and info["anchor_status"] == 1
    hb = client_call(server, "GET", "/client/live/room/heartbeat/" + lid, v)
    assert assert_ok(hb) == {"live_id": lid, "live_status": 1}
    assert_ok(client_call(server, "DELETE", "/client/live/room/" + lid, a))
    info = assert_ok(client_call(server, "GET", "/client/live/room/info/" + lid, v))
    assert info["live_status"] == 2 and info["end_time"] >= info["start_time"] > 0
    # audience heartbeats keep working and report the end
    assert assert_ok(client_call(server, "GET", "/client/live/room/heartbeat/" + lid, v)) == {
        "live_id": lid, "live_status": 2}
    # terminal state
    assert_error(client_call(server, "PUT", "/client/live/room/" + lid, a, {}), 500, 500,
                 "live status error")
    assert_error(client_call(server, "DELETE", "/client/live/room/" + lid, a), 500, 500,
                 "live status error")
    assert_error(client_call(server, "POST", "/client/live/room/user/" + lid, v, {}), 500, 500,
                 "live status error")


def test_stop_requires_on_air(server, tokens):
    a = tokens("anc_prep")
    lid = create(server, a)["live_id"]
    assert_error(client_call(server, "DELETE", "/client/live/room/" + lid, a), 500, 500,
                 "live status error")
    assert_error(server_call(server, "POST", "/server/live/%s/stop" % lid), 500, 500,
                 "live status error")


def test_missing_rooms(server, tokens):
    u = tokens("u_missing")
    for method, path in [("GET", "/client/live/room/info/1"), ("PUT", "/client/live/room/1"),
                         ("DELETE", "/client/live/room/1"), ("POST", "/client/live/room/user/1")]:
        assert_error(client_call(server, method, path, u, {}), 500, 500, "record not found")
    assert_error(server_call(server, "GET", "/server/live/1"), 404, 404)
    assert_error(server_call(server, "POST", "/server/live/1/stop"), 404, 404)
    assert_error(server_call(server, "DELETE", "/server/live/1"), 404, 404)
    # a heartbeat from someone not in the room is HTTP 500 (Android re-joins on it)
    assert_error(client_call(server, "GET", "/client/live/room/heartbeat/1", u), 500, 500,
                 "user not in live room")


def test_presence_moves_between_rooms(server, tokens):
    a1, a2, v = tokens("anc_m1"), tokens("anc_m2"), tokens("viewer_m")
    r1, r2 = create(server, a1)["live_id"], create(server, a2)["live_id"]
    assert_ok(client_call(server, "POST", "/client/live/room/user/" + r1, v, {}))
    assert_ok(client_call(server, "POST", "/client/live/room/user/" + r1, v, {}))
    assert_ok(client_call(server, "POST", "/client/live/room/user/" + r2, v, {}))
    # the single row follows (written behind)
    rows = sql_after_flush(server, "SELECT live_id, status FROM live_room_user_entities "
                           "WHERE user_id = 'viewer_m'")
    assert rows == [[r2, "1"]]
    count = lambda lid: assert_ok(client_call(server, "GET", "/client/live/room/info/" + lid,
                                              v))["online_count"]
    assert (count(r1), count(r2)) == (0, 1)
    assert_error(client_call(server, "GET", "/client/live/room/heartbeat/" + r1, v), 500, 500,
                 "user not in live room")
    assert_ok(client_call(server, "DELETE", "/client/live/room/user/" + r2, v))
    assert count(r2) == 0
    # leaving again is harmless
    assert_ok(client_call(server, "DELETE", "/client/live/room/user/" + r2, v))
    views = server.sql("SELECT count FROM stats_single_live WHERE type = 1 AND "
                       "user_id = 'viewer_m' AND live_id = '%s'" % r1)
    assert views == [["2"]]


def test_user_list(server, tokens):
    a = tokens("anc_ul")
    lid = create(server, a)["live_id"]
    for i in range(3):
        assert_ok(client_call(server, "POST", "/client/live/room/user/" + lid,
                              tokens("ul_v%d" % i), {}))
    url = "/client/live/room/user_list?live_id=%s&page_num=1&page_size=2" % lid
    page = assert_ok(client_call(server, "GET", url, a))
    assert list(page) == ["total_count", "page_total", "end_page", "list"]
    assert (page["total_count"], page["page_total"], page["end_page"]) == (3, 2, False)
    assert len(page["list"]) == 2
    assert list(page["list"][0]) == ["user_id", "nick", "avatar", "im_userid", "extends"] or \
        "im_username" in page["list"][0]
    page2 = assert_ok(client_call(server, "GET", url.replace("page_num=1", "page_num=2"), a))
    assert page2["end_page"] is True and len(page2["list"]) == 1
    ids = {u["user_id"] for u in page["list"] + page2["list"]}
    assert ids == {"ul_v0", "ul_v1", "ul_v2"}
    empty = assert_ok(client_call(server, "GET", "/client/live/room/user_list?live_id=nope", a))
    assert empty["list"] == [] and empty["total_count"] == 0
    assert_error(client_call(server, "GET", "/client/live/room/user_list", a), 400, 400,
                 "live_id is empty")
    assert_error(client_call(server, "GET", url.replace("page_num=1", "page_num=x"), a), 400,
                 400, "page_num is not int")
    assert_error(client_call(server, "GET", url.replace("page_size=2", "page_size=0"), a), 400,
                 400, "page num or page size is not right")


def test_lists_and_search(make_server):
    srv = make_server().start()
    a, b = user_token(srv, "lst_anchor"), user_token(srv, "lst_other")
    ids = [create(srv, a, {"title": "Show %d" % i})["live_id"] for i in range(3)]
    create(srv, b, {"title": "Other"})
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + ids[1], a, {}))
    lst = assert_ok(client_call(srv, "GET", "/client/live/room/list", a))
    assert lst["total_count"] == 4 and lst["list"][0]["live_id"] == ids[1]
    assert lst["list"][0]["online_count"] == 1 and lst["list"][0]["anchor_status"] == 1
    on = assert_ok(client_call(srv, "GET", "/client/live/room/list?live_status=1", a))
    assert [r["live_id"] for r in on["list"]] == [ids[1]] and on["end_page"] is True
    p = assert_ok(client_call(srv, "GET", "/client/live/room/list?page_num=2&page_size=3", a))
    assert (p["page_total"], len(p["list"]), p["end_page"]) == (2, 1, True)
    mine = assert_ok(client_call(srv, "GET", "/client/live/room/list/anchor", a))
    assert mine["total_count"] == 3 and mine["list"][0]["live_id"] == ids[1]
    for q, msg in [("page_num=x", "page num is not int"), ("page_size=x", "page size is not int"),
                   ("live_status=x", "live status is not int"),
                   ("live_status=3", "live status is not right"),
                   ("page_num=0", "page num or page size is not right"),
                   ("page_size=-1", "page num or page size is not right")]:
        assert_error(client_call(srv, "GET", "/client/live/room/list?" + q, a), 400, 400, msg)
    assert_error(client_call(srv, "GET", "/client/live/room/list/anchor?page_size=0", a), 400,
                 400, "page num or page size is not right")
    found = assert_ok(client_call(srv, "GET", "/client/live/room?keyword=Show", b))
    assert [r["live_id"] for r in found["list"]] == [ids[1]]
    assert found["list"][0]["anchor_info"]["user_id"] == "lst_anchor"  # the real anchor
    assert found["total_count"] == 1
    assert assert_ok(client_call(srv, "GET", "/client/live/room?keyword=%25", b))["list"] == []
    by_anchor = assert_ok(client_call(srv, "GET", "/client/live/room?keyword=lst_a", b))
    assert by_anchor["total_count"] == 1
    assert_error(client_call(srv, "GET", "/client/live/room?page_size=0", b), 400, 400,
                 "page num or page size is not right")
    assert_error(client_call(srv, "GET", "/client/live/room?page_num=q", b), 400, 400,
                 "page_num is not int")


def test_extends_and_delete_ownership(server, tokens):
    a, o = tokens("anc_ext"), tokens("other_ext")
    lid = create(server, a, {"extends": {"k": "v"}})["live_id"]
    url = "/client/live/room/extends"
    assert_error(client_call(server, "PUT", url, o, {"live_id": lid, "extends": {"x": "y"}}),
                 403, 403)
    assert_error(client_call(server, "PUT", url, a, {"live_id": "", "extends": {}}), 400, 400,
                 "live_id is empty")
    assert_error(client_call(server, "PUT", url, a, {"live_id": lid, "extends": "[1]"}), 400, 400)
    assert_error(client_call(server, "PUT", url, a, {"live_id": "1", "extends": {}}), 500, 500,
                 "record not found")
    assert_ok(client_call(server, "PUT", url, a, {"live_id": lid, "extends": {"n": "1"}}))
    assert_ok(client_call(server, "PUT", url, a, {"live_id": lid, "extends": {"n": "1"}}))
    info = assert_ok(client_call(server, "GET", "/client/live/room/info/" + lid, a))
    assert info["extends"] == {"n": "1"}  # replaced, not merged
    assert_ok(client_call(server, "PUT", url, a, {"live_id": lid}))
    info = assert_ok(client_call(server, "GET", "/client/live/room/info/" + lid, a))
    assert info["extends"] is None
    assert_error(client_call(server, "DELETE", "/client/live/room/instance/" + lid, o), 403, 403)
    # Android's path without /client
    assert_ok(client_call(server, "DELETE", "/live/room/instance/" + lid, a))
    assert_error(client_call(server, "GET", "/client/live/room/info/" + lid, a), 500, 500,
                 "record not found")
    assert_ok(client_call(server, "DELETE", "/client/live/room/instance/" + lid, a))


def test_server_routes(server, tokens):
    tokens("anc_srv")
    assert_error(server_call(server, "POST", "/server/live", {"anchor_id": "nobody_here"}), 404,
                 404)
    room = assert_ok(server_call(server, "POST", "/server/live",
                                 {"anchor_id": "anc_srv", "title": "srv"}))
    lid = room["live_id"]
    assert room["anchor_info"]["user_id"] == "anc_srv"
    a = tokens("anc_srv")
    assert_ok(client_call(server, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(server_call(server, "POST", "/server/live/%s/stop" % lid))
    info = assert_ok(server_call(server, "GET", "/server/live/" + lid))
    assert info["live_status"] == 2 and "stop_reason" not in info
    assert_ok(server_call(server, "DELETE", "/server/live/" + lid))
    assert_error(server_call(server, "DELETE", "/server/live/" + lid), 404, 404)


def test_delete_on_air_stops_it(server, tokens):
    a = tokens("anc_del_on")
    lid = create(server, a)["live_id"]
    assert_ok(client_call(server, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(server, "DELETE", "/client/live/room/instance/" + lid, a))
    assert server.sql("SELECT status FROM live_entities WHERE live_id = '%s'" % lid) == [["2"]]


def test_timeouts(make_server):
    # the checks run when the test says so: the scheduled ones would come only after an hour
    srv = make_server(extra="live:\n  room_timeout_s: 60\n  user_timeout_s: 30\n"
                            "  timeout_check_s: 3600\n").start()
    a, v = user_token(srv, "anc_to"), user_token(srv, "viewer_to")
    lid = create(srv, a)["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    run_job(srv, "live_user_timeout")
    run_job(srv, "live_room_timeout")
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))
    assert info["live_status"] == 1 and info["online_count"] == 2
    advance_clock(srv, 61)
    run_job(srv, "live_user_timeout")
    run_job(srv, "live_room_timeout")
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))
    assert info["live_status"] == 2 and info["online_count"] == 0 and info["anchor_status"] == 0
    assert_error(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v), 500, 500,
                 "user not in live room")


def test_heartbeat_keeps_user(make_server):
    srv = make_server(extra="live:\n  user_timeout_s: 20\n  timeout_check_s: 3600\n").start()
    a, v = user_token(srv, "anc_hb"), user_token(srv, "viewer_hb")
    lid = create(srv, a)["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    for _ in range(4):  # 60 s in all, each heartbeat within the timeout of the one before
        advance_clock(srv, 15)
        assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v))
        assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, a))
        run_job(srv, "live_user_timeout")
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))
    assert info["online_count"] == 2 and info["live_status"] == 1


def test_text_limits_count_characters(server, tokens):
    a = tokens("anc_chars")
    room = create(server, a, {"title": "直" * 128, "notice": "播" * 255,
                              "extends": {"k": "间" * 400}})
    assert room["title"] == "直" * 128 and room["extends"] == {"k": "间" * 400}
    url = "/client/live/room/instance"
    assert_error(client_call(server, "POST", url, a, {"title": "直" * 129}), 400, 400)


def test_iso_timestamps_and_impossible_dates(server, tokens):
    a = tokens("anc_iso")
    for text in ("2023-01-05T20:30:00+08:00", "2023-01-05T12:30:00Z", "2023-01-05T20:30:00.250+0800",
                 "2023-01-05 07:30:00-05:00"):
        assert create(server, a, {"start_at": text})["start_time"] == 1672921800, text
    url = "/client/live/room/instance"
    for bad in ("2023-02-31 10:00:00", "2023-13-01", "2023-01-05T20:30:00+25:00",
                "2023-01-05 20:30:00 junk"):
        assert_error(client_call(server, "POST", url, a, {"start_at": bad}), 400, 400)
    # a leap day exists in leap years only
    assert create(server, a, {"start_at": "2024-02-29 00:00:00"})["start_time"] == 1709136000
    assert_error(client_call(server, "POST", url, a, {"start_at": "2023-02-29"}), 400, 400)


def test_an_anchor_timing_out_has_left_its_room(make_server, fake):
    """Listeners hear "anchor_left" when the anchor times out too: the item it demonstrated is
    cleared (as when it leaves), and the room stays on air."""
    pili = ("pili:\n  hub: sdk-live\n  stream_pattern: qn_live_kit-%%s\n"
            "  publish_domain: pub.example.com\n  playback_url: https://pb.example.com\n"
            "  endpoint: %s\n" % fake.url("pili"))
    srv = make_server(extra=pili + "live:\n  user_timeout_s: 30\n  timeout_check_s: 3600\n"
                      "  room_timeout_s: 600\n").start()
    a, v = user_token(srv, "anc_gone"), user_token(srv, "viewer_gone")
    lid = create(srv, a)["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, a, {}))
    item = {"item_id": "sku-1", "title": "T", "current_price": "9", "origin_price": "19",
            "tags": "", "thumbnail": "th", "link": "ln", "status": 1}
    assert_ok(server_call(srv, "POST", "/server/item/add", {"live_id": lid, "items": [item]}))
    assert_ok(client_call(srv, "POST", "/client/item/demonstrate/%s/sku-1" % lid, a))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    advance_clock(srv, 31)
    assert_ok(client_call(srv, "GET", "/client/live/room/heartbeat/" + lid, v))
    run_job(srv, "live_user_timeout")
    shown = assert_ok(client_call(srv, "GET", "/client/item/demonstrate/" + lid, v))
    assert shown is None
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))
    assert info["live_status"] == 1 and info["anchor_status"] == 0 and info["online_count"] == 1


@pytest.mark.skipif(qnlive_server.BACKEND != "mysql", reason="two deployments share a Redis")
def test_two_deployments_sharing_a_redis_keep_their_presence_apart(server, make_server):
    """Each deployment has its own database but both use one Redis: the same user id joining a
    room in each is a member of both, and one deployment's timeout job never empties the
    other's rooms."""
    other = make_server(extra="live:\n  user_timeout_s: 20\n  timeout_check_s: 3600\n").start()
    rooms = []
    for srv in (server, other):
        anchor, viewer = user_token(srv, "anc_shared"), user_token(srv, "viewer_shared")
        live_id = create(srv, anchor)["live_id"]
        assert_ok(client_call(srv, "PUT", "/client/live/room/" + live_id, anchor, {}))
        assert_ok(client_call(srv, "POST", "/client/live/room/user/" + live_id, viewer, {}))
        rooms.append((srv, live_id, viewer))
    for srv, live_id, viewer in rooms:  # anchor and viewer in each, the same two user ids
        info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + live_id, viewer))
        assert info["online_count"] == 2
    advance_clock(other, 60)  # everyone in the other deployment's rooms times out there
    run_job(other, "live_user_timeout")
    _, other_live, other_viewer = rooms[1]
    info = assert_ok(client_call(other, "GET", "/client/live/room/info/" + other_live,
                                 other_viewer))
    assert info["online_count"] == 0
    _, live_id, viewer = rooms[0]
    info = assert_ok(client_call(server, "GET", "/client/live/room/info/" + live_id, viewer))
    assert info["online_count"] == 2
    assert_ok(client_call(server, "GET", "/client/live/room/heartbeat/" + live_id, viewer))
