"""Content moderation: jobs on room create/stop, the result callback, the admin
routes C3-C10 against the fake moderation service."""
import time

import pytest
import requests

from conftest import im_yaml
from helpers import assert_error, assert_ok, client_call, server_call, user_token

PILI = ("pili:\n  hub: hub1\n  stream_pattern: s-%s\n"
        "  publish_domain: pub.example.com\n  security_type: none\n"
        "  rtmp_play_url: rtmp://rtmp.example.com\n  flv_play_url: https://flv.example.com\n"
        "  hls_play_url: https://hls.example.com\n")
TOKEN = "s3cret-token/+="


def censor_yaml(fake, srv, token=TOKEN, callback=True):
    y = ("censor:\n  bucket: frames\n  addr: https://cdn.example.com\n"
         "  endpoint: %s\n  timeout_ms: 2000\n" % fake.url("censor"))
    if callback:
        y += "  callback: %s\n" % srv.base
    if token:
        y += "  callback_token: \"%s\"\n" % token
    return y


def start_server(make_server, fake, **kw):
    s = make_server(extra=im_yaml(fake) + PILI)
    with open(s.config, "a") as f:  # the hook URL needs the server's own port
        f.write(censor_yaml(fake, s, **kw))
    return s.start()


def admin_token(s, uid="admin_c"):
    s.sql("INSERT INTO admin_user (user_name, user_id, password, description) "
          "VALUES ('%s', '%s', 'pw', 'test')" % (uid, uid))
    r = requests.post(s.url("/manager/login"), json={"user_name": uid, "password": "pw"})
    return assert_ok(r)["access_token"]


def create_room(s, tok, title="t"):
    return assert_ok(client_call(s, "POST", "/client/live/room/instance", tok,
                                 {"title": title}))


def jobs_of(fake, live_id):
    return {j: v for j, v in fake.censor_jobs().items() if v["body"]["data"]["id"] == live_id}


def job_row(s, live_id):
    rows = s.sql("SELECT job_id, pulp, terror, politician, ads, `interval` FROM live_censor "
                 "WHERE live_id = '%s' ORDER BY id" % live_id)
    return rows


# the fakes refuse Pili and moderation calls not signed with the account keys (conftest.py)
FAKE_CHECKS_ACCOUNT_KEYS = True


@pytest.fixture(scope="module")
def env(fake):
    """One server with moderation on, a token on the hook URL, IM and Pili."""
    from qnlive_server import Server
    s = Server(extra=im_yaml(fake) + PILI)
    with open(s.config, "a") as f:
        f.write(censor_yaml(fake, s))
    s.start()
    yield s, admin_token(s)
    assert s.stop() == 0


def test_job_created_and_closed_with_room(env, fake):
    s, _ = env
    tok = user_token(s, "cen_anchor1")
    room = create_room(s, tok)
    lid = room["live_id"]
    jobs = jobs_of(fake, lid)
    assert len(jobs) == 1
    job_id, job = next(iter(jobs.items()))
    body = job["body"]
    assert list(body) == ["data", "params"]
    assert body["data"] == {"id": lid, "uri": room["push_url"], "info": ""}
    img = body["params"]["image"]
    assert img == {"is_on": True, "scenes": ["pulp"], "interval_msecs": 20000,
                   "saver": {"bucket": "frames", "prefix": ""}, "hook_rule": 0}
    assert body["params"]["hook_url"] == (s.base + "/manager/censor/callback?token="
                                          "s3cret-token%2F%2B%3D")
    assert body["params"]["hook_auth"] is False
    assert job_row(s, lid) == [[job_id, "1", "0", "0", "0", "20"]]
    # the create call is signed with the account keys (the fake checks them: status 200)
    call = [c for c in fake.calls("censor") if c["path"] == "/v3/live/censor"][-1]
    assert call["status"] == 200 and call["headers"]["authorization"].startswith("Qiniu ")
    assert job["open"] is True
    # start, then stop: the job is closed
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, tok, {}))
    assert_ok(client_call(s, "DELETE", "/client/live/room/" + lid, tok))
    assert fake.censor_jobs()[job_id]["open"] is False
    closes = [c for c in fake.calls("censor") if c["path"] == "/v3/live/censor/close"]
    assert closes[-1]["body"] == {"job": job_id}


def test_settings_drive_job_creation(env, fake):
    s, adm = env
    tok = user_token(s, "cen_anchor2")
    cfg = {"enable": True, "pulp": True, "terror": True, "politician": False, "ads": True,
           "interval": 5}
    assert_ok(client_call(s, "POST", "/admin/censor/config", adm, cfg))
    lid = create_room(s, tok)["live_id"]
    job = next(iter(jobs_of(fake, lid).values()))
    assert job["body"]["params"]["image"]["scenes"] == ["pulp", "terror", "ads"]
    assert job["body"]["params"]["image"]["interval_msecs"] == 5000
    assert job_row(s, lid)[0][1:] == ["1", "1", "0", "1", "5"]
    # disabled: no job, and the stop of such a room does not call close
    assert_ok(client_call(s, "POST", "/admin/censor/config", adm, dict(cfg, enable=False)))
    assert_error(client_call(s, "POST", "/admin/censor/config", adm,
                             dict(cfg, enable=False, interval=2 ** 40)), 400, 400)
    n_calls = len(fake.calls("censor"))
    lid2 = create_room(s, tok)["live_id"]
    assert jobs_of(fake, lid2) == {} and job_row(s, lid2) == []
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid2, tok, {}))
    assert_ok(server_call(s, "POST", "/server/live/%s/stop" % lid2))
    assert len(fake.calls("censor")) == n_calls
    assert_ok(client_call(s, "POST", "/admin/censor/config", adm, dict(cfg, pulp=True,
                                                                        terror=False, ads=False,
                                                                        interval=20)))


def test_moderation_failure_never_fails_the_room(env, fake):
    s, _ = env
    tok = user_token(s, "cen_anchor3")
    for mode in ("error", "down"):
        fake.fail("censor", mode)
        lid = create_room(s, tok)["live_id"]
        assert job_row(s, lid) == []  # an error reply stores no (empty) job id
    lid = create_room(s, tok)["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, tok, {}))
    fake.fail("censor", "down")
    assert_ok(client_call(s, "DELETE", "/client/live/room/" + lid, tok))
    info = assert_ok(client_call(s, "GET", "/client/live/room/info/" + lid, tok))
    assert info["live_status"] == 2


def test_callback_flow_and_token(env, fake):
    s, adm = env
    tok = user_token(s, "cen_anchor4")
    lid = create_room(s, tok)["live_id"]
    job_id = next(iter(jobs_of(fake, lid)))
    t0 = 1662466047
    r = fake.censor_fire(job_id, timestamp=t0, suggestion="review",
                         scenes={"pulp": "pass", "terror": "review"})
    assert r["status"] == 200, r
    r = fake.censor_fire(job_id, timestamp=t0 + 20, suggestion="block", scenes={"pulp": "block"})
    assert r["status"] == 200, r
    rows = s.sql("SELECT url, job_id, created_at, suggestion, pulp, terror, politician, ads, "
                 "live_id, is_review FROM censor_image WHERE live_id = '%s' ORDER BY id" % lid)
    assert rows[0] == ["https://cdn.example.com/live/%s/%d.jpg" % (job_id, t0), job_id,
                       str(t0), "review", "pass", "review", "", "", lid, "0"]
    assert s.sql("SELECT unreview_censor_count, last_censor_time FROM live_entities "
                 "WHERE live_id = '%s'" % lid) == [["2", str(t0 + 20)]]
    # the token protects the route; wrong or missing token → 401, nothing stored
    img = dict(r["image"])
    url = s.url("/manager/censor/callback")
    for q in ("", "?token=wrong", "?token="):
        assert_error(requests.post(url + q, json={"image": img}), 401, 401)
    ok = requests.post(url + "?token=" + requests.utils.quote(TOKEN, safe=""),
                       json={"image": img})
    assert_ok(ok)
    assert len(s.sql("SELECT id FROM censor_image WHERE live_id = '%s'" % lid)) == 3
    # unknown job: 500 record not found; foreign bucket: 400; failed analysis: acknowledged
    q = "?token=" + requests.utils.quote(TOKEN, safe="")
    assert_error(requests.post(url + q, json={"image": dict(img, job="nope")}), 500, 500,
                 "record not found")
    assert_error(requests.post(url + q, json={"image": dict(img, url="qiniu:///other/a.jpg")}),
                 400, 400)
    assert_ok(requests.post(url + q, json={"image": dict(img, code=500)}))
    assert_ok(requests.post(url + q, json={"audio": {"code": 200}}))
    assert_error(requests.post(url + q, data="{"), 400, 400)
    assert_error(requests.post(url + q, json={"image": dict(img, job="")}), 400, 400)
    assert len(s.sql("SELECT id FROM censor_image WHERE live_id = '%s'" % lid)) == 3
    # the live list shows it, the record list pages it
    page = assert_ok(client_call(s, "GET", "/admin/censor/record?page_num=1&page_size=2"
                                 "&live_id=" + lid, adm))
    assert page["total_count"] == 3 and page["page_total"] == 2 and page["end_page"] is False
    first = page["list"][0]
    assert list(first) == ["id", "url", "job_id", "created_at", "suggestion", "pulp", "terror",
                           "politician", "ads", "live_id", "is_review", "review_answer",
                           "review_user_id", "review_time"]
    assert first["created_at"] == (t0 + 20) * 1000 and first["review_time"] == 0
    page2 = assert_ok(client_call(s, "GET", "/admin/censor/record?page_num=2&page_size=2"
                                  "&live_id=" + lid, adm))
    assert len(page2["list"]) == 1 and page2["end_page"] is True
    assert page2["list"][0]["created_at"] == t0 * 1000


def test_audit_and_live_list(env, fake):
    s, adm = env
    tok = user_token(s, "cen_anchor5")
    me = assert_ok(client_call(s, "GET", "/client/user/profile", tok))
    room = create_room(s, tok, title="audited")
    lid = room["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, tok, {}))
    job_id = next(iter(jobs_of(fake, lid)))
    for i in range(3):
        assert fake.censor_fire(job_id, timestamp=1700000000 + i)["status"] == 200
    ids = [int(x[0]) for x in s.sql("SELECT id FROM censor_image WHERE live_id = '%s' "
                                    "ORDER BY id" % lid)]
    todo = assert_ok(client_call(s, "GET", "/admin/censor/live?is_review=0&page_size=100", adm))
    mine = [x for x in todo["list"] if x["live_id"] == lid]
    assert len(mine) == 1
    item = mine[0]
    assert list(item) == ["live_id", "title", "anchor_id", "nick", "live_status",
                          "anchor_status", "stop_reason", "stop_at", "start_at", "count",
                          "violation_count", "ai_count", "time", "push_url", "rtmp_play_url",
                          "flv_play_url", "hls_play_url"]
    assert (item["title"], item["anchor_id"], item["live_status"], item["anchor_status"]) == \
        ("audited", "cen_anchor5", 1, 1)
    assert (item["count"], item["violation_count"], item["ai_count"]) == (3, 0, 3)
    assert item["time"] == 1700000002000 and item["start_at"] > 0 and item["stop_at"] == 0
    assert item["flv_play_url"] == room["flv_url"]
    # review two as block with notify: counter drops, anchor warned over IM
    n_msgs = len(fake.im_state()["messages"])
    assert_ok(client_call(s, "POST", "/admin/censor/audit", adm,
                          {"live_id": lid, "image_list": ids[:2], "review_answer": 2,
                           "notify": True}))
    rows = s.sql("SELECT is_review, review_answer, review_user_id FROM censor_image "
                 "WHERE live_id = '%s' ORDER BY id" % lid)
    assert rows == [["1", "2", "admin_c"], ["1", "2", "admin_c"], ["0", "0", ""]]
    msgs = fake.im_state()["messages"][n_msgs:]
    warn = [m for m in msgs if m["content"].get("action") == "censor_notify"]
    assert len(warn) == 1 and warn[0]["targets"] == [me["im_userid"]]
    assert warn[0]["content"]["data"]["live_id"] == lid
    live = [x for x in assert_ok(client_call(s, "GET", "/admin/censor/live?page_size=100",
                                             adm))["list"] if x["live_id"] == lid][0]
    assert (live["count"], live["violation_count"], live["ai_count"]) == (1, 2, 3)
    # reviewed records: block first, then by time; review_time in ms
    rev = assert_ok(client_call(s, "GET", "/admin/censor/record?is_review=1&live_id=" + lid,
                                adm))
    assert [x["id"] for x in rev["list"]] == [ids[1], ids[0]]
    assert abs(rev["list"][0]["review_time"] / 1000 - time.time()) < 60
    unrev = assert_ok(client_call(s, "GET", "/admin/censor/record?is_review=0&live_id=" + lid,
                                  adm))
    assert [x["id"] for x in unrev["list"]] == [ids[2]]
    # ids of another live are not touched
    assert_ok(client_call(s, "POST", "/admin/censor/audit", adm,
                          {"live_id": "other", "image_list": [ids[2]], "review_answer": 1}))
    assert s.sql("SELECT is_review FROM censor_image WHERE id = %d" % ids[2]) == [["0"]]
    # errors
    for bad in ({"live_id": lid, "image_list": [], "review_answer": 1},
                {"live_id": lid, "image_list": ids, "review_answer": 3},
                {"live_id": lid, "image_list": ["x"], "review_answer": 1},
                {"live_id": lid, "image_list": ids},
                {"image_list": ids, "review_answer": 1}):
        assert_error(client_call(s, "POST", "/admin/censor/audit", adm, bad), 400, 400)


def test_stoplive(env, fake):
    s, adm = env
    tok = user_token(s, "cen_anchor6")
    me = assert_ok(client_call(s, "GET", "/client/user/profile", tok))
    room = create_room(s, tok)
    lid = room["live_id"]
    job_id = next(iter(jobs_of(fake, lid)))
    # not on air: status error, no IM message
    assert_error(client_call(s, "POST", "/admin/censor/stoplive/" + lid, adm, {"live_id": lid}),
                 500, 500, "live status error")
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, tok, {}))
    assert fake.censor_fire(job_id)["status"] == 200
    n_msgs = len(fake.im_state()["messages"])
    assert_ok(client_call(s, "POST", "/admin/censor/stoplive/" + lid, adm, {"live_id": lid}))
    assert s.sql("SELECT status, stop_reason, stop_user_id FROM live_entities "
                 "WHERE live_id = '%s'" % lid) == [["2", "censor", "admin_c"]]
    msgs = [m for m in fake.im_state()["messages"][n_msgs:]
            if m["content"].get("action") == "censor_stop"]
    assert len(msgs) == 1
    assert msgs[0]["targets"] == [room["chat_id"]] and msgs[0]["from"] == me["im_userid"]
    assert msgs[0]["content"]["data"]["live_id"] == lid
    # the port also closes the job (the reference left it running)
    assert fake.censor_jobs()[job_id]["open"] is False
    # stopped for moderation: no longer in the to-do list, still in the full list
    todo = assert_ok(client_call(s, "GET", "/admin/censor/live?is_review=0&page_size=100", adm))
    assert lid not in [x["live_id"] for x in todo["list"]]
    full = assert_ok(client_call(s, "GET", "/admin/censor/live?page_size=100", adm))
    item = [x for x in full["list"] if x["live_id"] == lid][0]
    assert item["stop_reason"] == "censor" and item["stop_at"] > 0
    assert_error(client_call(s, "POST", "/admin/censor/stoplive/999", adm, {}), 404, 404,
                 "record not found")


def test_admin_jobs(env, fake):
    s, adm = env
    tok = user_token(s, "cen_anchor7")
    lid = create_room(s, tok)["live_id"]
    first = next(iter(jobs_of(fake, lid)))
    # C4 starts a second job; C5 closes the newest
    assert_ok(client_call(s, "POST", "/admin/censor/job/start", adm, {"live_id": lid}))
    jobs = jobs_of(fake, lid)
    assert len(jobs) == 2 and len(job_row(s, lid)) == 2
    second = [j for j in jobs if j != first][0]
    assert_ok(client_call(s, "POST", "/admin/censor/job/close", adm, {"live_id": lid}))
    assert fake.censor_jobs()[second]["open"] is False
    assert fake.censor_jobs()[first]["open"] is True
    # C6 list and C7 query pass the service's data through
    lst = assert_ok(client_call(s, "GET", "/admin/censor/job/list", adm,
                                {"start": 1662466047000, "end": "1762466047", "limit": 100,
                                 "status": "RUNNING"}))
    assert first in [x["id"] for x in lst["items"]]
    assert second not in [x["id"] for x in lst["items"]]
    sent = fake.last_call("censor")
    assert sent["path"] == "/v3/live/censor/list"
    assert sent["body"] == {"start": 1662466047, "end": 1762466047, "status": "RUNNING",
                            "limit": 100}
    assert fake.censor_fire(first, timestamp=1700000000)["status"] == 200
    q = assert_ok(client_call(s, "GET", "/admin/censor/job/query", adm,
                              {"job": first, "suggestions": ["block"], "start": 1, "end": 2}))
    assert len(q["items"]["image"]) == 1 and q["items"]["image"][0]["job"] == first
    assert fake.last_call("censor")["body"] == {"job": first, "suggestions": ["block"],
                                                "start": 1, "end": 2}
    # errors
    assert_error(client_call(s, "GET", "/admin/censor/job/query", adm, {"job": "nope"}),
                 500, 500, "job not found")
    assert_error(client_call(s, "GET", "/admin/censor/job/query", adm, {}), 400, 400)
    assert_error(client_call(s, "GET", "/admin/censor/job/list", adm), 400, 400)
    assert_error(client_call(s, "GET", "/admin/censor/job/list", adm, {"start": "yesterday"}),
                 400, 400)
    fake.fail("censor", "down")
    assert_error(client_call(s, "GET", "/admin/censor/job/list", adm, {}), 500, 500)
    assert_error(client_call(s, "POST", "/admin/censor/job/start", adm, {"live_id": "999"}),
                 404, 404, "record not found")
    assert_error(client_call(s, "POST", "/admin/censor/job/start", adm, {}), 400, 400)
    fake.fail("censor", "error", code=7)
    assert_error(client_call(s, "POST", "/admin/censor/job/start", adm, {"live_id": lid}),
                 500, 500, "fake error")
    assert_error(client_call(s, "POST", "/admin/censor/job/close", adm, {"live_id": "999"}),
                 404, 404, "record not found")
    fake.fail("censor", "down")
    assert_error(client_call(s, "POST", "/admin/censor/job/close", adm, {"live_id": lid}),
                 500, 500)


def test_pagination_validation(env):
    s, adm = env
    for path in ("/admin/censor/live", "/admin/censor/record"):
        for q in ("page_num=0", "page_num=-1", "page_size=0", "page_size=101", "page_num=x"):
            assert_error(client_call(s, "GET", path + "?" + q, adm), 400, 400)
        d = assert_ok(client_call(s, "GET", path + "?page_size=100", adm))
        assert set(d) == {"total_count", "page_total", "end_page", "list"}
    assert_error(client_call(s, "GET", "/admin/censor/live?is_review=1", adm), 400, 400)
    assert_error(client_call(s, "GET", "/admin/censor/record?is_review=2", adm), 400, 400)
    empty = assert_ok(client_call(s, "GET", "/admin/censor/record?live_id=none", adm))
    assert empty == {"total_count": 0, "page_total": 0, "end_page": True, "list": []}
    # admin routes need an admin token
    user = user_token(s, "cen_plain")
    assert_error(client_call(s, "GET", "/admin/censor/live", user), 403, 403)


def test_no_callback_and_no_token(make_server, fake):
    """censor.callback empty: no job calls at all; no token configured: the callback is open."""
    s = start_server(make_server, fake, token=None, callback=False)
    adm = admin_token(s)
    tok = user_token(s, "cen_nocb")
    n = len(fake.calls("censor"))
    lid = create_room(s, tok)["live_id"]
    assert_ok(client_call(s, "POST", "/admin/censor/job/start", adm, {"live_id": lid}))
    assert_ok(client_call(s, "POST", "/admin/censor/job/close", adm, {"live_id": lid}))
    assert len(fake.calls("censor")) == n
    s.sql("INSERT INTO live_censor (live_id, job_id) VALUES ('%s', 'job-x')" % lid)
    r = requests.post(s.url("/manager/censor/callback"),
                      json={"image": {"code": 200, "job": "job-x", "timestamp": 5,
                                      "url": "qiniu:///frames/k.jpg",
                                      "result": {"suggestion": "block"}}})
    assert_ok(r)
    assert s.sql("SELECT url, pulp FROM censor_image WHERE job_id = 'job-x'") == \
        [["https://cdn.example.com/k.jpg", ""]]


def test_routes_absent_without_section(server):
    assert requests.post(server.url("/manager/censor/callback"), json={}).status_code == 404
    assert requests.get(server.url("/admin/censor/live")).status_code == 404
