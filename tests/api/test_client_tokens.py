"""Client JWTs as the reference decodes them: claim names in any case, and a `null` claim is an
absent one. A token without exp lives at most auth.token_max_ttl_s (default 30 days) after its
iat; with the cap set to 0 it never expires, as in the reference."""
from helpers import advance_clock, assert_error, assert_ok, client_call, make_jwt, now, user_token


def claims(user, **kw):
    return dict({"AppId": "app1", "UserId": user, "DeviceId": "d", "Role": ""}, **kw)


def test_exp_null_is_absent(server):
    user_token(server, "tok_null")  # creates the user
    tok = make_jwt(claims("tok_null", exp=None, iat=now() - 60))
    assert assert_ok(client_call(server, "GET", "/client/user/profile", tok))["user_id"] == \
        "tok_null"
    tok = make_jwt(claims("tok_null", exp=None, iat=now() - 60, nbf=None))
    assert_ok(client_call(server, "GET", "/client/user/profile", tok))


def test_tokens_without_exp_are_capped(server):
    user_token(server, "tok_cap")
    month = 30 * 86400
    profile = lambda **kw: client_call(server, "GET", "/client/user/profile",
                                       make_jwt(claims("tok_cap", **kw)))
    assert_ok(profile(iat=now() - month + 120))
    assert_error(profile(iat=now() - month - 120), 401, 499)
    assert_error(profile(exp=None, iat=now() - month - 120), 401, 499)
    assert_error(profile(), 401, 401)  # no exp, no iat: its age is unknown
    assert_error(profile(exp=None), 401, 401)


def test_no_cap_keeps_the_reference_behaviour(make_server):
    s = make_server()
    with open(s.config) as f:
        text = f.read()
    with open(s.config, "w") as f:
        f.write(text.replace("auth:\n", "auth:\n  token_max_ttl_s: 0\n", 1))
    s.start()
    user_token(s, "tok_nocap")
    assert_ok(client_call(s, "GET", "/client/user/profile", make_jwt(claims("tok_nocap"))))
    assert_ok(client_call(s, "GET", "/client/user/profile",
                          make_jwt(claims("tok_nocap", exp=None))))


def test_other_wrong_claim_types_and_expiry_still_refused(server):
    user_token(server, "tok_bad")
    for bad in ("soon", 1.5, True, [1]):
        assert_error(client_call(server, "GET", "/client/user/profile",
                                 make_jwt(claims("tok_bad", exp=bad))), 401, 401)
    assert_error(client_call(server, "GET", "/client/user/profile",
                             make_jwt(claims("tok_bad", exp=now() - 10))), 401, 499)
    assert_error(client_call(server, "GET", "/client/user/profile",
                             make_jwt(claims("tok_bad", exp=None), key="another-key-0123456789")),
                 401, 401)


def test_missing_feature_sections_are_logged(server):
    log = server.read_log()  # the test server has no im and no pili section
    assert "no im section: IM is off" in log and "no pili section" in log
    assert "no rtc section" not in log


def test_a_token_used_before_still_expires_and_its_forgeries_fail(make_server):
    """A token's checked claims are kept for its next requests: its exp still counts against
    the clock, and a token that differs in any byte (another signature, another user) is
    checked on its own."""
    s = make_server().start()
    user_token(s, "tok_kept")
    user_token(s, "tok_other")
    tok = make_jwt(claims("tok_kept", exp=now() + 120))
    for _ in range(3):
        assert assert_ok(client_call(s, "GET", "/client/user/profile", tok))["user_id"] == \
            "tok_kept"
    head, payload, sig = tok.split(".")
    forged_sig = head + "." + payload + "." + ("A" if sig[0] != "A" else "B") + sig[1:]
    assert_error(client_call(s, "GET", "/client/user/profile", forged_sig), 401, 401)
    other = make_jwt(claims("tok_other", exp=now() + 120)).split(".")[1]
    assert_error(client_call(s, "GET", "/client/user/profile", head + "." + other + "." + sig),
                 401, 401)
    advance_clock(s, 300)
    assert_error(client_call(s, "GET", "/client/user/profile", tok), 401, 499)
