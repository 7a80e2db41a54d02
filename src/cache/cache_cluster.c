#define LOG_MODULE "cache.cluster"

/* The Redis Cluster backend (`cache.type: cluster`, seeds in `cache.addrs`).
 *
 * A command goes to the master that owns its key's hash slot, per a slot map loaded with
 * CLUSTER SLOTS from a seed or a known node. When the map is stale the node answers
 * `MOVED <slot> <host:port>`: the map is reloaded, the slot pointed at the new owner, and the
 * command resent. During a slot migration `ASK <slot> <host:port>` sends this one command,
 * preceded by ASKING, to the importing node without touching the map. Redirects are bounded.
 *
 * The map is read on every command without a lock: slot entries are atomics holding an index
 * into an append-only node table, and writers (map reloads, new nodes) serialize on map_mu. */

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

enum { CLUSTER_MAX_NODES = 512, CLUSTER_MAX_REDIRECTS = 6, CLUSTER_TRYAGAIN_MS = 50 };

struct cnode {
    char *host;
    int port;
    struct rpool *pool;
};

struct cache_cluster {
    struct cache_resp resp;
    char *password;
    struct rpool **seeds;
    size_t n_seeds;
    pthread_mutex_t map_mu;     /* serializes writers of nodes and slots */
    pthread_mutex_t refresh_mu; /* one CLUSTER SLOTS reload at a time */
    atomic_uint gen;            /* bumped by each reload, so concurrent callers reload once */
    struct cnode *_Atomic nodes[CLUSTER_MAX_NODES];
    atomic_size_t n_nodes;
    atomic_short slots[CACHE_SLOTS]; /* index into nodes; -1 = unknown */
};

/* The index of host:port in the node table, added when new; -1 when the table is full.
 * Called with map_mu held. */
static int node_index_locked(struct cache_cluster *cc, const char *host, int port)
{
    size_t n = atomic_load(&cc->n_nodes);
    struct cnode *node;

    for (size_t i = 0; i < n; i++) {
        node = atomic_load(&cc->nodes[i]);
        if (node->port == port && strcmp(node->host, host) == 0)
            return (int)i;
    }
    if (n == CLUSTER_MAX_NODES)
        return -1;
    node = xcalloc(1, sizeof(*node));
    node->host = xstrdup(host);
    node->port = port;
    node->pool = rpool_new(host, port, cc->password);
    atomic_store(&cc->nodes[n], node);
    atomic_store(&cc->n_nodes, n + 1);
    return (int)n;
}

static struct cnode *node_get(struct cache_cluster *cc, const char *host, int port)
{
    int idx;

    pthread_mutex_lock(&cc->map_mu);
    idx = node_index_locked(cc, host, port);
    pthread_mutex_unlock(&cc->map_mu);
    return idx < 0 ? NULL : atomic_load(&cc->nodes[idx]);
}

static struct cnode *slot_owner(struct cache_cluster *cc, unsigned slot)
{
    short idx = atomic_load(&cc->slots[slot]);

    return idx < 0 ? NULL : atomic_load(&cc->nodes[idx]);
}

/* Applies one CLUSTER SLOTS entry: [start, end, [ip, port, ...], replicas...]. */
static void apply_range_locked(struct cache_cluster *cc, const redisReply *e,
                               const char *fallback_host, short *map)
{
    const redisReply *m;
    const char *host;
    int idx;

    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3)
        return;
    m = e->element[2];
    if (e->element[0]->type != REDIS_REPLY_INTEGER || e->element[1]->type != REDIS_REPLY_INTEGER ||
        m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
        m->element[0]->type != REDIS_REPLY_STRING || m->element[1]->type != REDIS_REPLY_INTEGER)
        return;
    /* An empty or "?" address means "the node you are talking to". */
    host = m->element[0]->str;
    if (!host[0] || strcmp(host, "?") == 0)
        host = fallback_host;
    idx = node_index_locked(cc, host, (int)m->element[1]->integer);
    if (idx < 0)
        return;
    for (long long s = e->element[0]->integer; s <= e->element[1]->integer; s++)
        if (s >= 0 && s < CACHE_SLOTS)
            map[s] = (short)idx;
}

/* Loads the slot map from one server; false when it does not answer with one. */
static bool load_from(struct cache_cluster *cc, struct rpool *pool, const char *host)
{
    const char *argv[] = {"CLUSTER", "SLOTS"};
    const size_t lens[] = {7, 5};
    redisReply *reply;
    short *map;

    if (rpool_command(pool, false, 2, argv, lens, &reply))
        return false;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
        freeReplyObject(reply);
        return false;
    }
    /* Built aside and then published slot by slot, so readers never see a blank map. */
    map = xmalloc(CACHE_SLOTS * sizeof(*map));
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        map[i] = -1;
    pthread_mutex_lock(&cc->map_mu);
    for (size_t i = 0; i < reply->elements; i++)
        apply_range_locked(cc, reply->element[i], host, map);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        atomic_store(&cc->slots[i], map[i]);
    pthread_mutex_unlock(&cc->map_mu);
    freeReplyObject(reply);
    free(map);
    return true;
}

/* Reloads the slot map, asking the seeds first, then every known node. `seen_gen` is the
 * generation the caller acted on: when another thread has reloaded since, nothing is done. */
static err_t refresh(struct cache_cluster *cc, unsigned seen_gen)
{
    bool ok = false;

    pthread_mutex_lock(&cc->refresh_mu);
    if (atomic_load(&cc->gen) != seen_gen) {
        pthread_mutex_unlock(&cc->refresh_mu);
        return ERR_OK;
    }
    for (size_t i = 0; i < cc->n_seeds && !ok; i++) {
        char host[CACHE_HOST_MAX];
        int port;

        if (cache_parse_addr(rpool_addr(cc->seeds[i]), host, sizeof(host), &port))
            ok = load_from(cc, cc->seeds[i], host);
    }
    for (size_t i = 0; i < atomic_load(&cc->n_nodes) && !ok; i++) {
        struct cnode *node = atomic_load(&cc->nodes[i]);

        ok = load_from(cc, node->pool, node->host);
    }
    atomic_fetch_add(&cc->gen, 1);
    pthread_mutex_unlock(&cc->refresh_mu);
    if (!ok)
        log_warn("no cluster node answered CLUSTER SLOTS");
    return ok ? ERR_OK : ERR_UNAVAILABLE;
}

/* Parses "<slot> <host:port>" after MOVED/ASK. */
static bool parse_redirect(const char *s, unsigned *slot, char *host, size_t hostlen, int *port)
{
    const char *sp = strchr(s, ' ');
    int64_t v;

    return sp && strn_to_i64(s, (size_t)(sp - s), 0, CACHE_SLOTS - 1, &v) &&
           cache_parse_addr(sp + 1, host, hostlen, port) && (*slot = (unsigned)v, true);
}

/* Acts on an error reply. ERR_OK means "send again" (to *ask when set); anything else is
 * the final outcome. */
static err_t redirect(struct cache_cluster *cc, const redisReply *reply, const struct cnode *from,
                      unsigned gen, struct cnode **ask)
{
    const char *s = reply->str ? reply->str : "";
    bool moved = strncmp(s, "MOVED ", 6) == 0;
    char host[CACHE_HOST_MAX];
    unsigned slot;
    int port;

    if (moved || strncmp(s, "ASK ", 4) == 0) {
        if (!parse_redirect(s + (moved ? 6 : 4), &slot, host, sizeof(host), &port))
            return rpool_error_reply(from->pool, reply);
        *ask = node_get(cc, host, port);
        if (!*ask)
            return ERR_UNAVAILABLE;
        if (moved) {
            /* The reload brings the rest of the map up to date; the MOVED target is
             * authoritative for this slot even if the node we reloaded from lags behind. */
            (void)refresh(cc, gen);
            pthread_mutex_lock(&cc->map_mu);
            atomic_store(&cc->slots[slot], (short)node_index_locked(cc, host, port));
            pthread_mutex_unlock(&cc->map_mu);
            *ask = NULL;
        }
        return ERR_OK;
    }
    if (strncmp(s, "TRYAGAIN", 8) == 0) {
        struct timespec ts = {0, CLUSTER_TRYAGAIN_MS * 1000000L};

        nanosleep(&ts, NULL);
        return ERR_OK;
    }
    return rpool_error_reply(from->pool, reply);
}

static err_t cluster_run(struct cache_resp *r, const char *key, int argc, const char **argv,
                         const size_t *lens, redisReply **out)
{
    struct cache_cluster *cc = (struct cache_cluster *)r;
    unsigned slot = cache_key_slot(key, strlen(key));
    struct cnode *ask = NULL;
    bool reloaded = false;
    err_t err;

    *out = NULL;
    for (int i = 0; i < CLUSTER_MAX_REDIRECTS; i++) {
        unsigned gen = atomic_load(&cc->gen);
        struct cnode *node = ask ? ask : slot_owner(cc, slot);

        if (!node || (err = rpool_command(node->pool, ask != NULL, argc, argv, lens, out))) {
            /* Unknown slot or unreachable owner (failover?): reload the map once. */
            if (reloaded || refresh(cc, gen))
                return ERR_UNAVAILABLE;
            reloaded = true;
            ask = NULL;
            continue;
        }
        ask = NULL;
        if ((*out)->type != REDIS_REPLY_ERROR)
            return ERR_OK;
        err = redirect(cc, *out, node, gen, &ask);
        freeReplyObject(*out);
        *out = NULL;
        if (err)
            return err;
    }
    log_warn("too many redirects for slot %u", slot);
    return ERR_UNAVAILABLE;
}

/* Sends the groups listed in todo[0..n) that the same master owns as one pipeline; groups it
 * answered with a redirect are put back in *left (with *n_left). */
static err_t send_to_owner(struct cache_batch *b, struct cnode *node, const size_t *todo, size_t n,
                           size_t *left, size_t *n_left)
{
    struct resp_pipeline pl;
    bool *moved = arena_zalloc(b->a, (n + 1) * sizeof(*moved));
    err_t err;

    cache_resp_pipeline_build(b, todo, n, &pl);
    err = rpool_pipeline(node->pool, false, pl.n, pl.argc, pl.argv, (const size_t *const *)pl.lens,
                         pl.replies);
    if (err)
        return err;
    cache_resp_pipeline_take(b, todo, n, &pl, moved);
    for (size_t i = 0; i < n; i++)
        if (moved[i])
            left[(*n_left)++] = todo[i];
    return ERR_OK;
}

/* One pass over the pending groups: a pipeline per owning master. Groups whose owner is
 * unknown, unreachable (*unreachable set) or elsewhere stay pending in *pending for the next
 * pass. */
static void batch_pass(struct cache_cluster *cc, struct cache_batch *b, size_t *pending,
                       size_t *n_pending, bool *unreachable)
{
    size_t n = *n_pending, n_left = 0;
    size_t *todo = arena_alloc(b->a, (n + 1) * sizeof(*todo));
    size_t *left = arena_alloc(b->a, (n + 1) * sizeof(*left));
    struct cnode **owner = arena_zalloc(b->a, (n + 1) * sizeof(*owner));
    bool *done = arena_zalloc(b->a, (n + 1) * sizeof(*done));

    for (size_t i = 0; i < n; i++) {
        const char *key = b->cmds[b->groups[pending[i]].first].key;

        owner[i] = slot_owner(cc, cache_key_slot(key, strlen(key)));
        done[i] = owner[i] == NULL;
        if (done[i])
            left[n_left++] = pending[i];
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;

        if (done[i])
            continue;
        for (size_t j = i; j < n; j++) {
            if (!done[j] && owner[j] == owner[i]) {
                todo[k++] = pending[j];
                done[j] = true;
            }
        }
        if (send_to_owner(b, owner[i], todo, k, left, &n_left)) {
            *unreachable = true;
            memcpy(&left[n_left], todo, k * sizeof(*todo));
            n_left += k;
        }
    }
    memcpy(pending, left, n_left * sizeof(*pending));
    *n_pending = n_left;
}

/* Groups are routed by slot and sent as one pipeline per master; after a redirect or an
 * unreachable owner the slot map is reloaded and the remaining groups are sent again. */
static err_t cluster_run_batch(struct cache_resp *r, struct cache_batch *b)
{
    struct cache_cluster *cc = (struct cache_cluster *)r;
    size_t n = b->n_groups;
    size_t *pending = arena_alloc(b->a, (n + 1) * sizeof(*pending));

    n = 0;
    for (size_t i = 0; i < b->n_groups; i++)
        if (b->groups[i].count) /* an empty group has no slot to go to */
            pending[n++] = i;
    for (int pass = 0; pass < CLUSTER_MAX_REDIRECTS; pass++) {
        unsigned gen = atomic_load(&cc->gen);
        bool unreachable = false;

        batch_pass(cc, b, pending, &n, &unreachable);
        if (n == 0)
            return ERR_OK;
        /* an owner that stays unreachable after one map reload is down */
        if ((unreachable && pass > 0) || refresh(cc, gen))
            return ERR_UNAVAILABLE;
    }
    log_warn("a batch kept being redirected");
    return ERR_UNAVAILABLE;
}

static void cluster_destroy(struct cache_resp *r)
{
    struct cache_cluster *cc = (struct cache_cluster *)r;

    for (size_t i = 0; i < cc->n_seeds; i++)
        rpool_free(&cc->seeds[i]);
    for (size_t i = 0; i < atomic_load(&cc->n_nodes); i++) {
        struct cnode *node = atomic_load(&cc->nodes[i]);

        rpool_free(&node->pool);
        free(node->host);
        free(node);
    }
    pthread_mutex_destroy(&cc->map_mu);
    pthread_mutex_destroy(&cc->refresh_mu);
    free(cc->seeds);
    free(cc->password);
    free(cc);
}

static struct cache_cluster *cluster_alloc(const char *password)
{
    struct cache_cluster *cc = xcalloc(1, sizeof(*cc));

    cc->resp.base.ops = &cache_resp_cluster_ops;
    cc->resp.run = cluster_run;
    cc->resp.run_batch = cluster_run_batch;
    cc->resp.destroy = cluster_destroy;
    cc->password = xstrdup(password ? password : "");
    pthread_mutex_init(&cc->map_mu, NULL);
    pthread_mutex_init(&cc->refresh_mu, NULL);
    atomic_init(&cc->gen, 0);
    atomic_init(&cc->n_nodes, 0);
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        atomic_init(&cc->slots[i], (short)-1);
    return cc;
}

err_t cache_cluster_new(char *const *addrs, size_t n_addrs, const char *password,
                        struct cache **out)
{
    struct cache_cluster *cc;

    *out = NULL;
    if (n_addrs == 0) {
        log_error("cache.addrs: a cluster needs at least one seed address");
        return ERR_BAD_REQUEST;
    }
    cache_ignore_sigpipe();
    cc = cluster_alloc(password);
    cc->seeds = xcalloc(n_addrs, sizeof(*cc->seeds));
    for (size_t i = 0; i < n_addrs; i++) {
        char host[CACHE_HOST_MAX];
        int port;

        if (!cache_parse_addr(addrs[i], host, sizeof(host), &port)) {
            log_error("cache.addrs: cannot parse \"%s\"", addrs[i]);
            cluster_destroy(&cc->resp);
            return ERR_BAD_REQUEST;
        }
        cc->seeds[cc->n_seeds++] = rpool_new(host, port, cc->password);
    }
    *out = &cc->resp.base;
    /* Lazy like the reference, but load the map now when we can and say so when we cannot. */
    if (refresh(cc, 0))
        log_warn("redis cluster not reachable at start-up; will retry on use");
    return ERR_OK;
}
