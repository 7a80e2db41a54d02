#define LOG_MODULE "app"
#include "app_wait.h"

#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "cache/cache.h"
#include "core/log.h"
#include "store/store.h"

/* Back-off between attempts: doubles from the first delay up to the cap. */
enum { WAIT_FIRST_MS = 250, WAIT_CAP_MS = 5000 };

struct wait {
    const char *what;
    int64_t deadline_ms;
    int64_t started_ms;
    int64_t delay_ms;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct wait wait_begin(const struct app *a, const char *what)
{
    int64_t now = now_ms();
    return (struct wait){
        .what = what,
        .started_ms = now,
        .deadline_ms = now + a->conf.startup.dependency_wait_s * 1000,
        .delay_ms = WAIT_FIRST_MS,
    };
}

/* A stop request must not sit behind a minute of retries. */
static bool stop_requested(void)
{
    sigset_t pending;
    if (sigpending(&pending) != 0)
        return false;
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

/* Sleeps before the next attempt after `err`; false when the wait is over. */
static bool wait_again(struct wait *w, err_t err)
{
    int64_t now = now_ms();
    if (err != ERR_UNAVAILABLE || now >= w->deadline_ms || stop_requested())
        return false;
    int64_t delay = w->delay_ms;
    if (delay > w->deadline_ms - now)
        delay = w->deadline_ms - now;
    log_warn("%s not reachable yet (%s); retrying in %" PRId64 " ms (waited %" PRId64
             " s, gives up after %" PRId64 " s)",
             w->what, err_name(err), delay, (now - w->started_ms) / 1000,
             (w->deadline_ms - w->started_ms) / 1000);
    struct timespec ts = {.tv_sec = delay / 1000, .tv_nsec = (delay % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    w->delay_ms = w->delay_ms * 2 > WAIT_CAP_MS ? WAIT_CAP_MS : w->delay_ms * 2;
    return true;
}

err_t app_wait_store(struct app *a)
{
    struct wait w = wait_begin(a, a->conf.mysql.enabled ? "database (mysql)" : "database");
    err_t err;
    while ((err = store_open(&a->conf, &a->store)) != ERR_OK) {
        store_close(&a->store);
        if (!wait_again(&w, err))
            return err;
    }
    if (now_ms() - w.started_ms >= 1000)
        log_info("%s answered after %" PRId64 " s", w.what, (now_ms() - w.started_ms) / 1000);
    return ERR_OK;
}

err_t app_wait_cache(struct app *a)
{
    struct wait w = wait_begin(a, "cache (redis)");
    err_t err;
    while ((err = cache_open(&a->conf, &a->cache)) != ERR_OK) {
        cache_close(&a->cache);
        if (!wait_again(&w, err))
            return err;
    }
    if (!a->conf.cache.enabled)
        return ERR_OK;
    while ((err = cache_ping(a->cache)) != ERR_OK) {
        if (!wait_again(&w, err)) {
            log_warn("cache is not reachable yet; requests needing it fail until it is");
            return ERR_OK;
        }
    }
    return ERR_OK;
}
