/* Outbound Qiniu MAC headers: Qiniu's documented signing vectors and the URL pieces that are
 * signed. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "clients/qiniu_req.h"
#include "core/qiniu_mac.h"

static void test_mac1_json_post(void **state)
{
    (void)state;
    struct qiniu_signed s;
    const char *body = "{\"job\":\"job-1\"}";
    assert_int_equal(qiniu_req_sign("ak", "sk", "POST",
                                    "http://ai.qiniuapi.com/v3/live/censor/close",
                                    "application/json", body, strlen(body), &s),
                     ERR_OK);
    assert_string_equal(s.headers[0], "Host: ai.qiniuapi.com");
    assert_string_equal(s.headers[1], "Content-Type: application/json");
    assert_string_equal(s.headers[2], "Authorization: Qiniu ak:16yu28a96u9XIIhbIGSvZTBTvoM=");
    assert_null(s.headers[3]);
    qiniu_signed_free(&s);
    assert_null(s.authorization);
}

static void test_mac3_rtc_sdk_flavour(void **state)
{
    (void)state;
    struct qiniu_signed s;
    assert_int_equal(qiniu_req_sign("ak", "sk", "GET",
                                    "https://rtc.qiniuapi.com/v3/apps/app1/rooms/live1/users",
                                    "application/x-www-form-urlencoded", NULL, 0, &s),
                     ERR_OK);
    assert_string_equal(s.authorization, "Authorization: Qiniu ak:REWw6jLZCFze824Q3R37eOsZTrc=");
    assert_string_equal(s.host, "Host: rtc.qiniuapi.com");
    qiniu_signed_free(&s);
}

/* Port kept as written, path percent-decoded, query raw: compared with the signer fed by hand. */
static void test_port_path_and_query_pieces(void **state)
{
    (void)state;
    struct qiniu_signed s;
    assert_int_equal(qiniu_req_sign("ak", "sk", "GET", "http://127.0.0.1:8099/a%20b/c?x=%20y&z=1",
                                    NULL, NULL, 0, &s),
                     ERR_OK);
    assert_string_equal(s.host, "Host: 127.0.0.1:8099");
    assert_null(s.content_type);
    assert_string_equal(s.headers[0], s.host);
    assert_string_equal(s.headers[1], s.authorization);
    assert_null(s.headers[2]);
    struct qiniu_mac_input in = {
        .method = "GET",
        .path = "/a b/c",
        .raw_query = "x=%20y&z=1",
        .host = "127.0.0.1:8099",
    };
    char *want = qiniu_mac_authorization("ak", "sk", &in);
    assert_string_equal(s.authorization + strlen("Authorization: "), want);
    free(want);
    qiniu_signed_free(&s);
}

static void test_hmac_b64url(void **state)
{
    (void)state;
    char out[29];
    /* the expiry push-URL signature of Qiniu's documented example */
    const char *msg = "/hub1/qn_live_kit-123?expire=1700000000";
    qiniu_hmac_b64url("pubkey", msg, strlen(msg), out);
    assert_string_equal(out, "rr5H0nOKVIFTLxQEIl-hIzHozqQ=");
}

static void test_bad_url(void **state)
{
    (void)state;
    struct qiniu_signed s;
    assert_int_equal(qiniu_req_sign("ak", "sk", "GET", "not a url", NULL, NULL, 0, &s),
                     ERR_BAD_REQUEST);
    assert_null(s.authorization);
    qiniu_signed_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mac1_json_post),
        cmocka_unit_test(test_mac3_rtc_sdk_flavour),
        cmocka_unit_test(test_port_path_and_query_pieces),
        cmocka_unit_test(test_hmac_b64url),
        cmocka_unit_test(test_bad_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
