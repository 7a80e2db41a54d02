#ifndef QNLIVE_CORE_LOG_H
#define QNLIVE_CORE_LOG_H

/* Log lines go to stderr as `ts level module req_id msg k=v`. Every .c file that logs defines
 * LOG_MODULE before including this header. The request id is per thread: the HTTP layer sets it
 * for the request a worker serves, cron jobs set their job name; "-" when none is set.
 * Never log secrets, tokens or auth request bodies. */

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

extern enum log_level log_min_level;

void log_set_level(enum log_level lvl);
/* Parses "debug", "info", "warn", "error", "off"; returns false on anything else. */
bool log_parse_level(const char *s, enum log_level *out);

/* "text" (the default layout above) or "json": one object per line with the keys ts, level,
 * module, req_id and msg, for log shippers. Call before other threads log; returns false for
 * any other value (the layout is then unchanged). Also writes the lines held by log_hold. */
bool log_set_format(const char *format);

/* Until the next log_set_format, keeps lines in memory (up to 32) instead of writing them, so
 * that what is logged while the config file is read comes out in the layout it asks for. */
void log_hold(void);

/* The current thread's request id (borrowed; the caller keeps it alive while it is set). */
void log_set_reqid(const char *reqid);
const char *log_reqid(void);

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes one line made of the concatenated parts, without printf: for the per-request access
 * log, the hottest log line. */
void log_write_parts(enum log_level lvl, const char *module, const char *const *parts, size_t n);

/* Switches to buffered output: info and debug lines are queued in memory and written by a
 * background thread about every 50 ms (or as soon as 64 KiB are queued), so a busy request path
 * pays no write syscall per line. Warnings and errors still go out at once, after everything
 * queued before them. Call log_stop() before exit to write what is left. */
void log_start_async(void);

/* Writes every queued line and stops the background writer (idempotent). */
void log_stop(void);

#ifndef LOG_MODULE
#define LOG_MODULE "qnlive"
#endif

#define log_at(lvl, ...)                                                                           \
    do {                                                                                           \
        if ((lvl) >= log_min_level)                                                                \
            log_write((lvl), LOG_MODULE, __VA_ARGS__);                                             \
    } while (0)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) log_at(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_at(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)

#endif
