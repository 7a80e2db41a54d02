"""The API and monitoring checks of deploy/test.sh, against a running compose stack.
Environment: QNLIVE_URL, PROM_URL, SERVER_AK, SERVER_SK; PYTHONPATH holds tests/api."""
import json
import os
import subprocess
import sys
import time
from urllib.parse import urlencode

import requests

from dashboard_metrics import expressions, missing
from helpers import qiniu_sign

QNLIVE = os.environ["QNLIVE_URL"]
PROM = os.environ["PROM_URL"]
AK, SK = os.environ["SERVER_AK"], os.environ["SERVER_SK"]
FAKE = os.environ["FAKE_CONTAINER"]


def fake_calls(service):
    """Calls recorded by the fake Qiniu container (reachable only inside its network)."""
    code = ("import urllib.request; print(urllib.request.urlopen("
            "'http://127.0.0.1:18080/_fake/calls?service=%s', timeout=5).read().decode())" % service)
    r = subprocess.run(["docker", "exec", FAKE, "python3", "-c", code], capture_output=True,
                       text=True, timeout=60)
    return json.loads(r.stdout) if r.returncode == 0 else None


def check(cond, what):
    if not cond:
        sys.exit("smoke test: " + what)
    print("ok:", what)


def ok_data(r):
    if r.status_code != 200 or r.json().get("code") != 0:
        sys.exit("smoke test: %s -> %s %s" % (r.request.path_url, r.status_code, r.text[:300]))
    return r.json().get("data")


def until(fn, what, timeout=180):
    """Polls fn until it returns a true value (generous bound: a loaded machine is slow)."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            check(v, what)
            return v
        time.sleep(2)


def prom_value(query):
    r = requests.get(PROM + "/api/v1/query", params={"query": query}, timeout=10)
    res = r.json()["data"]["result"] if r.status_code == 200 else []
    return float(res[0]["value"][1]) if res else None


def main():
    r = requests.get(QNLIVE + "/status", timeout=10)
    check(r.status_code == 200 and r.json().get("code") == 0 and r.json().get(
        "message") == "success", "/status on the published port")
    check(requests.get(QNLIVE + "/readyz", timeout=10).status_code == 200,
          "/readyz: MariaDB and Redis answer")

    until(lambda: fake_calls("im") is not None, "fake IM listening")
    url = QNLIVE + "/server/auth/token?" + urlencode(
        {"app_id": "deploy", "user_id": "deploy_user_1", "device_id": "d1"})
    auth = qiniu_sign("GET", url, ak=AK, sk=SK)
    token = ok_data(requests.get(url, headers={"Authorization": auth}, timeout=10))["access_token"]
    check(token, "user created, token issued (/server/auth/token)")
    h = {"Authorization": token}
    profile = ok_data(requests.get(QNLIVE + "/client/user/profile", headers=h, timeout=10))
    check(profile.get("user_id") == "deploy_user_1", "the user is stored")
    room = ok_data(requests.post(QNLIVE + "/client/live/room/instance", headers=h, timeout=10,
                                 json={"title": "deploy test room"}))
    check(room.get("live_id"), "room created")
    paths = [c["path"] for c in fake_calls("im")]
    check(any("register" in p for p in paths) and any("group" in p for p in paths),
          "IM account and chat group created through the (fake) IM service: %s" % paths)
    info = ok_data(requests.get(QNLIVE + "/client/live/room/info/" + room["live_id"], headers=h,
                                timeout=10))
    check(info.get("title") == "deploy test room", "room read back")

    until(lambda: prom_value('up{job="qnlive"}') == 1, "Prometheus: qnlive target up")
    status_q = 'sum(qnlive_http_requests_total{route="/status"})'
    before = until(lambda: prom_value(status_q), "Prometheus: /status request counter scraped")
    for _ in range(5):
        requests.get(QNLIVE + "/status", timeout=10)
    until(lambda: (prom_value(status_q) or 0) >= before + 5,
          "Prometheus: request counter increased by the requests made")
    until(lambda: (prom_value('sum(qnlive_rooms{status="prepare"})') or 0) >= 1,
          "Prometheus: business gauge shows the new room")

    def dashboard_ok():
        r = requests.get(PROM + "/api/v1/label/__name__/values", timeout=10)
        return not missing(expressions(), r.json()["data"])
    until(dashboard_ok, "every metric of the Grafana dashboard is scraped by Prometheus")


if __name__ == "__main__":
    main()
