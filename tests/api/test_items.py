"""Shopping items, demonstrate and demonstrate recordings."""

import pytest

from helpers import (advance_clock, assert_error, assert_ok, client_call, run_job, server_call,
                     user_token)
from qnlive_server import Server


def pili_yaml(fake):
    return ("pili:\n  hub: sdk-live\n  stream_pattern: qn_live_kit-%%s\n"
            "  publish_domain: pub.example.com\n  playback_url: https://pb.example.com\n"
            "  endpoint: %s\n" % fake.url("pili"))


# the fakes refuse Pili and moderation calls not signed with the account keys (conftest.py)
FAKE_CHECKS_ACCOUNT_KEYS = True


@pytest.fixture(scope="module")
def srv(fake):
    s = Server(extra=pili_yaml(fake)).start()
    yield s
    assert s.stop() == 0


def room(s, anchor):
    tok = user_token(s, anchor)
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", tok, {"title": "i"}))
    return tok, lid["live_id"]


def item(i, status=1, **kw):
    return dict({"item_id": "sku-%d" % i, "title": "T%d" % i, "current_price": "9",
                 "origin_price": "19", "tags": "a,b", "thumbnail": "th", "link": "ln",
                 "status": status}, **kw)


def ids(lst):
    return [x["item_id"] for x in lst]


def test_add_list_limits(srv):
    tok, lid = room(srv, "it_anchor1")
    vtok = user_token(srv, "it_viewer1")
    assert_ok(client_call(srv, "PUT", "/client/item/add", tok,
                          {"live_id": lid, "items": [item(1), item(2, status=0,
                                                                   extends={"c": "r"})]}))
    assert_ok(client_call(srv, "POST", "/client/item/add", tok,
                          {"live_id": lid, "items": [item(3)]}))
    got = assert_ok(client_call(srv, "GET", "/client/item/" + lid, tok))
    assert ids(got) == ["sku-3", "sku-2", "sku-1"]
    assert [x["order"] for x in got] == [3, 2, 1]
    assert list(got[1].keys()) == ["live_id", "item_id", "order", "title", "tags", "thumbnail",
                                   "link", "current_price", "origin_price", "status", "record",
                                   "extends"]
    assert got[1]["extends"] == {"c": "r"} and got[0]["extends"] is None
    assert got[0]["record"] is None and got[0]["live_id"] == lid
    assert ids(assert_ok(client_call(srv, "GET", "/client/item/" + lid, vtok))) == \
        ["sku-3", "sku-1"]
    assert ids(assert_ok(server_call(srv, "GET", "/server/item/" + lid))) == \
        ["sku-3", "sku-2", "sku-1"]
    assert assert_ok(server_call(srv, "GET", "/server/item/nolive")) == []
    # errors
    add = lambda body, t=tok: client_call(srv, "PUT", "/client/item/add", t, body)
    assert_error(add({"live_id": lid, "items": [item(1)]}), 400, 10001)
    assert_error(add({"live_id": lid, "items": [item(8), item(8)]}), 400, 10001)
    assert_error(add({"live_id": lid, "items": [item(9, title="")]}), 400, 400)
    assert_error(add({"live_id": lid, "items": [item(9, status=3)]}), 400, 400)
    assert_error(add({"live_id": lid, "items": []}), 400, 400)
    assert_error(add({"items": [item(9)]}), 400, 400)
    assert_error(add({"live_id": lid, "items": ['{"item_id":"x"}']}), 400, 400)
    assert_error(add({"live_id": lid, "items": [item(9)]}, vtok), 404, 404)
    assert_error(add({"live_id": "nolive", "items": [item(9)]}), 404, 404)
    assert_error(server_call(srv, "POST", "/server/item/add",
                             {"live_id": "nolive", "items": [item(9)]}), 404, 404)
    assert_error(server_call(srv, "POST", "/server/item/add",
                             {"live_id": lid, "items": [item(100 + i) for i in range(98)]}),
                 400, 20001, "items exceed in live room")
    assert_ok(server_call(srv, "POST", "/server/item/add",
                          {"live_id": lid, "items": [item(100 + i) for i in range(97)]}))
    assert_error(add({"live_id": lid, "items": [item(9)]}), 400, 20001)
    assert int(srv.sql("SELECT COUNT(*) FROM items WHERE live_id = '%s'" % lid)[0][0]) == 100


def test_delete_status_order(srv):
    tok, lid = room(srv, "it_anchor2")
    assert_ok(server_call(srv, "POST", "/server/item/add",
                          {"live_id": lid, "items": [item(i) for i in range(1, 6)]}))
    assert_ok(client_call(srv, "POST", "/client/item/delete", tok,
                          {"live_id": lid, "items": ["sku-5", "nope"]}))
    assert_ok(server_call(srv, "POST", "/server/item/delete", {"live_id": lid, "items": ["sku-4"]}))
    assert_error(client_call(srv, "POST", "/client/item/delete", tok, {"live_id": lid,
                                                                       "items": []}), 400, 400)
    assert ids(assert_ok(client_call(srv, "GET", "/client/item/" + lid, tok))) == \
        ["sku-3", "sku-2", "sku-1"]
    # new items continue after the deleted ones' orders
    assert_ok(client_call(srv, "PUT", "/client/item/add", tok, {"live_id": lid,
                                                                "items": [item(6)]}))
    assert srv.sql("SELECT `order` FROM items WHERE live_id = '%s' AND item_id = 'sku-6'"
                   % lid) == [["6"]]
    st = lambda lst, t=tok: client_call(srv, "POST", "/client/item/status", t,
                                        {"live_id": lid, "items": lst})
    assert_ok(st([{"item_id": "sku-1", "status": 0}, {"item_id": "sku-2", "status": 2}]))
    assert_error(st([{"item_id": "sku-1", "status": 5}]), 400, 400, "invalid item status 5")
    assert_ok(server_call(srv, "POST", "/server/item/status",
                          {"live_id": lid, "items": [{"item_id": "sku-3", "status": 2}]}))
    got = {x["item_id"]: x["status"] for x in
           assert_ok(server_call(srv, "GET", "/server/item/" + lid))}
    assert got == {"sku-1": 0, "sku-2": 2, "sku-3": 2, "sku-6": 1}
    order = lambda lst: client_call(srv, "POST", "/client/item/order", tok,
                                    {"live_id": lid, "items": lst})
    assert_error(order([{"item_id": "sku-1", "order": 9}, {"item_id": "sku-1", "order": 8}]),
                 400, 400, "duplicated item id sku-1")
    assert_error(order([{"item_id": "sku-1", "order": 0}]), 400, 400, "invalid item order 0")
    # beyond the unsigned INT column: a 400 on every store, not a database error
    assert_error(order([{"item_id": "sku-1", "order": 2 ** 32}]), 400, 400)
    assert_error(client_call(srv, "POST", "/client/item/order/single", tok,
                             {"live_id": lid, "item_id": "sku-1", "from": 1, "to": 2 ** 40}),
                 400, 400)
    assert_error(order([{"item_id": "sku-1", "order": 9}, {"item_id": "sku-2", "order": 9}]),
                 400, 400, "duplicated item order 9")
    assert_error(order([{"item_id": "sku-1", "order": 6}]), 400, 400,
                 "order 6 conflict with sku-6")
    assert_ok(order([{"item_id": "sku-1", "order": 10}, {"item_id": "sku-6", "order": 1}]))
    assert_ok(server_call(srv, "POST", "/server/item/order",
                          {"live_id": lid, "items": [{"item_id": "sku-2", "order": 11}]}))
    lst = assert_ok(server_call(srv, "GET", "/server/item/" + lid))
    assert [(x["item_id"], x["order"]) for x in lst] == [("sku-2", 11), ("sku-1", 10),
                                                         ("sku-3", 3), ("sku-6", 1)]
    # single move: sku-6 from 1 to 10 shifts sku-3 (3 -> 2) and sku-1 (10 -> 9)
    mv = lambda **kw: client_call(srv, "POST", "/client/item/order/single", tok,
                                  dict({"live_id": lid}, **kw))
    assert_error(mv(item_id="sku-6", **{"from": 1, "to": 1}), 400, 400, "from equal to")
    assert_error(mv(item_id="sku-6", **{"from": 2, "to": 5}), 400, 400, "from not match")
    assert_error(mv(item_id="nope", **{"from": 2, "to": 5}), 404, 404)
    assert_ok(mv(item_id="sku-6", **{"from": 1, "to": 10}))
    lst = assert_ok(server_call(srv, "GET", "/server/item/" + lid))
    assert [(x["item_id"], x["order"]) for x in lst] == [("sku-2", 11), ("sku-6", 10),
                                                         ("sku-1", 9), ("sku-3", 2)]


def test_update_and_extends(srv):
    tok, lid = room(srv, "it_anchor3")
    assert_ok(server_call(srv, "POST", "/server/item/add",
                          {"live_id": lid, "items": [item(1, extends={"a": "1"},
                                                          record={"id": 77})]}))
    assert_ok(client_call(srv, "PUT", "/client/item/%s/sku-1" % lid, tok,
                          {"title": "New", "status": 0, "order": 50, "extends": {"b": "2"}}))
    x = assert_ok(server_call(srv, "GET", "/server/item/" + lid))[0]
    assert (x["title"], x["status"], x["order"], x["extends"]) == ("New", 1, 1,
                                                                   {"a": "1", "b": "2"})
    # record_id kept when the body has no record, cleared with an explicit null
    assert srv.sql("SELECT record_id FROM items WHERE live_id = '%s'" % lid) == [["77"]]
    assert_ok(server_call(srv, "PUT", "/server/item/%s/sku-1" % lid, {"record": None}))
    assert srv.sql("SELECT COALESCE(record_id, 0) FROM items WHERE live_id = '%s'" % lid) == [["0"]]
    assert_ok(client_call(srv, "PUT", "/client/item/%s/sku-1/extends" % lid, tok, {"c": "3"}))
    assert_ok(client_call(srv, "POST", "/client/item/%s/sku-1/extends" % lid, tok, {"a": "9"}))
    assert_ok(server_call(srv, "PUT", "/server/item/%s/sku-1/extends" % lid, {"d": "4"}))
    x = assert_ok(server_call(srv, "GET", "/server/item/" + lid))[0]
    assert x["extends"] == {"a": "9", "b": "2", "c": "3", "d": "4"}
    assert_error(client_call(srv, "PUT", "/client/item/%s/nope" % lid, tok, {"title": "x"}),
                 404, 404)
    assert_error(server_call(srv, "PUT", "/server/item/%s/nope/extends" % lid, {"a": "b"}),
                 404, 404)
    assert_error(client_call(srv, "PUT", "/client/item/%s/sku-1/extends" % lid, tok, {"a": 1}),
                 400, 400)
    assert_error(client_call(srv, "PUT", "/client/item/%s/sku-1" % lid,
                             user_token(srv, "it_x3"), {"title": "x"}), 404, 404)


def test_demonstrate_and_recordings(srv, fake):
    tok, lid = room(srv, "it_anchor4")
    vtok = user_token(srv, "it_viewer4")
    assert_ok(server_call(srv, "POST", "/server/item/add",
                          {"live_id": lid, "items": [item(1), item(2), item(3, status=0)]}))
    base = "/client/item/demonstrate/"
    assert assert_ok(client_call(srv, "GET", base + lid, vtok)) is None
    assert_error(client_call(srv, "POST", base + "%s/sku-3" % lid, tok), 400, 400,
                 "item offline, cannot demonstrate")
    assert_error(client_call(srv, "POST", base + "start/%s/sku-3" % lid, tok), 400, 400,
                 "item offline, cannot demonstrate ")
    assert_error(client_call(srv, "POST", base + "%s/nope" % lid, tok), 404, 404)
    assert_error(client_call(srv, "POST", base + "%s/sku-1" % lid, vtok), 404, 404)
    assert_ok(client_call(srv, "POST", base + "%s/sku-1" % lid, tok))
    assert ids([assert_ok(client_call(srv, "GET", base + lid, vtok))]) == ["sku-1"]
    assert ids(assert_ok(client_call(srv, "GET", "/client/item/" + lid, vtok))) == \
        ["sku-1", "sku-2"]
    # the demonstrated item cannot be deleted
    assert_ok(client_call(srv, "POST", "/client/item/delete", tok,
                          {"live_id": lid, "items": ["sku-1"]}))
    assert len(assert_ok(server_call(srv, "GET", "/server/item/" + lid))) == 3
    # record sku-2, then switch to sku-1 with recording: the first recording is saved
    n0 = len(fake.calls("pili"))
    assert_ok(client_call(srv, "POST", base + "start/%s/sku-2" % lid, tok))
    recs = assert_ok(client_call(srv, "GET", base + "record/" + lid, tok))
    assert len(recs) == 1 and recs[0]["status"] == 4 and recs[0]["end"] is None
    assert len(fake.calls("pili")) == n0
    assert_ok(client_call(srv, "POST", base + "start/%s/sku-1" % lid, tok))
    calls = fake.calls("pili")[n0:]
    assert len(calls) == 1, calls
    assert calls[0]["status"] == 200, calls
    assert calls[0]["stream_title"] == "qn_live_kit-" + lid and calls[0]["hub"] == "sdk-live"
    body = calls[0]["body"]
    assert body["fname"] == "%s_sku-2_%d" % (lid, recs[0]["id"])
    assert body["start"] == recs[0]["start"] and body["end"] >= body["start"]
    # stop: the second recording is saved and returned
    rec = assert_ok(client_call(srv, "DELETE", base + lid, tok))
    assert rec["status"] == 0 and rec["item_id"] == "sku-1" and rec["end"] is not None
    assert rec["record_url"] == "https://pb.example.com/%s_sku-1_%d" % (lid, rec["id"])
    assert assert_ok(client_call(srv, "GET", base + lid, vtok)) is None
    r = client_call(srv, "DELETE", base + lid, tok)
    assert assert_ok(r) is None and "data" not in r.json()
    lst = assert_ok(client_call(srv, "GET", "/client/item/" + lid, tok))
    by = {x["item_id"]: x for x in lst}
    assert by["sku-1"]["record"]["id"] == rec["id"]
    assert by["sku-2"]["record"]["status"] == 0
    latest = assert_ok(client_call(srv, "GET", base + "record/%s/sku-1" % lid, tok))
    assert latest == rec
    assert_error(client_call(srv, "GET", base + "record/%s/sku-3" % lid, tok), 404, 404)
    assert_error(client_call(srv, "GET", base + "record/" + lid, vtok), 404, 404)
    # Pili failure: the recording waits (status 1) and its save-as is asked again until it is
    # accepted
    assert_ok(client_call(srv, "POST", base + "start/%s/sku-2" % lid, tok))
    fake.fail("pili", "down", count=2)
    waiting = assert_ok(client_call(srv, "DELETE", base + lid, tok))
    assert waiting["status"] == 1 and waiting["end"] is not None and waiting["record_url"] == ""
    recs = retry_recordings(srv, tok, lid, lambda rs: rs[2]["status"] == 0)
    assert [x["status"] for x in recs] == [0, 0, 0]
    assert recs[2]["end"] == waiting["end"]
    assert recs[2]["record_url"] == "https://pb.example.com/%s_sku-2_%d" % (lid, recs[2]["id"])
    # delete recordings: hard delete, unlink, failures listed
    dl = lambda body, t=tok: client_call(srv, "POST", base + "record/delete", t, body)
    assert_error(dl({"live_id": lid, "demonstrate_item": []}), 400, 400, "empty demonstrate_item")
    _, other = room(srv, "it_anchor4b")
    assert_error(dl({"live_id": lid, "demonstrate_item": [recs[0]["id"]]}, vtok), 404, 404)
    d = assert_ok(dl({"live_id": lid, "demonstrate_item": [rec["id"], 999999]}))
    assert d == {"live_id": lid, "failure_demon_items": [999999]}
    d = assert_ok(dl({"live_id": lid, "demonstrate_item": [recs[0]["id"]]}))
    assert d == {"live_id": lid}
    assert int(srv.sql("SELECT COUNT(*) FROM item_demonstrate_log WHERE live_id = '%s'"
                       % lid)[0][0]) == 1
    lst = {x["item_id"]: x for x in assert_ok(client_call(srv, "GET", "/client/item/" + lid, tok))}
    assert lst["sku-1"]["record"] is None
    otok = user_token(srv, "it_anchor4b")
    assert_error(dl({"live_id": other, "demonstrate_item": [recs[2]["id"]]}, otok), 400, 400,
                 "video %d not int live %s" % (recs[2]["id"], other))
    assert assert_ok(client_call(srv, "GET", base + "record/" + other, otok)) == []


def retry_recordings(srv, tok, lid, pred, runs=3):
    """The room's recordings once pred(recordings) holds, running the recordings job (the one
    that asks Pili again) up to `runs` times."""
    for _ in range(runs):
        recs = assert_ok(client_call(srv, "GET", "/client/item/demonstrate/record/" + lid, tok))
        if pred(recs):
            return recs
        run_job(srv, "item_recordings")
    return assert_ok(client_call(srv, "GET", "/client/item/demonstrate/record/" + lid, tok))


def recording_room(srv, anchor):
    """A room on air with the anchor inside, recording the demonstration of sku-1."""
    tok, lid = room(srv, anchor)
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, tok))
    assert_ok(server_call(srv, "POST", "/server/item/add", {"live_id": lid, "items": [item(1)]}))
    assert_ok(client_call(srv, "POST", "/client/item/demonstrate/start/%s/sku-1" % lid, tok))
    return tok, lid


def test_recording_ends_with_its_room(srv, fake):
    base = "/client/item/demonstrate/"
    for end in ("stop", "delete", "leave"):
        tok, lid = recording_room(srv, "it_rec_" + end)
        n0 = len([c for c in fake.calls("pili") if lid in c["body"].get("fname", "")])
        if end == "stop":
            assert_ok(client_call(srv, "DELETE", "/client/live/room/" + lid, tok))
        elif end == "delete":
            assert_ok(client_call(srv, "DELETE", "/client/live/room/instance/" + lid, tok))
        else:
            assert_ok(client_call(srv, "DELETE", "/client/live/room/user/" + lid, tok))
        rows = srv.sql("SELECT status, `end` IS NULL FROM item_demonstrate_log "
                       "WHERE live_id = '%s'" % lid)
        assert rows[0][1] == "0", (end, rows)  # closed at once, not left open
        assert srv.sql("SELECT COUNT(*) FROM item_demonstrate WHERE live_id = '%s' "
                       "AND item_id <> ''" % lid) == [["0"]], end
        run_job(srv, "item_recordings")  # saves what is still waiting
        assert srv.sql("SELECT status FROM item_demonstrate_log WHERE live_id = '%s'"
                       % lid) == [["0"]], end
        calls = [c for c in fake.calls("pili") if lid in c["body"].get("fname", "")]
        assert len(calls) == n0 + 1 and calls[-1]["stream_title"] == "qn_live_kit-" + lid
        if end != "delete":  # the demonstrate route sees it too
            assert assert_ok(client_call(srv, "GET", base + lid, tok)) is None


def test_recording_ends_when_the_anchor_times_out(fake):
    s = Server(extra=pili_yaml(fake) + "live:\n  user_timeout_s: 30\n  timeout_check_s: 3600\n"
                                      "  room_timeout_s: 3600\n").start()
    try:
        tok, lid = recording_room(s, "it_rec_timeout")
        # no heartbeat: the anchor's presence times out, the room stays on air
        advance_clock(s, 31)
        run_job(s, "live_user_timeout")
        run_job(s, "item_recordings")
        assert s.sql("SELECT status, `end` IS NULL FROM item_demonstrate_log "
                     "WHERE live_id = '%s'" % lid)[0] in (["1", "0"], ["0", "0"])
        assert s.sql("SELECT COUNT(*) FROM item_demonstrate WHERE live_id = '%s' "
                     "AND item_id <> ''" % lid) == [["0"]]
    finally:
        assert s.stop() == 0


def test_refused_save_as_fails_after_the_retry_window(fake):
    s = Server(extra=pili_yaml(fake) + "  saveas_retry_s: 0\n").start()
    try:
        tok, lid = recording_room(s, "it_rec_giveup")
        fake.fail("pili", "down", count=2)
        rec = assert_ok(client_call(s, "DELETE", "/client/item/demonstrate/" + lid, tok))
        assert rec["status"] == 3 and rec["record_url"] == ""
        fake.reset()
    finally:
        assert s.stop() == 0


def test_anchor_leaving_clears_the_demonstrated_item(srv):
    tok, lid = room(srv, "it_anchor_leave")
    vtok = user_token(srv, "it_viewer_leave")
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, tok))  # on air, anchor inside
    assert_ok(server_call(srv, "POST", "/server/item/add", {"live_id": lid, "items": [item(1)]}))
    base = "/client/item/demonstrate/"
    assert_ok(client_call(srv, "POST", base + "%s/sku-1" % lid, tok))
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, vtok))
    # an audience member leaving changes nothing
    assert_ok(client_call(srv, "DELETE", "/client/live/room/user/" + lid, vtok))
    assert ids([assert_ok(client_call(srv, "GET", base + lid, vtok))]) == ["sku-1"]
    assert_ok(client_call(srv, "DELETE", "/client/live/room/user/" + lid, tok))
    assert assert_ok(client_call(srv, "GET", base + lid, vtok)) is None
    # the room itself stays on air
    info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, vtok))
    assert info["live_status"] == 1
