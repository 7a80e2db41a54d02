/* The live module's context and its two timeout jobs (singletons). */
#define LOG_MODULE "live"

#include <stdlib.h>

#include "app.h"
#include "biz/live/live.h"
#include "biz/live/live_int.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"

static err_t room_timeout_job(void *ud)
{
    struct live_mod *m = ud;
    return live_expire_rooms(m->app);
}

static err_t user_timeout_job(void *ud)
{
    struct live_mod *m = ud;
    return live_expire_users(m->app);
}

static void live_mod_free(void *self)
{
    struct live_mod *m = self;
    live_presence_close(m);
    live_views_close(m);
    m->app->live = NULL;
    free(m);
}

struct live_mod *live_mod_new(struct app *a)
{
    struct live_mod *m = xcalloc(1, sizeof(*m));
    m->app = a;
    a->live = m;
    live_views_init(m);
    live_presence_init(m);
    app_on_close(a, live_mod_free, m);
    return m;
}

void live_jobs_register(struct live_mod *m)
{
    struct app *a = m->app;
    int64_t period_ms =
        (a->conf.live.timeout_check_s > 0 ? a->conf.live.timeout_check_s : 3) * 1000;
    struct cron_job jobs[] = {
        {.name = "live_room_timeout",
         .period_ms = period_ms,
         .fn = room_timeout_job,
         .ud = m,
         .singleton = true},
        {.name = "live_user_timeout",
         .period_ms = period_ms,
         .fn = user_timeout_job,
         .ud = m,
         .singleton = true},
    };
    for (size_t i = 0; i < ARRAY_LEN(jobs); i++)
        if (cron_add(a->cron, &jobs[i]))
            log_error("cannot schedule the %s job", jobs[i].name);
}
