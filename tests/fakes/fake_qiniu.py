#!/usr/bin/python3
"""Local fake of every outside service qnlive talks to, for tests.

One process plays several services, told apart by the first path segment:

    prefix       plays                          point qnlive's config at
    /im          Maxim IM server API            im.endpoint     = http://127.0.0.1:P/im
    /rtc         RTC server API                 rtc.endpoint    = http://127.0.0.1:P/rtc
    /pili        Pili v2 API (save-as)          pili.endpoint   = http://127.0.0.1:P/pili
    /censor      content moderation v3          censor.endpoint = http://127.0.0.1:P/censor
    /callback    business webhook receiver      callback.addr   = http://127.0.0.1:P/callback
    /pay         gift payment hook              gift.gift_addr  = http://127.0.0.1:P/pay
    /telemetry   usage telemetry                telemetry.endpoint = http://127.0.0.1:P/telemetry

Every call is recorded (service, method, path after the prefix, query, headers, body, reply
status). Each fake checks credentials the way the real service does and answers 401 on a
mismatch, so a wrong signature fails a test instead of passing silently:
  * IM: headers app_id and access-token (names case-insensitive) must equal --im-app-id and
    --im-token; user_id must be present where the real API needs it.
  * RTC: Qiniu MAC, SDK flavour (Content-Type application/x-www-form-urlencoded signed).
  * Pili, censor: Qiniu MAC over method, path, query, Host, Content-Type, X-Qiniu-* and body.

Control API (JSON):
    GET  /_fake/calls[?service=im]   list of recorded calls, oldest first
    POST /_fake/reset                forget calls, faults, canned replies, IM users/groups, RTC rooms
    POST /_fake/fail   {"service":"im","mode":"down|error|slow|big|empty|drop","count":N,
                        "delay":S, "size":BYTES, "code":C}
         (alias /_fake/fault) the next N calls of that service fail: down = HTTP 503; error = the service's own error
         reply (IM: HTTP 200 {"code":C}, default 500); slow = sleep S seconds (default 10) then
         answer normally; big = HTTP 200 with SIZE bytes; empty = HTTP 200 with no body;
         drop = close the connection without answering
    POST /_fake/reply  {"service":"pay","status":200,"body":{...},"count":N}
         canned reply for the next N calls (all calls when count is absent)
    POST /_fake/rtc/room {"app":"a","room":"r","users":["u1",...]}   users online in a room
    POST /_fake/im/user  {"username":"ql1","password":"x"}            pre-registers an IM user
    GET  /_fake/im/state                                               IM users, groups, messages
    GET  /_fake/censor/jobs          moderation jobs: id -> {body, open, created_at, fired}
    POST /_fake/censor/fire?job=J    {"suggestion","scenes":{"pulp":"block"},"timestamp","url",
                                      "code"} (all optional): POSTs a synthetic image result of
         job J to the job's hook_url (or body "hook_url" for an unknown job) and answers
         {"status", "body", "image"} with qnlive's reply

Start: /usr/bin/python3 fake_qiniu.py --port 0 --port-file F  (writes the chosen port to F once
listening). Listens on 127.0.0.1 only; exits on SIGTERM or SIGINT. Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICES = ("im", "rtc", "pili", "censor", "callback", "pay", "telemetry")


# --------------------------------------------------------------------------------------------
# Qiniu MAC

def canonical_header(name):
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def qiniu_sign(sk, method, path, query, host, content_type, x_headers, body, sdk=False):
    """URL-safe Base64 (padded) HMAC-SHA1 of the Qiniu signing string."""
    s = method + " " + path
    if query:
        s += "?" + query
    s += "\nHost: " + host
    if content_type:
        s += "\nContent-Type: " + content_type
    xs = {}
    for name, value in x_headers:
        c = canonical_header(name)
        if c.startswith("X-Qiniu-") and len(c) > len("X-Qiniu-") and c not in xs:
            xs[c] = value
    for c in sorted(xs):
        s += "\n" + c + ": " + xs[c]
    s += "\n\n"
    raw = s.encode()
    if body:
        if sdk:
            include = content_type in ("application/x-www-form-urlencoded", "application/json")
        else:
            include = bool(content_type) and content_type != "application/octet-stream"
        if include:
            raw += body
    digest = hmac.new(sk.encode(), raw, hashlib.sha1).digest()
    return base64.urlsafe_b64encode(digest).decode()


def b64_any_decode(s):
    s += "=" * (-len(s) % 4)
    return base64.b64decode(s.replace("-", "+").replace("_", "/"))


# --------------------------------------------------------------------------------------------
# State shared by the handler threads

class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.im_app_id = args.im_app_id
        self.im_token = args.im_token
        self.ak = args.ak
        self.sk = args.sk
        self.reset()

    def reset(self):
        self.calls = []
        self.faults = {}     # service -> dict(mode, count, ...)
        self.replies = {}    # service -> dict(status, body, count)
        self.im_users = {}   # username -> {"user_id", "password"}
        self.im_next_user = 10000
        self.im_groups = {}  # group_id -> {"name", "owner"}
        self.im_next_group = 30000
        self.im_messages = []
        self.rtc_rooms = {}  # (app, room) -> [user ids]
        self.censor_jobs = {}

    def take(self, table, service):
        """Consumes one use of a fault or canned reply; None when there is none."""
        with self.lock:
            entry = table.get(service)
            if not entry:
                return None
            if entry.get("count") is not None:
                entry["count"] -= 1
                if entry["count"] <= 0:
                    del table[service]
            return dict(entry)


STATE = None


class Reply(Exception):
    """Raised by service handlers to answer with a status and a JSON (or raw) body."""

    def __init__(self, status, body):
        super().__init__(status)
        self.status = status
        self.body = body


def ok_im(data):
    return 200, {"code": 200, "message": "ok", "data": data}


# --------------------------------------------------------------------------------------------
# Services

def im_check_auth(h):
    if h.hdr("app_id") != STATE.im_app_id or h.hdr("access-token") != STATE.im_token:
        raise Reply(401, {"code": 401, "message": "invalid app_id or access-token"})


def im_acting_user(h, required=True):
    v = h.hdr("user_id")
    if v is None:
        if required:
            raise Reply(200, {"code": 10010, "message": "user_id header required"})
        return None
    try:
        return int(v)
    except ValueError:
        raise Reply(200, {"code": 10010, "message": "bad user_id header"})


def im_user_by_id(uid):
    for name, u in STATE.im_users.items():
        if u["user_id"] == uid:
            return name, u
    return None, None


def im_register(h):
    body = h.json_body()
    name, pw = body.get("username"), body.get("password")
    if not isinstance(name, str) or not name or not isinstance(pw, str) or not pw:
        return 200, {"code": 400, "message": "username and password required"}
    with STATE.lock:
        if name in STATE.im_users:
            return 200, {"code": 10004, "message": "user already exists"}
        uid = STATE.im_next_user
        STATE.im_next_user += 1
        STATE.im_users[name] = {"user_id": uid, "password": pw}
    return ok_im({"user_id": uid, "username": name})


def im_roster_name(h):
    name = h.query.get("username", [""])[0]
    with STATE.lock:
        u = STATE.im_users.get(name)
    if not u:
        return 200, {"code": 10002, "message": "user not found"}
    return ok_im({"user_id": u["user_id"], "username": name})


def im_change_password(h):
    uid = im_acting_user(h)
    pw = h.json_body().get("password")
    if not isinstance(pw, str) or not pw:
        return 200, {"code": 400, "message": "password required"}
    with STATE.lock:
        name, u = im_user_by_id(uid)
        if not u:
            return 200, {"code": 10002, "message": "user not found"}
        u["password"] = pw
    return ok_im(True)


def im_group_create(h):
    owner = im_acting_user(h)
    body = h.json_body()
    with STATE.lock:
        gid = STATE.im_next_group
        STATE.im_next_group += 1
        STATE.im_groups[gid] = {"name": body.get("name"), "type": body.get("type"),
                                "owner": owner}
    return ok_im({"group_id": gid})


def im_message_send(h):
    body = h.json_body()
    sender = body.get("from_user_id")
    acting = im_acting_user(h, required=sender is not None)
    if sender is not None and acting != sender:
        return 200, {"code": 10011, "message": "user_id header does not match from_user_id"}
    if sender is None and acting is not None:
        return 200, {"code": 10011, "message": "system message with a user_id header"}
    try:
        content = json.loads(body.get("content", ""))
    except (TypeError, ValueError):
        return 200, {"code": 400, "message": "content is not JSON"}
    with STATE.lock:
        STATE.im_messages.append({"type": body.get("type"), "from": sender,
                                  "targets": body.get("targets"), "content": content})
    h.call["content"] = content
    return ok_im(True)


IM_ROUTES = {
    ("POST", "/user/register/v2"): im_register,
    ("GET", "/roster/name"): im_roster_name,
    ("POST", "/user/change_password_admin"): im_change_password,
    ("POST", "/group/create"): im_group_create,
    ("POST", "/message/send"): im_message_send,
}


def serve_im(h):
    im_check_auth(h)
    fn = IM_ROUTES.get((h.command, h.sub_path))
    if not fn:
        return 404, {"code": 404, "message": "no such IM route"}
    return fn(h)


def check_mac(h, sdk=False):
    auth = h.hdr("authorization") or ""
    if not auth.startswith("Qiniu ") or ":" not in auth:
        raise Reply(401, {"error": "missing Qiniu authorization"})
    ak, sign = auth[len("Qiniu "):].split(":", 1)
    want = qiniu_sign(STATE.sk, h.command, urllib.parse.unquote(h.full_path), h.raw_query,
                      h.hdr("host") or "", h.hdr("content-type") or "", h.headers.items(),
                      h.raw_body, sdk=sdk)
    if ak != STATE.ak or not hmac.compare_digest(sign, want):
        raise Reply(401, {"error": "bad token"})


def serve_rtc(h):
    check_mac(h, sdk=True)
    if h.hdr("content-type") != "application/x-www-form-urlencoded":
        raise Reply(401, {"error": "content type not signed"})
    parts = h.sub_path.strip("/").split("/")
    if h.command != "GET" or len(parts) != 6 or parts[0] != "v3" or parts[1] != "apps" \
            or parts[3] != "rooms" or parts[5] != "users":
        return 404, {"error": "no such RTC route"}
    app, room = urllib.parse.unquote(parts[2]), urllib.parse.unquote(parts[4])
    h.call["app"], h.call["room"] = app, room
    with STATE.lock:
        users = list(STATE.rtc_rooms.get((app, room), []))
    return 200, {"users": [{"userId": u} for u in users]}


def serve_pili(h):
    check_mac(h)
    parts = h.sub_path.strip("/").split("/")
    if h.command != "POST" or len(parts) != 6 or parts[:2] != ["v2", "hubs"] \
            or parts[3] != "streams" or parts[5] != "saveas":
        return 404, {"error": "no such Pili route"}
    try:
        title = b64_any_decode(parts[4]).decode()
    except (ValueError, UnicodeDecodeError):
        return 400, {"error": "bad stream title"}
    h.call["hub"], h.call["stream_title"] = parts[2], title
    body = h.json_body()
    return 200, {"fname": body.get("fname", ""), "start": body.get("start", 0),
                 "end": body.get("end", 0), "persistentID": "z1.test"}


def censor_job_view(job_id, job):
    """A job as /v3/live/censor/list shows it."""
    body = job["body"]
    params = body.get("params") or {}
    image = dict(params.get("image") or {})
    saver = dict(image.get("saver") or {})
    saver.setdefault("uid", 0)
    image["saver"] = saver
    data = body.get("data") or {}
    return {"id": job_id,
            "data": {"id": data.get("id", ""), "uri": data.get("uri", ""),
                     "info": data.get("info", "")},
            "params": {"hook_url": params.get("hook_url", ""),
                       "hook_auth": params.get("hook_auth", False), "image": image},
            "message": "", "status": "RUNNING" if job["open"] else "STOPPED",
            "created_at": job["created_at"], "updated_at": job["updated_at"]}


def serve_censor(h):
    check_mac(h)
    body = h.json_body()
    ok = {"request_id": "r", "code": 0, "message": ""}
    if h.sub_path == "/v3/live/censor":
        data, params = body.get("data"), body.get("params")
        if not isinstance(data, dict) or not data.get("uri") or not isinstance(params, dict) \
                or not isinstance(params.get("image"), dict):
            return 400, {"error": "data.uri and params.image required"}
        job = hashlib.md5(str(time.time_ns()).encode()).hexdigest()
        now = int(time.time())
        with STATE.lock:
            STATE.censor_jobs[job] = {"body": body, "open": True, "created_at": now,
                                      "updated_at": now}
        return 200, dict(ok, data={"job": job})
    if h.sub_path == "/v3/live/censor/close":
        with STATE.lock:
            if body.get("job") in STATE.censor_jobs:
                STATE.censor_jobs[body["job"]]["open"] = False
                STATE.censor_jobs[body["job"]]["updated_at"] = int(time.time())
        return 200, ok
    if h.sub_path == "/v3/live/censor/list":
        with STATE.lock:
            items = [censor_job_view(j, v) for j, v in STATE.censor_jobs.items()]
        if body.get("status"):
            items = [i for i in items if i["status"] == body["status"]]
        if body.get("limit"):
            items = items[:int(body["limit"])]
        return 200, dict(ok, data={"marker": "", "items": items})
    if h.sub_path == "/v3/live/censor/query":
        with STATE.lock:
            job = STATE.censor_jobs.get(body.get("job"))
            fired = list(job.get("fired", [])) if job else []
        if job is None:
            return 200, {"request_id": "r", "code": 404, "message": "job not found"}
        return 200, dict(ok, data={"marker": "", "items": {"image": fired, "audio": []}})
    return 404, {"error": "no such censor route"}


def censor_fire(h, body):
    """POSTs a synthetic image result of a job to the job's hook_url; answers what it got."""
    job_id = h.query.get("job", [None])[0] or body.get("job")
    with STATE.lock:
        job = STATE.censor_jobs.get(job_id)
        hook = job["body"]["params"].get("hook_url", "") if job else body.get("hook_url")
        bucket = ((job["body"]["params"]["image"].get("saver") or {}).get("bucket", "")
                  if job else body.get("bucket", ""))
    if not hook:
        return 404, {"error": "unknown job and no hook_url"}
    ts = int(body.get("timestamp", time.time()))
    scenes = body.get("scenes", {"pulp": "block"})
    image = {"code": int(body.get("code", 200)), "message": "OK", "job": job_id,
             "timestamp": ts,
             "url": body.get("url", "qiniu:///%s/live/%s/%d.jpg" % (bucket, job_id, ts)),
             "result": {"suggestion": body.get("suggestion", "block"),
                        "scenes": {k: {"suggestion": v, "details": []}
                                   for k, v in scenes.items()}}}
    if image["code"] != 200:
        image["error"] = {"message": "fake analysis failure"}
    data = json.dumps({"image": image}).encode()
    req = urllib.request.Request(hook, data=data, method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            status, text = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode("utf-8", "replace")
    if job is not None and status == 200:
        with STATE.lock:
            job.setdefault("fired", []).append(image)
    return 200, {"status": status, "body": text, "image": image}


def serve_recorder(h):
    return 200, {"code": 0, "message": ""}


SERVE = {"im": serve_im, "rtc": serve_rtc, "pili": serve_pili, "censor": serve_censor,
         "callback": serve_recorder, "pay": serve_recorder, "telemetry": serve_recorder}


def error_reply(service, code):
    """What the service's own failure looks like."""
    if service == "im":
        return 200, {"code": code or 500, "message": "fake error"}
    if service in ("callback", "pay", "telemetry", "censor"):
        return 200, {"code": code or 1, "message": "fake error"}
    return code or 500, {"error": "fake error"}


# --------------------------------------------------------------------------------------------
# Control API

def control(h):
    path = h.path_only
    if h.command == "GET" and path == "/_fake/calls":
        svc = h.query.get("service", [None])[0]
        with STATE.lock:
            calls = [c for c in STATE.calls if svc is None or c["service"] == svc]
        return 200, calls
    if h.command == "GET" and path == "/_fake/censor/jobs":
        with STATE.lock:
            return 200, {j: dict(v, fired=list(v.get("fired", [])))
                         for j, v in STATE.censor_jobs.items()}
    if h.command == "POST" and path == "/_fake/censor/fire":
        return censor_fire(h, h.json_body())
    if h.command == "GET" and path == "/_fake/im/state":
        with STATE.lock:
            return 200, {"users": STATE.im_users, "groups": STATE.im_groups,
                         "messages": STATE.im_messages}
    if h.command != "POST":
        return 404, {"error": "unknown control route"}
    body = h.json_body()
    with STATE.lock:
        if path == "/_fake/reset":
            STATE.reset()
        elif path in ("/_fake/fail", "/_fake/fault"):
            STATE.faults[body["service"]] = {
                "mode": body.get("mode", "down"), "count": int(body.get("count", 1)),
                "delay": float(body.get("delay", 10)), "size": int(body.get("size", 0)),
                "code": int(body.get("code", 0))}
        elif path == "/_fake/reply":
            STATE.replies[body["service"]] = {
                "status": int(body.get("status", 200)), "body": body.get("body", {}),
                "count": body.get("count")}
        elif path == "/_fake/rtc/room":
            STATE.rtc_rooms[(body["app"], body["room"])] = list(body.get("users", []))
        elif path == "/_fake/im/user":
            uid = STATE.im_next_user
            STATE.im_next_user += 1
            STATE.im_users[body["username"]] = {"user_id": uid,
                                                "password": body.get("password", "")}
            return 200, {"user_id": uid}
        else:
            return 404, {"error": "unknown control route"}
    return 200, {"ok": True}


# --------------------------------------------------------------------------------------------
# HTTP plumbing

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services
    server_version = "fake-qiniu"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_qiniu: " + (fmt % args) + "\n")

    def hdr(self, name):
        return self.headers.get(name)

    def json_body(self):
        if not self.raw_body:
            return {}
        try:
            v = json.loads(self.raw_body)
        except ValueError:
            raise Reply(400, {"error": "body is not JSON"})
        if not isinstance(v, dict):
            raise Reply(400, {"error": "body is not a JSON object"})
        return v

    def send(self, status, body, raw=None):
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode()
                                            if body is not None else b"")
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def parse(self):
        u = urllib.parse.urlsplit(self.path)
        self.full_path = u.path
        self.path_only = u.path
        self.raw_query = u.query
        self.query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        n = int(self.headers.get("Content-Length") or 0)
        self.raw_body = self.rfile.read(n) if n > 0 else b""
        seg = u.path.split("/", 2)
        self.service = seg[1] if len(seg) > 1 else ""
        self.sub_path = "/" + seg[2] if len(seg) > 2 else "/"

    def record(self):
        try:
            body = json.loads(self.raw_body) if self.raw_body else None
        except ValueError:
            body = None
        self.call = {
            "service": self.service, "method": self.command, "path": self.sub_path,
            "full_path": self.full_path, "raw_query": self.raw_query,
            "query": {k: v[0] for k, v in self.query.items()},
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "header_names": list(self.headers.keys()),
            "body": body, "raw_body": self.raw_body.decode("utf-8", "replace"),
            "status": None, "time": time.time(),
        }
        with STATE.lock:
            STATE.calls.append(self.call)

    def apply_fault(self):
        """True when the fault produced the whole answer."""
        f = STATE.take(STATE.faults, self.service)
        if not f:
            return False
        self.call["fault"] = f["mode"]
        mode = f["mode"]
        if mode == "slow":
            time.sleep(f["delay"])
            return False
        if mode == "drop":
            self.close_connection = True
            self.call["status"] = 0
            return True
        if mode == "down":
            status, body, raw = 503, {"error": "fake service down"}, None
        elif mode == "big":
            status, body, raw = 200, None, b"x" * f["size"]
        elif mode == "empty":
            status, body, raw = 200, None, b""
        else:
            (status, body), raw = error_reply(self.service, f["code"]), None
        self.call["status"] = status
        self.send(status, body, raw)
        return True

    def handle_service(self):
        self.record()
        if self.apply_fault():
            return
        canned = STATE.take(STATE.replies, self.service)
        try:
            if canned:
                status, body = canned["status"], canned["body"]
            else:
                status, body = SERVE[self.service](self)
        except Reply as r:
            status, body = r.status, r.body
        self.call["status"] = status
        self.send(status, body)

    def dispatch(self):
        try:
            self.parse()
            if self.full_path.startswith("/_fake/"):
                try:
                    status, body = control(self)
                except (KeyError, ValueError, TypeError, Reply) as e:
                    status, body = 400, {"error": "bad control request: %r" % (e,)}
                self.send(status, body)
            elif self.service in SERVE:
                self.handle_service()
            else:
                self.send(404, {"error": "unknown service prefix"})
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = dispatch


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global STATE
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file", help="write the bound port here once listening")
    ap.add_argument("--im-app-id", default="test-im-app")
    ap.add_argument("--im-token", default="test-im-token")
    ap.add_argument("--ak", default="test-ak")
    ap.add_argument("--sk", default="test-sk")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    STATE = State(args)

    srv = Server(("127.0.0.1", args.port), Handler)
    srv.verbose = args.verbose
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.replace(tmp, args.port_file)  # readers never see a half-written file

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()


if __name__ == "__main__":
    main()
