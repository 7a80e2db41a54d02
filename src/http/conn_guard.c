#define LOG_MODULE "http"
#include "http/conn_guard.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/deadline.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/envelope.h"
#include "http/reqid.h"

/* How often the reaper looks: the lateness of a close, against a timeout of seconds. */
enum { REAPER_TICK_MS = 200 };

struct conn_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct conn_slot *head;
    int64_t timeout_ms;
    bool stopping;
    pthread_t reaper;
    atomic_long reaped;
};

/* Writes a whole JSON-envelope answer straight to the socket (best effort: a full send buffer
 * only loses the courtesy answer); the caller then shuts the socket. */
static void send_refusal(int fd, int status, const char *reason, const char *msg)
{
    char id[17], out[512];
    size_t blen;
    reqid_generate(id);
    char *body = envelope_render_error(id, status, msg, &blen);
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d %s\r\nConnection: close\r\n"
                     "Content-Type: application/json; charset=utf-8\r\nX-Reqid: %s\r\n"
                     "Content-Length: %zu\r\n\r\n%s",
                     status, reason, id, blen, body);
    free(body);
    if (n > 0 && (size_t)n < sizeof(out))
        (void)send(fd, out, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Under g->mu: the slot's deadline passed. The event thread notices the shut socket and
 * closes the connection itself, which keeps the fd valid until then. */
static void reap_locked(struct conn_guard *g, struct conn_slot *s)
{
    int expected = CONN_READING;
    if (!atomic_compare_exchange_strong(&s->state, &expected, CONN_REAPED))
        return;
    if (atomic_load(&s->refusal) == 414)
        send_refusal(s->fd, 414, "URI Too Long", "too many query parameters");
    else if (atomic_load(&s->has_request_line))
        send_refusal(s->fd, 408, "Request Timeout", "Request Timeout");
    shutdown(s->fd, SHUT_RDWR);
    atomic_fetch_add(&g->reaped, 1);
}

static void reap_due_locked(struct conn_guard *g)
{
    int64_t now = deadline_now_ms();
    for (struct conn_slot *s = g->head; s; s = s->next) {
        if (atomic_load(&s->state) == CONN_READING && atomic_load(&s->deadline_ms) <= now)
            reap_locked(g, s);
    }
}

static void *reaper_main(void *arg)
{
    struct conn_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stopping) {
        struct timespec until = clock_mono_after_ms(REAPER_TICK_MS);
        pthread_cond_timedwait(&g->cv, &g->mu, &until);
        reap_due_locked(g);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

struct conn_guard *conn_guard_new(unsigned read_timeout_s)
{
    struct conn_guard *g = xcalloc(1, sizeof(*g));
    pthread_mutex_init(&g->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cv, &ca);
    pthread_condattr_destroy(&ca);
    g->timeout_ms = (int64_t)read_timeout_s * 1000;
    if (g->timeout_ms > 0 && pthread_create(&g->reaper, NULL, reaper_main, g) != 0)
        abort(); /* no threads at start-up: nothing sensible to serve with */
    return g;
}

void conn_guard_free(struct conn_guard **gp)
{
    if (!gp || !*gp)
        return;
    struct conn_guard *g = *gp;
    if (g->timeout_ms > 0) {
        pthread_mutex_lock(&g->mu);
        g->stopping = true;
        pthread_cond_signal(&g->cv);
        pthread_mutex_unlock(&g->mu);
        pthread_join(g->reaper, NULL);
    }
    if (atomic_load(&g->reaped) > 0)
        log_info("%ld connections closed for reading a request too slowly",
                 atomic_load(&g->reaped));
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
    *gp = NULL;
}

static int64_t read_deadline(const struct conn_guard *g)
{
    return g->timeout_ms > 0 ? deadline_now_ms() + g->timeout_ms : INT64_MAX;
}

struct conn_slot *conn_guard_open(struct conn_guard *g, int fd)
{
    struct conn_slot *s = xcalloc(1, sizeof(*s));
    s->fd = fd;
    atomic_init(&s->state, CONN_READING);
    atomic_init(&s->deadline_ms, read_deadline(g));
    pthread_mutex_lock(&g->mu);
    s->next = g->head;
    if (g->head)
        g->head->prev = s;
    g->head = s;
    pthread_mutex_unlock(&g->mu);
    return s;
}

void conn_guard_close(struct conn_guard *g, struct conn_slot *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&g->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        g->head = s->next;
    if (s->next)
        s->next->prev = s->prev;
    pthread_mutex_unlock(&g->mu);
    free(s->raw_uri);
    free(s);
}

void conn_slot_request_line(struct conn_slot *s, const char *uri, int64_t now_ms)
{
    size_t n = strlen(uri);
    if (n + 1 > s->raw_cap) {
        s->raw_cap = n + 1 < 256 ? 256 : n + 1;
        free(s->raw_uri);
        s->raw_uri = xmalloc(s->raw_cap);
    }
    memcpy(s->raw_uri, uri, n + 1);
    s->request_start_ms = now_ms;
    atomic_store(&s->refusal, 0); /* a refusal belongs to one request, not the connection */
    atomic_store(&s->has_request_line, true);
}

bool conn_slot_serving(struct conn_slot *s)
{
    int expected = CONN_READING;
    if (atomic_compare_exchange_strong(&s->state, &expected, CONN_SERVING))
        return true;
    return expected == CONN_SERVING;
}

void conn_slot_reading(struct conn_guard *g, struct conn_slot *s)
{
    atomic_store(&s->has_request_line, false);
    atomic_store(&s->deadline_ms, read_deadline(g));
    int expected = CONN_SERVING;
    (void)atomic_compare_exchange_strong(&s->state, &expected, CONN_READING);
}

void conn_slot_refuse_uri(struct conn_slot *s)
{
    atomic_store(&s->refusal, 414);
    atomic_store(&s->deadline_ms, deadline_now_ms());
}

bool conn_slot_closed(const struct conn_slot *s)
{
    return atomic_load(&s->state) == CONN_REAPED;
}
