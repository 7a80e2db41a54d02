/* Group commit of likes: a like is acknowledged only once its cumulative count is in the
 * database, so neither a cache restart nor a node crash loses it. A committer writes whatever
 * is queued as one multi-row upsert; the likes that arrive while it writes go together in the
 * next one, so a statement carries more rows the busier the room, and a quiet like waits for
 * one commit only. Each request waits for the commit that carries its row.
 *
 * A commit's time is mostly the database's log flush, during which a single committer would
 * leave the next rows waiting: a few committers take turns, so a new batch starts while the
 * previous one flushes (the database merges their flushes; SQLite, whose writers take turns,
 * keeps one committer). Rows carry cumulative counts and
 * the upsert keeps the larger one, so two batches may hold the same user's row in any order;
 * each batch is sorted so concurrent ones lock rows in the same order, and a failed batch is
 * written once more before its likes fail. */
#define LOG_MODULE "like"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "biz/like/like.h"
#include "biz/like/like_int.h"
#include "biz/like/like_store.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/noblock.h"
#include "store/store.h"

enum {
    ROWS_MAX = 256, /* rows per statement; more wait for the next commit */
    COMMITTERS = 3,
};

/* One waiting request: its row, and the outcome the committer writes back. A request that
 * waits on a thread sleeps on `cond`; one that waits without a thread is told by `on_done`. */
struct like_waiter {
    struct like_put row;
    struct like_waiter *next;
    pthread_cond_t cond; /* its own: a commit wakes only the requests it carried */
    void (*on_done)(void *ud);
    void *ud;
    bool done;
    err_t err;
};

struct like_commit {
    pthread_mutex_t mu;
    pthread_cond_t work; /* the committer waits for rows */
    struct like_waiter *head, **tail;
    size_t n;
    bool stopping;
    pthread_t threads[COMMITTERS];
    size_t n_threads;
    struct app *app;
};

static int cmp_rows(const void *x, const void *y)
{
    const struct like_put *a = x, *b = y;
    int c = strcmp(a->live_id, b->live_id);
    return c ? c : strcmp(a->user_id, b->user_id);
}

static err_t write_once(struct app *a, struct arena *ar, const struct like_put *rows, size_t n)
{
    struct store_conn *c = NULL;
    err_t err = store_acquire(a->store, false, &c);
    if (!err)
        err = like_store_put_many(c, ar, rows, n, clock_now_s(a->clock));
    store_release(c);
    return err;
}

/* Writes up to ROWS_MAX rows in one statement, sorted; a failure (e.g. a deadlock with another
 * node's batch) is retried once, which is safe as the counts only grow. */
static err_t write_rows(struct app *a, struct like_waiter *w, size_t n)
{
    struct arena *ar = arena_new();
    struct like_put *rows = arena_alloc(ar, n * sizeof(*rows));
    for (size_t i = 0; i < n; i++, w = w->next)
        rows[i] = w->row;
    qsort(rows, n, sizeof(*rows), cmp_rows);
    err_t err = write_once(a, ar, rows, n);
    if (err && err != ERR_UNAVAILABLE)
        err = write_once(a, ar, rows, n);
    arena_free(&ar);
    return err;
}

/* Takes up to ROWS_MAX waiters off a non-empty queue (called locked). */
static struct like_waiter *take(struct like_commit *lc, size_t *n)
{
    struct like_waiter *first = lc->head, *last = first;
    *n = 1;
    while (last->next && *n < ROWS_MAX) {
        last = last->next;
        ++*n;
    }
    lc->head = last->next;
    last->next = NULL;
    if (!lc->head)
        lc->tail = &lc->head;
    lc->n -= *n;
    return first;
}

#ifdef QNLIVE_TEST_CLOCK
static atomic_long test_delay_ms;

void like_commit_test_delay(int64_t ms)
{
    atomic_store(&test_delay_ms, (long)ms);
}

static void test_commit_delay(void)
{
    long ms = atomic_load(&test_delay_ms);
    if (ms > 0)
        nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000L}, NULL);
}
#else
static void test_commit_delay(void)
{
}
#endif

static void *committer(void *arg)
{
    struct like_commit *lc = arg;
    pthread_mutex_lock(&lc->mu);
    for (;;) {
        while (!lc->head && !lc->stopping)
            pthread_cond_wait(&lc->work, &lc->mu);
        if (!lc->head && lc->stopping)
            break;
        size_t n;
        struct like_waiter *batch = take(lc, &n);
        pthread_mutex_unlock(&lc->mu);
        test_commit_delay();
        err_t err = write_rows(lc->app, batch, n);
        /* the callbacks run outside the lock: a failed like takes its counters back in the
         * cache, and the next commits must not wait for that */
        struct like_waiter *told = NULL;
        pthread_mutex_lock(&lc->mu);
        for (struct like_waiter *w = batch, *next; w; w = next) {
            next = w->next; /* w belongs to its request once done is set */
            w->err = err;
            if (w->on_done) {
                w->next = told;
                told = w;
                continue;
            }
            w->done = true;
            pthread_cond_signal(&w->cond);
        }
        pthread_mutex_unlock(&lc->mu);
        for (struct like_waiter *w = told, *next; w; w = next) {
            next = w->next; /* on_done may end the request that owns w */
            w->on_done(w->ud);
        }
        pthread_mutex_lock(&lc->mu);
    }
    pthread_mutex_unlock(&lc->mu);
    return NULL;
}

err_t like_commit_wait(struct like_mod *m, const char *live_id, const char *user_id, int64_t count)
{
    struct like_commit *lc = m->commit;
    struct like_waiter w = {.row = {.live_id = live_id, .user_id = user_id, .count = count}};
    /* the commit is another thread's store write: not something to wait for in place */
    err_t err = noblock_check();
    if (err)
        return err;
    pthread_mutex_lock(&lc->mu);
    if (lc->stopping) {
        pthread_mutex_unlock(&lc->mu);
        return ERR_UNAVAILABLE;
    }
    pthread_cond_init(&w.cond, NULL);
    *lc->tail = &w;
    lc->tail = &w.next;
    lc->n++;
    pthread_cond_signal(&lc->work);
    /* the store's own timeouts bound each commit, so this wait ends */
    while (!w.done)
        pthread_cond_wait(&w.cond, &lc->mu);
    pthread_mutex_unlock(&lc->mu);
    pthread_cond_destroy(&w.cond);
    if (w.err)
        log_warn("like of live_id=%s not stored: %s", live_id, err_name(w.err));
    return w.err;
}

err_t like_commit_submit(struct like_mod *m, struct arena *ar, const char *live_id,
                         const char *user_id, int64_t count, void (*on_done)(void *ud), void *ud,
                         struct like_waiter **out)
{
    struct like_commit *lc = m->commit;
    struct like_waiter *w = arena_zalloc(ar, sizeof(*w));
    w->row = (struct like_put){.live_id = live_id, .user_id = user_id, .count = count};
    w->on_done = on_done;
    w->ud = ud;
    *out = w; /* before a committer can see it: on_done may read it */
    pthread_mutex_lock(&lc->mu);
    if (lc->stopping) {
        pthread_mutex_unlock(&lc->mu);
        *out = NULL;
        return ERR_UNAVAILABLE;
    }
    *lc->tail = w;
    lc->tail = &w->next;
    lc->n++;
    pthread_cond_signal(&lc->work);
    pthread_mutex_unlock(&lc->mu);
    return ERR_OK;
}

err_t like_commit_result(const struct like_waiter *w)
{
    if (w->err)
        log_warn("like of live_id=%s not stored: %s", w->row.live_id, err_name(w->err));
    return w->err;
}

static void like_mod_free(void *self)
{
    struct like_mod *m = self;
    struct like_commit *lc = m->commit;
    pthread_mutex_lock(&lc->mu);
    lc->stopping = true;
    pthread_cond_broadcast(&lc->work);
    pthread_mutex_unlock(&lc->mu);
    for (size_t i = 0; i < lc->n_threads; i++)
        pthread_join(lc->threads[i], NULL);
    pthread_mutex_destroy(&lc->mu);
    pthread_cond_destroy(&lc->work);
    free(lc);
    free(m);
}

struct like_mod *like_mod_new(struct app *a)
{
    struct like_mod *m = xcalloc(1, sizeof(*m));
    struct like_commit *lc = xcalloc(1, sizeof(*lc));
    pthread_mutex_init(&lc->mu, NULL);
    pthread_cond_init(&lc->work, NULL);
    lc->tail = &lc->head;
    lc->app = a;
    lc->n_threads = store_parallel_writes(a->store) ? COMMITTERS : 1;
    for (size_t i = 0; i < lc->n_threads; i++) {
        if (pthread_create(&lc->threads[i], NULL, committer, lc) != 0) {
            log_error("cannot start the like committers");
            abort(); /* no thread at start-up: nothing sensible to serve likes with */
        }
    }
    m->app = a;
    m->commit = lc;
    atomic_init(&m->seed_owner_seq, 0);
    app_on_close(a, like_mod_free, m);
    return m;
}
