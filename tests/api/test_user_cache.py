"""User rows are served from the shared cache (client-token lookups, profiles) with the database
as the durable record: a row changed behind the server's back stays as cached, and every change
made through the API shows at once, on this node and on every other node sharing the cache."""
import pytest

import qnlive_server
from helpers import assert_ok, client_call, server_call, user_token


def profile(srv, tok):
    return assert_ok(client_call(srv, "GET", "/client/user/profile", tok))


def second_node(make_server, one):
    """Another node on the same database and cache, with its own node id and port."""
    two = make_server()
    with open(one.config) as f:
        cfg = f.read()
    with open(two.config, "w") as f:
        f.write(cfg.replace("node_id: 1", "node_id: 2")
                .replace("127.0.0.1:%d" % one.port, "127.0.0.1:%d" % two.port))
    return two.start()


def test_profiles_come_from_the_cache_and_follow_every_change(make_server):
    s = make_server().start()
    tok = user_token(s, "uc_self")
    assert profile(s, tok)["nick"] == ""
    # only the cache can still show the old nick: the row changed behind the server's back
    s.sql("UPDATE live_users SET nick = 'behind' WHERE user_id = 'uc_self'")
    assert profile(s, tok)["nick"] == ""
    assert_ok(client_call(s, "PUT", "/client/user/user", tok, {"nick": "mine"}))
    assert profile(s, tok)["nick"] == "mine"
    assert_ok(server_call(s, "PUT", "/server/user/uc_self", {"avatar": "https://a/b.png",
                                                             "extends": {"k": "v"}}))
    got = profile(s, tok)
    assert (got["nick"], got["avatar"], got["extends"]) == ("mine", "https://a/b.png", {"k": "v"})
    info = assert_ok(server_call(s, "GET", "/server/user/info/uc_self"))
    assert info["nick"] == "mine" and info["extends"] == {"k": "v"}


@pytest.mark.skipif(qnlive_server.BACKEND != "mysql",
                    reason="two nodes need a shared MariaDB and Redis")
def test_a_change_on_one_node_shows_at_once_on_another(make_server):
    one = make_server().start()
    two = second_node(make_server, one)
    tok = user_token(one, "uc_xnode")
    assert profile(two, tok)["nick"] == ""           # now cached, for both nodes
    assert profile(one, tok)["nick"] == ""
    for i in range(5):
        nick = "n%d" % i
        writer, reader = (one, two) if i % 2 == 0 else (two, one)
        assert_ok(client_call(writer, "PUT", "/client/user/user", tok, {"nick": nick}))
        assert profile(reader, tok)["nick"] == nick
        assert assert_ok(server_call(reader, "GET", "/server/user/profile/uc_xnode"))[
            "nick"] == nick
