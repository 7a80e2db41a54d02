"""Business callbacks through the durable outbox."""
from helpers import advance_clock, assert_ok, client_call, run_job, user_token

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


def pending(srv):
    return int(srv.sql("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL "
                       "AND dead_at IS NULL")[0][0])


def deliver_all(srv, runs=20):
    """Runs the delivery worker until nothing is pending, moving the clock past the longest
    retry delay (60 s) between runs; True once the outbox is drained."""
    for _ in range(runs):
        run_job(srv, "DeliverCallbacks")
        if pending(srv) == 0:
            return True
        advance_clock(srv, 61)
    return False


def test_events_survive_a_down_receiver_in_order(make_server, fake):
    fake.reset()
    srv = make_server(extra="callback:\n  addr: %s\n" % fake.url("callback")).start()
    fake.fail("callback", "down", count=4)
    rooms = [room_lifecycle(srv, "cb_anchor%d" % i) for i in range(3)]
    # the requests did not wait: every event is stored before any delivery succeeded
    assert int(srv.sql("SELECT COUNT(*) FROM outbox")[0][0]) == 12
    assert deliver_all(srv), srv.sql("SELECT id, attempts, last_error FROM outbox")
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
    assert deliver_all(srv)
    got = [g for g in delivered(fake) if g[2] == live_id]
    ok_calls = [c for c in fake.calls("callback") if c["body"]["body"].get("live_id") == live_id]
    assert len(ok_calls) == 6                   # 2 refused + 4 accepted
    assert [g[1] for g in got][-4:] == ROOM_EVENTS


def test_no_callback_addr_stores_nothing(server):
    room_lifecycle(server, "cb_anchor_off")
    assert server.sql("SELECT COUNT(*) FROM outbox") == [["0"]]


def dead_letter_server(make_server, fake, limits):
    from qnlive_server import free_port
    port = free_port()
    srv = make_server(extra="callback:\n  addr: %s\n%sprome:\n  client_mode: exporter\n"
                            "  exporter_config:\n    listen_addr: 127.0.0.1:%d\n"
                            % (fake.url("callback"), limits, port)).start()
    return srv, "http://127.0.0.1:%d/metrics" % port


def metric(url, name):
    import requests
    for line in requests.get(url, timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None


def test_refused_event_becomes_a_dead_letter_and_the_room_flows(make_server, fake):
    from test_censor import admin_token
    fake.reset()
    srv, metrics = dead_letter_server(make_server, fake, "  max_attempts: 3\n")
    fake.reply("callback", {"code": 1, "message": "refused"}, count=3)
    live_id = room_lifecycle(srv, "cb_dead_anchor")
    assert deliver_all(srv), srv.sql("SELECT id, attempts FROM outbox")
    # the head event was tried three times, then given up; the later ones were delivered
    got = [g for g in delivered(fake) if g[2] == live_id]  # refused calls answered 200 too
    assert [g[1] for g in got] == ["live_created"] * 3 + ROOM_EVENTS[1:]
    adm = admin_token(srv, "cb_admin")
    page = assert_ok(client_call(srv, "GET", "/admin/callback/dead", adm))
    assert page["total_count"] == 1 and page["end_page"] is True
    dead = page["list"][0]
    assert (dead["type"], dead["live_id"], dead["attempts"]) == ("live_created", live_id, 3)
    assert dead["body"]["live_id"] == live_id and "code 1" in dead["last_error"]
    assert dead["dead_at"] >= dead["created_at"] > 0
    assert metric(metrics, "qnlive_callback_dead") == 1
    assert metric(metrics, "qnlive_callback_backlog") == 0
    assert metric(metrics, "qnlive_callback_oldest_age_seconds") == 0
    tok = user_token(srv, "cb_not_admin")
    assert client_call(srv, "GET", "/admin/callback/dead", tok).status_code == 403


def test_old_failing_event_becomes_a_dead_letter(make_server, fake):
    fake.reset()
    srv, metrics = dead_letter_server(make_server, fake, "  max_age_s: 600\n")
    fake.fail("callback", "down", count=1000)
    live_id = room_lifecycle(srv, "cb_old_anchor")
    # while the receiver is down the backlog and its age show
    run_job(srv, "DeliverCallbacks")
    assert metric(metrics, "qnlive_callback_backlog") == 4
    dead = "SELECT topic FROM outbox WHERE dead_at IS NOT NULL AND live_id = '%s' ORDER BY id" \
        % live_id
    assert srv.sql(dead) == []
    advance_clock(srv, 601)  # past the retry delay and the events' age limit
    run_job(srv, "DeliverCallbacks")
    assert len(srv.sql(dead)) >= 1
    fake.reset()
    assert deliver_all(srv)
    assert srv.sql(dead)[0][0] == "live_created"
    assert metric(metrics, "qnlive_callback_backlog") == 0
