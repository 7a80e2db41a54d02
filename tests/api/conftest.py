import os
import shutil
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "fakes"))

import exchanges  # noqa: E402
from fake_client import FakeQiniu  # noqa: E402
from helpers import user_token  # noqa: E402
from qnlive_server import Server, env_script  # noqa: E402

exchanges.start_recording()


def pytest_collection_modifyitems(items):
    """The check of the API description replays what every other test exchanged: it runs last."""
    last = [i for i in items if i.module.__name__ == "test_openapi"]
    items[:] = [i for i in items if i.module.__name__ != "test_openapi"] + last


@pytest.fixture(scope="module")
def server():
    """One qnlive per test module, MAC auth on /server enabled."""
    s = Server().start()
    yield s
    assert s.stop() == 0


@pytest.fixture(scope="module")
def tokens(server):
    """Client tokens of the module's server, made once per user id."""
    made = {}

    def tok(uid):
        if uid not in made:
            made[uid] = user_token(server, uid)
        return made[uid]
    return tok


@pytest.fixture
def make_server():
    """Factory for tests that need their own configuration; every server is stopped."""
    started = []

    def make(**kw):
        s = Server(**kw)
        started.append(s)
        return s

    yield make
    for s in started:
        s.stop()


@pytest.fixture(scope="module")
def fake(request):
    """The fake Qiniu services (IM, RTC, Pili, callbacks, payment), recording every call. A test
    module that sets FAKE_CHECKS_ACCOUNT_KEYS = True gets fakes that refuse Pili and moderation
    calls not signed with the account keys every test server has (qnlive_server.py)."""
    checks = getattr(request.module, "FAKE_CHECKS_ACCOUNT_KEYS", False)
    f = (FakeQiniu(ak="acct-ak", sk="acct-sk") if checks else FakeQiniu()).start()
    yield f
    f.stop()


def im_yaml(fake, retry_s=1):
    return ("im:\n  app_id: %s\n  endpoint: %s\n  token: %s\n  register_retry_s: %d\n"
            % (fake.im_app_id, fake.url("im"), fake.im_token, retry_s))


@pytest.fixture(scope="module")
def im_server(fake):
    """qnlive with IM on (the fake Maxim) and MAC auth on /server."""
    s = Server(extra=im_yaml(fake)).start()
    yield s
    assert s.stop() == 0


@pytest.fixture
def own_redis():
    """A Redis of the test's own, to freeze or stop: (its directory, its exported variables)."""
    d = tempfile.mkdtemp(prefix="qnlive-own-redis-")
    env = env_script("redis.sh", "start", d)
    yield d, env
    env_script("redis.sh", "stop", d)
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def own_mariadb():
    """A MariaDB of the test's own, to freeze or stop: (its directory, its exported variables)."""
    d = tempfile.mkdtemp(prefix="qnlive-own-mariadb-")
    mdir = os.path.join(d, "m")
    env = env_script("mariadb.sh", "start", mdir)
    yield mdir, env
    env_script("mariadb.sh", "stop", mdir)
    shutil.rmtree(d, ignore_errors=True)
