#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/mem.h"
#include "http/router.h"

static err_t h_info(struct req *r)
{
    (void)r;
    return ERR_OK;
}
static err_t h_list(struct req *r)
{
    (void)r;
    return ERR_OK;
}
static err_t h_item(struct req *r)
{
    (void)r;
    return ERR_OK;
}
static err_t h_mic(struct req *r)
{
    (void)r;
    return ERR_OK;
}
static err_t h_status(struct req *r)
{
    (void)r;
    return ERR_OK;
}

static const struct route routes[] = {
    {HTTP_GET, "/client/live/room/info/:live_id", h_info, AUTH_CLIENT},
    {HTTP_GET, "/client/live/room/list", h_list, AUTH_CLIENT},
    {HTTP_GET, "/client/live/room/:live_id", h_info, AUTH_CLIENT},
    {HTTP_PUT, "/client/item/:liveId/:itemId", h_item, AUTH_CLIENT},
    {HTTP_POST | HTTP_DELETE, "/client/mic/", h_mic, AUTH_CLIENT},
    {HTTP_ANY, "/status", h_status, AUTH_NONE},
};

static void test_match(void **state)
{
    (void)state;
    struct router *rt = router_new();
    struct arena *a = arena_new();
    struct route_match m;
    router_add(rt, routes, ARRAY_LEN(routes), NULL);

    assert_int_equal(router_match(rt, HTTP_GET, "/client/live/room/info/123", a, &m), ERR_OK);
    assert_ptr_equal(m.route->handler, h_info);
    assert_int_equal(m.n_params, 1);
    assert_int_equal(m.name_lens[0], 7);
    assert_string_equal(m.values[0], "123");

    /* static beats parameter at the same depth */
    assert_int_equal(router_match(rt, HTTP_GET, "/client/live/room/list", a, &m), ERR_OK);
    assert_ptr_equal(m.route->handler, h_list);

    assert_int_equal(router_match(rt, HTTP_PUT, "/client/item/L1/I2", a, &m), ERR_OK);
    assert_int_equal(m.n_params, 2);
    assert_string_equal(m.values[1], "I2");
    assert_memory_equal(m.names[0], "liveId", 6);

    router_free(&rt);
    arena_free(&a);
    assert_null(rt);
}

static void test_tolerance_and_misses(void **state)
{
    (void)state;
    struct router *rt = router_new();
    struct arena *a = arena_new();
    struct route_match m;
    router_add(rt, routes, ARRAY_LEN(routes), NULL);

    /* both spellings of the mic route, and a doubled slash */
    assert_int_equal(router_match(rt, HTTP_POST, "/client/mic/", a, &m), ERR_OK);
    assert_int_equal(router_match(rt, HTTP_DELETE, "/client/mic", a, &m), ERR_OK);
    assert_int_equal(router_match(rt, HTTP_GET, "/client//live/room/list", a, &m), ERR_OK);
    assert_int_equal(router_match(rt, HTTP_OPTIONS, "/status", a, &m), ERR_OK);

    /* wrong method is 404, never 405; unknown path; too deep */
    assert_int_equal(router_match(rt, HTTP_GET, "/client/mic/", a, &m), ERR_NOT_FOUND);
    assert_int_equal(router_match(rt, HTTP_GET, "/nope", a, &m), ERR_NOT_FOUND);
    assert_int_equal(router_match(rt, HTTP_GET, "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r", a, &m),
                     ERR_NOT_FOUND);
    assert_int_equal(router_match(rt, HTTP_GET, "/", a, &m), ERR_NOT_FOUND);
    router_free(&rt);
    arena_free(&a);
}

/* Each registration's context comes back with its routes, so a handler finds its module's. */
static void test_self_per_registration(void **state)
{
    (void)state;
    static const struct route other[] = {{HTTP_GET, "/client/other/:id", h_item, AUTH_CLIENT}};
    int live_ctx = 0, other_ctx = 0;
    struct router *rt = router_new();
    struct arena *a = arena_new();
    struct route_match m;
    router_add(rt, routes, ARRAY_LEN(routes), &live_ctx);
    router_add(rt, other, ARRAY_LEN(other), &other_ctx);

    assert_int_equal(router_match(rt, HTTP_GET, "/client/live/room/list", a, &m), ERR_OK);
    assert_ptr_equal(m.self, &live_ctx);
    assert_int_equal(router_match(rt, HTTP_GET, "/client/other/7", a, &m), ERR_OK);
    assert_ptr_equal(m.self, &other_ctx);
    assert_int_equal(router_match(rt, HTTP_GET, "/nope", a, &m), ERR_NOT_FOUND);
    assert_null(m.self);
    router_free(&rt);
    arena_free(&a);
}

static void test_method_parse(void **state)
{
    (void)state;
    assert_int_equal(http_method_parse("GET"), HTTP_GET);
    assert_int_equal(http_method_parse("DELETE"), HTTP_DELETE);
    assert_int_equal(http_method_parse("get"), HTTP_OTHER);
    assert_int_equal(http_method_parse("TRACE"), HTTP_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_tolerance_and_misses),
        cmocka_unit_test(test_self_per_registration),
        cmocka_unit_test(test_method_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
