#ifndef QNLIVE_TESTS_CACHE_SUITE_H
#define QNLIVE_TESTS_CACHE_SUITE_H

/* The cache semantics every backend must share, written once against the public interface of
 * cache/cache.h. Each test file opens one backend in its group setup and runs
 * cache_suite_tests; a backend whose server is not configured leaves fx->c NULL and every test
 * skips. Keys carry a per-process prefix so test binaries can share one Redis. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "core/config.h"
#include "core/mem.h"

struct fixture {
    struct cache *c;
    struct arena *a;
    char key[128];
};

static struct fixture suite_fx;

/* A key unique to this process and test: "qt:<pid>:<name>". */
static const char *K(struct fixture *fx, const char *name)
{
    snprintf(fx->key, sizeof(fx->key), "qt:%ld:%s", (long)getpid(), name);
    return fx->key;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

/* Opens the cache described by a hand-built config into suite_fx; the caller's group setup
 * prints why and leaves suite_fx.c NULL when the backend is not available. */
static int suite_open(const struct conf *cf)
{
    suite_fx.a = arena_new();
    if (cache_open(cf, &suite_fx.c) != ERR_OK)
        return -1;
    return 0;
}

static int suite_teardown(void **state)
{
    (void)state;
    cache_close(&suite_fx.c);
    arena_free(&suite_fx.a);
    return 0;
}

static struct fixture *fx_of(void **state)
{
    struct fixture *fx = *state;

    if (!fx->c)
        skip();
    arena_reset(fx->a);
    return fx;
}

static void del_key(struct fixture *fx, const char *name)
{
    assert_int_equal(cache_del(fx->c, K(fx, name), NULL), ERR_OK);
}

static void test_get_set_del(void **state)
{
    struct fixture *fx = fx_of(state);
    static const char bin[] = {'v', '\0', 'x', '\n'};
    char *data = (char *)1;
    size_t len = 99;
    bool found = true;
    bool deleted = false;

    del_key(fx, "gsd");
    assert_int_equal(cache_get(fx->c, K(fx, "gsd"), fx->a, &data, &len, &found), ERR_OK);
    assert_false(found);
    assert_null(data);
    assert_int_equal(cache_set(fx->c, K(fx, "gsd"), "first", 5, 0), ERR_OK);
    assert_int_equal(cache_set(fx->c, K(fx, "gsd"), bin, sizeof(bin), 0), ERR_OK);
    assert_int_equal(cache_get(fx->c, K(fx, "gsd"), fx->a, &data, &len, &found), ERR_OK);
    assert_true(found);
    assert_int_equal(len, sizeof(bin));
    assert_memory_equal(data, bin, sizeof(bin));
    assert_int_equal(data[len], '\0');
    assert_int_equal(cache_exists(fx->c, K(fx, "gsd"), &found), ERR_OK);
    assert_true(found);
    assert_int_equal(cache_del(fx->c, K(fx, "gsd"), &deleted), ERR_OK);
    assert_true(deleted);
    assert_int_equal(cache_exists(fx->c, K(fx, "gsd"), &found), ERR_OK);
    assert_false(found);
    assert_int_equal(cache_del(fx->c, K(fx, "gsd"), &deleted), ERR_OK);
    assert_false(deleted);
    assert_int_equal(cache_ping(fx->c), ERR_OK);
}

static void test_ttl_expiry(void **state)
{
    struct fixture *fx = fx_of(state);
    bool found = false;

    assert_int_equal(cache_set(fx->c, K(fx, "ttl1"), "a", 1, 150), ERR_OK);
    assert_int_equal(cache_set(fx->c, K(fx, "ttl2"), "b", 1, 0), ERR_OK);
    assert_int_equal(cache_expire(fx->c, K(fx, "ttl2"), 150, &found), ERR_OK);
    assert_true(found);
    /* A plain SET after a SET with TTL clears the TTL. */
    assert_int_equal(cache_set(fx->c, K(fx, "ttl3"), "c", 1, 150), ERR_OK);
    assert_int_equal(cache_set(fx->c, K(fx, "ttl3"), "c", 1, 0), ERR_OK);
    assert_int_equal(cache_exists(fx->c, K(fx, "ttl1"), &found), ERR_OK);
    assert_true(found);
    sleep_ms(400);
    assert_int_equal(cache_exists(fx->c, K(fx, "ttl1"), &found), ERR_OK);
    assert_false(found);
    assert_int_equal(cache_exists(fx->c, K(fx, "ttl2"), &found), ERR_OK);
    assert_false(found);
    assert_int_equal(cache_exists(fx->c, K(fx, "ttl3"), &found), ERR_OK);
    assert_true(found);
    assert_int_equal(cache_expire(fx->c, K(fx, "ttl-missing"), 1000, &found), ERR_OK);
    assert_false(found);
    assert_int_equal(cache_expire(fx->c, K(fx, "ttl3"), 0, &found), ERR_BAD_REQUEST);
    del_key(fx, "ttl3");
}

static void test_incrby(void **state)
{
    struct fixture *fx = fx_of(state);
    int64_t v = 0;
    char *data;
    size_t len;
    bool found;

    del_key(fx, "ctr");
    assert_int_equal(cache_incrby(fx->c, K(fx, "ctr"), 5, &v), ERR_OK);
    assert_int_equal(v, 5);
    assert_int_equal(cache_incrby(fx->c, K(fx, "ctr"), -7, &v), ERR_OK);
    assert_int_equal(v, -2);
    assert_int_equal(cache_get(fx->c, K(fx, "ctr"), fx->a, &data, &len, &found), ERR_OK);
    assert_true(found);
    assert_string_equal(data, "-2");
    assert_int_equal(cache_set(fx->c, K(fx, "ctr"), "abc", 3, 0), ERR_OK);
    assert_int_equal(cache_incrby(fx->c, K(fx, "ctr"), 1, &v), ERR_INTERNAL);
    assert_int_equal(cache_set(fx->c, K(fx, "ctr"), "9223372036854775807", 19, 0), ERR_OK);
    assert_int_equal(cache_incrby(fx->c, K(fx, "ctr"), 1, &v), ERR_INTERNAL);
    del_key(fx, "ctr");
}

static int cmp_field(const void *a, const void *b)
{
    return strcmp(((const struct cache_field *)a)->name, ((const struct cache_field *)b)->name);
}

static void test_hash(void **state)
{
    struct fixture *fx = fx_of(state);
    const char *fields[] = {"f1", "nope", "f2"};
    struct cache_val vals[3];
    struct cache_field *all;
    size_t n, len;
    int64_t v = 0;
    char *data;
    bool found;

    del_key(fx, "h");
    assert_int_equal(cache_hincrby(fx->c, K(fx, "h"), "f1", 3, &v), ERR_OK);
    assert_int_equal(v, 3);
    assert_int_equal(cache_hincrby(fx->c, K(fx, "h"), "f1", 2, &v), ERR_OK);
    assert_int_equal(v, 5);
    assert_int_equal(cache_hincrby(fx->c, K(fx, "h"), "f2", -1, &v), ERR_OK);
    assert_int_equal(v, -1);
    assert_int_equal(cache_hset(fx->c, K(fx, "h"), "f3", "a\0b", 3), ERR_OK);
    assert_int_equal(cache_hget(fx->c, K(fx, "h"), "f1", fx->a, &data, &len, &found), ERR_OK);
    assert_true(found);
    assert_string_equal(data, "5");
    assert_int_equal(cache_hget(fx->c, K(fx, "h"), "f9", fx->a, &data, &len, &found), ERR_OK);
    assert_false(found);
    assert_int_equal(cache_hmget(fx->c, K(fx, "h"), fields, 3, fx->a, vals), ERR_OK);
    assert_true(vals[0].found);
    assert_string_equal(vals[0].data, "5");
    assert_false(vals[1].found);
    assert_null(vals[1].data);
    assert_true(vals[2].found);
    assert_string_equal(vals[2].data, "-1");
    assert_int_equal(cache_hgetall(fx->c, K(fx, "h"), fx->a, &all, &n), ERR_OK);
    assert_int_equal(n, 3);
    qsort(all, n, sizeof(*all), cmp_field);
    assert_string_equal(all[0].name, "f1");
    assert_string_equal(all[1].data, "-1");
    assert_int_equal(all[2].len, 3);
    assert_memory_equal(all[2].data, "a\0b", 3);
    /* Type confusion is an error, not a silent miss. */
    assert_int_equal(cache_get(fx->c, K(fx, "h"), fx->a, &data, &len, &found), ERR_INTERNAL);
    del_key(fx, "h");
    assert_int_equal(cache_hmget(fx->c, K(fx, "h"), fields, 3, fx->a, vals), ERR_OK);
    assert_false(vals[0].found || vals[1].found || vals[2].found);
    assert_int_equal(cache_hgetall(fx->c, K(fx, "h"), fx->a, &all, &n), ERR_OK);
    assert_int_equal(n, 0);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_sets(void **state)
{
    struct fixture *fx = fx_of(state);
    char **m;
    size_t n;
    bool b;

    del_key(fx, "s");
    assert_int_equal(cache_sadd(fx->c, K(fx, "s"), "u2", &b), ERR_OK);
    assert_true(b);
    assert_int_equal(cache_sadd(fx->c, K(fx, "s"), "u2", &b), ERR_OK);
    assert_false(b);
    assert_int_equal(cache_sadd(fx->c, K(fx, "s"), "u1", NULL), ERR_OK);
    assert_int_equal(cache_smembers(fx->c, K(fx, "s"), fx->a, &m, &n), ERR_OK);
    assert_int_equal(n, 2);
    qsort(m, n, sizeof(*m), cmp_str);
    assert_string_equal(m[0], "u1");
    assert_string_equal(m[1], "u2");
    assert_int_equal(cache_srem(fx->c, K(fx, "s"), "u1", &b), ERR_OK);
    assert_true(b);
    assert_int_equal(cache_srem(fx->c, K(fx, "s"), "u1", &b), ERR_OK);
    assert_false(b);
    assert_int_equal(cache_smembers(fx->c, K(fx, "s"), fx->a, &m, &n), ERR_OK);
    assert_int_equal(n, 1);
    assert_string_equal(m[0], "u2");
    /* Removing the last member removes the set, as in Redis. */
    assert_int_equal(cache_srem(fx->c, K(fx, "s"), "u2", NULL), ERR_OK);
    assert_int_equal(cache_exists(fx->c, K(fx, "s"), &b), ERR_OK);
    assert_false(b);
    assert_int_equal(cache_smembers(fx->c, K(fx, "s"), fx->a, &m, &n), ERR_OK);
    assert_int_equal(n, 0);
    assert_int_equal(cache_sadd(fx->c, K(fx, "s"), "u3", NULL), ERR_OK);
    assert_int_equal(cache_expire(fx->c, K(fx, "s"), 150, &b), ERR_OK);
    assert_true(b);
    sleep_ms(400);
    assert_int_equal(cache_smembers(fx->c, K(fx, "s"), fx->a, &m, &n), ERR_OK);
    assert_int_equal(n, 0);
}

static void test_lock(void **state)
{
    struct fixture *fx = fx_of(state);
    bool got = false;
    bool released = true;
    bool found = false;

    del_key(fx, "lock");
    assert_int_equal(cache_lock_acquire(fx->c, K(fx, "lock"), "owner-1", 5000, &got), ERR_OK);
    assert_true(got);
    assert_int_equal(cache_lock_acquire(fx->c, K(fx, "lock"), "owner-2", 5000, &got), ERR_OK);
    assert_false(got);
    /* Someone else's release does nothing. */
    assert_int_equal(cache_lock_release(fx->c, K(fx, "lock"), "owner-2"), ERR_OK);
    assert_int_equal(cache_lock_release_ex(fx->c, K(fx, "lock"), "owner-", &released), ERR_OK);
    assert_false(released);
    assert_int_equal(cache_exists(fx->c, K(fx, "lock"), &found), ERR_OK);
    assert_true(found);
    assert_int_equal(cache_lock_acquire(fx->c, K(fx, "lock"), "owner-2", 5000, &got), ERR_OK);
    assert_false(got);
    assert_int_equal(cache_lock_release_ex(fx->c, K(fx, "lock"), "owner-1", &released), ERR_OK);
    assert_true(released);
    assert_int_equal(cache_lock_acquire(fx->c, K(fx, "lock"), "owner-2", 150, &got), ERR_OK);
    assert_true(got);
    /* Only the holder extends it; someone else's renewal leaves its TTL alone. */
    bool renewed = true;
    assert_int_equal(cache_lock_renew(fx->c, K(fx, "lock"), "owner-1", 5000, &renewed), ERR_OK);
    assert_false(renewed);
    assert_int_equal(cache_lock_renew(fx->c, K(fx, "lock"), "owner-2", 600, &renewed), ERR_OK);
    assert_true(renewed);
    sleep_ms(300); /* past the first TTL, within the renewed one */
    assert_int_equal(cache_lock_acquire(fx->c, K(fx, "lock"), "owner-3", 5000, &got), ERR_OK);
    assert_false(got);
    assert_int_equal(cache_lock_renew(fx->c, K(fx, "lock"), "owner-2", 150, &renewed), ERR_OK);
    assert_true(renewed);
    assert_int_equal(cache_lock_renew(fx->c, K(fx, "lock"), "owner-2", 0, &renewed),
                     ERR_BAD_REQUEST);
    /* An abandoned lock frees itself when its TTL runs out. */
    sleep_ms(400);
    assert_int_equal(cache_lock_acquire(fx->c, K(fx, "lock"), "owner-3", 5000, &got), ERR_OK);
    assert_true(got);
    assert_int_equal(cache_lock_release(fx->c, K(fx, "lock"), "owner-3"), ERR_OK);
    assert_int_equal(cache_exists(fx->c, K(fx, "lock"), &found), ERR_OK);
    assert_false(found);
    /* A lapsed lock is not brought back by its former holder's renewal. */
    assert_int_equal(cache_lock_renew(fx->c, K(fx, "lock"), "owner-3", 5000, &renewed), ERR_OK);
    assert_false(renewed);
    assert_int_equal(cache_exists(fx->c, K(fx, "lock"), &found), ERR_OK);
    assert_false(found);
    assert_int_equal(cache_lock_acquire(fx->c, K(fx, "lock"), "o", 0, &got), ERR_BAD_REQUEST);
}

enum { SUITE_THREADS = 8, SUITE_INCRS = 10000 };

struct incr_job {
    struct cache *c;
    char key[128];
    char hkey[128];
    int errors;
};

static void *incr_thread(void *arg)
{
    struct incr_job *job = arg;

    for (int i = 0; i < SUITE_INCRS; i++) {
        if (cache_incrby(job->c, job->key, 1, NULL) != ERR_OK)
            __atomic_add_fetch(&job->errors, 1, __ATOMIC_RELAXED);
        if (cache_hincrby(job->c, job->hkey, "_", 1, NULL) != ERR_OK)
            __atomic_add_fetch(&job->errors, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

static void test_concurrent_increments(void **state)
{
    struct fixture *fx = fx_of(state);
    pthread_t th[SUITE_THREADS];
    struct incr_job job = {.c = fx->c};
    int64_t v = 0;

    snprintf(job.key, sizeof(job.key), "%s", K(fx, "par"));
    snprintf(job.hkey, sizeof(job.hkey), "%s", K(fx, "hpar"));
    del_key(fx, "par");
    del_key(fx, "hpar");
    for (int i = 0; i < SUITE_THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, incr_thread, &job), 0);
    for (int i = 0; i < SUITE_THREADS; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(job.errors, 0);
    assert_int_equal(cache_incrby(fx->c, job.key, 0, &v), ERR_OK);
    assert_int_equal(v, SUITE_THREADS * SUITE_INCRS);
    assert_int_equal(cache_hincrby(fx->c, job.hkey, "_", 0, &v), ERR_OK);
    assert_int_equal(v, SUITE_THREADS * SUITE_INCRS);
    del_key(fx, "par");
    del_key(fx, "hpar");
}

/* A batch: commands of several slots in one call, replies in order, zsets and the
 * compare-style commands presence relies on. */
static void test_batch(void **state)
{
    struct fixture *fx = fx_of(state);
    char zk[128], uk[128], hk[128], ok[128];
    struct cache_batch *b;
    const struct cache_reply *r;
    size_t i[16];

    snprintf(zk, sizeof(zk), "qt:{%ld:room}:hb", (long)getpid());
    snprintf(hk, sizeof(hk), "qt:{%ld:room}:h", (long)getpid());
    snprintf(uk, sizeof(uk), "qt:{%ld:user}:in", (long)getpid());
    snprintf(ok, sizeof(ok), "qt:{%ld:other}:x", (long)getpid());
    b = cache_batch_new(fx->a);
    cache_batch_del(b, zk);
    cache_batch_del(b, hk);
    cache_batch_group(b, false);
    cache_batch_del(b, uk);
    cache_batch_group(b, false);
    cache_batch_del(b, ok);
    assert_int_equal(cache_batch_run(fx->c, b), ERR_OK);

    b = cache_batch_new(fx->a);
    cache_batch_group(b, true);
    i[0] = cache_batch_zadd(b, zk, 30, "c", false);
    i[1] = cache_batch_zadd(b, zk, 10, "a", false);
    i[2] = cache_batch_zadd(b, zk, 20, "b", false);
    i[3] = cache_batch_zadd(b, zk, 20, "b", false);
    i[4] = cache_batch_zadd(b, zk, 5, "nobody", true);
    i[5] = cache_batch_zcard(b, zk);
    i[6] = cache_batch_hincrby(b, hk, "likes", 3);
    cache_batch_group(b, false);
    i[7] = cache_batch_getset(b, uk, "R1");
    i[8] = cache_batch_getset(b, uk, "R2");
    cache_batch_group(b, false);
    i[9] = cache_batch_get(b, ok);
    cache_batch_group(b, false); /* left empty: nothing to send */
    assert_int_equal(cache_batch_len(b), 10);
    assert_int_equal(cache_batch_run(fx->c, b), ERR_OK);
    assert_int_equal(cache_batch_int(b, i[0], -1), 1);
    assert_int_equal(cache_batch_int(b, i[1], -1), 1);
    assert_int_equal(cache_batch_int(b, i[3], -1), 0); /* same score: unchanged */
    assert_int_equal(cache_batch_int(b, i[4], -1), 0); /* XX never adds */
    assert_int_equal(cache_batch_int(b, i[5], -1), 3);
    assert_int_equal(cache_batch_int(b, i[6], -1), 3);
    assert_null(cache_batch_str(b, i[7]));
    assert_string_equal(cache_batch_str(b, i[8]), "R1");
    assert_int_equal(cache_batch_reply(b, i[9])->type, CACHE_REPLY_NIL);

    b = cache_batch_new(fx->a);
    i[0] = cache_batch_zrange_upto(b, zk, 20, 10);
    i[1] = cache_batch_zrevrange(b, zk, 0, 1);
    i[2] = cache_batch_zscore(b, zk, "b");
    i[3] = cache_batch_zrem(b, zk, "a");
    i[4] = cache_batch_zrem(b, zk, "a");
    i[5] = cache_batch_zadd(b, zk, 40, "b", true);
    i[6] = cache_batch_zrevrange(b, zk, 0, -1);
    cache_batch_group(b, false);
    i[7] = cache_batch_del_if_eq(b, uk, "R1");
    i[8] = cache_batch_del_if_eq(b, uk, "R2");
    i[9] = cache_batch_get(b, uk);
    assert_int_equal(cache_batch_run(fx->c, b), ERR_OK);
    r = cache_batch_reply(b, i[0]);
    assert_int_equal(r->type, CACHE_REPLY_ARRAY);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->elem[0].str, "a");
    assert_string_equal(r->elem[1].str, "b");
    r = cache_batch_reply(b, i[1]);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->elem[0].str, "c");
    assert_string_equal(r->elem[1].str, "b");
    assert_string_equal(cache_batch_str(b, i[2]), "20");
    assert_int_equal(cache_batch_int(b, i[3], -1), 1);
    assert_int_equal(cache_batch_int(b, i[4], -1), 0);
    assert_int_equal(cache_batch_int(b, i[5], -1), 1);
    r = cache_batch_reply(b, i[6]);
    assert_int_equal(r->n, 2);
    assert_string_equal(r->elem[0].str, "b");
    assert_int_equal(cache_batch_int(b, i[7], -1), 0);
    assert_int_equal(cache_batch_int(b, i[8], -1), 1);
    assert_int_equal(cache_batch_reply(b, i[9])->type, CACHE_REPLY_NIL);

    /* compare-and-swap: only the holder of the expected value replaces it */
    b = cache_batch_new(fx->a);
    i[0] = cache_batch_set_if_eq(b, uk, "R1", "R2"); /* missing key */
    i[1] = cache_batch_set(b, uk, "R1", 2, 0);
    i[2] = cache_batch_set_if_eq(b, uk, "R9", "R2");
    i[3] = cache_batch_set_if_eq(b, uk, "R1", "R3");
    i[4] = cache_batch_get(b, uk);
    i[5] = cache_batch_del(b, uk);
    assert_int_equal(cache_batch_run(fx->c, b), ERR_OK);
    assert_int_equal(cache_batch_int(b, i[0], -1), 0);
    assert_int_equal(cache_batch_int(b, i[2], -1), 0);
    assert_int_equal(cache_batch_int(b, i[3], -1), 1);
    assert_string_equal(cache_batch_str(b, i[4]), "R3");

    /* a guarded group runs past its first command only when that one found something */
    b = cache_batch_new(fx->a);
    cache_batch_group_guarded(b);
    i[0] = cache_batch_zscore(b, zk, "nobody");
    i[1] = cache_batch_hincrby(b, hk, "likes", 5);
    cache_batch_group_guarded(b);
    i[2] = cache_batch_zscore(b, zk, "c");
    i[3] = cache_batch_hincrby(b, hk, "likes", 2);
    i[4] = cache_batch_pexpire(b, hk, 60000);
    i[5] = cache_batch_zrevrange(b, zk, 0, -1);
    assert_int_equal(cache_batch_run(fx->c, b), ERR_OK);
    assert_int_equal(cache_batch_reply(b, i[0])->type, CACHE_REPLY_NIL);
    assert_int_equal(cache_batch_reply(b, i[1])->type, CACHE_REPLY_NIL); /* left out */
    assert_string_equal(cache_batch_str(b, i[2]), "30");
    assert_int_equal(cache_batch_int(b, i[3], -1), 5); /* 3 before, + 2 */
    assert_int_equal(cache_batch_int(b, i[4], -1), 1);
    assert_int_equal(cache_batch_reply(b, i[5])->n, 2);

    /* a group whose keys are in different slots is refused before anything runs */
    b = cache_batch_new(fx->a);
    cache_batch_get(b, zk);
    cache_batch_get(b, uk);
    assert_int_equal(cache_batch_run(fx->c, b), ERR_BAD_REQUEST);

    b = cache_batch_new(fx->a);
    cache_batch_del(b, zk);
    cache_batch_del(b, hk);
    assert_int_equal(cache_batch_run(fx->c, b), ERR_OK);
}

static const struct CMUnitTest cache_suite_tests[] = {
    cmocka_unit_test_prestate(test_get_set_del, &suite_fx),
    cmocka_unit_test_prestate(test_ttl_expiry, &suite_fx),
    cmocka_unit_test_prestate(test_incrby, &suite_fx),
    cmocka_unit_test_prestate(test_hash, &suite_fx),
    cmocka_unit_test_prestate(test_sets, &suite_fx),
    cmocka_unit_test_prestate(test_lock, &suite_fx),
    cmocka_unit_test_prestate(test_concurrent_increments, &suite_fx),
    cmocka_unit_test_prestate(test_batch, &suite_fx),
};

#endif
