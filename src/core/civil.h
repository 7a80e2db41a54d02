#ifndef QNLIVE_CORE_CIVIL_H
#define QNLIVE_CORE_CIVIL_H

/* Calendar arithmetic without the C library's time conversions (proleptic Gregorian, any year):
 * used for the database's UTC+8 wall-clock columns and for timestamps clients send as dates. */

#include <stdint.h>

/* The reference's fixed zone: Asia/Shanghai, UTC+8 without DST since 1991. */
#define CIVIL_UTC8_OFFSET_S (8 * 3600)

/* Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil). */
int64_t civil_days_from_date(int64_t y, int m, int d);

/* Inverse of civil_days_from_date. */
void civil_date_from_days(int64_t days, int64_t *y, int *m, int *d);

#endif
