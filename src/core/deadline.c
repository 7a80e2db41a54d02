#include "core/deadline.h"

#include <time.h>

static _Thread_local int64_t tls_deadline_ms;
static _Thread_local const atomic_int *tls_cancelled;

int64_t deadline_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void deadline_set(int64_t at_ms, const atomic_int *cancelled)
{
    tls_deadline_ms = at_ms;
    tls_cancelled = cancelled;
}

void deadline_clear(void)
{
    tls_deadline_ms = 0;
    tls_cancelled = NULL;
}

int64_t deadline_remaining_ms(int64_t fallback)
{
    if (tls_deadline_ms == 0)
        return fallback;
    int64_t left = tls_deadline_ms - deadline_now_ms();
    return left > 0 ? left : 0;
}

int64_t deadline_cap_ms(int64_t timeout_ms, int64_t reserve_ms)
{
    if (tls_deadline_ms == 0)
        return timeout_ms;
    int64_t left = deadline_remaining_ms(0) - reserve_ms;
    int64_t ms = timeout_ms > 0 && timeout_ms < left ? timeout_ms : left;
    return ms > 0 ? ms : 1;
}

bool deadline_cancelled(void)
{
    if (tls_cancelled && atomic_load_explicit(tls_cancelled, memory_order_relaxed))
        return true;
    return tls_deadline_ms != 0 && deadline_now_ms() >= tls_deadline_ms;
}

void deadline_detach(int64_t budget_ms, struct deadline_saved *saved)
{
    saved->at_ms = tls_deadline_ms;
    saved->cancelled = tls_cancelled;
    /* 0 means "no deadline": a detached one is always bounded */
    tls_deadline_ms = deadline_now_ms() + (budget_ms > 0 ? budget_ms : 1);
    tls_cancelled = NULL;
}

void deadline_restore(const struct deadline_saved *saved)
{
    tls_deadline_ms = saved->at_ms;
    tls_cancelled = saved->cancelled;
}
