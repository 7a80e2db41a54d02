/* S1 POST /client/stats/singleLive and S2 GET /client/stats/singleLive/:live_id. */
#define LOG_MODULE "stats"

#include <string.h>

#include "app.h"
#include "biz/stats/stats.h"
#include "biz/stats/stats_int.h"
#include "core/mem.h"
#include "core/jv.h"
#include "http/req.h"
#include "store/store.h"

/* One element of `data`. Clients may only count their own actions of the client-written
 * types 1..5 (joins are also written by the server); likes and gifts are server-computed and
 * a null or malformed element is a 400, not a crash. */
static err_t parse_item(struct req *r, json_t *e, struct stats_item *it)
{
    json_t *type = jv_get(e, "type");
    json_t *count = jv_get(e, "count");

    if (!json_is_object(e))
        return req_fail(r, ERR_BAD_REQUEST, "data items must be objects");
    if (jv_opt_text(e, "live_id", STATS_ID_MAX, &it->live_id) || !it->live_id[0] ||
        jv_opt_text(e, "user_id", STATS_ID_MAX, &it->user_id) ||
        jv_opt_text(e, "biz_id", STATS_BIZ_ID_MAX, &it->biz_id))
        return req_fail(r, ERR_BAD_REQUEST, "live_id, user_id and biz_id must be short strings");
    if (!it->user_id[0])
        it->user_id = r->user_id;
    if (strcmp(it->user_id, r->user_id) != 0)
        return req_fail(r, ERR_BAD_REQUEST, "user_id must be the caller");
    if (!json_is_integer(type) || json_integer_value(type) < STATS_LIVE ||
        json_integer_value(type) > STATS_MIC)
        return req_fail(r, ERR_BAD_REQUEST, "type must be an integer from 1 to 5");
    if (count && !json_is_integer(count))
        return req_fail(r, ERR_BAD_REQUEST, "count must be an integer");
    it->type = (int)json_integer_value(type);
    it->count = count ? (int64_t)json_integer_value(count) : 0;
    if (it->count < 0 || it->count > STATS_COUNT_MAX)
        return req_fail(r, ERR_BAD_REQUEST, "count must be from 0 to %d", STATS_COUNT_MAX);
    return ERR_OK;
}

static err_t handle_add(struct req *r)
{
    json_t *body = NULL;
    err_t err = req_json_object(r, &body);
    if (err)
        return err;
    json_t *data = jv_get(body, "data"); /* iOS sends "Data" */
    size_t n = json_is_array(data) ? json_array_size(data) : 0;
    if (n == 0)
        return req_fail(r, ERR_BAD_REQUEST, "Empty data");
    if (n > STATS_ITEMS_MAX)
        return req_fail(r, ERR_BAD_REQUEST, "at most %d items", STATS_ITEMS_MAX);
    struct stats_item *items = arena_zalloc(r->arena, n * sizeof(*items));
    for (size_t i = 0; i < n; i++) {
        err = parse_item(r, json_array_get(data, i), &items[i]);
        if (err)
            return err;
    }
    /* Validated first, then applied in order; the first failure stops (earlier ones stay). */
    for (size_t i = 0; i < n && !err; i++)
        err = stats_add_one(r->app, &items[i]);
    if (err)
        return req_fail_internal(r, err);
    return req_ok_empty(r);
}

static err_t handle_get(struct req *r)
{
    struct stats_summary s[STATS_TYPE_COUNT];
    err_t err = stats_room(r->app, r->arena, req_param(r, "live_id"), s);
    if (err)
        return req_fail_internal(r, err);
    json_t *info = json_array();
    for (int i = 0; i < STATS_TYPE_COUNT; i++)
        json_array_append_new(info, json_pack("{s:i, s:s, s:I, s:I}", "type", s[i].type,
                                              "type_description", s[i].type_description,
                                              "page_view", (json_int_t)s[i].page_view,
                                              "unique_visitor", (json_int_t)s[i].unique_visitor));
    return req_ok(r, json_pack("{s:s, s:o}", "flow", "", "info", info));
}

static const struct route stats_routes[] = {
    {HTTP_POST, "/client/stats/singleLive", handle_add, AUTH_CLIENT},
    {HTTP_GET, "/client/stats/singleLive/:live_id", handle_get, AUTH_CLIENT},
};

void stats_module_register(struct app *a)
{
    router_add(a->router, stats_routes, ARRAY_LEN(stats_routes), NULL);
    stats_jobs_register(a);
}
