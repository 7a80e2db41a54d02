/* MariaDB-only store behaviour (skipped unless QNLIVE_TEST_MYSQL is set):
 * - db/mysql/0001 creates exactly the reference schema (columns, types, defaults, keys);
 * - a database created by the reference's live.sql, with rows, is adopted without loss;
 * - reads go to the read-only pool (a SELECT-only user), writes and in-transaction reads to the
 *   primary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store_testutil.h"

static struct test_mysql m;

static const char *const REFERENCE_TABLES =
    "'live_entities','live_mic_entities','live_users','live_room_user_entities',"
    "'relay_sessions','items','item_demonstrate','item_demonstrate_log','stats_single_live',"
    "'admin_user','censor_config','operation_log','live_censor','censor_image','live_like',"
    "'live_gift','gift_config','live_like_flush'";

/* One line per column and per index entry of the reference tables in database db. */
/* Columns (and, with indexes, the indexes and table options) of the reference tables in db, one
 * line each, sorted. */
static char *describe_schema_x(const char *db, bool with_indexes)
{
    MYSQL *c = test_mysql_connect(&m, NULL);
    char *sql, *out = xstrdup("");
    MYSQL_RES *res;
    MYSQL_ROW row;

    assert_non_null(c);
    sql = xasprintf(
        "SELECT CONCAT_WS('|', TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, "
        "IS_NULLABLE, IFNULL(COLUMN_DEFAULT, '<none>'), EXTRA, CHARACTER_SET_NAME) "
        "FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME IN (%s) "
        "UNION ALL SELECT CONCAT_WS('|', TABLE_NAME, 'index', INDEX_NAME, NON_UNIQUE, "
        "SEQ_IN_INDEX, COLUMN_NAME) FROM information_schema.STATISTICS "
        "WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME IN (%s) "
        "UNION ALL SELECT CONCAT_WS('|', TABLE_NAME, ENGINE, TABLE_COLLATION) "
        "FROM information_schema.TABLES WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME IN (%s) "
        "ORDER BY 1",
        db, REFERENCE_TABLES, db, with_indexes ? REFERENCE_TABLES : "''", db, REFERENCE_TABLES);
    assert_int_equal(mysql_query(c, sql), 0);
    res = mysql_store_result(c);
    assert_non_null(res);
    while ((row = mysql_fetch_row(res)) != NULL) {
        char *next = xasprintf("%s%s\n", out, row[0]);
        free(out);
        out = next;
    }
    mysql_free_result(res);
    mysql_close(c);
    free(sql);
    return out;
}

static char *describe_schema(const char *db)
{
    return describe_schema_x(db, true);
}

/* True when every line of `sub` is a line of `super`: later migrations may add indexes to the
 * reference tables but never drop or change what the reference created. */
static bool lines_included(const char *sub, const char *super)
{
    char *copy = xstrdup(sub), *save = NULL;
    bool ok = true;
    for (char *line = strtok_r(copy, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save)) {
        char *needle = xasprintf("%s\n", line);
        ok = strstr(super, needle) != NULL;
        if (!ok)
            fprintf(stderr, "missing after migration: %s\n", line);
        free(needle);
    }
    free(copy);
    return ok;
}

/* Applies db/mysql/0001_init.sql alone to db. */
static void load_first_migration(const char *db)
{
    char *path = xasprintf("%s/db/mysql/0001_init.sql", test_source_dir());
    char *sql = test_read_file(path);
    MYSQL *c = test_mysql_connect(&m, db);

    assert_non_null(sql);
    assert_non_null(c);
    assert_true(test_mysql_run(c, sql));
    mysql_close(c);
    free(sql);
    free(path);
}

/* Loads tests/unit/store/data/reference_live.sql into database db. */
static void load_reference(const char *db)
{
    char *path = xasprintf("%s/tests/unit/store/data/reference_live.sql", test_source_dir());
    char *sql = test_read_file(path);
    MYSQL *c = test_mysql_connect(&m, db);

    assert_non_null(sql);
    assert_non_null(c);
    assert_true(test_mysql_run(c, sql));
    mysql_close(c);
    free(sql);
    free(path);
}

static void conf_one(struct conf *cf, const char *db)
{
    memset(cf, 0, sizeof(*cf));
    cf->mysql.enabled = true;
    cf->mysql.n_databases = 1;
    cf->mysql.databases = xcalloc(1, sizeof(struct conf_db));
    test_conf_db(&cf->mysql.databases[0], &m, m.user, m.password, db, false);
}

static void test_migration_creates_reference_schema(void **state)
{
    char ref[64], ours[64];
    struct conf cf;
    struct store *s = NULL;
    char *a, *b;

    (void)state;
    assert_true(test_mysql_create_db(&m, "qnlive_t_ref", ref, sizeof(ref)));
    assert_true(test_mysql_create_db(&m, "qnlive_t_ours", ours, sizeof(ours)));
    load_reference(ref);
    /* the first migration is the reference schema, column for column and index for index */
    load_first_migration(ours);
    a = describe_schema(ref);
    b = describe_schema(ours);
    assert_true(strlen(a) > 1000); /* all 18 tables were described */
    assert_string_equal(b, a);
    free(b);
    /* the later ones keep every reference column and index */
    conf_one(&cf, ours);
    assert_int_equal(store_open(&cf, &s), ERR_OK);
    store_close(&s);
    b = describe_schema(ours);
    assert_true(lines_included(a, b));
    free(a);
    free(b);
    a = describe_schema_x(ref, false);
    b = describe_schema_x(ours, false);
    assert_string_equal(b, a);
    free(a);
    free(b);
    test_conf_free(&cf);
    test_mysql_drop_db(&m, ref);
    test_mysql_drop_db(&m, ours);
}

static void check_adopted_rows(struct store *s)
{
    struct arena *a = arena_new();
    struct store_conn *c = NULL;
    struct store_rows r;
    int64_t id = 0;

    assert_int_equal(store_acquire(s, true, &c), ERR_OK);
    assert_int_equal(store_query(c, a,
                                 "SELECT title, start_at, end_at, chat_id, last_censor_time, "
                                 "extends FROM live_entities WHERE live_id = ?",
                                 (struct sql_arg[]){SQL_STR("1547812358724816896")}, 1, &r),
                     ERR_OK);
    assert_int_equal(r.nrows, 1);
    assert_string_equal(store_rows_str(&r, 0, 0), "直播间 🎉");
    assert_int_equal(store_rows_time(&r, 0, 1), 1700000000); /* Shanghai wall-clock */
    assert_true(store_rows_is_null(&r, 0, 2));
    assert_int_equal(store_rows_i64(&r, 0, 3), INT64_C(1234567890123));
    assert_int_equal(store_rows_time(&r, 0, 4), 1700000600);
    assert_string_equal(store_rows_str(&r, 0, 5), "{\"k\":\"v\"}");
    assert_int_equal(store_query(c, a, "SELECT COUNT(*) FROM live_entities", NULL, 0, &r), ERR_OK);
    assert_int_equal(store_rows_i64(&r, 0, 0), 2);
    assert_int_equal(store_query(c, a,
                                 "SELECT nick, extends, im_userid FROM live_users "
                                 "WHERE user_id = ?",
                                 (struct sql_arg[]){SQL_STR("anchor-1")}, 1, &r),
                     ERR_OK);
    assert_string_equal(store_rows_str(&r, 0, 0), "主播");
    assert_string_equal(store_rows_str(&r, 0, 1), "{\"vip\":\"1\"}");
    assert_int_equal(store_rows_i64(&r, 0, 2), 7001);
    assert_int_equal(store_query(c, a, "SELECT enable, `interval`, pulp, terror FROM censor_config",
                                 NULL, 0, &r),
                     ERR_OK);
    assert_int_equal(store_rows_i64(&r, 0, 0), 1);
    assert_int_equal(store_rows_i64(&r, 0, 1), 20);
    assert_int_equal(store_rows_i64(&r, 0, 3), 0);
    assert_int_equal(
        store_query(c, a, "SELECT last_update_time FROM live_like_flush WHERE id = 1", NULL, 0, &r),
        ERR_OK);
    assert_int_equal(store_rows_i64(&r, 0, 0), 1700000000);
    /* existing counters keep counting: the operation_log row was id 10 */
    assert_int_equal(store_insert(c,
                                  "INSERT INTO operation_log (user_id, status_code) VALUES (?, ?)",
                                  (struct sql_arg[]){SQL_STR("admin-1"), SQL_I64(200)}, 2, &id),
                     ERR_OK);
    assert_int_equal(id, 11);
    assert_int_equal(
        store_query(c, a, "SELECT version FROM schema_migrations ORDER BY version", NULL, 0, &r),
        ERR_OK);
    assert_int_equal(r.nrows, store_n_migrations);
    store_release(c);
    arena_free(&a);
}

static void test_adopts_reference_database_with_rows(void **state)
{
    char ref[64], fresh[64];
    struct conf cf, cf2;
    struct store *s = NULL;
    char *before, *after, *expected;

    (void)state;
    assert_true(test_mysql_create_db(&m, "qnlive_t_adopt", ref, sizeof(ref)));
    load_reference(ref);
    before = describe_schema(ref);
    conf_one(&cf, ref);
    assert_int_equal(store_open(&cf, &s), ERR_OK); /* migrates */
    assert_int_equal(store_migrate(s), ERR_OK);    /* and again: nothing to do */
    check_adopted_rows(s);
    store_close(&s);
    after = describe_schema(ref);
    assert_true(lines_included(before, after)); /* nothing of the reference was altered */
    /* and the same shape as a fresh install of qnlive */
    assert_true(test_mysql_create_db(&m, "qnlive_t_fresh", fresh, sizeof(fresh)));
    conf_one(&cf2, fresh);
    assert_int_equal(store_open(&cf2, &s), ERR_OK);
    store_close(&s);
    test_conf_free(&cf2);
    expected = describe_schema(fresh);
    assert_string_equal(after, expected);
    free(before);
    free(after);
    free(expected);
    test_conf_free(&cf);
    test_mysql_drop_db(&m, ref);
    test_mysql_drop_db(&m, fresh);
}

static void *open_and_close(void *arg)
{
    struct store *s = NULL;
    err_t err = store_open(arg, &s);
    store_close(&s);
    return (void *)(intptr_t)err;
}

/* Nodes starting together on an empty database: every one comes up, each migration applied once
 * (some are ALTER TABLEs that would fail the second time). */
static void test_concurrent_starts_migrate_once(void **state)
{
    char db[64];
    struct conf cf;
    pthread_t t[3];
    struct arena *a = arena_new();
    struct store *s = NULL;
    struct store_conn *c = NULL;
    struct store_rows r;

    (void)state;
    assert_true(test_mysql_create_db(&m, "qnlive_t_race", db, sizeof(db)));
    conf_one(&cf, db);
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&t[i], NULL, open_and_close, &cf), 0);
    for (int i = 0; i < 3; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        assert_int_equal((err_t)(intptr_t)ret, ERR_OK);
    }
    assert_int_equal(store_open(&cf, &s), ERR_OK);
    assert_int_equal(store_acquire(s, false, &c), ERR_OK);
    assert_int_equal(store_query(c, a, "SELECT COUNT(*) FROM schema_migrations", NULL, 0, &r),
                     ERR_OK);
    assert_int_equal(store_rows_i64(&r, 0, 0), (int64_t)store_n_migrations);
    store_release(c);
    store_close(&s);
    arena_free(&a);
    test_conf_free(&cf);
    test_mysql_drop_db(&m, db);
}

static void test_read_write_split(void **state)
{
    char db[64], user[64], *sql;
    struct conf cf;
    struct store *s = NULL;
    struct store_conn *ro = NULL, *rw = NULL, *lent = NULL;
    struct arena *a = arena_new();
    struct store_rows r;
    MYSQL *c;

    (void)state;
    assert_true(test_mysql_create_db(&m, "qnlive_t_split", db, sizeof(db)));
    snprintf(user, sizeof(user), "qro_%s", db + strlen("qnlive_t_split_"));
    c = test_mysql_connect(&m, NULL);
    assert_non_null(c);
    sql = xasprintf("DROP USER IF EXISTS '%s'@'%%'; CREATE USER '%s'@'%%' IDENTIFIED BY 'ro'; "
                    "GRANT SELECT ON `%s`.* TO '%s'@'%%'",
                    user, user, db, user);
    assert_true(test_mysql_run(c, sql));
    free(sql);

    memset(&cf, 0, sizeof(cf));
    cf.mysql.enabled = true;
    cf.mysql.n_databases = 2;
    cf.mysql.databases = xcalloc(2, sizeof(struct conf_db));
    test_conf_db(&cf.mysql.databases[0], &m, user, "ro", db, true); /* order does not matter */
    test_conf_db(&cf.mysql.databases[1], &m, m.user, m.password, db, false);
    assert_int_equal(store_open(&cf, &s), ERR_OK);

    assert_int_equal(store_acquire(s, true, &ro), ERR_OK);
    assert_true(store_conn_is_read_only(ro));
    assert_int_equal(store_query(ro, a, "SELECT COUNT(*) FROM live_users", NULL, 0, &r), ERR_OK);
    /* the replica user cannot write: proof that this connection is the read-only one */
    assert_int_equal(store_exec(ro, "INSERT INTO live_users (user_id) VALUES (?)",
                                (struct sql_arg[]){SQL_STR("x")}, 1, NULL),
                     ERR_INTERNAL);

    assert_int_equal(store_acquire(s, false, &rw), ERR_OK);
    assert_false(store_conn_is_read_only(rw));
    assert_int_equal(store_begin(rw), ERR_OK);
    assert_int_equal(store_exec(rw, "INSERT INTO live_users (user_id) VALUES (?)",
                                (struct sql_arg[]){SQL_STR("split-1")}, 1, NULL),
                     ERR_OK);
    /* a read inside the write transaction is served by the primary and sees the insert */
    assert_int_equal(store_acquire(s, true, &lent), ERR_OK);
    assert_ptr_equal(lent, rw);
    assert_int_equal(store_query(lent, a, "SELECT COUNT(*) FROM live_users WHERE user_id = ?",
                                 (struct sql_arg[]){SQL_STR("split-1")}, 1, &r),
                     ERR_OK);
    assert_int_equal(store_rows_i64(&r, 0, 0), 1);
    store_release(lent);
    /* the replica (here: another connection) does not see uncommitted rows */
    assert_int_equal(store_query(ro, a, "SELECT COUNT(*) FROM live_users WHERE user_id = ?",
                                 (struct sql_arg[]){SQL_STR("split-1")}, 1, &r),
                     ERR_OK);
    assert_int_equal(store_rows_i64(&r, 0, 0), 0);
    assert_int_equal(store_commit(rw), ERR_OK);
    store_release(rw);
    store_release(ro);
    store_close(&s);

    sql = xasprintf("DROP USER IF EXISTS '%s'@'%%'", user);
    assert_true(test_mysql_run(c, sql));
    free(sql);
    mysql_close(c);
    arena_free(&a);
    test_conf_free(&cf);
    test_mysql_drop_db(&m, db);
}

static void test_unreachable_server_is_unavailable(void **state)
{
    struct conf cf;
    struct store *s = (struct store *)1;
    struct test_mysql saved = m;

    (void)state;
    /* a port where nothing listens: connection refused, quickly */
    m.port = 1;
    conf_one(&cf, "live");
    m = saved;
    assert_int_equal(store_open(&cf, &s), ERR_UNAVAILABLE);
    assert_null(s);
    test_conf_free(&cf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migration_creates_reference_schema),
        cmocka_unit_test(test_adopts_reference_database_with_rows),
        cmocka_unit_test(test_concurrent_starts_migrate_once),
        cmocka_unit_test(test_read_write_split),
        cmocka_unit_test(test_unreachable_server_is_unavailable),
    };

    if (!test_mysql_env(&m)) {
        printf("store/mysql tests skipped: QNLIVE_TEST_MYSQL is not set\n");
        return 0;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
