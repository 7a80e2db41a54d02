/* The metrics registry: a few fixed families, each a lock-free open-addressing table of series.
 * Lookups on the hot path only load atomics and compare strings; a mutex is taken only the
 * first time a label combination is seen. Series are never removed while the process runs, so
 * a reader can never see a freed series. */
#define LOG_MODULE "metrics"

#include "metrics/metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "metrics/metrics_int.h"

enum {
    LABELS_MAX = 3,
    SLOTS = 1024,     /* power of two */
    SERIES_MAX = 768, /* per family: a label-cardinality bug cannot eat the heap */
    NBOUNDS = 11,
};

/* The Prometheus client defaults, with the exact text the Go client prints for `le`. */
static const struct {
    double le;
    const char *text;
} bounds[NBOUNDS] = {
    {0.005, "0.005"}, {0.01, "0.01"}, {0.025, "0.025"}, {0.05, "0.05"},
    {0.1, "0.1"},     {0.25, "0.25"}, {0.5, "0.5"},     {1, "1"},
    {2.5, "2.5"},     {5, "5"},       {10, "10"},
};

_Static_assert((int)NBOUNDS == (int)METRICS_LATENCY_BOUNDS, "metrics.h shows the same buckets");

struct series {
    char *vals[LABELS_MAX];
    /* Non-cumulative bucket counts, the last one is +Inf; the count is their sum, so _count
     * and the +Inf bucket always agree. Counter-only families use the +Inf bucket alone. */
    _Atomic uint64_t buckets[NBOUNDS + 1];
    _Atomic uint64_t sum_ns;
    _Atomic uint64_t extra;    /* cron failures */
    _Atomic int64_t last_ok_s; /* cron: Unix time of the last successful run, 0 = none yet */
};

struct family {
    size_t nlabels;
    size_t count; /* under insert_mu */
    _Atomic(struct series *) slots[SLOTS];
};

static struct family fam_http = {.nlabels = 3};    /* method, route, status */
static struct family fam_up_req = {.nlabels = 2};  /* service, outcome */
static struct family fam_up_dur = {.nlabels = 1};  /* service */
static struct family fam_cron = {.nlabels = 1};    /* job */
static struct family fam_refusal = {.nlabels = 2}; /* route, reason */
static struct family *const families[] = {&fam_http, &fam_up_req, &fam_up_dur, &fam_cron,
                                          &fam_refusal};

static pthread_mutex_t insert_mu = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool enabled;
static _Atomic int64_t inflight;
static _Atomic uint64_t dropped;
static _Atomic int64_t start_time_s;

void metrics_init(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    atomic_store(&start_time_s, (int64_t)ts.tv_sec);
    atomic_store(&enabled, true);
}

bool metrics_enabled(void)
{
    return atomic_load_explicit(&enabled, memory_order_relaxed);
}

void metrics_reset(void)
{
    pthread_mutex_lock(&insert_mu);
    for (size_t f = 0; f < ARRAY_LEN(families); f++) {
        for (size_t i = 0; i < SLOTS; i++) {
            struct series *s = atomic_exchange(&families[f]->slots[i], NULL);
            if (!s)
                continue;
            for (size_t l = 0; l < LABELS_MAX; l++)
                free(s->vals[l]);
            free(s);
        }
        families[f]->count = 0;
    }
    pthread_mutex_unlock(&insert_mu);
    atomic_store(&inflight, 0);
    atomic_store(&dropped, 0);
    metrics_reset_biz();
}

static uint64_t hash_vals(size_t n, const char *const *vals)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a; the NUL after each value separates them */
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = (const unsigned char *)vals[i];
        do {
            h ^= *p;
            h *= 1099511628211ULL;
        } while (*p++);
    }
    return h;
}

static bool series_match(const struct series *s, size_t n, const char *const *vals)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s->vals[i], vals[i]) != 0)
            return false;
    }
    return true;
}

/* Slow path: re-probe under the mutex (another thread may have inserted meanwhile). */
static struct series *series_insert(struct family *f, const char *const *vals, uint64_t h)
{
    struct series *found = NULL;
    size_t i = (size_t)h & (SLOTS - 1);

    pthread_mutex_lock(&insert_mu);
    for (size_t probe = 0; probe < SLOTS; probe++, i = (i + 1) & (SLOTS - 1)) {
        struct series *s = atomic_load_explicit(&f->slots[i], memory_order_relaxed);
        if (s && series_match(s, f->nlabels, vals)) {
            found = s;
            break;
        }
        if (s)
            continue;
        if (f->count >= SERIES_MAX)
            break;
        found = xcalloc(1, sizeof(*found));
        for (size_t l = 0; l < f->nlabels; l++)
            found->vals[l] = xstrdup(vals[l]);
        atomic_store_explicit(&f->slots[i], found, memory_order_release);
        f->count++;
        break;
    }
    pthread_mutex_unlock(&insert_mu);
    if (!found)
        atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    return found;
}

/* Finds or creates the series for `vals`; NULL when the family is full. */
static struct series *series_get(struct family *f, const char *const *vals)
{
    uint64_t h = hash_vals(f->nlabels, vals);
    size_t i = (size_t)h & (SLOTS - 1);

    for (size_t probe = 0; probe < SLOTS; probe++, i = (i + 1) & (SLOTS - 1)) {
        struct series *s = atomic_load_explicit(&f->slots[i], memory_order_acquire);
        if (!s)
            break;
        if (series_match(s, f->nlabels, vals))
            return s;
    }
    return series_insert(f, vals, h);
}

static void series_observe(struct series *s, double seconds)
{
    size_t b = 0;

    if (!(seconds >= 0)) /* negative or NaN: a clock glitch, not a real latency */
        seconds = 0;
    while (b < NBOUNDS && seconds > bounds[b].le)
        b++;
    atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    /* 1e10 s caps the conversion far below UINT64_MAX ns */
    uint64_t ns = (uint64_t)llround(fmin(seconds, 1e10) * 1e9);
    atomic_fetch_add_explicit(&s->sum_ns, ns, memory_order_relaxed);
}

static void series_count(struct series *s)
{
    atomic_fetch_add_explicit(&s->buckets[NBOUNDS], 1, memory_order_relaxed);
}

/* Clients choose the method string: anything unknown collapses to one label value. */
static const char *method_label(const char *m)
{
    static const char *const known[] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                        "PATCH", "OPTIONS", "TRACE", "CONNECT"};
    for (size_t i = 0; m && i < ARRAY_LEN(known); i++) {
        if (strcmp(m, known[i]) == 0)
            return known[i];
    }
    return "OTHER";
}

void metrics_observe_http(const char *method, const char *route, int status, double seconds)
{
    char code[8] = "0";

    if (!atomic_load_explicit(&enabled, memory_order_relaxed))
        return;
    if (status >= 100 && status <= 999)
        snprintf(code, sizeof(code), "%d", status);
    const char *vals[] = {method_label(method), route ? route : "", code};
    struct series *s = series_get(&fam_http, vals);
    if (s)
        series_observe(s, seconds);
}

void metrics_observe_refusal(const char *route, const char *reason)
{
    if (!atomic_load_explicit(&enabled, memory_order_relaxed))
        return;
    const char *vals[] = {route ? route : "", reason ? reason : ""};
    struct series *s = series_get(&fam_refusal, vals);
    if (s)
        series_count(s);
}

void metrics_inflight_add(int delta)
{
    if (atomic_load_explicit(&enabled, memory_order_relaxed))
        atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}

void metrics_observe_upstream(const char *service, const char *outcome, double seconds)
{
    if (!atomic_load_explicit(&enabled, memory_order_relaxed))
        return;
    const char *req_vals[] = {service ? service : "", outcome ? outcome : ""};
    struct series *s = series_get(&fam_up_req, req_vals);
    if (s)
        series_count(s);
    s = series_get(&fam_up_dur, req_vals);
    if (s)
        series_observe(s, seconds);
}

void metrics_observe_cron(const char *job, int failed, double seconds)
{
    if (!atomic_load_explicit(&enabled, memory_order_relaxed))
        return;
    const char *vals[] = {job ? job : ""};
    struct series *s = series_get(&fam_cron, vals);
    if (!s)
        return;
    series_observe(s, seconds);
    if (failed) {
        atomic_fetch_add_explicit(&s->extra, 1, memory_order_relaxed);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    atomic_store_explicit(&s->last_ok_s, (int64_t)ts.tv_sec, memory_order_relaxed);
}

void metrics_http_totals(struct metrics_http_totals *out)
{
    memset(out, 0, sizeof(*out));
    out->start_time_s = atomic_load(&start_time_s);
    out->in_flight = atomic_load(&inflight);
    for (size_t b = 0; b < NBOUNDS; b++)
        out->bounds[b] = bounds[b].le;
    uint64_t sum_ns = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        struct series *s = atomic_load_explicit(&fam_http.slots[i], memory_order_acquire);
        if (!s)
            continue;
        for (size_t b = 0; b <= NBOUNDS; b++)
            out->cumulative[b] += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
        sum_ns += atomic_load_explicit(&s->sum_ns, memory_order_relaxed);
    }
    /* the series keep per-bucket counts: make them cumulative, as Prometheus shows them */
    for (size_t b = 1; b <= NBOUNDS; b++)
        out->cumulative[b] += out->cumulative[b - 1];
    out->requests = out->cumulative[NBOUNDS];
    out->sum_seconds = (double)sum_ns / 1e9;
}

/* ---- rendering ---------------------------------------------------------------------------- */

enum view_kind { VIEW_HIST, VIEW_COUNT, VIEW_EXTRA, VIEW_LAST_OK };

/* One exposed metric family, read from a registry family. Labels are listed in alphabetical
 * order (as the Go client prints them); idx maps each to the series value it shows. */
struct view {
    const char *name;
    const char *help;
    enum view_kind kind;
    struct family *fam;
    const char *labels[LABELS_MAX];
    unsigned char idx[LABELS_MAX];
};

static const struct view views[] = {
    {"qnlive_http_api",
     "Histogram of response latency (seconds) of http handlers.",
     VIEW_HIST,
     &fam_http,
     {"code", "handler", "method"},
     {2, 1, 0}},
    {"qnlive_http_requests_total",
     "HTTP requests served, by method, route template and status.",
     VIEW_COUNT,
     &fam_http,
     {"method", "route", "status"},
     {0, 1, 2}},
    {"qnlive_http_refusals_total",
     "Requests a business rule refused (also counted in qnlive_http_requests_total), by route "
     "template and rule; not failures of the server.",
     VIEW_COUNT,
     &fam_refusal,
     {"reason", "route"},
     {1, 0}},
    {"qnlive_upstream_requests_total",
     "Outbound HTTP calls, by service and outcome.",
     VIEW_COUNT,
     &fam_up_req,
     {"outcome", "service"},
     {1, 0}},
    {"qnlive_upstream_duration_seconds",
     "Latency of outbound HTTP calls in seconds.",
     VIEW_HIST,
     &fam_up_dur,
     {"service"},
     {0}},
    {"qnlive_cron_runs_total", "Cron job runs.", VIEW_COUNT, &fam_cron, {"job"}, {0}},
    {"qnlive_cron_failures_total",
     "Cron job runs that returned an error.",
     VIEW_EXTRA,
     &fam_cron,
     {"job"},
     {0}},
    {"qnlive_cron_last_success_timestamp_seconds",
     "Unix time of the last successful run of a cron job (0: none since start).",
     VIEW_LAST_OK,
     &fam_cron,
     {"job"},
     {0}},
    {"qnlive_cron_duration_seconds",
     "Duration of cron job runs in seconds.",
     VIEW_HIST,
     &fam_cron,
     {"job"},
     {0}},
};

static size_t sort_nlabels;

static int cmp_series(const void *a, const void *b)
{
    const struct series *x = *(struct series *const *)a;
    const struct series *y = *(struct series *const *)b;
    for (size_t i = 0; i < sort_nlabels; i++) {
        int c = strcmp(x->vals[i], y->vals[i]);
        if (c)
            return c;
    }
    return 0;
}

/* Snapshot of a family's series, sorted; caller frees the array (not the series). */
static struct series **family_snapshot(struct family *f, size_t *n)
{
    struct series **out = xmalloc(SLOTS * sizeof(*out));
    size_t k = 0;
    for (size_t i = 0; i < SLOTS; i++) {
        struct series *s = atomic_load_explicit(&f->slots[i], memory_order_acquire);
        if (s)
            out[k++] = s;
    }
    /* qsort has no context argument: render_mu makes the static safe */
    sort_nlabels = f->nlabels;
    qsort(out, k, sizeof(*out), cmp_series);
    *n = k;
    return out;
}

/* Writes `{a="x",b="y"` (no closing brace) so callers can append `le`. */
static void put_labels(struct mbuf *b, const struct view *v, const struct series *s)
{
    size_t nl = v->fam->nlabels;
    mbuf_putc(b, '{');
    for (size_t i = 0; i < nl; i++) {
        if (i)
            mbuf_putc(b, ',');
        mbuf_puts(b, v->labels[i]);
        mbuf_puts(b, "=\"");
        mbuf_put_escaped(b, s->vals[v->idx[i]], true);
        mbuf_putc(b, '"');
    }
}

static void put_hist(struct mbuf *b, const struct view *v, const struct series *s)
{
    uint64_t cum = 0;
    for (size_t i = 0; i <= NBOUNDS; i++) {
        cum += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
        mbuf_printf(b, "%s_bucket", v->name);
        put_labels(b, v, s);
        mbuf_printf(b, ",le=\"%s\"} %" PRIu64 "\n", i < NBOUNDS ? bounds[i].text : "+Inf", cum);
    }
    mbuf_printf(b, "%s_sum", v->name);
    put_labels(b, v, s);
    mbuf_puts(b, "} ");
    mbuf_put_fixed(b, atomic_load_explicit(&s->sum_ns, memory_order_relaxed), 1000000000);
    mbuf_printf(b, "\n%s_count", v->name);
    put_labels(b, v, s);
    mbuf_printf(b, "} %" PRIu64 "\n", cum);
}

static uint64_t series_total(const struct series *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i <= NBOUNDS; i++)
        n += atomic_load_explicit(&s->buckets[i], memory_order_relaxed);
    return n;
}

static const char *view_type(enum view_kind k)
{
    return k == VIEW_HIST ? "histogram" : k == VIEW_LAST_OK ? "gauge" : "counter";
}

static uint64_t view_value(enum view_kind k, const struct series *s)
{
    if (k == VIEW_COUNT)
        return series_total(s);
    if (k == VIEW_LAST_OK)
        return (uint64_t)atomic_load_explicit(&s->last_ok_s, memory_order_relaxed);
    return atomic_load_explicit(&s->extra, memory_order_relaxed);
}

static void render_view(struct mbuf *b, const struct view *v)
{
    size_t n;
    struct series **all = family_snapshot(v->fam, &n);

    /* An empty family is left out, as the Go client does; some parsers reject it. */
    if (n > 0)
        mbuf_put_header(b, v->name, v->help, view_type(v->kind));
    for (size_t i = 0; i < n; i++) {
        if (v->kind == VIEW_HIST) {
            put_hist(b, v, all[i]);
            continue;
        }
        mbuf_puts(b, v->name);
        put_labels(b, v, all[i]);
        mbuf_printf(b, "} %" PRIu64 "\n", view_value(v->kind, all[i]));
    }
    free(all);
}

char *metrics_render(size_t *len)
{
    static pthread_mutex_t render_mu = PTHREAD_MUTEX_INITIALIZER;
    struct mbuf b = {0};

    pthread_mutex_lock(&render_mu);
    for (size_t i = 0; i < ARRAY_LEN(views); i++)
        render_view(&b, &views[i]);
    pthread_mutex_unlock(&render_mu);
    mbuf_put_header(&b, "qnlive_http_requests_in_flight", "HTTP requests being served.", "gauge");
    mbuf_printf(&b, "qnlive_http_requests_in_flight %" PRId64 "\n", atomic_load(&inflight));
    mbuf_put_header(&b, "qnlive_metrics_series_dropped_total",
                    "Observations dropped because a family reached its series cap.", "counter");
    mbuf_printf(&b, "qnlive_metrics_series_dropped_total %" PRIu64 "\n", atomic_load(&dropped));
    metrics_render_biz(&b);
    metrics_render_process(&b, atomic_load(&start_time_s));
    return mbuf_take(&b, len);
}
