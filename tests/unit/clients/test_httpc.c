/* httpc against the local fake: headers it adds, bodies, statuses, timeouts, size cap. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "clients/httpc.h"
#include "core/log.h"
#include "fake_proc.h"

static struct fake fk;

static int group_setup(void **state)
{
    (void)state;
    return fake_suite_start(&fk, NULL, NULL, 0) ? 0 : -1;
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
    log_set_reqid(NULL);
    return fake_reset(&fk) ? 0 : -1;
}

static err_t call(const char *method, const char *service, const char *body, long timeout_ms,
                  size_t cap, struct httpc_resp *resp)
{
    char url[128];
    const char *headers[] = {"Content-Type: application/json", "X-Custom: yes", NULL};
    snprintf(url, sizeof(url), "%s/%s/hook?a=1", fk.base, service);
    struct httpc_req rq = {
        .service = service,
        .method = method,
        .url = url,
        .headers = headers,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .timeout_ms = timeout_ms,
        .max_response = cap,
    };
    return httpc_do(&rq, resp);
}

static void test_get_sends_reqid_and_user_agent(void **state)
{
    (void)state;
    struct httpc_resp resp;
    log_set_reqid("req-abc-123");
    assert_int_equal(call("GET", "callback", NULL, 0, 0, &resp), ERR_OK);
    assert_int_equal(resp.status, 200);
    assert_string_equal(resp.body, "{\"code\": 0, \"message\": \"\"}");
    httpc_resp_free(&resp);

    json_t *calls = fake_calls(&fk, "callback");
    assert_int_equal(json_array_size(calls), 1);
    json_t *c = json_array_get(calls, 0);
    assert_string_equal(fake_call_str(c, "method"), "GET");
    assert_string_equal(fake_call_str(c, "path"), "/hook");
    assert_string_equal(fake_call_str(c, "raw_query"), "a=1");
    assert_string_equal(fake_call_header(c, "x-reqid"), "req-abc-123");
    assert_string_equal(fake_call_header(c, "user-agent"), "qnlive/" QNLIVE_VERSION);
    assert_string_equal(fake_call_header(c, "x-custom"), "yes");
    json_decref(calls);
}

static void test_no_reqid_header_without_request(void **state)
{
    (void)state;
    struct httpc_resp resp;
    assert_int_equal(call("GET", "callback", NULL, 0, 0, &resp), ERR_OK);
    httpc_resp_free(&resp);
    json_t *calls = fake_calls(&fk, "callback");
    assert_null(fake_call_header(json_array_get(calls, 0), "x-reqid"));
    json_decref(calls);
}

static void test_post_body_is_sent_exactly(void **state)
{
    (void)state;
    struct httpc_resp resp;
    /* over 1 KiB: curl must not stall waiting for "100 Continue" */
    char body[3000];
    memset(body, 'a', sizeof(body));
    memcpy(body, "{\"k\":\"", 6);
    memcpy(body + sizeof(body) - 3, "\"}", 3);
    assert_int_equal(call("POST", "pay", body, 0, 0, &resp), ERR_OK);
    assert_int_equal(resp.status, 200);
    httpc_resp_free(&resp);

    json_t *calls = fake_calls(&fk, "pay");
    json_t *c = json_array_get(calls, 0);
    assert_string_equal(fake_call_str(c, "method"), "POST");
    assert_string_equal(fake_call_str(c, "raw_body"), body);
    assert_string_equal(fake_call_header(c, "content-type"), "application/json");
    assert_null(fake_call_header(c, "expect"));
    json_decref(calls);
}

static void test_http_error_status_is_returned_not_failed(void **state)
{
    (void)state;
    struct httpc_resp resp;
    assert_true(fake_post(&fk, "/_fake/fail", "{\"service\":\"callback\",\"mode\":\"down\"}"));
    assert_int_equal(call("POST", "callback", "{}", 0, 0, &resp), ERR_OK);
    assert_int_equal(resp.status, 503);
    httpc_resp_free(&resp);
    /* only one call was failed */
    assert_int_equal(call("POST", "callback", "{}", 0, 0, &resp), ERR_OK);
    assert_int_equal(resp.status, 200);
    httpc_resp_free(&resp);
}

static void test_slow_upstream_times_out(void **state)
{
    (void)state;
    struct httpc_resp resp;
    assert_true(
        fake_post(&fk, "/_fake/fail", "{\"service\":\"callback\",\"mode\":\"slow\",\"delay\":3}"));
    double t0 = fake_now();
    assert_int_equal(call("POST", "callback", "{}", 400, 0, &resp), ERR_UPSTREAM);
    double took = fake_now() - t0;
    assert_true(took >= 0.3 && took < 1.5);
    assert_int_equal(resp.status, 0);
    assert_non_null(strstr(resp.error, "imed out"));
    httpc_resp_free(&resp);
}

static void test_response_over_cap_is_refused(void **state)
{
    (void)state;
    struct httpc_resp resp;
    assert_true(fake_post(&fk, "/_fake/fail",
                          "{\"service\":\"callback\",\"mode\":\"big\",\"size\":5000,\"count\":2}"));
    assert_int_equal(call("GET", "callback", NULL, 0, 4999, &resp), ERR_UPSTREAM);
    assert_null(resp.body);
    assert_string_equal(resp.error, "response larger than the cap");
    httpc_resp_free(&resp);
    assert_int_equal(call("GET", "callback", NULL, 0, 5000, &resp), ERR_OK);
    assert_int_equal(resp.body_len, 5000);
    httpc_resp_free(&resp);
}

static void test_dropped_connection_fails(void **state)
{
    (void)state;
    struct httpc_resp resp;
    /* count 2: curl silently re-sends once when a reused keep-alive connection dies before
     * any reply byte, so the fresh connection must be dropped too */
    assert_true(
        fake_post(&fk, "/_fake/fail", "{\"service\":\"pay\",\"mode\":\"drop\",\"count\":2}"));
    assert_int_equal(call("POST", "pay", "{}", 0, 0, &resp), ERR_UPSTREAM);
    assert_int_equal(resp.status, 0);
    httpc_resp_free(&resp);
}

/* A port nothing listens on: bind an ephemeral one, then close it. */
static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

static void test_connection_refused_fails(void **state)
{
    (void)state;
    char url[64];
    struct httpc_resp resp;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/x", closed_port());
    struct httpc_req rq = {.service = "callback", .method = "GET", .url = url};
    assert_int_equal(httpc_do(&rq, &resp), ERR_UPSTREAM);
    assert_int_equal(resp.status, 0);
    assert_true(resp.error[0] != '\0');
    httpc_resp_free(&resp);
}

static void test_non_http_scheme_refused(void **state)
{
    (void)state;
    struct httpc_resp resp;
    struct httpc_req rq = {.service = "callback", .method = "GET", .url = "file:///etc/passwd"};
    assert_int_equal(httpc_do(&rq, &resp), ERR_UPSTREAM);
    httpc_resp_free(&resp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_get_sends_reqid_and_user_agent, reset),
        cmocka_unit_test_setup(test_no_reqid_header_without_request, reset),
        cmocka_unit_test_setup(test_post_body_is_sent_exactly, reset),
        cmocka_unit_test_setup(test_http_error_status_is_returned_not_failed, reset),
        cmocka_unit_test_setup(test_slow_upstream_times_out, reset),
        cmocka_unit_test_setup(test_response_over_cap_is_refused, reset),
        cmocka_unit_test_setup(test_dropped_connection_fails, reset),
        cmocka_unit_test_setup(test_connection_refused_fails, reset),
        cmocka_unit_test_setup(test_non_http_scheme_refused, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
