#ifndef QNLIVE_HTTP_POOL_H
#define QNLIVE_HTTP_POOL_H

/* The handler pool: a fixed set of threads that run the handlers which wait on a dependency,
 * so that the event threads never do. Jobs wait in a bounded queue; a full queue refuses new
 * jobs at once. Every job carries a deadline: a watchdog expires jobs that are still queued or
 * running when it passes, and the job's owner answers for them. Exactly one of "the handler
 * finished" and "the deadline passed" wins; `complete` runs once, for the winner.
 *
 * A job may also wait without a worker: `run` defers it (pool_job_defer), or a thread outside
 * the pool hands over one that already waits (handler_pool_adopt); another thread later ends
 * the wait with pool_job_finish, and the job is done without running again. Meanwhile the
 * watchdog still expires it at its deadline.
 *
 * Ownership: the submitter keeps the job alive until `release` is called; the pool calls
 * `release` once per accepted submission or resubmission, after its last use of it (a late
 * handler's job is released only when the handler returns). */

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum pool_job_state {
    POOL_JOB_QUEUED = 0,
    POOL_JOB_RUNNING,
    POOL_JOB_DONE,    /* the handler finished in time: its result stands */
    POOL_JOB_EXPIRED, /* the deadline passed first: the handler's result is discarded */
};

struct pool_job {
    int64_t deadline_ms;                  /* monotonic, see core/deadline.h */
    void (*run)(struct pool_job *j);      /* on a pool thread, under the job's deadline */
    void (*complete)(struct pool_job *j); /* once, when the state becomes DONE or EXPIRED */
    void (*release)(struct pool_job *j);  /* once, when the pool is done with the job */
    /* optional: true once nobody waits for the answer (the client hung up); such a job
     * expires at once, so the waits inside its handler give up */
    bool (*abandoned)(struct pool_job *j);
    /* pool-private */
    bool _in_run;   /* `run` has not returned yet */
    bool _deferred; /* waits for pool_job_finish */
    bool _finish;   /* finished while `run` still ran: done when it returns */
    _Atomic int _state;
    atomic_int _cancelled; /* non-zero once expired: long waits inside the handler give up */
    struct pool_job *_next_q;
    struct pool_job *_prev_live, *_next_live;
};

struct handler_pool;

/* Starts `threads` workers with room for `queue_max` waiting jobs. A queued job wakes a sleeping
 * worker while fewer than `awake_target` (about one per core) are awake, or when the awake ones
 * have taken no job for a moment: they are then blocked on a dependency. */
struct handler_pool *handler_pool_new(unsigned threads, unsigned awake_target, unsigned queue_max);

/* Queues j (QUEUED). False when the queue is full or the pool is closed: j is untouched and
 * none of its callbacks will run. */
bool handler_pool_submit(struct handler_pool *p, struct pool_job *j);

/* Called by `run` on its worker: the job is not done when `run` returns. It keeps its deadline
 * but no worker until pool_job_finish() ends it. */
void pool_job_defer(struct handler_pool *p, struct pool_job *j);

/* Takes over a job that waits already, from a thread outside the pool (an event thread whose
 * handler went on waiting for a callback): the job gets its deadline and waits for
 * pool_job_finish, like a deferred one. The pool never runs nor releases it. False when the
 * pool is closed: the job is then EXPIRED at once and `complete` is not called; the finish that
 * still comes is refused. */
bool handler_pool_adopt(struct handler_pool *p, struct pool_job *j);

/* Ends the wait of a deferred or adopted job, from any thread (even before the `run` that
 * deferred it returned): it is done (`complete` runs, once that `run` has returned). False:
 * its deadline won or the pool closed meanwhile. Every deferral and adoption must be followed by
 * exactly one finish: handler_pool_free waits for them. */
bool pool_job_finish(struct handler_pool *p, struct pool_job *j);

/* The job's state (DONE or EXPIRED once `complete` has run). */
enum pool_job_state pool_job_state(const struct pool_job *j);

/* Refuses new jobs from now on and expires every queued or running one (graceful stop, after
 * the drain timeout): afterwards no `complete` callback runs any more. */
void handler_pool_close(struct handler_pool *p);

/* Stops the workers after their current job and frees the pool; queued jobs are expired and
 * released. Accepts NULL; NULLs the pointer. */
void handler_pool_free(struct handler_pool **pp);

#endif
