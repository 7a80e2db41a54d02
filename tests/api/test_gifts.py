"""Gifts: catalogue routes, the exactly-once send flow through the payment hook,
transaction lists, the demo hook, and the routes' absence without a gift section."""
import json
import socket
import time

import pytest
import requests

from conftest import im_yaml
from helpers import assert_error, assert_ok, client_call, make_jwt, now, server_call, user_token
from qnlive_server import Server


def gift_yaml(fake, extra=""):
    return "gift:\n  gift_addr: %s\n  timeout_ms: 800\n%s" % (fake.url("pay"), extra)


@pytest.fixture(scope="module")
def srv(fake):
    s = Server(extra=im_yaml(fake) + gift_yaml(fake) +
               "callback:\n  addr: %s\n" % fake.url("callback")).start()
    yield s
    assert s.stop() == 0


def admin_token(s, uid="gift_admin"):
    s.sql("INSERT INTO admin_user (user_name, user_id, password, description) "
          "VALUES ('%s', '%s', 'pw', 't')" % (uid, uid))
    return make_jwt({"exp": now() + 600, "AppId": "", "UserId": uid, "DeviceId": "",
                     "Role": "admin"})


def room(s, anchor):
    """A room on air: (anchor token, live_id, chat_id)."""
    tok = user_token(s, anchor)
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", tok, {"title": "g"}))
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid["live_id"], tok, {}))
    return tok, lid["live_id"], lid["chat_id"]


def viewer(s, uid, lid):
    """A viewer's token, joined to the room."""
    tok = user_token(s, uid)
    assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, tok, {}))
    return tok


def custom_gift(s, gift_id=1):
    """A configured gift of price 0: any positive amount."""
    assert_ok(server_call(s, "POST", "/server/gift/config",
                          {"gift_id": gift_id, "type": 9, "name": "Custom", "amount": 0}))


def pay_calls(fake, biz_id):
    return [c for c in fake.calls("pay") if c["body"] and c["body"].get("biz_id") == biz_id]



def gift_notifications(fake, lid, timeout=10):
    """The room's gift_notify messages, once at least one has arrived: they are sent in the
    background, after the gift's answer."""
    deadline = time.monotonic() + timeout
    while True:
        msgs = [m for m in fake.im_state()["messages"] if m["content"].get("action") ==
                "gift_notify" and m["content"]["data"]["live_id"] == lid]
        if msgs or time.monotonic() > deadline:
            return msgs
        time.sleep(0.05)

def test_config_routes(srv):
    adm = admin_token(srv)
    tok = user_token(srv, "g_viewer0")
    assert assert_ok(client_call(srv, "GET", "/client/gift/config/-1", tok)) == []
    assert assert_ok(server_call(srv, "GET", "/server/gift/config/-1")) == []
    rocket = {"gift_id": 3, "type": 1, "name": "Rocket", "amount": 100, "img": "i",
              "animation_type": 2, "animation_img": "a", "order": 2, "extends": {"k": "v"}}
    assert_ok(client_call(srv, "POST", "/admin/gift/config", adm, rocket))
    assert_ok(server_call(srv, "POST", "/server/gift/config",
                          {"gift_id": 4, "type": 2, "name": "Rose", "amount": 1, "order": 1}))
    got = assert_ok(client_call(srv, "GET", "/client/gift/config/-1", tok))
    assert [g["gift_id"] for g in got] == [4, 3]
    assert got[1] == rocket
    assert list(got[0].keys()) == list(rocket.keys()) and got[0]["extends"] is None
    assert [g["gift_id"] for g in assert_ok(client_call(srv, "GET", "/admin/gift/config/2",
                                                        adm))] == [4]
    assert [g["gift_id"] for g in assert_ok(server_call(srv, "GET", "/server/gift/config/1"))] \
        == [3]
    assert_error(client_call(srv, "GET", "/client/gift/config/x", tok), 400, 400,
                 "type is not int")
    assert_error(client_call(srv, "GET", "/admin/gift/config/x", adm), 400, 400,
                 "type is not int")
    assert_error(server_call(srv, "GET", "/server/gift/config/x"), 400, 400, "Bad Request")
    assert_error(client_call(srv, "POST", "/admin/gift/config", adm, {"gift_id": 5}), 400, 400,
                 "Name 不能为空 且 GiftId 需要 >0")
    assert_error(server_call(srv, "POST", "/server/gift/config", {"name": "n"}), 400, 400,
                 "Name 不能为空 且 GiftId 需要 >0 ")
    assert_error(server_call(srv, "POST", "/server/gift/config", [rocket]), 400, 400)
    assert_error(server_call(srv, "POST", "/server/gift/config", {"gift_id": "3"}), 400, 400)
    # delete, then a re-save revives the config
    assert_ok(client_call(srv, "DELETE", "/admin/gift/config/3", adm))
    assert_ok(server_call(srv, "DELETE", "/server/gift/config/999"))
    assert [g["gift_id"] for g in assert_ok(server_call(srv, "GET", "/server/gift/config/-1"))] \
        == [4]
    assert_error(client_call(srv, "DELETE", "/admin/gift/config/x", adm), 400, 400,
                 "gift_id is not int")
    assert_error(server_call(srv, "DELETE", "/server/gift/config/x"), 400, 400, "Bad Request")
    assert_ok(server_call(srv, "POST", "/server/gift/config", dict(rocket, name="Rocket2")))
    got = assert_ok(server_call(srv, "GET", "/server/gift/config/-1"))
    assert [(g["gift_id"], g["name"]) for g in got] == [(4, "Rose"), (3, "Rocket2")]
    assert_error(client_call(srv, "GET", "/admin/gift/config/-1", tok), 403, 403)


def test_send_paid_exactly_once(srv, fake):
    atok, lid, chat = room(srv, "g_anchor1")
    vtok = viewer(srv, "g_viewer1", lid)
    me = assert_ok(client_call(srv, "GET", "/client/user/profile", vtok))
    body = {"live_id": lid, "gift_id": 3, "amount": 100, "biz_id": "client-key-1"}
    d = assert_ok(client_call(srv, "POST", "/client/gift/send", vtok, body))
    assert d == {"biz_id": "client-key-1", "user_id": "g_viewer1", "live_id": lid,
                 "anchor_id": "g_anchor1", "gift_id": 3, "amount": 100, "status": 1}
    calls = pay_calls(fake, "client-key-1")
    assert len(calls) == 1
    assert list(calls[0]["body"].items()) == [
        ("biz_id", "client-key-1"), ("user_id", "g_viewer1"), ("live_id", lid),
        ("anchor_id", "g_anchor1"), ("gift_id", 3), ("amount", 100)]
    # the retry of the same biz_id replays the answer: no second charge, row, stat or event
    for _ in range(2):
        assert assert_ok(client_call(srv, "POST", "/client/gift/send", vtok, body)) == d
    assert len(pay_calls(fake, "client-key-1")) == 1
    assert srv.sql("SELECT status FROM live_gift WHERE biz_id = 'client-key-1'") == [["1"]]
    assert srv.sql("SELECT count FROM stats_single_live WHERE type = 7 AND live_id = '%s' "
                   "AND user_id = 'g_viewer1' AND biz_id = 'g_anchor1'" % lid) == [["100"]]
    rows = srv.sql("SELECT payload FROM outbox WHERE topic = 'gift_send' AND live_id = '%s'"
                   % lid)
    assert len(rows) == 1
    ev = json.loads(rows[0][0])
    assert ev.get("body", ev) == d
    msgs = gift_notifications(fake, lid)
    assert len(msgs) == 1
    assert msgs[0]["targets"] == [chat] and msgs[0]["from"] == me["im_userid"]
    assert msgs[0]["content"]["data"] == {"user_id": "g_viewer1", "live_id": lid,
                                          "gift_id": 3, "amount": 100}
    # a second gift (server biz_id) adds to the same stats row
    d2 = assert_ok(client_call(srv, "POST", "/client/gift/send", vtok,
                               {"live_id": lid, "gift_id": 4, "amount": 1}))
    assert d2["biz_id"].isdigit() and d2["biz_id"] != "client-key-1"
    assert srv.sql("SELECT count FROM stats_single_live WHERE type = 7 AND live_id = '%s'"
                   % lid) == [["101"]]
    # the same key for another gift is refused
    assert_error(client_call(srv, "POST", "/client/gift/send", vtok, dict(body, amount=1)),
                 400, 10001)
    assert_error(client_call(srv, "POST", "/client/gift/send", atok, body), 400, 10001)


def test_send_refused_and_failures(srv, fake):
    _, lid, _ = room(srv, "g_anchor2")
    vtok = viewer(srv, "g_viewer2", lid)
    custom_gift(srv)
    send = lambda key, **kw: client_call(srv, "POST", "/client/gift/send", vtok,
                                         dict({"live_id": lid, "gift_id": 1, "amount": 7,
                                               "biz_id": key}, **kw))
    fake.reply("pay", {"code": 40001, "message": "余额不足"}, count=1)
    r = send("k-refused")
    assert_error(r, 200, 40001, "余额不足")
    # the refusal is final for that key: replayed without calling the hook again
    assert_error(send("k-refused"), 200, 20002, "PayGift Failure")
    assert len(pay_calls(fake, "k-refused")) == 1
    fake.reply("pay", {"code": 7}, count=1)
    assert_error(send("k-nomsg"), 200, 7, "PayGift Failure")
    for mode in ("down", "empty", "drop"):
        # count 2: libcurl re-sends once (same biz_id) when a reused connection dies unanswered
        fake.fail("pay", mode, count=2)
        assert_error(send("k-" + mode), 200, 20002, "PayGift Failure")
        fake.reset()
    fake.reply("pay", {"message": "no code"}, count=1)
    assert_error(send("k-nocode"), 200, 20002)
    fake.fail("pay", "slow", count=1, delay=3)
    t0 = time.monotonic()
    assert_error(send("k-slow"), 200, 20002)
    assert time.monotonic() - t0 < 2.5
    rows = srv.sql("SELECT biz_id, status FROM live_gift WHERE live_id = '%s' ORDER BY id" % lid)
    assert all(st == "2" for _, st in rows) and len(rows) == 7
    assert srv.sql("SELECT COUNT(*) FROM stats_single_live WHERE type = 7 AND live_id = '%s'"
                   % lid) == [["0"]]
    assert srv.sql("SELECT COUNT(*) FROM outbox WHERE topic = 'gift_send' AND live_id = '%s'"
                   % lid) == [["0"]]
    # unknown live, bad bodies
    assert_error(send("k-x", live_id="nope"), 200, 20002, "PayGift Failure")
    assert_error(send("k-y", amount=-1), 400, 400)
    assert_error(send("k-z", gift_id="3"), 400, 400)
    assert_error(client_call(srv, "POST", "/client/gift/send", vtok, {"gift_id": 1}), 400, 400)
    assert_error(client_call(srv, "POST", "/client/gift/send", vtok), 400, 400)
    # an abandoned pending row is re-asked with the same biz_id once stale, then paid once
    srv.sql("INSERT INTO live_gift (biz_id, live_id, user_id, anchor_id, gift_id, amount, status,"
            " created_at, updated_at) VALUES ('k-stale', '%s', 'g_viewer2', 'g_anchor2', 1, 7, 0,"
            " '2020-01-01 00:00:00', '2020-01-01 00:00:00')" % lid)
    assert assert_ok(send("k-stale"))["status"] == 1
    assert len(pay_calls(fake, "k-stale")) == 1
    assert_ok(send("k-stale"))
    assert len(pay_calls(fake, "k-stale")) == 1
    # a fresh pending row (another request is still paying it) is not charged again
    srv.sql("UPDATE live_gift SET status = 0 WHERE biz_id = 'k-down'")
    n = len(pay_calls(fake, "k-down"))
    assert_error(send("k-down"), 200, 20002, "PayGift Failure")
    assert len(pay_calls(fake, "k-down")) == n


def wait_for(pred, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not pred() and time.monotonic() < deadline:
        time.sleep(0.1)
    return pred()


def test_paid_gift_outlives_its_client(make_server, fake):
    """Once the payment hook has been called the send runs to its end: a client that hangs up
    while the hook takes its time, or a request whose deadline passes meanwhile, still gets its
    gift recorded exactly once when the hook says paid, and a retry of the same biz_id replays
    it without a second charge."""
    s = make_server(extra="gift:\n  gift_addr: %s\n  timeout_ms: 4000\n" % fake.url("pay") +
                    "callback:\n  addr: %s\n" % fake.url("callback"),
                    httpq="  request_timeout_ms: 1000\n").start()
    _, lid, _ = room(s, "g_anchor9")
    vtok = viewer(s, "g_viewer9", lid)
    custom_gift(s)
    body = json.dumps({"live_id": lid, "gift_id": 1, "amount": 5, "biz_id": "gone-paid"})
    fake.fail("pay", "slow", count=1, delay=2.0)
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(("POST /client/gift/send HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: %s"
                  "\r\nContent-Length: %d\r\n\r\n%s" % (vtok, len(body), body)).encode())
    assert wait_for(lambda: pay_calls(fake, "gone-paid"), 10)
    sock.close()
    status = lambda k: s.sql("SELECT status FROM live_gift WHERE biz_id = '%s'" % k)
    assert wait_for(lambda: status("gone-paid") == [["1"]]), status("gone-paid")
    # a client that stays past the request's deadline gets no answer in time, yet its gift too
    # is recorded once the hook answers
    fake.fail("pay", "slow", count=1, delay=2.0)
    late = {"live_id": lid, "gift_id": 1, "amount": 6, "biz_id": "late-paid"}
    assert client_call(s, "POST", "/client/gift/send", vtok, late).status_code == 503
    assert wait_for(lambda: status("late-paid") == [["1"]]), status("late-paid")
    for key in ("gone-paid", "late-paid"):
        assert len(pay_calls(fake, key)) == 1
    assert s.sql("SELECT count FROM stats_single_live WHERE type = 7 AND live_id = '%s'"
                 % lid) == [["11"]]
    assert assert_ok(server_call(s, "GET", "/server/gift/list/live/" + lid))["total_count"] == 2
    assert s.sql("SELECT COUNT(*) FROM outbox WHERE topic = 'gift_send' AND live_id = '%s'"
                 % lid) == [["2"]]
    d = assert_ok(client_call(s, "POST", "/client/gift/send", vtok, json.loads(body)))
    assert (d["biz_id"], d["status"]) == ("gone-paid", 1)
    assert len(pay_calls(fake, "gone-paid")) == 1
    assert s.stop() == 0


def test_lists(srv, fake):
    atok, lid, _ = room(srv, "g_anchor3")
    vtok = viewer(srv, "g_viewer3", lid)
    custom_gift(srv)
    for i in range(3):
        assert_ok(client_call(srv, "POST", "/client/gift/send", vtok,
                              {"live_id": lid, "gift_id": 1, "amount": i + 1}))
    page = assert_ok(client_call(srv, "GET", "/client/gift/list/anchor?page_size=2", atok))
    assert (page["total_count"], page["page_total"], page["end_page"]) == (3, 2, False)
    row = page["list"][0]
    assert list(row.keys()) == ["id", "biz_id", "user_id", "gift_id", "amount", "status",
                                "live_id", "anchor_id", "created_at", "updated_at"]
    assert (row["amount"], row["status"], row["anchor_id"]) == (1, 1, "g_anchor3")
    page2 = assert_ok(client_call(srv, "GET", "/client/gift/list/anchor?page_size=2&page_num=2",
                                  atok))
    assert [r["amount"] for r in page2["list"]] == [3] and page2["end_page"] is True
    mine = assert_ok(client_call(srv, "GET", "/client/gift/list/user", vtok))
    assert mine["total_count"] == 3 and len(mine["list"]) == 3
    live = assert_ok(client_call(srv, "GET", "/client/gift/list/live/" + lid, atok))
    assert live["total_count"] == 3
    assert_error(client_call(srv, "GET", "/client/gift/list/live/" + lid, vtok), 404, 404)
    assert_error(client_call(srv, "GET", "/client/gift/list/live/none", atok), 404, 404)
    for path in ("/server/gift/list/live/" + lid, "/server/gift/list/anchor/g_anchor3",
                 "/server/gift/list/user/g_viewer3"):
        assert assert_ok(server_call(srv, "GET", path))["total_count"] == 3
    assert assert_ok(server_call(srv, "GET", "/server/gift/list/user/nobody")) == {
        "total_count": 0, "page_total": 0, "end_page": True, "list": []}
    for q in ("page_size=0", "page_size=x", "page_num=0", "page_size=101"):
        assert_error(client_call(srv, "GET", "/client/gift/list/user?" + q, vtok), 400, 400)


def test_no_gift_section_and_test_hook(make_server, fake):
    plain = make_server().start()
    tok = user_token(plain, "g_plain")
    assert client_call(plain, "GET", "/client/gift/config/-1", tok).status_code == 404
    assert requests.post(plain.url("/manager/gift/test"), json={}).status_code == 404
    off = make_server(extra=gift_yaml(fake)).start()
    assert requests.post(off.url("/manager/gift/test"), json={}).status_code == 404
    on = make_server(extra=gift_yaml(fake, "  test_hook: true\n")).start()
    assert assert_ok(requests.post(on.url("/manager/gift/test"), json={"biz_id": "1"})) == \
        {"status": 1}
    assert_error(requests.post(on.url("/manager/gift/test"), data="{bad"), 400, 400)


def test_send_rules(srv, fake):
    """The room is on air, the sender in it, the gift configured and the amount its price (any
    positive amount for price 0); integers beyond the INT columns are a 400 on every store."""
    custom_gift(srv, 21)
    assert_ok(server_call(srv, "POST", "/server/gift/config",
                          {"gift_id": 22, "type": 9, "name": "Fixed", "amount": 50}))
    atok, lid, _ = room(srv, "g_anchor5")
    inside = viewer(srv, "g_viewer5", lid)
    outside = user_token(srv, "g_outsider5")
    send = lambda tok, **kw: client_call(srv, "POST", "/client/gift/send", tok,
                                         dict({"live_id": lid, "gift_id": 22, "amount": 50}, **kw))
    n_pay = len(fake.calls("pay"))
    assert_error(send(outside), 400, 400, "sender is not in the live room")
    assert_error(send(inside, gift_id=999), 400, 400, "gift not found")
    assert_error(send(inside, amount=49), 400, 400, "amount must equal the gift's price")
    assert_error(send(inside, gift_id=21, amount=0), 400, 400)
    for big in (2 ** 31, 2 ** 62, -2 ** 31 - 1):
        assert_error(send(inside, gift_id=21, amount=big), 400, 400)
        assert_error(send(inside, gift_id=big), 400, 400)
    assert len(fake.calls("pay")) == n_pay  # nothing was charged
    assert srv.sql("SELECT COUNT(*) FROM live_gift WHERE live_id = '%s'" % lid) == [["0"]]
    assert assert_ok(send(inside, biz_id="rule-ok"))["amount"] == 50
    assert assert_ok(send(atok, gift_id=21, amount=3))["user_id"] == "g_anchor5"
    # the counter saturates at the column's maximum instead of failing after the payment
    for _ in range(2):
        assert_ok(send(inside, gift_id=21, amount=2 ** 31 - 1))
    assert srv.sql("SELECT count FROM stats_single_live WHERE type = 7 AND live_id = '%s' "
                   "AND user_id = 'g_viewer5'" % lid) == [[str(2 ** 31 - 1)]]
    # a room that stopped takes no gifts, but a stored key still replays its outcome
    assert_ok(client_call(srv, "DELETE", "/client/live/room/" + lid, atok))
    assert_error(send(inside), 400, 400, "live room is not on air")
    assert assert_ok(send(inside, biz_id="rule-ok"))["status"] == 1
    # prices: within the INT column and not negative
    for bad in (2 ** 31, -1):
        assert_error(server_call(srv, "POST", "/server/gift/config",
                                 {"gift_id": 23, "name": "X", "amount": bad}), 400, 400)
    assert_error(server_call(srv, "POST", "/server/gift/config",
                             {"gift_id": 2 ** 40, "name": "X", "amount": 1}), 400, 400)
