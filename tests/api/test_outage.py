"""A database or cache that goes away mid-run gives clean 503 envelopes, never a crash or a
hang, and service resumes by itself when it comes back. MariaDB + Redis backend only: each test
starts its own throwaway server so the shared ones are never disturbed."""
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

import qnlive_server
from helpers import assert_error, assert_ok, client_call, server_call, user_token
from qnlive_server import ROOT, Server

pytestmark = pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                                reason="needs the MariaDB + Redis backend")

SCRIPTS = os.path.join(ROOT, "scripts", "testenv")


def script(name, *argv):
    out = subprocess.run([os.path.join(SCRIPTS, name)] + list(argv), check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return dict(re.findall(r"export (\w+)=(\S+)", out))


@pytest.fixture
def own_mariadb():
    d = tempfile.mkdtemp(prefix="qnlive-outage-")
    env = script("mariadb.sh", "start", os.path.join(d, "m"))
    yield d, env
    script("mariadb.sh", "stop", os.path.join(d, "m"))
    shutil.rmtree(d, ignore_errors=True)


def test_mariadb_down_then_back(own_mariadb):
    d, env = own_mariadb
    # the per-server database lives on this private MariaDB
    saved = os.environ["QNLIVE_TEST_MYSQL"]
    os.environ["QNLIVE_TEST_MYSQL"] = env["QNLIVE_TEST_MYSQL"]
    try:
        s = Server().start()
    finally:
        os.environ["QNLIVE_TEST_MYSQL"] = saved
    try:
        tok = user_token(s, "outage_u1")
        assert_ok(client_call(s, "GET", "/client/user/profile", tok))
        script("mariadb.sh", "stop", os.path.join(d, "m"))
        t0 = time.time()
        r = server_call(s, "GET", "/server/user/info/outage_u1")
        assert_error(r, 503, 503)
        assert time.time() - t0 < 20, "a dead database must not hang requests"
        assert_error(requests.get(s.url("/readyz")), 503, 503)
        assert requests.get(s.url("/status")).status_code == 200
        # either auth still knows the user (its short cache) and the handler answers 503, or
        # auth cannot look it up: 401, the reference's answer for a DB failure; never a hang
        r = client_call(s, "GET", "/client/user/profile", tok)
        assert_error(r, r.status_code, 503 if r.status_code == 503 else 401)
        assert r.status_code in (401, 503)
        script("mariadb.sh", "start", os.path.join(d, "m"))
        deadline = time.time() + 30
        while time.time() < deadline:
            r = server_call(s, "GET", "/server/user/info/outage_u1")
            if r.status_code == 200:
                break
            time.sleep(0.5)
        assert_ok(r)
        assert_ok(client_call(s, "GET", "/client/user/profile", tok))
    finally:
        assert s.stop() == 0
