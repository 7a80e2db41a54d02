"""Request helpers for the API suite: Qiniu MAC signing, tokens, envelopes."""
import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode, urlsplit

import requests

from qnlive_server import JWT_KEY, SERVER_AK, SERVER_SK


def b64url(data, pad=True):
    s = base64.urlsafe_b64encode(data).decode()
    return s if pad else s.rstrip("=")


def qiniu_sign(method, url, body=b"", content_type="", ak=SERVER_AK, sk=SERVER_SK,
               x_headers=None):
    """Authorization header value as the clients send it: the bare token, no scheme."""
    u = urlsplit(url)
    s = "%s %s" % (method, u.path)
    if u.query:
        s += "?" + u.query
    s += "\nHost: " + u.netloc
    if content_type:
        s += "\nContent-Type: " + content_type
    for k in sorted(x_headers or {}):
        s += "\n%s: %s" % (k, x_headers[k])
    s += "\n\n"
    data = s.encode()
    if body and content_type and content_type != "application/octet-stream":
        data += body
    sign = b64url(hmac.new(sk.encode(), data, hashlib.sha1).digest())
    return "Qiniu %s:%s" % (ak, sign)


def server_call(srv, method, path, body=None, ak=SERVER_AK, sk=SERVER_SK, headers=None):
    """A signed /server request; `body` is JSON-encoded when given."""
    url = srv.url(path)
    raw = json.dumps(body).encode() if body is not None else b""
    h = dict(headers or {})
    if body is not None:
        h["Content-Type"] = "application/json"
    h["Authorization"] = qiniu_sign(method, url, raw, h.get("Content-Type", ""), ak, sk)
    return requests.request(method, url, data=raw if body is not None else None, headers=h,
                            timeout=10)


def make_jwt(claims, key=JWT_KEY, alg="HS256"):
    header = {"alg": alg, "typ": "JWT"}
    seg = lambda o: b64url(json.dumps(o, separators=(",", ":")).encode(), pad=False)
    signing = seg(header) + "." + seg(claims)
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}[alg]
    sig = b64url(hmac.new(key.encode(), signing.encode(), digest).digest(), pad=False)
    return signing + "." + sig


def user_token(srv, user_id, app_id="app1", device_id="dev1"):
    """Issues a client token through /server/auth/token (which also creates the user)."""
    q = urlencode({"app_id": app_id, "user_id": user_id, "device_id": device_id})
    r = server_call(srv, "GET", "/server/auth/token?" + q)
    assert r.status_code == 200, r.text
    return r.json()["data"]["access_token"]


def client_call(srv, method, path, token, body=None, **kw):
    h = {"Authorization": token}
    data = json.dumps(body) if body is not None else None
    return requests.request(method, srv.url(path), data=data, headers=h, timeout=10, **kw)


def assert_error(resp, status, code, message=None):
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers["Content-Type"].startswith("application/json"), resp.headers
    j = resp.json()
    assert list(j.keys()) == ["request_id", "code", "message"], j
    assert j["code"] == code, j
    assert j["request_id"] == resp.headers["X-Reqid"]
    if message is not None:
        assert j["message"] == message, j
    return j


def assert_ok(resp):
    assert resp.status_code == 200, (resp.status_code, resp.text)
    j = resp.json()
    assert j["code"] == 0, j
    assert j["request_id"] == resp.headers["X-Reqid"]
    return j.get("data")


def now():
    return int(time.time())


def advance_clock(srv, seconds):
    """Moves the server's business clock `seconds` forward (test build only): timeouts and
    expiries then hold as if that much time had passed, without waiting for it."""
    r = requests.post(srv.url("/test/clock?advance_s=%d" % seconds), timeout=10)
    return assert_ok(r)["now"]


def try_job(srv, name):
    """Runs the scheduled job `name` now on srv (waiting for a scheduled run under way) and
    returns the answer: {"ran": true} after a successful run, {"ran": false} when another node
    holds the singleton lease, an error envelope when the job failed."""
    return requests.post(srv.url("/test/cron/" + name), timeout=30)


def run_job(srv, name):
    """Runs the scheduled job `name` now and waits for it to finish; it must run and succeed."""
    r = try_job(srv, name)
    assert r.status_code == 200 and r.json()["data"] == {"ran": True}, \
        (name, r.text, srv.read_log()[-3000:])


def sql_after_flush(srv, statement):
    """Rows of `statement` once the presence write-behind has run (it writes joins, leaves and
    moves to the table about every second; the test runs it now)."""
    run_job(srv, "live_presence_flush")
    return srv.sql(statement)


def run_job_on_one(nodes, name):
    """Runs the singleton job `name` on whichever node holds the lease; returns that node.
    Exactly one node may run it."""
    ran = [n for n in nodes if assert_ok(try_job(n, name))["ran"]]
    assert len(ran) == 1, (name, [n.port for n in ran])
    return ran[0]
