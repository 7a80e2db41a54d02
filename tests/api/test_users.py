"""User routes U1-U12 and IM account registration."""

import requests

from conftest import im_yaml
from helpers import assert_error, assert_ok, client_call, server_call, try_job, user_token


def register(srv, body):
    return server_call(srv, "POST", "/server/user/register", body)


def test_register_and_read_back(server):
    r = register(server, {"user_id": "u_reg1", "nick": "Ann", "avatar": "http://a/1.png",
                          "extends": {"b": "2", "a": "1"}})
    assert_ok(r)
    assert r.json().get("data", "absent") == "absent"  # no data key on success without data
    info = assert_ok(server_call(server, "GET", "/server/user/info/u_reg1"))
    assert info == {"user_id": "u_reg1", "nick": "Ann", "avatar": "http://a/1.png",
                    "im_userid": 0, "extends": {"a": "1", "b": "2"}}
    # keys of extends come out sorted
    raw = server_call(server, "GET", "/server/user/info/u_reg1").text
    assert '"extends":{"a":"1","b":"2"}' in raw
    prof = assert_ok(server_call(server, "GET", "/server/user/profile/u_reg1"))
    assert list(prof) == ["user_id", "nick", "avatar", "extends", "im_userid", "im_username",
                          "im_password"]


def test_register_errors(server):
    assert_ok(register(server, {"user_id": "u_dup"}))
    assert_error(register(server, {"user_id": "u_dup"}), 400, 10001, "Already existed")
    assert_error(register(server, {"nick": "x"}), 400, 400, "empty user_id")
    assert_error(register(server, {"user_id": ""}), 400, 400, "empty user_id")
    assert_error(register(server, {"user_id": "x" * 65}), 400, 400)
    assert_error(register(server, {"user_id": "u_long", "nick": "n" * 65}), 400, 400)
    assert_error(register(server, {"user_id": "u_long", "avatar": "a" * 256}), 400, 400)
    assert_error(register(server, {"user_id": "u_ext", "extends": {"k": 1}}), 400, 400)
    assert_error(register(server, {"user_id": "u_ext", "extends": ["a"]}), 400, 400)
    assert_error(register(server, {"user_id": 5}), 400, 400)
    assert_error(register(server, None), 400, 400)
    assert_error(server_call(server, "POST", "/server/user/register", "null"), 400, 400)


def test_register_batch(server):
    assert_ok(register(server, {"user_id": "b_exists"}))
    r = server_call(server, "POST", "/server/user/register/batch",
                    [{"user_id": "b1", "nick": "one"}, {"user_id": "b_exists"}, {"user_id": "b2"}])
    assert assert_ok(r) == {"b_exists": ""}
    assert assert_ok(server_call(server, "GET", "/server/user/info/b1"))["nick"] == "one"
    assert_error(server_call(server, "POST", "/server/user/register/batch", []), 400, 400,
                 "empty request")
    many = [{"user_id": "m%d" % i} for i in range(201)]
    assert_error(server_call(server, "POST", "/server/user/register/batch", many), 400, 400,
                 "user count exceed 200")
    r = server_call(server, "POST", "/server/user/register/batch",
                    [{"user_id": "b3"}, {"user_id": ""}])
    assert_error(r, 400, 400, "invalid request, empty user_id, index 1")
    # nothing inserted before the check failed
    assert_error(server_call(server, "GET", "/server/user/info/b3"), 404, 404)
    # a null element is a clean 400, not a crash
    assert_error(server_call(server, "POST", "/server/user/register/batch", [None]), 400, 400)
    assert_error(server_call(server, "POST", "/server/user/register/batch", {"a": 1}), 400, 400)


def test_update_profile_merges_extends(server):
    assert_ok(register(server, {"user_id": "u_upd", "nick": "old", "extends": {"a": "1"}}))
    body = {"nick": "new", "avatar": "", "extends": {"b": "2"}}
    assert_ok(server_call(server, "PUT", "/server/user/u_upd", body))
    info = assert_ok(server_call(server, "GET", "/server/user/info/u_upd"))
    assert info["nick"] == "new" and info["avatar"] == ""
    assert info["extends"] == {"a": "1", "b": "2"}
    assert_error(server_call(server, "PUT", "/server/user/nobody", {"nick": "x"}), 404, 404)
    assert_error(server_call(server, "PUT", "/server/user/u_upd", {"nick": 3}), 400, 400)


def test_client_profile_and_update(server):
    tok = user_token(server, "c_self")
    prof = assert_ok(client_call(server, "GET", "/client/user/profile", tok))
    assert prof["user_id"] == "c_self" and prof["im_userid"] == 0
    assert_ok(client_call(server, "PUT", "/client/user/user", tok,
                          {"nick": "Me", "extends": {"lvl": "3"}, "user_id": "someone_else"}))
    prof = assert_ok(client_call(server, "GET", "/client/user/profile", tok))
    assert prof["nick"] == "Me" and prof["extends"] == {"lvl": "3"}
    assert_error(client_call(server, "PUT", "/client/user/user", tok), 400, 400)
    assert_error(client_call(server, "PUT", "/client/user/user", tok, {"extends": "x"}), 400, 400)


def test_client_user_lookup(server):
    tok = user_token(server, "c_look")
    assert_ok(register(server, {"user_id": "c_target", "nick": "T"}))
    for path in ("/client/user/user/c_target", "/client/user/c_target"):
        data = assert_ok(client_call(server, "GET", path, tok))
        assert data["nick"] == "T" and "im_username" not in data
    assert_error(client_call(server, "GET", "/client/user/user/ghost", tok), 404, 404)


def test_batch_reads(server):
    tok = user_token(server, "c_batch")
    for uid in ("br1", "br2"):
        assert_ok(register(server, {"user_id": uid}))
    r = client_call(server, "GET", "/client/user/users?user_ids=br1&user_ids=br2&user_ids=none",
                    tok)
    assert sorted(u["user_id"] for u in assert_ok(r)) == ["br1", "br2"]
    assert_error(client_call(server, "GET", "/client/user/users", tok), 400, 400,
                 "ids cant be empty, or more than 200,")
    q = "&".join("user_ids=x%d" % i for i in range(201))
    assert_error(client_call(server, "GET", "/client/user/users?" + q, tok), 400, 400)
    assert assert_ok(server_call(server, "GET", "/server/user/infos?user_ids=br1")) != []
    assert_error(server_call(server, "GET", "/server/user/infos"), 400, 400,
                 "ids cant be empty, or more than 200")
    profs = assert_ok(server_call(server, "GET", "/server/user/profiles?user_ids=br2"))
    assert profs[0]["user_id"] == "br2" and "im_password" in profs[0]
    assert_error(server_call(server, "GET", "/server/user/profiles"), 500, 500)
    assert assert_ok(client_call(server, "GET", "/client/user/imusers?im_user_ids=0", tok)) != []
    assert_error(client_call(server, "GET", "/client/user/imusers?im_user_ids=x", tok), 400, 400,
                 'strconv.ParseInt: parsing "x": invalid syntax')
    assert_error(client_call(server, "GET", "/client/user/imusers", tok), 400, 400)


def test_no_im_section_means_no_calls(server, fake):
    before = len(fake.calls("im"))
    user_token(server, "no_im_user")
    assert len(fake.calls("im")) == before


def test_im_registration_on_create(im_server, fake):
    assert_ok(register(im_server, {"user_id": "im_u1"}))
    calls = [c for c in fake.calls("im") if c["path"] == "/user/register/v2"]
    assert calls and calls[-1]["body"]["username"] == "qlim_u1"
    password = calls[-1]["body"]["password"]
    assert len(password) == 8
    prof = assert_ok(server_call(im_server, "GET", "/server/user/profile/im_u1"))
    assert prof["im_userid"] > 0
    assert prof["im_username"] == "qlim_u1" and prof["im_password"] == password
    tok = user_token(im_server, "im_u1")
    cfg = assert_ok(client_call(im_server, "GET", "/client/app/config", tok))
    assert cfg == {"im_app_id": fake.im_app_id}


def test_im_username_of_a_long_user_id_fits_its_column(im_server, fake):
    import hashlib
    uid = "u" * 64  # "ql" + the id would be 66 characters
    assert_ok(register(im_server, {"user_id": uid}))
    prof = assert_ok(server_call(im_server, "GET", "/server/user/profile/" + uid))
    want = "ql" + hashlib.sha256(uid.encode()).hexdigest()[:62]
    assert prof["im_username"] == want and prof["im_userid"] > 0
    calls = [c for c in fake.calls("im") if c["path"] == "/user/register/v2"]
    assert calls[-1]["body"]["username"] == want
    short = "\u76f4" * 62  # 62 characters fit as they are, however many bytes
    assert_ok(register(im_server, {"user_id": short}))
    assert assert_ok(server_call(im_server, "GET", "/server/user/profile/" + short))[
        "im_username"] == "ql" + short


def test_im_user_exists_fallback(im_server, fake):
    requests.post(fake.base + "/_fake/im/user", json={"username": "qlim_old", "password": "x"})
    assert_ok(register(im_server, {"user_id": "im_old"}))
    paths = [c["path"] for c in fake.calls("im")]
    assert "/roster/name" in paths and "/user/change_password_admin" in paths
    prof = assert_ok(server_call(im_server, "GET", "/server/user/profile/im_old"))
    assert prof["im_userid"] > 0


def test_im_down_then_background_retry(make_server, fake):
    # the test runs the retry job's ticks itself: the scheduled ones would come after an hour
    s = make_server(extra=im_yaml(fake, retry_s=3600)).start()
    # the inline attempt and the first two retries fail, then IM is back
    fake.fail("im", "down", count=3)
    assert_ok(register(s, {"user_id": "im_late"}))
    prof = assert_ok(server_call(s, "GET", "/server/user/profile/im_late"))
    assert prof["im_userid"] == 0
    # auth keeps working while IM is down
    tok = user_token(s, "im_late")
    assert_ok(client_call(s, "GET", "/client/user/profile", tok))
    # the job backs off after each failed run by skipping ticks (2, 4, ... of them); a run
    # that meets IM down fails
    for _ in range(20):
        try_job(s, "im_register_retry")
        prof = assert_ok(server_call(s, "GET", "/server/user/profile/im_late"))
        if prof["im_userid"] > 0:
            break
    assert prof["im_userid"] > 0, "the retry job never registered the user"
    assert s.stop() == 0


def test_limits_count_characters_not_bytes(server):
    # utf8mb4 columns count characters: 64 Chinese characters or emoji fit in nick varchar(64)
    assert_ok(register(server, {"user_id": "用户" * 32, "nick": "昵" * 64,
                                "avatar": "头" * 255}))
    assert_ok(register(server, {"user_id": "u_emoji", "nick": "😀" * 64}))
    assert_error(register(server, {"user_id": "u_emoji2", "nick": "😀" * 65}), 400, 400)
    info = assert_ok(server_call(server, "GET", "/server/user/info/u_emoji"))
    assert info["nick"] == "😀" * 64
    tok = user_token(server, "用户" * 32)
    assert assert_ok(client_call(server, "GET", "/client/user/profile", tok))["nick"] == "昵" * 64
