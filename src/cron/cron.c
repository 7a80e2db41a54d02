/* The cron runner. Threads: one runner that only schedules (it never calls a job), and one
 * worker per job that runs it. Scheduling state (due, pending, stopping) is guarded by c->mu;
 * `running` is an atomic so cron_run_now and the worker share the no-overlap rule without
 * holding the mutex during a run. */
#define LOG_MODULE "cron"

#include "cron/cron.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "metrics/metrics.h"

enum {
    DEFAULT_TIMEOUT_MS = 60000,
    DEFAULT_STOP_TIMEOUT_MS = 30000,
    /* The runner re-reads the clocks at least this often, so a wall-clock jump or an injected
     * clock is noticed quickly. */
    RUNNER_MAX_SLEEP_MS = 1000,
    /* The singleton lease: held by one node, renewed about every LEASE_MS / 3, taken over by
     * another node once it lapses (a node that died). */
    LEASE_MS = 3000,
};

static const int64_t DAY_S = 86400;

struct job_slot {
    struct cron *cron;
    struct cron_job job; /* job.name points at name */
    char *name;
    char *lock_key;
    bool is_daily;
    int32_t daily_sec;
    bool enabled; /* false: never scheduled (see cron_add) */
    int64_t due;  /* ms on the monotonic clock, or the wall clock for daily jobs */
    bool pending; /* the runner asked the worker for a run */
    atomic_bool running;
    _Atomic uint64_t runs;
    _Atomic uint64_t failures;
    _Atomic uint64_t skipped_overlap;
    _Atomic uint64_t skipped_lock;
    pthread_cond_t wake;
    pthread_t worker;
    bool has_worker;
};

struct cron {
    struct cron_options o;
    char owner[96];
    pthread_mutex_t mu;
    pthread_cond_t runner_cond; /* CLOCK_MONOTONIC */
    struct job_slot **jobs;
    size_t n_jobs;
    bool started;
    bool stopping;
    bool leaked; /* a job outlived cron_stop: the struct must stay allocated */
    pthread_t runner;
    char *scope_suffix;       /* ":<lock_scope>", or "" */
    char *lease_key;          /* "qnlive:cron:leader[:<scope>]" */
    bool has_singletons;      /* set by cron_add: no lease is taken without one */
    atomic_bool is_leader;    /* this node holds the singleton lease */
    int64_t lease_next_ms;    /* monotonic: the next renewal or attempt; runner thread only */
    int64_t started_ms;       /* monotonic */
    pthread_mutex_t lease_mu; /* serialises lease calls of the runner and cron_run_now */
};

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t default_mono_ms(void *ud)
{
    (void)ud;
    return clock_ms(CLOCK_MONOTONIC);
}

static int64_t default_wall_ms(void *ud)
{
    (void)ud;
    return clock_ms(CLOCK_REALTIME);
}

/* ---- schedule helpers --------------------------------------------------------------------- */

bool cron_parse_daily(const char *s, int32_t *sec_of_day)
{
    static const int64_t max[] = {23, 59, 59};
    int64_t part[3] = {0, 0, 0};
    size_t k = 0;
    const char *p = s;

    while (k < 3) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        if (n < 1 || n > 2 || p[0] == '+' || p[0] == '-' || !strn_to_i64(p, n, 0, max[k], &part[k]))
            return false;
        k++;
        if (!colon)
            break;
        p = colon + 1;
        if (k == 3)
            return false; /* a fourth field */
    }
    if (k < 2)
        return false;
    *sec_of_day = (int32_t)(part[0] * 3600 + part[1] * 60 + part[2]);
    return true;
}

int64_t cron_next_daily(int64_t now_s, int32_t sec_of_day, int32_t utc_offset_s)
{
    int64_t local = now_s + utc_offset_s;
    int64_t day = local / DAY_S;
    if (local % DAY_S < 0)
        day--; /* floor division before 1970 */
    int64_t cand = day * DAY_S + sec_of_day;
    if (cand <= local)
        cand += DAY_S;
    return cand - utc_offset_s;
}

static int32_t local_utc_offset(int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!localtime_r(&tt, &tm))
        return 0;
    return (int32_t)tm.tm_gmtoff;
}

/* Next daily due time in wall ms; the offset is re-read at the candidate so a DST change
 * between now and then is honoured. */
static int64_t daily_due_ms(int32_t sec_of_day, int64_t after_ms)
{
    int64_t t = after_ms / 1000;
    int32_t off = local_utc_offset(t);
    int64_t next = cron_next_daily(t, sec_of_day, off);
    int32_t off2 = local_utc_offset(next);
    if (off2 != off)
        next = cron_next_daily(t, sec_of_day, off2);
    return next * 1000;
}

static int64_t now_of(const struct cron *c, const struct job_slot *s)
{
    return s->is_daily ? c->o.wall_ms(c->o.clock_ud) : c->o.mono_ms(c->o.clock_ud);
}

static int64_t next_due(const struct job_slot *s, int64_t now)
{
    if (s->is_daily)
        return daily_due_ms(s->daily_sec, s->due > now ? s->due : now);
    int64_t next = s->due + s->job.period_ms;
    return next > now ? next : now + s->job.period_ms; /* fell behind: do not burst */
}

/* ---- one run ------------------------------------------------------------------------------ */

static int64_t lock_ttl_ms(const struct job_slot *s)
{
    int64_t bound = s->job.timeout_ms > 0 ? s->job.timeout_ms : DEFAULT_TIMEOUT_MS;
    if (!s->is_daily && s->job.period_ms > bound)
        return s->job.period_ms;
    return bound;
}

static double elapsed_s(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Calls the job with its name as the log request id; counts, logs and records the result. */
static err_t execute(struct job_slot *s)
{
    const char *prev = log_reqid();
    struct timespec t0;

    log_set_reqid(s->job.name);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    err_t err = s->job.fn(s->job.ud);
    double secs = elapsed_s(&t0);
    atomic_fetch_add(&s->runs, 1);
    if (err) {
        atomic_fetch_add(&s->failures, 1);
        log_error("job %s failed err=%s duration=%.3fs", s->job.name, err_name(err), secs);
    }
    metrics_observe_cron(s->job.name, err != ERR_OK, secs);
    log_set_reqid(strcmp(prev, "-") == 0 ? NULL : prev);
    return err;
}

/* ---- the singleton lease ------------------------------------------------------------------ */

static bool is_preferred(const struct cron *c)
{
    return c->o.single_task_node < 0 || c->o.node_id == c->o.single_task_node;
}

/* The holder extends its own lease in place, so no other node can take it in between; a
 * lease that lapsed meanwhile (a long stall) is taken again like any node would. Without a renew
 * call the provider's only way is release + acquire, which leaves a short gap. */
static bool lease_take(struct cron *c, bool held, err_t *err)
{
    if (held && c->o.lock_renew) {
        if (c->o.lock_renew(c->o.lock_ud, c->lease_key, c->owner, LEASE_MS, err))
            return true;
        if (*err)
            return false;
    } else if (held && c->o.lock_release) {
        c->o.lock_release(c->o.lock_ud, c->lease_key, c->owner);
    }
    return c->o.lock_acquire(c->o.lock_ud, c->lease_key, c->owner, LEASE_MS, err);
}

/* Takes or renews the lease. Any node takes a lapsed lease, but a node other than
 * cron.single_task_node waits one lease length after its start, so that the preferred node
 * gets the first pick when both start together. Under lease_mu. */
static void lease_refresh_locked(struct cron *c, int64_t now)
{
    bool was = atomic_load(&c->is_leader);
    err_t err = ERR_OK;

    if (!was && !is_preferred(c) && now - c->started_ms < LEASE_MS)
        return;
    bool got = lease_take(c, was, &err);
    atomic_store(&c->is_leader, got);
    if (got != was)
        log_info("singleton lease %s by %s", got ? "taken" : "lost", c->owner);
    else if (err)
        log_warn("singleton lease: lock backend err=%s", err_name(err));
}

/* Called by the runner on every wake: renews or attempts the lease about 3 times per lease. */
static void lease_tick(struct cron *c)
{
    if (!c->o.lock_acquire || !c->has_singletons)
        return;
    int64_t now = c->o.mono_ms(c->o.clock_ud);
    if (now < c->lease_next_ms)
        return;
    c->lease_next_ms = now + LEASE_MS / 3;
    pthread_mutex_lock(&c->lease_mu);
    lease_refresh_locked(c, now);
    pthread_mutex_unlock(&c->lease_mu);
}

/* A singleton runs here when there is no shared lock (one node runs them all) or when this node
 * holds the lease. */
static bool singleton_turn(struct cron *c)
{
    return !c->o.lock_acquire || atomic_load(&c->is_leader);
}

static void lease_release(struct cron *c)
{
    pthread_mutex_lock(&c->lease_mu);
    if (atomic_exchange(&c->is_leader, false) && c->o.lock_release)
        c->o.lock_release(c->o.lock_ud, c->lease_key, c->owner);
    pthread_mutex_unlock(&c->lease_mu);
}

/* The shared path of ticks and cron_run_now: no overlap, lock for singletons, then execute;
 * *how says whether the job ran or why not. */
static err_t run_job(struct cron *c, struct job_slot *s, enum cron_outcome *how)
{
    bool idle = false;
    bool locked = false;
    err_t err = ERR_UNAVAILABLE;

    *how = CRON_BUSY;
    if (!atomic_compare_exchange_strong(&s->running, &idle, true)) {
        atomic_fetch_add(&s->skipped_overlap, 1);
        log_debug("job %s still running: tick skipped", s->job.name);
        return ERR_UNAVAILABLE;
    }
    *how = CRON_NOT_HERE;
    if (s->job.singleton && !singleton_turn(c)) {
        atomic_fetch_add(&s->skipped_lock, 1);
        log_debug("job %s: another node holds the singleton lease", s->job.name);
        goto out;
    }
    if (s->job.singleton && c->o.lock_acquire) {
        err_t lerr = ERR_OK;
        locked = c->o.lock_acquire(c->o.lock_ud, s->lock_key, c->owner, lock_ttl_ms(s), &lerr);
        if (!locked) {
            atomic_fetch_add(&s->skipped_lock, 1);
            if (lerr)
                log_warn("job %s skipped: lock backend err=%s", s->job.name, err_name(lerr));
            goto out;
        }
    }
    *how = CRON_RAN;
    err = execute(s);
    if (locked && c->o.lock_release)
        c->o.lock_release(c->o.lock_ud, s->lock_key, c->owner);
out:
    atomic_store(&s->running, false);
    return err;
}

/* ---- threads ------------------------------------------------------------------------------ */

static void *worker_main(void *arg)
{
    struct job_slot *s = arg;
    struct cron *c = s->cron;

    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!s->pending && !c->stopping)
            pthread_cond_wait(&s->wake, &c->mu);
        if (c->stopping)
            break;
        s->pending = false;
        pthread_mutex_unlock(&c->mu);
        enum cron_outcome how;
        (void)run_job(c, s, &how); /* the outcome is logged and counted inside */
        pthread_mutex_lock(&c->mu);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Under c->mu: hands every due job to its worker; returns the ms until the next due job. */
static int64_t dispatch_due(struct cron *c)
{
    int64_t wait = RUNNER_MAX_SLEEP_MS;

    for (size_t i = 0; i < c->n_jobs; i++) {
        struct job_slot *s = c->jobs[i];
        if (!s->enabled)
            continue;
        int64_t now = now_of(c, s);
        if (s->due <= now) {
            if (s->pending || atomic_load(&s->running)) {
                atomic_fetch_add(&s->skipped_overlap, 1);
                log_debug("job %s still running: tick skipped", s->job.name);
            } else {
                s->pending = true;
                pthread_cond_signal(&s->wake);
            }
            s->due = next_due(s, now);
        }
        if (s->due - now < wait)
            wait = s->due - now;
    }
    return wait < 0 ? 0 : wait;
}

static void wait_ms_locked(struct cron *c, int64_t ms)
{
    struct timespec ts = clock_mono_after_ms(ms);
    pthread_cond_timedwait(&c->runner_cond, &c->mu, &ts);
}

static void *runner_main(void *arg)
{
    struct cron *c = arg;

    log_set_reqid("cron");
    pthread_mutex_lock(&c->mu);
    while (!c->stopping) {
        /* the lease may wait on the cache: never under c->mu */
        pthread_mutex_unlock(&c->mu);
        lease_tick(c);
        pthread_mutex_lock(&c->mu);
        if (c->stopping)
            break;
        int64_t wait = dispatch_due(c);
        wait_ms_locked(c, wait);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- public API --------------------------------------------------------------------------- */

struct cron *cron_new(const struct cron_options *o)
{
    struct cron *c = xcalloc(1, sizeof(*c));
    pthread_condattr_t ca;
    uint64_t rnd = 0;

    if (o)
        c->o = *o;
    if (!c->o.mono_ms)
        c->o.mono_ms = default_mono_ms;
    if (!c->o.wall_ms)
        c->o.wall_ms = default_wall_ms;
    if (c->o.stop_timeout_ms <= 0)
        c->o.stop_timeout_ms = DEFAULT_STOP_TIMEOUT_MS;
    /* Two processes on one host (or two nodes sharing a node id) must not share an owner. */
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
        rnd = (uint64_t)clock_ms(CLOCK_REALTIME) ^ ((uint64_t)(uintptr_t)c << 16);
    snprintf(c->owner, sizeof(c->owner), "node%" PRId64 "-%ld-%016" PRIx64, c->o.node_id,
             (long)getpid(), rnd);
    /* the lease and the job locks of one group of nodes: another deployment sharing the cache
     * neither holds our lease nor blocks our jobs */
    c->scope_suffix =
        c->o.lock_scope && c->o.lock_scope[0] ? xasprintf(":%s", c->o.lock_scope) : xstrdup("");
    c->lease_key = xasprintf("qnlive:cron:leader%s", c->scope_suffix);
    c->o.lock_scope = NULL; /* not owned */
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->lease_mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&c->runner_cond, &ca);
    pthread_condattr_destroy(&ca);
    return c;
}

static struct job_slot *find_job(const struct cron *c, const char *name)
{
    for (size_t i = 0; i < c->n_jobs; i++) {
        if (strcmp(c->jobs[i]->job.name, name) == 0)
            return c->jobs[i];
    }
    return NULL;
}

static bool job_valid(const struct cron_job *job, int32_t *daily_sec)
{
    if (!job->name || !job->name[0] || !job->fn)
        return false;
    if (job->daily_at)
        return cron_parse_daily(job->daily_at, daily_sec);
    return job->period_ms > 0;
}

err_t cron_add(struct cron *c, const struct cron_job *job)
{
    int32_t daily_sec = 0;
    err_t err = ERR_OK;

    pthread_mutex_lock(&c->mu);
    if (c->started || !job_valid(job, &daily_sec)) {
        err = ERR_BAD_REQUEST;
        goto out;
    }
    if (find_job(c, job->name)) {
        err = ERR_EXISTS;
        goto out;
    }
    struct job_slot *s = xcalloc(1, sizeof(*s));
    s->cron = c;
    s->job = *job;
    s->name = xstrdup(job->name);
    s->job.name = s->name;
    s->job.daily_at = NULL; /* not owned; is_daily/daily_sec carry it */
    s->lock_key = xasprintf("qnlive:cron:%s%s", job->name, c->scope_suffix);
    s->is_daily = job->daily_at != NULL;
    s->daily_sec = daily_sec;
    s->enabled = true;
    c->has_singletons = c->has_singletons || job->singleton;
    pthread_cond_init(&s->wake, NULL);
    c->jobs = xrealloc(c->jobs, (c->n_jobs + 1) * sizeof(*c->jobs));
    c->jobs[c->n_jobs++] = s;
out:
    pthread_mutex_unlock(&c->mu);
    return err;
}

/* Joins every worker (and the runner when has_runner) within the stop deadline. */
static bool join_threads(struct cron *c, bool has_runner)
{
    struct timespec deadline;
    bool ok = true;

    if (has_runner)
        pthread_join(c->runner, NULL); /* the runner never runs jobs: it exits at once */
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += (time_t)(c->o.stop_timeout_ms / 1000);
    deadline.tv_nsec += (long)(c->o.stop_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    for (size_t i = 0; i < c->n_jobs; i++) {
        struct job_slot *s = c->jobs[i];
        if (!s->has_worker)
            continue;
        if (pthread_timedjoin_np(s->worker, NULL, &deadline) != 0) {
            log_error("job %s still running after %" PRId64 " ms: abandoned", s->job.name,
                      c->o.stop_timeout_ms);
            pthread_detach(s->worker);
            ok = false;
        }
        s->has_worker = false;
    }
    return ok;
}

static void signal_stop_locked(struct cron *c)
{
    c->stopping = true;
    pthread_cond_broadcast(&c->runner_cond);
    for (size_t i = 0; i < c->n_jobs; i++)
        pthread_cond_broadcast(&c->jobs[i]->wake);
}

err_t cron_start(struct cron *c)
{
    err_t err = ERR_OK;

    pthread_mutex_lock(&c->mu);
    if (c->started) {
        pthread_mutex_unlock(&c->mu);
        return ERR_BAD_REQUEST;
    }
    c->started = true;
    c->started_ms = c->o.mono_ms(c->o.clock_ud);
    for (size_t i = 0; i < c->n_jobs && !err; i++) {
        struct job_slot *s = c->jobs[i];
        if (!s->enabled)
            continue;
        int64_t now = now_of(c, s);
        s->due = s->is_daily ? daily_due_ms(s->daily_sec, now) : now + s->job.period_ms;
        if (pthread_create(&s->worker, NULL, worker_main, s) != 0)
            err = ERR_INTERNAL;
        else
            s->has_worker = true;
    }
    if (!err && pthread_create(&c->runner, NULL, runner_main, c) != 0)
        err = ERR_INTERNAL;
    if (err) {
        signal_stop_locked(c);
        pthread_mutex_unlock(&c->mu);
        (void)join_threads(c, false);
        log_error("cron cannot start its threads");
        return err;
    }
    pthread_mutex_unlock(&c->mu);
    log_info("cron started jobs=%zu owner=%s", c->n_jobs, c->owner);
    return ERR_OK;
}

bool cron_stop(struct cron *c)
{
    pthread_mutex_lock(&c->mu);
    if (!c->started || c->stopping) {
        pthread_mutex_unlock(&c->mu);
        return !c->leaked;
    }
    signal_stop_locked(c);
    pthread_mutex_unlock(&c->mu);
    c->leaked = !join_threads(c, true);
    /* Final runs (e.g. flushing buffered counters) happen once no worker can race them. */
    for (size_t i = 0; i < c->n_jobs && !c->leaked; i++) {
        enum cron_outcome how;
        if (c->jobs[i]->enabled && c->jobs[i]->job.run_at_stop)
            (void)run_job(c, c->jobs[i], &how);
    }
    /* a graceful stop hands the singletons over at once instead of after the lease lapses */
    lease_release(c);
    return !c->leaked;
}

void cron_free(struct cron **cp)
{
    struct cron *c = cp ? *cp : NULL;

    if (!c)
        return;
    *cp = NULL;
    if (!cron_stop(c))
        return; /* an abandoned job still uses it: leaking beats a use-after-free */
    for (size_t i = 0; i < c->n_jobs; i++) {
        struct job_slot *s = c->jobs[i];
        pthread_cond_destroy(&s->wake);
        free(s->name);
        free(s->lock_key);
        free(s);
    }
    free(c->jobs);
    free(c->lease_key);
    free(c->scope_suffix);
    pthread_mutex_destroy(&c->lease_mu);
    pthread_cond_destroy(&c->runner_cond);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

err_t cron_run_now(struct cron *c, const char *name, enum cron_outcome *how)
{
    enum cron_outcome ignored;
    if (!how)
        how = &ignored;
    *how = CRON_NOT_HERE;
    pthread_mutex_lock(&c->mu);
    struct job_slot *s = find_job(c, name);
    pthread_mutex_unlock(&c->mu);
    if (!s)
        return ERR_NOT_FOUND;
    if (s->job.singleton && c->o.lock_acquire && !atomic_load(&c->is_leader)) {
        /* outside the runner's cadence: try for the lease now */
        pthread_mutex_lock(&c->lease_mu);
        lease_refresh_locked(c, c->o.mono_ms(c->o.clock_ud));
        pthread_mutex_unlock(&c->lease_mu);
    }
    return run_job(c, s, how);
}

bool cron_job_stats(struct cron *c, const char *name, struct cron_stats *out)
{
    pthread_mutex_lock(&c->mu);
    struct job_slot *s = find_job(c, name);
    pthread_mutex_unlock(&c->mu);
    if (!s)
        return false;
    out->runs = atomic_load(&s->runs);
    out->failures = atomic_load(&s->failures);
    out->skipped_overlap = atomic_load(&s->skipped_overlap);
    out->skipped_lock = atomic_load(&s->skipped_lock);
    return true;
}

const char *cron_owner(const struct cron *c)
{
    return c->owner;
}
