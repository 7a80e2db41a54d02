"""Business callbacks through the durable outbox (spec 03 §7, spec 01 §10.1)."""
import time

from helpers import assert_ok, client_call, user_token

ROOM_EVENTS = ["live_created", "live_started", "live_stopped", "live_deleted"]


def room_lifecycle(srv, anchor):
    """Creates, starts, stops and deletes a room: four events in that order."""
    tok = user_token(srv, anchor)
    live_id = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                    {"title": "cb"}))["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/%s" % live_id, tok))
    assert_ok(client_call(srv, "DELETE", "/client/live/room/%s" % live_id, tok))
    assert_ok(client_call(srv, "DELETE", "/client/live/room/instance/%s" % live_id, tok))
    return live_id


def delivered(fake):
    """Successful callback calls as (event id, type, live_id) tuples, in arrival order."""
    out = []
    for c in fake.calls("callback"):
        if c.get("fault") or c.get("status") != 200 or not isinstance(c.get("body"), dict):
            continue
        b = c["body"]
        out.append((c["headers"].get("x-qnlive-event-id"), b["type"], b["body"].get("live_id")))
    return out


def wait_for(pred, timeout=40):
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            return False
        time.sleep(0.2)
    return True


def pending(srv):
    return int(srv.sql("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL")[0][0])


def test_events_survive_a_down_receiver_in_order(make_server, fake):
    fake.reset()
    srv = make_server(extra="callback:\n  addr: %s\n" % fake.url("callback")).start()
    fake.fail("callback", "down", count=4)
    rooms = [room_lifecycle(srv, "cb_anchor%d" % i) for i in range(3)]
    # the requests did not wait: every event is stored before any delivery succeeded
    assert int(srv.sql("SELECT COUNT(*) FROM outbox")[0][0]) == 12
    assert wait_for(lambda: pending(srv) == 0), srv.sql("SELECT id, attempts, last_error FROM outbox")
    got = delivered(fake)
    ids = [g[0] for g in got]
    assert len(ids) == len(set(ids)) == 12, got           # once per event id
    for live_id in rooms:
        assert [g[1] for g in got if g[2] == live_id] == ROOM_EVENTS
        room_ids = [int(g[0]) for g in got if g[2] == live_id]
        assert room_ids == sorted(room_ids)
    # the failures were retried: 4 refused calls plus 12 accepted ones
    assert len(fake.calls("callback")) == 16
    created = next(c["body"] for c in fake.calls("callback") if c["body"]["type"] == "live_created")
    assert created["body"]["live_id"] in rooms and "anchor_id" in created["body"]
    retried = srv.sql("SELECT COUNT(*) FROM outbox WHERE attempts > 1")
    assert int(retried[0][0]) >= 1


def test_non_zero_code_is_retried(make_server, fake):
    fake.reset()
    srv = make_server(extra="callback:\n  addr: %s\n" % fake.url("callback")).start()
    fake.fail("callback", "error", count=2)    # HTTP 200 with {"code": 1}
    live_id = room_lifecycle(srv, "cb_anchor_err")
    assert wait_for(lambda: pending(srv) == 0)
    got = [g for g in delivered(fake) if g[2] == live_id]
    ok_calls = [c for c in fake.calls("callback") if c["body"]["body"].get("live_id") == live_id]
    assert len(ok_calls) == 6                   # 2 refused + 4 accepted
    assert [g[1] for g in got][-4:] == ROOM_EVENTS


def test_no_callback_addr_stores_nothing(server):
    room_lifecycle(server, "cb_anchor_off")
    assert server.sql("SELECT COUNT(*) FROM outbox") == [["0"]]
