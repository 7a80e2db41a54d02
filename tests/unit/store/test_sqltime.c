/* DATETIME <-> Unix seconds in the storage zone (UTC+8), against vectors computed independently
 * (Python's datetime with a fixed +08:00 zone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/sqltime.h"

struct vec {
    int64_t unix_s;
    const char *text;
};

static const struct vec vectors[] = {
    {0, "1970-01-01 08:00:00"},          {-1, "1970-01-01 07:59:59"},
    {-28801, "1969-12-31 23:59:59"},     {1700000000, "2023-11-15 06:13:20"},
    {951782400, "2000-02-29 08:00:00"},  {1656604800, "2022-07-01 00:00:00"},
    {1709222399, "2024-02-29 23:59:59"}, {-2203920000, "1900-03-01 00:00:00"},
    {2147483648, "2038-01-19 11:14:08"},
};

static void test_format_vectors(void **state)
{
    char buf[SQLTIME_BUF];

    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++)
        assert_string_equal(sqltime_format(vectors[i].unix_s, buf), vectors[i].text);
}

static void test_parse_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        int64_t v = 12345;
        assert_true(sqltime_parse(vectors[i].text, strlen(vectors[i].text), &v));
        assert_int_equal(v, vectors[i].unix_s);
    }
}

static void test_round_trip_sweep(void **state)
{
    char buf[SQLTIME_BUF];

    (void)state;
    /* a prime step visits every second-of-day, day-of-month and leap-year case many times */
    for (int64_t t = -3000000000LL; t < 5000000000LL; t += 7919 * 997) {
        int64_t back = 0;
        sqltime_format(t, buf);
        assert_true(sqltime_parse(buf, strlen(buf), &back));
        assert_int_equal(back, t);
    }
}

static void test_parse_variants(void **state)
{
    int64_t v = 0;

    (void)state;
    assert_true(sqltime_parse("2023-11-15T06:13:20", 19, &v));
    assert_int_equal(v, 1700000000);
    assert_true(sqltime_parse("2023-11-15 06:13:20.654321", 26, &v));
    assert_int_equal(v, 1700000000);
    assert_true(sqltime_parse("2023-11-15", 10, &v));
    assert_int_equal(v, 1700000000 - (6 * 3600 + 13 * 60 + 20));
    v = 99;
    assert_true(sqltime_parse("0000-00-00 00:00:00", 19, &v));
    assert_int_equal(v, 0);
    /* the length bounds the parse: trailing bytes beyond n are not read */
    assert_true(sqltime_parse("2023-11-15 06:13:20garbage", 19, &v));
    assert_int_equal(v, 1700000000);
}

static void test_parse_rejects(void **state)
{
    static const char *const bad[] = {
        "",
        "2023-11-1",
        "2023-02-29 00:00:00",
        "2100-02-29 00:00:00",
        "2023-13-01 00:00:00",
        "2023-00-10 00:00:00",
        "2023-04-31 00:00:00",
        "2023-11-15 24:00:00",
        "2023-11-15 06:60:00",
        "2023-11-15 06:13:61",
        "2023-11-15 06:13",
        "2023/11/15 06:13:20",
        "2023-11-15 06:13:20.",
        "2023-11-15 06:13:20x",
        "2023-11-15 06:13:2a",
        "abcd-11-15 06:13:20",
        "2023-11-15X06:13:20",
    };
    int64_t v;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sqltime_parse(bad[i], strlen(bad[i]), &v))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_leap_days(void **state)
{
    int64_t v = 0;

    (void)state;
    assert_true(sqltime_parse("2000-02-29 00:00:00", 19, &v)); /* divisible by 400 */
    assert_true(sqltime_parse("2024-02-29 00:00:00", 19, &v));
    assert_false(sqltime_parse("1900-02-29 00:00:00", 19, &v)); /* divisible by 100 */
}

static void test_clamps_out_of_range(void **state)
{
    char buf[SQLTIME_BUF];

    (void)state;
    assert_string_equal(sqltime_format(INT64_MAX, buf), "9999-12-31 23:59:59");
    assert_string_equal(sqltime_format(INT64_MIN, buf), "0000-01-01 00:00:00");
}

static void test_fields(void **state)
{
    struct sqltime t;

    (void)state;
    sqltime_from_unix(1700000000, &t);
    assert_int_equal(t.year, 2023);
    assert_int_equal(t.month, 11);
    assert_int_equal(t.day, 15);
    assert_int_equal(t.hour, 6);
    assert_int_equal(t.minute, 13);
    assert_int_equal(t.second, 20);
    assert_int_equal(sqltime_to_unix(&t), 1700000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_vectors),      cmocka_unit_test(test_parse_vectors),
        cmocka_unit_test(test_round_trip_sweep),    cmocka_unit_test(test_parse_variants),
        cmocka_unit_test(test_parse_rejects),       cmocka_unit_test(test_leap_days),
        cmocka_unit_test(test_clamps_out_of_range), cmocka_unit_test(test_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
