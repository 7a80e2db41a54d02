#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/mem.h"
#include "http/envelope.h"
#include "http/err_wire.h"

static struct req *new_req(void)
{
    struct req *r = xcalloc(1, sizeof(*r));
    r->arena = arena_new();
    snprintf(r->reqid, sizeof(r->reqid), "%s", "Fc1bBxVJItgpAGoX");
    return r;
}

static void free_req(struct req *r)
{
    json_decref(r->_data);
    arena_free(&r->arena);
    free(r);
}

static void expect(struct req *r, const char *want)
{
    size_t len;
    char *got = envelope_render(r, &len);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    free(got);
}

static void test_success_with_and_without_data(void **state)
{
    (void)state;
    struct req *r = new_req();
    assert_int_equal(req_ok_empty(r), ERR_OK);
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":0,\"message\":\"\"}");
    json_t *d = json_object();
    json_object_set_new(d, "z", json_integer(1));
    json_object_set_new(d, "a", json_array());
    assert_int_equal(req_ok(r, d), ERR_OK);
    /* keys keep insertion order (the DTO order of the spec), typed empties are emitted */
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":0,\"message\":\"\","
              "\"data\":{\"z\":1,\"a\":[]}}");
    assert_int_equal(req_ok(r, NULL), ERR_OK);
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":0,\"message\":\"\",\"data\":null}");
    free_req(r);
}

static void test_errors_never_carry_data(void **state)
{
    (void)state;
    struct req *r = new_req();
    assert_int_equal(req_ok(r, json_object()), ERR_OK);
    assert_int_equal(req_fail(r, ERR_TOKEN_EXPIRED, NULL), ERR_TOKEN_EXPIRED);
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":499,"
              "\"message\":\"Your token is expired\"}");
    assert_int_equal(req_fail(r, ERR_BAD_REQUEST, "bad \"%s\"", "x\ny"), ERR_BAD_REQUEST);
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":400,"
              "\"message\":\"bad \\\"x\\ny\\\"\"}");
    assert_int_equal(req_fail(r, ERR_EXISTS, NULL), ERR_EXISTS);
    expect(r,
           "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":10001,\"message\":\"Already existed\"}");
    free_req(r);
}

/* A service's message wins; without one a client error or refusal keeps its catalogue answer
 * and a failure becomes the generic one. */
static void test_service_messages(void **state)
{
    (void)state;
    struct req *r = new_req();
    struct err_msg why = {0};
    assert_int_equal(err_msgf(&why, ERR_BAD_REQUEST, "duplicated item id %s", "sku-1"),
                     ERR_BAD_REQUEST);
    assert_int_equal(err_msgf(NULL, ERR_BAD_REQUEST, "ignored"), ERR_BAD_REQUEST);
    assert_int_equal(req_fail_msg(r, ERR_BAD_REQUEST, &why), ERR_BAD_REQUEST);
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":400,"
              "\"message\":\"duplicated item id sku-1\"}");
    assert_int_equal(req_fail_msg(r, ERR_GIFT_PRICE, NULL), ERR_GIFT_PRICE);
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":400,"
              "\"message\":\"amount must equal the gift's price\"}");
    assert_int_equal(req_fail_msg(r, ERR_CONFIG, NULL), ERR_INTERNAL);
    expect(r, "{\"request_id\":\"Fc1bBxVJItgpAGoX\",\"code\":500,"
              "\"message\":\"Internal Server Error\"}");
    assert_int_equal(req_fail_msg(r, ERR_UNAVAILABLE, NULL), ERR_UNAVAILABLE);
    assert_int_equal(err_http_status(r->err), 503);
    free_req(r);
}

static void test_status_mapping(void **state)
{
    (void)state;
    assert_int_equal(err_http_status(ERR_GIFT_PAY), 200);
    assert_int_equal(err_body_code(ERR_GIFT_PAY), 20002);
    assert_int_equal(err_http_status(ERR_LOGIN_UNKNOWN), 200);
    assert_int_equal(err_body_code(ERR_LOGIN_UNKNOWN), 30001);
    assert_int_equal(err_http_status(ERR_TOKEN_EXPIRED), 401);
    assert_int_equal(err_http_status(ERR_UNAVAILABLE), 503);
    assert_int_equal(err_http_status(ERR_ITEMS_EXCEED), 400);
    assert_int_equal(err_body_code(ERR_ITEMS_EXCEED), 20001);
    assert_int_equal(err_http_status((err_t)999), 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success_with_and_without_data),
        cmocka_unit_test(test_errors_never_carry_data),
        cmocka_unit_test(test_service_messages),
        cmocka_unit_test(test_status_mapping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
