"""Scale-out: two nodes on one MariaDB and a three-master Redis Cluster, under mixed audience
load spread over both nodes. Totals (online counts, likes, stats) are exact on every node,
timeouts fire once, and the database sees statements in proportion to business events, not to
requests. MariaDB + Redis Cluster only (scripts/test.sh starts both)."""
import os
import random
import re
import subprocess
import threading
import time

import pytest

import qnlive_server
from helpers import assert_ok, client_call, user_token
from qnlive_server import Server, mysql_params

pytestmark = pytest.mark.skipif(
    qnlive_server.BACKEND != "mysql" or not os.environ.get("QNLIVE_TEST_REDIS_CLUSTER"),
    reason="needs MariaDB and a Redis Cluster")

LOAD_S = int(os.environ.get("QNLIVE_SCALE_LOAD_S", "30"))
ROOMS, VIEWERS_PER_ROOM = 3, 12
SILENT_PER_ROOM = 3  # stop heartbeating half way: each must time out exactly once
LEAVING_PER_ROOM = 2  # leave explicitly half way
USER_TIMEOUT_S = 5


def global_statements():
    host, port, user, password, _ = mysql_params()
    cmd = ["mariadb", "--no-defaults", "-N", "-B", "-h", host, "-P", str(port), "-u", user]
    if password:
        cmd.append("-p" + password)
    cmd += ["-e", "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_select','Com_insert',"
            "'Com_update','Com_delete','Com_replace')"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return sum(int(line.split("\t")[1]) for line in out.splitlines())


def cluster_node(db=None, node_id=1):
    """A server on the Redis Cluster; db names the database of another node to share."""
    s = Server(extra="live:\n  user_timeout_s: %d\n  timeout_check_s: 1\n  room_timeout_s: 600\n"
               % USER_TIMEOUT_S)
    with open(s.config) as f:
        cfg = f.read()
    seeds = "".join("    - %s\n" % a for a in os.environ["QNLIVE_TEST_REDIS_CLUSTER"].split(","))
    cfg = re.sub(r"cache:\n  type: node\n  addr: \S+\n", "cache:\n  type: cluster\n  addrs:\n"
                 + seeds, cfg)
    cfg = cfg.replace("node_id: 1", "node_id: %d" % node_id)
    if db:
        cfg = cfg.replace("database: %s" % s.db, "database: %s" % db)
        s.db = db
    with open(s.config, "w") as f:
        f.write(cfg)
    return s.start()


class Viewer(threading.Thread):
    """Joins a room through one node and then heartbeats, likes and reads the room through
    both, until told to stop; may go silent or leave half way."""

    def __init__(self, nodes, lid, uid, tok, fate, half, stop):
        super().__init__()
        self.nodes, self.lid, self.uid, self.tok = nodes, lid, uid, tok
        self.fate, self.half, self.stop = fate, half, stop
        self.liked, self.requests, self.errors = 0, 0, []

    def call(self, method, path, body=None):
        node = random.choice(self.nodes)
        self.requests += 1
        r = client_call(node, method, path, self.tok, body)
        if r.status_code != 200:
            self.errors.append((self.uid, self.fate, path, r.status_code, r.text[-40:]))
        return r

    def run(self):
        s = "/client/live/room/"
        self.call("POST", s + "user/" + self.lid, {})
        while not self.stop.is_set():
            if self.half.is_set() and self.fate == "silent":
                return
            if self.half.is_set() and self.fate == "leaving":
                self.call("DELETE", s + "user/" + self.lid)
                return
            self.call("GET", s + "heartbeat/" + self.lid)
            if self.call("PUT", s + "%s/like" % self.lid, {"count": 1}).status_code == 200:
                self.liked += 1
            self.call("GET", s + "info/" + self.lid)
            self.stop.wait(0.3)


def evictions(node):
    return sum(int(n) for n in re.findall(r"(\d+) users left their rooms: no heartbeat",
                                          node.read_log()))


def test_two_nodes_on_a_cluster_stay_exact():
    a = cluster_node()
    b = cluster_node(db=a.db, node_id=2)
    nodes = [a, b]
    stop, half = threading.Event(), threading.Event()
    threads = []
    try:
        rooms = {}
        for r in range(ROOMS):
            tok = user_token(a, "sc_anchor%d" % r)
            lid = assert_ok(client_call(a, "POST", "/client/live/room/instance", tok,
                                        {"title": "scale"}))["live_id"]
            assert_ok(client_call(b, "PUT", "/client/live/room/" + lid, tok, {}))
            rooms[lid] = tok
        st0 = global_statements()
        for i, (lid, atok) in enumerate(rooms.items()):
            threads.append(Viewer(nodes, lid, "sc_anchor%d" % i, atok, "anchor", half, stop))
            for v in range(VIEWERS_PER_ROOM):
                uid = "sc_v%d_%d" % (i, v)
                fate = ("silent" if v < SILENT_PER_ROOM else
                        "leaving" if v < SILENT_PER_ROOM + LEAVING_PER_ROOM else "staying")
                threads.append(Viewer(nodes, lid, uid, user_token(random.choice(nodes), uid),
                                      fate, half, stop))
        for t in threads:
            t.start()
        time.sleep(LOAD_S / 2)
        half.set()
        time.sleep(LOAD_S / 2)
        stop.set()
        for t in threads:
            t.join(60)
        st1 = global_statements()
        requests_sent = sum(t.requests for t in threads)
        # anchors never like their own room; the silent ones may see one "not in room" at most
        errors = [e for t in threads for e in t.errors
                  if not (t.fate == "anchor" and "like" in e[2])]
        assert not errors, errors[:5]

        staying = VIEWERS_PER_ROOM - SILENT_PER_ROOM - LEAVING_PER_ROOM
        for lid in rooms:
            for node in nodes:
                info = assert_ok(client_call(node, "GET", "/client/live/room/info/" + lid,
                                             rooms[lid]))
                assert info["online_count"] == 1 + staying, (lid, info["online_count"])
                assert info["anchor_status"] == 1
            liked = sum(t.liked for t in threads if t.lid == lid)
            for node in nodes:
                stats = assert_ok(client_call(node, "GET", "/client/stats/singleLive/" + lid,
                                              rooms[lid]))["info"]
                likes = next(s for s in stats if s["type"] == 6)
                assert likes["page_view"] == liked, (lid, likes, liked)
        assert evictions(a) + evictions(b) == ROOMS * SILENT_PER_ROOM
        # the write-behind has caught up: the table agrees with the cache
        time.sleep(2)
        online = a.sql("SELECT count(*) FROM live_room_user_entities WHERE status = 1")
        assert int(online[0][0]) == ROOMS * (1 + staying)
        # statements follow business events, not requests: at most one per acknowledged like
        # (group commits), a few per join, leave or timeout, each node's token lookup of each
        # user every few seconds (the auth cache) and the timeout job's check each second;
        # heartbeats and room reads cost none
        likes = sum(t.liked for t in threads)
        members = ROOMS * (1 + VIEWERS_PER_ROOM)
        budget = likes + 3 * members + 2 * members * (LOAD_S // 5 + 2) + 4 * LOAD_S
        print("scale: %d requests, %d likes, %d statements (%.3f per request)"
              % (requests_sent, likes, st1 - st0, (st1 - st0) / requests_sent))
        assert st1 - st0 <= budget, (st1 - st0, budget, requests_sent)
        assert st1 - st0 - likes < requests_sent / 10
    finally:
        stop.set()
        for t in threads:
            t.join(60)
        for n in nodes:
            assert n.stop() == 0
