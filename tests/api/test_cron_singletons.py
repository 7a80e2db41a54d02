"""Singleton jobs (the room and audience timeouts, like flushing, retries) survive their node:
with a shared cache any node may run them under the singleton lease, cron.single_task_node only
getting the first pick; without one, the single node runs them whatever the cron section says."""
import signal
import time

import pytest
import requests

from qnlive_server import BACKEND, Server, free_port

JOB = "live_user_timeout"


def exporter_yaml(port):
    return ("prome:\n  client_mode: exporter\n  exporter_config:\n"
            "    listen_addr: 127.0.0.1:%d\n" % port)


def runs(port, job=JOB):
    text = requests.get("http://127.0.0.1:%d/metrics" % port, timeout=10).text
    for line in text.splitlines():
        if line.startswith('qnlive_cron_runs_total{job="%s"}' % job):
            return int(line.split()[-1])
    return 0


def wait_until(pred, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return pred()


def rewrite(srv, old, new):
    with open(srv.config) as f:
        text = f.read()
    assert old in text, old
    with open(srv.config, "w") as f:
        f.write(text.replace(old, new))


def node(port, node_id, share_with=None):
    s = Server(extra=exporter_yaml(port) + "live:\n  timeout_check_s: 1\n")
    if node_id != 1:
        rewrite(s, "node:\n  node_id: 1\n", "node:\n  node_id: %d\n" % node_id)
    if share_with is not None and s.db:
        rewrite(s, "database: %s\n" % s.db, "database: %s\n" % share_with.db)
    return s


def test_single_node_runs_singletons_without_a_matching_cron_section():
    port = free_port()
    s = node(port, 1)
    rewrite(s, "cron:\n  single_task_node: 1\n", "")  # no cron section at all
    s.start()
    try:
        assert wait_until(lambda: runs(port) >= 2, 30)
    finally:
        assert s.stop() == 0


@pytest.mark.skipif(BACKEND != "mysql", reason="two nodes need the shared MariaDB and Redis")
def test_other_node_takes_over_when_the_preferred_node_dies():
    pa, pb = free_port(), free_port()
    a = node(pa, 1).start()
    b = node(pb, 2, share_with=a).start()
    try:
        assert wait_until(lambda: runs(pa) >= 3, 30)
        time.sleep(5)  # longer than node 2's first-pick grace and the lease
        assert runs(pb) == 0  # the preferred node holds the lease
        a.stop(sig=signal.SIGKILL)  # dies: its lease is never released, it lapses
        assert wait_until(lambda: runs(pb) >= 2, 30)
    finally:
        a.stop()
        assert b.stop() == 0
