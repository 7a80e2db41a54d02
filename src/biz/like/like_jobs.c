/* The like job: KeepCacheLikes refreshes the TTL of on-air rooms' hashes.
 * FlushCacheLikes (#4) has no work left: every like is in the database when acknowledged. */
#define LOG_MODULE "like"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/like/like.h"
#include "biz/like/like_int.h"
#include "biz/like/like_store.h"
#include "biz/live/live.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "cron/cron.h"
#include "store/store.h"

/* KeepCacheLikes: on-air rooms keep their counters in the cache. */
static err_t keep_job(void *ud)
{
    struct like_mod *m = ud;
    struct app *a = m->app;
    struct arena *ar = arena_new();
    char **ids = NULL;
    size_t n = 0;
    err_t err = live_list_online_ids(a, ar, &ids, &n);

    struct cache_batch *b = cache_batch_new(ar);
    for (size_t i = 0; i < n && !err; i++) {
        cache_batch_group(b, false);
        cache_batch_pexpire(b, arena_printf(ar, "like:{%s}", ids[i]), LIKE_TTL_S * 1000LL);
        cache_batch_pexpire(b, arena_printf(ar, "like:{%s}:seeded", ids[i]), LIKE_TTL_S * 1000LL);
    }
    if (!err && n)
        err = cache_batch_run(a->cache, b);
    arena_free(&ar);
    return err;
}

void like_jobs_register(struct like_mod *m)
{
    struct cron_job keep = {
        .name = "KeepCacheLikes",
        .period_ms = 3600 * 1000,
        .fn = keep_job,
        .ud = m,
        .singleton = true,
    };
    if (cron_add(m->app->cron, &keep))
        log_error("cannot schedule the like jobs");
}
