"""Relay / cross-room PK routes R1-R7: the session state
machine, the lives' pk_id, relay tokens, pk_extends_notify and the pk_started / pk_stopped
business callbacks."""
import json
import threading
import time

import pytest

from helpers import (advance_clock, assert_error, assert_ok, client_call, run_job, server_call,
                     user_token)
from test_mic import join, make_fake, open_room, rtc_payload, start_server

SESSION_KEYS = ["ID", "sid", "init_user_id", "init_room_id", "recv_user_id", "recv_room_id",
                "extends", "status", "start_at", "stop_at", "created_at", "updated_at"]


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


def pair(srv, tag):
    """Two anchors on air: (token A, live A, token B, live B)."""
    ta, la = open_room(srv, "pk_a_" + tag)
    tb, lb = open_room(srv, "pk_b_" + tag)
    return ta, la, tb, lb


def start(srv, tok, la, lb, recv_user, **extra):
    body = dict(init_room_id=la, recv_room_id=lb, recv_user_id=recv_user, **extra)
    return client_call(srv, "POST", "/client/relay/start", tok, body)


def pk_id(srv, lid):
    row = srv.sql("SELECT id, pk_id FROM live_entities WHERE live_id = '%s'" % lid)[0]
    return row[1] if len(row) > 1 else ""


def pk_messages(fake):
    out = []
    for m in fake.im_state()["messages"]:
        c = m["content"]
        if c["action"] == "pk_extends_notify":
            out.append((m["type"], m["from"], m["targets"], c["data"]))
    return out


def callbacks(fake, topic, sid, timeout=20):
    """Delivered callback bodies of a topic for a session, waiting for the outbox worker."""
    deadline = time.time() + timeout
    while True:
        got = [c["body"]["body"] for c in fake.calls("callback")
               if isinstance(c.get("body"), dict) and c["body"].get("type") == topic
               and c["body"]["body"].get("sid") == sid]
        if got or time.time() > deadline:
            return got
        time.sleep(0.2)


def test_full_pk_flow(srv, fake):
    ta, la, tb, lb = pair(srv, "flow")
    r = assert_ok(start(srv, ta, la, lb, "pk_b_flow", extends={"score_a": "0", "score_b": "0"}))
    assert list(r) == ["relay_id", "relay_status", "relay_token"]
    sid = r["relay_id"]
    assert isinstance(sid, str) and sid.isdigit() and r["relay_status"] == 1
    rtc_payload(r["relay_token"], lb, "pk_a_flow")
    assert pk_id(srv, la) == sid and pk_id(srv, lb) == sid
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + la, ta))
    assert info["pk_id"] == sid

    # the members of both rooms (the audience polls it) read the session; outsiders do not
    assert_error(client_call(srv, "GET", "/client/relay/" + sid, user_token(srv, "pk_out_flow")),
                 404, 404)
    viewer = join(srv, "pk_viewer_flow", la)
    s = assert_ok(client_call(srv, "GET", "/client/relay/" + sid, viewer))
    assert list(s) == SESSION_KEYS
    assert isinstance(s["ID"], int) and s["ID"] > 0
    assert (s["sid"], s["init_user_id"], s["init_room_id"], s["recv_user_id"],
            s["recv_room_id"]) == (sid, "pk_a_flow", la, "pk_b_flow", lb)
    assert s["extends"] == {"score_a": "0", "score_b": "0"} and s["status"] == 1
    assert s["start_at"] is None and s["stop_at"] is None
    assert abs(s["created_at"] - time.time()) < 60 and s["updated_at"] >= s["created_at"]

    started = callbacks(fake, "pk_started", sid)
    assert len(started) == 1 and list(started[0]) == SESSION_KEYS
    assert started[0]["status"] == 1 and started[0]["ID"] == s["ID"]

    t = assert_ok(client_call(srv, "GET", "/client/relay/%s/token" % sid, tb))
    assert list(t) == ["relay_id", "relay_status", "relay_token"]
    assert (t["relay_id"], t["relay_status"]) == (sid, 1)
    rtc_payload(t["relay_token"], la, "pk_b_flow")
    t = assert_ok(client_call(srv, "GET", "/client/relay/%s/token" % sid, ta))
    rtc_payload(t["relay_token"], lb, "pk_a_flow")

    rep = assert_ok(client_call(srv, "POST", "/client/relay/%s/started" % sid, ta, {}))
    assert rep == {"relay_id": sid, "relay_status": 2}
    # a repeated report from the same side does not claim both sides started
    rep = assert_ok(client_call(srv, "POST", "/client/relay/%s/started" % sid, ta))
    assert rep["relay_status"] == 2
    rep = assert_ok(client_call(srv, "POST", "/client/relay/%s/started" % sid, tb, {}))
    assert rep["relay_status"] == 4
    s = assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))
    assert s["status"] == 4 and abs(s["start_at"] - time.time()) < 60 and s["stop_at"] is None

    assert assert_ok(client_call(srv, "POST", "/client/relay/%s/stop" % sid, tb, {})) is None
    s = assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))
    assert s["status"] == 6 and s["stop_at"] >= s["start_at"] > 0
    assert pk_id(srv, la) == "" and pk_id(srv, lb) == ""
    stopped = callbacks(fake, "pk_stopped", sid)
    assert len(stopped) == 1 and list(stopped[0]) == SESSION_KEYS
    assert stopped[0]["status"] == 4          # the session as stored before stopping

    # a stopped session is gone for the participant routes
    assert_error(client_call(srv, "GET", "/client/relay/%s/token" % sid, ta), 404, 404)
    assert_error(client_call(srv, "POST", "/client/relay/%s/started" % sid, ta), 404, 404)
    assert_error(client_call(srv, "POST", "/client/relay/%s/stop" % sid, ta), 404, 404)
    assert len(callbacks(fake, "pk_stopped", sid, timeout=1)) == 1
    # both lives are free for a new PK
    r2 = assert_ok(start(srv, tb, lb, la, "pk_a_flow"))
    assert r2["relay_id"] != sid and pk_id(srv, la) == r2["relay_id"]
    rtc_payload(r2["relay_token"], la, "pk_b_flow")


def test_receiver_reports_first(srv):
    ta, la, tb, lb = pair(srv, "recv")
    sid = assert_ok(start(srv, ta, la, lb, "pk_b_recv"))["relay_id"]
    assert assert_ok(client_call(srv, "POST", "/client/relay/%s/started" % sid, tb))[
        "relay_status"] == 3
    assert assert_ok(client_call(srv, "POST", "/client/relay/%s/started" % sid, tb))[
        "relay_status"] == 3
    assert assert_ok(client_call(srv, "POST", "/client/relay/%s/started" % sid, ta))[
        "relay_status"] == 4
    assert assert_ok(client_call(srv, "POST", "/client/relay/%s/started" % sid, ta))[
        "relay_status"] == 4
    # the initiator may stop too
    assert_ok(client_call(srv, "POST", "/client/relay/%s/stop" % sid, ta))
    assert pk_id(srv, la) == "" and pk_id(srv, lb) == ""


def test_start_errors(srv):
    ta, la, tb, lb = pair(srv, "err")
    tc, lc = open_room(srv, "pk_c_err")
    bad = "Bad Request"
    assert_error(client_call(srv, "POST", "/client/relay/start", ta), 400, 400, bad)
    assert_error(client_call(srv, "POST", "/client/relay/start", ta, [1]), 400, 400, bad)
    assert_error(start(srv, ta, "", lb, "pk_b_err"), 400, 400, bad)
    assert_error(start(srv, ta, la, "", "pk_b_err"), 400, 400, bad)
    assert_error(start(srv, ta, la, lb, ""), 400, 400, bad)
    assert_error(start(srv, ta, la, lb, "pk_a_err"), 400, 400, bad)     # recv user == caller
    assert_error(start(srv, ta, la, la, "pk_b_err"), 400, 400, bad)     # same room
    assert_error(start(srv, ta, la, lb, 7), 400, 400, bad)
    assert_error(start(srv, ta, lb, lc, "pk_c_err"), 404, 404)          # not the caller's live
    assert_error(start(srv, ta, la, lb, "pk_c_err"), 404, 404)          # not B's anchor
    assert_error(start(srv, ta, la, "nope", "pk_b_err"), 404, 404)
    assert_error(start(srv, ta, "nope", lb, "pk_b_err"), 404, 404)
    prepared = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tb,
                                     {"title": "p"}))["live_id"]
    assert_error(start(srv, ta, la, prepared, "pk_b_err"), 404, 404)    # not on air
    assert srv.sql("SELECT COUNT(*) FROM relay_sessions WHERE init_user_id = 'pk_a_err'") == [
        ["0"]]
    sid = assert_ok(start(srv, ta, la, lb, "pk_b_err"))["relay_id"]
    busy = "live room already in relaying"
    assert_error(start(srv, tc, lc, la, "pk_a_err"), 400, 400, busy)
    assert_error(start(srv, tb, lb, lc, "pk_c_err"), 400, 400, busy)
    assert pk_id(srv, lc) == "" and pk_id(srv, la) == sid


def test_concurrent_starts_claim_once(srv):
    tb, lb = open_room(srv, "pk_target_race")
    contenders = [open_room(srv, "pk_race%d" % i) for i in range(4)]
    results = [None] * len(contenders)

    def go(i):
        tok, lid = contenders[i]
        results[i] = start(srv, tok, lid, lb, "pk_target_race")

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(contenders))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [r for r in results if r.status_code == 200]
    assert len(ok) == 1, [r.text for r in results]
    for r in results:
        if r.status_code != 200:
            assert_error(r, 400, 400, "live room already in relaying")
    sid = ok[0].json()["data"]["relay_id"]
    assert pk_id(srv, lb) == sid
    assert sorted(pk_id(srv, lid) for _, lid in contenders).count(sid) == 1
    assert srv.sql("SELECT COUNT(*) FROM relay_sessions WHERE recv_room_id = '%s'" % lb) == [
        ["1"]]


def test_gate(srv, fake):
    ta, la, tb, lb = pair(srv, "gate")
    tc, lc = open_room(srv, "pk_c_gate")
    sid = assert_ok(start(srv, ta, la, lb, "pk_b_gate"))["relay_id"]
    viewer = join(srv, "pk_viewer_gate", la)
    loner = user_token(srv, "pk_loner_gate")
    for tok in (tc, viewer, loner):
        assert_error(client_call(srv, "GET", "/client/relay/%s/token" % sid, tok), 404, 404)
        assert_error(client_call(srv, "POST", "/client/relay/%s/started" % sid, tok), 404, 404)
        assert_error(client_call(srv, "POST", "/client/relay/%s/stop" % sid, tok), 404, 404)
    for path in ("/client/relay/1", "/client/relay/1/token"):
        assert_error(client_call(srv, "GET", path, ta), 404, 404)
    for path in ("/client/relay/1/started", "/client/relay/1/stop"):
        assert_error(client_call(srv, "POST", path, ta), 404, 404)
    assert_error(client_call(srv, "GET", "/client/relay/" + sid, "bad"), 401, 401)
    # a refused stop changed nothing and told the business server nothing
    assert assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))["status"] == 1
    assert srv.sql("SELECT COUNT(*) FROM outbox WHERE topic = 'pk_stopped' AND payload LIKE "
                   "'%%%s%%'" % sid) == [["0"]]
    # an anchor who stopped its room is no longer on air in it, and the PK ended with the room
    assert_ok(client_call(srv, "DELETE", "/client/live/room/" + la, ta))
    assert_error(client_call(srv, "GET", "/client/relay/%s/token" % sid, ta), 404, 404)
    assert_error(client_call(srv, "POST", "/client/relay/%s/stop" % sid, tb), 404, 404)
    assert pk_id(srv, la) == "" and pk_id(srv, lb) == ""


def test_extends_and_notifications(srv, fake):
    ta, la, tb, lb = pair(srv, "ext")
    tc, _ = open_room(srv, "pk_c_ext")
    sid = assert_ok(start(srv, ta, la, lb, "pk_b_ext", extends={"score_a": "0"}))["relay_id"]
    ia = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + la, ta))["chat_id"]
    ib = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lb, tb))["chat_id"]
    ua = assert_ok(client_call(srv, "GET", "/client/user/profile", ta))["im_userid"]
    ub = assert_ok(client_call(srv, "GET", "/client/user/profile", tb))["im_userid"]
    before = len(pk_messages(fake))
    assert assert_ok(client_call(srv, "POST", "/client/relay/%s/extends" % sid, ta,
                                 {"extends": {"score_a": "3", "score_b": "1"}})) is None
    s = assert_ok(client_call(srv, "GET", "/client/relay/" + sid, tb))
    assert s["extends"] == {"score_a": "3", "score_b": "1"}
    data = {"sid": sid, "init_room_id": la, "recv_room_id": lb,
            "extends": {"score_a": "3", "score_b": "1"}}
    msgs = pk_messages(fake)[before:]
    assert sorted(msgs, key=lambda m: m[1]) == sorted(
        [(2, ua, [ia], data), (2, ub, [ib], data)], key=lambda m: m[1])
    raw = [c["body"] for c in fake.calls("im") if c["path"].endswith("/message/send")][-1]
    assert raw["content_type"] == 6 and isinstance(raw["content"], str)
    content = json.loads(raw["content"])
    assert list(content) == ["action", "data"]
    assert list(content["data"]) == ["sid", "init_room_id", "recv_room_id", "extends"]

    # only the changed keys; nothing changed gives {}
    r = server_call(srv, "POST", "/server/relay/%s/extends" % sid, {"extends": {"score_b": "2",
                                                                              "score_a": "3"}})
    assert_ok(r)
    assert [m[3]["extends"] for m in pk_messages(fake)[-2:]] == [{"score_b": "2"}] * 2
    assert_ok(client_call(srv, "POST", "/client/relay/%s/extends" % sid, tb,
                          {"extends": {"score_b": "2"}}))
    assert [m[3]["extends"] for m in pk_messages(fake)[-2:]] == [{}, {}]
    assert assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))["extends"] == {
        "score_a": "3", "score_b": "2"}

    # errors
    n = len(pk_messages(fake))
    assert_error(client_call(srv, "POST", "/client/relay/%s/extends" % sid, tc,
                             {"extends": {"x": "1"}}), 404, 404)
    assert_error(client_call(srv, "POST", "/client/relay/%s/extends" % sid, ta,
                             {"extends": {"x": 1}}), 400, 400)
    assert_error(client_call(srv, "POST", "/client/relay/%s/extends" % sid, ta), 400, 400, "EOF")
    assert_error(client_call(srv, "POST", "/client/relay/1/extends", ta, {"extends": {}}),
                 404, 404)
    assert_error(server_call(srv, "POST", "/server/relay/1/extends", {"extends": {}}), 404, 404)
    assert_error(server_call(srv, "POST", "/server/relay/%s/extends" % sid, {"extends": {}},
                             sk="wrong"), 401, 401)
    assert len(pk_messages(fake)) == n

    # after the stop the lives no longer carry the sid: stored, nobody notified
    assert_ok(client_call(srv, "POST", "/client/relay/%s/stop" % sid, ta))
    assert_ok(server_call(srv, "POST", "/server/relay/%s/extends" % sid,
                          {"extends": {"final": "1"}}))
    assert len(pk_messages(fake)) == n
    assert assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))["extends"][
        "final"] == "1"


def test_im_failure_does_not_fail_extends(srv, fake):
    ta, la, tb, lb = pair(srv, "imfail")
    sid = assert_ok(start(srv, ta, la, lb, "pk_b_imfail"))["relay_id"]
    fake.fail("im", "down", count=2)
    assert_ok(client_call(srv, "POST", "/client/relay/%s/extends" % sid, ta,
                          {"extends": {"k": "v"}}))
    s = assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))
    assert s["extends"] == {"k": "v"}


def test_stopping_a_room_ends_its_pk(srv, fake):
    ta, la, tb, lb = pair(srv, "endlive")
    sid = assert_ok(start(srv, ta, la, lb, "pk_b_endlive"))["relay_id"]
    assert pk_id(srv, la) == sid and pk_id(srv, lb) == sid
    assert_ok(client_call(srv, "DELETE", "/client/live/room/" + la, ta))  # anchor A stops
    assert assert_ok(client_call(srv, "GET", "/client/relay/" + sid, tb))["status"] == 6
    assert pk_id(srv, lb) == ""
    assert len(callbacks(fake, "pk_stopped", sid)) == 1
    # room B is free for a new PK
    tc, lc = open_room(srv, "pk_c_endlive")
    assert_ok(start(srv, tb, lb, lc, "pk_c_endlive"))


def test_only_anchors_and_members_read_a_session(srv):
    ta, la, tb, lb = pair(srv, "read")
    sid = assert_ok(start(srv, ta, la, lb, "pk_b_read"))["relay_id"]
    for tok in (ta, tb, join(srv, "pk_member_a", la), join(srv, "pk_member_b", lb)):
        assert assert_ok(client_call(srv, "GET", "/client/relay/" + sid, tok))["sid"] == sid
    other_anchor, other_live = open_room(srv, "pk_other_read")
    for tok in (other_anchor, user_token(srv, "pk_nobody_read")):
        assert_error(client_call(srv, "GET", "/client/relay/" + sid, tok), 404, 404)
    # a room already in a PK cannot be pulled into another one
    assert_error(start(srv, other_anchor, other_live, la, "pk_a_read"), 400, 400,
                 "live room already in relaying")


def test_unanswered_invitation_ends_by_itself(fake):
    from conftest import im_yaml
    from test_mic import RtcServer
    extra = (im_yaml(fake) + "callback:\n  addr: %s\n" % fake.url("callback") +
             "live:\n  pk_invite_timeout_s: 60\n")
    s = RtcServer(fake.url("rtc"), extra=extra).start()
    try:
        ta, la, tb, lb = pair(s, "inv")
        sid = assert_ok(start(s, ta, la, lb, "pk_b_inv"))["relay_id"]
        tc, lc, td, ld = pair(s, "inv2")
        kept = assert_ok(start(s, tc, lc, ld, "pk_b_inv2"))["relay_id"]
        assert_ok(client_call(s, "GET", "/client/relay/%s/token" % kept, td))  # took part
        run_job(s, "relay_invite_timeout")
        assert pk_id(s, la) == sid  # not unanswered for long enough yet
        advance_clock(s, 61)
        run_job(s, "relay_invite_timeout")
        assert pk_id(s, la) == "" and pk_id(s, lb) == ""
        got = assert_ok(client_call(s, "GET", "/client/relay/" + sid, ta))
        assert got["status"] == 6 and got["stop_at"] is not None
        assert len(callbacks(fake, "pk_stopped", sid)) == 1
        assert pk_id(s, lc) == kept and pk_id(s, ld) == kept  # the answered one goes on
        # both rooms of the ended one are free again
        assert_ok(start(s, tb, lb, la, "pk_a_inv"))
    finally:
        assert s.stop() == 0
