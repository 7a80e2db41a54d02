#define LOG_MODULE "app"
#include "app.h"
#include "app_wait.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "biz/routes.h"
#include "cache/cache.h"
#include "clients/censor_client.h"
#include "clients/im.h"
#include "clients/pay.h"
#include "clients/webhook.h"
#include "clients/pili.h"
#include "clients/rtc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "cron/cron.h"
#include "core/log.h"
#include "core/mem.h"
#include "clients/httpc.h"
#include "http/router.h"
#include "http/server.h"
#include "store/store.h"

static bool is_empty(const char *s)
{
    return !s || !s[0];
}

/* Calls to the business server are signed only when a secret is configured. */
static void warn_unsigned_hooks(const struct conf *cf)
{
    if (!is_empty(cf->callback.addr) && is_empty(cf->callback.secret))
        log_warn("callback.secret is not set: business callbacks are sent unsigned and the "
                 "receiver cannot tell them from forgeries");
    if (cf->gift.enabled && is_empty(cf->gift.secret))
        log_warn("gift.secret is not set: payment hook calls are sent unsigned and the "
                 "receiver cannot tell them from forgeries");
}

/* A missing optional section silently turns a feature off: say so once at start. */
static void log_features_off(const struct conf *cf)
{
    if (!cf->im.enabled)
        log_warn("no im section: IM is off (chat rooms, IM accounts and notifications)");
    if (!cf->rtc.enabled)
        log_warn("no rtc section: RTC is off (no room tokens for the mic and PK routes)");
    if (!cf->pili.enabled)
        log_warn("no pili section: Pili is off (no push and play URLs, no recordings)");
}

static void warn_insecure_settings(const struct conf *cf)
{
    if (!cf->auth.server.enable)
        log_warn("server auth is DISABLED (auth.server.enable: false): every /server route, "
                 "token issuing included, is open to anyone who can reach this port");
    if (strlen(cf->auth.jwt_key) < 32 || strcmp(cf->auth.jwt_key, "jwtkey") == 0)
        log_warn("auth.jwt_key is short or a published sample: client and admin tokens can be "
                 "forged; use a random secret of at least 32 bytes");
    warn_unsigned_hooks(cf);
    log_features_off(cf);
}

/* A lock already held under this runner's own name is a leftover: cron never asks twice for a
 * lock it holds, so the key was left by an acquire whose answer timed out after it reached the
 * cache (or by a release that never arrived). It is taken back at once instead of blocking the
 * job until the key expires. */
static bool cron_lock_acquire(void *ud, const char *key, const char *owner, int64_t ttl_ms,
                              err_t *err)
{
    bool got = false;
    bool released = false;
    *err = cache_lock_acquire(ud, key, owner, ttl_ms, &got);
    if (!*err && !got)
        *err = cache_lock_release_ex(ud, key, owner, &released);
    if (!*err && released)
        *err = cache_lock_acquire(ud, key, owner, ttl_ms, &got);
    return !*err && got;
}

static bool cron_lock_renew(void *ud, const char *key, const char *owner, int64_t ttl_ms,
                            err_t *err)
{
    bool renewed = false;
    *err = cache_lock_renew(ud, key, owner, ttl_ms, &renewed);
    return !*err && renewed;
}

static void cron_lock_release(void *ud, const char *key, const char *owner)
{
    if (cache_lock_release(ud, key, owner))
        log_warn("cron lock %s not released; it expires by itself", key);
}

const char *app_cache_scope(const struct app *a)
{
    return a->conf.mysql.n_databases ? a->conf.mysql.databases[0].database : "";
}

/* The cron runner reads the business clock, so a test build that moves it sees periods pass. */
static int64_t cron_mono_ms(void *clock)
{
    return clock_mono_ms(clock);
}

static int64_t cron_wall_ms(void *clock)
{
    return clock_now_ms(clock);
}

/* Singleton jobs: with a shared cache, any node may run them under the lease (cron.single_task_node
 * gets the first pick; the nodes sharing one database share one lease); without one, this single
 * node runs them. */
static struct cron *cron_for(struct app *a)
{
    struct cron_options o = {
        .node_id = a->conf.node.node_id,
        .single_task_node = a->conf.cron.single_task_node,
        .lock_scope = app_cache_scope(a),
        .mono_ms = cron_mono_ms,
        .wall_ms = cron_wall_ms,
        .clock_ud = a->clock,
    };
    if (a->conf.cache.enabled) {
        o.lock_acquire = cron_lock_acquire;
        o.lock_release = cron_lock_release;
        o.lock_renew = cron_lock_renew;
        o.lock_ud = a->cache;
    }
    return cron_new(&o);
}

/* Cron job: glibc returns freed memory to the system only from the top of an arena's heap, so
 * after a burst of load the resident size stays at the burst's peak; malloc_trim gives back the
 * free pages anywhere in the arenas. It costs tens of microseconds when there is little to
 * give back. */
static err_t trim_heap_job(void *ud)
{
    (void)ud;
    malloc_trim(0);
    return ERR_OK;
}

static void schedule_heap_trim(struct app *a)
{
    enum { TRIM_PERIOD_MS = 1000 };
    struct cron_job job = {.name = "malloc_trim", .period_ms = TRIM_PERIOD_MS, .fn = trim_heap_job};
    if (cron_add(a->cron, &job))
        log_error("cannot schedule malloc_trim");
}

/* One bulkhead per cloud service, named as the clients label their calls. */
static void limit_outbound_calls(const struct conf *cf)
{
    httpc_limit("im", (int)cf->limits.im);
    httpc_limit("rtc", (int)cf->limits.rtc);
    httpc_limit("pili", (int)cf->limits.pili);
    httpc_limit("censor", (int)cf->limits.censor);
    httpc_limit("pay", (int)cf->limits.pay);
    httpc_limit("callback", (int)cf->limits.callback);
}

err_t app_open(struct app *a, char *errbuf, size_t errlen)
{
    err_t err;
    a->clock = clock_new();
    a->started_at = clock_now_s(a->clock);
    warn_insecure_settings(&a->conf);
    if (ids_init(a->conf.node.node_id)) {
        snprintf(errbuf, errlen, "node.node_id out of range");
        return ERR_CONFIG;
    }
    err = app_wait_store(a);
    if (err) {
        snprintf(errbuf, errlen, "store (%s): %s", a->conf.mysql.enabled ? "mysql" : "sqlite",
                 err_name(err));
        return err;
    }
    err = app_wait_cache(a);
    if (err) {
        snprintf(errbuf, errlen, "cache: %s", err_name(err));
        return err;
    }
    limit_outbound_calls(&a->conf);
    a->im = im_client_new(&a->conf);
    a->rtc = rtc_client_new(&a->conf);
    if (a->conf.pili.enabled) {
        err = pili_client_new(&a->conf, &a->pili, errbuf, errlen);
        if (err)
            return err;
    }
    if (a->conf.censor.enabled)
        a->censor = censor_client_new(&a->conf);
    a->pay = pay_client_new(&a->conf);
    a->webhook = webhook_client_new(&a->conf);
    a->router = router_new();
    a->cron = cron_for(a);
    schedule_heap_trim(a);
    biz_register_all(a);
    log_info("store=%s cache=%s", store_backend_name(a->store), a->cache->ops->name);
    return ERR_OK;
}

void app_http_config(struct app *a, struct http_server_config *out)
{
    const struct conf *cf = &a->conf;
    *out = (struct http_server_config){
        .addr = cf->httpq.addr,
        .event_threads = (unsigned)cf->httpq.event_threads,
        .handler_threads = (unsigned)cf->httpq.workers,
        .queue_max = (unsigned)cf->httpq.queue_max,
        .body_max = cf->httpq.body_max,
        .request_timeout_ms = cf->httpq.request_timeout_ms,
        .header_timeout_s = (unsigned)cf->httpq.read_timeout_s,
        .idle_timeout_s = (unsigned)cf->httpq.idle_timeout_s,
        .max_connections = (unsigned)cf->httpq.max_connections,
        .max_connections_per_ip = (unsigned)cf->httpq.max_connections_per_ip,
        .header_max = (size_t)cf->httpq.header_max,
        /* the memory cache and a free SQLite connection answer at once, and so does a Redis
         * node's near cache for the hot reads; on a cluster every cache call is a network
         * round trip, and trying in place would only waste work */
        .try_inline = strcmp(a->cache->ops->name, "memory") == 0 ||
                      (strcmp(a->cache->ops->name, "node") == 0 && cf->cache.near_cache),
        /* a join writes the cache: in place only when it is in-process (with Redis the
         * attempt cost 20-30 us of CPU per join and always ended on the pool) */
        .try_inline_local = strcmp(a->cache->ops->name, "memory") == 0,
        .proxies = {cf->httpq.trusted_proxies, cf->httpq.n_trusted_proxies},
        .auth =
            {
                .jwt_key = cf->auth.jwt_key,
                .token_max_ttl_s = cf->auth.token_max_ttl_s,
                .clock = a->clock,
                .server_enable = cf->auth.server.enable,
                .server_ak = cf->auth.server.access_key,
                .server_sk = cf->auth.server.secret_key,
                .users = a->auth.client_users,
                .find_client_user = a->auth.find_client_user,
                .find_admin_user = a->auth.find_admin_user,
                .log_admin_operation = a->auth.log_admin_operation,
            },
        .router = a->router,
        .opaque = a,
    };
}

err_t app_ping(struct app *a)
{
    struct store_conn *c = NULL;
    struct store_rows rows;
    struct arena *ar = arena_new();
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = store_query(c, ar, "SELECT 1", NULL, 0, &rows);
    store_release(c);
    arena_free(&ar);
    if (!err)
        err = cache_ping(a->cache);
    return err;
}

void app_on_close(struct app *a, void (*fn)(void *self), void *self)
{
    if (a->n_on_close == ARRAY_LEN(a->on_close))
        abort(); /* more modules with teardown than slots: a programmer bug */
    a->on_close[a->n_on_close].fn = fn;
    a->on_close[a->n_on_close++].self = self;
}

void app_close(struct app *a)
{
    if (a->cron)
        cron_stop(a->cron);
    cron_free(&a->cron);
    while (a->n_on_close > 0) {
        a->n_on_close--;
        a->on_close[a->n_on_close].fn(a->on_close[a->n_on_close].self);
    }
    router_free(&a->router);
    webhook_client_free(&a->webhook);
    pay_client_free(&a->pay);
    censor_client_free(&a->censor);
    pili_client_free(&a->pili);
    rtc_client_free(&a->rtc);
    im_client_free(&a->im);
    cache_close(&a->cache);
    store_close(&a->store);
    conf_free(&a->conf);
    clock_free(&a->clock);
}
