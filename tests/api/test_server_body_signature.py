"""A /server request's body must be covered by its Qiniu MAC: the MAC leaves out a body sent
without a Content-Type or as application/octet-stream, so such a body is refused instead of
being parsed as JSON (a captured signature could otherwise carry any body)."""
import json

import requests

from helpers import assert_error, assert_ok, qiniu_sign, server_call


def signed_post(srv, path, body, content_type):
    url = srv.url(path)
    headers = {"Authorization": qiniu_sign("POST", url, body, content_type)}
    if content_type is not None:
        headers["Content-Type"] = content_type
    return requests.post(url, data=body, headers=headers, timeout=10)


def test_uncovered_bodies_are_refused(server):
    body = json.dumps({"user_id": "sig_u1", "nick": "n"}).encode()
    for ctype in (None, "application/octet-stream"):
        r = signed_post(server, "/server/user/register", body, ctype)
        assert_error(r, 401, 401)
    assert_error(server_call(server, "GET", "/server/user/info/sig_u1"), 404, 404)
    # the same body under a covering Content-Type is served, and a replay with another body
    # under that signature fails
    url = server.url("/server/user/register")
    auth = qiniu_sign("POST", url, body, "application/json")
    h = {"Authorization": auth, "Content-Type": "application/json"}
    assert_ok(requests.post(url, data=body, headers=h, timeout=10))
    other = json.dumps({"user_id": "sig_u2"}).encode()
    assert_error(requests.post(url, data=other, headers=h, timeout=10), 401, 401)
    assert_ok(server_call(server, "GET", "/server/user/info/sig_u1"))


def test_bodyless_requests_need_no_content_type(server):
    assert_error(server_call(server, "GET", "/server/user/info/nobody_sig"), 404, 404)
    url = server.url("/server/live/1/stop")
    r = requests.post(url, headers={"Authorization": qiniu_sign("POST", url)}, timeout=10)
    assert_error(r, 404, 404)
