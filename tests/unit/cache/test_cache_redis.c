/* The shared cache semantics on a single Redis node (QNLIVE_TEST_REDIS=host:port, as printed
 * by scripts/testenv/redis.sh start), then outage handling on a private server this test
 * starts, stops, restarts and freezes itself through the same script. */
#include "cache_suite.h"
#include "redis_env.h"

#include <signal.h>
#include <sys/stat.h>

#include "core/str.h"

static int setup_node(void **state)
{
    const char *addr = getenv("QNLIVE_TEST_REDIS");
    struct conf cf;

    (void)state;
    if (!addr || !*addr) {
        printf(
            "[  SKIPPED ] QNLIVE_TEST_REDIS is not set (scripts/testenv/redis.sh start <dir>)\n");
        return 0;
    }
    memset(&cf, 0, sizeof(cf));
    cf.cache.enabled = true;
    cf.cache.type = "node";
    cf.cache.addr = (char *)(uintptr_t)addr;
    cf.cache.password = "";
    return suite_open(&cf);
}

/* A redis-server of our own, so stopping it disturbs no other test. */
struct priv {
    char dir[512];
    char addr[64];
    struct cache *c;
    struct arena *a;
};

static struct priv priv;

static int setup_priv(void **state)
{
    const char *tmp = getenv("TMPDIR");

    (void)state;
    if (!have_redis_server()) {
        printf("[  SKIPPED ] redis-server is not installed\n");
        return 0;
    }
    snprintf(priv.dir, sizeof(priv.dir), "%s/qnlive-cache-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
    if (!mkdtemp(priv.dir) || !redis_script_run("start", priv.dir, priv.addr, sizeof(priv.addr)))
        return -1;
    priv.a = arena_new();
    return cache_redis_new(priv.addr, "", &priv.c) == ERR_OK ? 0 : -1;
}

static int teardown_priv(void **state)
{
    char *rm;

    (void)state;
    cache_close(&priv.c);
    arena_free(&priv.a);
    if (!priv.dir[0])
        return 0;
    (void)redis_script_run("stop", priv.dir, NULL, 0);
    rm = xasprintf("rm -rf '%s'", priv.dir);
    (void)system(rm);
    free(rm);
    return 0;
}

static struct priv *priv_of(void)
{
    if (!priv.c)
        skip();
    arena_reset(priv.a);
    return &priv;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct burst {
    struct cache *c;
    int errors;
};

static void *burst_thread(void *arg)
{
    struct burst *b = arg;

    for (int i = 0; i < 200; i++)
        if (cache_incrby(b->c, "burst", 1, NULL) != ERR_OK)
            __atomic_add_fetch(&b->errors, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Several threads at once leave several connections in the pool. */
static int burst(struct cache *c)
{
    pthread_t th[4];
    struct burst b = {.c = c};

    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&th[i], NULL, burst_thread, &b), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    return b.errors;
}

static void test_restart(void **state)
{
    struct priv *p = priv_of();
    char addr[64];
    char *data;
    size_t len;
    bool found;
    int64_t t0;

    (void)state;
    assert_int_equal(cache_set(p->c, "k", "before", 6, 0), ERR_OK);
    assert_int_equal(burst(p->c), 0);
    assert_true(redis_script_run("stop", p->dir, NULL, 0));
    t0 = now_ms();
    assert_int_equal(cache_get(p->c, "k", p->a, &data, &len, &found), ERR_UNAVAILABLE);
    assert_false(found);
    assert_int_equal(cache_incrby(p->c, "n", 1, NULL), ERR_UNAVAILABLE);
    assert_int_equal(cache_sadd(p->c, "s", "m", NULL), ERR_UNAVAILABLE);
    assert_true(now_ms() - t0 < 2000); /* refused connections fail fast, never hang */
    assert_true(redis_script_run("start", p->dir, addr, sizeof(addr)));
    assert_string_equal(addr, p->addr);
    assert_int_equal(cache_set(p->c, "k", "after", 5, 0), ERR_OK);
    assert_int_equal(cache_get(p->c, "k", p->a, &data, &len, &found), ERR_OK);
    assert_string_equal(data, "after");

    /* Restart with no operation in between: the pool holds only dead connections now, and the
     * next operations must transparently reconnect. */
    assert_int_equal(burst(p->c), 0);
    assert_true(redis_script_run("stop", p->dir, NULL, 0));
    assert_true(redis_script_run("start", p->dir, addr, sizeof(addr)));
    assert_int_equal(cache_incrby(p->c, "n", 2, NULL), ERR_OK);
    assert_int_equal(burst(p->c), 0);
}

static void test_frozen_server_times_out(void **state)
{
    struct priv *p = priv_of();
    char *pidfile;
    char buf[32] = "";
    int64_t pid = 0;
    int64_t t0, took;
    char *data;
    size_t len;
    bool found;
    FILE *f;

    (void)state;
    assert_int_equal(cache_set(p->c, "k", "v", 1, 0), ERR_OK);
    pidfile = xasprintf("%s/redis.pid", p->dir);
    f = fopen(pidfile, "r");
    free(pidfile);
    assert_non_null(f);
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    buf[strcspn(buf, "\n")] = '\0';
    assert_true(str_to_i64(buf, 1, INT32_MAX, &pid));
    assert_int_equal(kill((pid_t)pid, SIGSTOP), 0);
    t0 = now_ms();
    assert_int_equal(cache_get(p->c, "k", p->a, &data, &len, &found), ERR_UNAVAILABLE);
    took = now_ms() - t0;
    assert_int_equal(kill((pid_t)pid, SIGCONT), 0);
    /* The 3 s command timeout, not retried (the command may have run). */
    assert_true(took >= 2500 && took < 6000);
    assert_int_equal(cache_get(p->c, "k", p->a, &data, &len, &found), ERR_OK);
    assert_true(found);
}

static void test_password(void **state)
{
    struct priv *p = priv_of();
    redisContext *raw = raw_connect(p->addr);
    struct cache *good = NULL;
    struct cache *bad = NULL;
    struct cache *none = NULL;
    redisReply *r;
    bool found;

    (void)state;
    assert_non_null(raw);
    r = redisCommand(raw, "CONFIG SET requirepass s3cret");
    assert_non_null(r);
    freeReplyObject(r);
    assert_int_equal(cache_redis_new(p->addr, "s3cret", &good), ERR_OK);
    assert_int_equal(cache_redis_new(p->addr, "wrong", &bad), ERR_OK);
    assert_int_equal(cache_set(good, "pw", "x", 1, 0), ERR_OK);
    assert_int_equal(cache_exists(good, "pw", &found), ERR_OK);
    assert_true(found);
    assert_int_equal(cache_exists(bad, "pw", &found), ERR_UNAVAILABLE);
    assert_int_equal(cache_redis_new(p->addr, "", &none), ERR_OK);
    assert_int_equal(cache_exists(none, "pw", &found), ERR_UNAVAILABLE); /* NOAUTH */
    r = redisCommand(raw, "AUTH s3cret");
    freeReplyObject(r);
    r = redisCommand(raw, "CONFIG SET requirepass %s", "");
    freeReplyObject(r);
    redisFree(raw);
    cache_close(&good);
    cache_close(&bad);
    cache_close(&none);
}

/* ---- the near cache: two "nodes" on the private server -------------------------------------- */

static bool near_on_within(struct cache *c, bool want, int ms)
{
    for (int waited = 0; waited < ms; waited += 20) {
        if (cache_near_on(c) == want)
            return true;
        sleep_ms(20);
    }
    return cache_near_on(c) == want;
}

static struct cache *near_node(const char *addr)
{
    struct cache *c = NULL;
    assert_int_equal(cache_redis_new(addr, "", &c), ERR_OK);
    cache_near_enable(c);
    assert_true(near_on_within(c, true, 5000));
    return c;
}

/* One GET and one ZCARD, the shape of a room read; answers them in *gen and *count. */
static void read_room(struct cache *c, struct arena *a, const char *gen_key, const char *set_key,
                      int64_t *gen, int64_t *count)
{
    struct cache_batch *b = cache_batch_new(a);
    size_t g = cache_batch_get(b, gen_key);
    cache_batch_group(b, false);
    size_t n = cache_batch_zcard(b, set_key);
    assert_int_equal(cache_batch_run(c, b), ERR_OK);
    const char *text = cache_batch_str(b, g);
    *gen = 0;
    if (text)
        assert_true(str_to_i64(text, INT64_MIN, INT64_MAX, gen));
    *count = cache_batch_int(b, n, -1);
}

static void write_room(struct cache *c, struct arena *a, const char *gen_key, const char *set_key,
                       int64_t member)
{
    struct cache_batch *b = cache_batch_new(a);
    cache_batch_incrby(b, gen_key, 1);
    cache_batch_group(b, false);
    cache_batch_zadd(b, set_key, member, arena_printf(a, "m%lld", (long long)member), false);
    assert_int_equal(cache_batch_run(c, b), ERR_OK);
}

static uint64_t near_hits(struct cache *c)
{
    struct cache_near_stats st;
    cache_near_stats(c, &st);
    return st.hits;
}

/* Reads nobody changed are answered from memory; a change made through another node is seen
 * by the very next read, every time. */
static void test_near_cache_serves_unchanged_reads_and_sees_every_change(void **state)
{
    struct priv *p = priv_of();
    struct cache *a = near_node(p->addr), *b = near_node(p->addr);
    const char *gen = "live:{near1}:gen", *set = "live:{near1}:hb";
    int64_t g, n;

    (void)state;
    write_room(b, p->a, gen, set, 0);
    /* a reply is kept only when no invalidation of its key came in while it was read, and the
     * write's own invalidation may arrive late: a few reads may go to Redis first */
    uint64_t hits = near_hits(a);
    for (int i = 0; i < 100 && near_hits(a) == hits; i++) {
        read_room(a, p->a, gen, set, &g, &n);
        sleep_ms(10);
    }
    assert_true(near_hits(a) > hits);
    assert_int_equal(g, 1);
    assert_int_equal(n, 1);
    for (int64_t i = 1; i <= 300; i++) {
        write_room(b, p->a, gen, set, i);
        read_room(a, p->a, gen, set, &g, &n);
        assert_int_equal(g, i + 1);
        assert_int_equal(n, i + 1);
        arena_reset(p->a);
    }
    /* keys outside the tracked prefixes always go to Redis */
    hits = near_hits(a);
    read_room(a, p->a, "like:{near1}", "like:{near1}:z", &g, &n);
    read_room(a, p->a, "like:{near1}", "like:{near1}:z", &g, &n);
    assert_int_equal(near_hits(a), hits);
    cache_close(&a);
    cache_close(&b);
}

/* Losing the invalidation stream turns the near cache off and empties it; reads go to Redis
 * meanwhile, and it comes back by itself. */
static void test_near_cache_off_while_invalidations_are_lost(void **state)
{
    struct priv *p = priv_of();
    struct cache *a = near_node(p->addr), *b = near_node(p->addr);
    const char *gen = "live:{near2}:gen", *set = "live:{near2}:hb";
    struct cache_near_stats st;
    int64_t g, n;

    (void)state;
    write_room(b, p->a, gen, set, 1);
    read_room(a, p->a, gen, set, &g, &n);
    redisContext *raw = raw_connect(p->addr);
    assert_non_null(raw);
    redisReply *r = redisCommand(raw, "CLIENT KILL TYPE pubsub");
    assert_non_null(r);
    freeReplyObject(r);
    redisFree(raw);
    assert_true(near_on_within(a, false, 5000));
    /* emptied right after it stops serving */
    cache_near_stats(a, &st);
    for (int i = 0; i < 100 && st.entries; i++) {
        sleep_ms(10);
        cache_near_stats(a, &st);
    }
    assert_int_equal(st.entries, 0);
    write_room(b, p->a, gen, set, 2);
    read_room(a, p->a, gen, set, &g, &n);
    assert_int_equal(g, 2);
    assert_true(near_on_within(a, true, 5000));
    assert_true(near_on_within(b, true, 5000));
    write_room(b, p->a, gen, set, 3);
    read_room(a, p->a, gen, set, &g, &n);
    assert_int_equal(g, 3);
    cache_close(&a);
    cache_close(&b);
}

static const struct CMUnitTest outage_tests[] = {
    cmocka_unit_test(test_restart),
    cmocka_unit_test(test_frozen_server_times_out),
    cmocka_unit_test(test_password),
    cmocka_unit_test(test_near_cache_serves_unchanged_reads_and_sees_every_change),
    cmocka_unit_test(test_near_cache_off_while_invalidations_are_lost),
};

int main(void)
{
    int failed =
        cmocka_run_group_tests_name("cache node", cache_suite_tests, setup_node, suite_teardown);

    return failed + cmocka_run_group_tests_name("cache node outages", outage_tests, setup_priv,
                                                teardown_priv);
}
