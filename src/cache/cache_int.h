#ifndef QNLIVE_CACHE_CACHE_INT_H
#define QNLIVE_CACHE_CACHE_INT_H

/* Internals shared by the cache backends (not for use outside src/cache and its tests). */

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/cache.h"

enum {
    CACHE_CONNECT_TIMEOUT_MS = 2000,
    CACHE_COMMAND_TIMEOUT_MS = 3000,
    CACHE_HOST_MAX = 256,
    CACHE_SLOTS = 16384,
};

/* Milliseconds on the monotonic clock. */
int64_t cache_now_ms(void);

/* Splits "host:port" or "[v6]:port" (":port" and "" mean localhost) into host and port.
 * Returns false on anything unparsable. */
bool cache_parse_addr(const char *addr, char *host, size_t hostlen, int *port);

/* The Redis Cluster hash slot of a key (CRC16/XMODEM mod 16384), honouring {hash tags}. */
unsigned cache_key_slot(const char *key, size_t len);

/* Ignores SIGPIPE when it has its default disposition (hiredis writes with write(2)). */
void cache_ignore_sigpipe(void);

/* A pool of connections to one Redis server. Each command takes an idle connection (or makes a
 * new one), so concurrent callers never share one; it goes back to the pool afterwards. */
struct rpool;

/* Creates a pool for host:port; no connection is made yet. `password` ("" = none) is copied. */
struct rpool *rpool_new(const char *host, int port, const char *password);

/* Closes every idle connection and frees the pool; accepts NULL and NULLs *pp. */
void rpool_free(struct rpool **pp);

/* "host:port" of the pool (borrowed). */
const char *rpool_addr(const struct rpool *p);

/* Sends one command, preceded by ASKING when `asking`, and returns its reply (the caller frees
 * it with freeReplyObject; error replies are returned as replies). A connection error on a
 * pooled connection is retried once on a fresh one. Returns ERR_UNAVAILABLE when the server
 * cannot be reached or times out. */
err_t rpool_command(struct rpool *p, bool asking, int argc, const char **argv, const size_t *lens,
                    redisReply **out) MUST_USE;

/* Maps an error reply that needs no redirect handling: LOADING, CLUSTERDOWN, MASTERDOWN,
 * NOAUTH and similar are ERR_UNAVAILABLE, anything else ERR_INTERNAL. Logs it. */
err_t rpool_error_reply(const struct rpool *p, const redisReply *reply);

/* The Redis backends share the operation layer of cache_resp.c; each supplies `run`, which
 * routes a command (by `key`) and returns a non-error reply or an err_t. */
struct cache_resp {
    struct cache base;
    err_t (*run)(struct cache_resp *r, const char *key, int argc, const char **argv,
                 const size_t *lens, redisReply **out);
    void (*destroy)(struct cache_resp *r);
};

/* The vtables of the two Redis backends: every operation is implemented once, on top of
 * r->run; they differ only in their name. */
extern const struct cache_ops cache_resp_node_ops;
extern const struct cache_ops cache_resp_cluster_ops;

#endif
