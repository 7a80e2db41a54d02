#define LOG_MODULE "cache.redis"

/* The single-node Redis backend (`cache.type: node`): one connection pool to `cache.addr`. */

#include <stdlib.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "core/log.h"
#include "core/mem.h"

struct cache_node {
    struct cache_resp resp;
    struct rpool *pool;
    char *password;
};

static err_t node_run(struct cache_resp *r, const char *key, int argc, const char **argv,
                      const size_t *lens, redisReply **out)
{
    struct cache_node *n = (struct cache_node *)r;
    err_t err;

    (void)key;
    err = rpool_command(n->pool, false, argc, argv, lens, out);
    if (!err && (*out)->type == REDIS_REPLY_ERROR) {
        err = rpool_error_reply(n->pool, *out);
        freeReplyObject(*out);
        *out = NULL;
    }
    return err;
}

/* The whole batch in one pipeline on the node's connection. */
static err_t node_run_batch(struct cache_resp *r, struct cache_batch *b)
{
    struct cache_node *n = (struct cache_node *)r;
    struct resp_pipeline pl;
    size_t *groups = arena_alloc(b->a, (b->n_groups + 1) * sizeof(*groups));
    err_t err;

    for (size_t i = 0; i < b->n_groups; i++)
        groups[i] = i;
    cache_resp_pipeline_build(b, groups, b->n_groups, &pl);
    err = rpool_pipeline(n->pool, false, pl.n, pl.argc, pl.argv, (const size_t *const *)pl.lens,
                         pl.replies);
    if (!err)
        cache_resp_pipeline_take(b, groups, b->n_groups, &pl, NULL);
    return err;
}

static void node_destroy(struct cache_resp *r)
{
    struct cache_node *n = (struct cache_node *)r;

    cache_near_free(&n->resp.near);
    rpool_free(&n->pool);
    free(n->password);
    free(n);
}

err_t cache_redis_new(const char *addr, const char *password, struct cache **out)
{
    char host[CACHE_HOST_MAX];
    int port;
    struct cache_node *n;

    *out = NULL;
    if (!cache_parse_addr(addr, host, sizeof(host), &port)) {
        log_error("cache.addr: cannot parse \"%s\"", addr);
        return ERR_BAD_REQUEST;
    }
    cache_ignore_sigpipe();
    n = xcalloc(1, sizeof(*n));
    n->resp.base.ops = &cache_resp_node_ops;
    n->resp.run = node_run;
    n->resp.run_batch = node_run_batch;
    n->resp.destroy = node_destroy;
    n->pool = rpool_new(host, port, password);
    n->password = xstrdup(password ? password : "");
    *out = &n->resp.base;
    /* Connections are lazy (as in the reference), but an outage is worth a line at start-up. */
    if (cache_ping(*out))
        log_warn("redis %s not reachable at start-up; will retry on use", rpool_addr(n->pool));
    return ERR_OK;
}

/* The near cache of c when c is a single node that has one, else NULL. */
static struct cache_near *near_of(const struct cache *c)
{
    return c->ops == &cache_resp_node_ops ? ((const struct cache_node *)c)->resp.near : NULL;
}

void cache_near_enable(struct cache *c)
{
    char host[CACHE_HOST_MAX];
    int port;
    struct cache_node *n = (struct cache_node *)c;

    if (c->ops != &cache_resp_node_ops || n->resp.near ||
        !cache_parse_addr(rpool_addr(n->pool), host, sizeof(host), &port))
        return;
    n->resp.near = cache_near_new(host, port, n->password);
}

bool cache_near_on(const struct cache *c)
{
    return cache_near_active(near_of(c));
}

void cache_near_stats(const struct cache *c, struct cache_near_stats *out)
{
    *out = (struct cache_near_stats){0};
    cache_near_read_stats(near_of(c), out);
}

bool cache_near_serve_only(struct cache *c, struct cache_batch *b)
{
    struct cache_near *n = near_of(c);
    return n && cache_batch_prepare(b) == ERR_OK && cache_near_serve(n, b);
}
