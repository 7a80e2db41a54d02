/* Unit tests of the business counters and the scrape-time gauge collector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "metrics/metrics.h"

static int setup(void **state)
{
    (void)state;
    metrics_init();
    metrics_reset();
    metrics_set_collector(NULL, NULL);
    return 0;
}

static void assert_contains(const char *text, const char *needle)
{
    if (!strstr(text, needle))
        fail_msg("missing:\n%s\nin:\n%s", needle, text);
}

static void test_event_counters_add_and_ignore_non_positive(void **state)
{
    (void)state;
    metrics_add(METRICS_ROOM_JOINS, 1);
    metrics_add(METRICS_ROOM_JOINS, 2);
    metrics_add(METRICS_LIKES, 0);
    metrics_add(METRICS_LIKES, -5);
    metrics_add_gift(30);
    metrics_add_gift(12);
    metrics_add_gift(-1); /* not paid by this call */
    char *text = metrics_render(NULL);
    assert_contains(text, "# TYPE qnlive_room_joins_total counter\nqnlive_room_joins_total 3\n");
    assert_contains(text, "\nqnlive_likes_total 0\n");
    assert_contains(text, "\nqnlive_gifts_total 2\n");
    assert_contains(text, "\nqnlive_gift_amount_total 42\n");
    free(text);
}

static int collector_calls;

static void collect(void *ud, struct metrics_gauges *g)
{
    const char *tag = ud;
    collector_calls++;
    metrics_gauge(g, "qnlive_rooms", "Rooms.", "status", "on", 3);
    metrics_gauge(g, "qnlive_rooms", "Rooms.", "status", "off", 1);
    metrics_gauge(g, "qnlive_backlog", "Backlog \"q\".", "tag", tag, 0.5);
}

static void test_collector_gauges_one_header_per_family(void **state)
{
    (void)state;
    collector_calls = 0;
    metrics_set_collector(collect, "a\"b");
    char *text = metrics_render(NULL);
    assert_int_equal(collector_calls, 1);
    assert_contains(text, "# HELP qnlive_rooms Rooms.\n# TYPE qnlive_rooms gauge\n"
                          "qnlive_rooms{status=\"on\"} 3\nqnlive_rooms{status=\"off\"} 1\n"
                          "# HELP qnlive_backlog Backlog \"q\".\n");
    assert_contains(text, "qnlive_backlog{tag=\"a\\\"b\"} 0.5\n");
    free(text);

    metrics_set_collector(NULL, NULL);
    text = metrics_render(NULL);
    assert_int_equal(collector_calls, 1);
    assert_null(strstr(text, "qnlive_rooms"));
    free(text);
}

static void test_cron_last_success_only_on_success(void **state)
{
    (void)state;
    metrics_observe_cron("failing", 1, 0.01);
    metrics_observe_cron("working", 0, 0.01);
    char *text = metrics_render(NULL);
    assert_contains(text, "# TYPE qnlive_cron_last_success_timestamp_seconds gauge\n");
    assert_contains(text, "qnlive_cron_last_success_timestamp_seconds{job=\"failing\"} 0\n");
    const char *key = "qnlive_cron_last_success_timestamp_seconds{job=\"working\"} ";
    const char *w = strstr(text, key);
    assert_non_null(w);
    char digits[32] = "";
    size_t n = strspn(w + strlen(key), "0123456789");
    assert_true(n > 0 && n < sizeof(digits));
    memcpy(digits, w + strlen(key), n);
    int64_t at = 0;
    assert_true(str_to_i64(digits, 0, INT64_MAX, &at));
    assert_true(at > 1600000000LL);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_event_counters_add_and_ignore_non_positive, setup),
        cmocka_unit_test_setup(test_collector_gauges_one_header_per_family, setup),
        cmocka_unit_test_setup(test_cron_last_success_only_on_success, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
