/* Item rules: limits, ordering, demonstrate and recordings. */
#define LOG_MODULE "item"

#include "biz/item/item.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "biz/item/item_store.h"
#include "biz/live/live.h"
#include "clients/pili.h"
#include "core/clock.h"
#include "core/jv.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

static bool empty(const char *s)
{
    return !s || !s[0];
}

/* Validates the batch and rejects an item_id given twice. */
static err_t check_batch(struct item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (empty(items[i].item_id) || empty(items[i].title) || empty(items[i].current_price) ||
            items[i].status < 0 || items[i].status > ITEM_STATUS_MAX)
            return ERR_BAD_REQUEST;
        for (size_t j = 0; j < i; j++)
            if (strcmp(items[i].item_id, items[j].item_id) == 0)
                return ERR_EXISTS;
    }
    return ERR_OK;
}

static err_t add_tx(struct store_conn *c, struct arena *ar, const char *live_id, struct item *items,
                    size_t n, int64_t now)
{
    int64_t count, max;
    struct item dup;
    err_t err = item_store_stats(c, ar, live_id, &count, &max);
    if (!err && count + (int64_t)n > ITEM_PER_LIVE_MAX)
        err = ERR_ITEMS_EXCEED;
    for (size_t i = 0; i < n && !err; i++) {
        err = item_store_get(c, ar, live_id, items[i].item_id, &dup);
        err = err == ERR_NOT_FOUND ? ERR_OK : err ? err : ERR_EXISTS;
    }
    for (size_t i = 0; i < n && !err; i++) {
        items[i].live_id = live_id;
        items[i].order = max + 1 + (int64_t)i;
        err = item_store_insert(c, &items[i], now);
    }
    return err;
}

err_t item_add(struct app *a, struct arena *ar, const char *live_id, struct item *items, size_t n)
{
    struct live_room lr;
    struct store_conn *c = NULL;
    err_t err = check_batch(items, n);
    if (!err)
        err = live_find(a, ar, live_id, &lr);
    if (!err)
        err = store_acquire(a->store, false, &c);
    if (err)
        goto out;
    err = store_begin(c);
    if (err)
        goto out;
    err = store_tx_end(c, add_tx(c, ar, live_id, items, n, clock_now_s(a->clock)));
out:
    store_release(c);
    return err;
}

err_t item_delete(struct app *a, struct arena *ar, const char *live_id, const char *const *ids,
                  size_t n)
{
    struct store_conn *c = NULL;
    const char *demo = "";
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_demo_get(c, ar, live_id, &demo);
    for (size_t i = 0; i < n && !err; i++)
        if (strcmp(ids[i], demo) != 0) /* the demonstrated item cannot be deleted */
            err = item_store_soft_delete(c, live_id, ids[i], clock_now_s(a->clock));
    store_release(c);
    return err;
}

/* Applies one integer column to each listed item in one transaction. */
static err_t set_each(struct app *a, const char *col, const char *live_id, const struct item *list,
                      size_t n, bool is_order)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = store_begin(c);
    if (err)
        goto out;
    for (size_t i = 0; i < n && !err; i++)
        err = item_store_set_int(c, col, live_id, list[i].item_id,
                                 is_order ? list[i].order : list[i].status, clock_now_s(a->clock));
    err = store_tx_end(c, err);
out:
    store_release(c);
    return err;
}

err_t item_set_status(struct app *a, const char *live_id, const struct item *list, size_t n,
                      struct err_msg *why)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i].status < 0 || list[i].status > ITEM_STATUS_MAX) {
            return err_msgf(why, ERR_BAD_REQUEST, "invalid item status %" PRId64, list[i].status);
        }
    }
    return set_each(a, "status", live_id, list, n, false);
}

static err_t load_all(struct app *a, struct arena *ar, const char *live_id, struct item **all,
                      size_t *n)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_list(c, ar, live_id, true, all, n);
    store_release(c);
    return err;
}

static const struct item *find_in(const struct item *list, size_t n, const char *item_id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].item_id, item_id) == 0)
            return &list[i];
    return NULL;
}

static err_t check_reorder(const struct item *list, size_t n, struct err_msg *why)
{
    for (size_t i = 0; i < n; i++) {
        if (find_in(list, i, list[i].item_id)) {
            return err_msgf(why, ERR_BAD_REQUEST, "duplicated item id %s", list[i].item_id);
        }
        if (list[i].order <= 0) {
            return err_msgf(why, ERR_BAD_REQUEST, "invalid item order %" PRId64, list[i].order);
        }
        for (size_t j = 0; j < i; j++) {
            if (list[j].order == list[i].order) {
                return err_msgf(why, ERR_BAD_REQUEST, "duplicated item order %" PRId64,
                                list[i].order);
            }
        }
    }
    return ERR_OK;
}

err_t item_reorder(struct app *a, struct arena *ar, const char *live_id, const struct item *list,
                   size_t n, struct err_msg *why)
{
    struct item *all;
    size_t na;
    err_t err = check_reorder(list, n, why);
    if (!err)
        err = load_all(a, ar, live_id, &all, &na);
    for (size_t i = 0; i < na && !err; i++) {
        if (find_in(list, n, all[i].item_id))
            continue;
        for (size_t j = 0; j < n; j++) {
            if (list[j].order == all[i].order) {
                return err_msgf(why, ERR_BAD_REQUEST, "order %" PRId64 " conflict with %s",
                                all[i].order, all[i].item_id);
            }
        }
    }
    return err ? err : set_each(a, "`order`", live_id, list, n, true);
}

err_t item_move(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                int64_t from, int64_t to, struct err_msg *why)
{
    struct item *all;
    size_t na, nm = 0;
    if (from == to) {
        return err_msgf(why, ERR_BAD_REQUEST, "from equal to");
    }
    err_t err = load_all(a, ar, live_id, &all, &na);
    if (err)
        return err;
    const struct item *it = find_in(all, na, item_id ? item_id : "");
    if (!it) /* the reference shifted the others anyway */
        return ERR_NOT_FOUND;
    if (it->order != from) {
        return err_msgf(why, ERR_BAD_REQUEST, "from not match");
    }
    int64_t lo = from < to ? from : to, hi = from < to ? to : from;
    struct item *moves = arena_zalloc(ar, (na + 1) * sizeof(*moves));
    for (size_t i = 0; i < na; i++) {
        if (all[i].order < lo || all[i].order > hi)
            continue;
        moves[nm] = all[i];
        moves[nm].order = &all[i] == it ? to : all[i].order + (to < from ? 1 : -1);
        nm++;
    }
    return set_each(a, "`order`", live_id, moves, nm, true);
}

/* Attaches each item's recording from one query of the live's logs. */
static err_t attach_records(struct store_conn *c, struct arena *ar, const char *live_id,
                            struct item *items, size_t n)
{
    struct item_record *logs;
    size_t nl;
    err_t err = item_store_logs(c, ar, "live_id = ? ORDER BY id",
                                (struct sql_arg[]){SQL_STR(live_id)}, 1, &logs, &nl);
    for (size_t i = 0; i < n && !err; i++)
        for (size_t j = 0; j < nl && items[i].record_id > 0; j++)
            if (logs[j].id == items[i].record_id)
                items[i].record = &logs[j];
    return err;
}

err_t item_list(struct app *a, struct arena *ar, const char *live_id, bool show_offline,
                bool demo_first, struct item **out, size_t *n)
{
    struct store_conn *c = NULL;
    const char *demo = "";
    struct item d;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_list(c, ar, live_id, show_offline, out, n);
    if (!err && demo_first && item_store_demo_get(c, ar, live_id, &demo) == ERR_OK && demo[0] &&
        item_store_get(c, ar, live_id, demo, &d) == ERR_OK) {
        /* the demonstrated item first, even when offline, then the rest */
        struct item *all = arena_zalloc(ar, (*n + 2) * sizeof(*all));
        size_t k = 0;
        all[k++] = d;
        for (size_t i = 0; i < *n; i++)
            if (strcmp((*out)[i].item_id, demo) != 0)
                all[k++] = (*out)[i];
        *out = all;
        *n = k;
    }
    if (!err)
        err = attach_records(c, ar, live_id, *out, *n);
    store_release(c);
    return err;
}

/* The stored item with in's non-empty differing fields applied. */
static void apply_update(struct arena *ar, struct item *it, const struct item *in)
{
    const char **dst[] = {&it->title, &it->tags,          &it->thumbnail,
                          &it->link,  &it->current_price, &it->origin_price};
    const char *src[] = {in->title, in->tags,          in->thumbnail,
                         in->link,  in->current_price, in->origin_price};
    for (size_t i = 0; i < ARRAY_LEN(src); i++)
        if (!empty(src[i]))
            *dst[i] = src[i];
    if (in->has_record) /* only an explicit record changes the link */
        it->record_id = in->record_id;
    if (in->extends_in && json_object_size(in->extends_in) > 0) {
        it->extends_json = jv_extends_merge(ar, it->extends_json, in->extends_in);
    }
}

err_t item_update(struct app *a, struct arena *ar, const char *live_id, const struct item *in)
{
    struct store_conn *c = NULL;
    struct item it;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = item_store_get(c, ar, live_id, in->item_id, &it);
    if (!err) {
        apply_update(ar, &it, in);
        err = item_store_save(c, &it, clock_now_s(a->clock));
    }
    store_release(c);
    return err;
}

err_t item_merge_extends(struct app *a, struct arena *ar, const char *live_id, const char *item_id,
                         json_t *map)
{
    struct item in = {.item_id = item_id, .extends_in = map};
    if (!map || json_object_size(map) == 0) {
        struct store_conn *c = NULL;
        struct item it;
        err_t err = store_acquire(a->store, true, &c);
        if (!err)
            err = item_store_get(c, ar, live_id, item_id, &it);
        store_release(c);
        return err;
    }
    return item_update(a, ar, live_id, &in);
}

static json_t *time_or_null(int64_t t)
{
    return t ? json_integer((json_int_t)t) : json_null();
}

json_t *item_record_json(const struct app *a, const struct item_record *rec)
{
    const char *fname = rec->fname ? rec->fname : "";
    const char *base = a->conf.pili.playback_url ? a->conf.pili.playback_url : "";
    char *url = rec->status == RECORD_OK ? xasprintf("%s/%s", base, fname) : xstrdup(fname);
    json_t *o =
        json_pack("{s:I, s:s, s:o, s:o, s:i, s:o, s:o}", "id", (json_int_t)rec->id, "record_url",
                  url, "start", time_or_null(rec->start), "end", time_or_null(rec->end), "status",
                  rec->status, "live_id", jv_str(rec->live_id), "item_id", jv_str(rec->item_id));
    free(url);
    return o;
}

json_t *item_json(const struct app *a, const struct item *it)
{
    json_t *o = json_object();
    json_object_set_new(o, "live_id", jv_str(it->live_id));
    json_object_set_new(o, "item_id", jv_str(it->item_id));
    json_object_set_new(o, "order", json_integer((json_int_t)it->order));
    json_object_set_new(o, "title", jv_str(it->title));
    json_object_set_new(o, "tags", jv_str(it->tags));
    json_object_set_new(o, "thumbnail", jv_str(it->thumbnail));
    json_object_set_new(o, "link", jv_str(it->link));
    json_object_set_new(o, "current_price", jv_str(it->current_price));
    json_object_set_new(o, "origin_price", jv_str(it->origin_price));
    json_object_set_new(o, "status", json_integer((json_int_t)it->status));
    json_object_set_new(o, "record", it->record ? item_record_json(a, it->record) : json_null());
    json_object_set_new(o, "extends", jv_extends_load(it->extends_json));
    return o;
}
