/* RTC room tokens and the list-users call against the RTC fake, which
 * verifies the SDK-flavour MAC and answers 401 on a mismatch. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clients/rtc.h"
#include "fake_proc.h"

static struct fake fk;
static char endpoint[128];

static struct rtc_client *client_with(char *sk)
{
    struct conf cf = {0};
    cf.account.access_key = FAKE_AK;
    cf.account.secret_key = sk;
    cf.rtc.enabled = true;
    cf.rtc.app_id = "app1";
    cf.rtc.endpoint = endpoint;
    return rtc_client_new(&cf);
}

static int group_setup(void **state)
{
    (void)state;
    return fake_suite_start(&fk, "rtc", endpoint, sizeof(endpoint)) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    fake_suite_stop(&fk);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    return fake_reset(&fk) ? 0 : -1;
}

static void test_token_vector(void **state)
{
    (void)state;
    char *t = rtc_token_make("ak", "sk", "app1", "live1", "u1", 1700000000);
    assert_string_equal(t, "ak:7Fq6P2KT9eyVXkNn9yK2R6IkgQI=:eyJhcHBJZCI6ImFwcDEiLCJyb29tTmFtZSI6Im"
                           "xpdmUxIiwidXNlcklkIjoidTEiLCJleHBpcmVBdCI6MTcwMDAwMDAwMCwicGVybWlzc2lv"
                           "biI6InVzZXIifQ==");
    free(t);
}

/* Decodes the third part of a token into JSON (caller decrefs). */
static json_t *token_payload(const char *token)
{
    const char *enc = strrchr(token, ':') + 1;
    size_t n = strlen(enc);
    unsigned char *raw = malloc(n * 3 / 4 + 3);
    size_t len = 0;
    assert_true(base64_decode(enc, n, raw, &len));
    json_t *j = json_loadb((const char *)raw, len, 0, NULL);
    free(raw);
    return j;
}

static void test_room_token_lifetime_and_escaping(void **state)
{
    (void)state;
    struct rtc_client *c = client_with(FAKE_SK);
    char *t = NULL;
    assert_int_equal(rtc_room_token(c, "room\"1", "user/\\2", 1000, &t), ERR_OK);
    assert_true(strncmp(t, FAKE_AK ":", strlen(FAKE_AK) + 1) == 0);
    json_t *p = token_payload(t);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "appId")), "app1");
    assert_string_equal(json_string_value(json_object_get(p, "roomName")), "room\"1");
    assert_string_equal(json_string_value(json_object_get(p, "userId")), "user/\\2");
    assert_int_equal(json_integer_value(json_object_get(p, "expireAt")), 1000 + RTC_TOKEN_TTL_S);
    assert_string_equal(json_string_value(json_object_get(p, "permission")), "user");
    json_decref(p);
    free(t);
    assert_int_equal(rtc_room_token(c, "\xff", "u", 1, &t), ERR_BAD_REQUEST);
    assert_null(t);
    rtc_client_free(&c);
    assert_null(c);
}

static void test_list_users(void **state)
{
    (void)state;
    struct rtc_client *c = client_with(FAKE_SK);
    struct rtc_users u;
    assert_true(fake_post(&fk, "/_fake/rtc/room",
                          "{\"app\":\"app1\",\"room\":\"L1\",\"users\":[\"u1\",\"u2\"]}"));
    assert_int_equal(rtc_list_users(c, "L1", &u), ERR_OK);
    assert_int_equal(u.n, 2);
    assert_true(rtc_users_contains(&u, "u1"));
    assert_true(rtc_users_contains(&u, "u2"));
    assert_false(rtc_users_contains(&u, "u3"));
    rtc_users_free(&u);

    assert_int_equal(rtc_list_users(c, "empty-room", &u), ERR_OK);
    assert_int_equal(u.n, 0);
    rtc_users_free(&u);

    json_t *calls = fake_calls(&fk, "rtc");
    json_t *first = json_array_get(calls, 0);
    assert_string_equal(fake_call_str(first, "method"), "GET");
    assert_string_equal(fake_call_str(first, "path"), "/v3/apps/app1/rooms/L1/users");
    assert_string_equal(fake_call_header(first, "content-type"),
                        "application/x-www-form-urlencoded");
    assert_true(strncmp(fake_call_header(first, "authorization"), "Qiniu " FAKE_AK ":", 14) == 0);
    assert_int_equal(json_integer_value(json_object_get(first, "status")), 200);
    json_decref(calls);
    rtc_client_free(&c);
}

static void test_list_users_failures(void **state)
{
    (void)state;
    struct rtc_users u;
    struct rtc_client *bad = client_with("wrong-sk");
    assert_int_equal(rtc_list_users(bad, "L1", &u), ERR_UPSTREAM); /* fake answers 401 */
    assert_int_equal(u.n, 0);
    rtc_client_free(&bad);

    struct rtc_client *c = client_with(FAKE_SK);
    assert_true(fake_post(&fk, "/_fake/fail", "{\"service\":\"rtc\",\"mode\":\"down\"}"));
    assert_int_equal(rtc_list_users(c, "L1", &u), ERR_UPSTREAM);
    assert_true(fake_post(&fk, "/_fake/reply",
                          "{\"service\":\"rtc\",\"status\":200,\"body\":[1,2],\"count\":1}"));
    assert_int_equal(rtc_list_users(c, "L1", &u), ERR_UPSTREAM);
    rtc_client_set_timeouts(c, 0, 300);
    assert_true(
        fake_post(&fk, "/_fake/fail", "{\"service\":\"rtc\",\"mode\":\"slow\",\"delay\":3}"));
    double t0 = fake_now();
    assert_int_equal(rtc_list_users(c, "L1", &u), ERR_UPSTREAM);
    assert_true(fake_now() - t0 < 1.5);
    rtc_client_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_vector),
        cmocka_unit_test(test_room_token_lifetime_and_escaping),
        cmocka_unit_test_setup(test_list_users, reset),
        cmocka_unit_test_setup(test_list_users_failures, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
