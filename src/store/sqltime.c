#include "store/sqltime.h"

#include <stdio.h>
#include <string.h>

#include "core/civil.h"

/* floor division, because C's `/` truncates toward zero for negative instants. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void sqltime_from_unix(int64_t unix_s, struct sqltime *out)
{
    const int64_t min_s = civil_days_from_date(0, 1, 1) * 86400 - SQLTIME_OFFSET_S;
    const int64_t max_s = civil_days_from_date(10000, 1, 1) * 86400 - 1 - SQLTIME_OFFSET_S;
    int64_t y;

    if (unix_s < min_s)
        unix_s = min_s;
    if (unix_s > max_s)
        unix_s = max_s;
    int64_t local = unix_s + SQLTIME_OFFSET_S;
    int64_t days = floor_div(local, 86400);
    int64_t secs = local - days * 86400;
    civil_date_from_days(days, &y, &out->month, &out->day);
    out->year = (int)y;
    out->hour = (int)(secs / 3600);
    out->minute = (int)(secs / 60 % 60);
    out->second = (int)(secs % 60);
}

int64_t sqltime_to_unix(const struct sqltime *t)
{
    int64_t days = civil_days_from_date(t->year, t->month, t->day);
    return days * 86400 + t->hour * 3600 + t->minute * 60 + t->second - SQLTIME_OFFSET_S;
}

char *sqltime_format(int64_t unix_s, char buf[SQLTIME_BUF])
{
    struct sqltime t;

    sqltime_from_unix(unix_s, &t);
    snprintf(buf, SQLTIME_BUF, "%04d-%02d-%02d %02d:%02d:%02d", t.year, t.month, t.day, t.hour,
             t.minute, t.second);
    return buf;
}

/* Reads exactly `width` decimal digits at s. */
static bool digits(const char *s, int width, int *out)
{
    int v = 0;

    for (int i = 0; i < width; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* The fraction after the seconds must be '.' followed by digits only. */
static bool fraction_ok(const char *s, size_t n)
{
    if (n == 0)
        return true;
    if (s[0] != '.' || n == 1)
        return false;
    for (size_t i = 1; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

bool sqltime_parse(const char *s, size_t n, int64_t *out)
{
    struct sqltime t = {0};

    if (n < 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &t.year) ||
        !digits(s + 5, 2, &t.month) || !digits(s + 8, 2, &t.day))
        return false;
    if (n > 10) {
        if (n < 19 || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' || s[16] != ':' ||
            !digits(s + 11, 2, &t.hour) || !digits(s + 14, 2, &t.minute) ||
            !digits(s + 17, 2, &t.second) || !fraction_ok(s + 19, n - 19))
            return false;
    }
    if (t.year == 0 && t.month == 0 && t.day == 0) { /* MySQL zero date */
        *out = 0;
        return true;
    }
    if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > civil_days_in_month(t.year, t.month) ||
        t.hour > 23 || t.minute > 59 || t.second > 59)
        return false;
    *out = sqltime_to_unix(&t);
    return true;
}
