"""The operator's console at /console/: its static files and their headers, the two admin
routes it adds, and the console itself driven in headless Chromium against the real binary,
with the fakes standing in for IM, moderation, payment and the business server.

Screenshots of every page go to $QNLIVE_SCREENSHOTS (or a temporary directory, printed), never
into the repository."""
import http.client
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import im_yaml
from helpers import assert_error, assert_ok, client_call, run_job, user_token
from qnlive_server import BIN, Server

CHROMEDRIVER = "/usr/bin/chromedriver"
PASSWORD = "console-pass-1"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PILI = ("pili:\n  hub: hub1\n  stream_pattern: s-%s\n"
        "  publish_domain: pub.example.com\n  security_type: none\n"
        "  rtmp_play_url: rtmp://rtmp.example.com\n  flv_play_url: https://flv.example.com\n"
        "  hls_play_url: https://hls.example.com\n")


def add_admin(s, name):
    """The first admin, made as the README says: `qnlive admin add` on the server's config."""
    r = subprocess.run([BIN, "admin", "add", name, "-f", s.config],
                       input="%s\n%s\n" % (PASSWORD, PASSWORD), capture_output=True, text=True,
                       timeout=120, env=s.env, cwd=s.tmp)
    assert r.returncode == 0, r.stderr


def admin_login(s, name):
    r = requests.post(s.url("/manager/login"), json={"user_name": name, "password": PASSWORD},
                      timeout=30)
    return assert_ok(r)["access_token"]


# the fakes refuse Pili and moderation calls not signed with the account keys (conftest.py)
FAKE_CHECKS_ACCOUNT_KEYS = True


@pytest.fixture(scope="module")
def env(fake):
    """One server with every console-facing module on: moderation (the fake), gifts (the fake
    payment hook), business callbacks (the fake business server), IM and Pili."""
    s = Server(extra=im_yaml(fake) + PILI +
               "gift:\n  gift_addr: %s\n  timeout_ms: 800\n" % fake.url("pay") +
               "callback:\n  addr: %s\n" % fake.url("callback"))
    with open(s.config, "a") as f:  # the moderation hook URL needs the server's own port
        f.write("censor:\n  bucket: frames\n  addr: https://cdn.example.com\n"
                "  endpoint: %s\n  timeout_ms: 2000\n  callback: %s\n"
                % (fake.url("censor"), s.base))
    s.start()
    add_admin(s, "operator")
    yield s
    assert s.stop() == 0


# ---- static files ------------------------------------------------------------------------------

def raw_get(s, path):
    """GET with the path sent exactly as written (requests would normalise dot segments)."""
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


@pytest.mark.parametrize("path,ctype", [
    ("/console", "text/html; charset=utf-8"),
    ("/console/", "text/html; charset=utf-8"),
    ("/console/index.html", "text/html; charset=utf-8"),
    ("/console/app.js", "text/javascript; charset=utf-8"),
    ("/console/app.css", "text/css; charset=utf-8"),
    ("/console/favicon.svg", "image/svg+xml"),
])
def test_files_are_served_with_strict_headers(server, path, ctype):
    r = requests.get(server.url(path), timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == ctype
    assert r.headers["Content-Security-Policy"] == CSP
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Cache-Control"] == "no-cache"
    assert len(r.content) > 100


def test_the_page_has_no_inline_code_and_names_no_other_host(server):
    html = requests.get(server.url("/console/"), timeout=10).text
    assert "<style" not in html and not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+\s*=", html)  # no inline event handlers
    for tag in ("<script", "<link"):
        for chunk in html.split(tag)[1:]:
            head = chunk.split(">")[0]
            assert "src=" in head or "href=" in head, head
            assert "//" not in head, head  # same origin only
    assert "<script>" not in html


@pytest.mark.parametrize("path", [
    "/console/nope.js", "/console/index.htm", "/console/.hidden.js", "/console/..",
    "/console/%2e%2e", "/console/%2E%2E/src/app.c", "/console/../src/app.c",
    "/console/..%2fCMakeLists.txt", "/console/..%2f..%2fetc%2fpasswd", "/console/a/b.js",
    "/console/%00.js", "/console/app.js%00.html",
])
def test_unknown_files_and_traversal_are_404(server, path):
    status, body = raw_get(server, path)
    # a NUL byte is refused at the HTTP edge before any route (400)
    assert status == (400 if "%00" in path else 404), (path, body)
    assert b"#include" not in body and b"root:" not in body


def test_a_file_refuses_other_methods(server):
    assert requests.post(server.url("/console/app.js"), timeout=10).status_code == 404


# ---- the admin routes the console reads ------------------------------------------------------

def test_summary_needs_an_admin_and_counts_requests(env):
    s = env
    assert_error(requests.get(s.url("/admin/node/summary"), timeout=10), 401, 401)
    tok = user_token(s, "not_an_admin")
    assert requests.get(s.url("/admin/node/summary"), headers={"Authorization": tok},
                        timeout=10).status_code in (401, 403, 405)
    adm = admin_login(s, "operator")
    h = {"Authorization": adm}
    a = assert_ok(requests.get(s.url("/admin/node/summary"), headers=h, timeout=10))
    for _ in range(5):
        requests.get(s.url("/healthz"), timeout=10)
    b = assert_ok(requests.get(s.url("/admin/node/summary"), headers=h, timeout=10))
    assert b["version"] and b["version"] == a["version"]
    assert b["uptime_s"] >= a["uptime_s"] >= 0 and b["start_time"] > 1600000000
    assert b["requests_total"] >= a["requests_total"] + 6
    assert b["in_flight"] >= 1  # this request
    lat = b["latency"]
    assert lat["bounds_ms"] == [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
    assert len(lat["cumulative"]) == 12 and lat["cumulative"][-1] == b["requests_total"]
    assert lat["cumulative"] == sorted(lat["cumulative"]) and lat["sum_us"] >= 0
    assert b["now_ms"] >= a["now_ms"]


def test_rooms_list_shows_live_figures(env):
    s = env
    adm = admin_login(s, "operator")
    h = {"Authorization": adm}
    anchor = user_token(s, "con_list_anchor")
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", anchor,
                                {"title": "Figures"}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, anchor, {}))
    viewer = user_token(s, "con_list_viewer")
    assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, viewer, {}))
    d = assert_ok(requests.get(s.url("/admin/console/rooms?page_size=50"), headers=h,
                               timeout=10))
    room = next(r for r in d["list"] if r["live_id"] == lid)
    assert room["title"] == "Figures" and room["anchor_id"] == "con_list_anchor"
    assert room["live_status"] == 1 and room["online_count"] == 2 and room["start_at"] > 0
    assert room["likes"] == 0 and room["gifts"] == 0 and room["stop_reason"] == ""
    found = assert_ok(requests.get(s.url("/admin/console/rooms?q=Figu"), headers=h, timeout=10))
    assert [r["live_id"] for r in found["list"]] == [lid]
    none = assert_ok(requests.get(s.url("/admin/console/rooms?q=zzzz-none"), headers=h,
                                  timeout=10))
    assert none["list"] == [] and none["total_count"] == 0
    assert_error(requests.get(s.url("/admin/console/rooms?page_size=51"), headers=h,
                              timeout=10), 400, 400)
    assert_error(requests.get(s.url("/admin/console/rooms")), 401, 401)
    assert_ok(client_call(s, "DELETE", "/client/live/room/" + lid, anchor))


def test_rooms_list_shows_each_rooms_own_likes(env):
    """The totals of a page's rooms are read together: each room gets its own."""
    s = env
    h = {"Authorization": admin_login(s, "operator")}
    rooms = {}
    for name, likes in (("con_likes_a", 3), ("con_likes_b", 5)):
        anchor = user_token(s, name)
        lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", anchor,
                                    {"title": name}))["live_id"]
        assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, anchor, {}))
        viewer = user_token(s, name + "_viewer")
        assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, viewer, {}))
        assert_ok(client_call(s, "PUT", "/client/live/room/%s/like" % lid, viewer,
                              {"count": likes}))
        rooms[lid] = (anchor, likes)
    shown = {}
    deadline = time.monotonic() + 30  # likes reach the statistics by their write-behind
    while time.monotonic() < deadline:
        d = assert_ok(requests.get(s.url("/admin/console/rooms?page_size=50"), headers=h,
                                   timeout=10))
        shown = {r["live_id"]: r["likes"] for r in d["list"] if r["live_id"] in rooms}
        if shown == {lid: likes for lid, (_, likes) in rooms.items()}:
            break
        time.sleep(0.2)
    assert shown == {lid: likes for lid, (_, likes) in rooms.items()}
    for lid, (anchor, _) in rooms.items():
        assert_ok(client_call(s, "DELETE", "/client/live/room/" + lid, anchor))


# ---- the console in a browser ------------------------------------------------------------------

@pytest.fixture(scope="module")
def shots():
    d = os.environ.get("QNLIVE_SCREENSHOTS") or tempfile.mkdtemp(prefix="qnlive-console-shots-")
    os.makedirs(d, exist_ok=True)
    print("\nconsole screenshots: %s" % d)
    return d


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMEDRIVER) or not shutil.which("chromium"):
        pytest.skip("chromium and chromium-driver are not installed (scripts/install-deps.sh)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium")
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
              "--window-size=1280,900", "--no-first-run", "--disable-extensions",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-default-apps"):
        opts.add_argument(a)
    profile = tempfile.mkdtemp(prefix="qnlive-console-chromium-")
    opts.add_argument("--user-data-dir=" + profile)
    opts.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    d.set_page_load_timeout(30)
    yield d
    d.quit()
    shutil.rmtree(profile, ignore_errors=True)


class Console:
    """The browser on one server's console, with the checks every page shares."""

    def __init__(self, driver, srv, shots):
        self.d = driver
        self.s = srv
        self.shots = shots
        self.requested = []

    def wait(self, cond, timeout=15, what="condition"):
        from selenium.webdriver.support.ui import WebDriverWait
        return WebDriverWait(self.d, timeout, poll_frequency=0.1).until(
            lambda d: cond(), message=what)

    def find(self, css):
        from selenium.webdriver.common.by import By
        return self.d.find_element(By.CSS_SELECTOR, css)

    def finds(self, css):
        from selenium.webdriver.common.by import By
        return self.d.find_elements(By.CSS_SELECTOR, css)

    def retry(self, fn):
        """Tables are rebuilt when they refresh: an element may go stale between find and use."""
        from selenium.common.exceptions import StaleElementReferenceException
        for _ in range(20):
            try:
                return fn()
            except StaleElementReferenceException:
                time.sleep(0.05)
        return fn()

    def click(self, css):
        self.retry(lambda: self.find(css).click())

    def text(self, css):
        return self.retry(lambda: self.find(css).text)

    def visible(self, css):
        return self.retry(lambda: bool(self.finds(css)) and self.finds(css)[0].is_displayed())

    def open(self, path="/console/"):
        self.d.get(self.s.url(path))
        self.wait(lambda: self.visible("#login-form") or self.visible("#app"), what="page")

    def login(self, user, password):
        from selenium.webdriver.common.keys import Keys
        u = self.find("#login-user")
        u.clear()
        u.send_keys(user)
        u.send_keys(Keys.TAB)  # the keyboard alone reaches the password and submits
        self.d.switch_to.active_element.send_keys(password + Keys.ENTER)

    def page(self, name):
        from selenium.webdriver.common.keys import Keys
        tab = self.find('.tab[data-page="%s"]' % name)
        tab.send_keys(Keys.ENTER)  # a real button: keyboard-activated
        self.wait(lambda: self.visible("#page-" + name), what="page " + name)

    def shot(self, name):
        self.d.save_screenshot(os.path.join(self.shots, name + ".png"))

    def drain_requests(self):
        """URLs the browser requested since the last call (from its network log)."""
        import json
        for entry in self.d.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") != "Network.requestWillBeSent":
                continue
            # what the console's pages asked for (the browser's own start page is not ours)
            if msg["params"].get("documentURL", "").startswith(self.s.base + "/"):
                self.requested.append(msg["params"]["request"]["url"])
        return self.requested

    def assert_only_qnlive(self):
        urls = self.drain_requests()
        assert urls, "no request seen"
        foreign = [u for u in urls if not (u.startswith(self.s.base + "/") or
                                           u.startswith("data:") or u == "about:blank")]
        assert not foreign, foreign

    def assert_no_csp_violation(self):
        logs = self.d.get_log("browser")
        bad = [e for e in logs if "Content Security Policy" in e.get("message", "") or
               "Refused to" in e.get("message", "")]
        assert not bad, bad


def test_console_in_a_browser(env, fake, browser, shots):
    s = env
    c = Console(browser, s, shots)
    browser.set_window_size(1280, 900)
    browser.get_log("performance")  # forget what the browser did before the test

    # a failed login: an error, no token kept
    c.open()
    c.shot("01-login")
    c.login("operator", "wrong-password")
    c.wait(lambda: c.visible("#login-error"), what="login error")
    assert c.text("#login-error") == "Login failed: Invalid username or password"
    assert browser.execute_script("return sessionStorage.length") == 0
    assert c.visible("#login-form") and not c.visible("#app")
    c.shot("02-login-failed")

    # a room on air with an audience: it appears with its online count
    anchor = user_token(s, "con_anchor")
    lid = assert_ok(client_call(s, "POST", "/client/live/room/instance", anchor,
                                {"title": "<b>Evening</b> show & \"quotes\""}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, anchor, {}))
    assert_ok(client_call(s, "POST", "/client/live/room/user/" + lid, user_token(s, "con_v1"),
                          {}))
    # the moderation service flags one frame of it: the review queue has it
    jobs = [j for j, v in fake.censor_jobs().items() if v["body"]["data"]["id"] == lid]
    assert len(jobs) == 1, fake.censor_jobs()
    assert fake.censor_fire(jobs[0], timestamp=int(time.time()), suggestion="review",
                            scenes={"pulp": "review"})["status"] == 200

    c.login("operator", PASSWORD)
    c.wait(lambda: c.visible("#page-rooms"), what="rooms page")
    row = 'tr[data-live-id="%s"]' % lid
    c.wait(lambda: c.finds(row), what="the room's row")
    # every value is text: the title's markup shows as typed, no element was made of it
    assert c.text(row + " td.title").startswith('<b>Evening</b> show & "quotes"')
    assert not c.finds(row + " td.title b")
    assert c.text(row + " td.online") == "2"
    assert c.text(row + " td.status") == "on air"
    assert "con_anchor" in c.text(row + " td.anchor")
    assert c.retry(lambda: c.find(row + " button.stop").is_enabled())
    # the token is in sessionStorage, never in the URL
    token = browser.execute_script("return sessionStorage.getItem('qnlive.console.token')")
    assert token and token not in browser.current_url
    c.shot("03-rooms")
    c.assert_only_qnlive()
    assert all(token not in u for u in c.requested)

    # stop it with a reason, after a confirmation; live_stopped reaches the business server
    c.click(row + " button.stop")
    c.wait(lambda: c.visible("#confirm"), what="confirmation")
    c.find("#confirm-reason").send_keys("test: policy violation")
    c.shot("04-rooms-stop-confirm")
    c.click("#confirm-cancel")  # cancel first: nothing happens
    c.wait(lambda: not c.visible("#confirm"), what="dialog closed")
    info = assert_ok(client_call(s, "GET", "/client/live/room/info/" + lid, anchor))
    assert info["live_status"] == 1
    c.click(row + " button.stop")
    c.wait(lambda: c.visible("#confirm"), what="confirmation")
    c.find("#confirm-reason").send_keys("test: policy violation")
    c.click("#confirm-ok")
    c.wait(lambda: "stopped" in c.text("#flash"), what="stop acknowledged")
    info = assert_ok(client_call(s, "GET", "/client/live/room/info/" + lid, anchor))
    assert info["live_status"] == 2
    logged = s.sql("SELECT args FROM operation_log WHERE url LIKE '%%stoplive%%'")
    assert any("test: policy violation" in r[0] for r in logged), logged
    stopped = []
    for _ in range(20):
        run_job(s, "DeliverCallbacks")
        stopped = [cl for cl in fake.calls("callback") if isinstance(cl.get("body"), dict) and
                   cl["body"].get("type") == "live_stopped" and
                   cl["body"]["body"].get("live_id") == lid]
        if stopped:
            break
        time.sleep(0.2)
    assert stopped, fake.calls("callback")
    c.click("#rooms-refresh")
    c.wait(lambda: not c.finds(row), what="room gone from the open rooms")

    # moderation: change the settings, read them back through the API
    c.page("moderation")
    c.wait(lambda: c.find("#censor-interval").get_attribute("value"), what="settings loaded")
    if not c.find("#censor-enable").is_selected():
        c.click("#censor-enable")
    iv = c.find("#censor-interval")
    iv.clear()
    iv.send_keys("7")
    for label, want in (("pulp", True), ("terror", True), ("politician", False), ("ads", True)):
        box = c.find("#censor-" + label)
        if box.is_selected() != want:
            box.click()
    c.click("#censor-save")
    c.wait(lambda: c.text("#censor-status") == "Saved.", what="settings saved")
    adm = admin_login(s, "operator")
    got = assert_ok(requests.get(s.url("/admin/censor/config"), headers={"Authorization": adm},
                                 timeout=10))
    assert got == {"enable": True, "interval": 7, "pulp": True, "terror": True,
                   "politician": False, "ads": True}
    c.wait(lambda: c.finds("#queue-table tbody tr"), what="review queue")
    link = c.find("#queue-table tbody tr a.image-link")
    assert link.get_attribute("href").startswith("https://cdn.example.com/")
    assert link.get_attribute("target") == "_blank"
    c.shot("05-moderation")
    c.click("#queue-table tbody tr button.approve")
    c.wait(lambda: not c.finds("#queue-table tbody tr"), what="queue emptied")
    reviewed = s.sql("SELECT is_review, review_answer FROM censor_image WHERE live_id = '%s'"
                     % lid)
    assert reviewed == [["1", "1"]], reviewed
    c.find("#history-live").send_keys(lid)
    c.click("#history-form button[type=submit]")
    c.wait(lambda: c.finds("#history-table tbody tr"), what="violation history")
    assert "approved" in c.text("#history-table tbody tr")
    c.shot("06-moderation-history")
    c.assert_only_qnlive()

    # gifts: add one, see it in the clients' list
    c.page("gifts")
    c.wait(lambda: c.visible("#gift-form"), what="gift form")
    for field, value in (("id", "41"), ("type", "2"), ("name", "Rocket <script>x</script>"),
                         ("amount", "100"), ("order", "3"), ("img", "https://img.example.com/r.png")):
        box = c.find("#gift-" + field)
        box.clear()
        box.send_keys(value)
    c.click("#gift-save")
    c.wait(lambda: c.finds('#gifts-table tr[data-gift-id="41"]'), what="gift listed")
    assert c.text('#gifts-table tr[data-gift-id="41"] td.name') == "Rocket <script>x</script>"
    client = assert_ok(client_call(s, "GET", "/client/gift/config/-1", user_token(s, "con_v1")))
    g = next(x for x in client if x["gift_id"] == 41)
    assert g["name"] == "Rocket <script>x</script>" and g["amount"] == 100 and g["type"] == 2
    c.shot("07-gifts")
    # edit it, then delete it after a confirmation
    c.click('#gifts-table tr[data-gift-id="41"] button.edit')
    amount = c.find("#gift-amount")
    amount.clear()
    amount.send_keys("120")
    c.click("#gift-save")
    c.wait(lambda: "120" in c.text('#gifts-table tr[data-gift-id="41"]'), what="edited")
    c.click('#gifts-table tr[data-gift-id="41"] button.delete')
    c.wait(lambda: c.visible("#confirm"), what="delete confirmation")
    c.click("#confirm-ok")
    c.wait(lambda: not c.finds('#gifts-table tr[data-gift-id="41"]'), what="gift deleted")
    client = assert_ok(client_call(s, "GET", "/client/gift/config/-1", user_token(s, "con_v1")))
    assert 41 not in [x["gift_id"] for x in client]

    # operations: readiness, version, uptime and the live figures
    c.page("operations")
    c.wait(lambda: c.text("#ops-ready") == "ready", what="readiness")
    c.wait(lambda: c.text("#ops-version") not in ("", "…"), what="version")
    c.wait(lambda: c.text("#ops-rps") not in ("", "…"), timeout=20, what="requests/s")
    c.wait(lambda: c.text("#ops-p99") not in ("", "…"), what="p99")
    version = assert_ok(requests.get(s.url("/admin/node/summary"), headers={"Authorization": adm},
                                     timeout=10))["version"]
    assert c.text("#ops-version") == version
    time.sleep(2.5)  # a second point on the chart
    c.shot("08-operations")
    c.assert_only_qnlive()

    # a phone-sized screen: nothing wider than the screen but the tables' own scroll boxes
    browser.set_window_size(390, 844)
    other = user_token(s, "con_anchor2")
    lid2 = assert_ok(client_call(s, "POST", "/client/live/room/instance", other,
                                 {"title": "Morning news"}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid2, other, {}))
    c.page("rooms")
    c.wait(lambda: c.finds('tr[data-live-id="%s"]' % lid2), what="second room")
    assert c.retry(lambda: c.find('tr[data-live-id="%s"] button.stop' % lid2).is_displayed())
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth + 1")
    c.shot("09-rooms-phone")
    c.page("operations")
    c.shot("10-operations-phone")
    browser.set_window_size(1280, 900)

    # logout: the token is gone and the pages are behind the login again
    c.click("#logout")
    c.wait(lambda: c.visible("#login-form"), what="logged out")
    assert browser.execute_script("return sessionStorage.getItem('qnlive.console.token')") is None
    c.open("/console/#gifts")
    assert c.visible("#login-form") and not c.visible("#app")
    c.shot("11-logged-out")
    c.assert_only_qnlive()
    c.assert_no_csp_violation()


def test_console_without_moderation_or_gifts(server, browser, shots):
    """Without the censor and gift sections in the configuration, the console says so and the
    rest works."""
    add_admin(server, "default_operator")
    c = Console(browser, server, shots)
    browser.set_window_size(1280, 900)
    browser.get_log("performance")
    c.open()
    c.login("default_operator", PASSWORD)
    c.wait(lambda: c.visible("#page-rooms"), what="rooms page")
    c.page("moderation")
    c.wait(lambda: c.visible("#censor-off"), what="moderation is off")
    assert not c.visible("#censor-form")
    c.shot("12-default-moderation-off")
    c.page("gifts")
    c.wait(lambda: c.visible("#gifts-off"), what="gifts are off")
    c.page("operations")
    c.wait(lambda: c.text("#ops-ready") == "ready", what="readiness")
    c.click("#logout")
    c.wait(lambda: c.visible("#login-form"), what="logged out")
    c.assert_only_qnlive()
    c.assert_no_csp_violation()
