#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/jwt.h"

static const char SPEC_VECTOR[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJleHAiOjE3MDAwMDAwMDAsIkFwcElkIjoiYXBwMSIsIlVzZXJJZCI6InVzZXIxIiwiRGV2aWNlSWQiOiJkZXYxIiwi"
    "Um9sZSI6IiJ9.Z6vsY2gEfomg1S9iYMv0pS0lgz6LcoLbv9rKRALobys";

static struct jwt_claims spec_claims(void)
{
    struct jwt_claims c = {.exp = 1700000000};
    snprintf(c.app_id, sizeof(c.app_id), "%s", "app1");
    snprintf(c.user_id, sizeof(c.user_id), "%s", "user1");
    snprintf(c.device_id, sizeof(c.device_id), "%s", "dev1");
    return c;
}

static void test_sign_matches_spec_vector(void **state)
{
    (void)state;
    struct jwt_claims c = spec_claims();
    char *tok = jwt_sign("jwtkey", &c);
    assert_string_equal(tok, SPEC_VECTOR);
    free(tok);
}

static void test_verify_spec_vector(void **state)
{
    (void)state;
    struct jwt_claims c;
    assert_int_equal(jwt_verify("jwtkey", SPEC_VECTOR, 1700000000, &c), ERR_OK);
    assert_string_equal(c.user_id, "user1");
    assert_string_equal(c.app_id, "app1");
    assert_string_equal(c.device_id, "dev1");
    assert_string_equal(c.role, "");
    assert_int_equal(c.exp, 1700000000);
}

static void test_expired_only_with_good_signature(void **state)
{
    (void)state;
    struct jwt_claims c;
    /* now > exp with a good signature: expired (401/499) */
    assert_int_equal(jwt_verify("jwtkey", SPEC_VECTOR, 1700000001, &c), ERR_TOKEN_EXPIRED);
    /* the same expired token under another key: a bad signature is never "expired" */
    assert_int_equal(jwt_verify("otherkey", SPEC_VECTOR, 1700000001, &c), ERR_UNAUTHORIZED);
}

static void test_garbage_and_bearer_rejected(void **state)
{
    (void)state;
    struct jwt_claims c;
    char bearer[sizeof(SPEC_VECTOR) + 8];
    snprintf(bearer, sizeof(bearer), "Bearer %s", SPEC_VECTOR);
    assert_int_equal(jwt_verify("jwtkey", "garbage", 0, &c), ERR_UNAUTHORIZED);
    assert_int_equal(jwt_verify("jwtkey", "a.b.c", 0, &c), ERR_UNAUTHORIZED);
    assert_int_equal(jwt_verify("jwtkey", bearer, 0, &c), ERR_UNAUTHORIZED);
    assert_int_equal(jwt_verify("jwtkey", "", 0, &c), ERR_UNAUTHORIZED);
}

static void test_alg_pinned_to_hs256(void **state)
{
    (void)state;
    struct jwt_claims c;
    /* {"alg":"none","typ":"JWT"} with the spec payload and no signature */
    const char *none_tok = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                           "eyJleHAiOjE3MDAwMDAwMDAsIkFwcElkIjoiYXBwMSIsIlVzZXJJZCI6InVzZXIxIiwi"
                           "RGV2aWNlSWQiOiJkZXYxIiwiUm9sZSI6IiJ9.";
    assert_int_equal(jwt_verify("jwtkey", none_tok, 0, &c), ERR_UNAUTHORIZED);
}

static void test_round_trip_admin_role(void **state)
{
    (void)state;
    struct jwt_claims c = spec_claims(), out;
    snprintf(c.role, sizeof(c.role), "%s", "admin");
    c.exp = 0;
    char *tok = jwt_sign("k", &c);
    assert_int_equal(jwt_verify("k", tok, 4000000000, &out), ERR_OK);
    assert_string_equal(out.role, "admin");
    free(tok);
}

/* {"exp":null,...} and {"exp":"soon",...} signed with "jwtkey" */
static const char EXP_NULL[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJleHAiOm51bGwsIkFwcElkIjoiYXBwMSIsIlVzZXJJZCI6InVzZXIxIiwiRGV2aWNlSWQiOiJkZXYxIiwiUm9sZSI6"
    "IiJ9.gsPGxcH_UioUPBjN-Wq9LlY8tWZbKAnTFDUcXNa2afs";
static const char EXP_STRING[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJleHAiOiJzb29uIiwiQXBwSWQiOiJhcHAxIiwiVXNlcklkIjoidXNlcjEiLCJEZXZpY2VJZCI6ImRldjEiLCJSb2xl"
    "IjoiIn0.BSQioadFCiNUSLuAO-2J_Ho7CsWBwpqULELUqdMYWD4";

static void test_null_claim_is_absent(void **state)
{
    (void)state;
    struct jwt_claims c;
    assert_int_equal(jwt_verify("jwtkey", EXP_NULL, 4000000000, &c), ERR_OK);
    assert_int_equal(c.exp, 0);
    assert_string_equal(c.user_id, "user1");
    assert_int_equal(jwt_verify("jwtkey", EXP_STRING, 0, &c), ERR_UNAUTHORIZED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_matches_spec_vector),
        cmocka_unit_test(test_verify_spec_vector),
        cmocka_unit_test(test_expired_only_with_good_signature),
        cmocka_unit_test(test_garbage_and_bearer_rejected),
        cmocka_unit_test(test_alg_pinned_to_hs256),
        cmocka_unit_test(test_round_trip_admin_role),
        cmocka_unit_test(test_null_claim_is_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
