/* The stats service and the ReportOnlineMessage telemetry job. */
#define LOG_MODULE "stats"

#include "biz/stats/stats.h"
#include "biz/stats/stats_int.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/stats/stats_store.h"
#include "clients/httpc.h"
#include "clients/qiniu_req.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "cron/cron.h"
#include "store/store.h"

static const char *const TYPE_NAMES[STATS_TYPE_COUNT] = {
    "Live", "Item", "Comment", "Relay", "Mic", "Like", "Gift",
};

const char *stats_type_name(int type)
{
    return type >= 1 && type <= STATS_TYPE_COUNT ? TYPE_NAMES[type - 1] : "";
}

err_t stats_add(struct store_conn *c, struct arena *ar, const struct stats_item *it, int64_t now)
{
    return stats_store_add(c, ar, it, now);
}

err_t stats_add_one(struct app *a, const struct stats_item *it)
{
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = stats_add(c, ar, it, clock_now_s(a->clock));
    store_release(c);
    arena_free(&ar);
    return err;
}

err_t stats_room(struct app *a, struct arena *ar, const char *live_id,
                 struct stats_summary out[STATS_TYPE_COUNT])
{
    struct store_conn *c = NULL;
    err_t err;

    for (int t = 1; t <= STATS_TYPE_COUNT; t++)
        out[t - 1] = (struct stats_summary){.type = t, .type_description = stats_type_name(t)};
    err = store_acquire(a->store, true, &c);
    if (!err)
        err = stats_store_room(c, ar, live_id, out);
    store_release(c);
    return err;
}

err_t stats_rooms_page_views(struct app *a, struct arena *ar, const char *const *live_ids, size_t n,
                             int64_t (*out)[STATS_TYPE_COUNT])
{
    struct store_conn *c = NULL;
    memset(out, 0, n * sizeof(*out));
    if (n == 0)
        return ERR_OK;
    err_t err = store_acquire(a->store, true, &c);
    if (!err)
        err = stats_store_rooms_page_views(c, ar, live_ids, n, out);
    store_release(c);
    return err;
}

/* The telemetry overview body: counts as strings, as the reference sends them. */
static char *overview_body(const struct conf *cf, int64_t lives, int64_t users)
{
    char l[24];
    char u[24];
    snprintf(l, sizeof(l), "%" PRId64, lives);
    snprintf(u, sizeof(u), "%" PRId64, users);
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "im_app", cf->im.app_id ? cf->im.app_id : "",
                  "rtc_app", cf->rtc.app_id ? cf->rtc.app_id : "", "pili_hub",
                  cf->pili.hub ? cf->pili.hub : "", "item", "lives", l, "users", u);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* POSTs the body to <telemetry.endpoint>/report/live/overview, signed with the account key. */
static err_t post_overview(const struct conf *cf, const char *body)
{
    struct qiniu_signed sig = {0};
    struct httpc_resp resp = {0};
    char *url = xasprintf("%s/report/live/overview", cf->telemetry.endpoint);
    err_t err = qiniu_req_sign(cf->account.access_key, cf->account.secret_key, "POST", url,
                               "application/json", body, strlen(body), &sig);
    if (!err) {
        struct httpc_req rq = {.service = "telemetry",
                               .method = "POST",
                               .url = url,
                               .headers = sig.headers,
                               .body = body,
                               .body_len = strlen(body),
                               .timeout_ms = 10000};
        err = httpc_do(&rq, &resp);
    }
    if (!err && (resp.status < 200 || resp.status > 299))
        err = ERR_UPSTREAM;
    if (err)
        log_info("overview report failed status=%ld err=%s", resp.status, err_name(err));
    httpc_resp_free(&resp);
    qiniu_signed_free(&sig);
    free(url);
    return err;
}

/* ReportOnlineMessage: only registered when telemetry.enable is true. */
static err_t report_job(void *ud)
{
    struct app *a = ud;
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    int64_t lives = 0;
    int64_t users = 0;
    err_t err = store_acquire(a->store, true, &c);

    if (!err)
        err = stats_store_totals(c, ar, &lives, &users);
    store_release(c);
    arena_free(&ar);
    if (err)
        return err;
    char *body = overview_body(&a->conf, lives, users);
    err = post_overview(&a->conf, body);
    free(body);
    return err;
}

void stats_jobs_register(struct app *a)
{
    if (!a->conf.telemetry.enable)
        return;
    struct cron_job job = {
        .name = "ReportOnlineMessage",
        .daily_at = "02:00:00",
        .fn = report_job,
        .ud = a,
        .singleton = true,
    };
    if (cron_add(a->cron, &job))
        log_error("cannot schedule the overview report");
}
