"""Every PromQL expression of the Grafana dashboard names metrics that qnlive really exports:
checked against /metrics of a server that has served requests, run its cron jobs and called
an upstream (the fake IM)."""
import time

import requests

from conftest import im_yaml
from dashboard_metrics import expressions, exposed_names, missing
from helpers import assert_error, assert_ok, client_call, run_job, server_call, user_token
from qnlive_server import free_port


def test_dashboard_queries_name_exported_metrics(make_server, fake):
    port = free_port()
    s = make_server(extra=im_yaml(fake) + "prome:\n  client_mode: exporter\n"
                    "  exporter_config:\n    listen_addr: 127.0.0.1:%d\n" % port).start()
    exprs = expressions()
    assert len(exprs) >= 20
    tok = user_token(s, "dash_u1")  # creates the user: an IM registration call
    assert_ok(client_call(s, "POST", "/client/live/room/instance", tok,
                          {"title": "dashboard room"}))
    # cron jobs and the IM registration run in the background: wait until their families
    # appear (generous bound, no timing assertion)
    deadline = time.time() + 60
    while True:
        text = requests.get("http://127.0.0.1:%d/metrics" % port, timeout=10).text
        problems = missing(exprs, exposed_names(text))
        if not problems or time.time() > deadline:
            break
        time.sleep(0.5)
    assert not problems, "\n".join("%s: %s" % p for p in problems)


def test_checker_catches_unknown_and_foreign_metrics():
    exported = {"qnlive_rooms", "qnlive_http_api_bucket"}
    assert missing(['sum by (status) (qnlive_rooms{status="qnlive_nope"})'], exported) == []
    assert missing(["rate(qnlive_nope_total[1m])"], exported) == [
        ("rate(qnlive_nope_total[1m])", "unknown metric qnlive_nope_total")]
    assert missing(["up"], exported) == [("up", "names no qnlive metric")]


def metric_values(port):
    """{sample name with labels: value} from /metrics."""
    text = requests.get("http://127.0.0.1:%d/metrics" % port, timeout=10).text
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key] = float(value)
    return out


def test_business_metrics_follow_the_api(make_server, fake):
    port = free_port()
    s = make_server(extra=im_yaml(fake) + "gift:\n  gift_addr: %s\n" % fake.url("pay") +
                    "prome:\n  client_mode: exporter\n  exporter_config:\n"
                    "    listen_addr: 127.0.0.1:%d\n" % port).start()
    m = metric_values(port)
    assert m['qnlive_rooms{status="prepare"}'] == 0 and m["qnlive_room_joins_total"] == 0
    assert m['qnlive_dependency_up{dependency="store"}'] == 1
    assert m['qnlive_dependency_up{dependency="cache"}'] == 1
    assert m['qnlive_store_pool_open_connections{pool="rw"}'] >= 1

    atok = user_token(s, "bm_anchor")
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", atok,
                                {"title": "metrics"}))["live_id"]
    assert metric_values(port)['qnlive_rooms{status="prepare"}'] == 1
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, atok))
    vtok = user_token(s, "bm_viewer")
    assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, vtok))
    assert_ok(client_call(s, "GET", "/client/live/room/heartbeat/" + lid, vtok))
    assert_ok(client_call(s, "PUT", "/client/live/room/%s/like" % lid, vtok, {"count": 4}))
    # a gift must be configured before it can be sent; price 0 takes any amount
    assert_ok(server_call(s, "POST", "/server/gift/config",
                          {"gift_id": 1, "type": 9, "name": "Custom", "amount": 0}))
    assert_ok(client_call(s, "POST", "/client/gift/send", vtok,
                          {"live_id": lid, "gift_id": 1, "amount": 30, "biz_id": "bm-1"}))
    # a replay of the same biz_id is not a second gift
    assert_ok(client_call(s, "POST", "/client/gift/send", vtok,
                          {"live_id": lid, "gift_id": 1, "amount": 30, "biz_id": "bm-1"}))

    m = metric_values(port)
    assert m['qnlive_rooms{status="prepare"}'] == 0 and m['qnlive_rooms{status="on"}'] == 1
    assert m["qnlive_room_joins_total"] == 1
    # the gauge counts the presence rows, written behind the cache; the anchor is present in
    # its room too
    run_job(s, "live_presence_flush")
    m = metric_values(port)
    assert m["qnlive_online_users"] == 2
    assert m["qnlive_heartbeats_total"] == 1
    assert m["qnlive_likes_total"] == 4
    assert m["qnlive_gifts_total"] == 1 and m["qnlive_gift_amount_total"] == 30
    assert m["qnlive_im_registration_pending"] == 0  # the fake IM registered both users


def test_refusals_are_counted_apart_from_failures(make_server):
    """A rule's refusal keeps its wire answer (500 "user not in live room" here) but metrics
    and the access log name the rule instead of counting an internal failure."""
    port = free_port()
    s = make_server(extra="prome:\n  client_mode: exporter\n  exporter_config:\n"
                          "    listen_addr: 127.0.0.1:%d\n" % port).start()
    atok, vtok = user_token(s, "rf_anchor"), user_token(s, "rf_viewer")
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", atok,
                                {"title": "refusals"}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, atok))
    url = "/client/live/room/heartbeat/" + lid
    assert_error(client_call(s, "GET", url, vtok), 500, 500, "user not in live room")
    key = ('qnlive_http_refusals_total{reason="refused_not_in_room",'
           'route="/client/live/room/heartbeat/:live_id"}')
    assert metric_values(port)[key] == 1
    deadline = time.time() + 15  # the access log is written behind the response
    while "err=refused_not_in_room" not in s.read_log() and time.time() < deadline:
        time.sleep(0.1)
    assert "err=refused_not_in_room" in s.read_log()
