"""Request keys match case-insensitively on every route that takes a JSON body, as Go's decoder
matched them in the reference: `{"Title": "X"}` fills `title`. The exact spelling wins when it is
present, otherwise the last case variant in the document. Map keys inside `extends` are data and
keep their case."""
import json

import pytest
import requests

from conftest import im_yaml
from helpers import assert_error, assert_ok, client_call, server_call, user_token
from test_censor import PILI, TOKEN, censor_yaml
from test_gifts import admin_token, gift_yaml
from test_mic import RtcServer

MAPS = {"extends"}


def vary(value):
    """The same body with every object key in alternating case (`lIvE_Id`), maps untouched."""
    if isinstance(value, list):
        return [vary(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        key = "".join(c.upper() if i % 2 == 0 else c.lower() for i, c in enumerate(k))
        out[key] = v if k in MAPS else vary(v)
    return out


# the fakes refuse Pili and moderation calls not signed with the account keys (conftest.py)
FAKE_CHECKS_ACCOUNT_KEYS = True


@pytest.fixture(scope="module")
def srv(fake):
    extra = (im_yaml(fake) + gift_yaml(fake, "  test_hook: true\n") + PILI +
             "callback:\n  addr: %s\n" % fake.url("callback"))
    s = RtcServer(fake.url("rtc"), extra=extra)
    with open(s.config, "a") as f:  # the moderation hook URL needs the server's own port
        f.write(censor_yaml(fake, s))
    s.start()
    yield s
    assert s.stop() == 0


def vcall(s, method, path, tok, body):
    return client_call(s, method, path, tok, vary(body))


def on_air(s, anchor):
    tok = user_token(s, anchor)
    lid = assert_ok(vcall(s, "POST", "/client/live/room/instance", tok,
                          {"title": "T-" + anchor, "notice": "N", "cover_url": "C",
                           "extends": {"Mixed": "v"}}))["live_id"]
    assert_ok(client_call(s, "PUT", "/client/live/room/" + lid, tok, {}))
    return tok, lid


def room_info(s, tok, lid):
    return assert_ok(client_call(s, "GET", "/client/live/room/info/" + lid, tok))


def test_vary_spells_keys_differently():
    assert vary({"live_id": 1, "extends": {"a": "b"}, "items": [{"item_id": "x"}]}) == \
        {"LiVe_iD": 1, "ExTeNdS": {"a": "b"}, "ItEmS": [{"ItEm_iD": "x"}]}


def test_duplicate_spellings(srv):
    tok = user_token(srv, "rk_dup")
    raw = '{"title":"exact","TITLE":"upper","notice":"a","NOTICE":"b","Notice":"c"}'
    r = requests.post(srv.url("/client/live/room/instance"), data=raw,
                      headers={"Authorization": tok}, timeout=10)
    room = room_info(srv, tok, assert_ok(r)["live_id"])
    assert room["title"] == "exact"  # the exact spelling wins
    assert room["notice"] == "a"
    raw = '{"TITLE":"first","Title":"last"}'
    r = requests.post(srv.url("/client/live/room/instance"), data=raw,
                      headers={"Authorization": tok}, timeout=10)
    assert room_info(srv, tok, assert_ok(r)["live_id"])["title"] == "last"


def test_live_routes(srv):
    tok, lid = on_air(srv, "rk_anchor1")
    room = room_info(srv, tok, lid)
    assert (room["title"], room["notice"], room["cover_url"]) == ("T-rk_anchor1", "N", "C")
    assert room["extends"] == {"Mixed": "v"}
    assert_ok(vcall(srv, "PUT", "/client/live/room/extends", tok,
                    {"live_id": lid, "extends": {"k2": "v2"}}))
    assert room_info(srv, tok, lid)["extends"] == {"k2": "v2"}
    user_token(srv, "rk_anchor2")
    made = assert_ok(server_call(srv, "POST", "/server/live",
                                 vary({"anchor_id": "rk_anchor2", "title": "srv-made"})))
    assert made["title"] == "srv-made" and made["anchor_info"]["user_id"] == "rk_anchor2"


def test_like_and_stats(srv):
    tok, lid = on_air(srv, "rk_anchor3")
    vtok = user_token(srv, "rk_viewer3")
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, vtok, {}))
    r = requests.put(srv.url("/client/live/room/%s/like" % lid), data='{"COUNT": 7}',
                     headers={"Authorization": vtok}, timeout=10)
    assert assert_ok(r)["count"] == 7
    items = [{"live_id": lid, "user_id": "rk_viewer3", "type": 3, "count": 2}]
    assert_ok(client_call(srv, "POST", "/client/stats/singleLive", vtok, {"DATA": vary(items)}))
    got = assert_ok(client_call(srv, "GET", "/client/stats/singleLive/" + lid, vtok))
    comments = [i for i in got["info"] if i["type"] == 3]
    assert (comments[0]["page_view"], comments[0]["unique_visitor"]) == (2, 1), got


def test_user_routes(srv):
    tok = user_token(srv, "rk_user1")
    assert_ok(vcall(srv, "PUT", "/client/user/user", tok,
                    {"nick": "Nick1", "avatar": "A1", "extends": {"Up": "1"}}))
    prof = assert_ok(client_call(srv, "GET", "/client/user/profile", tok))
    assert (prof["nick"], prof["avatar"], prof["extends"]) == ("Nick1", "A1", {"Up": "1"})
    assert_ok(server_call(srv, "POST", "/server/user/register",
                          vary({"user_id": "rk_reg1", "nick": "R1", "avatar": "a"})))
    assert_ok(server_call(srv, "POST", "/server/user/register/batch",
                          vary([{"user_id": "rk_reg2", "nick": "R2"}])))
    assert_ok(server_call(srv, "PUT", "/server/user/rk_reg1", vary({"nick": "R1b"})))
    assert assert_ok(server_call(srv, "GET", "/server/user/info/rk_reg1"))["nick"] == "R1b"
    assert assert_ok(server_call(srv, "GET", "/server/user/info/rk_reg2"))["nick"] == "R2"


def test_admin_login(srv):
    srv.sql("INSERT INTO admin_user (user_name, user_id, password, description) "
            "VALUES ('rk_adm', 'rk_adm', 'pw', 't')")
    r = requests.post(srv.url("/manager/login"), json={"USER_NAME": "rk_adm", "Password": "pw"})
    assert assert_ok(r)["access_token"]


def test_gift_routes(srv, fake):
    adm = admin_token(srv, "rk_gift_admin")
    assert_ok(vcall(srv, "POST", "/admin/gift/config", adm,
                    {"gift_id": 71, "type": 1, "name": "Ship", "amount": 5, "img": "i",
                     "animation_type": 2, "animation_img": "a", "order": 1}))
    assert_ok(server_call(srv, "POST", "/server/gift/config",
                          vary({"gift_id": 72, "type": 1, "name": "Car", "amount": 0})))
    got = {g["gift_id"]: g for g in assert_ok(server_call(srv, "GET", "/server/gift/config/1"))}
    assert (got[71]["name"], got[71]["amount"], got[71]["animation_type"]) == ("Ship", 5, 2)
    assert got[72]["name"] == "Car"
    tok, lid = on_air(srv, "rk_anchor4")
    vtok = user_token(srv, "rk_viewer4")
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, vtok, {}))
    sent = assert_ok(vcall(srv, "POST", "/client/gift/send", vtok,
                           {"live_id": lid, "gift_id": 71, "amount": 5, "biz_id": "rk-b1"}))
    assert (sent["biz_id"], sent["gift_id"], sent["amount"]) == ("rk-b1", 71, 5)
    r = requests.post(srv.url("/manager/gift/test"),
                      json=vary({"biz_id": "x", "user_id": "u", "amount": 1}))
    assert r.status_code == 200, r.text


def test_item_routes(srv):
    tok, lid = on_air(srv, "rk_anchor5")
    items = [{"item_id": "s%d" % i, "title": "T%d" % i, "status": 1, "current_price": "1",
              "extends": {"Key": "v"}} for i in range(4)]
    assert_ok(vcall(srv, "POST", "/client/item/add", tok, {"live_id": lid, "items": items}))
    listed = assert_ok(client_call(srv, "GET", "/client/item/" + lid, tok))
    assert sorted(x["item_id"] for x in listed) == ["s0", "s1", "s2", "s3"]
    assert all(x["extends"] == {"Key": "v"} and x["status"] == 1 for x in listed)
    assert_ok(vcall(srv, "POST", "/client/item/status", tok,
                    {"live_id": lid, "items": [{"item_id": "s0", "status": 0}]}))
    assert_ok(vcall(srv, "POST", "/client/item/delete", tok, {"live_id": lid, "items": ["s3"]}))
    assert_ok(vcall(srv, "POST", "/client/item/order", tok,
                    {"live_id": lid, "items": [{"item_id": "s1", "order": 50}]}))
    assert_ok(vcall(srv, "PUT", "/client/item/%s/s2" % lid, tok, {"title": "Renamed"}))
    by_id = {x["item_id"]: x for x in assert_ok(client_call(srv, "GET", "/client/item/" + lid,
                                                            tok))}
    assert "s3" not in by_id and by_id["s0"]["status"] == 0
    assert by_id["s1"]["order"] == 50 and by_id["s2"]["title"] == "Renamed"
    order = [x["item_id"] for x in assert_ok(client_call(srv, "GET", "/client/item/" + lid,
                                                         tok))]
    assert_ok(vcall(srv, "POST", "/client/item/order/single", tok,
                    {"live_id": lid, "item_id": order[-1], "from": by_id[order[-1]]["order"],
                     "to": by_id[order[0]]["order"]}))
    moved = assert_ok(client_call(srv, "GET", "/client/item/" + lid, tok))
    assert moved[0]["item_id"] == order[-1]
    assert_ok(client_call(srv, "PUT", "/client/item/%s/s2/extends" % lid, tok, {"Own": "x"}))
    assert_ok(server_call(srv, "POST", "/server/item/status",
                          vary({"live_id": lid, "items": [{"item_id": "s2", "status": 2}]})))
    got = {x["item_id"]: x for x in assert_ok(client_call(srv, "GET", "/client/item/" + lid,
                                                          tok))}
    assert got["s2"]["status"] == 2 and got["s2"]["extends"] == {"Key": "v", "Own": "x"}
    gone = assert_ok(vcall(srv, "POST", "/client/item/demonstrate/record/delete", tok,
                           {"live_id": lid, "demonstrate_item": [987654]}))
    assert gone["live_id"] == lid


def test_mic_routes(srv):
    tok, lid = on_air(srv, "rk_anchor6")
    vtok = user_token(srv, "rk_viewer6")
    assert_ok(client_call(srv, "POST", "/client/live/room/user/" + lid, vtok, {}))
    assert_ok(vcall(srv, "POST", "/client/mic/", vtok,
                    {"live_id": lid, "mic": True, "camera": True, "extends": {"Seat": "1"}}))
    assert_ok(vcall(srv, "PUT", "/client/mic/extension", vtok,
                    {"live_id": lid, "user_id": "rk_viewer6", "extends": {"Seat": "2"}}))
    assert_ok(vcall(srv, "PUT", "/client/mic/switch", vtok,
                    {"live_id": lid, "user_id": "rk_viewer6", "type": "mic", "status": False}))
    row = srv.sql("SELECT mic, extends FROM live_mic_entities WHERE live_id = '%s' AND "
                  "user_id = 'rk_viewer6'" % lid)
    assert row[0][0] == "0" and json.loads(row[0][1]) == {"Seat": "2"}, row
    seat = "SELECT status FROM live_mic_entities WHERE live_id = '%s' AND " \
        "user_id = 'rk_viewer6'" % lid
    assert srv.sql(seat) == [["0"]]  # on the seat
    assert_ok(vcall(srv, "POST", "/client/mic/down", vtok, {"live_id": lid}))
    assert srv.sql(seat) == [["1"]]  # left it


def test_relay_routes(srv):
    ta, la = on_air(srv, "rk_pk_a")
    tb, lb = on_air(srv, "rk_pk_b")
    sess = assert_ok(vcall(srv, "POST", "/client/relay/start", ta,
                           {"init_room_id": la, "recv_room_id": lb, "recv_user_id": "rk_pk_b",
                            "extends": {"Round": "1"}}))
    sid = sess["relay_id"]
    got = assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))
    assert got["recv_room_id"] == lb and got["extends"] == {"Round": "1"}
    assert_ok(vcall(srv, "POST", "/client/relay/%s/extends" % sid, ta, {"extends": {"S": "2"}}))
    assert_ok(server_call(srv, "POST", "/server/relay/%s/extends" % sid,
                          vary({"extends": {"S": "3"}})))
    assert assert_ok(client_call(srv, "GET", "/client/relay/" + sid, ta))["extends"]["S"] == "3"


def test_censor_routes(srv, fake):
    r = requests.post(srv.url("/manager/login"), json={"user_name": "rk_adm2", "password": "x"})
    srv.sql("INSERT INTO admin_user (user_name, user_id, password, description) "
            "VALUES ('rk_adm2', 'rk_adm2', 'pw', 't')")
    r = requests.post(srv.url("/manager/login"), json={"user_name": "rk_adm2", "password": "pw"})
    adm = assert_ok(r)["access_token"]
    cfg = {"enable": True, "pulp": True, "terror": False, "politician": True, "ads": False,
           "interval": 17}
    assert_ok(vcall(srv, "POST", "/admin/censor/config", adm, cfg))
    got = assert_ok(client_call(srv, "GET", "/admin/censor/config", adm))
    assert (got["pulp"], got["terror"], got["interval"]) == (True, False, 17)
    tok, lid = on_air(srv, "rk_anchor7")
    assert_ok(vcall(srv, "POST", "/admin/censor/job/close", adm, {"live_id": lid}))
    assert_ok(vcall(srv, "POST", "/admin/censor/job/start", adm, {"live_id": lid}))
    job = srv.sql("SELECT job_id FROM live_censor WHERE live_id = '%s' ORDER BY id DESC"
                  % lid)[0][0]
    q = assert_ok(client_call(srv, "POST", "/admin/censor/job/query", adm, {"JOB": job}))
    assert q is not None
    fired = fake.censor_fire(job, timestamp=1700000100, suggestion="block",
                             scenes={"pulp": "block"})
    assert fired["status"] == 200
    hook = srv.url("/manager/censor/callback?token=" + requests.utils.quote(TOKEN, safe=""))
    image = dict(fired["image"], timestamp=1700000200)
    assert_ok(requests.post(hook, json=vary({"image": image})))
    rows = srv.sql("SELECT id, created_at, pulp FROM censor_image WHERE live_id = '%s' "
                   "ORDER BY id" % lid)
    assert [r[1:] for r in rows] == [["1700000100", "block"], ["1700000200", "block"]]
    assert_ok(vcall(srv, "POST", "/admin/censor/audit", adm,
                    {"live_id": lid, "image_list": [int(rows[0][0])], "review_answer": 2}))
    assert srv.sql("SELECT is_review, review_answer FROM censor_image WHERE id = %s"
                   % rows[0][0]) == [["1", "2"]]


def test_wrong_types_still_refused_under_any_spelling(srv):
    tok = user_token(srv, "rk_bad")
    assert_error(client_call(srv, "POST", "/client/live/room/instance", tok, {"TITLE": 5}),
                 400, 400)


def test_extends_sent_as_a_string(srv):
    """The SDKs serialise `extends` into a string in places: a string holding a JSON object is
    the map itself, wherever a map is taken; "" is no map; anything else is still a 400."""
    tok = user_token(srv, "rk_str_ext")
    lid = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                {"title": "s", "extends": '{"a":"1"}'}))["live_id"]
    assert room_info(srv, tok, lid)["extends"] == {"a": "1"}
    assert_ok(client_call(srv, "PUT", "/client/live/room/extends", tok,
                          {"live_id": lid, "Extends": '{"b":"2"}'}))
    assert room_info(srv, tok, lid)["extends"] == {"b": "2"}
    assert_ok(client_call(srv, "PUT", "/client/user/user", tok, {"extends": '{"u":"1"}'}))
    prof = assert_ok(client_call(srv, "GET", "/client/user/profile", tok))
    assert prof["extends"] == {"u": "1"}
    lid2 = assert_ok(client_call(srv, "POST", "/client/live/room/instance", tok,
                                 {"title": "s", "extends": ""}))["live_id"]
    assert room_info(srv, tok, lid2)["extends"] is None
    for bad in ("k=v", "[1]", '{"a":1}', "null"):
        assert_error(client_call(srv, "POST", "/client/live/room/instance", tok,
                                 {"extends": bad}), 400, 400)
