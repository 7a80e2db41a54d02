/* The shared cache semantics on the in-process backend, plus cache_open's backend choice. */
#include "cache_suite.h"

static int setup_memory(void **state)
{
    struct conf cf;

    (void)state;
    memset(&cf, 0, sizeof(cf));
    cf.cache.enabled = false; /* no `cache` section: in-process memory */
    if (suite_open(&cf))
        return -1;
    return strcmp(cache_backend(suite_fx.c), "memory") == 0 ? 0 : -1;
}

static void test_open_rejects_bad_config(void **state)
{
    struct conf cf;
    struct cache *c = (struct cache *)1;
    char *no_port[] = {"127.0.0.1:notaport"};

    (void)state;
    memset(&cf, 0, sizeof(cf));
    cf.cache.enabled = true;
    cf.cache.type = "sentinel";
    assert_int_equal(cache_open(&cf, &c), ERR_CONFIG);
    assert_null(c);
    cf.cache.type = "node";
    cf.cache.addr = "127.0.0.1:70000";
    assert_int_equal(cache_open(&cf, &c), ERR_BAD_REQUEST);
    cf.cache.type = "cluster";
    cf.cache.n_addrs = 0;
    assert_int_equal(cache_open(&cf, &c), ERR_BAD_REQUEST);
    cf.cache.addrs = no_port;
    cf.cache.n_addrs = 1;
    assert_int_equal(cache_open(&cf, &c), ERR_BAD_REQUEST);
    cache_close(&c); /* NULL is accepted */
}

/* A Redis that is not running is not a start-up error (connections are lazy), but every
 * operation then reports ERR_UNAVAILABLE promptly. */
static void test_unreachable_node_is_unavailable(void **state)
{
    struct conf cf;
    struct cache *c = NULL;
    bool found = true;
    int64_t v;

    (void)state;
    memset(&cf, 0, sizeof(cf));
    cf.cache.enabled = true;
    cf.cache.type = "node";
    cf.cache.addr = "127.0.0.1:1"; /* nothing listens on port 1 */
    cf.cache.password = "";
    assert_int_equal(cache_open(&cf, &c), ERR_OK);
    assert_string_equal(cache_backend(c), "node");
    assert_int_equal(cache_exists(c, "k", &found), ERR_UNAVAILABLE);
    assert_int_equal(cache_incrby(c, "k", 1, &v), ERR_UNAVAILABLE);
    assert_int_equal(cache_ping(c), ERR_UNAVAILABLE);
    cache_close(&c);
    assert_null(c);
}

static const struct CMUnitTest open_tests[] = {
    cmocka_unit_test(test_open_rejects_bad_config),
    cmocka_unit_test(test_unreachable_node_is_unavailable),
};

int main(void)
{
    int failed = cmocka_run_group_tests_name("cache memory", cache_suite_tests, setup_memory,
                                             suite_teardown);

    return failed + cmocka_run_group_tests_name("cache_open", open_tests, NULL, NULL);
}
