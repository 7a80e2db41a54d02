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

struct handler_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job was queued, or stopping */
    pthread_cond_t tick_cv; /* wakes the watchdog early when stopping */
    struct pool_job *q_head, *q_tail;
    unsigned q_len, q_max;
    struct pool_job *live; /* every queued or running job */
    atomic_int completing; /* `complete` callbacks running outside the lock */
    bool closed;           /* no new jobs */
    bool stopping;         /* workers exit once the queue is empty */
    unsigned n_threads;
    pthread_t *threads;
    pthread_t watchdog;
};

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
    p->q_head = j->_next_q;
    if (!p->q_head)
        p->q_tail = NULL;
    p->q_len--;
    j->_next_q = NULL;
    return j;
}

/* The handler finished: unless the deadline won meanwhile, its result stands. `complete` runs
 * outside the lock (it wakes an event thread, which is slow enough to serialise the pool);
 * handler_pool_close waits for such calls, so none outlives the close. */
static void run_one(struct handler_pool *p, struct pool_job *j)
{
    deadline_set(j->deadline_ms, &j->_cancelled);
    j->run(j);
    deadline_clear();
    pthread_mutex_lock(&p->mu);
    bool in_time = atomic_load(&j->_state) == POOL_JOB_RUNNING;
    if (in_time) {
        live_remove(p, j);
        atomic_store(&j->_state, POOL_JOB_DONE);
        atomic_fetch_add(&p->completing, 1);
    }
    pthread_mutex_unlock(&p->mu);
    if (in_time) {
        j->complete(j);
        atomic_fetch_sub(&p->completing, 1);
    }
}

static void *worker_main(void *arg)
{
    struct handler_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->q_head && !p->stopping)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (!p->q_head)
            break;
        struct pool_job *j = pop_locked(p);
        /* a job that expired while queued is only released: nobody waits for its answer */
        bool runnable = atomic_load(&j->_state) == POOL_JOB_QUEUED;
        if (runnable)
            atomic_store(&j->_state, POOL_JOB_RUNNING);
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

struct handler_pool *handler_pool_new(unsigned threads, unsigned queue_max)
{
    struct handler_pool *p = xcalloc(1, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    cond_init_monotonic(&p->tick_cv);
    p->q_max = queue_max ? queue_max : 1;
    p->n_threads = threads ? threads : 1;
    p->threads = xcalloc(p->n_threads, sizeof(*p->threads));
    for (unsigned i = 0; i < p->n_threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0)
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
    pthread_mutex_lock(&p->mu);
    bool ok = !p->closed && p->q_len < p->q_max;
    if (ok) {
        if (p->q_tail)
            p->q_tail->_next_q = j;
        else
            p->q_head = j;
        p->q_tail = j;
        p->q_len++;
        live_add(p, j);
    }
    pthread_mutex_unlock(&p->mu);
    /* signalled after the unlock: a worker woken under the lock would only block on it */
    if (ok)
        pthread_cond_signal(&p->work_cv);
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
    pthread_mutex_lock(&p->mu);
    p->stopping = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_cond_broadcast(&p->tick_cv);
    pthread_mutex_unlock(&p->mu);
    /* workers drain the queue (expired jobs are only released) and then exit */
    for (unsigned i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_join(p->watchdog, NULL);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->tick_cv);
    pthread_mutex_destroy(&p->mu);
    free(p->threads);
    free(p);
    *pp = NULL;
}
