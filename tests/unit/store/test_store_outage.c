/* MariaDB going away and coming back: calls fail with ERR_UNAVAILABLE (no crash, no hang), an
 * open transaction is lost as a whole, and after the restart the same store works again without
 * being reopened. The test starts and stops its own private server with
 * scripts/testenv/mariadb.sh (so it never disturbs a server other tests share); it runs only when
 * MariaDB tests are enabled (QNLIVE_TEST_MYSQL set). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "store/store.h"
#include "store_testutil.h"

static char dir[256];

/* Runs mariadb.sh <verb> <dir>; on start, parses the address it prints into *m. */
static bool server(const char *verb, struct test_mysql *m)
{
    char *cmd =
        xasprintf("sh '%s/scripts/testenv/mariadb.sh' %s '%s'", test_source_dir(), verb, dir);
    FILE *p = popen(cmd, "r");
    char line[512];
    bool ok = false;

    free(cmd);
    if (!p)
        return false;
    while (fgets(line, sizeof(line), p)) {
        char *v = strstr(line, "QNLIVE_TEST_MYSQL=");
        if (v && m) {
            v[strcspn(v, "\n")] = '\0';
            setenv("QNLIVE_TEST_MYSQL", v + strlen("QNLIVE_TEST_MYSQL="), 1);
            ok = test_mysql_env(m);
        }
    }
    return pclose(p) == 0 && (ok || !m);
}

static int64_t now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static err_t insert(struct store_conn *c, const char *uid)
{
    return store_exec(c, "INSERT INTO live_users (user_id) VALUES (?)",
                      (struct sql_arg[]){SQL_STR(uid)}, 1, NULL);
}

static int64_t count_user(struct store_conn *c, const char *uid)
{
    struct arena *a = arena_new();
    struct store_rows r;
    int64_t n;

    assert_int_equal(store_query(c, a, "SELECT COUNT(*) FROM live_users WHERE user_id = ?",
                                 (struct sql_arg[]){SQL_STR(uid)}, 1, &r),
                     ERR_OK);
    n = store_rows_i64(&r, 0, 0);
    arena_free(&a);
    return n;
}

static void test_server_restart(void **state)
{
    struct test_mysql m;
    struct conf cf = {0};
    struct store *s = NULL;
    struct store_conn *a = NULL, *b = NULL, *idle = NULL, *fresh = NULL;
    int64_t t0;

    (void)state;
    assert_true(server("start", &m));
    cf.mysql.enabled = true;
    cf.mysql.n_databases = 1;
    cf.mysql.databases = xcalloc(1, sizeof(struct conf_db));
    test_conf_db(&cf.mysql.databases[0], &m, m.user, m.password, m.database, false);
    assert_int_equal(store_open(&cf, &s), ERR_OK);

    assert_int_equal(store_acquire(s, false, &a), ERR_OK);
    assert_int_equal(store_acquire(s, false, &idle), ERR_OK);
    assert_int_equal(store_acquire(s, false, &b), ERR_OK);
    assert_int_equal(insert(idle, "before"), ERR_OK);
    store_release(idle); /* stays in the pool with a server link that is about to die */
    assert_int_equal(store_begin(b), ERR_OK);
    assert_int_equal(insert(b, "in-tx"), ERR_OK);

    assert_true(server("stop", NULL));
    t0 = now_s();
    assert_int_equal(insert(a, "during"), ERR_UNAVAILABLE);
    assert_int_equal(insert(a, "during"), ERR_UNAVAILABLE); /* reconnect refused, still no crash */
    assert_int_equal(store_begin(a), ERR_UNAVAILABLE);
    assert_int_equal(insert(b, "in-tx-2"), ERR_UNAVAILABLE);
    assert_true(now_s() - t0 < 20); /* bounded by the connect/read timeouts, no hang */

    assert_true(server("start", &m)); /* same data directory, same port */
    /* the store was never reopened: the stale pooled connection is replaced transparently */
    assert_int_equal(store_acquire(s, false, &fresh), ERR_OK);
    assert_ptr_equal(fresh, idle);
    assert_int_equal(insert(fresh, "after"), ERR_OK);
    assert_int_equal(count_user(fresh, "before"), 1);
    assert_int_equal(count_user(fresh, "during"), 0);
    /* so is the connection that failed during the outage */
    assert_int_equal(insert(a, "after-2"), ERR_OK);
    /* the transaction died with its server link: commit reports it, nothing of it was kept */
    assert_int_equal(insert(b, "in-tx-3"), ERR_UNAVAILABLE);
    assert_int_equal(store_commit(b), ERR_UNAVAILABLE);
    store_release(b);
    assert_int_equal(count_user(fresh, "in-tx"), 0);
    assert_int_equal(count_user(fresh, "after-2"), 1);
    store_release(fresh);
    store_release(a);

    store_close(&s);
    test_conf_free(&cf);
}

static int cleanup(void **state)
{
    (void)state;
    (void)server("stop", NULL);
    test_rm_rf(dir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_restart),
    };
    struct test_mysql m;

    if (!test_mysql_env(&m)) {
        printf("store/outage test skipped: QNLIVE_TEST_MYSQL is not set\n");
        return 0;
    }
    snprintf(dir, sizeof(dir), "%s/qnlive-outage-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "mkdtemp failed\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, cleanup);
}
