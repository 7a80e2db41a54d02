#define LOG_MODULE "censor"
#include "biz/censor/censor.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/censor/censor_int.h"
#include "biz/censor/censor_store.h"
#include "biz/live/live.h"
#include "biz/user/user.h"
#include "clients/censor_client.h"
#include "clients/im.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "store/store.h"

static const struct censor_config CENSOR_DEFAULTS = {
    .enable = true,
    .pulp = true,
    .interval = 20,
};

err_t censor_config_get(struct app *a, struct arena *ar, struct censor_config *out)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = censor_store_config_get(c, ar, out);
    if (err == ERR_NOT_FOUND) {
        /* insert-if-absent, then read back: two nodes racing here agree on one row */
        err = censor_store_config_insert_default(c, ar, &CENSOR_DEFAULTS);
        if (!err)
            err = censor_store_config_get(c, ar, out);
    }
    store_release(c);
    return err;
}

err_t censor_config_set(struct app *a, const struct censor_config *in)
{
    struct store_conn *c = NULL;
    struct arena *ar = arena_new();
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = censor_store_config_put(c, ar, in);
    store_release(c);
    arena_free(&ar);
    return err;
}

/* <censor.callback>/manager/censor/callback[?token=<callback_token>]. Heap string. */
static char *hook_url(const struct conf *cf)
{
    const char *base = cf->censor.callback;
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    if (!cf->censor.callback_token || !cf->censor.callback_token[0])
        return xasprintf("%.*s/manager/censor/callback", (int)n, base);
    char *tok = url_escape(cf->censor.callback_token);
    char *url = xasprintf("%.*s/manager/censor/callback?token=%s", (int)n, base, tok);
    free(tok);
    return url;
}

static bool callback_configured(const struct app *a)
{
    return a->conf.censor.callback && a->conf.censor.callback[0];
}

/* Records the job; a lost row only means the job cannot be closed or matched, so it is
 * logged like the reference does. */
static void record_job(struct app *a, const char *live_id, const char *job,
                       const struct censor_config *cfg)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = censor_store_job_insert(c, live_id, job, cfg);
    store_release(c);
    if (err)
        log_error("live %s: moderation job %s not recorded (%s)", live_id, job, err_name(err));
}

/* The admin routes answer a missing live or job with 404 "record not found". */
static err_t admin_missing(err_t err)
{
    return err == ERR_NOT_FOUND ? ERR_ADMIN_RECORD_NOT_FOUND : err;
}

/* A moderation service failure always carries a reason for the admin. */
static err_t upstream_reason(err_t err, struct err_msg *why)
{
    if (err == ERR_UPSTREAM && !why->text[0])
        return err_msgf(why, err, "moderation service error");
    return err;
}

err_t censor_forward(struct app *a, const char *op, json_t *body, json_t **data,
                     struct err_msg *why)
{
    why->text[0] = '\0';
    err_t err = censor_call(a->censor, op, body, data, why->text, sizeof(why->text));
    return upstream_reason(err, why);
}

err_t censor_job_start(struct app *a, const char *live_id, bool *created, struct err_msg *why)
{
    struct arena *ar = arena_new();
    struct censor_config cfg;
    struct live_room l;
    char *job = NULL, *hook = NULL;
    *created = false;
    err_t err = callback_configured(a) ? live_find(a, ar, live_id, &l) : ERR_OK;
    if (err || !callback_configured(a))
        goto out;
    err = censor_config_get(a, ar, &cfg);
    if (err || !cfg.enable)
        goto out;
    hook = hook_url(&a->conf);
    struct censor_job_spec spec = {
        .id = live_id,
        .uri = l.push_url ? l.push_url : "",
        .pulp = cfg.pulp,
        .terror = cfg.terror,
        .politician = cfg.politician,
        .ads = cfg.ads,
        .interval_s = cfg.interval,
        .bucket = a->conf.censor.bucket,
        .hook_url = hook,
    };
    why->text[0] = '\0';
    err = censor_job_create(a->censor, &spec, &job, why->text, sizeof(why->text));
    err = upstream_reason(err, why);
    if (!err) {
        record_job(a, live_id, job, &cfg);
        *created = true;
    }
out:
    free(hook);
    free(job);
    arena_free(&ar);
    return admin_missing(err);
}

err_t censor_job_close_live(struct app *a, const char *live_id, struct err_msg *why)
{
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    char *job = NULL;
    err_t err = ERR_OK;
    if (!callback_configured(a))
        goto out;
    err = store_acquire(a->store, true, &c);
    if (!err)
        err = censor_store_job_of_live(c, ar, live_id, &job);
    store_release(c);
    if (!err) {
        why->text[0] = '\0';
        err = censor_job_close(a->censor, job, why->text, sizeof(why->text));
        err = upstream_reason(err, why);
    }
out:
    arena_free(&ar);
    return admin_missing(err);
}

/* The room listener: a job per created room, closed when the room stops or is deleted.
 * Never fails the room operation; errors are logged. */
static void on_room_change(struct app *a, const char *event, const char *live_id)
{
    struct err_msg why = {""};
    bool created;
    err_t err = ERR_OK;
    if (strcmp(event, "created") == 0)
        err = censor_job_start(a, live_id, &created, &why);
    else if (strcmp(event, "stopped") == 0) {
        err = censor_job_close_live(a, live_id, &why);
        if (err == ERR_ADMIN_RECORD_NOT_FOUND)
            err = ERR_OK; /* moderation was off when the room was created */
    }
    if (err)
        log_warn("live %s %s: moderation job: %s %s", live_id, event, err_name(err), why.text);
}

void censor_service_init(struct app *a)
{
    live_on_change(a, on_room_change);
}

/* The public URL of a stored frame: censor.addr + what follows the first occurrence of the
 * bucket name (qiniu:///<bucket>/<key> → <addr>/<key>). NULL when the bucket is absent. */
static char *public_url(struct arena *ar, const struct conf *cf, const char *url)
{
    const char *bucket = cf->censor.bucket;
    const char *p = bucket[0] ? strstr(url, bucket) : NULL;
    if (!p)
        return NULL;
    return arena_printf(ar, "%s%s", cf->censor.addr, p + strlen(bucket));
}

err_t censor_result_store(struct app *a, struct arena *ar, const struct censor_result *res)
{
    struct store_conn *c = NULL;
    struct censor_image img = {
        .job_id = res->job_id,
        .created_at = res->timestamp,
        .suggestion = res->suggestion,
        .pulp = res->pulp,
        .terror = res->terror,
        .politician = res->politician,
        .ads = res->ads,
    };
    char *live_id = NULL;
    img.url = public_url(ar, &a->conf, res->url);
    if (!img.url)
        return ERR_BAD_REQUEST;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = censor_store_live_of_job(c, ar, res->job_id, &live_id);
    if (!err)
        err = store_begin(c);
    if (err)
        goto out;
    img.live_id = live_id;
    err = censor_store_image_insert(c, &img);
    if (!err)
        err = live_censor_refresh(a, c, live_id, res->timestamp);
    err = store_tx_end(c, err);
out:
    store_release(c);
    return err;
}

/* The room's chat id and its anchor's IM id (0 when the anchor cannot be loaded: logged).
 * Errors are the room's: ERR_NOT_FOUND or a store error. */
static err_t im_ids(struct app *a, struct arena *ar, const char *live_id, int64_t *chat_id,
                    int64_t *anchor_im)
{
    struct live_room l;
    struct user_row u;
    *chat_id = *anchor_im = 0;
    err_t err = live_find(a, ar, live_id, &l);
    if (err)
        return err;
    *chat_id = l.chat_id;
    err = user_find(a, ar, l.anchor_id, &u);
    if (err)
        log_warn("live %s: anchor %s not loaded (%s)", live_id, l.anchor_id, err_name(err));
    else
        *anchor_im = u.im_userid;
    return ERR_OK;
}

err_t censor_audit(struct app *a, const char *live_id, const int64_t *ids, size_t n, int64_t answer,
                   bool notify, const char *admin_id)
{
    struct arena *ar = arena_new();
    struct store_conn *c = NULL;
    int64_t chat_id = 0, anchor_im = 0, changed = 0;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = store_begin(c);
    if (!err)
        err = censor_store_audit(c, ar, live_id, ids, n, answer, admin_id, clock_now_s(a->clock),
                                 &changed);
    if (!err)
        err = live_censor_refresh(a, c, live_id, 0);
    if (c)
        err = store_tx_end(c, err);
    store_release(c);
    if (!err && notify && answer == 2) {
        err_t e = im_ids(a, ar, live_id, &chat_id, &anchor_im);
        if (!e && anchor_im)
            e = im_notify_censor_warn(a->im, anchor_im, live_id);
        if (e)
            log_warn("live %s: censor_notify not sent (%s)", live_id, err_name(e));
    }
    arena_free(&ar);
    return admin_missing(err);
}

err_t censor_stop_live(struct app *a, const char *live_id, const char *admin_id)
{
    struct arena *ar = arena_new();
    int64_t chat_id = 0, anchor_im = 0;
    /* read before the stop: a missing room is reported as such, not as a status error */
    err_t err = im_ids(a, ar, live_id, &chat_id, &anchor_im);
    if (!err)
        err = live_stop_by_system(a, live_id, "censor", admin_id);
    if (!err && anchor_im) {
        err_t e = im_notify_censor_stop(a->im, chat_id, anchor_im, live_id);
        if (e)
            log_warn("live %s: censor_stop not sent (%s)", live_id, err_name(e));
    }
    arena_free(&ar);
    return admin_missing(err);
}
