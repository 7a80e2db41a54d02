/* Admin view of the business callbacks given up (dead letters). */
#define LOG_MODULE "callback"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

#include "app.h"
#include "biz/callback/callback.h"
#include "biz/callback/callback_store.h"
#include "core/mem.h"
#include "http/page.h"
#include "http/req.h"
#include "http/router.h"

enum { PAGE_SIZE_MAX = 100 };

/* The stored payload as JSON (it was written by callback_emit), or its text when unreadable. */
static json_t *payload_json(const char *text)
{
    json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_string(text ? text : "");
}

static json_t *dead_json(const struct outbox_row *o)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:I, s:s, s:I, s:I}", "id", (json_int_t)o->id, "type",
                     o->topic ? o->topic : "", "live_id", o->live_id ? o->live_id : "", "body",
                     payload_json(o->payload), "attempts", (json_int_t)o->attempts, "last_error",
                     o->last_error ? o->last_error : "", "created_at", (json_int_t)o->created_at,
                     "dead_at", (json_int_t)o->dead_at);
}

/* GET /admin/callback/dead?page_num=&page_size= : {total_count, page_total, end_page, list}. */
static err_t handle_dead(struct req *r)
{
    struct req_page pg;
    int64_t total = 0;
    struct outbox_row *rows = NULL;
    size_t n = 0;
    err_t err = req_page(r, PAGE_SIZE_MAX, &pg);
    if (err)
        return err;
    err = callback_dead_list(r->app, r->arena, pg.num, pg.size, &rows, &n, &total);
    if (err)
        return req_fail_internal(r, err);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, dead_json(&rows[i]));
    return req_ok_page(r, &pg, total, req_page_is_last(&pg, total), list);
}

static const struct route callback_routes[] = {
    {HTTP_GET, "/admin/callback/dead", handle_dead, AUTH_ADMIN},
};

void callback_module_register(struct app *a)
{
    /* the dead-letter list is served even with callbacks off: old rows stay readable */
    router_add(a->router, callback_routes, ARRAY_LEN(callback_routes), NULL);
    callback_jobs_register(a);
}
