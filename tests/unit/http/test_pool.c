#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "core/deadline.h"
#include "core/mem.h"
#include "http/pool.h"

/* A job that records what the pool did with it. */
struct probe {
    struct pool_job job;
    int run_ms;                /* how long run() takes */
    atomic_int started;        /* run() began: a worker has taken the job */
    atomic_int ran;            /* run() finished */
    atomic_int completed;      /* complete() calls */
    atomic_int state_seen;     /* state when complete() ran */
    atomic_int released;       /* release() calls */
    atomic_int saw_cancel;     /* run() observed deadline_cancelled() */
    atomic_int ran_after_done; /* run() finished after complete() said EXPIRED */
};

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void probe_run(struct pool_job *j)
{
    struct probe *p = container_of(j, struct probe, job);
    atomic_store(&p->started, 1);
    for (int waited = 0; waited < p->run_ms; waited += 10)
        sleep_ms(10);
    if (deadline_cancelled())
        atomic_store(&p->saw_cancel, 1);
    if (atomic_load(&p->completed))
        atomic_store(&p->ran_after_done, 1);
    atomic_store(&p->ran, 1);
}

static void probe_complete(struct pool_job *j)
{
    struct probe *p = container_of(j, struct probe, job);
    atomic_store(&p->state_seen, pool_job_state(j));
    atomic_fetch_add(&p->completed, 1);
}

static void probe_release(struct pool_job *j)
{
    struct probe *p = container_of(j, struct probe, job);
    atomic_fetch_add(&p->released, 1);
}

static void probe_init(struct probe *p, int run_ms, int64_t budget_ms)
{
    *p = (struct probe){.run_ms = run_ms};
    p->job.deadline_ms = deadline_now_ms() + budget_ms;
    p->job.run = probe_run;
    p->job.complete = probe_complete;
    p->job.release = probe_release;
}

/* Waits (up to 30 s, however slow the machine is) until *v reaches n; its value then. */
static int wait_for(atomic_int *v, int n)
{
    for (int i = 0; i < 3000 && atomic_load(v) < n; i++)
        sleep_ms(10);
    return atomic_load(v);
}

/* Until a worker has taken the job. */
static void wait_started(struct probe *p)
{
    assert_int_equal(wait_for(&p->started, 1), 1);
}

static void wait_released(struct probe *p)
{
    (void)wait_for(&p->released, 1);
}

static void test_job_in_time_is_done(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(2, 2, 8);
    struct probe p;
    probe_init(&p, 0, 60000);
    assert_true(handler_pool_submit(pool, &p.job));
    wait_released(&p);
    assert_int_equal(atomic_load(&p.completed), 1);
    assert_int_equal(atomic_load(&p.state_seen), POOL_JOB_DONE);
    assert_int_equal(atomic_load(&p.released), 1);
    handler_pool_free(&pool);
    assert_null(pool);
}

static void test_late_job_expires_and_is_released_after_it_returns(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(1, 1, 8);
    struct probe p;
    probe_init(&p, 400, 50);
    assert_true(handler_pool_submit(pool, &p.job));
    wait_released(&p);
    /* the deadline won: complete() ran once with EXPIRED, while run() was still going */
    assert_int_equal(atomic_load(&p.completed), 1);
    assert_int_equal(atomic_load(&p.state_seen), POOL_JOB_EXPIRED);
    assert_int_equal(atomic_load(&p.ran_after_done), 1);
    assert_int_equal(atomic_load(&p.saw_cancel), 1);
    assert_int_equal(atomic_load(&p.ran), 1);
    assert_int_equal(atomic_load(&p.released), 1);
    handler_pool_free(&pool);
}

static void test_full_queue_refuses(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(1, 1, 1);
    struct probe busy, queued, refused;
    probe_init(&busy, 300, 60000);
    probe_init(&queued, 0, 60000);
    probe_init(&refused, 0, 60000);
    assert_true(handler_pool_submit(pool, &busy.job));
    wait_started(&busy);
    assert_true(handler_pool_submit(pool, &queued.job));
    assert_false(handler_pool_submit(pool, &refused.job));
    wait_released(&queued);
    assert_int_equal(atomic_load(&queued.state_seen), POOL_JOB_DONE);
    assert_int_equal(atomic_load(&refused.completed), 0);
    assert_int_equal(atomic_load(&refused.released), 0);
    handler_pool_free(&pool);
}

static void test_close_expires_everything_left(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(1, 1, 8);
    struct probe running, waiting;
    probe_init(&running, 300, 60000);
    probe_init(&waiting, 0, 60000);
    assert_true(handler_pool_submit(pool, &running.job));
    wait_started(&running);
    assert_true(handler_pool_submit(pool, &waiting.job));
    handler_pool_close(pool);
    assert_int_equal(atomic_load(&running.state_seen), POOL_JOB_EXPIRED);
    assert_int_equal(atomic_load(&waiting.state_seen), POOL_JOB_EXPIRED);
    struct probe late;
    probe_init(&late, 0, 60000);
    assert_false(handler_pool_submit(pool, &late.job));
    handler_pool_free(&pool);
    /* the queued job never ran; both were released exactly once */
    assert_int_equal(atomic_load(&waiting.ran), 0);
    assert_int_equal(atomic_load(&running.released), 1);
    assert_int_equal(atomic_load(&waiting.released), 1);
    assert_int_equal(atomic_load(&running.completed), 1);
}

/* With one worker meant to be awake, a job queued behind one that blocks still runs soon: the
 * queue's age wakes a second worker (the blocked one is waiting on a dependency). */
static void test_job_behind_a_blocked_worker_wakes_another(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(2, 1, 8);
    struct probe blocked, quick;
    probe_init(&blocked, 3000, 60000);
    probe_init(&quick, 0, 60000);
    assert_true(handler_pool_submit(pool, &blocked.job));
    wait_started(&blocked);
    assert_true(handler_pool_submit(pool, &quick.job));
    wait_released(&quick);
    assert_int_equal(atomic_load(&quick.state_seen), POOL_JOB_DONE);
    assert_int_equal(atomic_load(&blocked.ran), 0);
    handler_pool_free(&pool);
    assert_int_equal(atomic_load(&blocked.released), 1);
}

/* Many jobs on many workers of which few are meant to be awake: every one is served. */
static void test_burst_is_served_by_few_awake_workers(void **state)
{
    (void)state;
    enum { N = 200 };
    struct handler_pool *pool = handler_pool_new(16, 2, N);
    struct probe *jobs = xcalloc(N, sizeof(*jobs));
    for (int i = 0; i < N; i++) {
        probe_init(&jobs[i], i % 10 == 0 ? 20 : 0, 60000);
        assert_true(handler_pool_submit(pool, &jobs[i].job));
    }
    for (int i = 0; i < N; i++) {
        wait_released(&jobs[i]);
        assert_int_equal(atomic_load(&jobs[i].state_seen), POOL_JOB_DONE);
    }
    handler_pool_free(&pool);
    free(jobs);
}

/* A job whose run defers it; `resume_in_run` finishes it from that run already (as a commit
 * that called back before its handler returned). */
struct deferring {
    struct probe p;
    struct handler_pool *pool;
    bool resume_in_run;
    atomic_int runs;
    atomic_int finish_ok;
};

static void deferring_run(struct pool_job *j)
{
    struct deferring *d = container_of(j, struct deferring, p.job);
    atomic_fetch_add(&d->runs, 1);
    if (d->resume_in_run)
        atomic_store(&d->finish_ok, pool_job_finish(d->pool, j));
    pool_job_defer(d->pool, j);
}

static void deferring_init(struct deferring *d, struct handler_pool *pool, int64_t budget_ms)
{
    *d = (struct deferring){.pool = pool};
    probe_init(&d->p, 0, budget_ms);
    d->p.job.run = deferring_run;
}

static void wait_runs(struct deferring *d, int n)
{
    assert_int_equal(wait_for(&d->runs, n), n);
}

static void wait_completed(struct probe *p)
{
    (void)wait_for(&p->completed, 1);
}

/* A deferred job holds no worker: with a single worker, the next job runs while the deferred
 * one waits; its finish makes it done without running again, released once. */
static void test_deferred_job_holds_no_worker(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(1, 1, 8);
    struct deferring d;
    struct probe next;
    deferring_init(&d, pool, 60000);
    probe_init(&next, 0, 60000);
    assert_true(handler_pool_submit(pool, &d.p.job));
    wait_runs(&d, 1);
    assert_true(handler_pool_submit(pool, &next.job));
    wait_released(&next);
    assert_int_equal(atomic_load(&next.completed), 1);
    assert_int_equal(atomic_load(&d.p.completed), 0);
    assert_true(pool_job_finish(pool, &d.p.job));
    wait_completed(&d.p);
    handler_pool_free(&pool);
    assert_int_equal(atomic_load(&d.runs), 1);
    assert_int_equal(atomic_load(&d.p.completed), 1);
    assert_int_equal(atomic_load(&d.p.state_seen), POOL_JOB_DONE);
    assert_int_equal(atomic_load(&d.p.released), 1);
}

/* A finish that comes before the deferring run returned completes the job once it returns. */
static void test_finish_during_the_run_waits_for_it(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(2, 2, 8);
    struct deferring d;
    deferring_init(&d, pool, 60000);
    d.resume_in_run = true;
    assert_true(handler_pool_submit(pool, &d.p.job));
    wait_completed(&d.p);
    handler_pool_free(&pool);
    assert_int_equal(atomic_load(&d.finish_ok), 1);
    assert_int_equal(atomic_load(&d.runs), 1);
    assert_int_equal(atomic_load(&d.p.completed), 1);
    assert_int_equal(atomic_load(&d.p.state_seen), POOL_JOB_DONE);
    assert_int_equal(atomic_load(&d.p.released), 1);
}

/* The deadline answers a deferred job that nobody finishes in time; the late finish is
 * refused. */
static void test_deferred_job_expires_at_its_deadline(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(1, 1, 8);
    struct deferring d;
    deferring_init(&d, pool, 100);
    assert_true(handler_pool_submit(pool, &d.p.job));
    wait_completed(&d.p);
    assert_int_equal(atomic_load(&d.p.state_seen), POOL_JOB_EXPIRED);
    assert_false(pool_job_finish(pool, &d.p.job));
    handler_pool_free(&pool);
    assert_int_equal(atomic_load(&d.runs), 1);
    assert_int_equal(atomic_load(&d.p.completed), 1);
    assert_int_equal(atomic_load(&d.p.released), 1);
}

/* A job adopted from outside the pool is never run nor released: its finish completes it, or
 * its deadline does. */
static void test_adopted_job_waits_for_its_finish_or_deadline(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(1, 1, 8);
    struct probe done, late;
    probe_init(&done, 0, 60000);
    probe_init(&late, 0, 100);
    assert_true(handler_pool_adopt(pool, &done.job));
    assert_true(handler_pool_adopt(pool, &late.job));
    assert_int_equal(atomic_load(&done.completed), 0);
    assert_true(pool_job_finish(pool, &done.job));
    assert_int_equal(atomic_load(&done.state_seen), POOL_JOB_DONE);
    wait_completed(&late);
    assert_int_equal(atomic_load(&late.state_seen), POOL_JOB_EXPIRED);
    assert_false(pool_job_finish(pool, &late.job));
    handler_pool_free(&pool);
    assert_int_equal(atomic_load(&done.completed) + atomic_load(&late.completed), 2);
    assert_int_equal(atomic_load(&done.started) + atomic_load(&late.started), 0);
    assert_int_equal(atomic_load(&done.released) + atomic_load(&late.released), 0);
}

/* A closed pool refuses an adoption: the job is expired without `complete`, and its finish
 * is refused (and counted off, so the pool can be freed). */
static void test_closed_pool_refuses_adoption(void **state)
{
    (void)state;
    struct handler_pool *pool = handler_pool_new(1, 1, 8);
    struct probe p;
    probe_init(&p, 0, 60000);
    handler_pool_close(pool);
    assert_false(handler_pool_adopt(pool, &p.job));
    assert_int_equal(pool_job_state(&p.job), POOL_JOB_EXPIRED);
    assert_false(pool_job_finish(pool, &p.job));
    handler_pool_free(&pool);
    assert_int_equal(atomic_load(&p.completed), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job_in_time_is_done),
        cmocka_unit_test(test_late_job_expires_and_is_released_after_it_returns),
        cmocka_unit_test(test_full_queue_refuses),
        cmocka_unit_test(test_close_expires_everything_left),
        cmocka_unit_test(test_job_behind_a_blocked_worker_wakes_another),
        cmocka_unit_test(test_burst_is_served_by_few_awake_workers),
        cmocka_unit_test(test_deferred_job_holds_no_worker),
        cmocka_unit_test(test_finish_during_the_run_waits_for_it),
        cmocka_unit_test(test_deferred_job_expires_at_its_deadline),
        cmocka_unit_test(test_adopted_job_waits_for_its_finish_or_deadline),
        cmocka_unit_test(test_closed_pool_refuses_adoption),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
