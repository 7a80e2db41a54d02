#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "core/ttlmap.h"

static void test_put_get_del(void **state)
{
    (void)state;
    struct ttlmap *m = ttlmap_new(100, 60000);
    int64_t v = 0;
    assert_false(ttlmap_get(m, "a", &v));
    ttlmap_put(m, "a", 7);
    assert_true(ttlmap_get(m, "a", &v));
    assert_int_equal(v, 7);
    ttlmap_put(m, "a", 8);
    assert_true(ttlmap_get(m, "a", &v));
    assert_int_equal(v, 8);
    ttlmap_del(m, "a");
    assert_false(ttlmap_get(m, "a", &v));
    ttlmap_free(&m);
    assert_null(m);
}

static void test_expiry(void **state)
{
    (void)state;
    struct ttlmap *m = ttlmap_new(10, 50);
    int64_t v;
    ttlmap_put(m, "k", 1);
    struct timespec pause = {0, 80 * 1000 * 1000};
    nanosleep(&pause, NULL);
    assert_false(ttlmap_get(m, "k", &v));
    ttlmap_free(&m);
}

static void test_bounded_and_long_keys(void **state)
{
    (void)state;
    struct ttlmap *m = ttlmap_new(64, 60000);
    char key[32];
    int64_t v;
    int hits = 0;
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "user-%d", i);
        ttlmap_put(m, key, i);
    }
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "user-%d", i);
        if (ttlmap_get(m, key, &v)) {
            assert_int_equal(v, i); /* never a wrong value, only misses */
            hits++;
        }
    }
    assert_true(hits > 0 && hits <= 32 * 4 * 3);
    char long_key[200];
    memset(long_key, 'x', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    ttlmap_put(m, long_key, 1);
    assert_false(ttlmap_get(m, long_key, &v));
    ttlmap_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_del),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_bounded_and_long_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
