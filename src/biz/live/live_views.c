/* Cached answers of the hottest reads (room info, room lists), opt-in by live.view_cache_ms.
 *
 * Each node keeps rendered JSON in a process-local cache; validity comes from generation
 * counters in the shared cache (Redis when configured, so every node sees them): every write
 * to a room bumps "live:gen:<live_id>" and "live:gen:_lists" after it commits, and an entry only
 * serves while its stamp equals the current generation. Changes that reach a room indirectly
 * (a member who moved to another room, a heartbeat timeout) are bounded by the entry's
 * lifetime, view_cache_ms. */
#define LOG_MODULE "live"

#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "biz/live/live_int.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/textcache.h"

enum { VIEWS_CAPACITY = 4096, GEN_KEY_TTL_MS = 24 * 3600 * 1000 };

static const char LISTS_SCOPE[] = "_lists";

static bool enabled(const struct app *a)
{
    return a->conf.live.view_cache_ms > 0 && a->live_views;
}

static void close_views(struct app *a)
{
    textcache_free(&a->live_views);
}

void live_views_init(struct app *a)
{
    if (a->conf.live.view_cache_ms <= 0)
        return;
    a->live_views = textcache_new(VIEWS_CAPACITY, a->conf.live.view_cache_ms);
    app_on_close(a, close_views);
}

static void bump(struct app *a, const char *scope)
{
    char key[128];
    int64_t v;
    bool found;
    snprintf(key, sizeof(key), "live:gen:%s", scope);
    if (cache_incrby(a->cache, key, 1, &v) || cache_expire(a->cache, key, GEN_KEY_TTL_MS, &found))
        log_warn("view generation of %s not bumped: cached views expire by themselves", scope);
}

void live_views_changed(struct app *a, const char *live_id)
{
    if (!enabled(a))
        return;
    if (live_id)
        bump(a, live_id);
    bump(a, LISTS_SCOPE);
}

/* The generation of a scope; false when the shared cache cannot tell (then nothing is served
 * from or stored into the local cache). */
static bool generation(struct app *a, struct arena *ar, const char *scope, int64_t *gen)
{
    char key[128], *data = NULL;
    size_t len = 0;
    bool found = false;
    snprintf(key, sizeof(key), "live:gen:%s", scope);
    if (cache_get(a->cache, key, ar, &data, &len, &found))
        return false;
    *gen = 0;
    return !found || strn_to_i64(data, len, 0, INT64_MAX, gen);
}

bool live_views_get(struct app *a, struct arena *ar, const char *live_id, const char *key,
                    struct live_views_slot *slot, const char **text, size_t *len)
{
    slot->usable = enabled(a) && generation(a, ar, live_id ? live_id : LISTS_SCOPE, &slot->gen);
    slot->key = key;
    return slot->usable && textcache_get(a->live_views, key, slot->gen, ar, text, len);
}

void live_views_put(struct app *a, const struct live_views_slot *slot, const char *text, size_t len)
{
    if (slot->usable)
        textcache_put(a->live_views, slot->key, slot->gen, text, len);
}
