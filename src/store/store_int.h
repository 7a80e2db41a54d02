#ifndef QNLIVE_STORE_STORE_INT_H
#define QNLIVE_STORE_STORE_INT_H

/* Backend-facing internals of the store: the vtable each backend fills in, the connection pool
 * shared by both, and helpers the backends use. Business code includes store.h only. */

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/bulkhead.h"
#include "store/store.h"

enum store_tx_op { STORE_TX_BEGIN, STORE_TX_COMMIT, STORE_TX_ROLLBACK };

/* What a statement reports besides rows. */
struct store_result {
    int64_t affected;
    int64_t last_id;
};

struct store_pool;

struct store_ops {
    const char *name; /* "mysql" | "sqlite" */
    enum store_dialect dialect;
    /* Makes a new connection for pool p (ERR_UNAVAILABLE when the server cannot be reached). */
    err_t (*conn_open)(struct store_pool *p, struct store_conn **out);
    /* Frees a connection and everything it caches. */
    void (*conn_close)(struct store_conn *c);
    /* Replaces a broken connection's server link in place (prepared statements are dropped). */
    err_t (*conn_reconnect)(struct store_conn *c);
    /* Runs one statement with bound args. rows may be NULL (result rows are then discarded).
     * A lost connection sets c->broken and returns ERR_UNAVAILABLE. */
    err_t (*exec)(struct store_conn *c, const char *sql, const struct sql_arg *args, size_t nargs,
                  struct arena *a, struct store_rows *rows, struct store_result *res);
    /* Runs a script of ';'-separated statements without parameters (migrations). */
    err_t (*exec_script)(struct store_conn *c, const char *script);
    /* Begins, commits or rolls back a transaction. */
    err_t (*tx)(struct store_conn *c, enum store_tx_op op);
};

/* Connection parameters of one pool (copied from the config; owned by the pool). */
struct store_target {
    char *host;
    int64_t port;
    char *user;
    char *password;
    char *database; /* MySQL database, or the SQLite file path */
};

struct store_pool {
    struct store *s;
    bool read_only;
    struct store_target t;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when a connection is returned or a slot frees up */
    struct store_conn *idle;
    size_t n_idle;
    size_t n_open;   /* idle + lent out */
    size_t max_open; /* 0 = unlimited */
    size_t max_idle;
    int64_t max_life_s; /* 0 = forever */
};

/* The part of a connection the generic layer owns; backends embed it as their first member. */
struct store_conn {
    struct store_pool *pool;
    int64_t born_s; /* monotonic seconds at (re)connect, for conn_max_life_time */
    bool in_tx;
    bool broken; /* the server connection is gone; reconnect before reuse */
    int borrows; /* times lent to a read on the same thread (store_acquire) */
    struct store_conn *next_idle;
    /* store_after_commit calls of the open transaction; arg heap-owned */
    struct {
        store_after_commit_fn *fn;
        void *ud;
        char *arg;
    } after_commit[STORE_AFTER_COMMIT_MAX];
    size_t n_after_commit;
};

struct store {
    const struct store_ops *ops;
    struct store_pool rw;
    struct store_pool ro;
    bool has_ro;
    int64_t acquire_timeout_ms;
    /* threads inside the store at once: a hung database holds only these */
    struct bulkhead bulkhead;
};

extern const struct store_ops store_mysql_ops;
extern const struct store_ops store_sqlite_ops;

/* Monotonic clock in seconds. */
int64_t store_mono_s(void);

/* Appends one row (ncols text cells copied into the arena) to a result being built. */
struct store_rows_builder {
    struct arena *a;
    struct store_rows *out;
    char **cells; /* heap, grows */
    size_t *lens;
    size_t cap_rows;
};
void store_rows_begin(struct store_rows_builder *b, struct arena *a, struct store_rows *out,
                      size_t ncols);
/* Sets column label i (copied). */
void store_rows_name(struct store_rows_builder *b, size_t i, const char *name);
/* Reserves the next row; the caller fills cells[i] and lens[i] of the returned row. */
void store_rows_add(struct store_rows_builder *b, char ***cells, size_t **lens);
/* Moves the rows into the arena and frees the builder's heap. */
void store_rows_end(struct store_rows_builder *b);
/* Frees the builder's heap after a failure (out is left empty). */
void store_rows_abort(struct store_rows_builder *b);

/* Splits a SQL script into statements at ';' outside quotes and comments. Calls fn for each
 * non-blank statement (NUL-terminated heap copy, freed after the call) until fn fails. */
err_t store_script_each(const char *script, err_t (*fn)(void *ctx, const char *stmt), void *ctx);

/* A 64-bit FNV-1a hash of a string, used to key prepared statement caches. */
uint64_t store_hash_sql(const char *sql);

/* Size of the per-connection prepared statement caches, and the most parameters a statement
 * may have to be kept in them. Bigger ones (the write-behind's batches of up to 256 rows) are
 * prepared for each use and closed after it: a prepared statement keeps per-parameter arrays
 * (about 200 KB for 1,536 parameters) on every connection that ever ran it, while a batch runs
 * a few times per second per node at most. */
enum { STORE_STMT_CACHE = 128, STORE_STMT_CACHED_ARGS_MAX = 128 };

#endif
