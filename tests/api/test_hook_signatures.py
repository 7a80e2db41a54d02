"""Calls to the business server are signed: the payment hook and every business callback carry
X-Qnlive-Timestamp and X-Qnlive-Signature = sha256=<hex HMAC-SHA256(secret, ts + "." + body)>
when a secret is configured; without one they go unsigned and the start-up log says so."""
import hashlib
import hmac
import time

from conftest import im_yaml
from helpers import assert_ok, client_call, run_job, server_call, user_token

PAY_SECRET = "pay-secret-0123456789abcdef"
CB_SECRET = "callback-secret-0123456789abcdef"


def config(fake, signed):
    y = im_yaml(fake) + "gift:\n  gift_addr: %s\n" % fake.url("pay")
    if signed:
        y += "  secret: %s\n" % PAY_SECRET
    y += "callback:\n  addr: %s\n" % fake.url("callback")
    if signed:
        y += "  secret: %s\n" % CB_SECRET
    return y


def send_gift(srv, anchor, viewer, biz_id):
    atok = user_token(srv, anchor)
    lid = assert_ok(client_call(srv, "POST", "/client/live/room/instance", atok,
                                {"title": "s"}))["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, atok, {}))
    vtok = user_token(srv, viewer)
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, vtok, {}))
    assert_ok(server_call(srv, "POST", "/server/gift/config",
                          {"gift_id": 1, "name": "c", "amount": 0}))
    assert_ok(client_call(srv, "POST", "/client/gift/send", vtok,
                          {"live_id": lid, "gift_id": 1, "amount": 3, "biz_id": biz_id}))
    return lid


def expected(secret, call):
    ts = call["headers"]["x-qnlive-timestamp"]
    mac = hmac.new(secret.encode(), ts.encode() + b"." + call["raw_body"].encode(),
                   hashlib.sha256).hexdigest()
    return "sha256=" + mac


def test_payment_hook_and_callbacks_are_signed(make_server, fake):
    fake.reset()
    srv = make_server(extra=config(fake, True)).start()
    lid = send_gift(srv, "sg_anchor", "sg_viewer", "sig-1")
    pay = [c for c in fake.calls("pay") if (c["body"] or {}).get("biz_id") == "sig-1"][0]
    assert abs(int(pay["headers"]["x-qnlive-timestamp"]) - time.time()) < 300
    assert pay["headers"]["x-qnlive-signature"] == expected(PAY_SECRET, pay)
    run_job(srv, "DeliverCallbacks")
    assert any(c["body"]["type"] == "gift_send" for c in fake.calls("callback") if c.get("body"))
    cbs = [c for c in fake.calls("callback") if c.get("body")]
    assert {c["body"]["body"].get("live_id") for c in cbs} >= {lid}
    for c in cbs:
        assert c["headers"]["x-qnlive-signature"] == expected(CB_SECRET, c), c
        assert c["headers"]["x-qnlive-signature"] != expected(PAY_SECRET, c)
    assert "secret is not set" not in srv.read_log()
    assert PAY_SECRET not in srv.read_log() and CB_SECRET not in srv.read_log()


def test_unsigned_without_a_secret_and_warned(make_server, fake):
    fake.reset()
    srv = make_server(extra=config(fake, False)).start()
    send_gift(srv, "ug_anchor", "ug_viewer", "unsig-1")
    pay = [c for c in fake.calls("pay") if (c["body"] or {}).get("biz_id") == "unsig-1"][0]
    assert "x-qnlive-signature" not in pay["headers"]
    run_job(srv, "DeliverCallbacks")
    assert len(fake.calls("callback")) > 0
    assert all("x-qnlive-signature" not in c["headers"] for c in fake.calls("callback"))
    log = srv.read_log()
    assert "callback.secret is not set" in log and "gift.secret is not set" in log
