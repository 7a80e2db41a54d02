#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>
#include <cmocka.h>

#include "core/bulkhead.h"
#include "core/deadline.h"

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void test_full_bulkhead_refuses_at_once(void **state)
{
    (void)state;
    struct bulkhead b;
    bulkhead_init(&b, "pay", 2, 0);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    assert_int_equal(bulkhead_enter(&b), ERR_UNAVAILABLE);
    assert_int_equal(atomic_load(&b.rejected), 1);
    bulkhead_leave(&b);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    bulkhead_leave(&b);
    bulkhead_leave(&b);
    bulkhead_destroy(&b);
}

static void test_unbounded_and_null_admit(void **state)
{
    (void)state;
    struct bulkhead b;
    bulkhead_init(&b, "x", 0, 0);
    for (int i = 0; i < 100; i++)
        assert_int_equal(bulkhead_enter(&b), ERR_OK);
    assert_int_equal(bulkhead_enter(NULL), ERR_OK);
    bulkhead_leave(NULL);
    bulkhead_destroy(&b);
}

static void *leave_later(void *arg)
{
    sleep_ms(50);
    bulkhead_leave(arg);
    return NULL;
}

static void test_waits_for_a_slot_given_back(void **state)
{
    (void)state;
    struct bulkhead b;
    bulkhead_init(&b, "store", 1, 5000);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    pthread_t t;
    pthread_create(&t, NULL, leave_later, &b);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    pthread_join(t, NULL);
    bulkhead_leave(&b);
    bulkhead_destroy(&b);
}

static void test_wait_never_passes_the_request_deadline(void **state)
{
    (void)state;
    struct bulkhead b;
    bulkhead_init(&b, "store", 1, 60000);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    int64_t t0 = deadline_now_ms();
    deadline_set(t0 + 100, NULL);
    assert_int_equal(bulkhead_enter(&b), ERR_UNAVAILABLE);
    deadline_clear();
    /* bounded by the 100 ms deadline, not the 60 s wait (generous margin for a loaded host) */
    assert_true(deadline_now_ms() - t0 < 30000);
    bulkhead_leave(&b);
    bulkhead_destroy(&b);
}

static void test_stalled_dependency_is_not_waited_for(void **state)
{
    (void)state;
    struct bulkhead b;
    bulkhead_init(&b, "store", 1, 60000);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    sleep_ms(1200); /* the slot has not come back for longer than the stall threshold */
    int64_t t0 = deadline_now_ms();
    assert_int_equal(bulkhead_enter(&b), ERR_UNAVAILABLE);
    assert_true(deadline_now_ms() - t0 < 30000);
    bulkhead_leave(&b);
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    bulkhead_leave(&b);
    bulkhead_destroy(&b);
}

static void test_deadline_caps_and_cancellation(void **state)
{
    (void)state;
    assert_int_equal(deadline_cap_ms(5000, 500), 5000); /* no deadline on this thread */
    assert_int_equal(deadline_remaining_ms(-7), -7);
    assert_false(deadline_cancelled());
    atomic_int cancelled = 0;
    deadline_set(deadline_now_ms() + 2000, &cancelled);
    assert_true(deadline_cap_ms(5000, 500) <= 1500);
    assert_true(deadline_cap_ms(100, 500) <= 100);
    assert_true(deadline_cap_ms(0, 0) <= 2000);
    assert_true(deadline_cap_ms(5000, 3000) >= 1); /* never below 1 ms */
    assert_false(deadline_cancelled());
    atomic_store(&cancelled, 1);
    assert_true(deadline_cancelled());
    deadline_set(deadline_now_ms() - 1, NULL);
    assert_true(deadline_cancelled());
    assert_int_equal(deadline_remaining_ms(5), 0);
    deadline_clear();
    assert_false(deadline_cancelled());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_bulkhead_refuses_at_once),
        cmocka_unit_test(test_unbounded_and_null_admit),
        cmocka_unit_test(test_waits_for_a_slot_given_back),
        cmocka_unit_test(test_wait_never_passes_the_request_deadline),
        cmocka_unit_test(test_stalled_dependency_is_not_waited_for),
        cmocka_unit_test(test_deadline_caps_and_cancellation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
