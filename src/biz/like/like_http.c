/* L14 PUT /client/live/room/:live_id/like. */
#define LOG_MODULE "like"

#include <string.h>

#include "app.h"
#include "biz/like/like.h"
#include "biz/like/like_int.h"
#include "biz/live/live.h"
#include "clients/im.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/req.h"

/* The optional body {"count": n}. Like the reference, a missing, empty or undecodable body
 * counts as one like (the web client sends none), and 0 means 1; unlike it, a count that is
 * not an integer in 1..LIKE_COUNT_MAX is refused. */
static err_t parse_count(struct req *r, int64_t *count)
{
    json_t *root = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
    json_t *v = jv_get(root, "count");
    err_t err = ERR_OK;

    *count = 1;
    if (v && !json_is_null(v)) {
        if (!json_is_integer(v))
            err = ERR_BAD_REQUEST;
        else if (json_integer_value(v) != 0)
            *count = (int64_t)json_integer_value(v);
    }
    if (!err && (*count < 1 || *count > LIKE_COUNT_MAX))
        err = ERR_BAD_REQUEST;
    json_decref(root);
    if (err)
        return req_fail(r, err, "count must be an integer from 1 to %d", (int)LIKE_COUNT_MAX);
    return ERR_OK;
}

/* The room's chat hears about the like, sent as the liker in the background: the like neither
 * waits on IM nor fails with it. */
static void notify(struct req *r, const struct live_room *room, int64_t count)
{
    if (!r->app->im || room->chat_id == 0 || r->im_userid == 0)
        return;
    if (!im_notify_like_later(r->app->im, room->chat_id, r->im_userid, room->live_id, r->user_id,
                              count))
        log_warn("like_notify live_id=%s dropped: IM is behind", room->live_id);
}

/* A like between its two steps: taken (counted, its commit queued), then answered. */
struct like_step {
    int64_t count;
    struct live_room room;
    struct like_result res;
    enum like_refusal why;
    struct like_later later;
};

static err_t answer(struct req *r, struct like_step *s, err_t err)
{
    if (err == ERR_BAD_REQUEST)
        return req_fail(r, err, "invalid user id");
    if (err)
        return req_fail_internal(r, err);
    if (s->why == LIKE_NO_ROOM)
        return req_fail(r, ERR_RECORD_NOT_FOUND, NULL);
    if (s->why == LIKE_SELF)
        return req_fail(r, ERR_BAD_REQUEST, "anchor can not like self");
    if (s->why == LIKE_NOT_IN_ROOM)
        return req_fail(r, ERR_NOT_IN_ROOM, NULL);
    notify(r, &s->room, s->count);
    return req_ok(r, json_pack("{s:I, s:I}", "count", (json_int_t)s->res.count, "total",
                               (json_int_t)s->res.total));
}

/* The second step, once the commit ended. */
static err_t handle_like_stored(struct req *r)
{
    struct like_step *s = r->state;
    err_t err = like_later_end(&s->later);
    return answer(r, s, err);
}

/* On the committer's thread: the connection resumes and its event thread renders the answer. */
static void like_stored(void *ud)
{
    req_resume(ud);
}

/* A like is acknowledged only once stored; the wait for its group commit holds no thread. With
 * the in-process cache it is counted on the event thread (ROUTE_TRY_INLINE_LOCAL): anything
 * that would block there comes before the count, or takes it back. */
static err_t handle_like(struct req *r)
{
    struct like_step *s = arena_zalloc(r->arena, sizeof(*s));
    err_t err = parse_count(r, &s->count);

    if (err)
        return err;
    s->why = LIKE_TAKEN;
    s->later = (struct like_later){.on_done = like_stored, .ud = r};
    r->state = s;
    err = like_in_room_later(r->self, r->arena, req_param(r, "live_id"), r->user_id, s->count,
                             &s->room, &s->res, &s->why, &s->later);
    /* the commit may have called back already: the server queues the next step only once
     * this one has returned */
    if (!err && s->later.pending)
        return req_pending(r, handle_like_stored);
    return answer(r, s, err);
}

static const struct route like_routes[] = {
    {HTTP_PUT, "/client/live/room/:live_id/like", handle_like, AUTH_CLIENT, ROUTE_TRY_INLINE_LOCAL},
};

#ifdef QNLIVE_TEST_CLOCK
enum { TEST_COMMIT_DELAY_MAX_MS = 4000 };

/* Test build: POST /test/like/commit_delay?ms=N slows every like commit by N ms, so the API
 * suite can keep many likes waiting for their commit at once. */
static err_t handle_test_commit_delay(struct req *r)
{
    int64_t ms = 0;
    err_t err = req_query_i64(r, "ms", 0, 0, TEST_COMMIT_DELAY_MAX_MS, &ms);
    if (err)
        return req_fail(r, err, NULL);
    like_commit_test_delay(ms);
    return req_ok_empty(r);
}

static const struct route like_test_routes[] = {
    {HTTP_POST, "/test/like/commit_delay", handle_test_commit_delay, AUTH_NONE},
};

static void register_test_routes(struct app *a)
{
    router_add(a->router, like_test_routes, ARRAY_LEN(like_test_routes), NULL);
}
#else
static void register_test_routes(struct app *a)
{
    (void)a;
}
#endif

void like_module_register(struct app *a)
{
    struct like_mod *m = like_mod_new(a);
    router_add(a->router, like_routes, ARRAY_LEN(like_routes), m);
    register_test_routes(a);
    like_jobs_register(m);
}
