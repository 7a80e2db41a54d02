"""Self-test of the fake outside services: its signer against Qiniu's documented vectors, its
credential checks, state and control API. Run: /usr/bin/python3 -m pytest tests/fakes"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import fake_qiniu  # noqa: E402
from fake_client import FakeQiniu  # noqa: E402

IM_HEADERS = {"App_id": "test-im-app", "Access-Token": "test-im-token",
              "Content-Type": "application/json"}


@pytest.fixture(scope="module")
def fake():
    with FakeQiniu() as f:
        yield f


@pytest.fixture(autouse=True)
def clean(fake):
    fake.reset()


def call(fake, method, path, body=None, headers=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(fake.base + path, data=data, method=method,
                                 headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        raw = e.read()
        return e.code, json.loads(raw) if raw else None


def test_signer_matches_spec_vectors():
    sign = fake_qiniu.qiniu_sign
    assert sign("sk", "POST", "/v3/live/censor/close", "", "ai.qiniuapi.com",
                "application/json", [], b'{"job":"job-1"}') == "16yu28a96u9XIIhbIGSvZTBTvoM="
    assert sign("sk", "GET", "/server/user/info/u1", "x=1", "127.0.0.1:8099", "",
                [("x-qiniu-b", "2"), ("X-Qiniu-a", "1")], b"") == "0I2_3L85534P2JaI-q0cGYJ9iLI="
    assert sign("sk", "GET", "/v3/apps/app1/rooms/live1/users", "", "rtc.qiniuapi.com",
                "application/x-www-form-urlencoded", [], b"", sdk=True) \
        == "REWw6jLZCFze824Q3R37eOsZTrc="


def test_im_register_exists_lookup_and_password_reset(fake):
    st, r = call(fake, "POST", "/im/user/register/v2", {"password": "a", "username": "ql1"},
                 IM_HEADERS)
    assert st == 200 and r["code"] == 200
    uid = r["data"]["user_id"]
    st, r = call(fake, "POST", "/im/user/register/v2", {"password": "b", "username": "ql1"},
                 IM_HEADERS)
    assert r["code"] == 10004
    st, r = call(fake, "GET", "/im/roster/name?username=ql1", None, IM_HEADERS)
    assert r["data"]["user_id"] == uid
    st, r = call(fake, "POST", "/im/user/change_password_admin", {"password": "c"},
                 dict(IM_HEADERS, User_id=str(uid)))
    assert r["code"] == 200
    assert fake.im_state()["users"]["ql1"]["password"] == "c"
    assert [c["path"] for c in fake.calls("im")] == [
        "/user/register/v2", "/user/register/v2", "/roster/name", "/user/change_password_admin"]


def test_im_rejects_wrong_token_and_missing_user_header(fake):
    st, r = call(fake, "POST", "/im/group/create", {"name": "L", "type": 2},
                 dict(IM_HEADERS, **{"Access-Token": "nope"}))
    assert st == 401
    st, r = call(fake, "POST", "/im/group/create", {"name": "L", "type": 2}, IM_HEADERS)
    assert st == 200 and r["code"] != 200
    st, r = call(fake, "POST", "/im/group/create", {"name": "L", "type": 2},
                 dict(IM_HEADERS, User_id="5"))
    assert r["code"] == 200 and r["data"]["group_id"] > 0


def test_message_send_decodes_content(fake):
    body = {"type": 2, "from_user_id": 7, "targets": [9], "content_type": 6,
            "content": json.dumps({"action": "like_notify", "data": {"count": 1}}),
            "attachment": ""}
    st, r = call(fake, "POST", "/im/message/send", body, dict(IM_HEADERS, User_id="7"))
    assert r["code"] == 200
    assert fake.last_call("im")["content"]["action"] == "like_notify"
    st, r = call(fake, "POST", "/im/message/send", body, dict(IM_HEADERS, User_id="8"))
    assert r["code"] != 200


def test_faults_and_canned_replies(fake):
    fake.fail("pay", "down", count=2)
    assert call(fake, "POST", "/pay", {})[0] == 503
    assert call(fake, "POST", "/pay", {})[0] == 503
    assert call(fake, "POST", "/pay", {}) == (200, {"code": 0, "message": ""})
    fake.reply("pay", {"code": 20002, "message": "no money"}, count=1)
    assert call(fake, "POST", "/pay", {})[1]["code"] == 20002
    assert call(fake, "POST", "/pay", {})[1]["code"] == 0
    fake.fail("callback", "slow", delay=0.5)
    t0 = time.monotonic()
    assert call(fake, "POST", "/callback", {"type": "x"})[0] == 200
    assert time.monotonic() - t0 >= 0.45
    assert fake.calls("callback")[0]["body"] == {"type": "x"}
    assert len(fake.calls("pay")) == 5


def test_rtc_requires_signature(fake):
    fake.set_rtc_room("app1", "L1", ["u1"])
    assert call(fake, "GET", "/rtc/v3/apps/app1/rooms/L1/users")[0] == 401
    host = "127.0.0.1:%d" % fake.port
    path = "/rtc/v3/apps/app1/rooms/L1/users"
    ct = "application/x-www-form-urlencoded"
    sig = fake_qiniu.qiniu_sign(fake.sk, "GET", path, "", host, ct, [], b"", sdk=True)
    st, r = call(fake, "GET", path, None, {"Content-Type": ct,
                                          "Authorization": "Qiniu %s:%s" % (fake.ak, sig)})
    assert st == 200 and r == {"users": [{"userId": "u1"}]}


def test_unknown_prefix_is_404(fake):
    assert call(fake, "GET", "/nothing/here")[0] == 404
