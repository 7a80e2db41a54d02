/* The store contract, run on SQLite (a file in a temp dir) and, when QNLIVE_TEST_MYSQL is set,
 * on MariaDB (a scratch database): CRUD, bound parameters (NULL, unicode, quotes, long values),
 * time, transactions, unique violations, dialect builders, migrations, pool limits, threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store_testutil.h"

struct fx {
    struct conf cf;
    struct store *s;
    struct arena *a;
    struct test_mysql m;
    char dir[256];
    char dbname[64];
    bool mysql;
};

#define ARGS(...) ((const struct sql_arg[]){__VA_ARGS__})
#define NARGS(...) (sizeof((const struct sql_arg[]){__VA_ARGS__}) / sizeof(struct sql_arg))
/* Runs a statement that must succeed. */
#define EXEC_OK(c, sql, ...)                                                                       \
    assert_int_equal(store_exec((c), (sql), ARGS(__VA_ARGS__), NARGS(__VA_ARGS__), NULL), ERR_OK)

static int setup_sqlite(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    char *path;

    snprintf(f->dir, sizeof(f->dir), "%s/qnlive-store-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
    if (!mkdtemp(f->dir))
        return -1;
    /* a nested path checks that store_open creates the parent directory */
    path = xasprintf("%s/sub/dir/qnlive.db", f->dir);
    test_conf_sqlite(&f->cf, path);
    free(path);
    if (store_open(&f->cf, &f->s) != ERR_OK)
        return -1;
    f->a = arena_new();
    *state = f;
    return 0;
}

static int setup_mysql(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));

    f->mysql = true;
    if (!test_mysql_env(&f->m) ||
        !test_mysql_create_db(&f->m, "qnlive_t_store", f->dbname, sizeof(f->dbname)))
        return -1;
    f->cf.mysql.enabled = true;
    f->cf.mysql.n_databases = 1;
    f->cf.mysql.databases = xcalloc(1, sizeof(struct conf_db));
    test_conf_db(&f->cf.mysql.databases[0], &f->m, f->m.user, f->m.password, f->dbname, false);
    if (store_open(&f->cf, &f->s) != ERR_OK)
        return -1;
    f->a = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (!f)
        return 0;
    store_close(&f->s);
    arena_free(&f->a);
    if (f->mysql) {
        test_mysql_drop_db(&f->m, f->dbname);
    } else if (f->dir[0]) {
        test_rm_rf(f->dir);
    }
    test_conf_free(&f->cf);
    free(f);
    return 0;
}

static struct store_conn *rw(struct fx *f)
{
    struct store_conn *c = NULL;

    assert_int_equal(store_acquire(f->s, false, &c), ERR_OK);
    assert_non_null(c);
    return c;
}

/* Number of rows a COUNT(*) query returns. */
static int64_t count(struct fx *f, struct store_conn *c, const char *sql, const char *key)
{
    struct store_rows r;

    assert_int_equal(store_query(c, f->a, sql, ARGS(SQL_STR(key)), 1, &r), ERR_OK);
    assert_int_equal(r.nrows, 1);
    return store_rows_i64(&r, 0, 0);
}

static void test_crud_and_types(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    const char *nick = "主播 😀 O'Reilly \\ \"q\"; DROP TABLE live_users; --";
    struct store_rows r;
    int64_t id = 0, n = -1;

    assert_int_equal(store_insert(c,
                                  "INSERT INTO live_users (user_id, nick, avatar, im_userid, "
                                  "created_at) VALUES (?, ?, ?, ?, ?)",
                                  ARGS(SQL_STR("crud-1"), SQL_STR(nick), SQL_NULL,
                                       SQL_I64(INT64_C(1234567890123)), SQL_TIME(1700000000)),
                                  5, &id),
                     ERR_OK);
    assert_true(id > 0);
    assert_int_equal(store_query(c, f->a,
                                 "SELECT id, nick, avatar, im_userid, created_at, deleted_at "
                                 "FROM live_users WHERE user_id = ?",
                                 ARGS(SQL_STR("crud-1")), 1, &r),
                     ERR_OK);
    assert_int_equal(r.nrows, 1);
    assert_int_equal(r.ncols, 6);
    assert_int_equal(store_rows_i64(&r, 0, 0), id);
    assert_string_equal(store_rows_str(&r, 0, 1), nick);
    assert_true(store_rows_is_null(&r, 0, 2));
    assert_null(store_rows_str(&r, 0, 2));
    assert_int_equal(store_rows_i64(&r, 0, 3), INT64_C(1234567890123));
    /* stored as Shanghai wall-clock text, read back as the same instant */
    assert_string_equal(store_rows_str(&r, 0, 4), "2023-11-15 06:13:20");
    assert_int_equal(store_rows_time(&r, 0, 4), 1700000000);
    assert_int_equal(store_rows_time(&r, 0, 5), 0);
    assert_int_equal(store_rows_col(&r, "im_userid"), 3);
    assert_int_equal(store_rows_col(&r, "nope"), -1);

    assert_int_equal(store_exec(c, "UPDATE live_users SET avatar = ? WHERE user_id = ?",
                                ARGS(SQL_STR("http://a/b.png"), SQL_STR("crud-1")), 2, &n),
                     ERR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(
        store_exec(c, "DELETE FROM live_users WHERE user_id = ?", ARGS(SQL_STR("crud-1")), 1, &n),
        ERR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "crud-1"), 0);
    store_release(c);
}

/* Statements with more parameters than the statement caches keep (128) are prepared for each
 * use: the same batch runs twice, a small statement in between reuses the shrunk scratch. */
static void test_batches_beyond_the_statement_cache(void **state)
{
    enum { ROWS = 100, COLS = 2 };
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    char sql[64 + ROWS * 8];
    size_t at =
        (size_t)snprintf(sql, sizeof(sql), "INSERT INTO live_users (user_id, created_at) VALUES ");
    struct sql_arg args[ROWS * COLS];
    char ids[ROWS][16];
    int64_t n = 0;

    for (int i = 0; i < ROWS; i++)
        at += (size_t)snprintf(sql + at, sizeof(sql) - at, "%s(?, ?)", i ? ", " : "");
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < ROWS; i++) {
            snprintf(ids[i], sizeof(ids[i]), "batch-%d-%d", round, i);
            args[i * COLS] = SQL_STR(ids[i]);
            args[i * COLS + 1] = SQL_TIME(1700000000 + i);
        }
        assert_int_equal(store_exec(c, sql, args, ROWS * COLS, &n), ERR_OK);
        assert_int_equal(n, ROWS);
        assert_int_equal(
            count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", ids[ROWS - 1]), 1);
    }
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id LIKE ?", "batch-%"),
                     2 * ROWS);
    store_release(c);
}

static void test_long_and_binary_safe_values(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    char big[1001];
    struct store_rows r;

    /* longer than the first fetch buffer, with 4-byte UTF-8 characters */
    for (size_t i = 0; i < 250; i++)
        memcpy(big + i * 4, "\xF0\x9F\x8E\x81", 4);
    big[1000] = '\0';
    EXEC_OK(c, "INSERT INTO live_entities (live_id, extends, title) VALUES (?, ?, ?)",
            SQL_STR("long-1"), SQL_STR(big), SQL_STRN("abcdef", 3));
    assert_int_equal(store_query(c, f->a,
                                 "SELECT extends, title FROM live_entities WHERE live_id = ?",
                                 ARGS(SQL_STR("long-1")), 1, &r),
                     ERR_OK);
    assert_int_equal(r.nrows, 1);
    assert_int_equal(r.lens[0], 1000);
    assert_memory_equal(store_rows_str(&r, 0, 0), big, 1000);
    assert_string_equal(store_rows_str(&r, 0, 1), "abc");
    store_release(c);
}

static void test_time_comparisons(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    struct store_rows r;

    EXEC_OK(c, "INSERT INTO live_entities (live_id, status, last_heartbeat_at) VALUES (?, ?, ?)",
            SQL_STR("time-old"), SQL_I64(1), SQL_TIME(1700000000 - 700));
    EXEC_OK(c, "INSERT INTO live_entities (live_id, status, last_heartbeat_at) VALUES (?, ?, ?)",
            SQL_STR("time-new"), SQL_I64(1), SQL_TIME(1700000000 - 10));
    /* the heartbeat-timeout query shape: rows older than now - 600 s */
    assert_int_equal(store_query(c, f->a,
                                 "SELECT live_id FROM live_entities WHERE status = ? AND "
                                 "last_heartbeat_at < ? AND live_id LIKE ? ORDER BY id",
                                 ARGS(SQL_I64(1), SQL_TIME(1700000000 - 600), SQL_STR("time-%")), 3,
                                 &r),
                     ERR_OK);
    assert_int_equal(r.nrows, 1);
    assert_string_equal(store_rows_str(&r, 0, 0), "time-old");
    store_release(c);
}

static void test_unique_violation_is_exists(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);

    EXEC_OK(c, "INSERT INTO live_users (user_id, nick) VALUES (?, ?)", SQL_STR("dup-1"),
            SQL_STR("a"));
    assert_int_equal(store_exec(c, "INSERT INTO live_users (user_id, nick) VALUES (?, ?)",
                                ARGS(SQL_STR("dup-1"), SQL_STR("b")), 2, NULL),
                     ERR_EXISTS);
    /* the connection stays usable after the error */
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "dup-1"), 1);
    store_release(c);
}

static void test_bad_sql_and_arg_count(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);

    assert_int_equal(
        store_exec(c, "INSERT INTO no_such_table (x) VALUES (?)", ARGS(SQL_I64(1)), 1, NULL),
        ERR_INTERNAL);
    assert_int_equal(store_exec(c, "UPDATE live_users SET nick = ? WHERE user_id = ?",
                                ARGS(SQL_STR("x")), 1, NULL),
                     ERR_INTERNAL);
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "zz"), 0);
    store_release(c);
}

static void test_transaction_commit_and_rollback(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    err_t err;

    assert_int_equal(store_begin(c), ERR_OK);
    EXEC_OK(c, "INSERT INTO live_users (user_id) VALUES (?)", SQL_STR("tx-rolled"));
    store_rollback(c);
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "tx-rolled"),
                     0);

    assert_int_equal(store_begin(c), ERR_OK);
    assert_int_equal(store_begin(c), ERR_INTERNAL); /* no nesting */
    EXEC_OK(c, "INSERT INTO live_users (user_id) VALUES (?)", SQL_STR("tx-kept"));
    assert_int_equal(store_commit(c), ERR_OK);
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "tx-kept"),
                     1);

    /* an error inside the transaction undoes the writes before it */
    assert_int_equal(store_begin(c), ERR_OK);
    err = store_exec(c, "INSERT INTO live_users (user_id) VALUES (?)", ARGS(SQL_STR("tx-partial")),
                     1, NULL);
    if (!err)
        err = store_exec(c, "INSERT INTO live_users (user_id) VALUES (?)", ARGS(SQL_STR("tx-kept")),
                         1, NULL);
    assert_int_equal(store_tx_end(c, err), ERR_EXISTS);
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "tx-partial"),
                     0);

    /* releasing inside a transaction rolls it back */
    assert_int_equal(store_begin(c), ERR_OK);
    EXEC_OK(c, "INSERT INTO live_users (user_id) VALUES (?)", SQL_STR("tx-leaked"));
    store_release(c);
    c = rw(f);
    assert_int_equal(count(f, c, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "tx-leaked"),
                     0);
    store_release(c);
}

/* Appends arg to the string at ud: records which after-commit calls ran, in order. */
static void record_after_commit(void *ud, const char *arg)
{
    char *ran = ud;
    size_t len = strlen(ran);
    snprintf(ran + len, 64 - len, "%s", arg);
}

static void test_after_commit_runs_only_on_commit(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    char ran[64] = "";
    char arg[8] = "a";

    assert_int_equal(store_begin(c), ERR_OK);
    store_after_commit(c, record_after_commit, ran, arg);
    arg[0] = 'x'; /* the argument was copied */
    store_after_commit(c, record_after_commit, ran, "b");
    assert_string_equal(ran, ""); /* nothing before the commit */
    assert_int_equal(store_tx_end(c, ERR_OK), ERR_OK);
    assert_string_equal(ran, "ab");

    assert_int_equal(store_begin(c), ERR_OK);
    store_after_commit(c, record_after_commit, ran, "c");
    assert_int_equal(store_tx_end(c, ERR_BAD_REQUEST), ERR_BAD_REQUEST);
    assert_int_equal(store_begin(c), ERR_OK);
    assert_int_equal(store_commit(c), ERR_OK); /* a rolled back call never comes back */
    assert_string_equal(ran, "ab");

    store_after_commit(c, record_after_commit, ran, "d"); /* no transaction: at once */
    assert_string_equal(ran, "abd");
    store_release(c);
}

static void test_read_inside_write_tx_uses_primary(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f), *r = NULL, *r2 = NULL;

    assert_int_equal(store_begin(c), ERR_OK);
    EXEC_OK(c, "INSERT INTO live_users (user_id) VALUES (?)", SQL_STR("ryw-1"));
    assert_int_equal(store_acquire(f->s, true, &r), ERR_OK);
    assert_ptr_equal(r, c);
    assert_false(store_conn_is_read_only(r));
    assert_int_equal(count(f, r, "SELECT COUNT(*) FROM live_users WHERE user_id = ?", "ryw-1"), 1);
    store_release(r);
    assert_int_equal(store_commit(c), ERR_OK);
    /* outside the transaction a read gets its own connection again */
    assert_int_equal(store_acquire(f->s, true, &r2), ERR_OK);
    assert_ptr_not_equal(r2, c);
    store_release(r2);
    store_release(c);
}

static void test_upsert_and_insert_ignore(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    const char *up, *ig;
    struct store_rows r;
    int64_t n = -1;

    up = store_sql_upsert(c, f->a, "stats_single_live",
                          "type, live_id, user_id, biz_id, count, updated_at",
                          "type, live_id, user_id, biz_id",
                          "count = count + NEW(count), updated_at = NEW(updated_at)");
    for (int i = 0; i < 3; i++)
        EXEC_OK(c, up, SQL_I64(6), SQL_STR("ups-live"), SQL_STR("u1"), SQL_STR(""), SQL_I64(5),
                SQL_TIME(1700000000 + i));
    assert_int_equal(
        store_query(c, f->a, "SELECT count, updated_at FROM stats_single_live WHERE live_id = ?",
                    ARGS(SQL_STR("ups-live")), 1, &r),
        ERR_OK);
    assert_int_equal(r.nrows, 1);
    assert_int_equal(store_rows_i64(&r, 0, 0), 15);
    assert_int_equal(store_rows_time(&r, 0, 1), 1700000002);

    ig = store_sql_insert_ignore(c, f->a, "item_demonstrate", "live_id, item_id");
    assert_int_equal(store_exec(c, ig, ARGS(SQL_STR("ign-1"), SQL_STR("a")), 2, &n), ERR_OK);
    assert_int_equal(n, 1);
    assert_int_equal(store_exec(c, ig, ARGS(SQL_STR("ign-1"), SQL_STR("b")), 2, &n), ERR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_query(c, f->a, "SELECT item_id FROM item_demonstrate WHERE live_id = ?",
                                 ARGS(SQL_STR("ign-1")), 1, &r),
                     ERR_OK);
    assert_string_equal(store_rows_str(&r, 0, 0), "a");
    store_release(c);
}

static void test_query_first_and_paging(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = rw(f);
    struct store_rows r;

    for (int i = 0; i < 5; i++)
        EXEC_OK(
            c,
            "INSERT INTO gift_config (gift_id, type, name, amount, `order`) VALUES (?, ?, ?, ?, ?)",
            SQL_I64(100 + i), SQL_I64(1), SQL_STR("g"), SQL_I64(i), SQL_I64(i));
    assert_int_equal(store_query(c, f->a,
                                 "SELECT gift_id FROM gift_config WHERE type = ? ORDER BY `order` "
                                 "LIMIT ? OFFSET ?",
                                 ARGS(SQL_I64(1), SQL_I64(2), SQL_I64(2)), 3, &r),
                     ERR_OK);
    assert_int_equal(r.nrows, 2);
    assert_int_equal(store_rows_i64(&r, 0, 0), 102);
    assert_int_equal(store_rows_i64(&r, 1, 0), 103);
    assert_int_equal(store_query_first(c, f->a, "SELECT gift_id FROM gift_config WHERE gift_id = ?",
                                       ARGS(SQL_I64(999)), 1, &r),
                     ERR_NOT_FOUND);
    assert_int_equal(store_query_first(c, f->a, "SELECT gift_id FROM gift_config WHERE gift_id = ?",
                                       ARGS(SQL_I64(104)), 1, &r),
                     ERR_OK);
    store_release(c);
}

static void test_migrations_idempotent_and_recorded(void **state)
{
    static const char *const tables[] = {
        "live_entities",
        "live_mic_entities",
        "live_users",
        "live_room_user_entities",
        "relay_sessions",
        "items",
        "item_demonstrate",
        "item_demonstrate_log",
        "stats_single_live",
        "admin_user",
        "censor_config",
        "operation_log",
        "live_censor",
        "censor_image",
        "live_like",
        "live_gift",
        "gift_config",
        "live_like_flush",
        "outbox",
        "schema_migrations",
    };
    struct fx *f = *state;
    struct store_conn *c;
    struct store_rows r;

    assert_int_equal(store_migrate(f->s), ERR_OK); /* second and third runs change nothing */
    assert_int_equal(store_migrate(f->s), ERR_OK);
    c = rw(f);
    assert_int_equal(
        store_query(c, f->a, "SELECT version, applied_at FROM schema_migrations ORDER BY version",
                    NULL, 0, &r),
        ERR_OK);
    assert_int_equal(r.nrows, store_n_migrations); /* one row per embedded migration, in order */
    for (size_t i = 0; i < r.nrows; i++)
        assert_int_equal(store_rows_i64(&r, i, 0), (int64_t)i + 1);
    assert_true(store_rows_time(&r, 0, 1) > 1700000000);
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char *sql = xasprintf("SELECT COUNT(*) FROM %s", tables[i]);
        if (store_query(c, f->a, sql, NULL, 0, &r) != ERR_OK)
            fail_msg("table %s missing", tables[i]);
        free(sql);
    }
    /* operation_log ids start at 10, as the reference's AUTO_INCREMENT=10 */
    {
        int64_t id = 0;
        assert_int_equal(
            store_insert(c, "INSERT INTO operation_log (user_id, status_code) VALUES (?, ?)",
                         ARGS(SQL_STR("admin"), SQL_I64(200)), 2, &id),
            ERR_OK);
        assert_int_equal(id, 10);
    }
    store_release(c);
}

static void test_pool_limit_times_out(void **state)
{
    struct fx *f = *state;
    struct store_opts o = {.skip_migrate = true, .acquire_timeout_ms = 200, .sqlite_max_conns = 2};
    struct store *s = NULL;
    struct store_conn *held[4] = {0}, *extra = NULL;
    size_t limit = f->mysql ? 4 : 2; /* mysql entry: max_open_conns 4 */

    assert_int_equal(store_open_opts(&f->cf, &o, &s), ERR_OK);
    assert_string_equal(store_backend_name(s), f->mysql ? "mysql" : "sqlite");
    for (size_t i = 0; i < limit; i++)
        assert_int_equal(store_acquire(s, false, &held[i]), ERR_OK);
    assert_int_equal(store_acquire(s, false, &extra), ERR_UNAVAILABLE);
    assert_null(extra);
    store_release(held[0]);
    held[0] = NULL;
    assert_int_equal(store_acquire(s, false, &extra), ERR_OK);
    store_release(extra);
    for (size_t i = 0; i < limit; i++)
        store_release(held[i]);
    store_close(&s);
    assert_null(s);
}

struct worker {
    struct store *s;
    int id;
    int failures;
};

static void *worker_main(void *p)
{
    struct worker *w = p;
    struct arena *a = arena_new();

    for (int i = 0; i < 40; i++) {
        struct store_conn *c = NULL;
        struct store_rows r;
        char key[64];
        snprintf(key, sizeof(key), "thr-%d-%d", w->id, i);
        if (store_acquire(w->s, i % 2 == 0, &c) != ERR_OK ||
            store_exec(
                c,
                "INSERT INTO live_room_user_entities (live_id, user_id, status) VALUES (?, ?, ?)",
                ARGS(SQL_STR("thr"), SQL_STR(key), SQL_I64(1)), 3, NULL) != ERR_OK ||
            store_query(c, a, "SELECT user_id FROM live_room_user_entities WHERE user_id = ?",
                        ARGS(SQL_STR(key)), 1, &r) != ERR_OK ||
            r.nrows != 1)
            w->failures++;
        store_release(c);
        arena_reset(a);
    }
    arena_free(&a);
    return NULL;
}

static void test_threads_share_the_pool(void **state)
{
    struct fx *f = *state;
    struct worker w[4];
    pthread_t t[4];
    struct store_conn *c;

    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){.s = f->s, .id = i};
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].failures, 0);
    }
    c = rw(f);
    assert_int_equal(
        count(f, c, "SELECT COUNT(*) FROM live_room_user_entities WHERE live_id = ?", "thr"), 160);
    store_release(c);
}

/* ":memory:" (what in-process tests use) is one private database: every acquire must reach it. */
static void test_memory_store(void **state)
{
    struct conf cf;
    struct store *s = NULL;
    struct store_conn *c = NULL;
    struct arena *a = arena_new();
    struct store_rows r;

    (void)state;
    test_conf_sqlite(&cf, ":memory:");
    assert_int_equal(store_open(&cf, &s), ERR_OK);
    assert_int_equal(store_acquire(s, false, &c), ERR_OK);
    assert_int_equal(store_exec(c, "INSERT INTO live_users (user_id, nick) VALUES (?, ?)",
                                ARGS(SQL_STR("mem-1"), SQL_STR(NULL)), 2, NULL),
                     ERR_OK);
    store_release(c);
    assert_int_equal(store_acquire(s, true, &c), ERR_OK);
    assert_int_equal(store_query(c, a, "SELECT nick FROM live_users WHERE user_id = ?",
                                 ARGS(SQL_STR("mem-1")), 1, &r),
                     ERR_OK);
    assert_int_equal(r.nrows, 1);
    assert_true(store_rows_is_null(&r, 0, 0));
    store_release(c);
    store_close(&s);
    arena_free(&a);
    test_conf_free(&cf);
}

#define STORE_TESTS                                                                                \
    cmocka_unit_test(test_crud_and_types), cmocka_unit_test(test_long_and_binary_safe_values),     \
        cmocka_unit_test(test_batches_beyond_the_statement_cache),                                 \
        cmocka_unit_test(test_time_comparisons),                                                   \
        cmocka_unit_test(test_unique_violation_is_exists),                                         \
        cmocka_unit_test(test_bad_sql_and_arg_count),                                              \
        cmocka_unit_test(test_transaction_commit_and_rollback),                                    \
        cmocka_unit_test(test_after_commit_runs_only_on_commit),                                   \
        cmocka_unit_test(test_read_inside_write_tx_uses_primary),                                  \
        cmocka_unit_test(test_upsert_and_insert_ignore),                                           \
        cmocka_unit_test(test_query_first_and_paging),                                             \
        cmocka_unit_test(test_migrations_idempotent_and_recorded),                                 \
        cmocka_unit_test(test_pool_limit_times_out), cmocka_unit_test(test_threads_share_the_pool)

int main(void)
{
    const struct CMUnitTest tests[] = {STORE_TESTS};
    struct test_mysql m;
    int failed;

    const struct CMUnitTest memory_tests[] = {cmocka_unit_test(test_memory_store)};

    failed = cmocka_run_group_tests_name("store/sqlite-memory", memory_tests, NULL, NULL);
    failed += cmocka_run_group_tests_name("store/sqlite", tests, setup_sqlite, teardown);
    if (test_mysql_env(&m))
        failed += cmocka_run_group_tests_name("store/mysql", tests, setup_mysql, teardown);
    return failed;
}
