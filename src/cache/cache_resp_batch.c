#define LOG_MODULE "cache.redis"

/* Batches as Redis pipelines, shared by the node and cluster backends: the commands of a batch
 * become argv arrays (MULTI ... EXEC around atomic groups), and the replies are copied into the
 * batch's arena. Which server receives which groups is the backend's business (run_batch). */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cache/cache.h"
#include "cache/cache_int.h"
#include "core/log.h"
#include "core/mem.h"

/* Compare-and-delete, as the lock release of cache_resp.c. */
static const char DEL_IF_EQ_LUA[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) "
    "else return 0 end";

/* Compare-and-swap. */
static const char SET_IF_EQ_LUA[] =
    "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2]) "
    "return 1 else return 0 end";

/* A guarded group as one script: KEYS are the commands' keys in order; ARGV holds, per
 * command, the number of its arguments after the key, its name and those arguments. The
 * replies come back as one array, nil (false) for the commands left out. */
static const char GUARDED_LUA[] = "local out, a = {}, 1 "
                                  "for i = 1, #KEYS do "
                                  "local n = tonumber(ARGV[a]) "
                                  "local argv = {ARGV[a + 1], KEYS[i]} "
                                  "for j = 1, n do argv[j + 2] = ARGV[a + 1 + j] end "
                                  "a = a + 2 + n "
                                  "out[i] = redis.pcall(unpack(argv)) "
                                  "if i == 1 and (out[1] == false or out[1] == 0) then "
                                  "for k = 2, #KEYS do out[k] = false end return out end "
                                  "end return out";

enum { ARGV_MAX = 8 };

struct argv_builder {
    struct arena *a;
    int argc;
    const char **argv;
    size_t *lens;
};

static void push(struct argv_builder *ab, const char *s, size_t len)
{
    ab->argv[ab->argc] = s;
    ab->lens[ab->argc++] = len;
}

static void push_str(struct argv_builder *ab, const char *s)
{
    push(ab, s, strlen(s));
}

static void push_int(struct argv_builder *ab, int64_t v)
{
    push_str(ab, arena_printf(ab->a, "%" PRId64, v));
}

/* The name and the arguments after the key of each kind. */
static void push_args(struct argv_builder *ab, const struct cache_cmd *c)
{
    switch (c->kind) {
    case CK_SET:
    case CK_GETSET:
        push(ab, c->val, c->len);
        if (c->kind == CK_GETSET)
            push_str(ab, "GET");
        if (c->kind == CK_SET && c->n1 > 0) {
            push_str(ab, "PX");
            push_int(ab, c->n1);
        }
        break;
    case CK_DEL_IF_EQ:
        push(ab, c->val, c->len);
        break;
    case CK_SET_IF_EQ:
        push_str(ab, c->arg);
        push(ab, c->val, c->len);
        break;
    case CK_INCRBY:
    case CK_PEXPIRE:
        push_int(ab, c->n1);
        break;
    case CK_HSET:
        push_str(ab, c->arg);
        push(ab, c->val, c->len);
        break;
    case CK_HINCRBY:
        push_str(ab, c->arg);
        push_int(ab, c->n1);
        break;
    case CK_ZADD:
    case CK_ZADD_XX:
        if (c->kind == CK_ZADD_XX)
            push_str(ab, "XX");
        push_str(ab, "CH");
        push_int(ab, c->n1);
        push_str(ab, c->arg);
        break;
    case CK_ZRANGE_UPTO:
        push_str(ab, "-inf");
        push_int(ab, c->n1);
        push_str(ab, "LIMIT");
        push_str(ab, "0");
        push_int(ab, c->n2);
        break;
    case CK_ZREVRANGE:
        push_int(ab, c->n1);
        push_int(ab, c->n2);
        break;
    case CK_HGET:
    case CK_HDEL:
    case CK_SADD:
    case CK_SREM:
    case CK_ZREM:
    case CK_ZSCORE:
        push_str(ab, c->arg);
        break;
    default:
        break;
    }
}

static const char *const CMD_NAMES[] = {
    [CK_GET] = "GET",
    [CK_SET] = "SET",
    [CK_GETSET] = "SET",
    [CK_DEL] = "DEL",
    [CK_DEL_IF_EQ] = NULL,
    [CK_SET_IF_EQ] = NULL,
    [CK_INCRBY] = "INCRBY",
    [CK_PEXPIRE] = "PEXPIRE",
    [CK_HGET] = "HGET",
    [CK_HSET] = "HSET",
    [CK_HINCRBY] = "HINCRBY",
    [CK_HDEL] = "HDEL",
    [CK_HGETALL] = "HGETALL",
    [CK_SADD] = "SADD",
    [CK_SREM] = "SREM",
    [CK_SMEMBERS] = "SMEMBERS",
    [CK_ZADD] = "ZADD",
    [CK_ZADD_XX] = "ZADD",
    [CK_ZREM] = "ZREM",
    [CK_ZCARD] = "ZCARD",
    [CK_ZSCORE] = "ZSCORE",
    [CK_ZRANGE_UPTO] = "ZRANGEBYSCORE",
    [CK_ZREVRANGE] = "ZREVRANGE",
};

static void build_cmd(struct arena *a, const struct cache_cmd *c, struct resp_pipeline *pl)
{
    struct argv_builder ab = {.a = a,
                              .argv = arena_alloc(a, ARGV_MAX * sizeof(char *)),
                              .lens = arena_alloc(a, ARGV_MAX * sizeof(size_t))};

    if (c->kind == CK_DEL_IF_EQ || c->kind == CK_SET_IF_EQ) {
        push_str(&ab, "EVAL");
        push_str(&ab, c->kind == CK_DEL_IF_EQ ? DEL_IF_EQ_LUA : SET_IF_EQ_LUA);
        push_str(&ab, "1");
    } else {
        push_str(&ab, CMD_NAMES[c->kind]);
    }
    push_str(&ab, c->key);
    push_args(&ab, c);
    pl->argc[pl->n] = ab.argc;
    pl->argv[pl->n] = ab.argv;
    pl->lens[pl->n++] = ab.lens;
}

static void build_word(struct arena *a, const char *word, struct resp_pipeline *pl)
{
    const char **argv = arena_alloc(a, sizeof(char *));
    size_t *lens = arena_alloc(a, sizeof(size_t));

    argv[0] = word;
    lens[0] = strlen(word);
    pl->argc[pl->n] = 1;
    pl->argv[pl->n] = argv;
    pl->lens[pl->n++] = lens;
}

/* One EVAL of GUARDED_LUA carrying every command of the group. */
static void build_guarded(struct arena *a, struct cache_batch *b, const struct cache_group *g,
                          struct resp_pipeline *pl)
{
    struct resp_pipeline one = {.argc = arena_alloc(a, g->count * sizeof(int)),
                                .argv = arena_alloc(a, g->count * sizeof(char **)),
                                .lens = arena_alloc(a, g->count * sizeof(size_t *))};
    int total = 3;
    for (size_t k = 0; k < g->count; k++) {
        build_cmd(a, &b->cmds[g->first + k], &one);
        total += 1 + one.argc[k]; /* its key among KEYS; its count, name and args in ARGV */
    }
    struct argv_builder ab = {.a = a,
                              .argv = arena_alloc(a, (size_t)total * sizeof(char *)),
                              .lens = arena_alloc(a, (size_t)total * sizeof(size_t))};
    push_str(&ab, "EVAL");
    push_str(&ab, GUARDED_LUA);
    push_int(&ab, (int64_t)g->count);
    for (size_t k = 0; k < g->count; k++)
        push(&ab, one.argv[k][1], one.lens[k][1]);
    for (size_t k = 0; k < g->count; k++) {
        push_int(&ab, one.argc[k] - 2);
        push(&ab, one.argv[k][0], one.lens[k][0]);
        for (int j = 2; j < one.argc[k]; j++)
            push(&ab, one.argv[k][j], one.lens[k][j]);
    }
    pl->argc[pl->n] = ab.argc;
    pl->argv[pl->n] = ab.argv;
    pl->lens[pl->n++] = ab.lens;
}

void cache_resp_pipeline_build(struct cache_batch *b, const size_t *groups, size_t n_groups,
                               struct resp_pipeline *pl)
{
    size_t max = 0;

    for (size_t i = 0; i < n_groups; i++)
        max += b->groups[groups[i]].count + 2;
    pl->n = 0;
    pl->argc = arena_alloc(b->a, max * sizeof(*pl->argc));
    pl->argv = arena_alloc(b->a, max * sizeof(*pl->argv));
    pl->lens = arena_alloc(b->a, max * sizeof(*pl->lens));
    pl->replies = arena_zalloc(b->a, max * sizeof(*pl->replies));
    for (size_t i = 0; i < n_groups; i++) {
        const struct cache_group *g = &b->groups[groups[i]];

        if (g->guarded) {
            build_guarded(b->a, b, g, pl);
            continue;
        }
        if (g->atomic)
            build_word(b->a, "MULTI", pl);
        for (size_t k = g->first; k < g->first + g->count; k++)
            build_cmd(b->a, &b->cmds[k], pl);
        if (g->atomic)
            build_word(b->a, "EXEC", pl);
    }
}

static void copy_reply(struct arena *a, const redisReply *r, struct cache_reply *out)
{
    memset(out, 0, sizeof(*out));
    if (!r)
        return; /* nil */
    switch (r->type) {
    case REDIS_REPLY_INTEGER:
        out->type = CACHE_REPLY_INT;
        out->integer = r->integer;
        break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        out->type = r->type == REDIS_REPLY_ERROR ? CACHE_REPLY_ERROR : CACHE_REPLY_STR;
        out->str = arena_strndup(a, r->str ? r->str : "", (size_t)r->len);
        out->len = (size_t)r->len;
        break;
    case REDIS_REPLY_ARRAY:
        out->type = CACHE_REPLY_ARRAY;
        out->n = r->elements;
        out->elem = arena_zalloc(a, (r->elements + 1) * sizeof(*out->elem));
        for (size_t i = 0; i < r->elements; i++)
            copy_reply(a, r->element[i], &out->elem[i]);
        break;
    default:
        out->type = CACHE_REPLY_NIL;
        break;
    }
}

/* An error reply that means "this slot is served elsewhere right now". */
static bool is_redirect(const redisReply *r)
{
    static const char *const words[] = {"MOVED ", "ASK ", "TRYAGAIN", "CLUSTERDOWN", "EXECABORT"};

    if (!r || r->type != REDIS_REPLY_ERROR || !r->str)
        return r == NULL;
    for (size_t i = 0; i < ARRAY_LEN(words); i++)
        if (strncasecmp(r->str, words[i], strlen(words[i])) == 0)
            return true;
    return false;
}

/* Takes the replies of an atomic group: +OK, +QUEUED..., then EXEC's array. */
static bool take_atomic(struct cache_batch *b, const struct cache_group *g, redisReply **r)
{
    const redisReply *exec = r[g->count + 1];

    for (size_t k = 0; k <= g->count + 1; k++)
        if (is_redirect(r[k]))
            return false;
    if (!exec || exec->type != REDIS_REPLY_ARRAY || exec->elements != g->count) {
        for (size_t k = 0; k < g->count; k++)
            copy_reply(b->a, exec, &b->replies[g->first + k]);
        return true;
    }
    for (size_t k = 0; k < g->count; k++)
        copy_reply(b->a, exec->element[k], &b->replies[g->first + k]);
    return true;
}

/* Takes the replies of a guarded group: the script's array, or one error for all. */
static bool take_guarded(struct cache_batch *b, const struct cache_group *g, const redisReply *r)
{
    if (is_redirect(r))
        return false;
    bool whole = r->type == REDIS_REPLY_ARRAY && r->elements == g->count;
    for (size_t k = 0; k < g->count; k++)
        copy_reply(b->a, whole ? r->element[k] : r, &b->replies[g->first + k]);
    return true;
}

void cache_resp_pipeline_take(struct cache_batch *b, const size_t *groups, size_t n_groups,
                              struct resp_pipeline *pl, bool *redirected)
{
    size_t at = 0;

    for (size_t i = 0; i < n_groups; i++) {
        const struct cache_group *g = &b->groups[groups[i]];
        bool moved = false;

        if (g->guarded) {
            moved = !take_guarded(b, g, pl->replies[at]);
            at++;
        } else if (g->atomic) {
            moved = !take_atomic(b, g, &pl->replies[at]);
            at += g->count + 2;
        } else {
            for (size_t k = 0; k < g->count; k++, at++) {
                moved = moved || is_redirect(pl->replies[at]);
                copy_reply(b->a, pl->replies[at], &b->replies[g->first + k]);
            }
        }
        if (redirected)
            redirected[i] = moved;
    }
    for (size_t k = 0; k < pl->n; k++)
        if (pl->replies[k])
            freeReplyObject(pl->replies[k]);
}

err_t cache_resp_batch_status(const struct cache_batch *b)
{
    static const char *const down[] = {"LOADING",   "CLUSTERDOWN", "MASTERDOWN", "NOAUTH",
                                       "WRONGPASS", "BUSY",        "TRYAGAIN",   "READONLY",
                                       "MOVED ",    "ASK "};

    for (size_t i = 0; i < b->n; i++) {
        const struct cache_reply *r = &b->replies[i];

        for (size_t k = 0; r->type == CACHE_REPLY_ERROR && k < ARRAY_LEN(down); k++) {
            if (strncasecmp(r->str, down[k], strlen(down[k])) == 0) {
                log_warn("redis unavailable during a batch: %s", r->str);
                return ERR_UNAVAILABLE;
            }
        }
    }
    return ERR_OK;
}
