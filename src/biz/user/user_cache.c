/* User rows in the shared cache, so that client-token lookups and profiles cost no database
 * statement in steady state. The store stays the durable record; the cache is filled on a miss.
 *
 *   user:<db>:{<user_id>}       string "<gen> <row JSON>", expiring after USER_CACHE_TTL_MS
 *   user:<db>:{<user_id>}:gen   integer, bumped after every committed change of the row
 *
 * An entry serves only while its stamp equals the generation read in the same round trip, and
 * a filler stamps it with the generation it read before going to the database. So a change
 * that commits between a reader's database read and its fill leaves the fill stale-stamped and
 * unused, on every node, and no entry can outlive a change. The generation outlives every entry
 * (its TTL is longer), so a generation that expires cannot bring an old stamp back. */
#define LOG_MODULE "user"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/user/user.h"
#include "biz/user/user_int.h"
#include "cache/cache.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

enum {
    USER_CACHE_TTL_MS = 10 * 60 * 1000,
    USER_GEN_TTL_MS = 24 * 3600 * 1000,
};

static const char *row_key(struct app *a, struct arena *ar, const char *user_id)
{
    return arena_printf(ar, "user:%s:{%s}", app_cache_scope(a), user_id);
}

static const char *gen_key(struct app *a, struct arena *ar, const char *user_id)
{
    return arena_printf(ar, "user:%s:{%s}:gen", app_cache_scope(a), user_id);
}

static char *row_to_text(const struct user_row *u)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(u->id));
    json_object_set_new(o, "user_id", jv_str_or_null(u->user_id));
    json_object_set_new(o, "nick", jv_str_or_null(u->nick));
    json_object_set_new(o, "avatar", jv_str_or_null(u->avatar));
    json_object_set_new(o, "extends", jv_str_or_null(u->extends_json));
    json_object_set_new(o, "im_userid", json_integer(u->im_userid));
    json_object_set_new(o, "im_username", jv_str_or_null(u->im_username));
    json_object_set_new(o, "im_password", jv_str_or_null(u->im_password));
    json_object_set_new(o, "created_at", json_integer(u->created_at));
    json_object_set_new(o, "updated_at", json_integer(u->updated_at));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static const char *text_field(struct arena *ar, json_t *o, const char *name)
{
    json_t *v = json_object_get(o, name);
    return json_is_string(v) ? arena_strndup(ar, json_string_value(v), json_string_length(v))
                             : NULL;
}

static bool row_from_text(struct arena *ar, const char *text, struct user_row *u)
{
    json_t *o = json_loads(text, 0, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return false;
    }
    u->id = json_integer_value(json_object_get(o, "id"));
    u->user_id = text_field(ar, o, "user_id");
    u->nick = text_field(ar, o, "nick");
    u->avatar = text_field(ar, o, "avatar");
    u->extends_json = text_field(ar, o, "extends");
    u->im_userid = json_integer_value(json_object_get(o, "im_userid"));
    u->im_username = text_field(ar, o, "im_username");
    u->im_password = text_field(ar, o, "im_password");
    u->created_at = json_integer_value(json_object_get(o, "created_at"));
    u->updated_at = json_integer_value(json_object_get(o, "updated_at"));
    json_decref(o);
    return u->user_id != NULL;
}

/* "<gen> <json>": the entry's row when its stamp is `gen`. */
static bool entry_row(struct arena *ar, const char *entry, int64_t gen, struct user_row *u)
{
    const char *sp = entry ? strchr(entry, ' ') : NULL;
    int64_t stamp;
    if (!sp || !strn_to_i64(entry, (size_t)(sp - entry), 0, INT64_MAX, &stamp) || stamp != gen)
        return false;
    return row_from_text(ar, sp + 1, u);
}

err_t user_cache_get(struct app *a, struct arena *ar, const char *user_id, struct user_row *out,
                     struct user_cache_probe *p)
{
    struct cache_batch *b = cache_batch_new(ar);
    size_t g = cache_batch_get(b, gen_key(a, ar, user_id));
    size_t row = cache_batch_get(b, row_key(a, ar, user_id));
    memset(p, 0, sizeof(*p));
    err_t err = cache_batch_run(a->cache, b);
    if (err)
        return err;
    const struct cache_reply *gr = cache_batch_reply(b, g);
    p->usable = gr->type == CACHE_REPLY_NIL ||
                (gr->type == CACHE_REPLY_STR && str_to_i64(gr->str, 0, INT64_MAX, &p->gen));
    p->hit = p->usable && entry_row(ar, cache_batch_str(b, row), p->gen, out);
    return ERR_OK;
}

void user_cache_fill(struct app *a, struct arena *ar, const struct user_row *u,
                     const struct user_cache_probe *p)
{
    if (!p->usable || p->hit)
        return;
    char *text = row_to_text(u);
    const char *entry = arena_printf(ar, "%" PRId64 " %s", p->gen, text);
    free(text);
    if (cache_set(a->cache, row_key(a, ar, u->user_id), entry, strlen(entry), USER_CACHE_TTL_MS))
        log_warn("user %s not cached", u->user_id);
}

void user_cache_changed(struct app *a, const char *user_id)
{
    struct arena *ar = arena_new();
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_group(b, true);
    cache_batch_incrby(b, gen_key(a, ar, user_id), 1);
    cache_batch_pexpire(b, gen_key(a, ar, user_id), USER_GEN_TTL_MS);
    cache_batch_del(b, row_key(a, ar, user_id));
    /* a lost bump leaves an old entry for at most USER_CACHE_TTL_MS */
    if (cache_batch_run(a->cache, b))
        log_warn("cached row of user %s not invalidated", user_id);
    arena_free(&ar);
}
