/* Text-format helpers and the process_* metrics. */
#define LOG_MODULE "metrics"

#include "metrics/metrics_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/str.h"

static void mbuf_reserve(struct mbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void mbuf_putc(struct mbuf *b, char c)
{
    mbuf_reserve(b, 1);
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
}

void mbuf_puts(struct mbuf *b, const char *s)
{
    size_t n = strlen(s);
    mbuf_reserve(b, n);
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

void mbuf_printf(struct mbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    mbuf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void mbuf_put_escaped(struct mbuf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            mbuf_puts(b, "\\\\");
        else if (*s == '\n')
            mbuf_puts(b, "\\n");
        else if (*s == '"' && quote)
            mbuf_puts(b, "\\\"");
        else
            mbuf_putc(b, *s);
    }
}

void mbuf_put_fixed(struct mbuf *b, uint64_t v, uint64_t scale)
{
    char frac[24];
    size_t n = 0;

    mbuf_printf(b, "%" PRIu64, v / scale);
    /* fractional digits, most significant first, without trailing zeros */
    uint64_t rest = v % scale;
    for (uint64_t s = scale / 10; s > 0 && rest > 0 && n < sizeof(frac) - 1; s /= 10) {
        frac[n++] = (char)('0' + rest / s);
        rest %= s;
    }
    if (n == 0)
        return;
    frac[n] = '\0';
    mbuf_putc(b, '.');
    mbuf_puts(b, frac);
}

void mbuf_put_header(struct mbuf *b, const char *name, const char *help, const char *type)
{
    mbuf_printf(b, "# HELP %s ", name);
    mbuf_put_escaped(b, help, false);
    mbuf_printf(b, "\n# TYPE %s %s\n", name, type);
}

char *mbuf_take(struct mbuf *b, size_t *len)
{
    if (!b->p)
        mbuf_reserve(b, 0);
    b->p[b->len] = '\0';
    if (len)
        *len = b->len;
    char *p = b->p;
    *b = (struct mbuf){0};
    return p;
}

/* Reads the first two fields of /proc/self/statm (pages): virtual size and resident set. */
static bool read_statm(int64_t *vsize, int64_t *rss)
{
    char line[128];
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof(line), f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp2)
        return false;
    return strn_to_i64(line, (size_t)(sp1 - line), 0, INT64_MAX / 65536, vsize) &&
           strn_to_i64(sp1 + 1, (size_t)(sp2 - sp1 - 1), 0, INT64_MAX / 65536, rss);
}

void metrics_render_process(struct mbuf *b, int64_t start_time_s)
{
    struct rusage ru;
    int64_t vsize;
    int64_t rss;

    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        uint64_t us = (uint64_t)ru.ru_utime.tv_sec * 1000000 + (uint64_t)ru.ru_utime.tv_usec +
                      (uint64_t)ru.ru_stime.tv_sec * 1000000 + (uint64_t)ru.ru_stime.tv_usec;
        mbuf_put_header(b, "process_cpu_seconds_total",
                        "Total user and system CPU time spent in seconds.", "counter");
        mbuf_puts(b, "process_cpu_seconds_total ");
        mbuf_put_fixed(b, us, 1000000);
        mbuf_putc(b, '\n');
    }
    if (read_statm(&vsize, &rss)) {
        int64_t page = sysconf(_SC_PAGESIZE);
        mbuf_put_header(b, "process_resident_memory_bytes", "Resident memory size in bytes.",
                        "gauge");
        mbuf_printf(b, "process_resident_memory_bytes %" PRId64 "\n", rss * page);
        mbuf_put_header(b, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        "gauge");
        mbuf_printf(b, "process_virtual_memory_bytes %" PRId64 "\n", vsize * page);
    }
    mbuf_put_header(b, "process_start_time_seconds",
                    "Start time of the process since unix epoch in seconds.", "gauge");
    mbuf_printf(b, "process_start_time_seconds %" PRId64 "\n", start_time_s);
}
