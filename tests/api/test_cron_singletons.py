"""Singleton jobs (the room and audience timeouts, like flushing, retries) survive their node:
with a shared cache any node may run them under the singleton lease, cron.single_task_node only
getting the first pick; without one, the single node runs them whatever the cron section says.
The job's period is long and the tests move the servers' clocks past it, so each run comes from
the node's own schedule at a moment the test chose (the runner looks at its clock at least once
a second)."""
import signal
import time

import pytest
import requests

from helpers import advance_clock, run_job_on_one
from qnlive_server import BACKEND, Server, free_port

JOB = "live_user_timeout"
PERIOD_S = 600
# node 2 competes for the lease only one lease length (3 s) after its start
PAST_FIRST_PICK_S = 5


def exporter_yaml(port):
    return ("prome:\n  client_mode: exporter\n  exporter_config:\n"
            "    listen_addr: 127.0.0.1:%d\n" % port)


def runs(node, job=JOB):
    text = requests.get("http://127.0.0.1:%d/metrics" % node.metrics_port, timeout=10).text
    for line in text.splitlines():
        if line.startswith('qnlive_cron_runs_total{job="%s"}' % job):
            return int(line.split()[-1])
    return 0


def wait_until(pred, timeout=30):
    """For the server's threads to act on what the test did (a second or so)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def rewrite(srv, old, new):
    with open(srv.config) as f:
        text = f.read()
    assert old in text, old
    with open(srv.config, "w") as f:
        f.write(text.replace(old, new))


def node(node_id, share_with=None):
    port = free_port()
    s = Server(extra=exporter_yaml(port) + "live:\n  timeout_check_s: %d\n" % PERIOD_S)
    s.metrics_port = port
    if node_id != 1:
        rewrite(s, "node:\n  node_id: 1\n", "node:\n  node_id: %d\n" % node_id)
    if share_with is not None and s.db:
        rewrite(s, "database: %s\n" % s.db, "database: %s\n" % share_with.db)
    return s


def next_period(*nodes):
    for n in nodes:
        advance_clock(n, PERIOD_S + 1)


def test_single_node_runs_singletons_without_a_matching_cron_section():
    s = node(1)
    rewrite(s, "cron:\n  single_task_node: 1\n", "")  # no cron section at all
    s.start()
    try:
        advance_clock(s, PAST_FIRST_PICK_S)
        assert runs(s) == 0
        for n in (1, 2):
            next_period(s)
            assert wait_until(lambda: runs(s) >= n), (n, runs(s))
        assert runs(s) == 2
    finally:
        assert s.stop() == 0


def wait_for_log(s, text, timeout=30):
    return wait_until(lambda: text in s.read_log(), timeout)


@pytest.mark.skipif(BACKEND != "mysql", reason="two nodes need the shared MariaDB and Redis")
def test_other_node_takes_over_when_the_preferred_node_dies():
    a = node(1).start()
    b = node(2, share_with=a).start()
    try:
        for n in (a, b):
            advance_clock(n, PAST_FIRST_PICK_S)
        # the preferred node holds the lease: it runs the job, node 2 may not
        assert run_job_on_one([a, b], JOB) is a
        next_period(b, a)
        assert wait_until(lambda: runs(a) >= 2)
        assert runs(b) == 0
        assert run_job_on_one([a, b], JOB) is a
        a.stop(sig=signal.SIGKILL)  # dies: its lease is never released
        # the lease lapses in the cache one lease length later (real time: the cache expires
        # the key), and node 2's runner takes it
        assert wait_for_log(b, "singleton lease taken"), b.read_log()[-2000:]
        for n in (1, 2):
            next_period(b)
            assert wait_until(lambda: runs(b) >= n), (n, runs(b))
    finally:
        a.stop()
        assert b.stop() == 0
