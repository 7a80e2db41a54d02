/* Unit tests of the cron runner: scheduling, singleton rules, the distributed lock, failures,
 * overlap, stop and the daily schedule. Timings are generous: the assertions are about counts
 * and concurrency, never about speed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/str.h"
#include "cron/cron.h"
#include "metrics/metrics.h"

/* ---- helpers ------------------------------------------------------------------------------ */

struct probe {
    atomic_int calls;
    atomic_int finished;
    atomic_int running;
    atomic_int max_running;
    int sleep_ms;
    err_t result;
    char reqid[64];
};

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static err_t probe_job(void *ud)
{
    struct probe *p = ud;
    int now = atomic_fetch_add(&p->running, 1) + 1;
    int max = atomic_load(&p->max_running);
    while (now > max && !atomic_compare_exchange_weak(&p->max_running, &max, now))
        ;
    atomic_fetch_add(&p->calls, 1);
    snprintf(p->reqid, sizeof(p->reqid), "%s", log_reqid());
    if (p->sleep_ms)
        sleep_ms(p->sleep_ms);
    atomic_fetch_sub(&p->running, 1);
    atomic_fetch_add(&p->finished, 1);
    return p->result;
}

/* Polls until *v >= want or timeout_ms passes. */
static bool wait_for(atomic_int *v, int want, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 5) {
        if (atomic_load(v) >= want)
            return true;
        sleep_ms(5);
    }
    return atomic_load(v) >= want;
}

/* An in-memory stand-in for the cache's SET NX PX locks, shared by "nodes". `crashed` names an
 * owner whose lease is never released, as when its process dies (it then only lapses). */
enum { FAKE_KEYS = 8 };

struct fake_lock {
    pthread_mutex_t mu;
    struct {
        char key[64];
        char owner[128];
        int64_t expires_ms;
    } held[FAKE_KEYS];
    int releases_by_other;
    int lease_acquires; /* of the singleton lease key, by anyone */
    bool fail;
    char crashed[128];
};

static int64_t mono_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The index of the live entry of key, or -1. Under l->mu. */
static int find_key(struct fake_lock *l, const char *key)
{
    for (int i = 0; i < FAKE_KEYS; i++) {
        if (strcmp(l->held[i].key, key) == 0 && l->held[i].expires_ms > mono_now_ms())
            return i;
    }
    return -1;
}

static bool fake_acquire(void *ud, const char *key, const char *owner, int64_t ttl_ms, err_t *err)
{
    struct fake_lock *l = ud;
    bool got = false;
    pthread_mutex_lock(&l->mu);
    if (l->fail) {
        *err = ERR_UNAVAILABLE;
    } else if (find_key(l, key) < 0) {
        for (int i = 0; i < FAKE_KEYS && !got; i++) {
            if (l->held[i].key[0] && l->held[i].expires_ms > mono_now_ms())
                continue;
            snprintf(l->held[i].key, sizeof(l->held[i].key), "%s", key);
            snprintf(l->held[i].owner, sizeof(l->held[i].owner), "%s", owner);
            l->held[i].expires_ms = mono_now_ms() + ttl_ms;
            got = true;
        }
    }
    if (got && strcmp(key, "qnlive:cron:leader") == 0)
        l->lease_acquires++;
    pthread_mutex_unlock(&l->mu);
    return got;
}

static bool fake_renew(void *ud, const char *key, const char *owner, int64_t ttl_ms, err_t *err)
{
    struct fake_lock *l = ud;
    bool renewed = false;
    pthread_mutex_lock(&l->mu);
    int i = find_key(l, key);
    if (l->fail) {
        *err = ERR_UNAVAILABLE;
    } else if (i >= 0 && strcmp(l->held[i].owner, owner) == 0) {
        l->held[i].expires_ms = mono_now_ms() + ttl_ms;
        renewed = true;
    }
    pthread_mutex_unlock(&l->mu);
    return renewed;
}

static void fake_release(void *ud, const char *key, const char *owner)
{
    struct fake_lock *l = ud;
    pthread_mutex_lock(&l->mu);
    int i = find_key(l, key);
    if (strcmp(l->crashed, owner) == 0 && strcmp(key, "qnlive:cron:leader") == 0)
        ; /* a dead process releases nothing */
    else if (i >= 0 && strcmp(l->held[i].owner, owner) == 0)
        l->held[i].key[0] = '\0';
    else
        l->releases_by_other++;
    pthread_mutex_unlock(&l->mu);
}

/* Number of keys still held. */
static int held_keys(struct fake_lock *l)
{
    int n = 0;
    pthread_mutex_lock(&l->mu);
    for (int i = 0; i < FAKE_KEYS; i++)
        n += l->held[i].key[0] && l->held[i].expires_ms > mono_now_ms();
    pthread_mutex_unlock(&l->mu);
    return n;
}

static struct cron_job job_of(const char *name, int64_t period_ms, struct probe *p)
{
    struct cron_job j = {.name = name, .period_ms = period_ms, .fn = probe_job, .ud = p};
    return j;
}

static struct cron_stats stats_of(struct cron *c, const char *name)
{
    struct cron_stats st = {0};
    assert_true(cron_job_stats(c, name, &st));
    return st;
}

/* ---- tests -------------------------------------------------------------------------------- */

static void test_periodic_job_runs_repeatedly(void **state)
{
    (void)state;
    struct probe p = {0};
    struct cron *c = cron_new(NULL);
    struct cron_job j = job_of("tick", 20, &p);

    assert_int_equal(cron_add(c, &j), ERR_OK);
    assert_int_equal(cron_start(c), ERR_OK);
    assert_true(wait_for(&p.calls, 3, 3000));
    assert_true(cron_stop(c));
    assert_int_equal(stats_of(c, "tick").runs, (uint64_t)atomic_load(&p.calls));
    assert_string_equal(p.reqid, "tick"); /* the run's log request id is the job name */
    cron_free(&c);
    assert_null(c);
}

/* Without a shared lock there is one node: it runs the singletons, whatever single_task_node
 * says (a missing or stale cron section must not silence the timeout jobs). */
static void test_singleton_runs_without_a_lock_on_any_node(void **state)
{
    (void)state;
    struct probe single = {0};
    struct cron_options o = {.node_id = 2, .single_task_node = 1};
    struct cron *c = cron_new(&o);
    struct cron_job js = job_of("single", 10, &single);
    js.singleton = true;

    assert_int_equal(cron_add(c, &js), ERR_OK);
    assert_int_equal(cron_start(c), ERR_OK);
    assert_true(wait_for(&single.calls, 3, 3000));
    assert_int_equal(cron_run_now(c, "single", NULL), ERR_OK);
    cron_free(&c);
}

static void test_singleton_runs_on_designated_node(void **state)
{
    (void)state;
    struct probe p = {.result = ERR_OK};
    struct cron_options o = {.node_id = 3, .single_task_node = 3};
    struct cron *c = cron_new(&o);
    struct cron_job j = job_of("single", 1000, &p);
    j.singleton = true;

    assert_int_equal(cron_add(c, &j), ERR_OK);
    assert_int_equal(cron_run_now(c, "single", NULL), ERR_OK);
    assert_int_equal(atomic_load(&p.calls), 1);
    cron_free(&c);
}

static void test_two_nodes_never_run_singleton_concurrently(void **state)
{
    (void)state;
    struct fake_lock lock = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct probe p = {.sleep_ms = 25};
    struct cron_options o = {.node_id = 1,
                             .single_task_node = 1,
                             .lock_acquire = fake_acquire,
                             .lock_release = fake_release,
                             .lock_ud = &lock};
    struct cron *a = cron_new(&o);
    struct cron *b = cron_new(&o);
    struct cron_job j = job_of("flush_likes", 5, &p); /* both nodes tick far faster than a run */
    j.singleton = true;

    assert_string_not_equal(cron_owner(a), cron_owner(b));
    assert_int_equal(cron_add(a, &j), ERR_OK);
    assert_int_equal(cron_add(b, &j), ERR_OK);
    assert_int_equal(cron_start(a), ERR_OK);
    assert_int_equal(cron_start(b), ERR_OK);
    assert_true(wait_for(&p.calls, 8, 5000));
    assert_true(cron_stop(a));
    assert_true(cron_stop(b));

    assert_int_equal(atomic_load(&p.max_running), 1);
    assert_true(stats_of(a, "flush_likes").skipped_lock + stats_of(b, "flush_likes").skipped_lock >
                0);
    assert_int_equal(lock.releases_by_other, 0); /* each run released only its own lock */
    assert_int_equal(held_keys(&lock), 0);       /* and nothing is left held */
    cron_free(&a);
    cron_free(&b);
}

/* Runs of a singleton on two nodes sharing one lock: node 1 is preferred. */
struct pair {
    struct fake_lock lock;
    struct probe on_a, on_b;
    struct cron *a, *b;
};

static void pair_start(struct pair *p, bool renew)
{
    struct cron_options oa = {.node_id = 1,
                              .single_task_node = 1,
                              .lock_acquire = fake_acquire,
                              .lock_release = fake_release,
                              .lock_renew = renew ? fake_renew : NULL,
                              .lock_ud = &p->lock};
    struct cron_options ob = oa;
    ob.node_id = 2;
    p->a = cron_new(&oa);
    p->b = cron_new(&ob);
    struct cron_job ja = job_of("timeouts", 20, &p->on_a);
    struct cron_job jb = job_of("timeouts", 20, &p->on_b);
    ja.singleton = jb.singleton = true;
    assert_int_equal(cron_add(p->a, &ja), ERR_OK);
    assert_int_equal(cron_add(p->b, &jb), ERR_OK);
    assert_int_equal(cron_start(p->a), ERR_OK);
    assert_int_equal(cron_start(p->b), ERR_OK);
}

static void test_preferred_node_runs_singletons_and_another_takes_over_at_its_stop(void **state)
{
    (void)state;
    struct pair p = {.lock.mu = PTHREAD_MUTEX_INITIALIZER};
    pair_start(&p, true);
    assert_true(wait_for(&p.on_a.calls, 20, 10000));
    assert_int_equal(atomic_load(&p.on_b.calls), 0); /* first pick: the preferred node */
    assert_true(cron_stop(p.a));                     /* a graceful stop hands over at once */
    assert_true(wait_for(&p.on_b.calls, 5, 10000));
    cron_free(&p.a);
    cron_free(&p.b);
    assert_int_equal(held_keys(&p.lock), 0);
}

static void test_another_node_takes_over_when_the_holder_dies(void **state)
{
    (void)state;
    struct pair p = {.lock.mu = PTHREAD_MUTEX_INITIALIZER};
    pair_start(&p, true);
    assert_true(wait_for(&p.on_a.calls, 5, 10000));
    /* node 1 dies: it stops running and its lease is never released, only lapses */
    pthread_mutex_lock(&p.lock.mu);
    snprintf(p.lock.crashed, sizeof(p.lock.crashed), "%s", cron_owner(p.a));
    pthread_mutex_unlock(&p.lock.mu);
    assert_true(cron_stop(p.a));
    int b_before = atomic_load(&p.on_b.calls);
    assert_int_equal(b_before, 0);
    assert_true(wait_for(&p.on_b.calls, 5, 15000)); /* after the lease lapses (seconds) */
    cron_free(&p.a);
    cron_free(&p.b);
}

/* How many times the lease was taken while node 1 held it for `hold_ms`. */
static int lease_acquires_while_held(bool renew, int hold_ms, int *runs_elsewhere)
{
    struct pair p = {.lock.mu = PTHREAD_MUTEX_INITIALIZER};
    pair_start(&p, renew);
    assert_true(wait_for(&p.on_a.calls, 5, 10000));
    sleep_ms(hold_ms);
    pthread_mutex_lock(&p.lock.mu);
    int acquires = p.lock.lease_acquires;
    pthread_mutex_unlock(&p.lock.mu);
    *runs_elsewhere = atomic_load(&p.on_b.calls);
    cron_free(&p.a);
    cron_free(&p.b);
    return acquires;
}

/* The holder extends its lease in place: over several renewals it is taken once and never
 * released, so there is no moment in which the other node could take it. */
static void test_holder_renews_its_lease_without_letting_it_go(void **state)
{
    (void)state;
    int elsewhere = -1;
    /* more than a lease length: about three renewals */
    assert_int_equal(lease_acquires_while_held(true, 3500, &elsewhere), 1);
    assert_int_equal(elsewhere, 0);
}

/* A provider without a renew call still works: the holder releases and takes the lease again. */
static void test_lease_without_renew_is_taken_again(void **state)
{
    (void)state;
    int elsewhere = -1;
    assert_true(lease_acquires_while_held(false, 1500, &elsewhere) >= 2);
}

/* Two deployments sharing one cache (different lock scopes) each run their own singletons:
 * neither holds the other's lease nor blocks its job locks. */
static void test_each_lock_scope_runs_its_own_singletons(void **state)
{
    (void)state;
    struct fake_lock lock = {.mu = PTHREAD_MUTEX_INITIALIZER};
    struct probe pa = {0}, pb = {0};
    struct cron_options oa = {.lock_scope = "live_a",
                              .lock_acquire = fake_acquire,
                              .lock_release = fake_release,
                              .lock_renew = fake_renew,
                              .lock_ud = &lock};
    struct cron_options ob = oa;
    ob.lock_scope = "live_b";
    struct cron *a = cron_new(&oa), *b = cron_new(&ob);
    struct cron_job ja = job_of("timeouts", 20, &pa), jb = job_of("timeouts", 20, &pb);
    ja.singleton = jb.singleton = true;
    assert_int_equal(cron_add(a, &ja), ERR_OK);
    assert_int_equal(cron_add(b, &jb), ERR_OK);
    assert_int_equal(cron_start(a), ERR_OK);
    assert_int_equal(cron_start(b), ERR_OK);
    assert_true(wait_for(&pa.calls, 5, 10000));
    assert_true(wait_for(&pb.calls, 5, 10000));
    cron_free(&a);
    cron_free(&b);
}

static void test_lock_backend_failure_skips_run(void **state)
{
    (void)state;
    struct fake_lock lock = {.mu = PTHREAD_MUTEX_INITIALIZER, .fail = true};
    struct probe p = {0};
    struct cron_options o = {
        .lock_acquire = fake_acquire, .lock_release = fake_release, .lock_ud = &lock};
    struct cron *c = cron_new(&o);
    struct cron_job j = job_of("single", 1000, &p);
    j.singleton = true;

    assert_int_equal(cron_add(c, &j), ERR_OK);
    enum cron_outcome how = CRON_RAN;
    assert_int_equal(cron_run_now(c, "single", &how), ERR_UNAVAILABLE);
    assert_int_equal(how, CRON_NOT_HERE);
    assert_int_equal(atomic_load(&p.calls), 0);
    assert_int_equal(stats_of(c, "single").skipped_lock, 1);
    lock.fail = false;
    assert_int_equal(cron_run_now(c, "single", &how), ERR_OK);
    assert_int_equal(how, CRON_RAN);
    assert_int_equal(atomic_load(&p.calls), 1);
    cron_free(&c);
}

/* Reads the value of an exact sample line prefix from the metrics text; -1 when absent. */
static long long metric_value(const char *text, const char *prefix)
{
    const char *p = strstr(text, prefix);
    int64_t v;
    if (!p)
        return -1;
    p += strlen(prefix);
    if (!strn_to_i64(p, strcspn(p, "\n"), 0, INT64_MAX, &v))
        return -1;
    return (long long)v;
}

static void test_failing_job_is_counted_and_runner_continues(void **state)
{
    (void)state;
    struct probe bad = {.result = ERR_INTERNAL};
    struct probe good = {0};
    struct cron *c = cron_new(NULL);
    struct cron_job jb = job_of("failing", 10, &bad);
    struct cron_job jg = job_of("healthy", 10, &good);

    metrics_init();
    metrics_reset();
    assert_int_equal(cron_add(c, &jb), ERR_OK);
    assert_int_equal(cron_add(c, &jg), ERR_OK);
    assert_int_equal(cron_start(c), ERR_OK);
    assert_true(wait_for(&bad.calls, 3, 3000));
    assert_true(wait_for(&good.calls, 3, 3000));
    assert_true(cron_stop(c));

    struct cron_stats st = stats_of(c, "failing");
    assert_true(st.runs >= 3);
    assert_int_equal(st.failures, st.runs);
    assert_int_equal(stats_of(c, "healthy").failures, 0);
    enum cron_outcome how = CRON_BUSY;
    assert_int_equal(cron_run_now(c, "failing", &how), ERR_INTERNAL);
    assert_int_equal(how, CRON_RAN); /* a failure, not a skip */

    char *text = metrics_render(NULL);
    assert_int_equal(metric_value(text, "qnlive_cron_failures_total{job=\"failing\"} "),
                     (long long)st.runs + 1);
    assert_int_equal(metric_value(text, "qnlive_cron_runs_total{job=\"failing\"} "),
                     (long long)st.runs + 1);
    assert_int_equal(metric_value(text, "qnlive_cron_failures_total{job=\"healthy\"} "), 0);
    free(text);
    cron_free(&c);
}

static void test_slow_job_does_not_overlap_itself(void **state)
{
    (void)state;
    struct probe p = {.sleep_ms = 80};
    struct cron *c = cron_new(NULL);
    struct cron_job j = job_of("slow", 10, &p);

    assert_int_equal(cron_add(c, &j), ERR_OK);
    assert_int_equal(cron_start(c), ERR_OK);
    assert_true(wait_for(&p.calls, 3, 3000));
    /* run_now while a run may be in progress goes through the same rule */
    assert_true(wait_for(&p.running, 1, 1000));
    enum cron_outcome how = CRON_RAN;
    assert_int_equal(cron_run_now(c, "slow", &how), ERR_UNAVAILABLE);
    assert_int_equal(how, CRON_BUSY);
    assert_true(cron_stop(c));
    assert_int_equal(atomic_load(&p.max_running), 1);
    assert_true(stats_of(c, "slow").skipped_overlap > 0);
    cron_free(&c);
}

static void test_stop_waits_for_running_job(void **state)
{
    (void)state;
    struct probe p = {.sleep_ms = 300};
    struct cron *c = cron_new(NULL);
    struct cron_job j = job_of("long", 10, &p);

    assert_int_equal(cron_add(c, &j), ERR_OK);
    assert_int_equal(cron_start(c), ERR_OK);
    assert_true(wait_for(&p.running, 1, 3000));
    assert_true(cron_stop(c));
    assert_int_equal(atomic_load(&p.running), 0);
    assert_int_equal(atomic_load(&p.finished), atomic_load(&p.calls));
    int calls = atomic_load(&p.calls);
    sleep_ms(50);
    assert_int_equal(atomic_load(&p.calls), calls); /* nothing runs after stop */
    assert_true(cron_stop(c));                      /* idempotent */
    cron_free(&c);
}

static struct cron *abandoned; /* kept reachable: cron_free leaks it on purpose */

static void test_stop_is_bounded(void **state)
{
    (void)state;
    static struct probe p = {.sleep_ms = 600};
    struct cron_options o = {.stop_timeout_ms = 50};
    struct cron *c = cron_new(&o);
    struct cron_job j = job_of("stuck", 10, &p);

    assert_int_equal(cron_add(c, &j), ERR_OK);
    assert_int_equal(cron_start(c), ERR_OK);
    assert_true(wait_for(&p.running, 1, 3000));
    int64_t t0 = mono_now_ms();
    assert_false(cron_stop(c));
    assert_true(mono_now_ms() - t0 < 500);
    abandoned = c;
    cron_free(&c);
    assert_null(c);
    assert_true(wait_for(&p.finished, 1, 3000)); /* let the job end before the process does */
    sleep_ms(20);
}

static atomic_llong fake_wall;

static int64_t fake_wall_ms(void *ud)
{
    (void)ud;
    return atomic_load(&fake_wall);
}

static void test_daily_job_fires_at_its_time(void **state)
{
    (void)state;
    struct probe p = {0};
    struct cron_options o = {.wall_ms = fake_wall_ms};
    struct cron *c = cron_new(&o);
    struct cron_job j = {.name = "report", .daily_at = "02:00:00", .fn = probe_job, .ud = &p};
    struct tm tm;
    time_t now = time(NULL);

    localtime_r(&now, &tm);
    int64_t due_s = cron_next_daily(now, 7200, (int32_t)tm.tm_gmtoff);
    atomic_store(&fake_wall, due_s * 1000 - 300);
    assert_int_equal(cron_add(c, &j), ERR_OK);
    assert_int_equal(cron_start(c), ERR_OK);
    sleep_ms(300);
    assert_int_equal(atomic_load(&p.calls), 0); /* 300 ms before 02:00 on the injected clock */
    atomic_store(&fake_wall, due_s * 1000 + 10);
    assert_true(wait_for(&p.calls, 1, 3000));
    sleep_ms(1200);
    assert_int_equal(atomic_load(&p.calls), 1); /* once, not once per runner wake-up */
    cron_free(&c);
}

static void test_next_daily_pure(void **state)
{
    (void)state;
    const int64_t jan1 = 1704067200; /* 2024-01-01T00:00:00Z */

    /* UTC+8: 08:00 local, so 02:00 local is tomorrow, 18:00 UTC today */
    assert_int_equal(cron_next_daily(jan1, 7200, 28800), jan1 + 18 * 3600);
    /* UTC: 00:00 -> 02:00 the same day; exactly at 02:00 -> the next day */
    assert_int_equal(cron_next_daily(jan1, 7200, 0), jan1 + 7200);
    assert_int_equal(cron_next_daily(jan1 + 7199, 7200, 0), jan1 + 7200);
    assert_int_equal(cron_next_daily(jan1 + 7200, 7200, 0), jan1 + 7200 + 86400);
    /* UTC-5: it is 19:00 of Dec 31 locally, 02:00 local is 07:00 UTC */
    assert_int_equal(cron_next_daily(jan1, 7200, -18000), jan1 + 7 * 3600);
    /* midnight target */
    assert_int_equal(cron_next_daily(jan1, 0, 0), jan1 + 86400);
}

static void test_parse_daily(void **state)
{
    (void)state;
    int32_t s = -1;

    assert_true(cron_parse_daily("02:00:00", &s));
    assert_int_equal(s, 7200);
    assert_true(cron_parse_daily("23:59:59", &s));
    assert_int_equal(s, 86399);
    assert_true(cron_parse_daily("7:05", &s));
    assert_int_equal(s, 7 * 3600 + 300);
    assert_false(cron_parse_daily("24:00:00", &s));
    assert_false(cron_parse_daily("02:60:00", &s));
    assert_false(cron_parse_daily("02:00:00:00", &s));
    assert_false(cron_parse_daily("02", &s));
    assert_false(cron_parse_daily("-1:00", &s));
    assert_false(cron_parse_daily("02::00", &s));
    assert_false(cron_parse_daily("", &s));
}

static void test_add_validation(void **state)
{
    (void)state;
    struct probe p = {0};
    struct cron *c = cron_new(NULL);
    struct cron_job ok = job_of("a", 100, &p);
    struct cron_job no_period = job_of("b", 0, &p);
    struct cron_job bad_daily = {.name = "c", .daily_at = "25:00", .fn = probe_job};
    struct cron_job no_fn = {.name = "d", .period_ms = 10};
    struct cron_job no_name = job_of("", 10, &p);

    assert_int_equal(cron_add(c, &ok), ERR_OK);
    assert_int_equal(cron_add(c, &ok), ERR_EXISTS);
    assert_int_equal(cron_add(c, &no_period), ERR_BAD_REQUEST);
    assert_int_equal(cron_add(c, &bad_daily), ERR_BAD_REQUEST);
    assert_int_equal(cron_add(c, &no_fn), ERR_BAD_REQUEST);
    assert_int_equal(cron_add(c, &no_name), ERR_BAD_REQUEST);
    assert_int_equal(cron_run_now(c, "nope", NULL), ERR_NOT_FOUND);
    assert_int_equal(cron_start(c), ERR_OK);
    assert_int_equal(cron_start(c), ERR_BAD_REQUEST);
    struct cron_job late = job_of("late", 10, &p);
    assert_int_equal(cron_add(c, &late), ERR_BAD_REQUEST);
    cron_free(&c);
    cron_free(&c); /* NULL is accepted */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periodic_job_runs_repeatedly),
        cmocka_unit_test(test_singleton_runs_without_a_lock_on_any_node),
        cmocka_unit_test(test_preferred_node_runs_singletons_and_another_takes_over_at_its_stop),
        cmocka_unit_test(test_another_node_takes_over_when_the_holder_dies),
        cmocka_unit_test(test_holder_renews_its_lease_without_letting_it_go),
        cmocka_unit_test(test_lease_without_renew_is_taken_again),
        cmocka_unit_test(test_each_lock_scope_runs_its_own_singletons),
        cmocka_unit_test(test_singleton_runs_on_designated_node),
        cmocka_unit_test(test_two_nodes_never_run_singleton_concurrently),
        cmocka_unit_test(test_lock_backend_failure_skips_run),
        cmocka_unit_test(test_failing_job_is_counted_and_runner_continues),
        cmocka_unit_test(test_slow_job_does_not_overlap_itself),
        cmocka_unit_test(test_stop_waits_for_running_job),
        cmocka_unit_test(test_stop_is_bounded),
        cmocka_unit_test(test_daily_job_fires_at_its_time),
        cmocka_unit_test(test_next_daily_pure),
        cmocka_unit_test(test_parse_daily),
        cmocka_unit_test(test_add_validation),
    };
    log_set_level(LOG_OFF); /* failing jobs log errors by design */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
