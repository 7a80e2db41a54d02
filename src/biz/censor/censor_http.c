/* Admin censor routes C1-C10 and the result callback. */
#define LOG_MODULE "censor"

#include <stdint.h>
#include <string.h>

#include "app.h"
#include "biz/censor/censor.h"
#include "biz/censor/censor_int.h"
#include "biz/censor/censor_store.h"
#include "clients/censor_client.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/page.h"
#include "http/req.h"
#include "store/store.h"

static const int64_t PAGE_SIZE_MAX = 100;
static const size_t AUDIT_IDS_MAX = 1000;

static json_t *config_json(const struct censor_config *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "enable", json_boolean(c->enable));
    json_object_set_new(o, "pulp", json_boolean(c->pulp));
    json_object_set_new(o, "terror", json_boolean(c->terror));
    json_object_set_new(o, "politician", json_boolean(c->politician));
    json_object_set_new(o, "ads", json_boolean(c->ads));
    json_object_set_new(o, "interval", json_integer(c->interval));
    return o;
}

static err_t parse_config(struct req *r, struct censor_config *c)
{
    json_t *body;
    bool has_interval;
    err_t err = req_json_object(r, &body);
    if (err)
        return err;
    *c = (struct censor_config){0}; /* absent keys are false / 0, as Go's zero values */
    if (jv_opt_bool(body, "enable", &c->enable) || jv_opt_bool(body, "pulp", &c->pulp) ||
        jv_opt_bool(body, "terror", &c->terror) ||
        jv_opt_bool(body, "politician", &c->politician) || jv_opt_bool(body, "ads", &c->ads) ||
        jv_opt_i64_in(body, "interval", INT32_MIN, INT32_MAX, &c->interval, &has_interval))
        return req_fail(r, ERR_BAD_REQUEST, "booleans and an integer interval expected");
    if (c->enable && (c->interval < 1 || c->interval > 60))
        return req_fail(r, ERR_BAD_REQUEST, NULL);
    return ERR_OK;
}

static err_t handle_config_set(struct req *r)
{
    struct censor_config c;
    err_t err = parse_config(r, &c);
    if (err)
        return err;
    err = censor_config_set(r->app, &c);
    if (err)
        return req_fail_internal(r, err);
    return req_ok(r, config_json(&c));
}

static err_t handle_config_get(struct req *r)
{
    struct censor_config c;
    err_t err = censor_config_get(r->app, r->arena, &c);
    if (err)
        return req_fail(r, err == ERR_UNAVAILABLE ? err : ERR_BAD_REQUEST, "%s", "");
    return req_ok(r, config_json(&c));
}

/* The non-empty string `live_id` of a JSON body. */
static err_t body_live_id(struct req *r, const char **live_id)
{
    json_t *body;
    err_t err = req_json_object(r, &body);
    if (err)
        return err;
    *live_id = json_string_value(jv_get(body, "live_id"));
    if (!*live_id || !(*live_id)[0])
        return req_fail(r, ERR_BAD_REQUEST, "live_id required");
    return ERR_OK;
}

/* C3: stop for a violation. */
static err_t handle_stoplive(struct req *r)
{
    err_t err = censor_stop_live(r->app, req_param(r, "live_id"), r->user_id);
    return err ? req_fail_msg(r, err, NULL) : req_ok_empty(r);
}

/* C4 */
static err_t handle_job_start(struct req *r)
{
    const char *live_id;
    struct err_msg why = {""};
    bool created;
    err_t err = body_live_id(r, &live_id);
    if (err)
        return err;
    err = censor_job_start(r->app, live_id, &created, &why);
    return err ? req_fail_msg(r, err, &why) : req_ok_empty(r);
}

/* C5 */
static err_t handle_job_close(struct req *r)
{
    const char *live_id;
    struct err_msg why = {""};
    err_t err = body_live_id(r, &live_id);
    if (err)
        return err;
    err = censor_job_close_live(r->app, live_id, &why);
    return err ? req_fail_msg(r, err, &why) : req_ok_empty(r);
}

/* A time field of C6/C7: unix seconds, or milliseconds when the value is that large, as a
 * number or a digit string. Absent stays absent. */
static err_t copy_time(json_t *from, json_t *to, const char *key)
{
    json_t *v = jv_get(from, key);
    int64_t t;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (json_is_integer(v))
        t = json_integer_value(v);
    else if (!json_is_string(v) || !str_to_i64(json_string_value(v), 0, INT64_MAX, &t))
        return ERR_BAD_REQUEST;
    if (t > 100000000000LL)
        t /= 1000; /* milliseconds */
    json_object_set_new(to, key, json_integer(t));
    return ERR_OK;
}

/* Copies the optional key when it has the JSON type `type`; another type is a 400. */
static err_t copy_typed(json_t *from, json_t *to, const char *key, json_type type)
{
    json_t *v = jv_get(from, key);
    if (!v || json_is_null(v))
        return ERR_OK;
    if (json_typeof(v) != type)
        return ERR_BAD_REQUEST;
    json_object_set(to, key, v);
    return ERR_OK;
}

/* Forwards C6 (list) or C7 (query) and answers the service's `data` as it came. */
static err_t forward(struct req *r, const char *op, json_t *out)
{
    struct err_msg why = {""};
    json_t *data = NULL;
    err_t err = censor_forward(r->app, op, out, &data, &why);
    json_decref(out);
    return err ? req_fail_msg(r, err, &why) : req_ok(r, data);
}

/* C6: the reference reads a JSON body on this GET; so do we. */
static err_t handle_job_list(struct req *r)
{
    json_t *in, *out = json_object();
    err_t err = req_json_object(r, &in);
    if (!err &&
        (copy_time(in, out, "start") || copy_time(in, out, "end") ||
         copy_typed(in, out, "status", JSON_STRING) || copy_typed(in, out, "limit", JSON_INTEGER) ||
         copy_typed(in, out, "marker", JSON_STRING)))
        err = req_fail(r, ERR_BAD_REQUEST,
                       "start/end: unix time; status, marker: strings; "
                       "limit: integer");
    if (err) {
        json_decref(out);
        return err;
    }
    return forward(r, "list", out);
}

/* C7 */
static err_t handle_job_query(struct req *r)
{
    json_t *in, *out = json_object();
    err_t err = req_json_object(r, &in);
    const char *job = err ? NULL : json_string_value(jv_get(in, "job"));
    if (!err && (!job || !job[0]))
        err = req_fail(r, ERR_BAD_REQUEST, "job required");
    if (!err) {
        json_object_set_new(out, "job", json_string(job));
        if (copy_typed(in, out, "suggestions", JSON_ARRAY) || copy_time(in, out, "start") ||
            copy_time(in, out, "end"))
            err = req_fail(r, ERR_BAD_REQUEST, "start/end: unix time; suggestions: array");
    }
    if (err) {
        json_decref(out);
        return err;
    }
    return forward(r, "query", out);
}

static int64_t ms(int64_t s)
{
    return s > 0 ? s * 1000 : 0;
}

static json_t *live_json(const struct censor_live *l)
{
    json_t *o = json_object();
    json_object_set_new(o, "live_id", json_string(l->live_id));
    json_object_set_new(o, "title", json_string(l->title));
    json_object_set_new(o, "anchor_id", json_string(l->anchor_id));
    json_object_set_new(o, "nick", json_string(l->nick));
    json_object_set_new(o, "live_status", json_integer(l->live_status));
    json_object_set_new(o, "anchor_status", json_integer(l->anchor_status));
    json_object_set_new(o, "stop_reason", json_string(l->stop_reason));
    json_object_set_new(o, "stop_at", json_integer(ms(l->stop_at)));
    json_object_set_new(o, "start_at", json_integer(ms(l->start_at)));
    json_object_set_new(o, "count", json_integer(l->count));
    json_object_set_new(o, "violation_count", json_integer(l->violation_count));
    json_object_set_new(o, "ai_count", json_integer(l->ai_count));
    json_object_set_new(o, "time", json_integer(ms(l->time)));
    json_object_set_new(o, "push_url", json_string(l->push_url));
    json_object_set_new(o, "rtmp_play_url", json_string(l->rtmp_play_url));
    json_object_set_new(o, "flv_play_url", json_string(l->flv_play_url));
    json_object_set_new(o, "hls_play_url", json_string(l->hls_play_url));
    return o;
}

static json_t *image_json(const struct censor_image *m)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(m->id));
    json_object_set_new(o, "url", json_string(m->url));
    json_object_set_new(o, "job_id", json_string(m->job_id));
    json_object_set_new(o, "created_at", json_integer(ms(m->created_at)));
    json_object_set_new(o, "suggestion", json_string(m->suggestion));
    json_object_set_new(o, "pulp", json_string(m->pulp));
    json_object_set_new(o, "terror", json_string(m->terror));
    json_object_set_new(o, "politician", json_string(m->politician));
    json_object_set_new(o, "ads", json_string(m->ads));
    json_object_set_new(o, "live_id", json_string(m->live_id));
    json_object_set_new(o, "is_review", json_integer(m->is_review));
    json_object_set_new(o, "review_answer", json_integer(m->review_answer));
    json_object_set_new(o, "review_user_id", json_string(m->review_user_id));
    json_object_set_new(o, "review_time", json_integer(ms(m->review_time)));
    return o;
}

/* An optional is_review filter: absent → -1, else one of the allowed digits. */
static err_t query_is_review(struct req *r, int64_t max, int64_t *out)
{
    if (!req_query(r, "is_review")) {
        *out = -1;
        return ERR_OK;
    }
    return req_query_i64(r, "is_review", -1, 0, max, out);
}

/* C8 */
static err_t handle_live_list(struct req *r)
{
    struct req_page pg;
    int64_t review, total = 0;
    struct store_conn *c = NULL;
    struct censor_live *rows = NULL;
    size_t n = 0;
    err_t err = req_page(r, PAGE_SIZE_MAX, &pg);
    if (!err)
        err = query_is_review(r, 0, &review);
    if (err)
        return err;
    err = store_acquire(r->app->store, true, &c);
    if (!err)
        err = censor_store_lives(c, r->arena, review == 0, (pg.num - 1) * pg.size, pg.size, &rows,
                                 &n, &total);
    store_release(c);
    if (err)
        return req_fail_internal(r, err);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, live_json(&rows[i]));
    /* end_page from the total: an exactly full last page is the last one too */
    return req_ok_page(r, &pg, total, req_page_is_last(&pg, total), list);
}

/* C9 */
static err_t handle_record_list(struct req *r)
{
    struct req_page pg;
    int64_t review, total = 0;
    struct store_conn *c = NULL;
    struct censor_image *rows = NULL;
    size_t n = 0;
    const char *live_id = req_query(r, "live_id");
    err_t err = req_page(r, PAGE_SIZE_MAX, &pg);
    if (!err)
        err = query_is_review(r, 1, &review);
    if (err)
        return err;
    err = store_acquire(r->app->store, true, &c);
    if (!err)
        err = censor_store_images(c, r->arena, live_id && live_id[0] ? live_id : NULL, (int)review,
                                  (pg.num - 1) * pg.size, pg.size, &rows, &n, &total);
    store_release(c);
    if (err)
        return req_fail_internal(r, err);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, image_json(&rows[i]));
    /* end_page from the total: an exactly full last page is the last one too */
    return req_ok_page(r, &pg, total, req_page_is_last(&pg, total), list);
}

/* The image ids of C10: a non-empty array of positive integers. */
static err_t audit_ids(struct req *r, json_t *list, int64_t **ids, size_t *n)
{
    size_t i;
    json_t *v;
    *n = json_array_size(list);
    if (!json_is_array(list) || *n == 0 || *n > AUDIT_IDS_MAX)
        return req_fail(r, ERR_BAD_REQUEST, "image_list: 1 to 1000 image ids");
    *ids = arena_alloc(r->arena, *n * sizeof(**ids));
    json_array_foreach(list, i, v)
    {
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
            return req_fail(r, ERR_BAD_REQUEST, "image_list: 1 to 1000 image ids");
        (*ids)[i] = json_integer_value(v);
    }
    return ERR_OK;
}

/* C10 */
static err_t handle_audit(struct req *r)
{
    json_t *body;
    int64_t *ids = NULL, answer;
    size_t n = 0;
    bool notify = false, has_answer;
    err_t err = req_json_object(r, &body);
    if (err)
        return err;
    const char *live_id = json_string_value(jv_get(body, "live_id"));
    if (jv_opt_i64(body, "review_answer", &answer, &has_answer) || !has_answer ||
        (answer != 1 && answer != 2))
        return req_fail(r, ERR_BAD_REQUEST, "review_answer must be 1 or 2");
    if (jv_opt_bool(body, "notify", &notify))
        return req_fail(r, ERR_BAD_REQUEST, "notify must be a boolean");
    if (!live_id || !live_id[0])
        return req_fail(r, ERR_BAD_REQUEST, "live_id required");
    err = audit_ids(r, jv_get(body, "image_list"), &ids, &n);
    if (err)
        return err;
    err = censor_audit(r->app, live_id, ids, n, answer, notify, r->user_id);
    return err ? req_fail_msg(r, err, NULL) : req_ok_empty(r);
}

/* A string member, "" when absent or not a string. */
static const char *str_at(json_t *o, const char *key)
{
    const char *s = json_string_value(jv_get(o, key));
    return s ? s : "";
}

static const char *scene(json_t *scenes, const char *name)
{
    return str_at(jv_get(scenes, name), "suggestion");
}

/* With censor.callback_token set, the hook URL we registered carries ?token=...; a
 * request without it (or with another one) did not come from a job of ours. */
static bool token_ok(struct req *r)
{
    const char *want = r->app->conf.censor.callback_token;
    if (!want || !want[0])
        return true;
    const char *got = req_query(r, "token");
    return got && str_equal_ct(got, strlen(got), want, strlen(want));
}

/* POST /manager/censor/callback. */
static err_t handle_callback(struct req *r)
{
    json_t *body, *image;
    json_int_t code;
    if (!token_ok(r))
        return req_fail(r, ERR_UNAUTHORIZED, NULL);
    err_t err = req_json_object(r, &body);
    if (err)
        return err;
    image = jv_get(body, "image");
    if (!json_is_object(image))
        return req_ok_empty(r); /* audio results are not stored, as in the reference */
    code = json_integer_value(jv_get(image, "code"));
    if (code != 200) {
        /* acknowledged, not 500: a failed frame analysis is not worth a redelivery */
        log_warn("moderation result with image.code %lld: %s", (long long)code,
                 str_at(jv_get(image, "error"), "message"));
        return req_ok_empty(r);
    }
    json_t *result = jv_get(image, "result");
    json_t *scenes = jv_get(result, "scenes");
    struct censor_result res = {
        .job_id = str_at(image, "job"),
        .url = str_at(image, "url"),
        .timestamp = json_integer_value(jv_get(image, "timestamp")),
        .suggestion = str_at(result, "suggestion"),
        .pulp = scene(scenes, "pulp"),
        .terror = scene(scenes, "terror"),
        .politician = scene(scenes, "politician"),
        .ads = scene(scenes, "ads"),
    };
    if (!res.job_id[0] || !res.url[0])
        return req_fail(r, ERR_BAD_REQUEST, "image.job and image.url required");
    err = censor_result_store(r->app, r->arena, &res);
    if (err == ERR_NOT_FOUND) /* an unknown job: the reference's 500 "record not found" */
        return req_fail(r, ERR_RECORD_NOT_FOUND, NULL);
    if (err == ERR_BAD_REQUEST)
        return req_fail(r, ERR_BAD_REQUEST, "image.url is not in the censor bucket");
    return err ? req_fail_internal(r, err) : req_ok_empty(r);
}

static const struct route censor_routes[] = {
    {HTTP_POST, "/admin/censor/config", handle_config_set, AUTH_ADMIN},
    {HTTP_GET, "/admin/censor/config", handle_config_get, AUTH_ADMIN},
    {HTTP_POST, "/admin/censor/stoplive/:live_id", handle_stoplive, AUTH_ADMIN},
    {HTTP_POST, "/admin/censor/job/start", handle_job_start, AUTH_ADMIN},
    {HTTP_POST, "/admin/censor/job/close", handle_job_close, AUTH_ADMIN},
    {HTTP_GET | HTTP_POST, "/admin/censor/job/list", handle_job_list, AUTH_ADMIN},
    {HTTP_GET | HTTP_POST, "/admin/censor/job/query", handle_job_query, AUTH_ADMIN},
    {HTTP_GET, "/admin/censor/live", handle_live_list, AUTH_ADMIN},
    {HTTP_GET, "/admin/censor/record", handle_record_list, AUTH_ADMIN},
    {HTTP_POST, "/admin/censor/audit", handle_audit, AUTH_ADMIN},
    {HTTP_POST, "/manager/censor/callback", handle_callback, AUTH_NONE},
};

void censor_module_register(struct app *a)
{
    if (!a->conf.censor.enabled)
        return;
    censor_service_init(a);
    router_add(a->router, censor_routes, ARRAY_LEN(censor_routes), NULL);
}
