/* The two timeout jobs of the live module, singletons. */
#define LOG_MODULE "live"

#include "app.h"
#include "biz/live/live.h"
#include "biz/live/live_int.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"

static err_t room_timeout_job(void *ud)
{
    return live_expire_rooms(ud);
}

static err_t user_timeout_job(void *ud)
{
    return live_expire_users(ud);
}

void live_http_register(struct app *a);

void live_module_register(struct app *a)
{
    int64_t period_ms =
        (a->conf.live.timeout_check_s > 0 ? a->conf.live.timeout_check_s : 3) * 1000;
    struct cron_job jobs[] = {
        {.name = "live_room_timeout",
         .period_ms = period_ms,
         .fn = room_timeout_job,
         .ud = a,
         .singleton = true},
        {.name = "live_user_timeout",
         .period_ms = period_ms,
         .fn = user_timeout_job,
         .ud = a,
         .singleton = true},
    };
    live_views_init(a);
    live_presence_init(a);
    live_http_register(a);
    for (size_t i = 0; i < ARRAY_LEN(jobs); i++)
        if (cron_add(a->cron, &jobs[i]))
            log_error("cannot schedule the %s job", jobs[i].name);
}
