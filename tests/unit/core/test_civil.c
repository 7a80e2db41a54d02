/* Tests of the calendar arithmetic and of the timestamps clients send as numbers or dates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/civil.h"
#include "core/mem.h"

static void days_round_trip(void **state)
{
    (void)state;
    assert_int_equal(civil_days_from_date(1970, 1, 1), 0);
    assert_int_equal(civil_days_from_date(2000, 3, 1), 11017);
    for (int64_t days = -800000; days < 800000; days += 997) {
        int64_t y;
        int m, d;
        civil_date_from_days(days, &y, &m, &d);
        assert_int_equal(civil_days_from_date(y, m, d), days);
    }
}

static void month_lengths(void **state)
{
    (void)state;
    assert_int_equal(civil_days_in_month(2024, 2), 29);
    assert_int_equal(civil_days_in_month(2023, 2), 28);
    assert_int_equal(civil_days_in_month(1900, 2), 28);
    assert_int_equal(civil_days_in_month(2000, 2), 29);
    assert_int_equal(civil_days_in_month(2023, 4), 30);
    assert_int_equal(civil_days_in_month(2023, 12), 31);
}

static void impossible_dates_are_refused(void **state)
{
    (void)state;
    int64_t out = 0;
    const int64_t feb31[6] = {2023, 2, 31, 10, 0, 0};
    const int64_t month13[6] = {2023, 13, 1, 0, 0, 0};
    const int64_t hour24[6] = {2023, 1, 5, 24, 0, 0};
    const int64_t leap[6] = {2024, 2, 29, 0, 0, 0};
    assert_false(civil_to_unix(feb31, 0, &out));
    assert_false(civil_to_unix(month13, 0, &out));
    assert_false(civil_to_unix(hour24, 0, &out));
    assert_true(civil_to_unix(leap, CIVIL_UTC8_OFFSET_S, &out));
    assert_int_equal(out, 1709136000);
}

static void numbers_by_digit_count(void **state)
{
    (void)state;
    int64_t out = -1;
    assert_true(civil_time_from_number(1672921800, &out));
    assert_int_equal(out, 1672921800);
    assert_true(civil_time_from_number(1672921800250, &out)); /* ms */
    assert_int_equal(out, 1672921800);
    assert_true(civil_time_from_number(1672921800250000, &out)); /* µs */
    assert_int_equal(out, 1672921800);
    assert_true(civil_time_from_number(1672921800250000000, &out)); /* ns */
    assert_int_equal(out, 1672921800);
    assert_true(civil_time_from_number(20230105203000, &out)); /* UTC+8 wall clock */
    assert_int_equal(out, 1672921800);
    assert_true(civil_time_from_number(20230105, &out));
    assert_int_equal(out, 1672848000);
    assert_false(civil_time_from_number(20230231, &out));
    assert_true(civil_time_from_number(-5, &out));
    assert_int_equal(out, 0);
}

static void dates_with_zones(void **state)
{
    (void)state;
    static const char *const same[] = {
        "2023-01-05T20:30:00+08:00", "2023-01-05T12:30:00Z", "2023-01-05T20:30:00.250+0800",
        "2023-01-05 07:30:00-05:00", "2023/1/5 20:30:00",    "2023-01-05 20:30"};
    for (size_t i = 0; i < ARRAY_LEN(same); i++) {
        int64_t out = 0;
        assert_true(civil_time_from_text(same[i], &out));
        assert_int_equal(out, 1672921800);
    }
    static const char *const bad[] = {"2023-02-31 10:00:00",
                                      "2023-13-01",
                                      "2023-01-05T20:30:00+25:00",
                                      "2023-01-05 20:30:00 junk",
                                      "2023-01",
                                      "",
                                      "tomorrow"};
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        int64_t out = 0;
        assert_false(civil_time_from_text(bad[i], &out));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(days_round_trip),
        cmocka_unit_test(month_lengths),
        cmocka_unit_test(impossible_dates_are_refused),
        cmocka_unit_test(numbers_by_digit_count),
        cmocka_unit_test(dates_with_zones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
