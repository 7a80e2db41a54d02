#define LOG_MODULE "censor"
#include "biz/censor/censor_store.h"

#include "core/mem.h"
#include "store/store.h"

static const char CONFIG_COLS[] = "id, enable, `interval`, pulp, terror, politician, ads";

err_t censor_store_config_get(struct store_conn *c, struct arena *ar, struct censor_config *out)
{
    static const char sql[] = "SELECT enable, `interval`, pulp, terror, politician, ads "
                              "FROM censor_config ORDER BY id LIMIT 1";
    struct store_rows rows;
    err_t err = store_query_first(c, ar, sql, NULL, 0, &rows);
    if (err)
        return err;
    out->enable = store_rows_i64(&rows, 0, 0) != 0;
    out->interval = store_rows_i64(&rows, 0, 1);
    out->pulp = store_rows_i64(&rows, 0, 2) != 0;
    out->terror = store_rows_i64(&rows, 0, 3) != 0;
    out->politician = store_rows_i64(&rows, 0, 4) != 0;
    out->ads = store_rows_i64(&rows, 0, 5) != 0;
    return ERR_OK;
}

static void config_args(const struct censor_config *in, struct sql_arg args[7])
{
    args[0] = SQL_I64(1);
    args[1] = SQL_BOOL(in->enable);
    args[2] = SQL_I64(in->interval);
    args[3] = SQL_BOOL(in->pulp);
    args[4] = SQL_BOOL(in->terror);
    args[5] = SQL_BOOL(in->politician);
    args[6] = SQL_BOOL(in->ads);
}

err_t censor_store_config_put(struct store_conn *c, struct arena *ar,
                              const struct censor_config *in)
{
    const char *sql = store_sql_upsert(
        c, ar, "censor_config", CONFIG_COLS, "id",
        "enable = NEW(enable), `interval` = NEW(`interval`), pulp = NEW(pulp), "
        "terror = NEW(terror), politician = NEW(politician), ads = NEW(ads)");
    struct sql_arg args[7];
    config_args(in, args);
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}

err_t censor_store_config_insert_default(struct store_conn *c, struct arena *ar,
                                         const struct censor_config *in)
{
    const char *sql = store_sql_insert_ignore(c, ar, "censor_config", CONFIG_COLS);
    struct sql_arg args[7];
    config_args(in, args);
    return store_exec(c, sql, args, ARRAY_LEN(args), NULL);
}
