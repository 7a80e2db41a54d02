#ifndef QNLIVE_STORE_SQLTIME_H
#define QNLIVE_STORE_SQLTIME_H

/* DATETIME columns hold Asia/Shanghai wall-clock time (UTC+8, no DST since 1991), exactly as the
 * reference writes them. This is the one place that converts between that text
 * and Unix seconds; it uses plain civil-from-days arithmetic, never the C library's time zone. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/civil.h"

/* Offset of the storage wall-clock from UTC, in seconds: the reference's one zone. */
enum { SQLTIME_OFFSET_S = CIVIL_UTC8_OFFSET_S };

/* Bytes needed for "YYYY-MM-DD HH:MM:SS" plus the NUL. */
enum { SQLTIME_BUF = 20 };

/* Broken-down wall-clock time (UTC+8). */
struct sqltime {
    int year;  /* 0..9999 */
    int month; /* 1..12 */
    int day;   /* 1..31 */
    int hour;
    int minute;
    int second;
};

/* Converts Unix seconds to UTC+8 wall-clock fields. Years outside 0..9999 are clamped to the
 * nearest representable instant so the result always formats as a valid DATETIME. */
void sqltime_from_unix(int64_t unix_s, struct sqltime *out);

/* Converts UTC+8 wall-clock fields back to Unix seconds (fields are not range-checked). */
int64_t sqltime_to_unix(const struct sqltime *t);

/* Writes "YYYY-MM-DD HH:MM:SS" (UTC+8) for unix_s into buf (SQLTIME_BUF bytes). Returns buf. */
char *sqltime_format(int64_t unix_s, char buf[SQLTIME_BUF]);

/* Parses "YYYY-MM-DD HH:MM:SS" (a 'T' separator and a ".ffffff" fraction are accepted, the
 * fraction is dropped) or "YYYY-MM-DD" as UTC+8 wall-clock. MySQL's zero date
 * "0000-00-00 00:00:00" parses as 0. Returns false on anything else. */
bool sqltime_parse(const char *s, size_t n, int64_t *out);

#endif
