#define LOG_MODULE "bulkhead"
#include "core/bulkhead.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>

#include "core/clock.h"
#include "core/deadline.h"
#include "core/log.h"
#include "core/noblock.h"

/* Full slots none of which came back for this long mean a hung dependency: waiting for one is
 * pointless, the caller fails at once. */
enum { BULKHEAD_STALL_MS = 1000 };

void bulkhead_init(struct bulkhead *b, const char *name, int limit, int64_t wait_ms)
{
    b->name = name;
    b->limit = limit;
    b->wait_ms = wait_ms;
    b->used = 0;
    b->last_leave_ms = deadline_now_ms();
    atomic_init(&b->rejected, 0);
    pthread_mutex_init(&b->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->cv, &ca);
    pthread_condattr_destroy(&ca);
}

void bulkhead_destroy(struct bulkhead *b)
{
    if (!b)
        return;
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
}

static void note_rejection(struct bulkhead *b)
{
    long n = atomic_fetch_add(&b->rejected, 1) + 1;
    /* one line for the first refusal and then one per thousand: an outage must not flood */
    if (n == 1 || n % 1000 == 0)
        log_warn("%s: all %d slots busy, %ld calls refused so far", b->name, b->limit, n);
}

err_t bulkhead_enter(struct bulkhead *b)
{
    if (!b || b->limit <= 0)
        return ERR_OK;
    int64_t wait = b->wait_ms;
    int64_t left = deadline_remaining_ms(wait);
    if (left < wait)
        wait = left;
    struct timespec until = clock_mono_after_ms(wait);
    pthread_mutex_lock(&b->mu);
    if (b->used >= b->limit && deadline_now_ms() - b->last_leave_ms > BULKHEAD_STALL_MS)
        wait = 0;
    /* a thread that must not block takes a free slot but never waits for one */
    bool marked = b->used >= b->limit && noblock_is_set();
    int rc = marked ? ETIMEDOUT : 0;
    while (b->used >= b->limit && rc != ETIMEDOUT)
        rc = wait > 0 ? pthread_cond_timedwait(&b->cv, &b->mu, &until) : ETIMEDOUT;
    bool admitted = b->used < b->limit;
    if (admitted && ++b->used == b->limit)
        b->last_leave_ms = deadline_now_ms(); /* a stall is counted from when it filled */
    pthread_mutex_unlock(&b->mu);
    if (admitted)
        return ERR_OK;
    if (marked)
        return noblock_check();
    note_rejection(b);
    return ERR_UNAVAILABLE;
}

void bulkhead_leave(struct bulkhead *b)
{
    if (!b || b->limit <= 0)
        return;
    pthread_mutex_lock(&b->mu);
    b->used--;
    b->last_leave_ms = deadline_now_ms();
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}
