#define LOG_MODULE "cache.near"

/* The near cache of a single Redis node: the replies of the hot reads (GET, ZCARD, ZSCORE of
 * keys under a few prefixes: generations, presence sets, user rows) kept in this process and
 * dropped the moment Redis says the key changed, through Redis's own client-side caching
 * (CLIENT TRACKING ... BCAST, invalidations redirected to a subscriber connection).
 *
 * A batch made only of such reads is answered from memory when every one of them is held;
 * anything else goes to Redis as before, and its cacheable replies are kept. So a request that
 * only reads what nobody changed meanwhile needs no round trip, and can be answered on the
 * thread that parsed it.
 *
 * Freshness: Redis queues the invalidation of a key while it executes the write, before the
 * writer's reply, so by the time a client hears "done" from one node and asks another, the
 * invalidation has been written to that node's subscriber socket. A read is served from memory
 * only once everything that socket holds has been applied (by the listener, or by the reading
 * thread itself when it finds invalidations waiting) and the subscriber answered a ping within
 * the last second (a Redis that hangs or a network that drops sends no invalidations either);
 * otherwise it goes to Redis.
 *
 * A reply is kept only if no invalidation of its key (or of a key sharing its epoch slot)
 * arrived between the sending of the read and the keeping, and the tracking session is the one
 * the read started in. Losing the subscriber or the tracking connection empties the cache and
 * turns it off until both are back. */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cache/cache_int.h"
#include "core/deadline.h"
#include "core/log.h"
#include "core/mem.h"

enum {
    NEAR_BUCKETS = 16384,
    NEAR_STRIPES = 64,
    NEAR_EPOCHS = 4096,
    NEAR_ENTRIES_MAX = 200000, /* past this, replies are not kept (memory bound) */
    NEAR_POLL_MS = 100,
    NEAR_RETRY_MS = 1000,
    /* the subscriber is pinged this often and dropped when no answer came for NEAR_DEAD_MS: a
     * Redis that hangs, or a network that silently drops, sends no invalidations either, and
     * what is held could be stale while another node writes */
    NEAR_PING_MS = 300,
    NEAR_DEAD_MS = 1000,
    /* after applying what arrived, the listener rests this long before it looks again: under a
     * stream of writes it wakes at most a few hundred times a second, and in between a reading
     * thread that finds invalidations waiting applies them itself */
    NEAR_REST_US = 2000,
};

static const char *const TRACKED_PREFIXES[] = {"live:{",
                                               "live:a:", "live:gen:", "live:u:", "user:"};

/* One kept reply: the command that produced it (kind, member) and the reply itself. */
struct near_item {
    enum cache_cmd_kind kind;
    char *arg; /* ZSCORE member, else NULL */
    enum cache_reply_type type;
    int64_t integer;
    char *str;
    size_t len;
    struct near_item *next;
};

struct near_entry {
    char *key;
    struct near_item *items;
    struct near_entry *next;
};

struct cache_near {
    char *host;
    int port;
    char *password;
    struct near_entry *buckets[NEAR_BUCKETS];
    pthread_mutex_t stripes[NEAR_STRIPES];
    atomic_uint epochs[NEAR_EPOCHS];
    atomic_size_t entries;
    atomic_uint session;    /* bumped whenever tracking starts or stops */
    atomic_bool active;     /* tracking on, invalidations flowing */
    pthread_mutex_t sub_mu; /* the subscriber's connection: the listener or a reading thread */
    redisContext *sub;      /* under sub_mu; NULL between sessions */
    atomic_bool broken;     /* a read of the subscriber failed: the session ends */
    atomic_int sub_fd;      /* the subscriber's socket, -1 when none */
    atomic_bool stopping;
    atomic_llong last_pong_ms; /* monotonic: the subscriber's last answer to a ping */
    pthread_t listener;
    atomic_ullong hits, misses;
};

struct near_ticket {
    unsigned session;
    unsigned *epochs; /* per command of the batch */
};

static uint64_t hash_key(const char *key)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h;
}

static bool tracked_key(const char *key)
{
    for (size_t i = 0; i < sizeof(TRACKED_PREFIXES) / sizeof(TRACKED_PREFIXES[0]); i++) {
        if (strncmp(key, TRACKED_PREFIXES[i], strlen(TRACKED_PREFIXES[i])) == 0)
            return true;
    }
    return false;
}

static bool cacheable(const struct cache_cmd *c)
{
    return (c->kind == CK_GET || c->kind == CK_ZCARD || c->kind == CK_ZSCORE) &&
           tracked_key(c->key);
}

static pthread_mutex_t *stripe_of(struct cache_near *n, uint64_t h)
{
    return &n->stripes[(h % NEAR_BUCKETS) % NEAR_STRIPES];
}

static atomic_uint *epoch_of(struct cache_near *n, uint64_t h)
{
    return &n->epochs[h % NEAR_EPOCHS];
}

static void items_free(struct near_item *it)
{
    for (struct near_item *next; it; it = next) {
        next = it->next;
        free(it->arg);
        free(it->str);
        free(it);
    }
}

static void entry_free(struct near_entry *e)
{
    items_free(e->items);
    free(e->key);
    free(e);
}

/* Drops the entry of key. Under its stripe. */
static void drop_locked(struct cache_near *n, const char *key, uint64_t h)
{
    struct near_entry **link = &n->buckets[h % NEAR_BUCKETS];
    while (*link && strcmp((*link)->key, key) != 0)
        link = &(*link)->next;
    if (!*link)
        return;
    struct near_entry *e = *link;
    *link = e->next;
    entry_free(e);
    atomic_fetch_sub(&n->entries, 1);
}

static void invalidate(struct cache_near *n, const char *key)
{
    uint64_t h = hash_key(key);
    atomic_fetch_add(epoch_of(n, h), 1);
    pthread_mutex_t *mu = stripe_of(n, h);
    pthread_mutex_lock(mu);
    drop_locked(n, key, h);
    pthread_mutex_unlock(mu);
}

static void flush_all(struct cache_near *n)
{
    for (size_t s = 0; s < NEAR_STRIPES; s++) {
        pthread_mutex_lock(&n->stripes[s]);
        for (size_t b = s; b < NEAR_BUCKETS; b += NEAR_STRIPES) {
            for (struct near_entry *e = n->buckets[b], *next; e; e = next) {
                next = e->next;
                entry_free(e);
                atomic_fetch_sub(&n->entries, 1);
            }
            n->buckets[b] = NULL;
        }
        pthread_mutex_unlock(&n->stripes[s]);
    }
}

static bool same_cmd(const struct near_item *it, const struct cache_cmd *c)
{
    return it->kind == c->kind && (it->arg == NULL) == (c->arg == NULL) &&
           (!it->arg || strcmp(it->arg, c->arg) == 0);
}

/* Copies the kept reply of c into r (arena memory); false when not held. */
static bool lookup(struct cache_near *n, struct arena *a, const struct cache_cmd *c,
                   struct cache_reply *r)
{
    uint64_t h = hash_key(c->key);
    pthread_mutex_t *mu = stripe_of(n, h);
    bool found = false;
    pthread_mutex_lock(mu);
    struct near_entry *e = n->buckets[h % NEAR_BUCKETS];
    while (e && strcmp(e->key, c->key) != 0)
        e = e->next;
    for (struct near_item *it = e ? e->items : NULL; it && !found; it = it->next) {
        if (!same_cmd(it, c))
            continue;
        *r = (struct cache_reply){.type = it->type, .integer = it->integer, .len = it->len};
        if (it->str)
            r->str = arena_strndup(a, it->str, it->len);
        found = true;
    }
    pthread_mutex_unlock(mu);
    return found;
}

static void apply_message(struct cache_near *n, redisReply *m);

/* Reads what the subscriber socket holds (it is known to hold something, so the read does not
 * block) and applies every whole message. Under sub_mu. */
static bool drain_locked(struct cache_near *n)
{
    void *reply = NULL;
    bool ok = redisBufferRead(n->sub) == REDIS_OK;
    while (ok && redisGetReplyFromReader(n->sub, &reply) == REDIS_OK && reply) {
        apply_message(n, reply);
        freeReplyObject(reply);
        reply = NULL;
    }
    ok = ok && !n->sub->err;
    if (!ok)
        atomic_store(&n->broken, true);
    return ok;
}

static bool unread_bytes(int fd, int *unread)
{
    *unread = 0;
    return ioctl(fd, FIONREAD, unread) == 0;
}

/* Applies whatever invalidations wait, then tells whether none is left: nothing unread on the
 * socket and no partial message in the reader. Under sub_mu. */
static bool catch_up_locked(struct cache_near *n)
{
    int unread;
    if (!n->sub || !unread_bytes(n->sub->fd, &unread))
        return false;
    if (unread > 0 && !drain_locked(n))
        return false;
    /* hiredis leaves its first read task armed (type -1) once it has run out of bytes */
    const redisReader *r = n->sub->reader;
    bool idle = r->pos == r->len && (r->ridx == -1 || (r->ridx == 0 && r->rstack[0].type < 0));
    return idle && unread_bytes(n->sub->fd, &unread) && unread == 0;
}

/* Every invalidation Redis wrote so far has been applied (by the listener, or here by the
 * reading thread when it finds some waiting), and the subscriber is alive. A thread that finds
 * the subscriber busy in another thread's hands does not wait: it reads from Redis. */
static bool invalidations_settled(struct cache_near *n)
{
    if (atomic_load(&n->sub_fd) < 0 || atomic_load(&n->broken) ||
        deadline_now_ms() - atomic_load(&n->last_pong_ms) > NEAR_DEAD_MS)
        return false;
    if (pthread_mutex_trylock(&n->sub_mu) != 0)
        return false;
    bool settled = catch_up_locked(n);
    pthread_mutex_unlock(&n->sub_mu);
    return settled;
}

bool cache_near_serve(struct cache_near *n, struct cache_batch *b)
{
    if (!n || !atomic_load(&n->active) || b->n == 0)
        return false;
    for (size_t i = 0; i < b->n; i++) {
        if (!cacheable(&b->cmds[i]))
            return false;
    }
    if (!invalidations_settled(n)) {
        atomic_fetch_add(&n->misses, 1);
        return false;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (!lookup(n, b->a, &b->cmds[i], &b->replies[i])) {
            atomic_fetch_add(&n->misses, 1);
            return false;
        }
    }
    atomic_fetch_add(&n->hits, 1);
    return true;
}

struct near_ticket *cache_near_begin(struct cache_near *n, const struct cache_batch *b)
{
    if (!n || !atomic_load(&n->active))
        return NULL;
    struct near_ticket *t = arena_alloc(b->a, sizeof(*t));
    t->session = atomic_load(&n->session);
    t->epochs = arena_alloc(b->a, (b->n ? b->n : 1) * sizeof(*t->epochs));
    for (size_t i = 0; i < b->n; i++)
        t->epochs[i] = atomic_load(epoch_of(n, hash_key(b->cmds[i].key)));
    return t;
}

static bool keepable(const struct cache_reply *r)
{
    return r->type == CACHE_REPLY_NIL || r->type == CACHE_REPLY_INT || r->type == CACHE_REPLY_STR;
}

/* Keeps one reply unless its key changed since the ticket was taken. */
static void keep(struct cache_near *n, const struct near_ticket *t, const struct cache_cmd *c,
                 unsigned epoch, const struct cache_reply *r)
{
    uint64_t h = hash_key(c->key);
    pthread_mutex_t *mu = stripe_of(n, h);
    pthread_mutex_lock(mu);
    if (atomic_load(epoch_of(n, h)) != epoch || atomic_load(&n->session) != t->session ||
        !atomic_load(&n->active)) {
        pthread_mutex_unlock(mu);
        return;
    }
    struct near_entry **link = &n->buckets[h % NEAR_BUCKETS];
    while (*link && strcmp((*link)->key, c->key) != 0)
        link = &(*link)->next;
    if (!*link && atomic_load(&n->entries) >= NEAR_ENTRIES_MAX) {
        pthread_mutex_unlock(mu);
        return;
    }
    if (!*link) {
        *link = xcalloc(1, sizeof(**link));
        (*link)->key = xstrdup(c->key);
        atomic_fetch_add(&n->entries, 1);
    }
    struct near_item **it = &(*link)->items;
    while (*it && !same_cmd(*it, c))
        it = &(*it)->next;
    if (!*it) {
        *it = xcalloc(1, sizeof(**it));
        (*it)->kind = c->kind;
        (*it)->arg = c->arg ? xstrdup(c->arg) : NULL;
    }
    free((*it)->str);
    (*it)->type = r->type;
    (*it)->integer = r->integer;
    (*it)->len = r->len;
    (*it)->str = r->str ? xstrndup(r->str, r->len) : NULL;
    pthread_mutex_unlock(mu);
}

void cache_near_keep(struct cache_near *n, const struct near_ticket *t, const struct cache_batch *b)
{
    if (!n || !t)
        return;
    for (size_t i = 0; i < b->n; i++) {
        if (cacheable(&b->cmds[i]) && keepable(&b->replies[i]))
            keep(n, t, &b->cmds[i], t->epochs[i], &b->replies[i]);
    }
}

/* ---- the tracking session ----------------------------------------------------------------- */

static redisContext *connect_to(struct cache_near *n)
{
    struct timeval tv = {CACHE_CONNECT_TIMEOUT_MS / 1000, 0};
    redisContext *c = redisConnectWithTimeout(n->host, n->port, tv);
    if (c && !c->err && n->password[0]) {
        redisReply *r = redisCommand(c, "AUTH %s", n->password);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (r)
            freeReplyObject(r);
        if (!ok) {
            redisFree(c);
            return NULL;
        }
    }
    if (c && c->err) {
        redisFree(c);
        return NULL;
    }
    if (c) {
        struct timeval cmd_tv = {CACHE_COMMAND_TIMEOUT_MS / 1000, 0};
        redisSetTimeout(c, cmd_tv);
    }
    return c;
}

/* A command whose reply must not be an error. */
static bool command_ok(redisContext *c, int argc, const char **argv, long long *id)
{
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    bool ok = r && r->type != REDIS_REPLY_ERROR;
    if (ok && id)
        *id = r->integer;
    if (r)
        freeReplyObject(r);
    return ok;
}

/* Connects the subscriber and turns tracking on for it from a second connection; both are
 * returned, or neither. */
static bool start_session(struct cache_near *n, redisContext **sub, redisContext **reg)
{
    long long id = 0;
    char idtext[32];
    *sub = connect_to(n);
    *reg = *sub ? connect_to(n) : NULL;
    const char *client_id[] = {"CLIENT", "ID"};
    const char *subscribe[] = {"SUBSCRIBE", "__redis__:invalidate"};
    bool ok = *reg && command_ok(*sub, 2, client_id, &id) && command_ok(*sub, 2, subscribe, NULL);
    if (ok) {
        snprintf(idtext, sizeof(idtext), "%lld", id);
        const char *track[6 + 2 * (sizeof(TRACKED_PREFIXES) / sizeof(TRACKED_PREFIXES[0]))] = {
            "CLIENT", "TRACKING", "on", "REDIRECT", idtext, "BCAST"};
        int argc = 6;
        for (size_t i = 0; i < sizeof(TRACKED_PREFIXES) / sizeof(TRACKED_PREFIXES[0]); i++) {
            track[argc++] = "PREFIX";
            track[argc++] = TRACKED_PREFIXES[i];
        }
        ok = command_ok(*reg, argc, track, NULL);
    }
    if (!ok) {
        if (*sub)
            redisFree(*sub);
        if (*reg)
            redisFree(*reg);
        *sub = *reg = NULL;
    }
    return ok;
}

/* Applies one message of the subscriber: a list of changed keys, or nil for "everything". */
static void apply_message(struct cache_near *n, redisReply *m)
{
    if (m->type == REDIS_REPLY_ARRAY && m->elements >= 1 && m->element[0]->str &&
        strcmp(m->element[0]->str, "pong") == 0) {
        atomic_store(&n->last_pong_ms, deadline_now_ms());
        return;
    }
    if (m->type != REDIS_REPLY_ARRAY || m->elements < 3 || !m->element[0]->str ||
        strcmp(m->element[0]->str, "message") != 0)
        return;
    redisReply *keys = m->element[2];
    if (keys->type != REDIS_REPLY_ARRAY) {
        flush_all(n);
        return;
    }
    for (size_t i = 0; i < keys->elements; i++) {
        if (keys->element[i]->str)
            invalidate(n, keys->element[i]->str);
    }
}

/* Readable with nothing to read: Redis closed the connection. Under sub_mu (a reading thread
 * may have taken the bytes that made the socket readable). */
static bool subscriber_closed_locked(struct cache_near *n)
{
    char c;
    int unread;
    return unread_bytes(n->sub->fd, &unread) && unread == 0 &&
           recv(n->sub->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

/* Sends a ping on the subscriber; false when the connection failed. */
static bool ping(struct cache_near *n)
{
    int done = 0;
    pthread_mutex_lock(&n->sub_mu);
    redisAppendCommand(n->sub, "PING");
    while (!done && redisBufferWrite(n->sub, &done) == REDIS_OK)
        ;
    pthread_mutex_unlock(&n->sub_mu);
    return done;
}

static void rest(void)
{
    struct timespec ts = {0, NEAR_REST_US * 1000L};
    nanosleep(&ts, NULL);
}

/* Serves one session until a connection fails or the cache stops. */
static void run_session(struct cache_near *n, redisContext *sub, redisContext *reg)
{
    pthread_mutex_lock(&n->sub_mu);
    n->sub = sub;
    pthread_mutex_unlock(&n->sub_mu);
    atomic_store(&n->broken, false);
    atomic_store(&n->last_pong_ms, deadline_now_ms());
    atomic_store(&n->sub_fd, sub->fd);
    atomic_fetch_add(&n->session, 1);
    atomic_store(&n->active, true);
    log_info("near cache on: invalidations from redis %s:%d", n->host, n->port);
    int64_t last_ping_ms = 0;
    while (!atomic_load(&n->stopping) && !atomic_load(&n->broken)) {
        int64_t now = deadline_now_ms();
        if (now - atomic_load(&n->last_pong_ms) > NEAR_DEAD_MS)
            break; /* silent: Redis hangs or the network drops */
        if (now - last_ping_ms >= NEAR_PING_MS) {
            if (!ping(n))
                break;
            last_ping_ms = now;
        }
        struct pollfd fds[2] = {{sub->fd, POLLIN, 0}, {reg->fd, POLLIN, 0}};
        int got = poll(fds, 2, NEAR_POLL_MS);
        if (got < 0 && errno != EINTR)
            break;
        /* the tracking connection never receives anything: readable means closed */
        if (got > 0 && fds[1].revents)
            break;
        if (got > 0 && (fds[0].revents & (POLLHUP | POLLERR)))
            break;
        if (got > 0 && fds[0].revents) {
            pthread_mutex_lock(&n->sub_mu);
            bool closed = subscriber_closed_locked(n);
            if (!closed)
                (void)catch_up_locked(n);
            pthread_mutex_unlock(&n->sub_mu);
            if (closed)
                break;
            rest();
        }
    }
    atomic_store(&n->active, false);
    atomic_fetch_add(&n->session, 1);
    atomic_store(&n->sub_fd, -1);
    pthread_mutex_lock(&n->sub_mu);
    n->sub = NULL;
    pthread_mutex_unlock(&n->sub_mu);
    flush_all(n);
    if (!atomic_load(&n->stopping))
        log_warn("near cache off: lost or silent tracking connection to redis %s:%d; retrying",
                 n->host, n->port);
}

static void pause_ms(struct cache_near *n, int ms)
{
    for (int waited = 0; waited < ms && !atomic_load(&n->stopping); waited += 50) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static void *listener(void *arg)
{
    struct cache_near *n = arg;
    int failures = 0;
    while (!atomic_load(&n->stopping)) {
        redisContext *sub, *reg;
        if (start_session(n, &sub, &reg)) {
            failures = 0;
            run_session(n, sub, reg);
            redisFree(sub);
            redisFree(reg);
        } else if (failures++ % 60 == 0) {
            /* Redis away, or older than 6 (no CLIENT TRACKING): reads go to Redis meanwhile */
            log_warn("near cache off: cannot start tracking on redis %s:%d; retrying", n->host,
                     n->port);
        }
        pause_ms(n, NEAR_RETRY_MS);
    }
    return NULL;
}

struct cache_near *cache_near_new(const char *host, int port, const char *password)
{
    struct cache_near *n = xcalloc(1, sizeof(*n));
    n->host = xstrdup(host);
    n->port = port;
    n->password = xstrdup(password ? password : "");
    for (size_t i = 0; i < NEAR_STRIPES; i++)
        pthread_mutex_init(&n->stripes[i], NULL);
    pthread_mutex_init(&n->sub_mu, NULL);
    atomic_init(&n->sub_fd, -1);
    if (pthread_create(&n->listener, NULL, listener, n) != 0) {
        log_error("cannot start the near cache's listener");
        abort(); /* at start-up: out of threads */
    }
    return n;
}

void cache_near_free(struct cache_near **np)
{
    struct cache_near *n = *np;
    if (!n)
        return;
    atomic_store(&n->stopping, true);
    pthread_join(n->listener, NULL);
    flush_all(n);
    for (size_t i = 0; i < NEAR_STRIPES; i++)
        pthread_mutex_destroy(&n->stripes[i]);
    pthread_mutex_destroy(&n->sub_mu);
    free(n->host);
    free(n->password);
    free(n);
    *np = NULL;
}

bool cache_near_active(const struct cache_near *n)
{
    return n && atomic_load(&n->active);
}

void cache_near_read_stats(struct cache_near *n, struct cache_near_stats *out)
{
    if (!n)
        return;
    out->enabled = true;
    out->active = atomic_load(&n->active);
    out->hits = atomic_load(&n->hits);
    out->misses = atomic_load(&n->misses);
    out->entries = atomic_load(&n->entries);
}
