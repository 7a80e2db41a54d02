#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <cmocka.h>

#include "core/bulkhead.h"
#include "core/noblock.h"
#include "http/err_wire.h"

static void test_unmarked_thread_may_wait(void **state)
{
    (void)state;
    assert_false(noblock_is_set());
    assert_int_equal(noblock_check(), ERR_OK);
    assert_false(noblock_tripped());
}

static void test_marked_thread_refuses_and_remembers(void **state)
{
    (void)state;
    noblock_enter();
    assert_true(noblock_is_set());
    assert_false(noblock_tripped());
    assert_int_equal(noblock_check(), ERR_WOULD_BLOCK);
    assert_true(noblock_tripped());
    noblock_leave();
    assert_false(noblock_is_set());
    /* the trip is still there for the caller to read after leaving */
    assert_true(noblock_tripped());
    assert_int_equal(noblock_check(), ERR_OK);
    /* and forgotten by the next attempt */
    noblock_enter();
    assert_false(noblock_tripped());
    noblock_leave();
}

static void *check_elsewhere(void *arg)
{
    err_t *out = arg;
    *out = noblock_check();
    return NULL;
}

static void test_mark_is_per_thread(void **state)
{
    (void)state;
    err_t other = ERR_INTERNAL;
    pthread_t t;
    noblock_enter();
    pthread_create(&t, NULL, check_elsewhere, &other);
    pthread_join(t, NULL);
    noblock_leave();
    assert_int_equal(other, ERR_OK);
    assert_false(noblock_tripped());
}

/* A full bulkhead refuses a marked thread at once instead of waiting for a slot; a free one
 * admits it (taking a free slot never waits). */
static void test_bulkhead_never_waits_on_a_marked_thread(void **state)
{
    (void)state;
    struct bulkhead b;
    bulkhead_init(&b, "store", 1, 5000);
    noblock_enter();
    assert_int_equal(bulkhead_enter(&b), ERR_OK);
    assert_int_equal(bulkhead_enter(&b), ERR_WOULD_BLOCK);
    assert_true(noblock_tripped());
    noblock_leave();
    bulkhead_leave(&b);
    assert_int_equal(atomic_load(&b.rejected), 0);
    bulkhead_destroy(&b);
}

/* Should it ever escape to a client, a would-block is a 503, never a 500. */
static void test_would_block_on_the_wire(void **state)
{
    (void)state;
    assert_int_equal(err_http_status(ERR_WOULD_BLOCK), 503);
    assert_int_equal(err_body_code(ERR_WOULD_BLOCK), 503);
    assert_string_equal(err_default_message(ERR_WOULD_BLOCK), "server busy");
    assert_string_equal(err_name(ERR_WOULD_BLOCK), "would_block");
    assert_false(err_is_refusal(ERR_WOULD_BLOCK));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unmarked_thread_may_wait),
        cmocka_unit_test(test_marked_thread_refuses_and_remembers),
        cmocka_unit_test(test_mark_is_per_thread),
        cmocka_unit_test(test_bulkhead_never_waits_on_a_marked_thread),
        cmocka_unit_test(test_would_block_on_the_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
