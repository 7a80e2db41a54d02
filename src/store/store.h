#ifndef QNLIVE_STORE_STORE_H
#define QNLIVE_STORE_STORE_H

/* The storage interface. One API, two backends behind a vtable (store_int.h): MySQL/MariaDB
 * (libmariadb) when the config has a `mysql` section, SQLite in a local file otherwise.
 *
 * Usage from business code, per request:
 *
 *     struct store_conn *c = NULL;
 *     struct store_rows rows;
 *     err = store_acquire(app->store, true, &c);            // read-only pool when configured
 *     if (!err)
 *         err = store_query(c, r->arena, "SELECT nick FROM live_users WHERE user_id = ?",
 *                           (struct sql_arg[]){ SQL_STR(uid) }, 1, &rows);
 *     store_release(c);
 *
 * Rules: SQL is written once, with `?` placeholders, in the subset both dialects accept
 * (identifiers may be quoted with backticks); values are only ever bound, never pasted. Times
 * are bound with SQL_TIME(unix seconds) and read with store_rows_time(): the database holds
 * Asia/Shanghai wall-clock text (sqltime.h). Never use the database's NOW(): pass the time in.
 * Dialect differences go through the builders at the end of this file.
 *
 * Errors common to every call: ERR_UNAVAILABLE when the database cannot be reached (a lost
 * MySQL connection is retried once on a fresh connection when no transaction is open), ERR_EXISTS
 * on a unique-key violation, ERR_INTERNAL for anything else (logged once, here).
 * A server that died while executing a statement may have applied it before the retry: a write
 * that must never be applied twice belongs in a transaction (never retried) or behind a unique
 * key (the retry then reports ERR_EXISTS). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct conf;
struct arena;
struct store;
struct store_conn;

enum store_dialect {
    STORE_DIALECT_MYSQL,
    STORE_DIALECT_SQLITE,
};

enum sql_type {
    SQL_TYPE_NULL,
    SQL_TYPE_I64,
    SQL_TYPE_STR,
    SQL_TYPE_TIME,
};

/* A bound parameter. Build it with the SQL_* macros; strings are borrowed for the call only. */
struct sql_arg {
    enum sql_type type;
    int64_t i;     /* SQL_TYPE_I64 value, or Unix seconds for SQL_TYPE_TIME */
    const char *s; /* SQL_TYPE_STR; NULL binds SQL NULL */
    size_t len;    /* SQL_TYPE_STR byte length; SIZE_MAX means NUL-terminated */
};

#define SQL_NULL ((struct sql_arg){.type = SQL_TYPE_NULL})
#define SQL_I64(x) ((struct sql_arg){.type = SQL_TYPE_I64, .i = (int64_t)(x)})
#define SQL_BOOL(b) ((struct sql_arg){.type = SQL_TYPE_I64, .i = (b) ? 1 : 0})
#define SQL_STR(x) ((struct sql_arg){.type = SQL_TYPE_STR, .s = (x), .len = SIZE_MAX})
#define SQL_STRN(x, n) ((struct sql_arg){.type = SQL_TYPE_STR, .s = (x), .len = (n)})
#define SQL_TIME(unix_s) ((struct sql_arg){.type = SQL_TYPE_TIME, .i = (int64_t)(unix_s)})

/* A query result, fully buffered in the caller's arena. Every cell is text (numbers in decimal,
 * DATETIME as "YYYY-MM-DD HH:MM:SS" wall-clock); read it through the typed accessors. */
struct store_rows {
    size_t nrows;
    size_t ncols;
    const char **names; /* ncols column labels */
    char **cells;       /* nrows * ncols, row-major; NULL for SQL NULL */
    size_t *lens;       /* byte length of each cell (cells may hold NUL bytes) */
};

/* Options for store_open_opts(); zero values mean the defaults noted. */
struct store_opts {
    bool skip_migrate;          /* default false: store_open applies pending migrations */
    int64_t acquire_timeout_ms; /* wait for a free pooled connection; default 5000 */
    int64_t sqlite_max_conns;   /* SQLite pool size; default 8 (always 1 for ":memory:") */
};

/* Opens the store the config asks for: MySQL when cf->mysql.enabled (pools from
 * cf->mysql.databases, see store_acquire), else SQLite at cf->sqlite.path (parent directory
 * created; ":memory:" for a private in-memory database). Checks that one connection can be made,
 * then applies pending migrations. *out is owned by the caller (store_close).
 * ERR_CONFIG: unusable config (no read-write database entry); ERR_UNAVAILABLE: cannot
 * connect; ERR_INTERNAL: a migration failed. */
err_t store_open(const struct conf *cf, struct store **out) MUST_USE;

/* store_open with options (o may be NULL). */
err_t store_open_opts(const struct conf *cf, const struct store_opts *o,
                      struct store **out) MUST_USE;

/* Closes every pooled connection and frees the store; accepts NULL and NULLs *sp. Every
 * connection must have been released before. */
void store_close(struct store **sp);

/* Applies, in order, every embedded migration not yet recorded in schema_migrations, and records
 * it. Migrations are idempotent, so concurrent starts of several nodes are safe. Returns
 * ERR_UNAVAILABLE or ERR_INTERNAL. */
err_t store_migrate(struct store *s) MUST_USE;

/* "mysql" or "sqlite". */
const char *store_backend_name(const struct store *s);

/* Whether concurrent write transactions make progress together (MySQL) rather than take turns
 * on one database-wide lock (SQLite): a writer that batches work may then run several at once. */
bool store_parallel_writes(const struct store *s);

/* A snapshot of one connection pool, for metrics. */
struct store_pool_usage {
    bool exists;     /* false: no read-only pool is configured */
    size_t open;     /* connections open: idle + lent out */
    size_t idle;     /* open and not lent out */
    size_t max_open; /* 0 = unlimited */
};

/* Fills *out for the read-write or the read-only pool; takes the pool's lock briefly. */
void store_pool_usage(struct store *s, bool read_only, struct store_pool_usage *out);

/* Takes a connection for the calling thread. read_only picks the read-only pool (entries with
 * `read_only: true`) when one is configured, else the read-write pool; but when this thread holds
 * a read-write connection of the same store inside a transaction, that connection is lent instead
 * so the read sees the transaction's writes. Blocks while the pool is at max_open_conns, up to
 * the acquire timeout: ERR_UNAVAILABLE then, or when no connection can be made. On a thread
 * marked "must not block" (core/noblock.h) it never waits: ERR_WOULD_BLOCK for MySQL, and for
 * SQLite unless a connection is idle; statements on such a thread do not wait for another
 * writer's lock either (ERR_WOULD_BLOCK). */
err_t store_acquire(struct store *s, bool read_only, struct store_conn **out) MUST_USE;

/* Returns a connection to its pool (accepts NULL). An open transaction is rolled back. */
void store_release(struct store_conn *c);

/* The SQL dialect of the connection's backend. */
enum store_dialect store_dialect(const struct store_conn *c);

/* True when the connection comes from the read-only pool. */
bool store_conn_is_read_only(const struct store_conn *c);

/* Transactions on a read-write connection. store_begin fails with ERR_INTERNAL when a transaction
 * is already open. After a lost connection inside a transaction every call returns
 * ERR_UNAVAILABLE until store_rollback. */
err_t store_begin(struct store_conn *c) MUST_USE;
err_t store_commit(struct store_conn *c) MUST_USE;
/* Rolls back; never fails from the caller's point of view (a dead connection is discarded). */
void store_rollback(struct store_conn *c);

/* What a module runs once another module's transaction that wrote its rows has committed
 * (e.g. telling cached views of a room that it changed). */
typedef void store_after_commit_fn(void *ud, const char *arg);

enum { STORE_AFTER_COMMIT_MAX = 8 };

/* Runs fn(ud, arg) after the open transaction of c commits, in the committing thread; a
 * rollback drops it. Outside a transaction it runs at once. arg is copied. More than
 * STORE_AFTER_COMMIT_MAX calls in one transaction is a programmer bug (abort). */
void store_after_commit(struct store_conn *c, store_after_commit_fn *fn, void *ud, const char *arg);

/* Ends a transaction: commits when err is ERR_OK (returning the commit's result), else rolls back
 * and returns err unchanged. Written for the `out:` label. */
err_t store_tx_end(struct store_conn *c, err_t err) MUST_USE;

/* Runs a statement without a result set. *affected (may be NULL) gets the rows changed
 * (MySQL: rows actually changed, as libmariadb reports them). */
err_t store_exec(struct store_conn *c, const char *sql, const struct sql_arg *args, size_t nargs,
                 int64_t *affected) MUST_USE;

/* Runs an INSERT and returns the auto-increment id of the new row in *id (may be NULL). */
err_t store_insert(struct store_conn *c, const char *sql, const struct sql_arg *args, size_t nargs,
                   int64_t *id) MUST_USE;

/* Runs a query; every row is copied into the arena `a` and described by *out. */
err_t store_query(struct store_conn *c, struct arena *a, const char *sql,
                  const struct sql_arg *args, size_t nargs, struct store_rows *out) MUST_USE;

/* store_query that wants at least one row: ERR_NOT_FOUND when there is none. */
err_t store_query_first(struct store_conn *c, struct arena *a, const char *sql,
                        const struct sql_arg *args, size_t nargs, struct store_rows *out) MUST_USE;

/* Typed cell access; row and col must be in range (asserted). */
/* The cell text (arena-owned), NULL for SQL NULL. */
const char *store_rows_str(const struct store_rows *r, size_t row, size_t col);
/* The cell text, "" for SQL NULL (columns the API always renders as strings). */
const char *store_rows_text(const struct store_rows *r, size_t row, size_t col);
/* True when the cell is SQL NULL. */
bool store_rows_is_null(const struct store_rows *r, size_t row, size_t col);
/* The cell as an integer; 0 for SQL NULL or text that is not a decimal integer. */
int64_t store_rows_i64(const struct store_rows *r, size_t row, size_t col);
/* A DATETIME cell as Unix seconds (0 for SQL NULL, the zero date or unparsable text); an integer
 * cell is taken as Unix seconds already (columns like last_censor_time). */
int64_t store_rows_time(const struct store_rows *r, size_t row, size_t col);
/* Index of the column labelled `name`, or -1. */
int store_rows_col(const struct store_rows *r, const char *name);

/* Dialect builders. Each returns SQL in the arena; the statement cache keys on the text, so
 * building per call is fine. `cols` and `conflict` are comma-separated column lists.
 *
 * store_sql_upsert: INSERT INTO table (cols) VALUES (?, ...) that, when the unique key `conflict`
 * already holds the row, applies `update` instead. In `update`, NEW(col) names the value the
 * insert would have written, e.g. "count = count + NEW(count), updated_at = NEW(updated_at)".
 * (MySQL: ON DUPLICATE KEY UPDATE with VALUES(col); SQLite: ON CONFLICT (...) DO UPDATE SET with
 * excluded.col.) */
const char *store_sql_upsert(const struct store_conn *c, struct arena *a, const char *table,
                             const char *cols, const char *conflict, const char *update);

/* store_sql_upsert for nrows rows in one statement: VALUES (?, ...), (?, ...)... with the
 * arguments of each row in turn. A row repeated in one statement is applied twice, harmlessly
 * when both copies carry the same values. */
const char *store_sql_upsert_rows(const struct store_conn *c, struct arena *a, const char *table,
                                  const char *cols, const char *conflict, const char *update,
                                  size_t nrows);

/* "?, ?, ?": n placeholders, for an IN (...) list of n values. */
const char *store_sql_placeholders(struct arena *a, size_t n);

/* INSERT INTO table (cols) VALUES (?, ...) that does nothing when a unique key already holds the
 * row (no error, 0 rows affected). Other errors still fail, unlike MySQL's INSERT IGNORE. */
const char *store_sql_insert_ignore(const struct store_conn *c, struct arena *a, const char *table,
                                    const char *cols);

#endif
