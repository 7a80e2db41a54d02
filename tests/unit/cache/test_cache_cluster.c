/* The shared cache semantics on Redis Cluster (QNLIVE_TEST_REDIS_CLUSTER=h:p,h:p,h:p, the
 * three masters printed by scripts/testenv/redis.sh start-cluster), key slots, key spread, and
 * redirects during a live slot migration. */
#include "cache_suite.h"
#include "redis_env.h"

#include "cache/cache_int.h"

enum { MASTERS = 3, SPREAD_KEYS = 300 };

static char *seeds[MASTERS];
static char seed_buf[512];
static size_t n_seeds;

/* Splits the env list into seeds; false when it is not set. */
static bool load_seeds(void)
{
    const char *env = getenv("QNLIVE_TEST_REDIS_CLUSTER");
    char *t = seed_buf;

    if (!env || !*env)
        return false;
    snprintf(seed_buf, sizeof(seed_buf), "%s", env);
    while (t && n_seeds < MASTERS) {
        char *comma = strchr(t, ',');

        if (comma)
            *comma++ = '\0';
        seeds[n_seeds++] = t;
        t = comma;
    }
    return n_seeds == MASTERS;
}

static int setup_cluster(void **state)
{
    struct conf cf;

    (void)state;
    if (!load_seeds()) {
        printf("[  SKIPPED ] QNLIVE_TEST_REDIS_CLUSTER is not set to three masters "
               "(scripts/testenv/redis.sh start-cluster <dir>)\n");
        return 0;
    }
    memset(&cf, 0, sizeof(cf));
    cf.cache.enabled = true;
    cf.cache.type = "cluster";
    cf.cache.addrs = seeds;
    cf.cache.n_addrs = n_seeds;
    cf.cache.password = "";
    return suite_open(&cf);
}

/* Known values: the CRC16 check value of the cluster spec and the hash-tag rules. */
static void test_key_slot(void **state)
{
    (void)state;
    assert_int_equal(cache_key_slot("123456789", 9), 12739);
    assert_int_equal(cache_key_slot("{user1000}.following", 20),
                     cache_key_slot("{user1000}.followers", 20));
    assert_int_equal(cache_key_slot("{user1000}.following", 20), cache_key_slot("user1000", 8));
    /* An empty tag hashes the whole key; only the first '{' ... next '}' counts. */
    assert_int_equal(cache_key_slot("foo{}{bar}", 10), 8363);
    assert_int_equal(cache_key_slot("foo{{bar}}zap", 13), cache_key_slot("{bar", 4));
    assert_int_equal(cache_key_slot("foo{bar}{zap}", 13), cache_key_slot("bar", 3));
}

/* Our slots agree with the server's CLUSTER KEYSLOT. */
static void test_key_slot_matches_server(void **state)
{
    static const char *const keys[] = {
        "like:1", "like_rooms:1700000000",    "{a}b", "x{}y", "foo{{bar}}",
        "",       "like_users:123:1700000001"};
    redisContext *raw;

    (void)state;
    if (!suite_fx.c)
        skip();
    raw = raw_connect(seeds[0]);
    assert_non_null(raw);
    for (size_t i = 0; i < ARRAY_LEN(keys); i++) {
        redisReply *r = redisCommand(raw, "CLUSTER KEYSLOT %s", keys[i]);

        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_INTEGER);
        assert_int_equal(r->integer, cache_key_slot(keys[i], strlen(keys[i])));
        freeReplyObject(r);
    }
    redisFree(raw);
}

/* Which master holds `key` (asked directly; the others answer MOVED); -1 if none. */
static int owner_of(redisContext **raw, const char *key)
{
    int owner = -1;

    for (int m = 0; m < MASTERS; m++) {
        redisReply *r = redisCommand(raw[m], "EXISTS %s", key);

        if (r && r->type == REDIS_REPLY_INTEGER && r->integer == 1)
            owner = m;
        if (r)
            freeReplyObject(r);
    }
    return owner;
}

static void test_keys_spread_over_masters(void **state)
{
    struct fixture *fx = fx_of(state);
    redisContext *raw[MASTERS];
    int per_master[MASTERS] = {0};
    struct cache *one_seed = NULL;
    char key[64];

    for (int m = 0; m < MASTERS; m++)
        assert_non_null(raw[m] = raw_connect(seeds[m]));
    for (int i = 0; i < SPREAD_KEYS; i++) {
        snprintf(key, sizeof(key), "qt:%ld:spread:%d", (long)getpid(), i);
        assert_int_equal(cache_set(fx->c, key, key, strlen(key), 60000), ERR_OK);
        int owner = owner_of(raw, key);

        assert_true(owner >= 0);
        per_master[owner]++;
    }
    for (int m = 0; m < MASTERS; m++)
        assert_true(per_master[m] > 0);
    /* One seed is enough: the whole map is learned from it. */
    assert_int_equal(cache_cluster_new(&seeds[1], 1, "", &one_seed), ERR_OK);
    for (int i = 0; i < SPREAD_KEYS; i++) {
        char *data;
        size_t len;
        bool found;

        snprintf(key, sizeof(key), "qt:%ld:spread:%d", (long)getpid(), i);
        assert_int_equal(cache_get(one_seed, key, fx->a, &data, &len, &found), ERR_OK);
        assert_true(found);
        assert_string_equal(data, key);
        assert_int_equal(cache_del(one_seed, key, NULL), ERR_OK);
    }
    cache_close(&one_seed);
    for (int m = 0; m < MASTERS; m++)
        redisFree(raw[m]);
}

/* Runs a raw command and checks it returned +OK. */
static void raw_ok(redisContext *ctx, const char *fmt, ...)
{
    va_list ap;
    redisReply *r;

    va_start(ap, fmt);
    r = redisvCommand(ctx, fmt, ap);
    va_end(ap);
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR)
        fail_msg("%s", r->str);
    freeReplyObject(r);
}

static void raw_myid(redisContext *ctx, char *out, size_t outlen)
{
    redisReply *r = redisCommand(ctx, "CLUSTER MYID");

    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    snprintf(out, outlen, "%s", r->str);
    freeReplyObject(r);
}

/* Moves `key` from master a to b, then gives its slot to b on every master. */
static void finish_migration(redisContext **raw, int a, int b, unsigned slot, const char *key)
{
    char host_b[64];
    char id_b[64];

    raw_myid(raw[b], id_b, sizeof(id_b));
    snprintf(host_b, sizeof(host_b), "%s", seeds[b]);
    *strrchr(host_b, ':') = '\0';
    raw_ok(raw[a], "MIGRATE %s %s %s 0 5000 KEYS %s", host_b, strrchr(seeds[b], ':') + 1, "", key);
    raw_ok(raw[b], "CLUSTER SETSLOT %u NODE %s", slot, id_b);
    raw_ok(raw[a], "CLUSTER SETSLOT %u NODE %s", slot, id_b);
    raw_ok(raw[(a + 2) % MASTERS], "CLUSTER SETSLOT %u NODE %s", slot, id_b);
}

/* Moves the slot of {tag} from master A to B the way redis-cli --cluster reshard does; the
 * cache keeps its (now stale) map and must follow ASK during and MOVED after the move. */
static void test_redirects_during_slot_migration(void **state)
{
    struct fixture *fx = fx_of(state);
    redisContext *raw[MASTERS];
    char ka[64], kb[64], ida[64], idb[64];
    int a, b;
    unsigned slot;
    char *data;
    size_t len;
    bool found;

    snprintf(ka, sizeof(ka), "{mig%ld}:a", (long)getpid());
    snprintf(kb, sizeof(kb), "{mig%ld}:b", (long)getpid());
    slot = cache_key_slot(ka, strlen(ka));
    for (int m = 0; m < MASTERS; m++)
        assert_non_null(raw[m] = raw_connect(seeds[m]));
    assert_int_equal(cache_set(fx->c, ka, "va", 2, 0), ERR_OK);
    a = owner_of(raw, ka);
    assert_true(a >= 0);
    b = (a + 1) % MASTERS;
    raw_myid(raw[a], ida, sizeof(ida));
    raw_myid(raw[b], idb, sizeof(idb));
    raw_ok(raw[b], "CLUSTER SETSLOT %u IMPORTING %s", slot, ida);
    raw_ok(raw[a], "CLUSTER SETSLOT %u MIGRATING %s", slot, idb);

    /* A new key of a migrating slot lives on the importing node: ASK, no map change. */
    assert_int_equal(cache_set(fx->c, kb, "vb", 2, 0), ERR_OK);
    assert_int_equal(cache_get(fx->c, kb, fx->a, &data, &len, &found), ERR_OK);
    assert_true(found);
    assert_string_equal(data, "vb");
    assert_int_equal(cache_get(fx->c, ka, fx->a, &data, &len, &found), ERR_OK);
    assert_string_equal(data, "va");

    finish_migration(raw, a, b, slot, ka);

    /* The cache still sends the slot to A, which now answers MOVED. */
    assert_int_equal(cache_get(fx->c, ka, fx->a, &data, &len, &found), ERR_OK);
    assert_true(found);
    assert_string_equal(data, "va");
    assert_int_equal(owner_of(raw, ka), b);
    assert_int_equal(cache_incrby(fx->c, "{mig}n", 1, NULL), ERR_OK);
    assert_int_equal(cache_del(fx->c, ka, NULL), ERR_OK);
    assert_int_equal(cache_del(fx->c, kb, NULL), ERR_OK);
    assert_int_equal(owner_of(raw, ka), -1);
    for (int m = 0; m < MASTERS; m++)
        redisFree(raw[m]);
}

static const struct CMUnitTest cluster_tests[] = {
    cmocka_unit_test(test_key_slot),
    cmocka_unit_test(test_key_slot_matches_server),
    cmocka_unit_test_prestate(test_keys_spread_over_masters, &suite_fx),
    cmocka_unit_test_prestate(test_redirects_during_slot_migration, &suite_fx),
};

int main(void)
{
    int failed =
        cmocka_run_group_tests_name("cache cluster", cache_suite_tests, setup_cluster, NULL);

    failed += cmocka_run_group_tests_name("cache cluster routing", cluster_tests, NULL, NULL);
    suite_teardown(NULL);
    return failed;
}
