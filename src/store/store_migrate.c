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
                            (struct sql_arg[]){SQL_I64(version)}, 1, &rows);

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
        err = store_exec(c, record, (struct sql_arg[]){SQL_I64(m->version), SQL_TIME(time(NULL))},
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

/* MySQL DDL cannot run in a transaction, and some migrations (ALTER TABLE ... ADD KEY) are not
 * idempotent: nodes starting together serialise on a named server lock instead, and each one
 * re-reads schema_migrations once it holds it. SQLite's transaction already serialises them. */
static err_t migration_lock(struct store_conn *c, struct arena *a, bool take)
{
    struct store_rows rows;
    if (store_dialect(c) != STORE_DIALECT_MYSQL)
        return ERR_OK;
    if (!take)
        return store_query(c, a, "SELECT RELEASE_LOCK('qnlive_migrate')", NULL, 0, &rows);
    err_t err = store_query(c, a, "SELECT GET_LOCK('qnlive_migrate', 120)", NULL, 0, &rows);
    if (!err && store_rows_i64(&rows, 0, 0) != 1) {
        log_error("another node held the migration lock for 120 s");
        err = ERR_UNAVAILABLE;
    }
    return err;
}

err_t store_migrate(struct store *s)
{
    struct store_conn *c = NULL;
    struct arena *a = arena_new();
    bool locked = false;
    err_t err;

    err = store_acquire(s, false, &c);
    if (!err)
        err = migration_lock(c, a, true);
    locked = !err;
    if (!err)
        err = store_exec(c, BOOKKEEPING_SQL, NULL, 0, NULL);
    for (size_t i = 0; !err && i < store_n_migrations; i++) {
        bool done = false;
        err = is_applied(c, a, store_migrations[i].version, &done);
        if (!err && !done)
            err = apply(c, &store_migrations[i]);
        arena_reset(a);
    }
    if (locked && migration_lock(c, a, false))
        log_warn("migration lock not released; it goes with the connection");
    store_release(c);
    arena_free(&a);
    return err;
}
