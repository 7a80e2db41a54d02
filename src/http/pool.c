#define LOG_MODULE "http"
#include "http/pool.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "core/clock.h"
#include "core/deadline.h"
#include "core/log.h"
#include "core/mem.h"

/* How often the watchdog looks for jobs past their deadline (the lateness of a 503), and every
 * how many ticks it asks whether their clients are still there. */
enum { WATCHDOG_TICK_MS = 10, ABANDON_CHECK_TICKS = 10 };

/* No job taken from the queue for this long while jobs wait means the awake workers are blocked
 * on a dependency (workers busy on the CPU take a job every few tens of µs): another one is
 * woken. */
enum { STALLED_QUEUE_US = 250 };

/* One handler thread. An idle worker sleeps on its own condition variable until a submitter
 * picks it from the idle stack, so that exactly the chosen worker wakes. */
struct worker {
    struct handler_pool *pool;
    pthread_t thread;
    pthread_cond_t cv;
    bool woken; /* set by whoever pops it from the idle stack */
    struct worker *next_idle;
};

struct handler_pool {
    pthread_mutex_t mu;
    pthread_cond_t tick_cv; /* wakes the watchdog early when stopping */
    /* Wake policy. Every wake-up is a context switch, and on a small machine those cost more
     * than the handlers: a job wakes a sleeping worker only while fewer than `awake_target`
     * workers are awake (about one per core), or when no worker has taken a job for
     * STALLED_QUEUE_US (the awake ones are blocked on a dependency). The most recently idle
     * worker is woken first: its stack and caches are still warm. */
    struct worker *idle; /* stack of sleeping workers */
    unsigned n_awake;    /* workers not on the idle stack */
    unsigned awake_target;
    int64_t last_pop_us; /* when a worker last took a job */
    struct pool_job *q_head, *q_tail;
    unsigned q_len, q_max;
    struct pool_job *live; /* every queued or running job */
    int deferred;          /* deferrals and adoptions not finished yet */
    atomic_int completing; /* `complete` callbacks running outside the lock */
    bool closed;           /* no new jobs */
    bool stopping;         /* workers exit once the queue is empty */
    unsigned n_threads;
    struct worker *workers;
    pthread_t watchdog;
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Under p->mu: wakes the most recently idle worker, if any. */
static void wake_one_locked(struct handler_pool *p)
{
    struct worker *w = p->idle;
    if (!w)
        return;
    p->idle = w->next_idle;
    w->next_idle = NULL;
    w->woken = true;
    p->n_awake++;
    pthread_cond_signal(&w->cv);
}

/* Under p->mu: whether the queue needs one more awake worker than it has. */
static bool needs_worker_locked(const struct handler_pool *p, int64_t now)
{
    if (!p->q_head || !p->idle)
        return false;
    return p->n_awake < p->awake_target || now - p->last_pop_us >= STALLED_QUEUE_US;
}

/* Under p->mu: the worker has nothing to do; it sleeps until picked (or the pool stops). */
static void sleep_idle_locked(struct handler_pool *p, struct worker *w)
{
    w->woken = false;
    w->next_idle = p->idle;
    p->idle = w;
    p->n_awake--;
    while (!w->woken && !p->stopping)
        pthread_cond_wait(&w->cv, &p->mu);
}

static void live_add(struct handler_pool *p, struct pool_job *j)
{
    j->_prev_live = NULL;
    j->_next_live = p->live;
    if (p->live)
        p->live->_prev_live = j;
    p->live = j;
}

static void live_remove(struct handler_pool *p, struct pool_job *j)
{
    if (j->_prev_live)
        j->_prev_live->_next_live = j->_next_live;
    else
        p->live = j->_next_live;
    if (j->_next_live)
        j->_next_live->_prev_live = j->_prev_live;
    j->_prev_live = j->_next_live = NULL;
}

/* Under p->mu: the deadline won. `complete` runs under the lock so that nobody can tear the
 * owner down between the state change and the notification. */
static void expire_locked(struct handler_pool *p, struct pool_job *j)
{
    live_remove(p, j);
    atomic_store(&j->_cancelled, 1);
    atomic_store(&j->_state, POOL_JOB_EXPIRED);
    j->complete(j);
}

static struct pool_job *pop_locked(struct handler_pool *p)
{
    struct pool_job *j = p->q_head;
    p->last_pop_us = now_us();
    p->q_head = j->_next_q;
    if (!p->q_head)
        p->q_tail = NULL;
    p->q_len--;
    j->_next_q = NULL;
    return j;
}

/* Under p->mu: appends j to the queue and wakes a worker if the queue needs one. */
static void enqueue_locked(struct handler_pool *p, struct pool_job *j, int64_t now)
{
    atomic_store(&j->_state, POOL_JOB_QUEUED);
    j->_next_q = NULL;
    if (p->q_tail)
        p->q_tail->_next_q = j;
    else
        p->q_head = j;
    p->q_tail = j;
    p->q_len++;
    if (needs_worker_locked(p, now))
        wake_one_locked(p);
}

/* Under p->mu: the job is done; its `complete` is the caller's to run, outside the lock. */
static void done_locked(struct handler_pool *p, struct pool_job *j)
{
    live_remove(p, j);
    atomic_store(&j->_state, POOL_JOB_DONE);
    atomic_fetch_add(&p->completing, 1);
}

/* Under p->mu, once `run` returned in time: true when the job is done, false when it still
 * waits for pool_job_finish. */
static bool after_run_locked(struct handler_pool *p, struct pool_job *j)
{
    if (j->_deferred && !j->_finish)
        return false;
    j->_finish = j->_deferred = false;
    done_locked(p, j);
    return true;
}

static void complete_unlocked(struct handler_pool *p, struct pool_job *j)
{
    j->complete(j);
    atomic_fetch_sub(&p->completing, 1);
}

/* The handler returned: unless the deadline won meanwhile, or the handler deferred the job,
 * its result stands. `complete` runs outside the lock (it wakes an event thread, which is slow
 * enough to serialise the pool); handler_pool_close waits for such calls, so none outlives the
 * close. */
static void run_one(struct handler_pool *p, struct pool_job *j)
{
    deadline_set(j->deadline_ms, &j->_cancelled);
    j->run(j);
    deadline_clear();
    pthread_mutex_lock(&p->mu);
    j->_in_run = false;
    bool done = atomic_load(&j->_state) == POOL_JOB_RUNNING && after_run_locked(p, j);
    pthread_mutex_unlock(&p->mu);
    if (done)
        complete_unlocked(p, j);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct handler_pool *p = w->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->q_head && !p->stopping)
            sleep_idle_locked(p, w);
        if (!p->q_head)
            break;
        struct pool_job *j = pop_locked(p);
        /* a job that expired while queued is only released: nobody waits for its answer */
        bool runnable = atomic_load(&j->_state) == POOL_JOB_QUEUED;
        if (runnable)
            atomic_store(&j->_state, POOL_JOB_RUNNING);
        j->_in_run = runnable;
        pthread_mutex_unlock(&p->mu);
        if (runnable)
            run_one(p, j);
        j->release(j);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void expire_due_locked(struct handler_pool *p, int64_t now, bool check_clients)
{
    struct pool_job *j = p->live;
    while (j) {
        struct pool_job *next = j->_next_live;
        if (j->deadline_ms <= now || (check_clients && j->abandoned && j->abandoned(j)))
            expire_locked(p, j);
        j = next;
    }
}

static void *watchdog_main(void *arg)
{
    struct handler_pool *p = arg;
    unsigned tick = 0;
    pthread_mutex_lock(&p->mu);
    while (!p->stopping) {
        struct timespec until = clock_mono_after_ms(WATCHDOG_TICK_MS);
        pthread_cond_timedwait(&p->tick_cv, &p->mu, &until);
        expire_due_locked(p, deadline_now_ms(), ++tick % ABANDON_CHECK_TICKS == 0);
        /* a queue that nobody took up because the awake workers are blocked */
        int64_t now = now_us();
        for (unsigned n = p->q_len; n > 0 && needs_worker_locked(p, now); n--)
            wake_one_locked(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void cond_init_monotonic(pthread_cond_t *cv)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}

struct handler_pool *handler_pool_new(unsigned threads, unsigned awake_target, unsigned queue_max)
{
    struct handler_pool *p = xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    cond_init_monotonic(&p->tick_cv);
    p->q_max = queue_max ? queue_max : 1;
    p->n_threads = threads ? threads : 1;
    p->awake_target = awake_target ? awake_target : 1;
    /* every worker starts awake and goes idle once it finds the queue empty */
    p->n_awake = p->n_threads;
    p->workers = xcalloc(p->n_threads, sizeof(*p->workers));
    for (unsigned i = 0; i < p->n_threads; i++) {
        struct worker *w = &p->workers[i];
        w->pool = p;
        pthread_cond_init(&w->cv, NULL);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            abort(); /* no threads at start-up: nothing sensible to serve with */
    }
    if (pthread_create(&p->watchdog, NULL, watchdog_main, p) != 0)
        abort();
    return p;
}

bool handler_pool_submit(struct handler_pool *p, struct pool_job *j)
{
    atomic_store(&j->_state, POOL_JOB_QUEUED);
    atomic_store(&j->_cancelled, 0);
    j->_next_q = NULL;
    j->_in_run = j->_deferred = j->_finish = false;
    int64_t now = now_us();
    pthread_mutex_lock(&p->mu);
    bool ok = !p->closed && p->q_len < p->q_max;
    if (ok) {
        live_add(p, j);
        enqueue_locked(p, j, now);
    }
    pthread_mutex_unlock(&p->mu);
    return ok;
}

void pool_job_defer(struct handler_pool *p, struct pool_job *j)
{
    pthread_mutex_lock(&p->mu);
    j->_deferred = true;
    p->deferred++;
    pthread_mutex_unlock(&p->mu);
}

bool handler_pool_adopt(struct handler_pool *p, struct pool_job *j)
{
    atomic_store(&j->_cancelled, 0);
    j->_next_q = NULL;
    j->_in_run = j->_finish = false;
    j->_deferred = true;
    pthread_mutex_lock(&p->mu);
    p->deferred++; /* even when refused: its finish still comes and is counted off */
    bool ok = !p->closed;
    atomic_store(&j->_state, ok ? POOL_JOB_RUNNING : POOL_JOB_EXPIRED);
    if (ok)
        live_add(p, j);
    pthread_mutex_unlock(&p->mu);
    return ok;
}

bool pool_job_finish(struct handler_pool *p, struct pool_job *j)
{
    pthread_mutex_lock(&p->mu);
    p->deferred--;
    bool ok = atomic_load(&j->_state) == POOL_JOB_RUNNING;
    bool done = ok && !j->_in_run;
    if (ok && j->_in_run)
        j->_finish = true; /* its `run` completes it on return */
    if (done) {
        j->_deferred = false;
        done_locked(p, j);
    }
    pthread_mutex_unlock(&p->mu);
    if (done)
        complete_unlocked(p, j);
    return ok;
}

enum pool_job_state pool_job_state(const struct pool_job *j)
{
    return (enum pool_job_state)atomic_load(&j->_state);
}

void handler_pool_close(struct handler_pool *p)
{
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    while (p->live)
        expire_locked(p, p->live);
    pthread_mutex_unlock(&p->mu);
    while (atomic_load(&p->completing) > 0) {
        struct timespec pause = {0, 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

void handler_pool_free(struct handler_pool **pp)
{
    if (!pp || !*pp)
        return;
    struct handler_pool *p = *pp;
    handler_pool_close(p);
    /* a deferred job's finish still comes here: it is refused, but must find the pool */
    pthread_mutex_lock(&p->mu);
    while (p->deferred > 0) {
        pthread_mutex_unlock(&p->mu);
        nanosleep(&(struct timespec){.tv_nsec = 1000 * 1000}, NULL);
        pthread_mutex_lock(&p->mu);
    }
    p->stopping = true;
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_cond_signal(&p->workers[i].cv);
    pthread_cond_broadcast(&p->tick_cv);
    pthread_mutex_unlock(&p->mu);
    /* workers drain the queue (expired jobs are only released) and then exit */
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->workers[i].thread, NULL);
    pthread_join(p->watchdog, NULL);
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_cond_destroy(&p->workers[i].cv);
    pthread_cond_destroy(&p->tick_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->workers);
    free(p);
    *pp = NULL;
}
