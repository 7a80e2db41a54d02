"""Stats routes S1 POST /client/stats/singleLive and S2 GET /client/stats/singleLive/:live_id."""
import threading

import requests

from helpers import assert_error, assert_ok, client_call, user_token

NAMES = ["Live", "Item", "Comment", "Relay", "Mic", "Like", "Gift"]


def summary(srv, tok, live_id):
    d = assert_ok(client_call(srv, "GET", "/client/stats/singleLive/%s" % live_id, tok))
    assert d["flow"] == ""
    assert [i["type"] for i in d["info"]] == list(range(1, 8))
    assert [i["type_description"] for i in d["info"]] == NAMES
    return {i["type"]: (i["page_view"], i["unique_visitor"]) for i in d["info"]}


def post(srv, tok, items, key="data"):
    return client_call(srv, "POST", "/client/stats/singleLive", tok, {key: items})


def test_empty_room_has_seven_zero_lines(server):
    tok = user_token(server, "st_u0")
    assert summary(server, tok, "no-such-room") == {t: (0, 0) for t in range(1, 8)}


def test_increments_and_summary(server):
    a = user_token(server, "st_a")
    b = user_token(server, "st_b")
    assert_ok(post(server, a, [{"live_id": "L1", "user_id": "st_a", "type": 3, "count": 2},
                               {"live_id": "L1", "user_id": "st_a", "type": 3, "count": 1}]))
    # iOS sends a capitalised "Data" key
    r = post(server, b, [{"live_id": "L1", "user_id": "st_b", "type": 3, "count": 4}], key="Data")
    assert_ok(r)
    assert r.json().get("data", "absent") == "absent"
    assert_ok(post(server, b, [{"live_id": "L1", "user_id": "st_b", "type": 2, "count": 1}]))
    # a zero count creates the row but adds nothing afterwards
    assert_ok(post(server, b, [{"live_id": "L1", "user_id": "st_b", "type": 5, "count": 0}]))
    s = summary(server, a, "L1")
    assert s[3] == (7, 2) and s[2] == (1, 1) and s[5] == (0, 1) and s[1] == (0, 0)


def test_concurrent_increments_are_not_lost(server):
    toks = [user_token(server, "st_c%d" % i) for i in range(4)]

    def run(i):
        s = requests.Session()
        for _ in range(50):
            r = s.post(server.url("/client/stats/singleLive"), headers={"Authorization": toks[i]},
                       json={"data": [{"live_id": "L2", "user_id": "st_c%d" % (i % 2),
                                       "type": 3, "count": 1}]}, timeout=10)
            assert r.status_code in (200, 400), r.text
    # users 0/1 write their own rows; users 2/3 are refused (not the caller) and change nothing
    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert summary(server, toks[0], "L2")[3] == (100, 2)


def test_stats_errors(server):
    tok = user_token(server, "st_e")
    for body in ({}, {"data": []}, {"data": None}):
        assert_error(client_call(server, "POST", "/client/stats/singleLive", tok, body), 400, 400)
    assert_error(client_call(server, "POST", "/client/stats/singleLive", tok, {"data": []}),
                 400, 400, "Empty data")
    bad_items = [None, 5, {"live_id": "L3", "type": 3, "count": -1},
                 {"live_id": "L3", "type": 6, "count": 1}, {"live_id": "L3", "type": 7, "count": 1},
                 {"live_id": "L3", "type": 0, "count": 1}, {"live_id": "L3", "type": "3"},
                 {"live_id": "", "type": 3, "count": 1},
                 {"live_id": "L3", "user_id": "someone_else", "type": 3, "count": 1}]
    for item in bad_items:
        assert_error(post(server, tok, [item]), 400, 400)
    r = requests.post(server.url("/client/stats/singleLive"), json={"data": []}, timeout=10)
    assert r.status_code == 401
    assert summary(server, tok, "L3") == {t: (0, 0) for t in range(1, 8)}
