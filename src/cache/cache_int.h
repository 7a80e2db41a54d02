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

/* One command of a batch, as built by the cache_batch_* functions. */
enum cache_cmd_kind {
    CK_GET,
    CK_SET,
    CK_GETSET,
    CK_DEL,
    CK_DEL_IF_EQ,
    CK_SET_IF_EQ,
    CK_INCRBY,
    CK_PEXPIRE,
    CK_HGET,
    CK_HSET,
    CK_HINCRBY,
    CK_HDEL,
    CK_HGETALL,
    CK_SADD,
    CK_SREM,
    CK_SMEMBERS,
    CK_ZADD,
    CK_ZADD_XX,
    CK_ZREM,
    CK_ZCARD,
    CK_ZSCORE,
    CK_ZRANGE_UPTO,
    CK_ZREVRANGE,
};

struct cache_cmd {
    enum cache_cmd_kind kind;
    const char *key;
    const char *arg; /* field or member */
    const char *val; /* value bytes (len) */
    size_t len;
    int64_t n1, n2; /* delta, ttl, score, range bounds */
};

struct cache_group {
    size_t first, count; /* commands [first, first + count) */
    bool atomic;
    bool guarded; /* atomic, and the first command decides whether the others run */
};

struct cache_batch {
    struct arena *a;
    struct cache_cmd *cmds;
    size_t n, cap;
    struct cache_group *groups;
    size_t n_groups, cap_groups;
    struct cache_reply *replies; /* n, filled by the backend */
};

/* Checks that every group's keys share one slot; ERR_BAD_REQUEST (logged) otherwise. */
err_t cache_batch_check_slots(const struct cache_batch *b) MUST_USE;

/* Checks the slots and makes room for the replies: what every run of b starts with. */
err_t cache_batch_prepare(struct cache_batch *b) MUST_USE;

/* Sends several commands on one connection and reads all their replies (pipelining): n
 * commands, argc[i] / argv[i] / lens[i] each; replies[i] (freed by the caller with
 * freeReplyObject) may be error replies. `asking` prefixes the pipeline with ASKING. Same
 * retry and error rules as rpool_command. */
err_t rpool_pipeline(struct rpool *p, bool asking, size_t n, const int *argc,
                     const char **const *argv, const size_t *const *lens,
                     redisReply **replies) MUST_USE;

/* The near cache of a single Redis node (cache_near.c): replies of hot reads kept in process,
 * dropped when Redis reports their key changed (client-side caching). */
struct cache_near;
struct near_ticket;

/* Starts the tracking session's listener for host:port (retried while Redis is away). */
struct cache_near *cache_near_new(const char *host, int port, const char *password);

/* Stops the listener and frees everything; accepts NULL and NULLs the pointer. */
void cache_near_free(struct cache_near **np);

/* Fills b->replies from memory when every command of b is a held read and no invalidation is
 * pending; false otherwise (b untouched). NULL n: false. */
bool cache_near_serve(struct cache_near *n, struct cache_batch *b);

/* Before b is sent: what cache_near_keep needs to tell whether a reply is still current
 * (arena memory; NULL when the near cache is off). */
struct near_ticket *cache_near_begin(struct cache_near *n, const struct cache_batch *b);

/* After b's replies arrived: keeps those of cacheable reads whose key did not change since the
 * ticket was taken. Accepts NULL n or t. */
void cache_near_keep(struct cache_near *n, const struct near_ticket *t,
                     const struct cache_batch *b);

/* True while invalidations flow (a served read is then current). */
bool cache_near_active(const struct cache_near *n);

/* Fills out (left zero for a NULL n). */
void cache_near_read_stats(struct cache_near *n, struct cache_near_stats *out);

/* The Redis backends share the operation layer of cache_resp.c; each supplies `run`, which
 * routes a command (by `key`) and returns a non-error reply or an err_t. */
struct bulkhead;

struct cache_resp {
    struct cache base;
    err_t (*run)(struct cache_resp *r, const char *key, int argc, const char **argv,
                 const size_t *lens, redisReply **out);
    /* Runs every group of b, filling b->replies: one pipeline per server. */
    err_t (*run_batch)(struct cache_resp *r, struct cache_batch *b);
    void (*destroy)(struct cache_resp *r);
    /* bounds the callers inside Redis at once; NULL = unbounded (cache_resp_limit) */
    struct bulkhead *bulkhead;
    struct cache_near *near; /* single node with the near cache on, else NULL */
};

/* Bounds a Redis backend's concurrent callers to `limit` (0 = unbounded), each waiting at most
 * wait_ms (and its request's deadline) for a slot: past that, ERR_UNAVAILABLE at once. */
void cache_resp_limit(struct cache *c, int64_t limit, int64_t wait_ms);

/* The vtables of the two Redis backends: every operation is implemented once, on top of
 * r->run; they differ only in their name. */
extern const struct cache_ops cache_resp_node_ops;

/* The commands of a set of groups as one pipeline for one server: MULTI ... EXEC around atomic
 * groups. Built by cache_resp_pipeline_build, consumed by cache_resp_pipeline_take. */
struct resp_pipeline {
    size_t n; /* commands sent */
    int *argc;
    const char ***argv;
    size_t **lens;
    redisReply **replies;
};

/* Builds the pipeline of groups[0..n_groups) of b (arena memory). */
void cache_resp_pipeline_build(struct cache_batch *b, const size_t *groups, size_t n_groups,
                               struct resp_pipeline *pl);

/* Copies the replies of a sent pipeline into b->replies and frees them. *redirected (may be
 * NULL) lists, per group, whether it must be re-sent elsewhere (MOVED, ASK, TRYAGAIN or an
 * aborted MULTI); such a group's replies are left unset. */
void cache_resp_pipeline_take(struct cache_batch *b, const size_t *groups, size_t n_groups,
                              struct resp_pipeline *pl, bool *redirected);

/* ERR_UNAVAILABLE when a reply of b says the server cannot serve now (LOADING, CLUSTERDOWN,
 * an unresolved redirect...), else ERR_OK; refusals such as WRONGTYPE stay in their replies. */
err_t cache_resp_batch_status(const struct cache_batch *b) MUST_USE;
extern const struct cache_ops cache_resp_cluster_ops;

#endif
