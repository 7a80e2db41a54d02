#include "core/civil.h"

#include <string.h>

#include "core/str.h"

int64_t civil_days_from_date(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void civil_date_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int civil_days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

bool civil_to_unix(const int64_t f[6], int64_t offset_s, int64_t *out)
{
    if (f[1] < 1 || f[1] > 12 || f[3] > 23 || f[4] > 59 || f[5] > 60)
        return false;
    if (f[2] < 1 || f[2] > civil_days_in_month(f[0], (int)f[1]))
        return false;
    *out = civil_days_from_date(f[0], (int)f[1], (int)f[2]) * 86400 + f[3] * 3600 + f[4] * 60 +
           f[5] - offset_s;
    return true;
}

/* Digit count of a positive integer. */
static int digits(int64_t v)
{
    int n = 1;
    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

bool civil_time_from_number(int64_t v, int64_t *out)
{
    int64_t f[6] = {0};
    switch (v > 0 ? digits(v) : 0) {
    case 8:
        f[0] = v / 10000, f[1] = v / 100 % 100, f[2] = v % 100;
        return civil_to_unix(f, CIVIL_UTC8_OFFSET_S, out);
    case 13:
        return *out = v / 1000, true;
    case 14:
        f[0] = v / 10000000000, f[1] = v / 100000000 % 100, f[2] = v / 1000000 % 100;
        f[3] = v / 10000 % 100, f[4] = v / 100 % 100, f[5] = v % 100;
        return civil_to_unix(f, CIVIL_UTC8_OFFSET_S, out);
    case 16:
        return *out = v / 1000000, true;
    case 19:
        return *out = v / 1000000000, true;
    default:
        return *out = v > 0 ? v : 0, true;
    }
}

/* The tail of an ISO 8601 time: optional fraction (ignored), then optional "Z" or +hh[:]mm /
 * -hh[:]mm. *offset_s keeps its default when no zone is written. */
static bool zone_suffix(const char *s, int64_t *offset_s)
{
    int64_t hh, mm;
    if (*s == '.')
        s += 1 + strspn(s + 1, "0123456789");
    if (!*s)
        return true;
    if (strcmp(s, "Z") == 0) {
        *offset_s = 0;
        return true;
    }
    if ((*s != '+' && *s != '-') || strlen(s) < 5 || !strn_to_i64(s + 1, 2, 0, 23, &hh))
        return false;
    const char *m = s[3] == ':' ? s + 4 : s + 3;
    if (strlen(m) != 2 || !strn_to_i64(m, 2, 0, 59, &mm))
        return false;
    *offset_s = (*s == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
    return true;
}

bool civil_time_from_text(const char *s, int64_t *out)
{
    int64_t f[6] = {0}, offset_s = CIVIL_UTC8_OFFSET_S;
    int nf = 0;
    while (*s && nf < 6) {
        size_t n = strspn(s, "0123456789");
        if (n == 0 || n > 4 || !strn_to_i64(s, n, 0, 9999, &f[nf]))
            return false;
        nf++;
        s += n;
        if (!*s || !strchr("-/ T:", *s) || (nf >= 3 && *s == '-'))
            break;
        s++;
    }
    return nf >= 3 && zone_suffix(s, &offset_s) && civil_to_unix(f, offset_s, out);
}
