/* Routes of the test build only (QNLIVE_TEST_CLOCK): the API suite moves the business clock
 * forward and runs a scheduled job at once, so timeout and expiry tests never wait. A
 * production build compiles none of this. */
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
 * caller sees a run that started after its request. */
static err_t run_job_now(struct cron *c, const char *name)
{
    err_t err = cron_run_now(c, name);
    for (int i = 1; err == ERR_UNAVAILABLE && i < RUN_JOB_TRIES; i++) {
        struct timespec pause = {.tv_nsec = RUN_JOB_PAUSE_MS * 1000000L};
        nanosleep(&pause, NULL);
        err = cron_run_now(c, name);
    }
    return err;
}

/* POST /test/cron/:job: runs a scheduled job now, through the same checks as its schedule. */
static err_t handle_run_job(struct req *r)
{
    err_t err = run_job_now(r->app->cron, req_param(r, "job"));
    if (err)
        return req_fail(r, err, "job %s: %s", req_param(r, "job"), err_name(err));
    return req_ok_empty(r);
}

static const struct route test_routes[] = {
    {HTTP_POST, "/test/clock", handle_clock, AUTH_NONE},
    {HTTP_POST, "/test/cron/:job", handle_run_job, AUTH_NONE},
};

void platform_test_routes_register(struct app *a)
{
    log_warn("test build: /test/clock and /test/cron routes are open");
    router_add(a->router, test_routes, ARRAY_LEN(test_routes), NULL);
}

#else

void platform_test_routes_register(struct app *a)
{
    (void)a;
}

#endif
