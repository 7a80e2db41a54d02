"""Starts the real qnlive binary on a free loopback port with a generated config.

The backend comes from QNLIVE_TEST_BACKEND: "sqlite" (embedded SQLite + memory cache) or
"mysql" (the MariaDB and Redis that scripts/test.sh started, found through QNLIVE_TEST_MYSQL and
QNLIVE_TEST_REDIS). Each server gets its own SQLite file or its own MariaDB database, so tests
never see each other's rows.
"""
import atexit
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def env_script(name, *argv):
    """Runs scripts/testenv/<name> (mariadb.sh, redis.sh) and returns the variables it exports."""
    out = subprocess.run([os.path.join(ROOT, "scripts", "testenv", name)] + list(argv),
                         check=True, capture_output=True, text=True, timeout=120).stdout
    return dict(re.findall(r"export (\w+)=(\S+)", out))
BIN = os.environ.get("QNLIVE_BIN", os.path.join(ROOT, "build", "debug", "qnlive"))
BACKEND = os.environ.get("QNLIVE_TEST_BACKEND", "sqlite")

JWT_KEY = "test-jwt-key-0123456789-abcdefghijklmnop"
SERVER_AK = "test-ak"
SERVER_SK = "test-sk"


_handed_out = set()


def free_port():
    """A loopback port nobody listens on now. With QNLIVE_TEST_PORTS=LOW-HIGH (scripts/test.sh
    gives each suite running beside another its own range, below the kernel's ephemeral ports)
    it comes from that range, so two suites never pick the same port; a port is never handed
    out twice by one test run."""
    lo, _, hi = os.environ.get("QNLIVE_TEST_PORTS", "").partition("-")
    for _ in range(1000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", random.randint(int(lo), int(hi)) if hi else 0))
            except OSError:
                continue
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no free port in QNLIVE_TEST_PORTS=%s" % os.environ["QNLIVE_TEST_PORTS"])


def mysql_params():
    """QNLIVE_TEST_MYSQL is host:port:user:password:database."""
    host, port, user, password, database = os.environ["QNLIVE_TEST_MYSQL"].split(":", 4)
    return host, int(port), user, password, database


def create_mysql_database():
    host, port, user, password, _ = mysql_params()
    name = "t_" + uuid.uuid4().hex[:12]
    cmd = ["mariadb", "--no-defaults", "-h", host, "-P", str(port), "-u", user]
    if password:
        cmd.append("-p" + password)
    subprocess.run(cmd + ["-e", "CREATE DATABASE %s CHARACTER SET utf8mb4" % name], check=True)
    return name


def backend_yaml(tmpdir, db):
    if BACKEND != "mysql":
        return "sqlite:\n  path: %s/qnlive.db\n" % tmpdir
    host, port, user, password, _ = mysql_params()
    entry = ("    - host: %s\n      port: %d\n      username: %s\n      password: \"%s\"\n"
             "      database: %s\n      max_open_conns: 16\n      max_idle_conns: 8\n"
             "      default: live\n") % (host, port, user, password, db)
    redis = os.environ["QNLIVE_TEST_REDIS"]
    return ("mysql:\n  databases:\n" + entry + entry + "      read_only: true\n"
            "cache:\n  type: node\n  addr: %s\n" % redis)


class Server:
    """One qnlive process. `extra` is YAML appended to the generated config, `httpq` lines
    added to its httpq section."""

    def __init__(self, extra="", server_auth=True, env=None, httpq=""):
        self.httpq = httpq
        self.tmp = tempfile.mkdtemp(prefix="qnlive-api-")
        # a server may be stopped and started again on its files: they go when the run ends
        # (QNLIVE_TEST_KEEP=1 keeps them for a look at the logs)
        if not os.environ.get("QNLIVE_TEST_KEEP"):
            atexit.register(shutil.rmtree, self.tmp, True)
        self.port = free_port()
        self.base = "http://127.0.0.1:%d" % self.port
        self.config = os.path.join(self.tmp, "qnlive.yaml")
        self.db = create_mysql_database() if BACKEND == "mysql" else None
        with open(self.config, "w") as f:
            f.write(self.render_config(server_auth) + backend_yaml(self.tmp, self.db) + extra)
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.log_path = os.path.join(self.tmp, "qnlive.log")

    def render_config(self, server_auth):
        return (
            "node:\n  node_id: 1\n"
            "account:\n  access_key: acct-ak\n  secret_key: acct-sk\n"
            "httpq:\n  addr: 127.0.0.1:%d\n  workers: 4\n  body_max: 65536\n"
            "  drain_timeout_s: 10\n%s"
            "auth:\n  jwt_key: %s\n  admin_hash_iterations: 1000\n  server:\n    enable: %s\n"
            "    access_key: %s\n    secret_key: %s\n"
            "rtc:\n  app_id: rtc-app\n"
            "cron:\n  single_task_node: 1\n"
            % (self.port, self.httpq, JWT_KEY, "true" if server_auth else "false", SERVER_AK, SERVER_SK))

    def start(self, timeout=30):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "-f", self.config], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env, cwd=self.tmp)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("qnlive exited with %s:\n%s" % (self.proc.returncode,
                                                                   self.read_log()))
            try:
                requests.get(self.base + "/status", timeout=1)
                return self
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("qnlive did not start:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the server and returns its exit status; sanitizer reports fail the test."""
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        log = self.read_log()
        assert "ERROR: AddressSanitizer" not in log, log
        assert "runtime error:" not in log, log
        assert "ERROR: LeakSanitizer" not in log, log
        return rc

    def url(self, path):
        return self.base + path

    def sql(self, statement):
        """Runs SQL on this server's database (for fixtures the API cannot create, such as
        admin accounts); returns the output rows as lists of strings."""
        if BACKEND == "mysql":
            host, port, user, password, _ = mysql_params()
            cmd = ["mariadb", "--no-defaults", "-N", "-B", "-h", host, "-P", str(port), "-u", user]
            if password:
                cmd.append("-p" + password)
            cmd += [self.db, "-e", statement]
        else:
            cmd = ["sqlite3", "-separator", "\t", os.path.join(self.tmp, "qnlive.db"), statement]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]
