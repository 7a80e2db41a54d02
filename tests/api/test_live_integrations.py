"""Live rooms with IM on and Pili configured: chat rooms, stream URLs (spec 04 §3.5, §5)."""
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
