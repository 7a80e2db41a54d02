"""Start-up without luck: qnlive started before its database and cache waits for them (with
back-off, logged, bounded by startup.dependency_wait_s) instead of exiting, gives up cleanly
when the bound passes, and stops at once on SIGTERM while it waits."""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

import qnlive_server
from qnlive_server import BIN, free_port


class LateForwarder:
    """A TCP port that refuses connections until open() is called, then forwards every
    connection to the real server at `target` (host, port)."""

    def __init__(self, target):
        self.target = target
        self.port = free_port()
        self.sock = None
        self.stopped = False

    def open(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.stopped = True
        if self.sock:
            self.sock.close()


def write_config(s, backend_yaml):
    with open(s.config, "w") as f:
        f.write(s.render_config(True) + backend_yaml)


def mysql_yaml(host, port, db, wait_s):
    _, _, user, password, _ = qnlive_server.mysql_params() if db else ("", 0, "root", "", "")
    return ("mysql:\n  databases:\n    - host: %s\n      port: %d\n      username: %s\n"
            "      password: \"%s\"\n      database: %s\n      default: live\n"
            "startup:\n  dependency_wait_s: %d\n" % (host, port, user, password, db or "live",
                                                     wait_s))


def spawn(s):
    s.log = open(s.log_path, "ab")
    s.proc = subprocess.Popen([BIN, "-f", s.config], stdout=s.log, stderr=subprocess.STDOUT,
                              env=s.env, cwd=s.tmp)


def wait_for_log(s, text, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if text in s.read_log():
            return
        assert s.proc.poll() is None, "qnlive exited early:\n" + s.read_log()
        time.sleep(0.1)
    pytest.fail("%r never logged:\n%s" % (text, s.read_log()))


def test_database_never_up_gives_up_after_the_bound(make_server):
    s = make_server()
    write_config(s, mysql_yaml("127.0.0.1", free_port(), None, 2))
    spawn(s)
    rc = s.proc.wait(timeout=120)
    log = s.read_log()
    assert rc == 1, log
    # several attempts with back-off, then one clear start-up error
    assert log.count("database (mysql) not reachable yet") >= 2, log
    assert "startup failed: store (mysql)" in log, log
    s.proc = None
    s.log.close()


def test_sigterm_while_waiting_stops_at_once(make_server):
    s = make_server()
    write_config(s, mysql_yaml("127.0.0.1", free_port(), None, 3600))
    spawn(s)
    wait_for_log(s, "not reachable yet")
    s.proc.send_signal(signal.SIGTERM)
    # the back-off sleeps at most 5 s between checks of the stop request; a minute is generous
    rc = s.proc.wait(timeout=60)
    assert rc != 0 and "startup failed" in s.read_log()
    s.proc = None
    s.log.close()


@pytest.mark.skipif(qnlive_server.BACKEND != "mysql", reason="needs the MariaDB + Redis backend")
def test_waits_for_database_and_cache_then_serves(make_server):
    mhost, mport, _, _, _ = qnlive_server.mysql_params()
    rhost, rport = os.environ["QNLIVE_TEST_REDIS"].rsplit(":", 1)
    db_fwd = LateForwarder((mhost, mport))
    cache_fwd = LateForwarder((rhost, int(rport)))
    s = make_server()
    try:
        write_config(s, mysql_yaml("127.0.0.1", db_fwd.port, s.db, 120) +
                     "cache:\n  type: node\n  addr: 127.0.0.1:%d\n" % cache_fwd.port)
        spawn(s)
        wait_for_log(s, "database (mysql) not reachable yet")
        db_fwd.open()
        wait_for_log(s, "cache (redis) not reachable yet")
        cache_fwd.open()
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                r = requests.get(s.url("/readyz"), timeout=5)
                break
            except requests.ConnectionError:
                assert s.proc.poll() is None, s.read_log()
                time.sleep(0.2)
        assert r.status_code == 200, r.text
        assert requests.get(s.url("/status")).status_code == 200
        assert s.stop() == 0
    finally:
        db_fwd.close()
        cache_fwd.close()


def test_cache_never_up_starts_not_ready(make_server):
    # the database answers (SQLite or the test MariaDB); the cache never does
    s = make_server(extra="cache:\n  type: node\n  addr: 127.0.0.1:%d\n"
                          "startup:\n  dependency_wait_s: 1\n" % free_port()
                    if qnlive_server.BACKEND != "mysql" else "")
    if qnlive_server.BACKEND == "mysql":
        with open(s.config) as f:
            text = f.read()
        with open(s.config, "w") as f:
            f.write(text.replace(os.environ["QNLIVE_TEST_REDIS"], "127.0.0.1:%d" % free_port())
                    + "startup:\n  dependency_wait_s: 1\n")
    s.start(timeout=60)
    assert "cache (redis) not reachable yet" in s.read_log()
    r = requests.get(s.url("/readyz"), timeout=10)
    assert r.status_code == 503 and r.json()["code"] == 503, r.text
    assert requests.get(s.url("/status"), timeout=10).status_code == 200
    assert s.stop() == 0


def test_json_log_format_every_line(make_server):
    # server auth off: the config loader itself logs a warning, before log.format is known
    s = make_server(server_auth=False, extra="log:\n  format: json\n").start()
    requests.get(s.url("/status?x=\"q\""), timeout=10)
    requests.get(s.url("/no/such"), headers={"X-Reqid": "json-log-1"}, timeout=10)
    assert s.stop() == 0
    lines = [json.loads(line) for line in s.read_log().splitlines()]
    assert all(set(e) == {"ts", "level", "module", "req_id", "msg"} for e in lines), lines
    assert any(e["module"] == "config" and e["level"] == "warn" for e in lines)
    assert any(e["req_id"] == "json-log-1" and "/no/such" in e["msg"] for e in lines)
    assert lines[-1]["msg"] == "bye"
