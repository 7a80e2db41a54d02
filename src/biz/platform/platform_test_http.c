/* Routes of the test build only (QNLIVE_TEST_CLOCK): the API suite moves the business clock
 * forward and runs a scheduled job at once, so timeout and expiry tests never wait, and holds
 * the store's connections to see requests that must wait for one. A production build compiles
 * none of this. */
#define LOG_MODULE "platform"

#include "biz/platform/platform.h"

#ifdef QNLIVE_TEST_CLOCK

#include <inttypes.h>
#include <time.h>

#include "app.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"
#include "http/req.h"
#include "http/router.h"
#include "store/store.h"

enum { CLOCK_ADVANCE_MAX_S = 10 * 365 * 86400 };

/* POST /test/clock?advance_s=N: moves the clock N seconds forward; answers the total shift. */
static err_t handle_clock(struct req *r)
{
    int64_t s = 0;
    err_t err = req_query_i64(r, "advance_s", 0, 0, CLOCK_ADVANCE_MAX_S, &s);
    if (err)
        return req_fail(r, err, NULL);
    int64_t shift_ms = clock_advance_ms(r->app->clock, s * 1000);
    log_info("clock moved forward %" PRId64 " s (shift now %" PRId64 " ms)", s, shift_ms);
    json_t *o = json_object();
    json_object_set_new(o, "shift_ms", json_integer(shift_ms));
    json_object_set_new(o, "now", json_integer(clock_now_s(r->app->clock)));
    return req_ok(r, o);
}

enum { RUN_JOB_TRIES = 200, RUN_JOB_PAUSE_MS = 50 };

/* Runs the job now; when its scheduled run is under way, waits for it and runs again, so the
 * caller sees a run that started after its request. A job that failed is not run again. */
static err_t run_job_now(struct cron *c, const char *name, enum cron_outcome *how)
{
    err_t err = cron_run_now(c, name, how);
    for (int i = 1; *how == CRON_BUSY && i < RUN_JOB_TRIES; i++) {
        struct timespec pause = {.tv_nsec = RUN_JOB_PAUSE_MS * 1000000L};
        nanosleep(&pause, NULL);
        err = cron_run_now(c, name, how);
    }
    return err;
}

/* POST /test/cron/:job: runs a scheduled job now, through the same checks as its schedule.
 * Answers {"ran": true} after a successful run, {"ran": false} when the job is another node's
 * (it holds the singleton lease), and the job's error when it failed. */
static err_t handle_run_job(struct req *r)
{
    const char *name = req_param(r, "job");
    enum cron_outcome how = CRON_NOT_HERE;
    err_t err = run_job_now(r->app->cron, name, &how);
    if (err == ERR_NOT_FOUND || (err && how != CRON_NOT_HERE))
        return req_fail(r, err, "job %s: %s", name, err_name(err));
    json_t *o = json_object();
    json_object_set_new(o, "ran", json_boolean(how == CRON_RAN));
    return req_ok(r, o);
}

enum { HOLD_MAX_MS = 4000, HOLD_CONNS_MAX = 64 };

/* POST /test/store/hold?ms=N: takes every connection of the read-write pool and keeps them N ms,
 * so any request that needs one meanwhile has to wait for it. Answers once they are back. */
static err_t handle_store_hold(struct req *r)
{
    struct store_conn *held[HOLD_CONNS_MAX];
    struct store_pool_usage u;
    size_t n = 0;
    int64_t ms = 0;
    err_t err = req_query_i64(r, "ms", 0, 0, HOLD_MAX_MS, &ms);
    if (err)
        return req_fail(r, err, NULL);
    store_pool_usage(r->app->store, false, &u);
    while (!err && n < u.max_open && n < HOLD_CONNS_MAX) {
        err = store_acquire(r->app->store, false, &held[n]);
        n += !err;
    }
    log_info("holding %zu store connections for %" PRId64 " ms", n, ms);
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L}, NULL);
    while (n > 0)
        store_release(held[--n]);
    return err ? req_fail(r, err, NULL) : req_ok_empty(r);
}

static const struct route test_routes[] = {
    {HTTP_POST, "/test/clock", handle_clock, AUTH_NONE},
    {HTTP_POST, "/test/cron/:job", handle_run_job, AUTH_NONE},
    {HTTP_POST, "/test/store/hold", handle_store_hold, AUTH_NONE},
};

void platform_test_routes_register(struct app *a)
{
    log_warn("test build: /test/clock, /test/cron and /test/store routes are open");
    router_add(a->router, test_routes, ARRAY_LEN(test_routes), NULL);
}

#else

void platform_test_routes_register(struct app *a)
{
    (void)a;
}

#endif
