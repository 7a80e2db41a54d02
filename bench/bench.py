#!/usr/bin/python3
"""qnlive load benchmark: seeds realistic data, drives wrk per workload, prints one table.

    bench/run.sh                       # MariaDB + Redis (started here), release build
    bench/run.sh --backend sqlite      # SQLite + memory cache
    bench/run.sh --url http://127.0.0.1:8099 --jwt-key K --ak AK --sk SK --pid PID
                                       # an already running server (any implementation of the API)

Workloads: /status (and nginx serving the same bytes, as the ceiling), room info, room list
(page 1 and a deep page), user profile, join, heartbeat, like, and a mixed audience session.
Columns: requests/s, the same as a fraction of the server's own /status in this run (robust to
the machine's drift), p50 and p99 latency, errors (socket errors + HTTP >= 400), server RSS
before/after, CPU time per request (server process) and, on MariaDB, the statements each
request cost (deltas of SHOW GLOBAL STATUS Com_select/insert/update/delete/replace) and
MariaDB's CPU per request when this run started it (or --mysql-pid names it).
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
JWT_KEY = "bench-jwt-key-0123456789abcdefghijklmnopqrstuv"
AK, SK = "bench-ak", "bench-sk"

N_USERS, N_ROOMS, N_ONAIR, AUDIENCE = 10000, 1000, 100, 50


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def b64url(data, pad=True):
    s = base64.urlsafe_b64encode(data).decode()
    return s if pad else s.rstrip("=")


def jwt(user_id, key):
    seg = lambda o: b64url(json.dumps(o, separators=(",", ":")).encode(), pad=False)
    signing = seg({"alg": "HS256", "typ": "JWT"}) + "." + seg(
        {"exp": int(time.time()) + 86400, "AppId": "bench", "UserId": user_id,
         "DeviceId": "d", "Role": ""})
    sig = hmac.new(key.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig, pad=False)


class Api:
    def __init__(self, base, jwt_key, ak, sk):
        self.base, self.jwt_key, self.ak, self.sk = base, jwt_key, ak, sk
        self.host = base.split("://", 1)[1].rstrip("/")

    def call(self, method, path, body=None, token=None, signed=False):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", token)
        if signed:
            s = "%s %s\nHost: %s\n" % (method, path, self.host)
            if data is not None:
                s += "Content-Type: application/json\n"
            s += "\n"
            raw = s.encode() + (data or b"")
            sign = b64url(hmac.new(self.sk.encode(), raw, hashlib.sha1).digest())
            req.add_header("Authorization", "Qiniu %s:%s" % (self.ak, sign))
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def token(self, uid):
        return jwt(uid, self.jwt_key)


def seed(api):
    """10,000 users, 1,000 rooms of which 100 on air with 50 audience members each, likes."""
    t0 = time.time()
    users = ["bu%05d" % i for i in range(N_USERS)]
    for i in range(0, N_USERS, 200):
        batch = [{"user_id": u, "nick": "nick " + u, "avatar": "https://cdn.example.com/%s.png" % u,
                  "extends": {"level": str(j % 10)}} for j, u in enumerate(users[i:i + 200])]
        api.call("POST", "/server/user/register/batch", batch, signed=True)
    anchors = users[:N_ROOMS]

    def create(a):
        info = api.call("POST", "/client/live/room/instance",
                        {"title": "room of " + a, "notice": "hello", "extends": {"k": "v"}},
                        token=api.token(a))
        return info["data"]["live_id"]

    with ThreadPoolExecutor(8) as ex:
        rooms = list(ex.map(create, anchors))
        onair = rooms[:N_ONAIR]
        list(ex.map(lambda i: api.call("PUT", "/client/live/room/" + onair[i],
                                       token=api.token(anchors[i])), range(N_ONAIR)))
        audience = {}
        for i, live in enumerate(onair):
            audience[live] = users[N_ROOMS + i * AUDIENCE: N_ROOMS + (i + 1) * AUDIENCE]
        pairs = [(live, u) for live, us in audience.items() for u in us]
        list(ex.map(lambda p: api.call("POST", "/client/live/room/user/" + p[0],
                                       token=api.token(p[1])), pairs))
        list(ex.map(lambda p: api.call("PUT", "/client/live/room/%s/like" % p[0], {"count": 3},
                                       token=api.token(p[1])), pairs[::5]))
    print("seeded %d users, %d rooms (%d on air, %d audience) in %.1f s"
          % (N_USERS, N_ROOMS, N_ONAIR, len(pairs), time.time() - t0), file=sys.stderr)
    return users, rooms, onair, audience


def plans(api, users, rooms, onair, audience, connections):
    """One request list per workload: METHOD, PATH, TOKEN, BODY."""
    members = [(live, u) for live, us in audience.items() for u in us]
    tok = {u: api.token(u) for _, u in members}
    viewers = users[N_ROOMS:N_ROOMS + 2000]
    # a whole number of sessions per wrk thread, so no two threads ever walk the same user
    n_sessions = 2000 // connections * connections
    return {
        "status": [("GET", "/status", "", "")],
        "room info": [("GET", "/client/live/room/info/" + onair[i % len(onair)],
                       tok[members[i][1]], "") for i in range(len(members))],
        "room list p1": [("GET", "/client/live/room/list?page_num=1&page_size=10",
                          tok[members[i][1]], "") for i in range(len(members))],
        "room list p50": [("GET", "/client/live/room/list?page_num=50&page_size=10",
                           tok[members[i][1]], "") for i in range(len(members))],
        "user profile": [("GET", "/client/user/profile", tok[members[i][1]], "")
                         for i in range(len(members))],
        "join": [("POST", "/client/live/room/user/" + live, tok[u], "") for live, u in members],
        "heartbeat": [("GET", "/client/live/room/heartbeat/" + live, tok[u], "")
                      for live, u in members],
        "like": [("PUT", "/client/live/room/%s/like" % live, tok[u], '{"count":1}')
                 for live, u in members],
        "audience session": [r for live, u in members[:n_sessions] for r in (
            ("POST", "/client/live/room/user/" + live, tok[u], ""),
            ("GET", "/client/live/room/info/" + live, tok[u], ""),
            ("GET", "/client/live/room/heartbeat/" + live, tok[u], ""),
            ("PUT", "/client/live/room/%s/like" % live, tok[u], '{"count":1}'),
            ("GET", "/client/live/room/heartbeat/" + live, tok[u], ""),
            ("DELETE", "/client/live/room/user/" + live, tok[u], ""))],
    }, viewers


def proc_stats(pid):
    """(RSS in MB, CPU seconds) of a process, or (None, None) when unknown."""
    if not pid:
        return None, None
    try:
        with open("/proc/%d/statm" % pid) as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return rss, cpu
    except OSError:
        return None, None


SESSION_STEPS = 6


def run_wrk(base, plan, args, tmp, group=0):
    path = os.path.join(tmp, "plan.tsv")
    with open(path, "w") as f:
        for m, p, t, b in plan:
            f.write("%s\t%s\t%s\t%s\n" % (m, p, t, b))
    # ordered sessions need one connection per wrk thread (see lua/common.lua)
    threads = args.connections if group else args.threads
    cmd = ["wrk", "-t%d" % threads, "-c%d" % args.connections, "-d%ds" % args.duration,
           "--latency", "-s", os.path.join(HERE, "lua", "common.lua"), base]
    env = dict(os.environ, BENCH_PLAN=path, BENCH_GROUP=str(group), BENCH_THREADS=str(threads))
    out = subprocess.run(cmd, capture_output=True, text=True, env=env,
                         cwd=os.path.join(HERE, "lua"), timeout=args.duration + 60).stdout
    m = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError("wrk gave no summary:\n" + out)
    return json.loads(m.group(1))


STATEMENTS = ("Com_select", "Com_insert", "Com_update", "Com_delete", "Com_replace")


class Mysql:
    """Statement counters of a MariaDB ("host:port:user:password"), read with the CLI."""

    def __init__(self, spec, pid):
        self.host, self.port, self.user, self.password = (spec.split(":") + [""] * 4)[:4]
        self.pid = pid
        self.idle = 0
        a, b = self.statements(), self.statements()
        self.idle = b - a  # what reading the counters itself costs

    def statements(self):
        cmd = ["mariadb", "--no-defaults", "-N", "-B", "-h", self.host, "-P", self.port,
               "-u", self.user]
        if self.password:
            cmd.append("-p" + self.password)
        cmd += ["-e", "SHOW GLOBAL STATUS WHERE Variable_name IN (%s)"
                % ",".join("'%s'" % v for v in STATEMENTS)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        return sum(int(line.split("\t")[1]) for line in out.splitlines() if "\t" in line)


def measure(name, base, plan, pid, args, tmp, db=None):
    rss0, cpu0 = proc_stats(pid)
    st0 = db.statements() if db else None
    _, dbcpu0 = proc_stats(db.pid if db else None)
    s = run_wrk(base, plan, args, tmp, SESSION_STEPS if name == "audience session" else 0)
    rss1, cpu1 = proc_stats(pid)
    _, dbcpu1 = proc_stats(db.pid if db else None)
    st1 = db.statements() if db else None
    n = s["requests"]
    rps = n / (s["duration_us"] / 1e6)
    cpu_us = (cpu1 - cpu0) * 1e6 / n if cpu0 is not None and n else None
    stmts = (st1 - st0 - db.idle) / n if db and n else None
    db_us = (dbcpu1 - dbcpu0) * 1e6 / n if dbcpu0 is not None and n else None
    return {"name": name, "rps": rps, "p50": s["p50_us"] / 1000, "p99": s["p99_us"] / 1000,
            "errors": s["errors"], "rss0": rss0, "rss1": rss1, "cpu_us": cpu_us,
            "stmts": stmts, "db_us": db_us}


def fmt(v, spec):
    return (spec % v) if v is not None else "-"


def print_table(rows, title):
    status = next((r["rps"] for r in rows if r["name"] == "status"), None)
    print("\n" + title)
    print("| workload | req/s | of /status | p50 ms | p99 ms | errors | RSS before MB | "
          "RSS after MB | CPU us/req | SQL stmts/req | MariaDB CPU us/req |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print("| %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |" % (
            r["name"], fmt(r["rps"], "%.0f"),
            fmt(r["rps"] / status if status else None, "%.2f"), fmt(r["p50"], "%.2f"),
            fmt(r["p99"], "%.2f"), r["errors"], fmt(r["rss0"], "%.1f"), fmt(r["rss1"], "%.1f"),
            fmt(r["cpu_us"], "%.0f"), fmt(r.get("stmts"), "%.3f"), fmt(r.get("db_us"), "%.0f")))
    sys.stdout.flush()


class Servers:
    """The processes this run starts, stopped in reverse order at the end."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.stops = []

    def script(self, name, *argv):
        out = subprocess.run([os.path.join(ROOT, "scripts", "testenv", name)] + list(argv),
                             check=True, capture_output=True, text=True).stdout
        return dict(re.findall(r"export (\w+)=(\S+)", out))

    def mariadb_redis(self):
        env = self.script("mariadb.sh", "start", os.path.join(self.tmp, "m"))
        self.mysql_spec = env["QNLIVE_TEST_MYSQL"]
        with open(os.path.join(self.tmp, "m", "pid")) as f:
            self.mysql_pid = int(f.read().strip())
        self.stops.append(lambda: self.script("mariadb.sh", "stop", os.path.join(self.tmp, "m")))
        renv = self.script("redis.sh", "start", os.path.join(self.tmp, "r"))
        self.stops.append(lambda: self.script("redis.sh", "stop", os.path.join(self.tmp, "r")))
        host, port, user, password, db = (env["QNLIVE_TEST_MYSQL"].split(":") + [""] * 5)[:5]
        entry = ("    - {host: %s, port: %s, username: %s, password: \"%s\", database: %s, "
                 "max_open_conns: 64, max_idle_conns: 64, default: live%s}\n")
        return ("mysql:\n  databases:\n" + entry % (host, port, user, password, db, "") +
                entry % (host, port, user, password, db, ", read_only: true") +
                "cache:\n  type: node\n  addr: %s\n" % renv["QNLIVE_TEST_REDIS"])

    def qnlive(self, binary, backend_yaml, port, view_cache_ms=None, workers=0):
        cfg = os.path.join(self.tmp, "qnlive.yaml")
        with open(cfg, "w") as f:
            f.write("node: {node_id: 1}\naccount: {access_key: a, secret_key: s}\n"
                    "httpq: {addr: \"127.0.0.1:%d\", workers: %d}\n"
                    "auth: {jwt_key: %s, server: {enable: true, access_key: %s, secret_key: %s}}\n"
                    "rtc: {app_id: bench}\ncron: {single_task_node: 1}\nlog: {level: warn}\n"
                    # the workloads run for minutes: no audience may time out meanwhile
                    "live: {%suser_timeout_s: 3600}\n"
                    % (port, workers, JWT_KEY, AK, SK,
                       "" if view_cache_ms is None else "view_cache_ms: %d, " % view_cache_ms))
            f.write(backend_yaml or "sqlite: {path: %s/qnlive.db}\n" % self.tmp)
        log = open(os.path.join(self.tmp, "qnlive.log"), "wb")
        p = subprocess.Popen([binary, "-f", cfg], stdout=log, stderr=subprocess.STDOUT,
                             cwd=self.tmp)
        self.stops.append(lambda: (p.send_signal(signal.SIGTERM), p.wait(30)))
        wait_http("http://127.0.0.1:%d/status" % port)
        return p.pid

    def nginx(self, port, body):
        d = os.path.join(self.tmp, "nginx")
        os.makedirs(d, exist_ok=True)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write("worker_processes 1;\npid %s/nginx.pid;\nerror_log %s/error.log;\n"
                    "events { worker_connections 1024; }\nhttp { access_log off;\n"
                    "server { listen 127.0.0.1:%d;\nlocation /status { default_type "
                    "\"application/json; charset=utf-8\"; return 200 '%s'; } } }\n"
                    % (d, d, port, body))
        subprocess.run(["nginx", "-c", conf, "-p", d], check=True)
        self.stops.append(lambda: subprocess.run(["nginx", "-c", conf, "-p", d, "-s", "stop"]))
        wait_http("http://127.0.0.1:%d/status" % port)

    def stop_all(self):
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception as e:  # keep stopping the rest
                print("stop failed: %s" % e, file=sys.stderr)


def wait_http(url, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("no answer from " + url)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--backend", choices=["mysql", "sqlite"], default="mysql")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "release", "qnlive"))
    ap.add_argument("--url", help="benchmark an already running server instead")
    ap.add_argument("--jwt-key", default=JWT_KEY)
    ap.add_argument("--ak", default=AK)
    ap.add_argument("--sk", default=SK)
    ap.add_argument("--pid", type=int, help="pid of the external server (for RSS and CPU)")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", help="comma-separated workload names")
    ap.add_argument("--workers", type=int, default=0,
                    help="httpq.workers of the started server (0: the default, 2 x cores)")
    ap.add_argument("--view-cache-ms", type=int, default=None,
                    help="live.view_cache_ms of the started server (default: the server's)")
    ap.add_argument("--mysql", help="host:port:user:password of the external server's MariaDB, "
                    "to count its statements")
    ap.add_argument("--mysql-pid", type=int, help="pid of that MariaDB (for its CPU)")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="qnlive-bench-")
    servers = Servers(tmp)
    servers.mysql_spec, servers.mysql_pid = args.mysql, args.mysql_pid
    try:
        if args.url:
            base, pid = args.url.rstrip("/"), args.pid
        else:
            port = free_port()
            backend = servers.mariadb_redis() if args.backend == "mysql" else None
            pid = servers.qnlive(args.binary, backend, port, args.view_cache_ms, args.workers)
            base = "http://127.0.0.1:%d" % port
        api = Api(base, args.jwt_key, args.ak, args.sk)
        users, rooms, onair, audience = seed(api)
        workloads, _ = plans(api, users, rooms, onair, audience, args.connections)
        status_body = urllib.request.urlopen(base + "/status").read().decode()
        ng_port = free_port()
        servers.nginx(ng_port, status_body.replace("'", ""))
        rows = [measure("nginx /status (ceiling)", "http://127.0.0.1:%d" % ng_port,
                        [("GET", "/status", "", "")], None, args, tmp)]
        db = Mysql(servers.mysql_spec, servers.mysql_pid) if servers.mysql_spec else None
        time.sleep(2)  # the seed's write-behind settles
        only = set(args.only.split(",")) if args.only else None
        for name, plan in workloads.items():
            if only and name not in only:
                continue
            rows.append(measure(name, base, plan, pid, args, tmp, db))
        what = args.url or "qnlive %s, %s, view_cache_ms %s" % (
            os.path.basename(args.binary), args.backend,
            "default" if args.view_cache_ms is None else args.view_cache_ms)
        print_table(rows, "%s; wrk -t%d -c%d -d%ds; %d cores" % (
            what, args.threads, args.connections, args.duration, os.cpu_count()))
    finally:
        servers.stop_all()


if __name__ == "__main__":
    main()
