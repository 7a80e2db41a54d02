"""Start/stop and inspect the fake outside services (fake_qiniu.py) from Python tests.

    from fake_client import FakeQiniu
    fake = FakeQiniu().start()
    cfg_im_endpoint = fake.url("im")          # http://127.0.0.1:P/im
    ...
    assert fake.calls("im")[0]["path"] == "/user/register/v2"
    fake.fail("im", "down", count=1)
    fake.stop()

As a pytest fixture:

    @pytest.fixture
    def fake():
        with FakeQiniu() as f:
            yield f
"""

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"

DEFAULTS = {"im_app_id": "test-im-app", "im_token": "test-im-token", "ak": "test-ak",
            "sk": "test-sk"}


class FakeQiniu:
    """One fake_qiniu.py process on a free loopback port."""

    def __init__(self, im_app_id=None, im_token=None, ak=None, sk=None, verbose=False):
        self.im_app_id = im_app_id or DEFAULTS["im_app_id"]
        self.im_token = im_token or DEFAULTS["im_token"]
        self.ak = ak or DEFAULTS["ak"]
        self.sk = sk or DEFAULTS["sk"]
        self.verbose = verbose
        self.proc = None
        self.port = None
        self._dir = None

    # lifecycle ----------------------------------------------------------------------------

    def start(self, timeout=10.0):
        self._dir = tempfile.TemporaryDirectory(prefix="fake-qiniu-")
        port_file = os.path.join(self._dir.name, "port")
        cmd = [PYTHON, os.path.join(HERE, "fake_qiniu.py"), "--port", "0",
               "--port-file", port_file, "--im-app-id", self.im_app_id,
               "--im-token", self.im_token, "--ak", self.ak, "--sk", self.sk]
        if self.verbose:
            cmd.append("--verbose")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("fake_qiniu exited with %d" % self.proc.returncode)
            if os.path.exists(port_file):
                with open(port_file) as f:
                    self.port = int(f.read().strip())
                return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("fake_qiniu did not start within %.0f s" % timeout)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if self._dir:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # addresses ----------------------------------------------------------------------------

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, service):
        """Base URL to configure for a service: im, rtc, pili, censor, callback, pay, telemetry."""
        return "%s/%s" % (self.base, service)

    # control API --------------------------------------------------------------------------

    def _control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read() or b"null")

    def calls(self, service=None):
        """Recorded calls, oldest first (all services when service is None)."""
        q = "?service=" + service if service else ""
        return self._control("GET", "/_fake/calls" + q)

    def last_call(self, service):
        calls = self.calls(service)
        return calls[-1] if calls else None

    def wait_calls(self, service, n, timeout=5.0):
        """Waits until at least n calls of service were recorded (for asynchronous senders)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.calls(service)
            if len(calls) >= n or time.monotonic() >= deadline:
                return calls
            time.sleep(0.05)

    def reset(self):
        self._control("POST", "/_fake/reset", {})

    def fail(self, service, mode, count=1, delay=None, size=None, code=None):
        """The next `count` calls of service fail: down, error, slow, big, empty or drop."""
        body = {"service": service, "mode": mode, "count": count}
        for k, v in (("delay", delay), ("size", size), ("code", code)):
            if v is not None:
                body[k] = v
        self._control("POST", "/_fake/fail", body)

    def reply(self, service, body, status=200, count=None):
        """Canned reply for the next `count` calls of service (all when None)."""
        req = {"service": service, "status": status, "body": body}
        if count is not None:
            req["count"] = count
        self._control("POST", "/_fake/reply", req)

    def set_rtc_room(self, app, room, users):
        self._control("POST", "/_fake/rtc/room", {"app": app, "room": room, "users": users})

    def add_im_user(self, username, password=""):
        return self._control("POST", "/_fake/im/user",
                             {"username": username, "password": password})["user_id"]

    def im_state(self):
        return self._control("GET", "/_fake/im/state")

    def censor_jobs(self):
        """Moderation jobs the fake holds: id -> {body, open, created_at, fired}."""
        return self._control("GET", "/_fake/censor/jobs")

    def censor_fire(self, job, **result):
        """Makes the fake POST an image result of `job` to its hook URL; returns
        {"status", "body", "image"} (qnlive's HTTP status and reply text)."""
        return self._control("POST", "/_fake/censor/fire?job=" + job, result)
