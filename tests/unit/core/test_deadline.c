#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/deadline.h"

static void test_detach_is_not_cancelled_by_the_request(void **state)
{
    (void)state;
    atomic_int cancelled = 0;
    int64_t request_at = deadline_now_ms() + 200;
    deadline_set(request_at, &cancelled);
    atomic_store(&cancelled, 1);
    assert_true(deadline_cancelled());

    struct deadline_saved saved;
    deadline_detach(3000, &saved);
    assert_false(deadline_cancelled());
    int64_t left = deadline_remaining_ms(0);
    assert_true(left > 2000 && left <= 3000);
    /* the detached deadline caps waits on its own budget, not the request's */
    assert_true(deadline_cap_ms(2500, 500) > 200);

    deadline_restore(&saved);
    assert_true(deadline_cancelled());
    assert_true(deadline_remaining_ms(-1) <= 200);
    deadline_clear();
}

static void test_detach_is_bounded_without_a_request(void **state)
{
    (void)state;
    struct deadline_saved saved;
    deadline_detach(0, &saved);
    assert_true(deadline_remaining_ms(-1) >= 0); /* a deadline, not "none" (-1) */
    deadline_restore(&saved);
    assert_int_equal(deadline_remaining_ms(-1), -1);
    assert_false(deadline_cancelled());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_detach_is_not_cancelled_by_the_request),
        cmocka_unit_test(test_detach_is_bounded_without_a_request),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
