#ifndef QNLIVE_METRICS_METRICS_INT_H
#define QNLIVE_METRICS_METRICS_INT_H

/* Internals shared by the files of src/metrics/; not for other modules. */

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing text buffer (xrealloc: never fails). Zero-initialise to start. */
struct mbuf {
    char *p;
    size_t len;
    size_t cap;
};

/* Appends one byte / a C string / printf output. */
void mbuf_putc(struct mbuf *b, char c);
void mbuf_puts(struct mbuf *b, const char *s);
void mbuf_printf(struct mbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends `s` escaped for the text format: backslash and newline always, the double quote too
 * when `quote` (label values; HELP text leaves quotes alone). */
void mbuf_put_escaped(struct mbuf *b, const char *s, bool quote);

/* Appends v / scale as a decimal without trailing zeros ("0.3", "2", "1.000001"). */
void mbuf_put_fixed(struct mbuf *b, uint64_t v, uint64_t scale);

/* Appends the `# HELP` and `# TYPE` lines of a family. */
void mbuf_put_header(struct mbuf *b, const char *name, const char *help, const char *type);

/* Returns the NUL-terminated text (heap, caller frees) and its length; empties the buffer. */
char *mbuf_take(struct mbuf *b, size_t *len);

/* Appends the process_* families (CPU, memory, start time). */
void metrics_render_process(struct mbuf *b, int64_t start_time_s);

/* True once metrics_init has run: recording before it records nothing. */
bool metrics_enabled(void);

/* Appends the business event counters and the collector's gauges (metrics_biz.c). */
void metrics_render_biz(struct mbuf *b);

/* Zeroes the business event counters (metrics_reset). */
void metrics_reset_biz(void);

#endif
