"""Live rooms with IM on and Pili configured: chat rooms, stream URLs."""
import pytest

from conftest import im_yaml
from helpers import assert_error, assert_ok, client_call, user_token
from qnlive_server import Server

PILI = ("pili:\n  hub: sdk-live\n  stream_pattern: qn_live_kit-%s\n"
        "  publish_domain: pili-publish.example.com\n  security_type: expiry\n"
        "  publish_key: pkey\n  publish_expire_s: 3600\n"
        "  rtmp_play_url: rtmp://pili-rtmp.example.com\n"
        "  flv_play_url: https://pili-hdl.example.com\n"
        "  hls_play_url: https://pili-hls.example.com\n"
        "  playback_url: https://pb.example.com\n")


@pytest.fixture(scope="module")
def srv(fake):
    s = Server(extra=im_yaml(fake) + PILI).start()
    yield s
    assert s.stop() == 0


def test_chat_room_and_urls(srv, fake):
    tok = user_token(srv, "anc_im")
    me = assert_ok(client_call(srv, "GET", "/client/user/profile", tok))
    assert me["im_userid"] > 0
    room = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok, {"title": "x"}))
    lid = room["live_id"]
    assert room["chat_id"] > 0
    groups = fake.im_state()["groups"]
    g = groups[str(room["chat_id"])]
    assert (g["name"], g["type"], g["owner"]) == (lid, 2, me["im_userid"])
    stream = "qn_live_kit-" + lid
    assert room["push_url"].startswith("rtmp://pili-publish.example.com/sdk-live/%s?expire="
                                       % stream)
    assert "&token=" in room["push_url"]
    assert room["rtmp_url"] == "rtmp://pili-rtmp.example.com/sdk-live/" + stream
    assert room["flv_url"] == "https://pili-hdl.example.com/sdk-live/%s.flv" % stream
    assert room["hls_url"] == "https://pili-hls.example.com/sdk-live/%s.m3u8" % stream
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, tok))
    assert info["chat_id"] == room["chat_id"] and info["push_url"] == room["push_url"]


def test_im_failure_creates_nothing(srv, fake):
    tok = user_token(srv, "anc_imfail")
    assert_ok(client_call(srv, "GET", "/client/user/profile", tok))
    before = srv.sql("SELECT count(*) FROM live_entities")
    fake.fail("im", "error", count=1)
    r = client_call(srv, "POST", "/client/live/room/instance", tok, {"title": "x"})
    assert_error(r, 500, 500)
    assert srv.sql("SELECT count(*) FROM live_entities") == before


def test_callback_events_stored(make_server, fake):
    s = make_server(extra="callback:\n  addr: %s\n" % fake.url("callback")).start()
    tok = user_token(s, "anc_cb")
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", tok, {}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, tok, {}))
    assert_error(client_call(s, "PUT", "/client/live/room/" + lid, user_token(s, "x_cb"), {}),
                 500, 500, "user not anchor")
    assert_ok(client_call(s, "DELETE", "/client/live/room/" + lid, tok))
    assert_ok(client_call(s, "DELETE", "/client/live/room/instance/" + lid, tok))
    rows = s.sql("SELECT topic, live_id, payload FROM outbox ORDER BY id")
    assert [r[0] for r in rows] == ["live_created", "live_started", "live_stopped",
                                    "live_deleted"]
    assert all(r[1] == lid for r in rows)
    import json
    created = json.loads(rows[0][2])
    created = created.get("body", created)
    assert created["live_id"] == lid and created["anchor_id"] == "anc_cb"
    assert created["live_status"] == 0 and created["deleted_at"] is None
    assert json.loads(rows[1][2]).get("body", json.loads(rows[1][2])) == {"live_id": lid}


def expire_of(url):
    return int(url.split("?expire=")[1].split("&")[0])


def test_push_url_is_the_anchors_and_signed_at_start(srv):
    import time
    tok, v = user_token(srv, "anc_push"), user_token(srv, "viewer_push")
    created = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                    {"title": "push", "publish_expire_at": int(time.time()) + 5}))
    lid = created["live_id"]
    assert expire_of(created["push_url"]) <= int(time.time()) + 5
    # starting signs it again, valid publish_expire_s (3600) from the start
    before = int(time.time())
    started = assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, tok, {}))
    assert started["push_url"] != created["push_url"]
    assert before + 3600 <= expire_of(started["push_url"]) <= int(time.time()) + 3600
    # the anchor's own views carry it; a viewer's never do
    assert assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid,
                                 tok))["push_url"] == started["push_url"]
    joined = assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, v, {}))
    assert joined["push_url"] == "" and joined["flv_url"].endswith(".flv")
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, v))
    assert info["push_url"] == "" and info["rtmp_url"] == started["rtmp_url"]
    page = assert_ok(client_call(srv, "GET", "/client/live/room/list?page_num=1&page_size=100",
                                 v))
    assert all(r["push_url"] == "" for r in page["list"])
    mine = assert_ok(client_call(srv, "GET",
                                 "/client/live/room/list/anchor?page_num=1&page_size=100", tok))
    assert [r["push_url"] for r in mine["list"] if r["live_id"] == lid] == [started["push_url"]]
    # server routes see it
    from helpers import server_call
    assert assert_ok(server_call(srv, "GET", "/server/live/" + lid))["push_url"] == \
        started["push_url"]
