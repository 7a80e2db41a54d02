#include "core/clock.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "core/mem.h"

struct clock {
    _Atomic int64_t shift_ms; /* stays 0 outside test builds */
};

struct clock *clock_new(void)
{
    struct clock *c = xcalloc(1, sizeof(*c));
    atomic_init(&c->shift_ms, 0);
    return c;
}

void clock_free(struct clock **cp)
{
    if (!cp || !*cp)
        return;
    free(*cp);
    *cp = NULL;
}

static int64_t system_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(const struct clock *c)
{
    return system_ms(CLOCK_REALTIME) + atomic_load(&c->shift_ms);
}

int64_t clock_mono_ms(const struct clock *c)
{
    return system_ms(CLOCK_MONOTONIC) + atomic_load(&c->shift_ms);
}

int64_t clock_now_s(const struct clock *c)
{
    return clock_now_ms(c) / 1000;
}

#ifdef QNLIVE_TEST_CLOCK
int64_t clock_advance_ms(struct clock *c, int64_t ms)
{
    if (ms < 0)
        ms = 0;
    return atomic_fetch_add(&c->shift_ms, ms) + ms;
}
#endif

struct timespec clock_mono_after_ms(int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
