/* Tests of the business clock: real time, and the test build's forward shift. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "core/clock.h"

static void shows_real_time(void **state)
{
    (void)state;
    struct clock *c = clock_new();
    int64_t before = (int64_t)time(NULL);
    int64_t now = clock_now_s(c);
    int64_t ms = clock_now_ms(c);
    assert_true(now >= before && now <= (int64_t)time(NULL));
    assert_true(ms / 1000 >= before && ms / 1000 <= (int64_t)time(NULL));
    clock_free(&c);
    assert_null(c);
    clock_free(&c); /* NULL is accepted */
}

#ifdef QNLIVE_TEST_CLOCK
static void moves_forward_only(void **state)
{
    (void)state;
    struct clock *c = clock_new();
    int64_t before = clock_now_s(c);
    assert_int_equal(clock_advance_ms(c, 3600 * 1000), 3600 * 1000);
    assert_true(clock_now_s(c) >= before + 3600);
    assert_int_equal(clock_advance_ms(c, -5000), 3600 * 1000); /* never backward */
    assert_int_equal(clock_advance_ms(c, 500), 3600 * 1000 + 500);
    clock_free(&c);
}
#endif

/* A monotonic deadline lies the asked time ahead, carried into tv_sec past 999 ms. */
static void mono_deadline_lies_ahead(void **state)
{
    (void)state;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct timespec at = clock_mono_after_ms(1500);
    int64_t ahead_ms =
        (int64_t)(at.tv_sec - now.tv_sec) * 1000 + (at.tv_nsec - now.tv_nsec) / 1000000;
    assert_true(ahead_ms >= 1500 && ahead_ms < 1500 + 1000);
    assert_true(at.tv_nsec >= 0 && at.tv_nsec < 1000000000L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shows_real_time),
        cmocka_unit_test(mono_deadline_lies_ahead),
#ifdef QNLIVE_TEST_CLOCK
        cmocka_unit_test(moves_forward_only),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
