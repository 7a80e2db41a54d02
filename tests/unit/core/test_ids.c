#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ids.h"

static void test_layout(void **state)
{
    (void)state;
    int64_t last = -1, seq = 0;
    int64_t now = IDS_EPOCH_MS + 1000;
    int64_t id = ids_compose(5, &last, &seq, now);
    assert_int_equal(id >> 22, 1000);
    assert_int_equal((id >> 12) & 1023, 5);
    assert_int_equal(id & 4095, 0);
    int64_t id2 = ids_compose(5, &last, &seq, now);
    assert_int_equal(id2, id + 1);
}

static void test_sequence_exhaustion_and_clock_back(void **state)
{
    (void)state;
    int64_t last = -1, seq = 0;
    int64_t now = IDS_EPOCH_MS + 7;
    for (int i = 0; i < 4096; i++)
        assert_true(ids_compose(1, &last, &seq, now) > 0);
    assert_int_equal(ids_compose(1, &last, &seq, now), 0);     /* 4097th in one ms: wait */
    assert_int_equal(ids_compose(1, &last, &seq, now - 1), 0); /* clock went back: wait */
    assert_true(ids_compose(1, &last, &seq, now + 1) > 0);
}

static void test_node_range_and_monotonic(void **state)
{
    (void)state;
    assert_int_equal(ids_init(1024), ERR_BAD_REQUEST);
    assert_int_equal(ids_init(-1), ERR_BAD_REQUEST);
    assert_int_equal(ids_init(1023), ERR_OK);
    int64_t prev = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t id = ids_next();
        assert_true(id > prev);
        assert_int_equal((id >> 12) & 1023, 1023);
        prev = id;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_sequence_exhaustion_and_clock_back),
        cmocka_unit_test(test_node_range_and_monotonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
