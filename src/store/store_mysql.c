#define LOG_MODULE "store.mysql"
#include <errmsg.h>
#include <inttypes.h>
#include <mysql.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "store/sqltime.h"
#include "store/store_int.h"

/* Timeouts so a dead or unreachable server turns into ERR_UNAVAILABLE, never a hang. */
enum {
    CONNECT_TIMEOUT_S = 3,
    IO_TIMEOUT_S = 10,
    CELL_BUF = 256, /* first try per result cell; longer values are fetched again at size */
};

/* Server error numbers we map (from mysqld_error.h, which libmariadb does not ship). */
enum {
    ER_DUP_ENTRY_ = 1062,
    ER_DUP_ENTRY_WITH_KEY_NAME_ = 1586,
    ER_SERVER_SHUTDOWN_ = 1053,
    ER_LOCK_WAIT_TIMEOUT_ = 1205,
    ER_LOCK_DEADLOCK_ = 1213,
    ER_CONNECTION_KILLED_ = 1927,
    ER_CLIENT_INTERACTION_TIMEOUT_ = 4031, /* MySQL 8 idle disconnect */
};

struct stmt_entry {
    uint64_t hash;
    char *sql;
    MYSQL_STMT *st;
};

struct my_conn {
    struct store_conn base; /* first: the generic layer casts */
    MYSQL *m;
    struct stmt_entry cache[STORE_STMT_CACHE];
    size_t n_cache;
    size_t evict_next;
    /* Scratch for binding, grown on demand and reused by every statement. */
    MYSQL_BIND *binds;
    int64_t *ints;
    MYSQL_TIME *times;
    unsigned long *str_lens;
    size_t cap_args;
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_init(void)
{
    if (mysql_library_init(0, NULL, NULL) != 0)
        log_error("mysql_library_init failed");
}

static bool is_lost(unsigned e)
{
    switch (e) {
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_COMMANDS_OUT_OF_SYNC:
    case ER_SERVER_SHUTDOWN_:
    case ER_CONNECTION_KILLED_:
    case ER_CLIENT_INTERACTION_TIMEOUT_:
        return true;
    default:
        return false;
    }
}

/* Maps a MySQL error to err_t, marking the connection broken when the server connection is gone. */
static err_t classify(struct my_conn *mc, unsigned e, const char *msg, const char *sql)
{
    if (e == ER_DUP_ENTRY_ || e == ER_DUP_ENTRY_WITH_KEY_NAME_)
        return ERR_EXISTS;
    if (is_lost(e)) {
        mc->base.broken = true;
        log_warn("connection lost: %u %s", e, msg);
        return ERR_UNAVAILABLE;
    }
    if (e == ER_LOCK_WAIT_TIMEOUT_ || e == ER_LOCK_DEADLOCK_) {
        log_warn("transient: %u %s", e, msg);
        return ERR_UNAVAILABLE;
    }
    log_error("error %u: %s; sql: %.200s", e, msg, sql);
    return ERR_INTERNAL;
}

static err_t stmt_error(struct my_conn *mc, MYSQL_STMT *st, const char *sql)
{
    return classify(mc, mysql_stmt_errno(st), mysql_stmt_error(st), sql);
}

static err_t connect_server(struct my_conn *mc, const struct store_target *t)
{
    unsigned int connect_to = CONNECT_TIMEOUT_S, io_to = IO_TIMEOUT_S;
    my_bool no = 0;

    mc->m = mysql_init(NULL);
    if (!mc->m)
        return ERR_INTERNAL;
    mysql_options(mc->m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_to);
    mysql_options(mc->m, MYSQL_OPT_READ_TIMEOUT, &io_to);
    mysql_options(mc->m, MYSQL_OPT_WRITE_TIMEOUT, &io_to);
    mysql_options(mc->m, MYSQL_OPT_RECONNECT, &no); /* we reconnect ourselves, knowing tx state */
    mysql_options(mc->m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!mysql_real_connect(mc->m, t->host, t->user, t->password, t->database, (unsigned)t->port,
                            NULL, 0)) {
        log_error("connect %s@%s:%" PRId64 "/%s failed: %u %s", t->user, t->host, t->port,
                  t->database, mysql_errno(mc->m), mysql_error(mc->m));
        mysql_close(mc->m);
        mc->m = NULL;
        return ERR_UNAVAILABLE;
    }
    return ERR_OK;
}

static err_t my_open(struct store_pool *p, struct store_conn **out)
{
    struct my_conn *mc = xcalloc(1, sizeof(*mc));
    err_t err;

    pthread_once(&lib_once, lib_init);
    err = connect_server(mc, &p->t);
    if (err) {
        free(mc);
        return err;
    }
    *out = &mc->base;
    return ERR_OK;
}

/* Drops the server link and its statements. Closing the link first makes libmariadb detach the
 * statements, so closing them then sends nothing to a possibly dead server. */
static void drop_link(struct my_conn *mc)
{
    if (mc->m)
        mysql_close(mc->m);
    mc->m = NULL;
    for (size_t i = 0; i < mc->n_cache; i++) {
        mysql_stmt_close(mc->cache[i].st);
        free(mc->cache[i].sql);
    }
    mc->n_cache = 0;
    mc->evict_next = 0;
}

static void my_close(struct store_conn *c)
{
    struct my_conn *mc = (struct my_conn *)c;

    drop_link(mc);
    free(mc->binds);
    free(mc->ints);
    free(mc->times);
    free(mc->str_lens);
    free(mc);
}

static err_t my_reconnect(struct store_conn *c)
{
    struct my_conn *mc = (struct my_conn *)c;

    drop_link(mc);
    return connect_server(mc, &c->pool->t);
}

/* A new prepared statement for sql, not cached (big write-behind batches). */
static err_t stmt_prepare(struct my_conn *mc, const char *sql, MYSQL_STMT **out)
{
    MYSQL_STMT *st = mysql_stmt_init(mc->m);
    if (!st)
        return classify(mc, mysql_errno(mc->m), mysql_error(mc->m), sql);
    if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
        err_t err = stmt_error(mc, st, sql);
        mysql_stmt_close(st);
        return err;
    }
    *out = st;
    return ERR_OK;
}

/* Finds the cached prepared statement for sql, preparing (and caching) it on a miss. */
static err_t stmt_get(struct my_conn *mc, const char *sql, MYSQL_STMT **out)
{
    uint64_t h = store_hash_sql(sql);
    struct stmt_entry *e;
    MYSQL_STMT *st;

    for (size_t i = 0; i < mc->n_cache; i++) {
        if (mc->cache[i].hash == h && strcmp(mc->cache[i].sql, sql) == 0) {
            *out = mc->cache[i].st;
            return ERR_OK;
        }
    }
    err_t err = stmt_prepare(mc, sql, &st);
    if (err)
        return err;
    if (mc->n_cache < STORE_STMT_CACHE) {
        e = &mc->cache[mc->n_cache++];
    } else { /* full: replace entries round-robin */
        e = &mc->cache[mc->evict_next];
        mc->evict_next = (mc->evict_next + 1) % STORE_STMT_CACHE;
        mysql_stmt_close(e->st);
        free(e->sql);
    }
    e->hash = h;
    e->sql = xstrdup(sql);
    e->st = st;
    *out = st;
    return ERR_OK;
}

static void grow_scratch(struct my_conn *mc, size_t n)
{
    if (n <= mc->cap_args)
        return;
    mc->cap_args = n < 16 ? 16 : n;
    mc->binds = xrealloc(mc->binds, mc->cap_args * sizeof(*mc->binds));
    mc->ints = xrealloc(mc->ints, mc->cap_args * sizeof(*mc->ints));
    mc->times = xrealloc(mc->times, mc->cap_args * sizeof(*mc->times));
    mc->str_lens = xrealloc(mc->str_lens, mc->cap_args * sizeof(*mc->str_lens));
}

/* The scratch grown for a batch goes once the batch is done, like its statement. */
static void shrink_scratch(struct my_conn *mc)
{
    if (mc->cap_args <= STORE_STMT_CACHED_ARGS_MAX)
        return;
    free(mc->binds);
    free(mc->ints);
    free(mc->times);
    free(mc->str_lens);
    mc->binds = NULL;
    mc->ints = NULL;
    mc->times = NULL;
    mc->str_lens = NULL;
    mc->cap_args = 0;
}

static void bind_one(struct my_conn *mc, size_t i, const struct sql_arg *a)
{
    MYSQL_BIND *b = &mc->binds[i];
    struct sqltime t;

    memset(b, 0, sizeof(*b));
    if (a->type == SQL_TYPE_I64) {
        mc->ints[i] = a->i;
        b->buffer_type = MYSQL_TYPE_LONGLONG;
        b->buffer = &mc->ints[i];
    } else if (a->type == SQL_TYPE_STR && a->s) {
        mc->str_lens[i] = a->len == SIZE_MAX ? strlen(a->s) : a->len;
        b->buffer_type = MYSQL_TYPE_STRING;
        b->buffer = (void *)(uintptr_t)a->s; /* libmariadb only reads input buffers */
        b->buffer_length = mc->str_lens[i];
        b->length = &mc->str_lens[i];
    } else if (a->type == SQL_TYPE_TIME) {
        sqltime_from_unix(a->i, &t);
        memset(&mc->times[i], 0, sizeof(mc->times[i]));
        mc->times[i].year = (unsigned)t.year;
        mc->times[i].month = (unsigned)t.month;
        mc->times[i].day = (unsigned)t.day;
        mc->times[i].hour = (unsigned)t.hour;
        mc->times[i].minute = (unsigned)t.minute;
        mc->times[i].second = (unsigned)t.second;
        mc->times[i].time_type = MYSQL_TIMESTAMP_DATETIME;
        b->buffer_type = MYSQL_TYPE_DATETIME;
        b->buffer = &mc->times[i];
    } else {
        b->buffer_type = MYSQL_TYPE_NULL;
    }
}

static err_t bind_args(struct my_conn *mc, MYSQL_STMT *st, const char *sql,
                       const struct sql_arg *args, size_t nargs)
{
    if (mysql_stmt_param_count(st) != nargs) {
        log_error("statement wants %lu args, got %zu; sql: %.200s", mysql_stmt_param_count(st),
                  nargs, sql);
        return ERR_INTERNAL;
    }
    if (nargs == 0)
        return ERR_OK;
    grow_scratch(mc, nargs);
    for (size_t i = 0; i < nargs; i++)
        bind_one(mc, i, &args[i]);
    if (mysql_stmt_bind_param(st, mc->binds) != 0)
        return stmt_error(mc, st, sql);
    return ERR_OK;
}

/* Per-query result scratch: one bind, buffer and status per column. */
struct fetch {
    MYSQL_BIND *binds;
    char *bufs;
    unsigned long *lens;
    my_bool *nulls;
    my_bool *errs;
};

static void fetch_setup(struct fetch *f, size_t ncols)
{
    f->binds = xcalloc(ncols, sizeof(*f->binds));
    f->bufs = xmalloc(ncols * CELL_BUF);
    f->lens = xcalloc(ncols, sizeof(*f->lens));
    f->nulls = xcalloc(ncols, sizeof(*f->nulls));
    f->errs = xcalloc(ncols, sizeof(*f->errs));
    for (size_t i = 0; i < ncols; i++) {
        /* Every type is fetched as text: the store_rows contract is text cells. */
        f->binds[i].buffer_type = MYSQL_TYPE_STRING;
        f->binds[i].buffer = f->bufs + i * CELL_BUF;
        f->binds[i].buffer_length = CELL_BUF;
        f->binds[i].length = &f->lens[i];
        f->binds[i].is_null = &f->nulls[i];
        f->binds[i].error = &f->errs[i];
    }
}

static void fetch_free(struct fetch *f)
{
    free(f->binds);
    free(f->bufs);
    free(f->lens);
    free(f->nulls);
    free(f->errs);
}

/* Copies the current row's cells into the arena, refetching cells longer than CELL_BUF. */
static err_t copy_row(struct my_conn *mc, MYSQL_STMT *st, struct fetch *f, size_t ncols,
                      struct store_rows_builder *b, const char *sql)
{
    char **cells;
    size_t *lens;

    store_rows_add(b, &cells, &lens);
    for (size_t i = 0; i < ncols; i++) {
        size_t n = f->lens[i];
        cells[i] = NULL;
        lens[i] = 0;
        if (f->nulls[i])
            continue;
        cells[i] = arena_alloc(b->a, n + 1);
        if (n < CELL_BUF) {
            memcpy(cells[i], f->bufs + i * CELL_BUF, n);
        } else {
            MYSQL_BIND big = {0};
            unsigned long got = 0;
            big.buffer_type = MYSQL_TYPE_STRING;
            big.buffer = cells[i];
            big.buffer_length = n + 1;
            big.length = &got;
            if (mysql_stmt_fetch_column(st, &big, (unsigned)i, 0) != 0)
                return stmt_error(mc, st, sql);
        }
        cells[i][n] = '\0';
        lens[i] = n;
    }
    return ERR_OK;
}

static err_t fetch_all(struct my_conn *mc, MYSQL_STMT *st, MYSQL_RES *meta, struct arena *a,
                       struct store_rows *rows, const char *sql)
{
    size_t ncols = mysql_num_fields(meta);
    MYSQL_FIELD *fields = mysql_fetch_fields(meta);
    struct store_rows_builder b;
    struct fetch f;
    err_t err = ERR_OK;
    int rc;

    store_rows_begin(&b, a, rows, ncols);
    for (size_t i = 0; i < ncols; i++)
        store_rows_name(&b, i, fields[i].name);
    fetch_setup(&f, ncols);
    if (mysql_stmt_bind_result(st, f.binds) != 0)
        err = stmt_error(mc, st, sql);
    while (!err && ((rc = mysql_stmt_fetch(st)) == 0 || rc == MYSQL_DATA_TRUNCATED))
        err = copy_row(mc, st, &f, ncols, &b, sql);
    if (!err && rc == 1)
        err = stmt_error(mc, st, sql);
    fetch_free(&f);
    if (err)
        store_rows_abort(&b);
    else
        store_rows_end(&b);
    return err;
}

/* Executes a prepared statement and reads (or, without `rows`, discards) its result set. */
static err_t run_stmt(struct my_conn *mc, MYSQL_STMT *st, const char *sql, struct arena *a,
                      struct store_rows *rows, struct store_result *res)
{
    MYSQL_RES *meta;
    err_t err = ERR_OK;

    if (mysql_stmt_execute(st) != 0)
        return stmt_error(mc, st, sql);
    meta = mysql_stmt_result_metadata(st);
    if (meta) {
        if (mysql_stmt_store_result(st) != 0)
            err = stmt_error(mc, st, sql);
        else if (rows)
            err = fetch_all(mc, st, meta, a, rows, sql);
        mysql_free_result(meta);
        mysql_stmt_free_result(st);
    }
    if (!err) {
        res->affected = (int64_t)mysql_stmt_affected_rows(st);
        res->last_id = (int64_t)mysql_stmt_insert_id(st);
    }
    return err;
}

static err_t my_exec(struct store_conn *c, const char *sql, const struct sql_arg *args,
                     size_t nargs, struct arena *a, struct store_rows *rows,
                     struct store_result *res)
{
    struct my_conn *mc = (struct my_conn *)c;
    MYSQL_STMT *st = NULL;
    bool is_batch = nargs > STORE_STMT_CACHED_ARGS_MAX;
    err_t err;

    err = is_batch ? stmt_prepare(mc, sql, &st) : stmt_get(mc, sql, &st);
    if (!err)
        err = bind_args(mc, st, sql, args, nargs);
    if (!err)
        err = run_stmt(mc, st, sql, a, rows, res);
    if (is_batch) {
        if (st)
            mysql_stmt_close(st);
        shrink_scratch(mc);
    }
    return err;
}

static err_t query_text(struct my_conn *mc, const char *sql)
{
    MYSQL_RES *r;

    if (mysql_real_query(mc->m, sql, strlen(sql)) != 0)
        return classify(mc, mysql_errno(mc->m), mysql_error(mc->m), sql);
    r = mysql_store_result(mc->m); /* drain any result so the protocol stays in sync */
    if (r)
        mysql_free_result(r);
    return ERR_OK;
}

static err_t script_stmt(void *ctx, const char *stmt)
{
    return query_text(ctx, stmt);
}

static err_t my_exec_script(struct store_conn *c, const char *script)
{
    return store_script_each(script, script_stmt, c);
}

static err_t my_tx(struct store_conn *c, enum store_tx_op op)
{
    static const char *const sql[] = {
        [STORE_TX_BEGIN] = "START TRANSACTION",
        [STORE_TX_COMMIT] = "COMMIT",
        [STORE_TX_ROLLBACK] = "ROLLBACK",
    };
    return query_text((struct my_conn *)c, sql[op]);
}

const struct store_ops store_mysql_ops = {
    .name = "mysql",
    .dialect = STORE_DIALECT_MYSQL,
    .conn_open = my_open,
    .conn_close = my_close,
    .conn_reconnect = my_reconnect,
    .exec = my_exec,
    .exec_script = my_exec_script,
    .tx = my_tx,
};
