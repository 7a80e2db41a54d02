"""Client JWTs as the reference decodes them: claim names in any case, and a `null` claim is an
absent one, so a correctly signed `"exp": null` never expires."""
from helpers import assert_error, assert_ok, client_call, make_jwt, now, user_token


def claims(user, **kw):
    return dict({"AppId": "app1", "UserId": user, "DeviceId": "d", "Role": ""}, **kw)


def test_exp_null_is_absent(server):
    user_token(server, "tok_null")  # creates the user
    tok = make_jwt(claims("tok_null", exp=None))
    assert assert_ok(client_call(server, "GET", "/client/user/profile", tok))["user_id"] == \
        "tok_null"
    tok = make_jwt(claims("tok_null", exp=None, iat=None, nbf=None))
    assert_ok(client_call(server, "GET", "/client/user/profile", tok))


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
