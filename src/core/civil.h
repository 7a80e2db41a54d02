#ifndef QNLIVE_CORE_CIVIL_H
#define QNLIVE_CORE_CIVIL_H

/* Calendar arithmetic without the C library's time conversions (proleptic Gregorian, any year):
 * used for the database's UTC+8 wall-clock columns and for timestamps clients send as dates. */

#include <stdbool.h>
#include <stdint.h>

/* The reference's fixed zone: Asia/Shanghai, UTC+8 without DST since 1991. */
#define CIVIL_UTC8_OFFSET_S (8 * 3600)

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil). */
int64_t civil_days_from_date(int64_t y, int m, int d);

/* Inverse of civil_days_from_date. */
void civil_date_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Days of month m (1..12) of year y, February 29 in leap years. */
int civil_days_in_month(int64_t y, int m);

/* Wall-clock fields {year, month, day, hour, minute, second} at a zone offset (seconds east of
 * UTC) to Unix seconds; dates that do not exist ("2023-02-31") are refused, not rolled over. */
bool civil_to_unix(const int64_t f[6], int64_t offset_s, int64_t *out);

/* A timestamp written as a number, told apart by its digit count: seconds, ms (13 digits), µs
 * (16), ns (19), yyyymmdd (8) or yyyyMMddhhmmss (14), the dates at UTC+8; 0 or less is 0. */
bool civil_time_from_number(int64_t v, int64_t *out);

/* A timestamp written as a date: "2023-1-5 20:30:00", "2023/01/05T20:30", "2023-01-05",
 * "2023-01-05T12:30:00.5+08:00", "2023-01-05T04:30:00Z": three to six numbers, then an optional
 * fraction (ignored) and zone (Z, +hh:mm, +hhmm); UTC+8 when no zone is written. */
bool civil_time_from_text(const char *s, int64_t *out);

#endif
