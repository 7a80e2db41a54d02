"""Every PromQL expression of the Grafana dashboard names metrics that qnlive really exports:
checked against /metrics of a server that has served requests, run its cron jobs and called
an upstream (the fake IM)."""
import time

import requests

from conftest import im_yaml
from dashboard_metrics import expressions, exposed_names, missing
from helpers import assert_ok, client_call, user_token
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
