#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/clock.h"
#include "core/mem.h"
#include "core/textcache.h"

static void test_put_get_generation(void **state)
{
    (void)state;
    struct textcache *c = textcache_new(100, 60000);
    struct arena *a = arena_new();
    const char *t;
    size_t len;
    assert_false(textcache_get(c, "k", 0, a, &t, &len));
    textcache_put(c, "k", 3, "{\"a\":1}", 7);
    assert_true(textcache_get(c, "k", 3, a, &t, &len));
    assert_int_equal(len, 7);
    assert_string_equal(t, "{\"a\":1}");
    /* a bumped generation invalidates the entry */
    assert_false(textcache_get(c, "k", 4, a, &t, &len));
    textcache_put(c, "k", 4, "x", 1);
    assert_true(textcache_get(c, "k", 4, a, &t, &len));
    assert_string_equal(t, "x");
    arena_free(&a);
    textcache_free(&c);
    assert_null(c);
}

static void test_expiry(void **state)
{
    (void)state;
    struct textcache *c = textcache_new(10, 50);
    struct arena *a = arena_new();
    const char *t;
    size_t len;
    textcache_put(c, "k", 0, "v", 1);
    struct timespec pause = {0, 80 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_false(textcache_get(c, "k", 0, a, &t, &len));
    arena_free(&a);
    textcache_free(&c);
}

#ifdef QNLIVE_TEST_CLOCK
/* A cache that follows a clock sees its entries expire when the clock is moved forward. */
static void test_expiry_follows_the_clock(void **state)
{
    (void)state;
    struct clock *clk = clock_new();
    struct textcache *c = textcache_new(10, 60000);
    struct arena *a = arena_new();
    const char *t;
    size_t len;
    textcache_follow_clock(c, clk);
    textcache_put(c, "k", 0, "v", 1);
    assert_true(textcache_get(c, "k", 0, a, &t, &len));
    clock_advance_ms(clk, 59000);
    assert_true(textcache_get(c, "k", 0, a, &t, &len));
    clock_advance_ms(clk, 2000);
    assert_false(textcache_get(c, "k", 0, a, &t, &len));
    arena_free(&a);
    textcache_free(&c);
    clock_free(&clk);
}
#endif

static void test_bounded_and_long_keys(void **state)
{
    (void)state;
    struct textcache *c = textcache_new(64, 60000);
    struct arena *a = arena_new();
    char key[32], val[32];
    const char *t;
    size_t len;
    int hits = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "user-%d", i);
        snprintf(val, sizeof(val), "%d", i);
        textcache_put(c, key, 0, val, strlen(val));
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "user-%d", i);
        snprintf(val, sizeof(val), "%d", i);
        if (textcache_get(c, key, 0, a, &t, &len)) {
            assert_string_equal(t, val); /* never a wrong value, only misses */
            hits++;
        }
    }
    assert_true(hits > 0 && hits <= 16 * 4 * 2);
    char long_key[300];
    memset(long_key, 'x', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    textcache_put(c, long_key, 0, "v", 1);
    assert_false(textcache_get(c, long_key, 0, a, &t, &len));
    arena_free(&a);
    textcache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_generation),
        cmocka_unit_test(test_expiry),
#ifdef QNLIVE_TEST_CLOCK
        cmocka_unit_test(test_expiry_follows_the_clock),
#endif
        cmocka_unit_test(test_bounded_and_long_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
