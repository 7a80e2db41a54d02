/* The API description built from a router: paths, methods, auth schemes, the answers every route
 * may give, and the marks for routes without a description and descriptions without a route. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "core/mem.h"
#include "http/openapi.h"
#include "http/router.h"

static err_t h_any(struct req *r)
{
    (void)r;
    return ERR_OK;
}

static const struct route routes[] = {
    {HTTP_GET | HTTP_POST, "/unit/:room_id/thing/:thing_id", h_any, AUTH_CLIENT},
    {HTTP_DELETE, "/unit/:room_id/thing/:thing_id", h_any, AUTH_ADMIN},
    {HTTP_GET, "/unit/signed", h_any, AUTH_SERVER},
};

static json_t *build(void)
{
    struct router *rt = router_new();
    router_add(rt, routes, ARRAY_LEN(routes), NULL);
    json_t *doc = openapi_build(rt, "9.9.9");
    router_free(&rt);
    assert_non_null(doc);
    return doc;
}

static json_t *op(json_t *doc, const char *path, const char *method)
{
    return json_object_get(json_object_get(json_object_get(doc, "paths"), path), method);
}

static void test_a_template_becomes_an_openapi_path_with_its_parameters(void **state)
{
    (void)state;
    json_t *doc = build();
    json_t *get = op(doc, "/unit/{room_id}/thing/{thing_id}", "get");
    assert_non_null(get);
    assert_non_null(op(doc, "/unit/{room_id}/thing/{thing_id}", "post"));
    assert_non_null(op(doc, "/unit/{room_id}/thing/{thing_id}", "delete"));
    assert_null(op(doc, "/unit/{room_id}/thing/{thing_id}", "put"));
    json_t *params = json_object_get(get, "parameters");
    assert_int_equal(json_array_size(params), 2);
    json_t *p = json_array_get(params, 1);
    assert_string_equal(json_string_value(json_object_get(p, "name")), "thing_id");
    assert_string_equal(json_string_value(json_object_get(p, "in")), "path");
    assert_true(json_is_true(json_object_get(p, "required")));
    assert_string_equal(json_string_value(json_object_get(doc, "openapi")), "3.1.0");
    json_decref(doc);
}

static void test_each_auth_scheme_is_named_and_answers_its_refusals(void **state)
{
    (void)state;
    json_t *doc = build();
    json_t *get = op(doc, "/unit/{room_id}/thing/{thing_id}", "get");
    json_t *del = op(doc, "/unit/{room_id}/thing/{thing_id}", "delete");
    json_t *signed_get = op(doc, "/unit/signed", "get");
    char *s = json_dumps(json_object_get(get, "security"), JSON_COMPACT);
    assert_string_equal(s, "[{\"clientJwt\":[]}]");
    free(s);
    s = json_dumps(json_object_get(signed_get, "security"), JSON_COMPACT);
    assert_string_equal(s, "[{\"qiniuMac\":[]}]");
    free(s);
    assert_non_null(json_object_get(json_object_get(del, "responses"), "403"));
    assert_null(json_object_get(json_object_get(get, "responses"), "403"));
    /* a client token's refusals: 401 with code 401, or 499 once expired */
    json_t *r401 = json_object_get(json_object_get(get, "responses"), "401");
    s = json_dumps(r401, JSON_COMPACT);
    assert_non_null(strstr(s, "\"enum\":[401,499]"));
    free(s);
    /* what the edge answers for any request */
    assert_non_null(json_object_get(json_object_get(signed_get, "responses"), "503"));
    assert_non_null(json_object_get(json_object_get(signed_get, "responses"), "431"));
    json_decref(doc);
}

static void test_routes_without_a_description_are_marked_and_ids_are_unique(void **state)
{
    (void)state;
    json_t *doc = build();
    json_t *get = op(doc, "/unit/{room_id}/thing/{thing_id}", "get");
    assert_true(json_is_true(json_object_get(get, "x-undescribed")));
    const char *a = json_string_value(json_object_get(get, "operationId"));
    const char *b = json_string_value(
        json_object_get(op(doc, "/unit/{room_id}/thing/{thing_id}", "post"), "operationId"));
    assert_string_not_equal(a, b);
    json_decref(doc);
}

/* The modules' descriptions are compiled in, and this router serves none of their routes. */
static void test_descriptions_without_their_route_are_listed(void **state)
{
    (void)state;
    json_t *doc = build();
    json_t *unserved = json_object_get(doc, "x-unserved");
    assert_true(json_array_size(unserved) > 0);
    bool found = false;
    size_t i;
    json_t *v;
    json_array_foreach(unserved, i, v) found |=
        strcmp(json_string_value(v), "GET /client/live/room/info/:live_id") == 0;
    assert_true(found);
    assert_non_null(json_object_get(json_object_get(json_object_get(doc, "components"),
                                                    "schemas"),
                                    "Envelope"));
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_template_becomes_an_openapi_path_with_its_parameters),
        cmocka_unit_test(test_each_auth_scheme_is_named_and_answers_its_refusals),
        cmocka_unit_test(test_routes_without_a_description_are_marked_and_ids_are_unique),
        cmocka_unit_test(test_descriptions_without_their_route_are_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
