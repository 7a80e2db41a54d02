#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"

enum log_level log_min_level = LOG_INFO;

/* One JSON object per line instead of the text layout; set once at start-up. */
static bool json_format;

/* Lines logged while the config file is read wait here until log_set_format picks their layout.
 * Start-up is single-threaded then, so these need no lock. */
enum { HELD_MAX = 32 };
static bool holding;
static struct {
    enum log_level lvl;
    const char *module; /* a LOG_MODULE literal */
    char *msg;
} held[HELD_MAX];
static size_t n_held;

static void write_text(enum log_level lvl, const char *module, const char *msg);
static void write_json(enum log_level lvl, const char *module, const char *msg);

static _Thread_local const char *thread_reqid;

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void log_set_level(enum log_level lvl)
{
    log_min_level = lvl;
}

void log_hold(void)
{
    holding = true;
}

bool log_set_format(const char *format)
{
    bool known = strcmp(format, "json") == 0 || strcmp(format, "text") == 0;
    if (known)
        json_format = strcmp(format, "json") == 0;
    holding = false;
    for (size_t i = 0; i < n_held; i++) {
        if (json_format)
            write_json(held[i].lvl, held[i].module, held[i].msg);
        else
            write_text(held[i].lvl, held[i].module, held[i].msg);
        free(held[i].msg);
    }
    n_held = 0;
    return known;
}

/* Keeps a line for log_set_format; past HELD_MAX lines the rest are written as text. */
static void hold(enum log_level lvl, const char *module, const char *msg)
{
    if (n_held == HELD_MAX) {
        write_text(lvl, module, msg);
        return;
    }
    held[n_held].lvl = lvl;
    held[n_held].module = module;
    held[n_held].msg = strdup(msg);
    if (held[n_held].msg)
        n_held++;
}

bool log_parse_level(const char *s, enum log_level *out)
{
    for (int i = 0; i <= LOG_OFF; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum log_level)i;
            return true;
        }
    }
    return false;
}

void log_set_reqid(const char *reqid)
{
    thread_reqid = reqid;
}

const char *log_reqid(void)
{
    return thread_reqid ? thread_reqid : "-";
}

/* The queue of the async writer; `lock` guards everything below it. */
enum { LOG_QUEUE_FLUSH_AT = 64 * 1024, LOG_QUEUE_MAX = 4 * 1024 * 1024, LOG_FLUSH_MS = 50 };

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static char *queue_buf;
static size_t queue_len;
static size_t queue_dropped;
static bool async_on;
static bool async_stopping;
static pthread_t writer_thread;

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(STDERR_FILENO, p, n);
        if (w <= 0)
            return; /* nowhere to report a failing stderr */
        p += w;
        n -= (size_t)w;
    }
}

/* Writes the queue out; called with queue_lock held. */
static void flush_locked(void)
{
    if (queue_len)
        write_all(queue_buf, queue_len);
    queue_len = 0;
    if (queue_dropped) {
        char note[96];
        int n = snprintf(note, sizeof(note), "log queue full: %zu lines dropped\n", queue_dropped);
        write_all(note, (size_t)n);
        queue_dropped = 0;
    }
}

static void emit(enum log_level lvl, const char *line, size_t len)
{
    pthread_mutex_lock(&queue_lock);
    if (!async_on || lvl >= LOG_WARN) {
        flush_locked(); /* keep order: queued lines first */
        write_all(line, len);
    } else if (queue_len + len > LOG_QUEUE_MAX) {
        queue_dropped++; /* a stuck stderr must not grow memory without bound */
    } else {
        memcpy(queue_buf + queue_len, line, len);
        queue_len += len;
        if (queue_len >= LOG_QUEUE_FLUSH_AT)
            pthread_cond_signal(&queue_cond);
    }
    pthread_mutex_unlock(&queue_lock);
}

static void *writer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&queue_lock);
    while (!async_stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += LOG_FLUSH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&queue_cond, &queue_lock, &until);
        flush_locked();
    }
    flush_locked();
    pthread_mutex_unlock(&queue_lock);
    return NULL;
}

void log_start_async(void)
{
    pthread_mutex_lock(&queue_lock);
    if (!async_on) {
        queue_buf = malloc(LOG_QUEUE_MAX);
        async_on = queue_buf && pthread_create(&writer_thread, NULL, writer_main, NULL) == 0;
    }
    pthread_mutex_unlock(&queue_lock);
}

void log_stop(void)
{
    pthread_mutex_lock(&queue_lock);
    bool was_on = async_on;
    async_stopping = true;
    pthread_cond_signal(&queue_cond);
    pthread_mutex_unlock(&queue_lock);
    if (!was_on)
        return;
    pthread_join(writer_thread, NULL);
    pthread_mutex_lock(&queue_lock);
    flush_locked();
    async_on = false;
    async_stopping = false;
    free(queue_buf);
    queue_buf = NULL;
    pthread_mutex_unlock(&queue_lock);
}

/* "YYYY-MM-DDTHH:MM:SS" of the current second, formatted once per second per thread: the
 * timestamp is most of the cost of a log line otherwise. */
static size_t format_stamp(char *out)
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[64];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        snprintf(cached, sizeof(cached), "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = ts.tv_sec;
    }
    int ms = (int)(ts.tv_nsec / 1000000);
    memcpy(out, cached, 19);
    out[19] = '.';
    out[20] = (char)('0' + ms / 100);
    out[21] = (char)('0' + ms / 10 % 10);
    out[22] = (char)('0' + ms % 10);
    out[23] = 'Z';
    return 24;
}

/* Appends s to line at *n, bounded by cap (the last byte is kept for the newline). */
static void put(char *line, size_t *n, size_t cap, const char *s)
{
    size_t len = strlen(s);
    if (*n + len > cap - 2)
        len = cap - 2 - *n;
    memcpy(line + *n, s, len);
    *n += len;
}

/* "<ts> <level> <module> <reqid> " */
static size_t format_prefix(char *line, size_t cap, enum log_level lvl, const char *module)
{
    size_t n = format_stamp(line);
    line[n++] = ' ';
    put(line, &n, cap, level_names[lvl]);
    put(line, &n, cap, " ");
    put(line, &n, cap, module);
    put(line, &n, cap, " ");
    put(line, &n, cap, log_reqid());
    put(line, &n, cap, " ");
    return n;
}

/* Ends the line: no raw newlines from values (log injection), then exactly one newline. */
static void finish_line(enum log_level lvl, char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    }
    line[len++] = '\n';
    emit(lvl, line, len);
}

/* Appends s as the inside of a JSON string: quotes, backslashes and control characters
 * escaped; stops before an escape that would not fit. */
static void put_json(char *line, size_t *n, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char esc[7] = {(char)*p, 0};
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
        } else if (*p < 0x20) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 15];
        }
        if (*n + strlen(esc) > cap - 4) /* room for the closing `"}` and the newline */
            return;
        put(line, n, cap, esc);
    }
}

/* {"ts":..,"level":..,"module":..,"req_id":..,"msg":"<msg>"} for log shippers. */
static void write_json(enum log_level lvl, const char *module, const char *msg)
{
    char line[4096], stamp[32];
    size_t n = 0;
    stamp[format_stamp(stamp)] = '\0';
    const char *keys[] = {"{\"ts\":\"", "\",\"level\":\"", "\",\"module\":\"", "\",\"req_id\":\"",
                          "\",\"msg\":\""};
    const char *vals[] = {stamp, level_names[lvl], module, log_reqid(), msg};
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        put(line, &n, sizeof(line), keys[i]);
        put_json(line, &n, sizeof(line), vals[i]);
    }
    if (n > sizeof(line) - 3)
        n = sizeof(line) - 3;
    memcpy(line + n, "\"}\n", 3);
    emit(lvl, line, n + 3);
}

static void write_text(enum log_level lvl, const char *module, const char *msg)
{
    char line[2048];
    size_t n = format_prefix(line, sizeof(line), lvl, module);
    put(line, &n, sizeof(line), msg);
    finish_line(lvl, line, n);
}

/* A message without prefix: held for later or written as JSON. */
static void write_bare(enum log_level lvl, const char *module, const char *msg)
{
    if (holding)
        hold(lvl, module, msg);
    else
        write_json(lvl, module, msg);
}

void log_write(enum log_level lvl, const char *module, const char *fmt, ...)
{
    char line[2048];
    bool bare = json_format || holding;
    size_t n = bare ? 0 : format_prefix(line, sizeof(line), lvl, module);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - 1 - n, fmt, ap);
    va_end(ap);
    if (m > 0)
        n += (size_t)m < sizeof(line) - 1 - n ? (size_t)m : sizeof(line) - 2 - n;
    if (bare) {
        line[n] = '\0';
        write_bare(lvl, module, line);
        return;
    }
    finish_line(lvl, line, n);
}

void log_write_parts(enum log_level lvl, const char *module, const char *const *parts, size_t n)
{
    char line[2048];
    bool bare = json_format || holding;
    size_t len = bare ? 0 : format_prefix(line, sizeof(line), lvl, module);
    for (size_t i = 0; i < n; i++)
        put(line, &len, sizeof(line), parts[i] ? parts[i] : "");
    if (bare) {
        line[len] = '\0';
        write_bare(lvl, module, line);
        return;
    }
    finish_line(lvl, line, len);
}
