"""Mic / co-hosting routes M1-M5: seat state machine, RTC tokens,
the seat list filtered by the RTC room's users, client spellings, authorization."""
import base64
import hashlib
import hmac
import json

import pytest

from conftest import im_yaml
from fake_client import FakeQiniu
from helpers import assert_error, assert_ok, client_call, user_token
from qnlive_server import Server

ACCOUNT_AK, ACCOUNT_SK = "acct-ak", "acct-sk"


class RtcServer(Server):
    """qnlive whose RTC server API points at the fake (the account keys sign its calls)."""

    def __init__(self, rtc_url, **kw):
        self.rtc_url = rtc_url
        super().__init__(**kw)

    def render_config(self, server_auth):
        base = super().render_config(server_auth)
        return base.replace("rtc:\n  app_id: rtc-app\n",
                            "rtc:\n  app_id: rtc-app\n  endpoint: %s\n" % self.rtc_url)


def make_fake():
    """A fake whose RTC checks the account keys qnlive signs with."""
    return FakeQiniu(ak=ACCOUNT_AK, sk=ACCOUNT_SK).start()


def start_server(fake):
    extra = im_yaml(fake) + "callback:\n  addr: %s\n" % fake.url("callback")
    return RtcServer(fake.url("rtc"), extra=extra).start()


def open_room(srv, anchor):
    """A room on air; returns (anchor token, live_id)."""
    tok = user_token(srv, anchor)
    lid = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                {"title": "t"}))["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, tok, {}))
    return tok, lid


def join(srv, user, lid):
    tok = user_token(srv, user)
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, tok))
    return tok


def rtc_payload(token, room, user):
    """Checks the token's signature with the account keys and returns its payload."""
    ak, sign, enc = token.split(":")
    assert ak == ACCOUNT_AK
    want = base64.urlsafe_b64encode(hmac.new(ACCOUNT_SK.encode(), enc.encode(),
                                             hashlib.sha1).digest()).decode()
    assert sign == want
    payload = json.loads(base64.urlsafe_b64decode(enc))
    assert list(payload) == ["appId", "roomName", "userId", "expireAt", "permission"]
    assert (payload["appId"], payload["roomName"], payload["userId"]) == ("rtc-app", room, user)
    assert payload["permission"] == "user"
    return payload


def seats(srv, lid, user=None):
    return srv.sql("SELECT user_id, mic, camera, status, extends FROM live_mic_entities "
                   "WHERE live_id = '%s'%s ORDER BY id"
                   % (lid, " AND user_id = '%s'" % user if user else ""))


@pytest.fixture(scope="module")
def fake():
    f = make_fake()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def srv(fake):
    s = start_server(fake)
    yield s
    assert s.stop() == 0


def test_up_list_down_flow(srv, fake):
    atok, lid = open_room(srv, "mic_anchor1")
    vtok = join(srv, "mic_viewer1", lid)
    im_before = len(fake.im_state()["messages"])
    up = assert_ok(client_call(srv, "POST", "/client/mic/", vtok,
                               {"live_id": lid, "mic": True, "camera": False,
                                "extends": {"seat": "2"}, "user_id": "ignored"}))
    assert list(up) == ["rtc_token"]
    rtc_payload(up["rtc_token"], lid, "mic_viewer1")
    assert seats(srv, lid) == [["mic_viewer1", "1", "0", "0", '{"seat":"2"}']]

    # not in the RTC room yet: the reference drops the seat
    assert assert_ok(client_call(srv, "GET", "/client/mic/room/list/" + lid, vtok)) == []
    fake.set_rtc_room("rtc-app", lid, ["mic_viewer1", "someone_else"])
    n_rtc = len(fake.calls("rtc"))
    got = assert_ok(client_call(srv, "GET", "/client/mic/room/list/" + lid, atok))
    assert len(fake.calls("rtc")) == n_rtc + 1          # one listing per call, not per seat
    me = assert_ok(client_call(srv, "GET", "/client/user/profile", vtok))
    assert got == [{"user": {"user_id": "mic_viewer1", "nick": me["nick"],
                             "avatar": me["avatar"], "im_userid": me["im_userid"],
                             "im_username": me["im_username"], "extends": None},
                    "mic": True, "camera": False, "status": 0, "extends": {"seat": "2"}}]
    assert list(got[0]) == ["user", "mic", "camera", "status", "extends"]
    call = fake.calls("rtc")[-1]
    assert call["method"] == "GET" and call["path"] == "/v3/apps/rtc-app/rooms/%s/users" % lid

    assert assert_ok(client_call(srv, "DELETE", "/client/mic/", vtok, {"live_id": lid})) is None
    assert seats(srv, lid)[0][3] == "1"
    assert assert_ok(client_call(srv, "GET", "/client/mic/room/list/" + lid, vtok)) == []
    # the mic module sends no IM message and stores no callback event
    assert len(fake.im_state()["messages"]) == im_before
    assert srv.sql("SELECT COUNT(*) FROM outbox WHERE topic NOT LIKE 'live_%'") == [["0"]]


def test_aliases_and_rejoin(srv, fake):
    atok, lid = open_room(srv, "mic_anchor2")
    vtok = join(srv, "mic_viewer2", lid)
    assert_ok(client_call(srv, "POST", "/client/mic", vtok,
                          {"live_id": lid, "mic": False, "camera": True, "extends": {"a": "1"}}))
    assert_ok(client_call(srv, "POST", "/client/mic/down", vtok, {"live_id": lid}))
    # re-joining takes the new flags; absent extends keeps the stored map; one row only
    up = assert_ok(client_call(srv, "POST", "/client/mic/up", vtok,
                               {"live_id": lid, "mic": True, "camera": True}))
    rtc_payload(up["rtc_token"], lid, "mic_viewer2")
    assert seats(srv, lid) == [["mic_viewer2", "1", "1", "0", '{"a":"1"}']]
    # the same call again (nothing changes) is still a success
    assert_ok(client_call(srv, "POST", "/client/mic/up", vtok,
                          {"live_id": lid, "mic": True, "camera": True}))
    assert len(seats(srv, lid)) == 1
    # iOS: DELETE /client/mic with the live id in the query
    assert_ok(client_call(srv, "DELETE", "/client/mic?live_id=" + lid, vtok))
    assert seats(srv, lid)[0][3] == "1"
    # the anchor may co-host in its own room too
    assert_ok(client_call(srv, "POST", "/client/mic/", atok, {"live_id": lid, "mic": True}))
    assert [s[0] for s in seats(srv, lid)] == ["mic_viewer2", "mic_anchor2"]


def test_up_errors(srv):
    atok, lid = open_room(srv, "mic_anchor3")
    vtok = join(srv, "mic_viewer3", lid)
    outsider = user_token(srv, "mic_outsider3")
    assert_error(client_call(srv, "POST", "/client/mic/", vtok), 400, 400, "EOF")
    assert_error(client_call(srv, "POST", "/client/mic/", vtok, {"live_id": 5}), 400, 400)
    assert_error(client_call(srv, "POST", "/client/mic/", vtok, {"live_id": lid, "mic": "yes"}),
                 400, 400)
    assert_error(client_call(srv, "POST", "/client/mic/", vtok,
                             {"live_id": lid, "extends": {"k": 1}}), 400, 400)
    assert_error(client_call(srv, "POST", "/client/mic/", vtok, {"live_id": "nope"}), 404, 404)
    assert_error(client_call(srv, "POST", "/client/mic/", vtok, {}), 404, 404)
    assert_error(client_call(srv, "POST", "/client/mic/", outsider, {"live_id": lid}), 403, 403,
                 "user not in live room")
    prepared = assert_ok(client_call(srv, "POST", "/client/live/room/instance", atok,
                                     {"title": "p"}))["live_id"]
    assert_error(client_call(srv, "POST", "/client/mic/", atok, {"live_id": prepared}), 400, 400,
                 "live status error")
    assert seats(srv, prepared) == []
    # a forbidden seat cannot be re-taken, and leaving does not lift the ban
    assert_ok(client_call(srv, "POST", "/client/mic/", vtok, {"live_id": lid}))
    srv.sql("UPDATE live_mic_entities SET status = 2 WHERE live_id = '%s'" % lid)
    assert_error(client_call(srv, "POST", "/client/mic/", vtok, {"live_id": lid}), 500, 500,
                 "user mic forbidden")
    assert_ok(client_call(srv, "DELETE", "/client/mic/", vtok, {"live_id": lid}))
    assert seats(srv, lid)[0][3] == "2"


def test_down_errors(srv):
    tok = user_token(srv, "mic_viewer4")
    assert_error(client_call(srv, "DELETE", "/client/mic/", tok), 400, 400, "EOF")
    assert_error(client_call(srv, "POST", "/client/mic/down", tok, {"live_id": 1}), 400, 400)
    # no seat: nothing to leave, still a success
    assert assert_ok(client_call(srv, "DELETE", "/client/mic/", tok, {"live_id": "x"})) is None
    assert_error(client_call(srv, "DELETE", "/client/mic/", "bad-token", {"live_id": "x"}),
                 401, 401)


def test_extension(srv, fake):
    atok, lid = open_room(srv, "mic_anchor5")
    vtok = join(srv, "mic_viewer5", lid)
    otok = join(srv, "mic_other5", lid)
    assert_ok(client_call(srv, "POST", "/client/mic/", vtok,
                          {"live_id": lid, "extends": {"a": "1", "b": "2"}}))
    # replaced, not merged; the body's user_id may be omitted (the caller's seat)
    assert_ok(client_call(srv, "PUT", "/client/mic/extension", vtok,
                          {"live_id": lid, "user_id": "mic_viewer5", "extends": {"c": "3"}}))
    assert seats(srv, lid)[0][4] == '{"c":"3"}'
    assert_ok(client_call(srv, "PUT", "/client/mic/extension", vtok,
                          {"live_id": lid, "extends": {"d": "4"}}))
    assert seats(srv, lid)[0][4] == '{"d":"4"}'
    # Android's route, with the map serialised into a string
    assert_ok(client_call(srv, "PUT", "/client/mic/room/", vtok,
                          {"live_id": lid, "user_id": "mic_viewer5",
                           "extends": json.dumps({"e": "5"})}))
    assert seats(srv, lid)[0][4] == '{"e":"5"}'
    # the anchor may edit a guest's seat; another guest may not
    assert_ok(client_call(srv, "PUT", "/client/mic/extension", atok,
                          {"live_id": lid, "user_id": "mic_viewer5", "extends": {"f": "6"}}))
    assert seats(srv, lid)[0][4] == '{"f":"6"}'
    assert_error(client_call(srv, "PUT", "/client/mic/extension", otok,
                             {"live_id": lid, "user_id": "mic_viewer5", "extends": {"x": "y"}}),
                 403, 403)
    assert seats(srv, lid)[0][4] == '{"f":"6"}'
    assert_error(client_call(srv, "PUT", "/client/mic/extension", vtok,
                             {"live_id": lid, "extends": "not json"}), 400, 400)
    assert_error(client_call(srv, "PUT", "/client/mic/extension", vtok,
                             {"live_id": lid, "extends": {"k": []}}), 400, 400)
    assert_error(client_call(srv, "PUT", "/client/mic/extension", vtok), 400, 400, "EOF")
    # absent extends stores null; the list shows null
    assert_ok(client_call(srv, "PUT", "/client/mic/extension", vtok, {"live_id": lid}))
    assert seats(srv, lid)[0][4] == "null"
    fake.set_rtc_room("rtc-app", lid, ["mic_viewer5"])
    assert assert_ok(client_call(srv, "GET", "/client/mic/room/list/" + lid, vtok))[0][
        "extends"] is None
    # no seat: a no-op success
    assert_ok(client_call(srv, "PUT", "/client/mic/extension", otok,
                          {"live_id": lid, "extends": {"a": "b"}}))
    assert len(seats(srv, lid)) == 1


def test_switch(srv):
    atok, lid = open_room(srv, "mic_anchor6")
    vtok = join(srv, "mic_viewer6", lid)
    otok = join(srv, "mic_other6", lid)
    assert_ok(client_call(srv, "POST", "/client/mic/", vtok, {"live_id": lid}))
    body = {"live_id": lid, "user_id": "mic_viewer6", "type": "mic", "status": True}
    assert_ok(client_call(srv, "PUT", "/client/mic/switch", vtok, body))
    assert seats(srv, lid)[0][1:3] == ["1", "0"]
    body.update(type="camera")
    assert_ok(client_call(srv, "PUT", "/client/mic/switch", vtok, body))
    assert seats(srv, lid)[0][1:3] == ["1", "1"]
    # iOS sends the boolean as `flag`; the anchor may switch a guest
    assert_ok(client_call(srv, "PUT", "/client/mic/switch", atok,
                          {"live_id": lid, "user_id": "mic_viewer6", "type": "mic",
                           "flag": False}))
    assert seats(srv, lid)[0][1:3] == ["0", "1"]
    # an unknown type changes nothing
    assert_ok(client_call(srv, "PUT", "/client/mic/switch", vtok,
                          {"live_id": lid, "type": "screen", "status": False}))
    assert seats(srv, lid)[0][1:3] == ["0", "1"]
    assert_error(client_call(srv, "PUT", "/client/mic/switch", vtok,
                             {"live_id": lid, "type": "mic", "status": "on"}), 400, 400)
    assert_error(client_call(srv, "PUT", "/client/mic/switch", otok,
                             {"live_id": lid, "user_id": "mic_viewer6", "type": "camera",
                              "status": False}), 403, 403)
    assert seats(srv, lid)[0][1:3] == ["0", "1"]
    assert_error(client_call(srv, "PUT", "/client/mic/switch", vtok), 400, 400, "EOF")


def test_list_when_rtc_fails(srv, fake):
    atok, lid = open_room(srv, "mic_anchor7")
    vtok = join(srv, "mic_viewer7", lid)
    assert_ok(client_call(srv, "POST", "/client/mic/", vtok, {"live_id": lid}))
    fake.set_rtc_room("rtc-app", lid, ["mic_viewer7"])
    assert len(assert_ok(client_call(srv, "GET", "/client/mic/room/list/" + lid, vtok))) == 1
    fake.fail("rtc", "down", count=1)
    assert assert_ok(client_call(srv, "GET", "/client/mic/room/list/" + lid, vtok)) == []
    assert assert_ok(client_call(srv, "GET", "/client/mic/room/list/unknown", vtok)) == []
