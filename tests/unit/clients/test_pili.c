/* Pili URLs and save-as against the Pili fake, which checks
 * the MAC over the JSON body and decodes the stream title. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "clients/pili.h"
#include "fake_proc.h"

static struct fake fk;
static char endpoint[128];

static void base_conf(struct conf *cf, char *security)
{
    memset(cf, 0, sizeof(*cf));
    cf->account.access_key = "ak";
    cf->account.secret_key = "sk";
    cf->pili.enabled = true;
    cf->pili.hub = "hub1";
    cf->pili.stream_pattern = "qn_live_kit-%s";
    cf->pili.publish_domain = "pub.example.com";
    cf->pili.security_type = security;
    cf->pili.publish_key = "pubkey";
    cf->pili.publish_expire_s = 3600;
    cf->pili.rtmp_play_url = "rtmp://play.example.com";
    cf->pili.flv_play_url = "https://flv.example.com";
    cf->pili.hls_play_url = "https://hls.example.com";
    cf->pili.playback_url = "https://vod.example.com";
    cf->pili.endpoint = endpoint;
}

static struct pili_client *client(char *security)
{
    struct conf cf;
    struct pili_client *c = NULL;
    char err[128];
    base_conf(&cf, security);
    assert_int_equal(pili_client_new(&cf, &c, err, sizeof(err)), ERR_OK);
    return c;
}

static int group_setup(void **state)
{
    (void)state;
    return fake_suite_start(&fk, "pili", endpoint, sizeof(endpoint)) ? 0 : -1;
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

static void check_push(char *security, const char *want)
{
    struct pili_client *c = client(security);
    char *u = pili_push_url(c, "qn_live_kit-123", 1700000000);
    assert_string_equal(u, want);
    free(u);
    pili_client_free(&c);
    assert_null(c);
}

static void test_push_url_vectors(void **state)
{
    (void)state;
    check_push("expiry", "rtmp://pub.example.com/hub1/qn_live_kit-123?expire=1700000000"
                         "&token=rr5H0nOKVIFTLxQEIl-hIzHozqQ=");
    check_push("expiry_sk", "rtmp://pub.example.com/hub1/qn_live_kit-123?e=1700000000"
                            "&token=ak:_EFYy-GgnNbWUgp5RxliO_cQ0aM=");
    check_push("none", "rtmp://pub.example.com/hub1/qn_live_kit-123");
    check_push("", "rtmp://pub.example.com/hub1/qn_live_kit-123");
}

static void test_stream_name_and_play_urls(void **state)
{
    (void)state;
    struct pili_client *c = client("none");
    char *s = pili_stream_name(c, "1547812358724816896");
    assert_string_equal(s, "qn_live_kit-1547812358724816896");
    free(s);

    struct pili_live_urls u;
    pili_live_urls(c, "42", 1700000000, &u);
    assert_string_equal(u.push, "rtmp://pub.example.com/hub1/qn_live_kit-42");
    assert_string_equal(u.rtmp, "rtmp://play.example.com/hub1/qn_live_kit-42");
    assert_string_equal(u.flv, "https://flv.example.com/hub1/qn_live_kit-42.flv");
    assert_string_equal(u.hls, "https://hls.example.com/hub1/qn_live_kit-42.m3u8");
    pili_live_urls_free(&u);
    assert_null(u.push);

    char *p = pili_playback_url(c, "42sku-1");
    assert_string_equal(p, "https://vod.example.com/42sku-1");
    free(p);

    assert_int_equal(pili_push_expire_at(c, 2000, 1000), 2000);
    assert_int_equal(pili_push_expire_at(c, 1000, 1000), 1000 + 3600);
    assert_int_equal(pili_push_expire_at(c, 0, 1000), 1000 + 3600);
    pili_client_free(&c);
}

static void test_pattern_keeps_other_percent_signs(void **state)
{
    (void)state;
    struct conf cf;
    struct pili_client *c = NULL;
    char err[128];
    base_conf(&cf, "none");
    cf.pili.stream_pattern = "a%d-%s-%s%%";
    assert_int_equal(pili_client_new(&cf, &c, err, sizeof(err)), ERR_OK);
    char *s = pili_stream_name(c, "7");
    assert_string_equal(s, "a%d-7-%s%%");
    free(s);
    pili_client_free(&c);
}

static void test_bad_config_is_refused(void **state)
{
    (void)state;
    struct conf cf;
    struct pili_client *c = NULL;
    char err[128] = "";

    base_conf(&cf, "static");
    assert_int_equal(pili_client_new(&cf, &c, err, sizeof(err)), ERR_CONFIG);
    assert_null(c);
    assert_non_null(strstr(err, "pili.security_type"));

    base_conf(&cf, "expiry");
    cf.pili.publish_key = "";
    assert_int_equal(pili_client_new(&cf, &c, err, sizeof(err)), ERR_CONFIG);
    assert_non_null(strstr(err, "pili.publish_key"));

    base_conf(&cf, "none");
    cf.pili.stream_pattern = "no-placeholder";
    assert_int_equal(pili_client_new(&cf, &c, err, sizeof(err)), ERR_CONFIG);
    assert_non_null(strstr(err, "pili.stream_pattern"));
}

static void test_stream_title(void **state)
{
    (void)state;
    char *t = pili_stream_title("rtmp://pub.example.com/hub1/qn_live_kit-123?e=1&token=ak:x=");
    assert_string_equal(t, "qn_live_kit-123");
    free(t);
    t = pili_stream_title("rtmp://pub.example.com/hub1/qn_live_kit-9");
    assert_string_equal(t, "qn_live_kit-9");
    free(t);
    t = pili_stream_title("");
    assert_string_equal(t, "");
    free(t);
}

static void test_save_as(void **state)
{
    (void)state;
    struct conf cf;
    struct pili_client *c = NULL;
    char err[128], *fname = NULL;
    base_conf(&cf, "none");
    cf.account.access_key = FAKE_AK;
    cf.account.secret_key = FAKE_SK;
    assert_int_equal(pili_client_new(&cf, &c, err, sizeof(err)), ERR_OK);

    /* a title whose standard Base64 would contain '/' and '+': the URL-safe form goes out */
    assert_int_equal(pili_save_as(c, "qn_live_kit-1?>~", "L1sku-1", 1687161000, 1687161240, &fname),
                     ERR_OK);
    assert_string_equal(fname, "L1sku-1");
    free(fname);

    json_t *calls = fake_calls(&fk, "pili");
    json_t *call = json_array_get(calls, 0);
    assert_int_equal(json_integer_value(json_object_get(call, "status")), 200);
    assert_string_equal(fake_call_str(call, "stream_title"), "qn_live_kit-1?>~");
    assert_string_equal(fake_call_str(call, "hub"), "hub1");
    assert_null(strchr(fake_call_str(call, "path") + 1, '+'));
    assert_string_equal(fake_call_str(call, "raw_body"),
                        "{\"fname\":\"L1sku-1\",\"start\":1687161000,\"end\":1687161240,"
                        "\"pipeline\":\"\",\"format\":\"\",\"expireDays\":0,\"notify\":\"\","
                        "\"persistentDeleteAfterDays\":0,\"firstTsType\":0}");
    assert_string_equal(fake_call_header(call, "content-type"), "application/json");
    json_decref(calls);
    pili_client_free(&c);
}

static void test_save_as_failures(void **state)
{
    (void)state;
    char *fname = NULL;
    struct pili_client *wrong = client("none"); /* ak/sk the fake does not know: 401 */
    assert_int_equal(pili_save_as(wrong, "s", "f", 1, 2, &fname), ERR_UPSTREAM);
    assert_null(fname);
    pili_client_free(&wrong);

    struct conf cf;
    struct pili_client *c = NULL;
    char err[128];
    base_conf(&cf, "none");
    cf.account.access_key = FAKE_AK;
    cf.account.secret_key = FAKE_SK;
    assert_int_equal(pili_client_new(&cf, &c, err, sizeof(err)), ERR_OK);
    assert_true(
        fake_post(&fk, "/_fake/fail", "{\"service\":\"pili\",\"mode\":\"error\",\"code\":400}"));
    assert_int_equal(pili_save_as(c, "s", "f", 1, 2, &fname), ERR_UPSTREAM);
    pili_client_set_timeouts(c, 0, 300);
    assert_true(
        fake_post(&fk, "/_fake/fail", "{\"service\":\"pili\",\"mode\":\"slow\",\"delay\":3}"));
    double t0 = fake_now();
    assert_int_equal(pili_save_as(c, "s", "f", 1, 2, &fname), ERR_UPSTREAM);
    assert_true(fake_now() - t0 < 1.5);
    assert_null(fname);
    pili_client_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_url_vectors),
        cmocka_unit_test(test_stream_name_and_play_urls),
        cmocka_unit_test(test_pattern_keeps_other_percent_signs),
        cmocka_unit_test(test_bad_config_is_refused),
        cmocka_unit_test(test_stream_title),
        cmocka_unit_test_setup(test_save_as, reset),
        cmocka_unit_test_setup(test_save_as_failures, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
