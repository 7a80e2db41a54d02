/* IM client against the local Maxim fake: registration (+ the "user exists" fallback), chat
 * rooms, command messages, failures, timeouts, the disabled client and password generation. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "clients/im.h"
#include "fake_proc.h"

static struct fake fk;
static char endpoint[128];
static struct im_client *im;

static struct im_client *client_with(char *token)
{
    struct conf cf = {0};
    cf.im.enabled = true;
    cf.im.app_id = FAKE_IM_APP_ID;
    cf.im.token = token;
    cf.im.endpoint = endpoint;
    return im_client_new(&cf);
}

static int group_setup(void **state)
{
    (void)state;
    if (!fake_suite_start(&fk, "im", endpoint, sizeof(endpoint)))
        return -1;
    im = client_with(FAKE_IM_TOKEN);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    im_client_free(&im);
    fake_suite_stop(&fk);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    return fake_reset(&fk) ? 0 : -1;
}

/* Checks the fixed IM headers of a recorded call and its acting-user header. */
static void assert_im_headers(json_t *c, const char *user_id)
{
    assert_string_equal(fake_call_header(c, "app_id"), FAKE_IM_APP_ID);
    assert_string_equal(fake_call_header(c, "access-token"), FAKE_IM_TOKEN);
    if (user_id)
        assert_string_equal(fake_call_header(c, "user_id"), user_id);
    else
        assert_null(fake_call_header(c, "user_id"));
}

static void test_register_new_user(void **state)
{
    (void)state;
    int64_t id = -1;
    assert_int_equal(im_register_user(im, "qlu1", "pw123456", &id), ERR_OK);
    assert_true(id >= 10000);

    json_t *calls = fake_calls(&fk, "im");
    assert_int_equal(json_array_size(calls), 1);
    json_t *c = json_array_get(calls, 0);
    assert_string_equal(fake_call_str(c, "method"), "POST");
    assert_string_equal(fake_call_str(c, "path"), "/user/register/v2");
    assert_string_equal(fake_call_str(c, "raw_body"),
                        "{\"password\":\"pw123456\",\"username\":\"qlu1\"}");
    assert_string_equal(fake_call_header(c, "content-type"), "application/json");
    assert_im_headers(c, NULL);
    json_decref(calls);
}

static void test_register_existing_user_adopts_and_resets_password(void **state)
{
    (void)state;
    json_t *r =
        fake_control(&fk, "POST", "/_fake/im/user", "{\"username\":\"qlu2\",\"password\":\"old\"}");
    int64_t existing = json_integer_value(json_object_get(r, "user_id"));
    json_decref(r);
    assert_true(existing > 0);

    int64_t id = 0;
    assert_int_equal(im_register_user(im, "qlu2", "newpass1", &id), ERR_OK);
    assert_int_equal(id, existing);

    json_t *calls = fake_calls(&fk, "im");
    assert_int_equal(json_array_size(calls), 3);
    json_t *reg = json_array_get(calls, 0), *find = json_array_get(calls, 1),
           *chg = json_array_get(calls, 2);
    assert_string_equal(fake_call_str(reg, "path"), "/user/register/v2");
    assert_string_equal(fake_call_str(find, "method"), "GET");
    assert_string_equal(fake_call_str(find, "path"), "/roster/name");
    assert_string_equal(fake_call_str(find, "raw_query"), "username=qlu2");
    assert_null(fake_call_header(find, "content-type"));
    assert_im_headers(find, NULL);
    assert_string_equal(fake_call_str(chg, "path"), "/user/change_password_admin");
    assert_string_equal(fake_call_str(chg, "raw_body"), "{\"password\":\"newpass1\"}");
    char uid[32];
    snprintf(uid, sizeof(uid), "%" PRId64, existing);
    assert_im_headers(chg, uid);
    json_decref(calls);

    json_t *st = fake_control(&fk, "GET", "/_fake/im/state", NULL);
    json_t *u = json_object_get(json_object_get(st, "users"), "qlu2");
    assert_string_equal(json_string_value(json_object_get(u, "password")), "newpass1");
    json_decref(st);
}

static void test_register_twice_returns_same_id(void **state)
{
    (void)state;
    int64_t a = 0, b = 0;
    assert_int_equal(im_register_user(im, "qlu3", "aaaaaaaa", &a), ERR_OK);
    assert_int_equal(im_register_user(im, "qlu3", "bbbbbbbb", &b), ERR_OK);
    assert_int_equal(a, b);
}

static void test_register_failures(void **state)
{
    (void)state;
    int64_t id = 7;
    /* a code other than 200 / 10004 */
    assert_true(
        fake_post(&fk, "/_fake/fail", "{\"service\":\"im\",\"mode\":\"error\",\"code\":10009}"));
    assert_int_equal(im_register_user(im, "qlu4", "pw", &id), ERR_UPSTREAM);
    assert_int_equal(id, 0);
    /* HTTP 503 */
    assert_true(fake_post(&fk, "/_fake/fail", "{\"service\":\"im\",\"mode\":\"down\"}"));
    assert_int_equal(im_register_user(im, "qlu4", "pw", &id), ERR_UPSTREAM);
    /* 200 with an empty body reads as code 0 */
    assert_true(fake_post(&fk, "/_fake/fail", "{\"service\":\"im\",\"mode\":\"empty\"}"));
    assert_int_equal(im_register_user(im, "qlu4", "pw", &id), ERR_UPSTREAM);
    /* exists, but the lookup fails: registration fails, no password reset */
    assert_true(fake_post(&fk, "/_fake/im/user", "{\"username\":\"qlu5\"}"));
    assert_true(fake_post(&fk, "/_fake/reply",
                          "{\"service\":\"im\",\"count\":2,\"body\":{\"code\":10004}}"));
    assert_int_equal(im_register_user(im, "qlu5", "pw", &id), ERR_UPSTREAM);
    assert_int_equal(id, 0);
    json_t *calls = fake_calls(&fk, "im");
    json_t *last = json_array_get(calls, json_array_size(calls) - 1);
    assert_string_equal(fake_call_str(last, "path"), "/roster/name");
    json_decref(calls);
}

static void test_wrong_admin_token_fails(void **state)
{
    (void)state;
    struct im_client *bad = client_with("not-the-token");
    int64_t id = 0;
    assert_int_equal(im_register_user(bad, "qlu6", "pw", &id), ERR_UPSTREAM);
    json_t *calls = fake_calls(&fk, "im");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(calls, 0), "status")), 401);
    json_decref(calls);
    im_client_free(&bad);
    assert_null(bad);
}

static void test_create_chatroom(void **state)
{
    (void)state;
    int64_t gid = 0;
    assert_int_equal(im_create_chatroom(im, 10042, "1547812358724816896", &gid), ERR_OK);
    assert_true(gid > 0);
    json_t *calls = fake_calls(&fk, "im");
    json_t *c = json_array_get(calls, 0);
    assert_string_equal(fake_call_str(c, "path"), "/group/create");
    assert_string_equal(fake_call_str(c, "raw_body"),
                        "{\"name\":\"1547812358724816896\",\"type\":2}");
    assert_im_headers(c, "10042");
    json_decref(calls);

    assert_true(fake_post(&fk, "/_fake/fail", "{\"service\":\"im\",\"mode\":\"error\"}"));
    assert_int_equal(im_create_chatroom(im, 10042, "l2", &gid), ERR_UPSTREAM);
    assert_int_equal(gid, 0);
}

static void test_like_notify_wire_format(void **state)
{
    (void)state;
    assert_int_equal(im_notify_like(im, 30001, 20001, "1547812358724816896", "u7", 1), ERR_OK);
    json_t *calls = fake_calls(&fk, "im");
    json_t *c = json_array_get(calls, 0);
    assert_string_equal(fake_call_str(c, "path"), "/message/send");
    /* the IM service's documented example, byte for byte */
    assert_string_equal(
        fake_call_str(c, "raw_body"),
        "{\"type\":2,\"from_user_id\":20001,\"targets\":[30001],\"content_type\":6,"
        "\"content\":\"{\\\"action\\\":\\\"like_notify\\\",\\\"data\\\":{\\\"live_id\\\":"
        "\\\"1547812358724816896\\\",\\\"user_id\\\":\\\"u7\\\",\\\"count\\\":1}}\","
        "\"attachment\":\"\"}");
    assert_im_headers(c, "20001");
    json_decref(calls);
}

/* Calls of service recorded by the fake, once there are at least n (waits up to 5 s). */
static json_t *calls_when(const char *service, size_t n)
{
    json_t *calls = fake_calls(&fk, service);
    for (int i = 0; i < 500 && json_array_size(calls) < n; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        json_decref(calls);
        calls = fake_calls(&fk, service);
    }
    return calls;
}

/* The background variants send the same messages without the caller waiting for IM. */
static void test_notifications_later_send_the_same_messages(void **state)
{
    (void)state;
    assert_true(im_notify_like_later(im, 30001, 20001, "L1", "u7", 2));
    assert_true(im_notify_gift_later(im, 30001, 20002, "viewer_7", "L1", 3, 100));
    assert_false(im_notify_like_later(im, 0, 20001, "L1", "u7", 2));            /* no chat room */
    assert_false(im_notify_gift_later(im, 30001, 0, "viewer_7", "L1", 3, 100)); /* no sender */
    assert_false(im_notify_like_later(NULL, 30001, 20001, "L1", "u7", 2));
    json_t *calls = calls_when("im", 2);
    assert_int_equal(json_array_size(calls), 2);
    char *seen[2];
    for (size_t i = 0; i < 2; i++)
        seen[i] = json_dumps(json_object_get(json_array_get(calls, i), "content"),
                             JSON_COMPACT | JSON_PRESERVE_ORDER);
    const char *like = "{\"action\":\"like_notify\",\"data\":{\"live_id\":\"L1\","
                       "\"user_id\":\"u7\",\"count\":2}}";
    /* two senders may deliver them in either order */
    assert_true(strcmp(seen[0], like) == 0 || strcmp(seen[1], like) == 0);
    assert_true(strstr(seen[0], "gift_notify") || strstr(seen[1], "gift_notify"));
    free(seen[0]);
    free(seen[1]);
    json_decref(calls);
}

static void test_gift_and_pk_notify_payloads(void **state)
{
    (void)state;
    assert_int_equal(im_notify_gift(im, 30001, 20002, "viewer_7", "L1", 3, 100), ERR_OK);
    assert_int_equal(
        im_notify_pk_extends(im, 30002, 20003, "S1", "L1", "L2", "{\"score_a\":\"3\"}"), ERR_OK);
    json_t *calls = fake_calls(&fk, "im");
    json_t *gift = json_object_get(json_array_get(calls, 0), "content");
    json_t *pk = json_object_get(json_array_get(calls, 1), "content");
    char *g = json_dumps(gift, JSON_COMPACT | JSON_PRESERVE_ORDER);
    char *p = json_dumps(pk, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(g, "{\"action\":\"gift_notify\",\"data\":{\"user_id\":\"viewer_7\","
                           "\"live_id\":\"L1\",\"gift_id\":3,\"amount\":100}}");
    assert_string_equal(p, "{\"action\":\"pk_extends_notify\",\"data\":{\"sid\":\"S1\","
                           "\"init_room_id\":\"L1\",\"recv_room_id\":\"L2\","
                           "\"extends\":{\"score_a\":\"3\"}}}");
    free(g);
    free(p);
    json_decref(calls);
}

static void test_censor_messages(void **state)
{
    (void)state;
    assert_int_equal(im_notify_censor_stop(im, 30003, 20004, "L9"), ERR_OK);
    assert_int_equal(im_notify_censor_warn(im, 20004, "L9"), ERR_OK);
    json_t *calls = fake_calls(&fk, "im");
    json_t *stop = json_array_get(calls, 0), *warn = json_array_get(calls, 1);
    assert_im_headers(stop, "20004");
    json_t *sd = json_object_get(json_object_get(stop, "content"), "data");
    assert_string_equal(json_string_value(json_object_get(sd, "message")),
                        "直播涉嫌违规，\n管理员已关闭直播间。");
    /* system sender: no header, no from_user_id, addressed to a user */
    assert_im_headers(warn, NULL);
    json_t *wb = json_object_get(warn, "body");
    assert_null(json_object_get(wb, "from_user_id"));
    assert_int_equal(json_integer_value(json_object_get(wb, "type")), 1);
    assert_int_equal(json_integer_value(json_array_get(json_object_get(wb, "targets"), 0)), 20004);
    json_decref(calls);
}

static void test_send_prechecks_send_nothing(void **state)
{
    (void)state;
    assert_int_equal(im_notify_like(im, 0, 20001, "L", "u", 1), ERR_BAD_REQUEST);
    assert_int_equal(im_notify_like(im, 30001, 0, "L", "u", 1), ERR_BAD_REQUEST);
    assert_int_equal(im_notify_censor_warn(im, 0, "L"), ERR_BAD_REQUEST);
    assert_int_equal(im_send_command(im, IM_TARGET_GROUP, 1, 2, "x", "{not json"), ERR_BAD_REQUEST);
    assert_int_equal(im_notify_pk_extends(im, 1, 2, "s", "a", "b", "[1]"), ERR_BAD_REQUEST);
    assert_int_equal(im_notify_like(im, 1, 2, "L", "\xff\xfe", 1), ERR_BAD_REQUEST);
    json_t *calls = fake_calls(&fk, "im");
    assert_int_equal(json_array_size(calls), 0);
    json_decref(calls);
}

static void test_send_failure_reported(void **state)
{
    (void)state;
    assert_true(fake_post(&fk, "/_fake/fail", "{\"service\":\"im\",\"mode\":\"error\"}"));
    assert_int_equal(im_send_command(im, IM_TARGET_GROUP, 5, 6, "a", "{}"), ERR_UPSTREAM);
    assert_int_equal(im_send_command(im, IM_TARGET_GROUP, 5, 6, "a", "{}"), ERR_OK);
}

static void test_slow_im_times_out(void **state)
{
    (void)state;
    struct im_client *c = client_with(FAKE_IM_TOKEN);
    im_client_set_timeouts(c, 0, 300);
    assert_true(
        fake_post(&fk, "/_fake/fail", "{\"service\":\"im\",\"mode\":\"slow\",\"delay\":3}"));
    int64_t gid = 1;
    double t0 = fake_now();
    assert_int_equal(im_create_chatroom(c, 1, "slow", &gid), ERR_UPSTREAM);
    assert_true(fake_now() - t0 < 1.5);
    assert_int_equal(gid, 0);
    im_client_free(&c);
}

static void test_disabled_client_is_a_noop(void **state)
{
    (void)state;
    struct conf cf = {0};
    struct im_client *off = im_client_new(&cf);
    assert_null(off);
    assert_false(im_enabled(off));
    assert_true(im_enabled(im));
    int64_t id = 5;
    assert_int_equal(im_register_user(off, "ql1", "pw", &id), ERR_OK);
    assert_int_equal(id, 0);
    id = 5;
    assert_int_equal(im_create_chatroom(off, 1, "L", &id), ERR_OK);
    assert_int_equal(id, 0);
    assert_int_equal(im_notify_like(off, 0, 0, "L", "u", 1), ERR_OK);
    assert_int_equal(im_notify_censor_warn(off, 0, "L"), ERR_OK);
    im_client_set_timeouts(off, 1, 1);
    im_client_free(&off);
    json_t *calls = fake_calls(&fk, "im");
    assert_int_equal(json_array_size(calls), 0);
    json_decref(calls);
}

static void test_username(void **state)
{
    (void)state;
    char *n = im_username_dup("user_01");
    assert_string_equal(n, "qluser_01");
    free(n);
}

static void test_password_alphabet_and_length(void **state)
{
    (void)state;
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890!@#$%^&*()[]{}.,";
    int counts[256] = {0};
    char pw[IM_PASSWORD_SIZE], prev[IM_PASSWORD_SIZE] = "";
    const int rounds = 2000;

    assert_int_equal(strlen(alphabet), 78);
    for (int i = 0; i < rounds; i++) {
        memset(pw, 0, sizeof(pw));
        assert_int_equal(im_password_generate(pw), ERR_OK);
        assert_int_equal(strlen(pw), IM_PASSWORD_LEN);
        assert_string_not_equal(pw, prev);
        for (int k = 0; k < IM_PASSWORD_LEN; k++) {
            assert_non_null(strchr(alphabet, pw[k]));
            counts[(unsigned char)pw[k]]++;
        }
        memcpy(prev, pw, sizeof(pw));
    }
    /* 16000 draws over 78 symbols: about 205 each; a modulo-biased or partial alphabet would
     * leave some symbol far outside this band */
    for (size_t k = 0; k < 78; k++) {
        int n = counts[(unsigned char)alphabet[k]];
        assert_in_range(n, 120, 300);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_register_new_user, reset),
        cmocka_unit_test_setup(test_register_existing_user_adopts_and_resets_password, reset),
        cmocka_unit_test_setup(test_register_twice_returns_same_id, reset),
        cmocka_unit_test_setup(test_register_failures, reset),
        cmocka_unit_test_setup(test_wrong_admin_token_fails, reset),
        cmocka_unit_test_setup(test_create_chatroom, reset),
        cmocka_unit_test_setup(test_like_notify_wire_format, reset),
        cmocka_unit_test_setup(test_notifications_later_send_the_same_messages, reset),
        cmocka_unit_test_setup(test_gift_and_pk_notify_payloads, reset),
        cmocka_unit_test_setup(test_censor_messages, reset),
        cmocka_unit_test_setup(test_send_prechecks_send_nothing, reset),
        cmocka_unit_test_setup(test_send_failure_reported, reset),
        cmocka_unit_test_setup(test_slow_im_times_out, reset),
        cmocka_unit_test_setup(test_disabled_client_is_a_noop, reset),
        cmocka_unit_test(test_username),
        cmocka_unit_test(test_password_alphabet_and_length),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
