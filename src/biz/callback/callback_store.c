/* SQL of the callback outbox. */
#define LOG_MODULE "callback"

#include "biz/callback/callback_store.h"

#include <string.h>

#include "core/mem.h"
#include "store/store.h"

err_t outbox_insert(struct store_conn *c, const char *topic, const char *live_id,
                    const char *payload, int64_t now)
{
    return store_insert(c,
                        "INSERT INTO outbox (topic, live_id, payload, attempts, next_attempt_at, "
                        "created_at) VALUES (?, ?, ?, 0, ?, ?)",
                        (struct sql_arg[]){SQL_STR(topic), SQL_STR(live_id), SQL_STR(payload),
                                           SQL_TIME(now), SQL_TIME(now)},
                        5, NULL);
}

err_t outbox_due(struct store_conn *c, struct arena *ar, int64_t now, size_t limit,
                 struct outbox_row **rows, size_t *n)
{
    struct store_rows r;
    /* An event waits while an older one of the same room is undelivered, even when that one
     * is backing off or claimed elsewhere: in-order delivery per room. */
    err_t err =
        store_query(c, ar,
                    "SELECT o.id, o.topic, o.live_id, o.payload, o.attempts, o.created_at "
                    "FROM outbox o "
                    "WHERE o.delivered_at IS NULL AND o.dead_at IS NULL "
                    "AND o.next_attempt_at <= ? "
                    "AND (o.locked_until IS NULL OR o.locked_until < ?) "
                    "AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.live_id = o.live_id "
                    "AND p.delivered_at IS NULL AND p.dead_at IS NULL AND p.id < o.id) "
                    "ORDER BY o.id LIMIT ?",
                    (struct sql_arg[]){SQL_TIME(now), SQL_TIME(now), SQL_I64(limit)}, 3, &r);
    if (err)
        return err;
    *n = r.nrows;
    *rows = arena_zalloc(ar, (r.nrows + 1) * sizeof(**rows));
    for (size_t i = 0; i < r.nrows; i++) {
        (*rows)[i].id = store_rows_i64(&r, i, 0);
        (*rows)[i].topic = store_rows_str(&r, i, 1);
        (*rows)[i].live_id = store_rows_str(&r, i, 2);
        (*rows)[i].payload = store_rows_str(&r, i, 3);
        (*rows)[i].attempts = store_rows_i64(&r, i, 4);
        (*rows)[i].created_at = store_rows_time(&r, i, 5);
    }
    return ERR_OK;
}

err_t outbox_claim(struct store_conn *c, int64_t id, const char *owner, int64_t now, int64_t until,
                   bool *got)
{
    int64_t affected = 0;
    err_t err =
        store_exec(c,
                   "UPDATE outbox SET locked_by = ?, locked_until = ? WHERE id = ? "
                   "AND delivered_at IS NULL "
                   "AND (locked_until IS NULL OR locked_until < ?)",
                   (struct sql_arg[]){SQL_STR(owner), SQL_TIME(until), SQL_I64(id), SQL_TIME(now)},
                   4, &affected);
    *got = !err && affected == 1;
    return err;
}

err_t outbox_done(struct store_conn *c, int64_t id, const char *owner, int64_t now)
{
    return store_exec(c,
                      "UPDATE outbox SET delivered_at = ?, attempts = attempts + 1, "
                      "last_error = NULL, locked_by = NULL, locked_until = NULL "
                      "WHERE id = ? AND locked_by = ?",
                      (struct sql_arg[]){SQL_TIME(now), SQL_I64(id), SQL_STR(owner)}, 3, NULL);
}

err_t outbox_retry(struct store_conn *c, int64_t id, const char *owner, int64_t next_at,
                   const char *reason)
{
    return store_exec(c,
                      "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, "
                      "last_error = ?, locked_by = NULL, locked_until = NULL "
                      "WHERE id = ? AND locked_by = ?",
                      (struct sql_arg[]){SQL_TIME(next_at), SQL_STRN(reason, strnlen(reason, 255)),
                                         SQL_I64(id), SQL_STR(owner)},
                      4, NULL);
}

err_t outbox_dead(struct store_conn *c, int64_t id, const char *owner, int64_t now,
                  const char *reason)
{
    return store_exec(c,
                      "UPDATE outbox SET attempts = attempts + 1, dead_at = ?, last_error = ?, "
                      "locked_by = NULL, locked_until = NULL WHERE id = ? AND locked_by = ?",
                      (struct sql_arg[]){SQL_TIME(now), SQL_STRN(reason, strnlen(reason, 255)),
                                         SQL_I64(id), SQL_STR(owner)},
                      4, NULL);
}

err_t outbox_backlog(struct store_conn *c, struct arena *ar, struct outbox_backlog *out)
{
    struct store_rows r;
    err_t err = store_query(c, ar,
                            "SELECT COUNT(*), MIN(created_at) FROM outbox "
                            "WHERE delivered_at IS NULL AND dead_at IS NULL",
                            NULL, 0, &r);
    if (!err)
        err = r.nrows ? ERR_OK : ERR_INTERNAL;
    if (err)
        return err;
    out->pending = store_rows_i64(&r, 0, 0);
    out->oldest_created_at = store_rows_time(&r, 0, 1);
    err = store_query(c, ar, "SELECT COUNT(*) FROM outbox WHERE dead_at IS NOT NULL", NULL, 0, &r);
    if (!err)
        out->dead = r.nrows ? store_rows_i64(&r, 0, 0) : 0;
    return err;
}

err_t outbox_dead_page(struct store_conn *c, struct arena *ar, int64_t limit, int64_t offset,
                       struct outbox_row **rows, size_t *n, int64_t *total)
{
    struct store_rows r;
    err_t err = store_query(c, ar,
                            "SELECT id, topic, live_id, payload, attempts, created_at, dead_at, "
                            "last_error FROM outbox WHERE dead_at IS NOT NULL "
                            "ORDER BY id DESC LIMIT ? OFFSET ?",
                            (struct sql_arg[]){SQL_I64(limit), SQL_I64(offset)}, 2, &r);
    if (err)
        return err;
    *n = r.nrows;
    *rows = arena_zalloc(ar, (r.nrows + 1) * sizeof(**rows));
    for (size_t i = 0; i < r.nrows; i++) {
        struct outbox_row *o = &(*rows)[i];
        o->id = store_rows_i64(&r, i, 0);
        o->topic = store_rows_str(&r, i, 1);
        o->live_id = store_rows_str(&r, i, 2);
        o->payload = store_rows_str(&r, i, 3);
        o->attempts = store_rows_i64(&r, i, 4);
        o->created_at = store_rows_time(&r, i, 5);
        o->dead_at = store_rows_time(&r, i, 6);
        o->last_error = store_rows_str(&r, i, 7);
    }
    err = store_query(c, ar, "SELECT COUNT(*) FROM outbox WHERE dead_at IS NOT NULL", NULL, 0, &r);
    if (!err)
        *total = r.nrows ? store_rows_i64(&r, 0, 0) : 0;
    return err;
}

err_t outbox_purge(struct store_conn *c, int64_t before)
{
    return store_exec(c, "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?",
                      (struct sql_arg[]){SQL_TIME(before)}, 1, NULL);
}
