#define LOG_MODULE "store"
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store/store_int.h"

/* Valid in both dialects; identical to the table in the 0002 files. */
static const char BOOKKEEPING_SQL[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                      "version BIGINT NOT NULL PRIMARY KEY, "
                                      "applied_at DATETIME DEFAULT NULL)";

/* True when `version` is recorded as applied. */
static err_t is_applied(struct store_conn *c, struct arena *a, int64_t version, bool *out)
{
    struct store_rows rows;
    err_t err = store_query(c, a, "SELECT version FROM schema_migrations WHERE version = ?",
                            (struct sql_arg[]){ SQL_I64(version) }, 1, &rows);

    *out = !err && rows.nrows > 0;
    return err;
}

/* Applies one migration and records it. SQLite runs both in one transaction; MySQL commits DDL
 * implicitly, which is why every migration must be idempotent. */
static err_t apply(struct store_conn *c, const struct store_migration *m)
{
    bool sqlite = store_dialect(c) == STORE_DIALECT_SQLITE;
    const char *script = sqlite ? m->sqlite : m->mysql;
    struct arena *a = arena_new();
    const char *record = store_sql_insert_ignore(c, a, "schema_migrations", "version, applied_at");
    err_t err = ERR_OK;

    if (sqlite)
        err = store_begin(c);
    if (!err)
        err = c->pool->s->ops->exec_script(c, script);
    if (!err)
        err = store_exec(c, record, (struct sql_arg[]){ SQL_I64(m->version), SQL_TIME(time(NULL)) },
                         2, NULL);
    if (sqlite)
        err = store_tx_end(c, err);
    arena_free(&a);
    if (err)
        log_error("migration %s failed: %s", m->name, err_name(err));
    else
        log_info("migration %s applied", m->name);
    return err;
}

err_t store_migrate(struct store *s)
{
    struct store_conn *c = NULL;
    struct arena *a = arena_new();
    err_t err;

    err = store_acquire(s, false, &c);
    if (!err)
        err = store_exec(c, BOOKKEEPING_SQL, NULL, 0, NULL);
    for (size_t i = 0; !err && i < store_n_migrations; i++) {
        bool done = false;
        err = is_applied(c, a, store_migrations[i].version, &done);
        if (!err && !done)
            err = apply(c, &store_migrations[i]);
        arena_reset(a);
    }
    store_release(c);
    arena_free(&a);
    return err;
}
