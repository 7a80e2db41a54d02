import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from qnlive_server import Server  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """One qnlive per test module, MAC auth on /server enabled."""
    s = Server().start()
    yield s
    assert s.stop() == 0


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
