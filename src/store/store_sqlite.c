#define LOG_MODULE "store.sqlite"
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/noblock.h"
#include "store/sqltime.h"
#include "store/store_int.h"

enum { BUSY_TIMEOUT_MS = 5000 };

struct lite_stmt {
    uint64_t hash;
    char *sql;
    sqlite3_stmt *st;
};

struct lite_conn {
    struct store_conn base; /* first: the generic layer casts */
    sqlite3 *db;
    struct lite_stmt cache[STORE_STMT_CACHE];
    size_t n_cache;
    size_t evict_next;
};

/* Maps a SQLite result code; extended codes tell a unique violation from other constraints. */
static err_t classify(struct lite_conn *lc, int rc, const char *sql)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return ERR_EXISTS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_BUSY_SNAPSHOT:
        /* a thread that must not block met another writer: run again where it may wait */
        if (noblock_is_set())
            return noblock_check();
        log_warn("database busy: %s", sqlite3_errmsg(lc->db));
        return ERR_UNAVAILABLE;
    default:
        log_error("error %d: %s; sql: %.200s", rc, sqlite3_errmsg(lc->db), sql);
        return ERR_INTERNAL;
    }
}

/* SQLite's own busy timeout, with one difference: a thread that must not block gives up at
 * once instead of sleeping while another connection holds the write lock. The pauses are
 * SQLite's (sqliteDefaultBusyCallback). */
static int busy_wait(void *ud, int count)
{
    static const int delays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100};
    static const int totals[] = {0, 1, 3, 8, 18, 33, 53, 78, 103, 128, 178, 228};
    const int n = (int)ARRAY_LEN(delays);
    (void)ud;
    if (noblock_check())
        return 0;
    int delay = count < n ? delays[count] : delays[n - 1];
    int prior = count < n ? totals[count] : totals[n - 1] + delay * (count - (n - 1));
    if (prior + delay > BUSY_TIMEOUT_MS)
        delay = BUSY_TIMEOUT_MS - prior;
    if (delay <= 0)
        return 0;
    nanosleep(&(struct timespec){.tv_nsec = delay * 1000000L}, NULL);
    return 1;
}

static err_t lite_open(struct store_pool *p, struct store_conn **out)
{
    struct lite_conn *lc = xcalloc(1, sizeof(*lc));
    const char *path = p->t.database;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    char *errmsg = NULL;
    int rc;

    rc = sqlite3_open_v2(path, &lc->db, flags, NULL);
    if (rc != SQLITE_OK) {
        log_error("open %s failed: %s", path, lc->db ? sqlite3_errmsg(lc->db) : "no memory");
        sqlite3_close(lc->db);
        free(lc);
        return ERR_UNAVAILABLE;
    }
    sqlite3_extended_result_codes(lc->db, 1);
    sqlite3_busy_handler(lc->db, busy_wait, NULL);
    /* WAL lets readers run beside the single writer; NORMAL sync is durable across app crashes.
     * The page cache is per connection, 2 MB by default: with the pool's 8 connections up to
     * 16 MB, each caching the same hot pages that the OS page cache holds once anyway. 1 MiB
     * each (a negative cache_size is in KiB). */
    rc = sqlite3_exec(lc->db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                      "PRAGMA foreign_keys=OFF; PRAGMA cache_size=-1024;",
                      NULL, NULL, &errmsg);
    if (rc != SQLITE_OK) {
        log_error("pragmas on %s failed: %s", path, errmsg ? errmsg : "?");
        sqlite3_free(errmsg);
        sqlite3_close(lc->db);
        free(lc);
        return ERR_UNAVAILABLE;
    }
    *out = &lc->base;
    return ERR_OK;
}

static void lite_close(struct store_conn *c)
{
    struct lite_conn *lc = (struct lite_conn *)c;

    for (size_t i = 0; i < lc->n_cache; i++) {
        sqlite3_finalize(lc->cache[i].st);
        free(lc->cache[i].sql);
    }
    sqlite3_close(lc->db);
    free(lc);
}

/* A local file never "goes away": nothing to re-establish. */
static err_t lite_reconnect(struct store_conn *c)
{
    (void)c;
    return ERR_OK;
}

static err_t stmt_prepare(struct lite_conn *lc, const char *sql, sqlite3_stmt **out)
{
    int rc = sqlite3_prepare_v2(lc->db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? ERR_OK : classify(lc, rc, sql);
}

static err_t stmt_get(struct lite_conn *lc, const char *sql, sqlite3_stmt **out)
{
    uint64_t h = store_hash_sql(sql);
    struct lite_stmt *e;
    sqlite3_stmt *st = NULL;
    int rc;

    for (size_t i = 0; i < lc->n_cache; i++) {
        if (lc->cache[i].hash == h && strcmp(lc->cache[i].sql, sql) == 0) {
            *out = lc->cache[i].st;
            return ERR_OK;
        }
    }
    rc = sqlite3_prepare_v3(lc->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return classify(lc, rc, sql);
    if (lc->n_cache < STORE_STMT_CACHE) {
        e = &lc->cache[lc->n_cache++];
    } else {
        e = &lc->cache[lc->evict_next];
        lc->evict_next = (lc->evict_next + 1) % STORE_STMT_CACHE;
        sqlite3_finalize(e->st);
        free(e->sql);
    }
    e->hash = h;
    e->sql = xstrdup(sql);
    e->st = st;
    *out = st;
    return ERR_OK;
}

static int bind_one(sqlite3_stmt *st, int i, const struct sql_arg *a)
{
    char buf[SQLTIME_BUF];

    switch (a->type) {
    case SQL_TYPE_I64:
        return sqlite3_bind_int64(st, i, a->i);
    case SQL_TYPE_STR:
        if (!a->s)
            return sqlite3_bind_null(st, i);
        /* STATIC: the caller's string outlives the statement run; bindings are cleared after. */
        return sqlite3_bind_text64(st, i, a->s, a->len == SIZE_MAX ? strlen(a->s) : a->len,
                                   SQLITE_STATIC, SQLITE_UTF8);
    case SQL_TYPE_TIME:
        sqltime_format(a->i, buf);
        return sqlite3_bind_text(st, i, buf, -1, SQLITE_TRANSIENT);
    default:
        return sqlite3_bind_null(st, i);
    }
}

static err_t bind_args(struct lite_conn *lc, sqlite3_stmt *st, const char *sql,
                       const struct sql_arg *args, size_t nargs)
{
    if ((size_t)sqlite3_bind_parameter_count(st) != nargs) {
        log_error("statement wants %d args, got %zu; sql: %.200s", sqlite3_bind_parameter_count(st),
                  nargs, sql);
        return ERR_INTERNAL;
    }
    for (size_t i = 0; i < nargs; i++) {
        int rc = bind_one(st, (int)i + 1, &args[i]);
        if (rc != SQLITE_OK)
            return classify(lc, rc, sql);
    }
    return ERR_OK;
}

static void copy_row(sqlite3_stmt *st, struct store_rows_builder *b, size_t ncols)
{
    char **cells;
    size_t *lens;

    store_rows_add(b, &cells, &lens);
    for (size_t i = 0; i < ncols; i++) {
        if (sqlite3_column_type(st, (int)i) == SQLITE_NULL) {
            cells[i] = NULL;
            lens[i] = 0;
            continue;
        }
        /* text first, then bytes: the documented order that keeps the pointer valid */
        const unsigned char *t = sqlite3_column_text(st, (int)i);
        size_t n = (size_t)sqlite3_column_bytes(st, (int)i);
        cells[i] = arena_alloc(b->a, n + 1);
        if (n)
            memcpy(cells[i], t, n);
        cells[i][n] = '\0';
        lens[i] = n;
    }
}

static err_t step_all(struct lite_conn *lc, sqlite3_stmt *st, const char *sql, struct arena *a,
                      struct store_rows *rows)
{
    size_t ncols = (size_t)sqlite3_column_count(st);
    struct store_rows_builder b;
    int rc;

    if (rows) {
        store_rows_begin(&b, a, rows, ncols);
        for (size_t i = 0; i < ncols; i++)
            store_rows_name(&b, i, sqlite3_column_name(st, (int)i));
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (rows)
            copy_row(st, &b, ncols);
    if (rc != SQLITE_DONE) {
        if (rows)
            store_rows_abort(&b);
        return classify(lc, sqlite3_extended_errcode(lc->db), sql);
    }
    if (rows)
        store_rows_end(&b);
    return ERR_OK;
}

static err_t lite_exec(struct store_conn *c, const char *sql, const struct sql_arg *args,
                       size_t nargs, struct arena *a, struct store_rows *rows,
                       struct store_result *res)
{
    struct lite_conn *lc = (struct lite_conn *)c;
    sqlite3_stmt *st = NULL;
    bool is_batch = nargs > STORE_STMT_CACHED_ARGS_MAX;
    err_t err;

    err = is_batch ? stmt_prepare(lc, sql, &st) : stmt_get(lc, sql, &st);
    if (err)
        return err;
    err = bind_args(lc, st, sql, args, nargs);
    if (!err)
        err = step_all(lc, st, sql, a, rows);
    if (!err) {
        res->affected = sqlite3_changes64(lc->db);
        res->last_id = sqlite3_last_insert_rowid(lc->db);
    }
    if (is_batch) {
        sqlite3_finalize(st);
        return err;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return err;
}

static err_t exec_text(struct lite_conn *lc, const char *sql)
{
    char *errmsg = NULL;
    int rc = sqlite3_exec(lc->db, sql, NULL, NULL, &errmsg);

    sqlite3_free(errmsg);
    return rc == SQLITE_OK ? ERR_OK : classify(lc, sqlite3_extended_errcode(lc->db), sql);
}

static err_t lite_exec_script(struct store_conn *c, const char *script)
{
    return exec_text((struct lite_conn *)c, script);
}

static err_t lite_tx(struct store_conn *c, enum store_tx_op op)
{
    /* IMMEDIATE takes the write lock up front, so two writers wait on busy_timeout instead of
     * deadlocking when both try to upgrade a read lock. */
    static const char *const sql[] = {
        [STORE_TX_BEGIN] = "BEGIN IMMEDIATE",
        [STORE_TX_COMMIT] = "COMMIT",
        [STORE_TX_ROLLBACK] = "ROLLBACK",
    };
    return exec_text((struct lite_conn *)c, sql[op]);
}

const struct store_ops store_sqlite_ops = {
    .name = "sqlite",
    .dialect = STORE_DIALECT_SQLITE,
    .conn_open = lite_open,
    .conn_close = lite_close,
    .conn_reconnect = lite_reconnect,
    .exec = lite_exec,
    .exec_script = lite_exec_script,
    .tx = lite_tx,
};
