"""Every list in a response is an array, `[]` when empty, never `null`: the web demo and iOS
read the gift catalogue and the other lists as arrays."""
import pytest
import requests

from conftest import im_yaml
from helpers import assert_ok, client_call, server_call, user_token
from test_censor import PILI, censor_yaml
from test_gifts import admin_token, gift_yaml
from test_mic import RtcServer, make_fake


@pytest.fixture(scope="module")
def fake():
    f = make_fake()
    yield f
    f.stop()


@pytest.fixture(scope="module")
def srv(fake):
    s = RtcServer(fake.url("rtc"), extra=im_yaml(fake) + gift_yaml(fake) + PILI)
    with open(s.config, "a") as f:
        f.write(censor_yaml(fake, s))
    s.start()
    yield s
    assert s.stop() == 0


def admin_login(s, uid):
    admin_token(s, uid)  # inserts the account
    r = requests.post(s.url("/manager/login"), json={"user_name": uid, "password": "pw"})
    return assert_ok(r)["access_token"]


def test_lists_are_arrays_when_empty(srv):
    tok = user_token(srv, "el_anchor")
    lid = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                {"title": "e"}))["live_id"]
    assert_ok(client_call(srv, "PUT", "/client/live/room/" + lid, tok, {}))
    adm = admin_login(srv, "el_admin")
    client = ["/client/gift/config/-1", "/client/gift/config/1", "/client/item/" + lid,
              "/client/item/demonstrate/record/" + lid, "/client/user/users?user_ids=nobody",
              "/client/user/imusers?im_user_ids=1"]
    for path in client:
        assert assert_ok(client_call(srv, "GET", path, tok)) == [], path
    for path in ("/admin/gift/config/-1", "/admin/gift/config/9"):
        assert assert_ok(client_call(srv, "GET", path, adm)) == [], path
    for path in ("/server/gift/config/-1", "/server/item/" + lid,
                 "/server/user/infos?user_ids=nobody", "/server/user/profiles?user_ids=nobody"):
        assert assert_ok(server_call(srv, "GET", path)) == [], path
    mics = assert_ok(client_call(srv, "GET", "/client/mic/room/list/" + lid, tok))
    assert mics == [], mics


def test_paged_lists_are_arrays_when_empty(srv):
    tok = user_token(srv, "el_viewer")
    lid = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                {"title": "e"}))["live_id"]
    adm = admin_login(srv, "el_admin2")
    for path in ("/client/gift/list/live/" + lid, "/client/gift/list/anchor",
                 "/client/gift/list/user"):
        assert assert_ok(client_call(srv, "GET", path, tok))["list"] == [], path
    for path in ("/server/gift/list/live/" + lid, "/server/gift/list/anchor/x",
                 "/server/gift/list/user/x"):
        assert assert_ok(server_call(srv, "GET", path))["list"] == [], path
    got = assert_ok(client_call(srv, "GET", "/admin/censor/record?live_id=" + lid, adm))
    assert got["list"] == [], got
