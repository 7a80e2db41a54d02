#define LOG_MODULE "store"
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/deadline.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/noblock.h"
#include "metrics/metrics.h"
#include "store/store_int.h"

enum {
    DEFAULT_ACQUIRE_TIMEOUT_MS = 5000,
    STORE_ANSWER_RESERVE_MS = 100,
    DEFAULT_SQLITE_CONNS = 8,
    MYSQL_MAX_OPEN_CAP = 16384, /* the reference's cap */
    MYSQL_DEFAULT_IDLE = 2,     /* Go's database/sql default when max_idle_conns is unset */
};

/* The read-write connection this thread holds inside a transaction, lent to reads on the same
 * thread so they see the transaction's own writes. */
static _Thread_local struct store_conn *tls_tx_conn;

int64_t store_mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static void pool_init(struct store *s, struct store_pool *p, bool read_only)
{
    pthread_condattr_t ca;

    p->s = s;
    p->read_only = read_only;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
}

static void pool_destroy(struct store_pool *p)
{
    if (!p->s)
        return;
    while (p->idle) {
        struct store_conn *c = p->idle;
        p->idle = c->next_idle;
        p->s->ops->conn_close(c);
    }
    if (p->n_open != p->n_idle)
        log_error("pool closed with %zu connection(s) still lent out", p->n_open - p->n_idle);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->t.host);
    free(p->t.user);
    free(p->t.password);
    free(p->t.database);
    memset(p, 0, sizeof(*p));
}

/* Applies one mysql.databases entry to a pool, with the reference's clamping
 * except that an unset lifetime means the config default rather than 5 s. */
static void pool_from_db(struct store_pool *p, const struct conf_db *db)
{
    p->t.host = xstrdup(db->host);
    p->t.port = db->port > 0 ? db->port : 3306;
    p->t.user = xstrdup(db->username);
    p->t.password = xstrdup(db->password);
    p->t.database = xstrdup(db->database);
    p->max_open = db->max_open_conns > 0 ? (size_t)db->max_open_conns : 0;
    if (p->max_open > MYSQL_MAX_OPEN_CAP)
        p->max_open = MYSQL_MAX_OPEN_CAP;
    p->max_idle = db->max_idle_conns > 0 ? (size_t)db->max_idle_conns : MYSQL_DEFAULT_IDLE;
    if (p->max_open && p->max_idle > p->max_open)
        p->max_idle = p->max_open;
    p->max_life_s = db->conn_max_life_time > 0 ? db->conn_max_life_time : 0;
}

/* Picks the entry a pool uses: the last one named "live" with the wanted read_only flag (the
 * name the reference's callers use), else the last one with that flag. */
static const struct conf_db *pick_db(const struct conf *cf, bool read_only)
{
    const struct conf_db *any = NULL, *live = NULL;

    for (size_t i = 0; i < cf->mysql.n_databases; i++) {
        const struct conf_db *db = &cf->mysql.databases[i];
        if (db->read_only != read_only)
            continue;
        any = db;
        if (db->name && strcmp(db->name, "live") == 0)
            live = db;
    }
    return live ? live : any;
}

static err_t setup_mysql(struct store *s, const struct conf *cf)
{
    const struct conf_db *rw = pick_db(cf, false), *ro = pick_db(cf, true);

    if (!rw) {
        log_error("mysql: no read-write entry in mysql.databases");
        return ERR_CONFIG;
    }
    s->ops = &store_mysql_ops;
    pool_init(s, &s->rw, false);
    pool_from_db(&s->rw, rw);
    if (ro) {
        pool_init(s, &s->ro, true);
        pool_from_db(&s->ro, ro);
        s->has_ro = true;
    }
    return ERR_OK;
}

/* mkdir -p of the directory part of path. */
static err_t make_parent_dir(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    err_t err = ERR_OK;

    if (slash && slash != dir) {
        *slash = '\0';
        for (char *p = dir + 1; *p && !err; p++) {
            if (*p != '/')
                continue;
            *p = '\0';
            if (mkdir(dir, 0750) != 0 && errno != EEXIST)
                err = ERR_UNAVAILABLE;
            *p = '/';
        }
        if (!err && mkdir(dir, 0750) != 0 && errno != EEXIST)
            err = ERR_UNAVAILABLE;
        if (err)
            log_error("sqlite: cannot create directory %s: %s", dir, strerror(errno));
    }
    free(dir);
    return err;
}

static err_t setup_sqlite(struct store *s, const struct conf *cf, const struct store_opts *o)
{
    const char *path = cf->sqlite.path && *cf->sqlite.path ? cf->sqlite.path : "data/qnlive.db";
    bool memory = strcmp(path, ":memory:") == 0;
    err_t err;

    if (!memory && (err = make_parent_dir(path)) != ERR_OK)
        return err;
    s->ops = &store_sqlite_ops;
    pool_init(s, &s->rw, false);
    s->rw.t.database = xstrdup(path);
    /* Every connection to ":memory:" is a different database, so it gets exactly one. */
    s->rw.max_open = memory                    ? 1
                     : o->sqlite_max_conns > 0 ? (size_t)o->sqlite_max_conns
                                               : DEFAULT_SQLITE_CONNS;
    s->rw.max_idle = s->rw.max_open;
    return ERR_OK;
}

/* Makes and returns one connection, so a wrong address fails at start-up, not on first use. */
static err_t check_connect(struct store *s)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(s, false, &c);

    store_release(c);
    if (!err && s->has_ro) {
        err = store_acquire(s, true, &c);
        store_release(c);
    }
    return err;
}

err_t store_open_opts(const struct conf *cf, const struct store_opts *o, struct store **out)
{
    static const struct store_opts defaults = {0};
    struct store *s = xcalloc(1, sizeof(*s));
    err_t err;

    if (!o)
        o = &defaults;
    s->acquire_timeout_ms =
        o->acquire_timeout_ms > 0 ? o->acquire_timeout_ms : DEFAULT_ACQUIRE_TIMEOUT_MS;
    bulkhead_init(&s->bulkhead, "store", (int)cf->limits.store, cf->limits.store_wait_ms);
    err = cf->mysql.enabled ? setup_mysql(s, cf) : setup_sqlite(s, cf, o);
    if (!err)
        err = check_connect(s);
    if (!err && !o->skip_migrate)
        err = store_migrate(s);
    if (err) {
        log_error("store open (%s) failed: %s", s->ops ? s->ops->name : "?", err_name(err));
        store_close(&s);
    }
    *out = s;
    return err;
}

err_t store_open(const struct conf *cf, struct store **out)
{
    return store_open_opts(cf, NULL, out);
}

void store_pool_usage(struct store *s, bool read_only, struct store_pool_usage *out)
{
    struct store_pool *p = read_only ? &s->ro : &s->rw;

    *out = (struct store_pool_usage){0};
    if (read_only && !s->has_ro)
        return;
    pthread_mutex_lock(&p->mu);
    *out = (struct store_pool_usage){
        .exists = true, .open = p->n_open, .idle = p->n_idle, .max_open = p->max_open};
    pthread_mutex_unlock(&p->mu);
}

void store_close(struct store **sp)
{
    struct store *s = *sp;

    if (!s)
        return;
    pool_destroy(&s->rw);
    pool_destroy(&s->ro);
    bulkhead_destroy(&s->bulkhead);
    free(s);
    *sp = NULL;
}

const char *store_backend_name(const struct store *s)
{
    return s->ops->name;
}

bool store_parallel_writes(const struct store *s)
{
    return strcmp(s->ops->name, "sqlite") != 0;
}

enum store_dialect store_dialect(const struct store_conn *c)
{
    return c->pool->s->ops->dialect;
}

bool store_conn_is_read_only(const struct store_conn *c)
{
    return c->pool->read_only;
}

static bool expired(const struct store_pool *p, const struct store_conn *c, int64_t now)
{
    return p->max_life_s > 0 && now - c->born_s >= p->max_life_s;
}

/* Pops a live idle connection (closing expired ones). Called and returns with p->mu held. */
static struct store_conn *pop_idle(struct store_pool *p)
{
    int64_t now = store_mono_s();

    while (p->idle) {
        struct store_conn *c = p->idle;
        p->idle = c->next_idle;
        p->n_idle--;
        c->next_idle = NULL;
        if (!expired(p, c, now))
            return c;
        p->n_open--;
        pthread_mutex_unlock(&p->mu);
        p->s->ops->conn_close(c);
        pthread_mutex_lock(&p->mu);
    }
    return NULL;
}

/* Opens a new connection for a slot already counted in n_open. Called without the lock. */
static err_t open_counted(struct store_pool *p, struct store_conn **out)
{
    struct store_conn *c = NULL;
    err_t err = p->s->ops->conn_open(p, &c);

    if (err) {
        pthread_mutex_lock(&p->mu);
        p->n_open--;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        return err;
    }
    c->pool = p;
    c->born_s = store_mono_s();
    *out = c;
    return ERR_OK;
}

static err_t pool_get(struct store_pool *p, int64_t timeout_ms, struct store_conn **out)
{
    struct timespec deadline = clock_mono_after_ms(timeout_ms);

    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct store_conn *c = pop_idle(p);
        if (c) {
            pthread_mutex_unlock(&p->mu);
            *out = c;
            return ERR_OK;
        }
        if (p->max_open == 0 || p->n_open < p->max_open) {
            p->n_open++;
            pthread_mutex_unlock(&p->mu);
            return open_counted(p, out);
        }
        if (pthread_cond_timedwait(&p->cv, &p->mu, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&p->mu);
            log_warn("no free %s connection after %" PRId64 " ms (max_open_conns %zu)",
                     p->read_only ? "read-only" : "read-write", timeout_ms, p->max_open);
            return ERR_UNAVAILABLE;
        }
    }
}

/* A thread that must not block takes an idle connection or nothing: it never waits for one
 * to come back, and never opens one (a first open may wait on the file's locks). */
static err_t pool_try_get(struct store_pool *p, struct store_conn **out)
{
    pthread_mutex_lock(&p->mu);
    *out = pop_idle(p);
    pthread_mutex_unlock(&p->mu);
    return *out ? ERR_OK : noblock_check();
}

/* On a thread that must not block: MySQL is a network round trip, always refused; SQLite is
 * a local file, served when a connection is idle right now. */
static err_t acquire_noblock(struct store *s, bool read_only, struct store_conn **out)
{
    if (s->ops->dialect != STORE_DIALECT_SQLITE)
        return noblock_check();
    err_t err = bulkhead_enter(&s->bulkhead);
    if (err)
        return err;
    err = pool_try_get(read_only && s->has_ro ? &s->ro : &s->rw, out);
    if (err)
        bulkhead_leave(&s->bulkhead);
    return err;
}

err_t store_acquire(struct store *s, bool read_only, struct store_conn **out)
{
    struct store_conn *tx = tls_tx_conn;

    *out = NULL;
    if (read_only && tx && tx->pool->s == s) {
        tx->borrows++;
        *out = tx;
        return ERR_OK;
    }
    if (noblock_is_set())
        return acquire_noblock(s, read_only, out);
    err_t err = bulkhead_enter(&s->bulkhead);
    if (err)
        return err;
    /* a request never waits for a connection past its own deadline, less the moment it needs
     * to answer 503 itself */
    err = pool_get(read_only && s->has_ro ? &s->ro : &s->rw,
                   deadline_cap_ms(s->acquire_timeout_ms, STORE_ANSWER_RESERVE_MS), out);
    if (err)
        bulkhead_leave(&s->bulkhead);
    return err;
}

void store_release(struct store_conn *c)
{
    struct store_pool *p;
    bool keep;

    if (!c)
        return;
    if (c->borrows > 0) {
        c->borrows--;
        return;
    }
    if (c->in_tx) {
        log_warn("connection released inside a transaction: rolling back");
        store_rollback(c);
    }
    p = c->pool;
    pthread_mutex_lock(&p->mu);
    keep = !c->broken && !expired(p, c, store_mono_s()) && p->n_idle < p->max_idle;
    if (keep) {
        c->next_idle = p->idle;
        p->idle = c;
        p->n_idle++;
    } else {
        p->n_open--;
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    if (!keep)
        p->s->ops->conn_close(c);
    bulkhead_leave(&p->s->bulkhead);
}

/* Gets a broken connection back before a statement that may use a fresh server connection. */
static err_t revive(struct store_conn *c)
{
    if (!c->broken)
        return ERR_OK;
    if (c->in_tx)
        return ERR_UNAVAILABLE;
    if (c->pool->s->ops->conn_reconnect(c) != ERR_OK)
        return ERR_UNAVAILABLE;
    c->broken = false;
    c->born_s = store_mono_s();
    return ERR_OK;
}

err_t store_begin(struct store_conn *c)
{
    const struct store_ops *ops = c->pool->s->ops;
    err_t err;

    if (c->in_tx) {
        log_error("store_begin inside a transaction");
        return ERR_INTERNAL;
    }
    err = revive(c);
    if (!err) {
        err = ops->tx(c, STORE_TX_BEGIN);
        /* A pooled connection may have died while idle: nothing is lost yet, so try once more. */
        if (err == ERR_UNAVAILABLE && c->broken && revive(c) == ERR_OK)
            err = ops->tx(c, STORE_TX_BEGIN);
    }
    if (err)
        return err;
    c->in_tx = true;
    if (!c->pool->read_only)
        tls_tx_conn = c;
    return ERR_OK;
}

void store_after_commit(struct store_conn *c, store_after_commit_fn *fn, void *ud, const char *arg)
{
    if (!c->in_tx) {
        fn(ud, arg);
        return;
    }
    if (c->n_after_commit == STORE_AFTER_COMMIT_MAX)
        abort();
    c->after_commit[c->n_after_commit].fn = fn;
    c->after_commit[c->n_after_commit].ud = ud;
    c->after_commit[c->n_after_commit++].arg = xstrdup(arg);
}

/* Runs (when committed) and forgets the after-commit calls of the transaction that ended. */
static void run_after_commit(struct store_conn *c, bool committed)
{
    for (size_t i = 0; i < c->n_after_commit; i++) {
        if (committed)
            c->after_commit[i].fn(c->after_commit[i].ud, c->after_commit[i].arg);
        free(c->after_commit[i].arg);
    }
    c->n_after_commit = 0;
}

static void tx_done(struct store_conn *c)
{
    c->in_tx = false;
    if (tls_tx_conn == c)
        tls_tx_conn = NULL;
}

err_t store_commit(struct store_conn *c)
{
    err_t err;

    if (!c->in_tx) {
        log_error("store_commit outside a transaction");
        return ERR_INTERNAL;
    }
    err = c->broken ? ERR_UNAVAILABLE : c->pool->s->ops->tx(c, STORE_TX_COMMIT);
    if (err && !c->broken)
        (void)c->pool->s->ops->tx(c, STORE_TX_ROLLBACK);
    tx_done(c);
    run_after_commit(c, !err);
    return err;
}

void store_rollback(struct store_conn *c)
{
    if (!c->in_tx)
        return;
    /* A failed rollback leaves the connection in an unknown state: never reuse it. */
    if (!c->broken && c->pool->s->ops->tx(c, STORE_TX_ROLLBACK) != ERR_OK)
        c->broken = true;
    tx_done(c);
    run_after_commit(c, false);
}

err_t store_tx_end(struct store_conn *c, err_t err)
{
    if (!c)
        return err;
    if (err) {
        store_rollback(c);
        return err;
    }
    return store_commit(c);
}

/* Runs one statement; outside a transaction a lost server connection is replaced and the statement
 * retried once, so a server restart or an idle timeout costs the caller nothing. */
static err_t run(struct store_conn *c, const char *sql, const struct sql_arg *args, size_t nargs,
                 struct arena *a, struct store_rows *rows, struct store_result *res)
{
    const struct store_ops *ops = c->pool->s->ops;
    err_t err = revive(c);

    if (err)
        return err;
    err = ops->exec(c, sql, args, nargs, a, rows, res);
    if (err == ERR_UNAVAILABLE && c->broken && !c->in_tx) {
        log_warn("database connection lost, retrying once on a new connection");
        err = revive(c);
        if (!err)
            err = ops->exec(c, sql, args, nargs, a, rows, res);
    }
    if (err == ERR_UNAVAILABLE || err == ERR_INTERNAL)
        metrics_add(METRICS_STORE_ERRORS, 1);
    return err;
}

err_t store_exec(struct store_conn *c, const char *sql, const struct sql_arg *args, size_t nargs,
                 int64_t *affected)
{
    struct store_result res = {0};
    err_t err = run(c, sql, args, nargs, NULL, NULL, &res);

    if (!err && affected)
        *affected = res.affected;
    return err;
}

err_t store_insert(struct store_conn *c, const char *sql, const struct sql_arg *args, size_t nargs,
                   int64_t *id)
{
    struct store_result res = {0};
    err_t err = run(c, sql, args, nargs, NULL, NULL, &res);

    if (!err && id)
        *id = res.last_id;
    return err;
}

err_t store_query(struct store_conn *c, struct arena *a, const char *sql,
                  const struct sql_arg *args, size_t nargs, struct store_rows *out)
{
    struct store_result res = {0};

    memset(out, 0, sizeof(*out));
    return run(c, sql, args, nargs, a, out, &res);
}

err_t store_query_first(struct store_conn *c, struct arena *a, const char *sql,
                        const struct sql_arg *args, size_t nargs, struct store_rows *out)
{
    err_t err = store_query(c, a, sql, args, nargs, out);

    if (!err && out->nrows == 0)
        err = ERR_NOT_FOUND;
    return err;
}
