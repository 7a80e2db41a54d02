"""Platform behaviour: /status, request ids, CORS, 404, body cap, auth, graceful shutdown."""
import signal
import socket
import threading
import time

import requests

from helpers import (assert_error, assert_ok, client_call, make_jwt, now, qiniu_sign,
                     server_call, user_token)


def test_status_envelope(server):
    r = requests.get(server.url("/status"))
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.text == '{"request_id":"%s","code":0,"message":"success"}' % r.headers["X-Reqid"]
    assert len(r.headers["X-Reqid"]) == 16


def test_status_any_method(server):
    for m in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS"):
        assert requests.request(m, server.url("/status")).status_code == 200


def test_reqid_echoed_and_sanitised(server):
    r = requests.get(server.url("/status"), headers={"X-Reqid": "client-id_1"})
    assert r.headers["X-Reqid"] == "client-id_1"
    assert r.json()["request_id"] == "client-id_1"
    bad = requests.get(server.url("/status"), headers={"X-Reqid": "evil id\twith junk"})
    assert bad.headers["X-Reqid"] != "evil id\twith junk"
    assert len(bad.headers["X-Reqid"]) == 16
    ids = {requests.get(server.url("/status")).headers["X-Reqid"] for _ in range(50)}
    assert len(ids) == 50


def test_keep_alive(server):
    with requests.Session() as s:
        for _ in range(5):
            r = s.get(server.url("/status"))
            assert r.headers.get("Connection", "").lower() != "close"


def test_cors_preflight_any_path(server):
    for path in ("/client/live/room/list", "/no/such/path"):
        r = requests.options(server.url(path), headers={"Origin": "http://web.example.com"})
        assert r.status_code == 204
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        assert r.headers["Access-Control-Allow-Methods"] == "GET,POST,PUT,DELETE,PATCH,HEAD"
        assert "Authorization" in r.headers["Access-Control-Allow-Headers"]
        assert r.headers["Access-Control-Max-Age"] == "21600"
        assert r.text == ""


def test_cors_simple_request(server):
    r = requests.get(server.url("/status"), headers={"Origin": "http://web.example.com"})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert "X-Reqid" in r.headers["Access-Control-Expose-Headers"]
    same = requests.get(server.url("/status"), headers={"Origin": server.base})
    assert "Access-Control-Allow-Origin" not in same.headers


def test_unknown_route_is_json_404(server):
    r = requests.get(server.url("/no/such/route"))
    assert_error(r, 404, 404)
    # a route that exists for another method is 404 too, never 405
    assert_error(requests.post(server.url("/server/auth/token")), 404, 404)


def test_body_cap(server):
    r = requests.post(server.url("/manager/login"), data=b"x" * 70000)
    assert_error(r, 413, 413)


def test_bad_json_is_400(server):
    r = requests.post(server.url("/manager/login"), data=b"{not json")
    assert_error(r, 400, 400)
    assert_error(requests.post(server.url("/manager/login")), 400, 400)


def test_server_token_signed(server):
    r = server_call(server, "GET", "/server/auth/token?app_id=app1&user_id=plat_u1&device_id=d1")
    data = assert_ok(r)
    assert set(data) == {"access_token", "expires_at"}
    assert abs(data["expires_at"] - (now() + 604800)) < 10
    r = client_call(server, "GET", "/client/app/config", data["access_token"])
    assert assert_ok(r) == {"im_app_id": ""}


def test_server_token_explicit_expiry_and_validation(server):
    exp = now() + 3600
    r = server_call(server, "GET", "/server/auth/token?app_id=a&user_id=plat_u2&expires_at=%d"
                    % exp)
    assert assert_ok(r)["expires_at"] == exp
    assert_error(server_call(server, "GET", "/server/auth/token?app_id=a&user_id=u&expires_at=x"),
                 400, 400)
    assert_error(server_call(server, "GET", "/server/auth/token?app_id=a"), 400, 400)
    assert_error(server_call(server, "GET", "/server/auth/token?user_id=u"), 400, 400)


def test_server_token_wrong_signature(server):
    url = server.url("/server/auth/token?app_id=app1&user_id=plat_u3")
    for auth in (qiniu_sign("GET", url, sk="wrong"), qiniu_sign("GET", url, ak="other"),
                 "Qiniu nocolon", "Bearer x", ""):
        r = requests.get(url, headers={"Authorization": auth})
        assert_error(r, 401, 401, "Unauthorized")
    assert_error(requests.get(url), 401, 401)


def test_server_mac_padding_and_x_qiniu_headers(server):
    url = server.url("/server/auth/token?app_id=app1&user_id=plat_u4")
    x = {"X-Qiniu-Date": "20230101T000000Z"}
    auth = qiniu_sign("GET", url, x_headers=x).rstrip("=")
    r = requests.get(url, headers=dict(x, Authorization=auth))
    assert_ok(r)
    # the header is signed: sending it with a signature made without it fails
    r = requests.get(url, headers=dict(x, Authorization=qiniu_sign("GET", url)))
    assert_error(r, 401, 401)


def test_server_auth_disabled(make_server):
    s = make_server(server_auth=False).start()
    r = requests.get(s.url("/server/auth/token?app_id=a&user_id=open_u1"))
    assert "access_token" in assert_ok(r)
    assert "server auth is DISABLED" in s.read_log()


def test_client_token_failures(server):
    tok = user_token(server, "plat_c1")
    assert_ok(client_call(server, "GET", "/client/app/config", tok))
    assert_error(client_call(server, "GET", "/client/app/config", "Bearer " + tok), 401, 401)
    assert_error(client_call(server, "GET", "/client/app/config", "garbage"), 401, 401)
    r = requests.get(server.url("/client/app/config"))
    assert_error(r, 401, 401, "Unauthorized")
    expired = make_jwt({"exp": now() - 10, "AppId": "a", "UserId": "plat_c1", "DeviceId": "",
                        "Role": ""})
    assert_error(client_call(server, "GET", "/client/app/config", expired), 401, 499,
                 "Your token is expired")
    forged = make_jwt({"exp": now() - 10, "AppId": "a", "UserId": "plat_c1", "DeviceId": "",
                       "Role": ""}, key="not-the-key")
    assert_error(client_call(server, "GET", "/client/app/config", forged), 401, 401)
    hs512 = make_jwt({"exp": now() + 100, "AppId": "a", "UserId": "plat_c1", "DeviceId": "",
                      "Role": ""}, alg="HS512")
    assert_error(client_call(server, "GET", "/client/app/config", hs512), 401, 401)
    nouser = make_jwt({"exp": now() + 100, "AppId": "a", "UserId": "nobody-here", "DeviceId": "",
                       "Role": ""})
    assert_error(client_call(server, "GET", "/client/app/config", nouser), 401, 401)


CENSOR_YAML = "censor:\n  bucket: b\n  addr: http://127.0.0.1:9/censor\n"


def test_admin_role_and_login(make_server):
    s = make_server(extra=CENSOR_YAML).start()
    s.sql("INSERT INTO admin_user (user_name, user_id, password, description) "
          "VALUES ('root', 'admin_1', 'pw-1', 'test')")
    tok = user_token(s, "plat_a1")
    # the reference's /server/auth/admin/token issues a plain user token (W-5, kept)
    admin_route_tok = assert_ok(server_call(s, "GET", "/server/auth/admin/token?app_id=a"
                                            "&user_id=plat_a2"))["access_token"]
    for t in (tok, admin_route_tok):
        assert_error(client_call(s, "GET", "/admin/censor/config", t), 403, 403, "Forbidden")
    role_admin = make_jwt({"exp": now() + 100, "AppId": "", "UserId": "no-admin-row",
                           "DeviceId": "", "Role": "admin"})
    assert_error(client_call(s, "GET", "/admin/censor/config", role_admin), 401, 401)
    assert_error(requests.get(s.url("/admin/censor/config")), 401, 401)

    r = requests.post(s.url("/manager/login"), json={"user_name": "root", "password": "bad"})
    assert_error(r, 403, 403, "Invalid username or password")
    r = requests.post(s.url("/manager/login"), json={"user_name": "root", "password": "pw-1"})
    data = assert_ok(r)
    assert abs(data["expires_at"] - (now() + 7 * 86400)) < 10
    admin_tok = data["access_token"]
    cfg = assert_ok(client_call(s, "GET", "/admin/censor/config", admin_tok))
    assert cfg == {"enable": True, "pulp": True, "terror": False, "politician": False,
                   "ads": False, "interval": 20}
    new = {"enable": True, "pulp": False, "terror": True, "politician": False, "ads": True,
           "interval": 30}
    assert assert_ok(client_call(s, "POST", "/admin/censor/config", admin_tok, new)) == new
    assert assert_ok(client_call(s, "GET", "/admin/censor/config", admin_tok)) == new
    assert_error(client_call(s, "POST", "/admin/censor/config", admin_tok,
                             dict(new, interval=61)), 400, 400)
    # every admin call, rejected or not, after auth succeeded is in the operation log
    rows = s.sql("SELECT user_id, method, url, status_code FROM operation_log ORDER BY id")
    assert ["admin_1", "POST", "/admin/censor/config", "400"] in rows
    assert ["admin_1", "GET", "/admin/censor/config", "200"] in rows
    # deleting the admin row revokes its token
    s.sql("DELETE FROM admin_user WHERE user_id = 'admin_1'")
    assert_error(client_call(s, "GET", "/admin/censor/config", admin_tok), 401, 401)


def test_manager_login_errors(server):
    r = requests.post(server.url("/manager/login"), json={"user_name": "ghost", "password": "x"})
    j = r.json()
    assert r.status_code == 200 and j["code"] == 30001
    assert j["message"] == "Invalid username or password"


def test_sigterm_lets_slow_request_finish(make_server):
    s = make_server().start()
    body = b'{"user_name":"ghost","password":"x"}'
    sock = socket.create_connection(("127.0.0.1", s.port))
    head = ("POST /manager/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json"
            "\r\nContent-Length: %d\r\n\r\n" % len(body)).encode()
    sock.sendall(head + body[:10])
    time.sleep(0.3)
    s.proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    sock.sendall(body[10:])
    reply = b""
    sock.settimeout(10)
    while b"30001" not in reply:
        chunk = sock.recv(4096)
        if not chunk:
            break
        reply += chunk
    sock.close()
    assert reply.startswith(b"HTTP/1.1 200"), reply
    assert b"30001" in reply
    assert s.stop() == 0


def test_client_ip_only_from_trusted_proxies(make_server):
    trusted = make_server(extra="").start()
    requests.get(trusted.url("/status"), headers={"X-Forwarded-For": "203.0.113.9"})
    time.sleep(0.2)
    assert "ip=203.0.113.9" not in trusted.read_log()
    s = make_server()
    with open(s.config) as f:
        cfg = f.read()
    with open(s.config, "w") as f:
        f.write(cfg.replace("  body_max: 65536\n",
                            "  body_max: 65536\n  trusted_proxies: [127.0.0.0/8]\n"))
    s.start()
    requests.get(s.url("/status"), headers={"X-Forwarded-For": "198.51.100.7, 127.0.0.1"})
    requests.get(s.url("/status"), headers={"X-Real-IP": "192.0.2.4"})
    deadline = time.time() + 5
    while time.time() < deadline and "ip=192.0.2.4" not in s.read_log():
        time.sleep(0.1)
    log = s.read_log()
    assert "ip=198.51.100.7" in log and "ip=192.0.2.4" in log


def test_metrics_exporter(make_server):
    from qnlive_server import free_port
    port = free_port()
    s = make_server(extra="prome:\n  client_mode: exporter\n  exporter_config:\n"
                          "    listen_addr: 127.0.0.1:%d\n" % port).start()
    for _ in range(3):
        requests.get(s.url("/status"))
    requests.get(s.url("/no/such"))
    text = requests.get("http://127.0.0.1:%d/metrics" % port).text
    assert 'qnlive_http_api_count{code="200",handler="/status",method="GET"}' in text
    assert 'handler=""' in text  # 404s are labelled with an empty route, never the raw path
    assert "/no/such" not in text
    assert "qnlive_http_requests_in_flight" in text
    assert requests.get("http://127.0.0.1:%d/debug/pprof/" % port).status_code == 404


def test_sigterm_under_load_always_exits_0(make_server):
    """50 stops, each while clients hammer the server with requests answered on the event
    thread and on the handler pool: every one exits 0 (no abort in the listener teardown)."""
    s = make_server()
    tok = None
    for i in range(50):
        s.start()
        tok = tok or user_token(s, "sigterm_u")
        stop = threading.Event()

        def hammer(path, headers):
            with requests.Session() as sess:
                while not stop.is_set():
                    try:
                        sess.get(s.url(path), headers=headers, timeout=5)
                    except requests.RequestException:
                        time.sleep(0.01)

        threads = [threading.Thread(target=hammer, args=(p, h)) for p, h in
                   (("/status", {}), ("/status", {}), ("/client/user/profile",
                                                       {"Authorization": tok}))]
        for t in threads:
            t.start()
        time.sleep(0.2)
        rc = s.stop()
        stop.set()
        for t in threads:
            t.join()
        assert rc == 0, "stop %d exited %s" % (i, rc)
