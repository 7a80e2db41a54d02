"""The HTTP edge: requests the server refuses by itself (oversized or ambiguous framing, a NUL in
the path, unsupported codings or versions, clients that send too slowly) are answered at once
with the JSON envelope and X-Reqid, keep nothing behind, and never starve other clients."""
import json
import os
import socket
import threading
import time

import requests

BODY_MAX = 65536  # the test config's httpq.body_max


def exchange(port, data, more=(), timeout=10):
    """Sends data (then each chunk of `more`), returns (raw reply bytes, seconds taken)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(timeout)
    t0 = time.monotonic()
    s.sendall(data)
    for chunk in more:
        s.sendall(chunk)
    reply = b""
    try:
        while True:
            got = s.recv(65536)
            if not got:
                break
            reply += got
            if complete(reply):
                break
    finally:
        s.close()
    return reply, time.monotonic() - t0


def complete(reply):
    head, sep, body = reply.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            return len(body) >= int(v)
    return False


def read_reply(sock):
    """Reads one whole answer, or what came before the server closed or reset the connection."""
    reply = b""
    try:
        while not complete(reply):
            got = sock.recv(4096)
            if not got:
                break
            reply += got
    except (ConnectionResetError, socket.timeout):
        pass
    return reply


def parse(reply):
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def assert_refused(reply, status, message=None):
    """The server's own refusal: the status, the envelope with the status as code, X-Reqid."""
    got, headers, body = parse(reply)
    assert got == status, reply[:300]
    assert headers.get("content-type", "").startswith("application/json"), headers
    env = json.loads(body)
    assert env["code"] == status
    assert env["request_id"] == headers["x-reqid"] and env["request_id"]
    assert "data" not in env
    if message:
        assert env["message"] == message
    return env


def get(path, extra_headers=""):
    return ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n" % (path, extra_headers)).encode()


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_many_query_parameters_refused_and_forgotten(make_server):
    # the sanitizer's quarantine would otherwise hold every freed block and grow the RSS
    asan = os.environ.get("ASAN_OPTIONS", "")
    s = make_server(env={"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=0"}
                    ).start()
    query = "&".join("p%d=v" % i for i in range(500))  # about 3.4 KB
    assert len(query) > 3000
    reply, took = exchange(s.port, get("/status?" + query))
    assert_refused(reply, 414)
    # a query too big for libmicrohttpd's per-connection memory is answered all the same
    for n in (1000, 3000):
        assert_refused(exchange(s.port, get("/status?" + "&".join("p%d=v" % i
                                                                  for i in range(n))))[0], 414)
    before = rss_kb(s.proc.pid)
    for _ in range(3000):
        assert parse(exchange(s.port, get("/status?" + query))[0])[0] == 414
    grown_mb = (rss_kb(s.proc.pid) - before) / 1024
    assert grown_mb < 10, "refused requests must not keep memory: grew %.1f MB" % grown_mb
    # nothing is left in flight: the stop does not wait for the 10 s drain timeout
    t0 = time.monotonic()
    assert s.stop() == 0
    assert time.monotonic() - t0 < 8


def test_uri_and_headers_over_the_limit(server):
    assert_refused(exchange(server.port, get("/status?x=" + "y" * 20000))[0], 414)
    assert_refused(exchange(server.port, get("/status", "X-Big: %s\r\n" % ("y" * 20000)))[0],
                   431)
    # within the limits the same route answers
    assert parse(exchange(server.port, get("/status?x=" + "y" * 2000))[0])[0] == 200


def test_nul_byte_in_path_is_400(server):
    assert_refused(exchange(server.port, get("/status%00junk"))[0], 400)
    assert_refused(exchange(server.port, get("/client/live/room/info/L1%00x"))[0], 400)


def test_conflicting_content_lengths_are_400(server):
    req = (b"POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
           b"Content-Length: 3\r\n\r\n{}")
    assert_refused(exchange(server.port, req)[0], 400)
    req = (b"POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n{}")
    assert_refused(exchange(server.port, req)[0], 400)


def test_declared_body_over_the_cap_gets_413(server):
    # a client that waits for 100-continue, and one that sends the body straight away
    req = (b"POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n"
           b"Expect: 100-continue\r\n\r\n" % (BODY_MAX + 1))
    assert_refused(exchange(server.port, req)[0], 413)
    r = requests.post(server.url("/manager/login"), data=b"x" * (BODY_MAX + 10), timeout=10)
    assert r.status_code == 413 and r.json()["code"] == 413 and r.headers["X-Reqid"]


def chunked(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


def test_chunked_body_over_the_cap_gets_413(server):
    head = (b"POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    body = [chunked(b"x" * 16384) for _ in range(8)] + [b"0\r\n\r\n"]
    assert_refused(exchange(server.port, head, body)[0], 413)
    # under the cap it reaches the handler (an unknown admin: the login's own answer)
    small = [chunked(b'{"user_name":"nobody",'), chunked(b'"password":"x"}'), b"0\r\n\r\n"]
    status, _, body = parse(exchange(server.port, head, small)[0])
    assert status == 200 and json.loads(body)["code"] == 30001


def test_endless_chunked_body_is_cut_off(server):
    """A chunked body that never ends stops being read soon after the cap."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n")
    sent = 0
    chunk = chunked(b"x" * 65536)
    sock.settimeout(10)
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 30:
            sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    sock.close()
    # what the server accepted, plus what socket buffers held, stays far from "for ever"
    assert sent < 64 * 1024 * 1024, "sent %d bytes without being cut off" % sent
    assert time.monotonic() - t0 < 30


def test_unsupported_transfer_coding_is_501(server):
    req = (b"POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Transfer-Encoding: gzip, chunked\r\n\r\n")
    reply, took = exchange(server.port, req)
    assert_refused(reply, 501)
    assert took < 5


def test_unknown_http_version_is_505(server):
    req = b"GET /status HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n"
    assert_refused(exchange(server.port, req)[0], 505)


def test_slow_request_gets_408(make_server):
    s = make_server(httpq="  read_timeout_s: 2\n").start()
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.settimeout(15)
    t0 = time.monotonic()
    sock.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    reply = b""
    try:
        for _ in range(10):
            time.sleep(0.5)
            sock.sendall(b"X-Slow: 1\r\n")  # activity that would reset an idle timer
    except (BrokenPipeError, ConnectionResetError):
        pass
    reply = read_reply(sock)
    sock.close()
    assert time.monotonic() - t0 < 12
    assert_refused(reply, 408)


def slowloris(port, n, stop, opened):
    """Opens n connections that send one header byte per second until stop is set."""
    socks = []
    for _ in range(n):
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=2)
            c.sendall(b"GET /status HTTP/1.1\r\nHost: x\r\n")
            socks.append(c)
        except OSError:
            pass
    opened.append(len(socks))
    while not stop.is_set():
        for c in list(socks):
            try:
                c.send(b"X")
            except OSError:
                socks.remove(c)
        stop.wait(1)
    for c in socks:
        c.close()


def test_slowloris_from_one_address_leaves_others_served(make_server):
    s = make_server().start()
    stop, opened = threading.Event(), []
    t = threading.Thread(target=slowloris, args=(s.port, 5000, stop, opened))
    t.start()
    try:
        while not opened and t.is_alive():
            time.sleep(0.1)
        # another address (all of 127/8 is loopback) keeps being served meanwhile
        slow = []
        for _ in range(20):
            c = socket.create_connection(("127.0.0.1", s.port), source_address=("127.0.0.2", 0),
                                         timeout=5)
            t0 = time.monotonic()
            c.sendall(get("/status"))
            reply = read_reply(c)
            c.close()
            assert parse(reply)[0] == 200
            slow.append(time.monotonic() - t0)
            time.sleep(0.2)
        assert max(slow) < 2, slow
    finally:
        stop.set()
        t.join()
    assert s.stop() == 0


def served_connections(port, n, source):
    """Opens n connections from `source`, then asks /status on each: (how many answered 200,
    the sockets, left open so that they still count)."""
    socks = [socket.create_connection(("127.0.0.1", port), source_address=(source, 0), timeout=5)
             for _ in range(n)]
    served = 0
    for c in socks:
        try:
            c.sendall(get("/status"))
        except OSError:
            continue
        reply = read_reply(c)
        served += complete(reply) and parse(reply)[0] == 200
    return served, socks


def close_all(socks):
    for c in socks:
        c.close()


def test_per_address_cap_counts_clients_but_not_trusted_proxies(make_server):
    s = make_server(httpq="  max_connections_per_ip: 4\n  trusted_proxies: [127.0.0.3]\n").start()
    served, held = served_connections(s.port, 10, "127.0.0.2")
    assert served == 4  # a client address: capped
    # a load balancer in front carries every client from one address: not capped
    served, proxied = served_connections(s.port, 10, "127.0.0.3")
    assert served == 10
    close_all(proxied)
    # the capped address gets its connections back as they close
    close_all(held)
    deadline = time.monotonic() + 10
    while True:
        served, again = served_connections(s.port, 4, "127.0.0.2")
        close_all(again)
        if served == 4 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert served == 4
    assert s.stop() == 0
