/* Cached room views: room info, room list pages and the room rows the audience's hot paths need
 * (heartbeat, like), served from each node's memory and validated against the shared cache.
 *
 * Validity: every write to a room bumps its generation "live:{<live_id>}:gen" and the lists'
 * "live:gen:_lists:<scope>" in the shared cache after it commits; a cached entry serves only while
 * its stamp equals the generation read in the same round trip, so every node sees a change on its
 * next read. An entry is stamped with the generation read before the database was, so a write
 * that lands in between leaves it stale-stamped and unused.
 *
 * What changes with the audience (online count, whether the anchor is in) is not part of a
 * cached entry: the rendered JSON holds placeholders that are filled from the presence keys
 * (live_presence.c), read in the same round trip as the generation. So joins, leaves,
 * heartbeats and timeouts never invalidate a view. */
#define LOG_MODULE "live"

#include <inttypes.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/live/live_int.h"
#include "biz/live/live_store.h"
#include "cache/cache.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "core/textcache.h"
#include "store/store.h"

enum { VIEWS_CAPACITY = 8192, GEN_KEY_TTL_MS = 24 * 3600 * 1000 };

/* Placeholders of the computed numbers in a cached text: room i's anchor_status is
 * SENTINEL + 2i, its online_count SENTINEL + 2i + 1. */
static const int64_t SENTINEL = 9000000000000000000LL;

/* A room's generation (live ids are qnlive's own, unique), or the lists' one when live_id is
 * NULL, which is the deployment's (app_cache_scope) as is an anchor's: user ids are the
 * business server's. */
static const char *gen_key(struct app *a, struct arena *ar, const char *live_id)
{
    return live_id ? arena_printf(ar, "live:{%s}:gen", live_id)
                   : arena_printf(ar, "live:gen:_lists:%s", app_cache_scope(a));
}

void live_views_close(struct live_mod *m)
{
    textcache_free(&m->views);
}

void live_views_init(struct live_mod *m)
{
    int64_t ttl_ms = m->app->conf.live.view_cache_ms;
    if (ttl_ms > 0)
        m->views = textcache_new(VIEWS_CAPACITY, ttl_ms);
}

static const char *anchor_gen_key(struct app *a, struct arena *ar, const char *user_id)
{
    return arena_printf(ar, "live:a:%s:{%s}:gen", app_cache_scope(a), user_id);
}

void live_views_anchor_changed(struct app *a, const char *user_id)
{
    struct arena *ar = arena_new();
    struct cache_batch *b = cache_batch_new(ar);
    cache_batch_incrby(b, anchor_gen_key(a, ar, user_id), 1);
    cache_batch_pexpire(b, anchor_gen_key(a, ar, user_id), GEN_KEY_TTL_MS);
    cache_batch_group(b, false);
    cache_batch_incrby(b, gen_key(a, ar, NULL), 1);
    cache_batch_pexpire(b, gen_key(a, ar, NULL), GEN_KEY_TTL_MS);
    if (cache_batch_run(a->cache, b))
        log_warn("view generation of anchor %s not bumped", user_id);
    arena_free(&ar);
}

void live_views_changed(struct app *a, const char *live_id)
{
    struct arena *ar = arena_new();
    struct cache_batch *b = cache_batch_new(ar);
    if (live_id) {
        cache_batch_incrby(b, gen_key(a, ar, live_id), 1);
        cache_batch_pexpire(b, gen_key(a, ar, live_id), GEN_KEY_TTL_MS);
        cache_batch_group(b, false);
    }
    cache_batch_incrby(b, gen_key(a, ar, NULL), 1);
    cache_batch_pexpire(b, gen_key(a, ar, NULL), GEN_KEY_TTL_MS);
    /* entries live at most view_cache_ms, which bounds the damage of a lost bump */
    if (cache_batch_run(a->cache, b))
        log_warn("view generation of %s not bumped", live_id ? live_id : "the lists");
    arena_free(&ar);
}

size_t live_views_gen_cmd(struct app *a, struct cache_batch *b, struct arena *ar,
                          const char *live_id)
{
    return cache_batch_get(b, gen_key(a, ar, live_id));
}

void live_views_gen_take(const struct cache_batch *b, size_t i, struct live_views_gen *g)
{
    const struct cache_reply *r = cache_batch_reply(b, i);
    g->gen = 0;
    g->ok = r->type == CACHE_REPLY_NIL ||
            (r->type == CACHE_REPLY_STR && str_to_i64(r->str, 0, INT64_MAX, &g->gen));
}

/* The columns of a cached room row. */
enum field_type { F_STR, F_I64, F_INT };
static const struct {
    const char *name;
    enum field_type type;
    size_t off;
} ROOM_FIELDS[] = {
#define S(f)                                                                                       \
    {                                                                                              \
#f, F_STR, offsetof(struct live_room, f)                                                   \
    }
#define I(f)                                                                                       \
    {                                                                                              \
#f, F_I64, offsetof(struct live_room, f)                                                   \
    }
    I(id),
    S(live_id),
    S(title),
    S(notice),
    S(cover_url),
    S(extends_json),
    S(anchor_id),
    {"status", F_INT, offsetof(struct live_room, status)},
    S(pk_id),
    I(online_count),
    I(start_at),
    I(end_at),
    I(chat_id),
    S(push_url),
    S(rtmp_play_url),
    S(flv_play_url),
    S(hls_play_url),
    I(last_heartbeat_at),
    I(created_at),
    I(updated_at),
    S(stop_reason),
    S(stop_user_id),
    I(stop_at),
    I(unreview_censor_count),
    I(last_censor_time),
#undef S
#undef I
};

/* A node's copy of a room row is packed, not JSON: reading it back is on the path of every
 * heartbeat, join and like, and parsing JSON there cost a sixth of a like's CPU. The layout:
 * ROOM_PACK_TAG, then per field of ROOM_FIELDS an int as 8 raw bytes, or a string as a presence
 * byte followed, when present, by its NUL-terminated bytes. The absent room is "-". */
enum { ROOM_PACK_TAG = 'R' };

static size_t room_packed_len(const struct live_room *l)
{
    size_t n = 1;
    for (size_t i = 0; i < ARRAY_LEN(ROOM_FIELDS); i++) {
        const char *s = *(const char *const *)((const char *)l + ROOM_FIELDS[i].off);
        n += ROOM_FIELDS[i].type != F_STR ? sizeof(int64_t) : 1 + (s ? strlen(s) + 1 : 0);
    }
    return n;
}

static char *room_pack(struct arena *ar, const struct live_room *l, size_t *len)
{
    char *out = arena_alloc(ar, *len = room_packed_len(l)), *w = out;
    *w++ = ROOM_PACK_TAG;
    for (size_t i = 0; i < ARRAY_LEN(ROOM_FIELDS); i++) {
        const char *p = (const char *)l + ROOM_FIELDS[i].off;
        const char *s = *(const char *const *)p;
        int64_t v = ROOM_FIELDS[i].type == F_I64   ? *(const int64_t *)p
                    : ROOM_FIELDS[i].type == F_INT ? *(const int *)p
                                                   : 0;
        if (ROOM_FIELDS[i].type != F_STR) {
            memcpy(w, &v, sizeof(v));
            w += sizeof(v);
            continue;
        }
        *w++ = s != NULL;
        if (s) {
            size_t n = strlen(s) + 1;
            memcpy(w, s, n);
            w += n;
        }
    }
    return out;
}

/* Reads a packed room in place: its strings point into `text`, which lives in the caller's
 * arena (the cache's copy). False on anything but a whole packed room. */
static bool room_unpack(const char *text, size_t len, struct live_room *l)
{
    const char *r = text, *end = text + len;
    if (len == 0 || *r++ != ROOM_PACK_TAG)
        return false;
    memset(l, 0, sizeof(*l));
    for (size_t i = 0; i < ARRAY_LEN(ROOM_FIELDS); i++) {
        char *p = (char *)l + ROOM_FIELDS[i].off;
        int64_t v;
        if (ROOM_FIELDS[i].type != F_STR) {
            if ((size_t)(end - r) < sizeof(v))
                return false;
            memcpy(&v, r, sizeof(v));
            r += sizeof(v);
            if (ROOM_FIELDS[i].type == F_I64)
                *(int64_t *)p = v;
            else
                *(int *)p = (int)v;
            continue;
        }
        if (r == end)
            return false;
        if (!*r++)
            continue; /* NULL */
        const char *nul = memchr(r, '\0', (size_t)(end - r));
        if (!nul)
            return false;
        *(const char **)p = r;
        r = nul + 1;
    }
    return r == end;
}

err_t live_room_cached(struct app *a, struct arena *ar, const char *live_id,
                       const struct live_views_gen *g, struct live_room *out)
{
    const char *key = arena_printf(ar, "room:%s", live_id), *text;
    struct store_conn *c = NULL;
    size_t len;
    bool usable = a->live->views && g && g->ok;
    if (usable && textcache_get(a->live->views, key, g->gen, ar, &text, &len))
        return strcmp(text, "-") == 0        ? ERR_NOT_FOUND
               : room_unpack(text, len, out) ? ERR_OK
                                             : ERR_INTERNAL;
    /* the primary: the generation was bumped after a commit there */
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = live_store_find(c, ar, live_id, out);
    store_release(c);
    if (!usable || (err && err != ERR_NOT_FOUND))
        return err;
    size_t row_len = 1;
    const char *row = err ? "-" : room_pack(ar, out, &row_len);
    textcache_put(a->live->views, key, g->gen, row, row_len);
    return err;
}

bool live_room_peek(struct app *a, struct arena *ar, const char *live_id, struct live_room *out)
{
    const char *text;
    size_t len;
    return a->live->views &&
           textcache_peek(a->live->views, arena_printf(ar, "room:%s", live_id), ar, &text, &len) &&
           strcmp(text, "-") != 0 && room_unpack(text, len, out);
}

size_t live_room_gen_cmd(struct app *a, struct cache_batch *b, struct arena *ar,
                         const char *live_id)
{
    cache_batch_group(b, false);
    return live_views_gen_cmd(a, b, ar, live_id);
}

err_t live_room_at(struct app *a, struct arena *ar, const char *live_id,
                   const struct cache_batch *b, size_t i, struct live_room *out)
{
    struct live_views_gen gen;
    live_views_gen_take(b, i, &gen);
    return live_room_cached(a, ar, live_id, &gen, out);
}

/* "live_id anchor_id\n" per room of a cached text. */
static const char *rooms_text(struct arena *ar, const struct live_views_entry *e)
{
    size_t cap = 1;
    for (size_t i = 0; i < e->n; i++)
        cap += strlen(e->live_ids[i]) + strlen(e->anchor_ids[i]) + 2;
    char *out = arena_alloc(ar, cap), *w = out;
    for (size_t i = 0; i < e->n; i++)
        w += snprintf(w, cap - (size_t)(w - out), "%s %s\n", e->live_ids[i], e->anchor_ids[i]);
    *w = '\0';
    return out;
}

static void parse_rooms(struct arena *ar, const char *text, struct live_views_entry *e)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    e->live_ids = arena_zalloc(ar, (n + 1) * sizeof(char *));
    e->anchor_ids = arena_zalloc(ar, (n + 1) * sizeof(char *));
    e->n = 0;
    char *copy = arena_strdup(ar, text), *line = copy;
    while (e->n < n && *line) {
        char *nl = strchr(line, '\n'), *sp = strchr(line, ' ');
        if (!nl || !sp || sp > nl)
            break;
        *nl = *sp = '\0';
        e->live_ids[e->n] = line;
        e->anchor_ids[e->n++] = sp + 1;
        line = nl + 1;
    }
}

/* Adds, per room, its online count and its anchor's presence to a batch (one group each). */
static size_t add_count_cmds(struct cache_batch *b, struct arena *ar,
                             const struct live_views_entry *e)
{
    size_t first = cache_batch_len(b);
    for (size_t i = 0; i < e->n; i++) {
        cache_batch_group(b, false);
        cache_batch_zcard(b, live_hb_key(ar, e->live_ids[i]));
        cache_batch_zscore(b, live_hb_key(ar, e->live_ids[i]), e->anchor_ids[i]);
    }
    return first;
}

static void take_counts(const struct cache_batch *b, size_t first, struct live_views_entry *e,
                        struct arena *ar)
{
    e->counts = arena_zalloc(ar, (2 * e->n + 1) * sizeof(*e->counts));
    for (size_t i = 0; i < e->n; i++) {
        e->counts[2 * i] = cache_batch_str(b, first + 2 * i + 1) ? 1 : 0;
        e->counts[2 * i + 1] = cache_batch_int(b, first + 2 * i, 0);
    }
    e->has_counts = true;
}

void live_views_lookup_cmds(struct app *a, struct arena *ar, const char *live_id, const char *key,
                            struct live_views_entry *e, struct cache_batch *b)
{
    const char *meta_key = arena_printf(ar, "m:%s", key);
    size_t len;
    memset(e, 0, sizeof(*e));
    e->key = key;
    /* the rooms of the last text under this key, to read their counts in the same trip */
    if (a->live->views && textcache_peek(a->live->views, meta_key, ar, &e->_seen, &len))
        parse_rooms(ar, e->_seen, e);
    cache_batch_group(b, false);
    e->_gen_cmd = live_views_gen_cmd(a, b, ar, live_id);
    e->_first_count = add_count_cmds(b, ar, e);
    /* room info also shows its anchor's profile: its generation counts too */
    e->_by_anchor = live_id && e->n == 1;
    cache_batch_group(b, false);
    if (e->_by_anchor)
        e->_anchor_gen_cmd = cache_batch_get(b, anchor_gen_key(a, ar, e->anchor_ids[0]));
}

void live_views_lookup_take(struct app *a, struct arena *ar, struct live_views_entry *e,
                            const struct cache_batch *b)
{
    const char *meta_key = arena_printf(ar, "m:%s", e->key), *meta = NULL;
    struct live_views_gen gen, agen = {.ok = true};
    live_views_gen_take(b, e->_gen_cmd, &gen);
    e->room_gen = gen;
    if (e->_by_anchor)
        live_views_gen_take(b, e->_anchor_gen_cmd, &agen);
    gen.ok = gen.ok && agen.ok;
    gen.gen += agen.gen; /* both only grow: any bump changes the sum */
    e->usable = a->live->views && gen.ok;
    e->gen = gen.gen;
    size_t meta_len;
    if (!e->usable || !textcache_get(a->live->views, e->key, gen.gen, ar, &e->text, &e->len) ||
        !textcache_get(a->live->views, meta_key, gen.gen, ar, &meta, &meta_len)) {
        e->text = NULL;
        e->n = 0; /* the rooms of a miss are the caller's to set */
        return;
    }
    if (e->_seen && strcmp(e->_seen, meta) == 0) {
        take_counts(b, e->_first_count, e, ar);
        return;
    }
    parse_rooms(ar, meta, e);
}

err_t live_views_lookup(struct app *a, struct arena *ar, const char *live_id, const char *key,
                        struct live_views_entry *e)
{
    struct cache_batch *b = cache_batch_new(ar);
    live_views_lookup_cmds(a, ar, live_id, key, e, b);
    err_t err = cache_batch_run(a->cache, b);
    if (!err)
        live_views_lookup_take(a, ar, e, b);
    return err;
}

void live_views_store(struct app *a, struct arena *ar, struct live_views_entry *e)
{
    if (!e->usable)
        return;
    textcache_put(a->live->views, e->key, e->gen, e->text, e->len);
    textcache_put(a->live->views, arena_printf(ar, "m:%s", e->key), e->gen, rooms_text(ar, e),
                  strlen(rooms_text(ar, e)));
}

int64_t live_views_placeholder(size_t i, bool online)
{
    return SENTINEL + 2 * (int64_t)i + (online ? 1 : 0);
}

/* Length of the key pattern ("anchor_status": or "online_count":) starting at p, else 0. */
static size_t count_key_at(const char *p, size_t left)
{
    static const char *const pats[] = {"\"anchor_status\":", "\"online_count\":"};
    for (size_t k = 0; k < ARRAY_LEN(pats); k++) {
        size_t pl = strlen(pats[k]);
        if (pl <= left && memcmp(p, pats[k], pl) == 0)
            return pl;
    }
    return 0;
}

/* Copies text with every "anchor_status" / "online_count" placeholder replaced. Only a quote
 * can start a key, so the copy jumps from quote to quote: this runs on every room info and
 * list page. */
static char *fill_text(struct arena *ar, const char *text, size_t len, const int64_t *vals,
                       size_t n, size_t *out_len)
{
    char *out = arena_alloc(ar, len + 1), *w = out;
    size_t i = 0;
    while (i < len) {
        const char *q = memchr(text + i, '"', len - i);
        size_t upto = q ? (size_t)(q - text) : len;
        memcpy(w, text + i, upto - i);
        w += upto - i;
        i = upto;
        if (i == len)
            break;
        size_t pl = count_key_at(text + i, len - i);
        if (!pl) {
            *w++ = text[i++];
            continue;
        }
        memcpy(w, text + i, pl);
        w += pl;
        i += pl;
        size_t d = 0;
        while (i + d < len && text[i + d] >= '0' && text[i + d] <= '9')
            d++;
        int64_t v = 0, slot;
        if (d == 19 && strn_to_i64(text + i, d, 0, INT64_MAX, &v) && v >= SENTINEL &&
            (slot = v - SENTINEL) < (int64_t)(2 * n)) {
            w += snprintf(w, d + 1, "%" PRId64, vals[slot]); /* fits in the 19 digits */
            i += d;
        }
    }
    *w = '\0';
    *out_len = (size_t)(w - out);
    return out;
}

err_t live_views_fill(struct app *a, struct arena *ar, struct live_views_entry *e,
                      const char **text, size_t *len)
{
    if (!e->has_counts && e->n) {
        struct cache_batch *b = cache_batch_new(ar);
        size_t first = add_count_cmds(b, ar, e);
        err_t err = cache_batch_run(a->cache, b);
        if (err)
            return err;
        take_counts(b, first, e, ar);
    }
    *text = fill_text(ar, e->text, e->len, e->counts, e->n, len);
    return ERR_OK;
}

err_t live_views_count(struct app *a, struct arena *ar, struct live_view *views, size_t n, int want)
{
    struct live_views_entry e = {.n = n};
    e.live_ids = arena_zalloc(ar, (n + 1) * sizeof(char *));
    e.anchor_ids = arena_zalloc(ar, (n + 1) * sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        e.live_ids[i] = views[i].room.live_id;
        e.anchor_ids[i] = views[i].room.anchor_id;
    }
    struct cache_batch *b = cache_batch_new(ar);
    size_t first = add_count_cmds(b, ar, &e);
    err_t err = n ? cache_batch_run(a->cache, b) : ERR_OK;
    if (err)
        return err;
    take_counts(b, first, &e, ar);
    for (size_t i = 0; i < n; i++) {
        if (want & LIVE_WANT_ANCHOR_STATUS)
            views[i].anchor_status = e.counts[2 * i];
        if (want & LIVE_WANT_ONLINE)
            views[i].online_count = e.counts[2 * i + 1];
    }
    return ERR_OK;
}
