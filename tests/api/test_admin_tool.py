"""`qnlive admin add|passwd|list`: admin accounts with slow salted password hashes, on the same
database the server uses; plaintext rows of the reference log in once and are rewritten hashed."""
import subprocess

import pytest
import requests

from helpers import assert_error, assert_ok
from qnlive_server import BIN

# the test servers set auth.admin_hash_iterations to 1000 (the default is 600000)
HASH_PREFIX = "$pbkdf2-sha256$1000$"


def admin(s, *argv, password=None):
    return subprocess.run([BIN, "admin"] + list(argv) + ["-f", s.config], input=password,
                          capture_output=True, text=True, timeout=120, env=s.env, cwd=s.tmp)


def login(s, name, password):
    return requests.post(s.url("/manager/login"), json={"user_name": name, "password": password},
                         timeout=30)


def stored_password(s, name):
    return s.sql("SELECT password FROM admin_user WHERE user_name = '%s'" % name)[0][0]


@pytest.fixture(scope="module")
def srv(server):
    return server


def test_add_list_login_and_passwd(srv):
    r = admin(srv, "add", "ops_1", "--description", "on call", password="first-secret\n")
    assert r.returncode == 0, r.stderr
    assert "added ops_1" in r.stdout
    stored = stored_password(srv, "ops_1")
    assert stored.startswith(HASH_PREFIX) and "first-secret" not in stored

    r = admin(srv, "list")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("id\tuser_name\tuser_id\tpassword\tdescription\n")
    assert "\tops_1\tops_1\thashed\ton call\n" in r.stdout
    assert "first-secret" not in r.stdout

    tok = assert_ok(login(srv, "ops_1", "first-secret"))["access_token"]
    assert tok
    assert_error(login(srv, "ops_1", "wrong-secret"), 403, 403)

    r = admin(srv, "passwd", "ops_1", password="second-secret\n")
    assert r.returncode == 0, r.stderr
    assert_error(login(srv, "ops_1", "first-secret"), 403, 403)
    assert_ok(login(srv, "ops_1", "second-secret"))


def test_refuses_duplicates_short_passwords_and_unknown_names(srv):
    assert admin(srv, "add", "ops_2", password="ops2-secret\n").returncode == 0
    r = admin(srv, "add", "ops_2", password="ops2-secret\n")
    assert r.returncode == 1 and "exists" in r.stderr
    r = admin(srv, "add", "ops_3", "--user-id", "ops_2", password="ops3-secret\n")
    assert r.returncode == 1  # user_id is unique too
    r = admin(srv, "add", "ops_4", password="short\n")
    assert r.returncode == 1 and "8 to 128" in r.stderr
    r = admin(srv, "add", "ops_5", password="")
    assert r.returncode == 1 and "no password" in r.stderr
    r = admin(srv, "passwd", "nobody_here", password="whatever-long\n")
    assert r.returncode == 1 and "no admin named nobody_here" in r.stderr
    assert admin(srv, "frobnicate").returncode == 2
    assert admin(srv, "add").returncode == 2
    assert srv.sql("SELECT COUNT(*) FROM admin_user WHERE user_name IN "
                   "('ops_3', 'ops_4', 'ops_5')") == [["0"]]


def test_plaintext_reference_row_logs_in_once_then_is_hashed(srv):
    srv.sql("INSERT INTO admin_user (user_name, user_id, password, description) "
            "VALUES ('legacy_1', 'legacy_1', 'plain-pw', 'reference row')")
    assert "legacy_1\tlegacy_1\tPLAINTEXT" in admin(srv, "list").stdout
    assert_error(login(srv, "legacy_1", "plain-pwx"), 403, 403)
    assert stored_password(srv, "legacy_1") == "plain-pw"  # a failed login changes nothing
    assert_ok(login(srv, "legacy_1", "plain-pw"))
    stored = stored_password(srv, "legacy_1")
    assert stored.startswith(HASH_PREFIX)
    assert_ok(login(srv, "legacy_1", "plain-pw"))  # the hash verifies the same password
    assert_error(login(srv, "legacy_1", stored), 403, 403)  # the hash itself is no password
    assert "legacy_1\tlegacy_1\thashed" in admin(srv, "list").stdout
