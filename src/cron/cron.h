#ifndef QNLIVE_CRON_CRON_H
#define QNLIVE_CRON_CRON_H

/* The cron runner: an explicit job table. One runner thread sleeps until the
 * next job is due and hands it to that job's own worker thread, so a slow job delays no other.
 * A job never overlaps itself: a tick that finds it still running is skipped and counted.
 * Singleton jobs: without a lock provider (no shared cache, hence one node) they simply run.
 * With one, they run on the node holding the singleton lease "qnlive:cron:leader:<scope>" (any
 * node may hold it; cron.single_task_node only gets the first pick, and a lease whose holder
 * died lapses within a few seconds so another node takes over), and each run also holds the
 * distributed lock "qnlive:cron:<name>", so two nodes never run one at the same time. Failures are
 * logged (log_error with the job name and err_name) and counted, never fatal. Every run sets the
 * thread's log request id to the job name and records metrics_observe_cron(). Jobs must be
 * idempotent. */

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

/* One job. cron_add copies the struct and the name, so it may live on the caller's stack. */
struct cron_job {
    const char *name;     /* unique; lock key suffix, log request id and metrics label */
    int64_t period_ms;    /* run every period_ms (first run one period after start)... */
    const char *daily_at; /* ...or, when non-NULL, daily at "HH:MM:SS" process local time */
    err_t (*fn)(void *ud);
    void *ud;
    bool singleton;     /* one node only (see struct cron_options) */
    int64_t timeout_ms; /* expected upper bound of one run, for the lock TTL; 0 = 60 s */
    bool run_at_stop;   /* also run once more by cron_stop, after the workers ended (flushing
                         * buffered state on a graceful shutdown) */
};

/* Distributed lock provider (the cache module's SET NX PX lock, behind plain function pointers
 * so cron does not depend on the cache). acquire returns true when `owner` now holds `key` for
 * ttl_ms; on a backend failure it returns false and sets *err. release deletes the key only if
 * `owner` still holds it. */
typedef bool cron_lock_acquire_fn(void *lock_ud, const char *key, const char *owner, int64_t ttl_ms,
                                  err_t *err);
typedef void cron_lock_release_fn(void *lock_ud, const char *key, const char *owner);
/* Extends `key` to ttl_ms from now only if `owner` still holds it: true when it did; false with
 * *err untouched when the lock lapsed or is someone else's; false with *err set on a failure. */
typedef bool cron_lock_renew_fn(void *lock_ud, const char *key, const char *owner, int64_t ttl_ms,
                                err_t *err);

/* A clock in milliseconds (tests inject fakes). */
typedef int64_t cron_clock_fn(void *clock_ud);

struct cron_options {
    int64_t node_id;
    /* The node that gets the first pick of the singleton lease; -1: no preference. */
    int64_t single_task_node;
    /* Names the group of nodes that share one lease (the database they share); borrowed
     * during cron_new only. NULL or "": one lease per lock backend. */
    const char *lock_scope;
    cron_lock_acquire_fn *lock_acquire; /* NULL: no distributed lock */
    cron_lock_release_fn *lock_release;
    cron_lock_renew_fn *lock_renew; /* NULL: the lease is renewed by release + acquire */
    void *lock_ud;
    cron_clock_fn *mono_ms; /* NULL: CLOCK_MONOTONIC; drives periodic jobs */
    cron_clock_fn *wall_ms; /* NULL: CLOCK_REALTIME; drives daily jobs */
    void *clock_ud;
    int64_t stop_timeout_ms; /* how long cron_stop waits for running jobs; 0 = 30 s */
};

/* Counters of one job, for tests and diagnostics. */
struct cron_stats {
    uint64_t runs;            /* fn was called */
    uint64_t failures;        /* fn returned non-OK */
    uint64_t skipped_overlap; /* tick while the job was still running */
    uint64_t skipped_lock;    /* another node held the lease or the lock, or the backend failed */
};

struct cron;

/* Creates a runner (not started). `o` may be NULL for defaults; it is copied. Never fails. */
struct cron *cron_new(const struct cron_options *o);

/* Registers a job before cron_start. ERR_BAD_REQUEST: empty name, no fn, neither a positive period
 * nor a valid daily_at, or the runner already started; ERR_EXISTS: the name is taken. */
err_t cron_add(struct cron *c, const struct cron_job *job) MUST_USE;

/* Starts the runner and the job workers. ERR_INTERNAL when a thread cannot be created (nothing
 * is left running then); ERR_BAD_REQUEST when already started. */
err_t cron_start(struct cron *c) MUST_USE;

/* Wakes the runner, drops pending ticks and waits up to stop_timeout_ms for running jobs.
 * Then runs each enabled job marked run_at_stop one last time in the calling thread.
 * Returns false (and logs) when a job was still running at the deadline; the runner then stays
 * allocated until that job returns, so cron_free is still safe. Idempotent. */
bool cron_stop(struct cron *c);

/* Stops the runner if needed and frees it; accepts NULL and NULLs the caller's pointer. */
void cron_free(struct cron **cp);

/* What cron_run_now did with the job. */
enum cron_outcome {
    CRON_RAN,      /* it ran; the result is the job's own */
    CRON_BUSY,     /* skipped: it is running on this node already */
    CRON_NOT_HERE, /* skipped: another node holds the lease or the lock, or the lock backend is
                    * down (also for an unknown name) */
};

/* Runs a job now in the calling thread, through the same checks as a tick (eligibility, no
 * overlap, lease, lock, logging, metrics; a node without the lease first tries to take it).
 * Returns the job's result; ERR_NOT_FOUND for an unknown name; ERR_UNAVAILABLE when the run was
 * skipped. *how (may be NULL) tells a skipped run from a job that failed. */
err_t cron_run_now(struct cron *c, const char *name, enum cron_outcome *how) MUST_USE;

/* Copies the counters of job `name` into *out; false for an unknown name. */
bool cron_job_stats(struct cron *c, const char *name, struct cron_stats *out);

/* The process-unique lock owner string of this runner ("node<id>-<pid>-<random>"), borrowed. */
const char *cron_owner(const struct cron *c);

/* Parses "HH:MM:SS" (or "HH:MM") into seconds since midnight; false on anything else. */
bool cron_parse_daily(const char *s, int32_t *sec_of_day);

/* Pure: the first unix time strictly after now_s whose local time of day, at UTC offset
 * utc_offset_s, is sec_of_day. */
int64_t cron_next_daily(int64_t now_s, int32_t sec_of_day, int32_t utc_offset_s);

#endif
