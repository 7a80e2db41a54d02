#define LOG_MODULE "httpc"

#include "clients/httpc.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/bulkhead.h"
#include "core/noblock.h"
#include "core/deadline.h"
#include "core/log.h"
#include "core/mem.h"
#include "metrics/metrics.h"

enum {
    HTTPC_DEFAULT_CONNECT_MS = 3000,
    HTTPC_DEFAULT_TIMEOUT_MS = 5000,
    HTTPC_DEFAULT_MAX_RESPONSE = 1024 * 1024,
    HTTPC_MAX_REDIRECTS = 5,
    /* a call made for a request ends this long before the request's deadline, so the handler
     * can still answer with the call's failure (a payment failure, a skipped notification)
     * instead of the deadline's 503 */
    HTTPC_ANSWER_RESERVE_MS = 500,
};

/* One bulkhead per limited service: a hung payment hook or IM service holds only its own
 * slots. Filled at start-up, read-only afterwards. */
enum { HTTPC_LIMITED_MAX = 16 };
static struct bulkhead limits[HTTPC_LIMITED_MAX];
static size_t n_limits;

void httpc_limit(const char *service, int limit)
{
    for (size_t i = 0; i < n_limits; i++) {
        if (strcmp(limits[i].name, service) == 0) {
            limits[i].limit = limit;
            return;
        }
    }
    if (n_limits < HTTPC_LIMITED_MAX)
        bulkhead_init(&limits[n_limits++], service, limit, 0);
}

static struct bulkhead *limit_of(const char *service)
{
    for (size_t i = 0; i < n_limits; i++) {
        if (strcmp(limits[i].name, service) == 0)
            return &limits[i];
    }
    return NULL;
}

/* One easy handle per thread: curl keeps its connection cache and DNS cache in the handle, so
 * reusing it gives keep-alive without any lock. The key's destructor frees it at thread exit. */
static pthread_key_t handle_key;
static pthread_once_t handle_once = PTHREAD_ONCE_INIT;

static void handle_destroy(void *p)
{
    curl_easy_cleanup(p);
}

static void handle_key_create(void)
{
    (void)pthread_key_create(&handle_key, handle_destroy);
}

static CURL *thread_handle(void)
{
    pthread_once(&handle_once, handle_key_create);
    CURL *h = pthread_getspecific(handle_key);
    if (!h) {
        h = curl_easy_init();
        if (h && pthread_setspecific(handle_key, h) != 0) {
            curl_easy_cleanup(h);
            h = NULL;
        }
    } else {
        curl_easy_reset(h); /* drops options, keeps live connections */
    }
    return h;
}

/* Response accumulation with a hard cap: the write callback refuses bytes past it, which makes
 * curl abort the transfer with CURLE_WRITE_ERROR. */
struct sink {
    char *p;
    size_t len, cap, max;
    bool too_big;
};

static size_t sink_write(char *data, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t add = size * n;
    if (add > s->max - s->len) {
        s->too_big = true;
        return 0;
    }
    if (s->len + add + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + add + 1)
            cap *= 2;
        s->p = xrealloc(s->p, cap);
        s->cap = cap;
    }
    memcpy(s->p + s->len, data, add);
    s->len += add;
    s->p[s->len] = '\0';
    return add;
}

static struct curl_slist *build_headers(const struct httpc_req *rq)
{
    struct curl_slist *list = NULL;
    char line[256];

    /* the id is only forwarded when one is set, and cut at any control byte so it can never
     * smuggle a second header line */
    const char *id = log_reqid();
    if (strcmp(id, "-") != 0) {
        int n = 0;
        while (id[n] && n < 128 && (unsigned char)id[n] >= 0x20 && id[n] != 0x7f)
            n++;
        snprintf(line, sizeof(line), "X-Reqid: %.*s", n, id);
        list = curl_slist_append(list, line);
    }
    list = curl_slist_append(list, "User-Agent: qnlive/" QNLIVE_VERSION);
    /* curl would otherwise wait up to 1 s for "100 Continue" on bodies over 1 KiB */
    list = curl_slist_append(list, "Expect:");
    for (const char *const *h = rq->headers; h && *h; h++)
        list = curl_slist_append(list, *h);
    return list;
}

static void set_method(CURL *h, const struct httpc_req *rq)
{
    const char *m = rq->method ? rq->method : "GET";
    if (strcmp(m, "GET") == 0 && !rq->body) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        return;
    }
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        return;
    }
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
    if (strcmp(m, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
}

/* Stops the transfer once nobody waits for the request that made it. */
static int abandoned(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                     curl_off_t ulnow)
{
    (void)ud;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return deadline_cancelled() ? 1 : 0;
}

static void set_options(CURL *h, const struct httpc_req *rq, struct curl_slist *hdrs,
                        struct sink *s, char *errbuf)
{
    long connect_own =
        rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : HTTPC_DEFAULT_CONNECT_MS;
    long total_own = rq->timeout_ms > 0 ? rq->timeout_ms : HTTPC_DEFAULT_TIMEOUT_MS;
    long connect_ms = (long)deadline_cap_ms(connect_own, HTTPC_ANSWER_RESERVE_MS);
    long total_ms = (long)deadline_cap_ms(total_own, HTTPC_ANSWER_RESERVE_MS);

    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    /* the reference's HTTP stack follows redirects; keep that, bounded */
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, (long)HTTPC_MAX_REDIRECTS);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* timeouts without SIGALRM: we are threaded */
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abandoned);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    set_method(h, rq);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *outcome_of(CURLcode rc, bool too_big, long status)
{
    if (rc == CURLE_OPERATION_TIMEDOUT)
        return "timeout";
    if (rc != CURLE_OK || too_big)
        return "error";
    return status >= 200 && status < 400 ? "ok" : "http_error";
}

/* Transport failure text; never includes headers (they may carry tokens). */
static void describe_failure(struct httpc_resp *out, CURLcode rc, bool too_big, const char *errbuf)
{
    if (too_big || rc == CURLE_FILESIZE_EXCEEDED)
        snprintf(out->error, sizeof(out->error), "response larger than the cap");
    else
        snprintf(out->error, sizeof(out->error), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

static err_t perform(const struct httpc_req *rq, const char *service, struct httpc_resp *out)
{
    struct sink s = {.max = rq->max_response ? rq->max_response : HTTPC_DEFAULT_MAX_RESPONSE};
    char errbuf[CURL_ERROR_SIZE] = "";
    double t0 = now_seconds();
    long status = 0;
    CURL *h = thread_handle();
    if (!h) {
        snprintf(out->error, sizeof(out->error), "curl_easy_init failed");
        metrics_observe_upstream(service, "error", 0);
        return ERR_UPSTREAM;
    }
    struct curl_slist *hdrs = build_headers(rq);
    set_options(h, rq, hdrs, &s, errbuf);
    CURLcode rc = curl_easy_perform(h);
    curl_slist_free_all(hdrs);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    metrics_observe_upstream(service, outcome_of(rc, s.too_big, status), now_seconds() - t0);

    if (rc != CURLE_OK || s.too_big) {
        describe_failure(out, rc, s.too_big, errbuf);
        free(s.p);
        log_debug("%s %s failed: %s", service, rq->method ? rq->method : "GET", out->error);
        return ERR_UPSTREAM;
    }
    out->status = status;
    out->body = s.p ? s.p : xstrdup("");
    out->body_len = s.len;
    return ERR_OK;
}

err_t httpc_do(const struct httpc_req *rq, struct httpc_resp *out)
{
    const char *service = rq->service ? rq->service : "other";

    memset(out, 0, sizeof(*out));
    /* a cloud service is a network round trip: never on a thread that must not block */
    err_t err = noblock_check();
    if (err) {
        snprintf(out->error, sizeof(out->error), "%s: not on this thread", service);
        return err;
    }
    struct bulkhead *b = limit_of(service);
    if (bulkhead_enter(b)) {
        snprintf(out->error, sizeof(out->error), "%s: too many calls in flight", service);
        metrics_observe_upstream(service, "rejected", 0);
        return ERR_UPSTREAM;
    }
    err = perform(rq, service, out);
    bulkhead_leave(b);
    return err;
}

void httpc_resp_free(struct httpc_resp *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

void httpc_global_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void httpc_global_cleanup(void)
{
    /* the calling thread's handle: worker threads free theirs through the key destructor */
    pthread_once(&handle_once, handle_key_create);
    CURL *h = pthread_getspecific(handle_key);
    if (h) {
        curl_easy_cleanup(h);
        pthread_setspecific(handle_key, NULL);
    }
    curl_global_cleanup();
}
