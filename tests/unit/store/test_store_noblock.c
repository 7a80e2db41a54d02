/* The store on a thread marked "must not block" (core/noblock.h): SQLite serves it from an
 * idle connection and never makes it wait, for a connection or for another writer's lock;
 * MariaDB (when QNLIVE_TEST_MYSQL is set) always refuses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/deadline.h"
#include "core/mem.h"
#include "core/noblock.h"
#include "store/store.h"
#include "store_testutil.h"

struct fx {
    struct conf cf;
    struct store *s;
    struct store *other; /* a second pool on the same file: another process's writer */
    struct arena *a;
    char dir[256];
};

static int setup(void **state)
{
    struct fx *f = xcalloc(1, sizeof(*f));
    struct store_opts o = {.sqlite_max_conns = 2};
    snprintf(f->dir, sizeof(f->dir), "%s/qnlive-noblock-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : P_tmpdir);
    if (!mkdtemp(f->dir))
        return -1;
    char *path = xasprintf("%s/qnlive.db", f->dir);
    test_conf_sqlite(&f->cf, path);
    free(path);
    if (store_open_opts(&f->cf, &o, &f->s) || store_open_opts(&f->cf, &o, &f->other))
        return -1;
    struct store_conn *c = NULL;
    if (store_acquire(f->s, false, &c) ||
        store_exec(c, "CREATE TABLE nb (x INTEGER)", NULL, 0, NULL))
        return -1;
    store_release(c);
    f->a = arena_new();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(&f->s);
    store_close(&f->other);
    arena_free(&f->a);
    test_rm_rf(f->dir);
    test_conf_free(&f->cf);
    free(f);
    return 0;
}

static void test_idle_connection_serves_a_marked_thread(void **state)
{
    struct fx *f = *state;
    struct store_conn *c = NULL;
    struct store_rows rows;
    noblock_enter();
    assert_int_equal(store_acquire(f->s, true, &c), ERR_OK);
    assert_int_equal(store_query(c, f->a, "SELECT COUNT(*) FROM nb", NULL, 0, &rows), ERR_OK);
    store_release(c);
    noblock_leave();
    assert_false(noblock_tripped());
}

/* Every connection lent out: a marked thread is refused at once, where another would wait. */
static void test_no_idle_connection_refuses_at_once(void **state)
{
    struct fx *f = *state;
    struct store_conn *c1 = NULL, *c2 = NULL, *c3 = NULL;
    assert_int_equal(store_acquire(f->s, false, &c1), ERR_OK);
    assert_int_equal(store_acquire(f->s, false, &c2), ERR_OK);
    int64_t t0 = deadline_now_ms();
    noblock_enter();
    assert_int_equal(store_acquire(f->s, false, &c3), ERR_WOULD_BLOCK);
    noblock_leave();
    assert_true(deadline_now_ms() - t0 < 1000);
    assert_null(c3);
    assert_true(noblock_tripped());
    store_release(c1);
    store_release(c2);
    /* the slot it did not take is free for an unmarked caller */
    assert_int_equal(store_acquire(f->s, false, &c3), ERR_OK);
    store_release(c3);
}

/* Another connection holds the write lock: a marked thread's write gives up at once instead
 * of sleeping out the busy timeout, and says it would block rather than "database busy". */
static void test_marked_writer_does_not_wait_for_the_lock(void **state)
{
    struct fx *f = *state;
    struct store_conn *holder = NULL, *c = NULL;
    assert_int_equal(store_acquire(f->other, false, &holder), ERR_OK);
    assert_int_equal(store_begin(holder), ERR_OK);
    assert_int_equal(store_exec(holder, "INSERT INTO nb (x) VALUES (1)", NULL, 0, NULL), ERR_OK);
    int64_t t0 = deadline_now_ms();
    noblock_enter();
    assert_int_equal(store_acquire(f->s, false, &c), ERR_OK);
    assert_int_equal(store_begin(c), ERR_WOULD_BLOCK);
    assert_int_equal(store_exec(c, "INSERT INTO nb (x) VALUES (2)", NULL, 0, NULL),
                     ERR_WOULD_BLOCK);
    store_release(c);
    noblock_leave();
    assert_true(deadline_now_ms() - t0 < 1000);
    assert_true(noblock_tripped());
    assert_int_equal(store_commit(holder), ERR_OK);
    store_release(holder);
    /* once the lock is free the same write goes through */
    noblock_enter();
    assert_int_equal(store_acquire(f->s, false, &c), ERR_OK);
    assert_int_equal(store_exec(c, "INSERT INTO nb (x) VALUES (2)", NULL, 0, NULL), ERR_OK);
    store_release(c);
    noblock_leave();
    assert_false(noblock_tripped());
}

static void test_mysql_always_refuses_a_marked_thread(void **state)
{
    (void)state;
    struct test_mysql m;
    struct conf cf = {0};
    struct store *s = NULL;
    struct store_conn *c = NULL;
    char db[64];
    if (!test_mysql_env(&m) || !test_mysql_create_db(&m, "qnlive_t_noblock", db, sizeof(db)))
        skip();
    cf.mysql.enabled = true;
    cf.mysql.n_databases = 1;
    cf.mysql.databases = xcalloc(1, sizeof(struct conf_db));
    test_conf_db(&cf.mysql.databases[0], &m, m.user, m.password, db, false);
    assert_int_equal(store_open(&cf, &s), ERR_OK);
    noblock_enter();
    assert_int_equal(store_acquire(s, true, &c), ERR_WOULD_BLOCK);
    noblock_leave();
    assert_null(c);
    assert_int_equal(store_acquire(s, true, &c), ERR_OK);
    store_release(c);
    store_close(&s);
    test_mysql_drop_db(&m, db);
    test_conf_free(&cf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idle_connection_serves_a_marked_thread, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_no_idle_connection_refuses_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marked_writer_does_not_wait_for_the_lock, setup,
                                        teardown),
        cmocka_unit_test(test_mysql_always_refuses_a_marked_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
