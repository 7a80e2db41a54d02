#define LOG_MODULE "monitor"
#include "biz/monitor/monitor_store.h"

#include "core/mem.h"
#include "store/store.h"

/* Runs a query whose single row holds one number. */
static err_t count_one(struct store_conn *c, struct arena *ar, const char *sql, int64_t *out)
{
    struct store_rows rows;
    err_t err = store_query(c, ar, sql, NULL, 0, &rows);
    *out = !err && rows.nrows ? store_rows_i64(&rows, 0, 0) : 0;
    return err;
}

static err_t count_rooms(struct store_conn *c, struct arena *ar, int64_t rooms[3])
{
    static const char sql[] = "SELECT status, COUNT(*) FROM live_entities "
                              "WHERE deleted_at IS NULL GROUP BY status";
    struct store_rows rows;
    err_t err = store_query(c, ar, sql, NULL, 0, &rows);
    for (size_t i = 0; !err && i < rows.nrows; i++) {
        int64_t status = store_rows_i64(&rows, i, 0);
        if (status >= 0 && status < 3)
            rooms[status] = store_rows_i64(&rows, i, 1);
    }
    return err;
}

err_t monitor_store_counts(struct store_conn *c, struct arena *ar, struct monitor_counts *out)
{
    /* relay_status 1..4: agreed, one side started, both started */
    static const char pk_sql[] = "SELECT COUNT(*) FROM relay_sessions WHERE status BETWEEN 1 AND 4";
    static const char online_sql[] = "SELECT COUNT(*) FROM live_room_user_entities "
                                     "WHERE deleted_at IS NULL AND status = 1";
    static const char mic_sql[] = "SELECT COUNT(*) FROM live_mic_entities WHERE deleted_at IS NULL";
    static const char im_sql[] = "SELECT COUNT(*) FROM live_users WHERE deleted_at IS NULL AND "
                                 "(im_userid = 0 OR im_userid IS NULL)";
    err_t err = count_rooms(c, ar, out->rooms);
    if (!err)
        err = count_one(c, ar, online_sql, &out->online_users);
    if (!err)
        err = count_one(c, ar, pk_sql, &out->pk_sessions);
    if (!err)
        err = count_one(c, ar, mic_sql, &out->mic_seats);
    if (!err)
        err = count_one(c, ar, im_sql, &out->im_unregistered);
    return err;
}
