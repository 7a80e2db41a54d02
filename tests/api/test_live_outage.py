"""An outage is not silence: while the database or the cache hangs, heartbeats that cannot get
through must not turn into audience timeouts once it is back. MariaDB + Redis backend only: each
test owns a throwaway server that it freezes with SIGSTOP."""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import requests

import qnlive_server
from helpers import assert_ok, client_call, user_token
from qnlive_server import ROOT, Server

pytestmark = pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                                reason="needs the MariaDB + Redis backend")

SCRIPTS = os.path.join(ROOT, "scripts", "testenv")
USER_TIMEOUT_S = 2
VIEWERS = 6


def script(name, *argv):
    out = subprocess.run([os.path.join(SCRIPTS, name)] + list(argv), check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return dict(re.findall(r"export (\w+)=(\S+)", out))


@pytest.fixture
def own_redis():
    d = tempfile.mkdtemp(prefix="qnlive-hang-redis-")
    env = script("redis.sh", "start", d)
    yield d, env
    script("redis.sh", "stop", d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def own_mariadb():
    d = tempfile.mkdtemp(prefix="qnlive-hang-")
    env = script("mariadb.sh", "start", os.path.join(d, "m"))
    yield os.path.join(d, "m"), env
    script("mariadb.sh", "stop", os.path.join(d, "m"))
    shutil.rmtree(d, ignore_errors=True)


def heartbeat_loop(srv, lid, tok, stop, paused, log):
    s = requests.Session()
    while not stop.is_set():
        if paused.is_set():  # a client that backs off while the service fails
            stop.wait(0.1)
            continue
        try:
            r = s.get(srv.url("/client/live/room/heartbeat/" + lid),
                      headers={"Authorization": tok}, timeout=15)
            log.append((time.time(), r.status_code, r.text))
        except requests.RequestException as e:
            log.append((time.time(), 0, str(e)))
        stop.wait(0.5)


def start_server(env):
    saved = {k: os.environ[k] for k in env if k in os.environ}
    os.environ.update(env)
    try:
        return Server(extra="live:\n  user_timeout_s: %d\n  timeout_check_s: 1\n"
                      % USER_TIMEOUT_S).start()
    finally:
        os.environ.update(saved)


def audience_survives_a_freeze(srv, pid_file):
    """A room with its anchor and viewers heartbeating every 0.5 s; the process of pid_file is
    frozen well past the audience timeout, then thawed. The clients pause while it is frozen and
    for a second after, like clients backing off after failures, so their silence outlasts the
    timeout only because of the outage: nobody may be evicted."""
    stop, paused = threading.Event(), threading.Event()
    logs, threads = {}, []
    try:
        anchor = user_token(srv, "hang_anchor")
        lid = assert_ok(client_call(srv, "POST", "/client/live/room/instance", anchor,
                                    {"title": "hang"}))["live_id"]
        assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, anchor, {}))
        users = {"hang_anchor": anchor}
        for i in range(VIEWERS):
            tok = user_token(srv, "hang_v%d" % i)
            assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, tok, {}))
            users["hang_v%d" % i] = tok
        for uid, tok in users.items():
            logs[uid] = []
            t = threading.Thread(target=heartbeat_loop,
                                 args=(srv, lid, tok, stop, paused, logs[uid]))
            t.start()
            threads.append(t)
        time.sleep(1.5)
        pid = int(open(pid_file).read().strip())
        os.kill(pid, signal.SIGSTOP)
        try:
            time.sleep(1)
            paused.set()
            time.sleep(USER_TIMEOUT_S + 4)  # well past the audience timeout
        finally:
            os.kill(pid, signal.SIGCONT)
        back = time.time()
        time.sleep(1)  # timeout passes run with the dependency back and the clients still silent
        paused.clear()
        time.sleep(USER_TIMEOUT_S + 3)
        stop.set()
        for t in threads:
            t.join(30)
        for uid, log in logs.items():
            evicted = [e for e in log if "user not in live room" in e[2]]
            assert not evicted, (uid, evicted[:2])
            # requests caught in the freeze may still be finishing just after it
            after = [e for e in log if e[0] > back + 4]
            assert after and all(code == 200 for _, code, _ in after), (uid, after[-3:])
        info = assert_ok(client_call(srv, "GET", "/client/live/room/info/" + lid, anchor))
        assert info["online_count"] == 1 + VIEWERS and info["anchor_status"] == 1
    finally:
        stop.set()
        for t in threads:
            t.join(30)


def test_a_hung_database_evicts_nobody(own_mariadb):
    mdir, env = own_mariadb
    srv = start_server({"QNLIVE_TEST_MYSQL": env["QNLIVE_TEST_MYSQL"]})
    try:
        audience_survives_a_freeze(srv, os.path.join(mdir, "pid"))
    finally:
        assert srv.stop() == 0


def test_a_hung_cache_evicts_nobody(own_redis):
    rdir, env = own_redis
    srv = start_server({"QNLIVE_TEST_REDIS": env["QNLIVE_TEST_REDIS"]})
    try:
        audience_survives_a_freeze(srv, os.path.join(rdir, "redis.pid"))
    finally:
        assert srv.stop() == 0
