#define LOG_MODULE "config"
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"

/* Loading runs in four passes over a small generic tree: parse each YAML document (libyaml
 * events), merge the overlay into the main tree, check every key against the schema table, then
 * fill struct conf from the table and apply the few cross-field rules the table cannot express.
 * The tree is thrown away afterwards; struct conf owns copies of everything it keeps. */

enum { CONF_FILE_MAX = 4 << 20, YAML_DEPTH_MAX = 32 };

/* ------------------------------------------------------------------------------------------ */
/* Generic tree */

enum node_kind { NODE_NULL, NODE_SCALAR, NODE_LIST, NODE_MAP };

struct node {
    enum node_kind kind;
    char *key;          /* set when the node is the value of a map entry */
    char *text;         /* scalar text */
    const char *file;   /* name of the document the node came from, for messages */
    int line;           /* 1-based */
    struct node **kids; /* list items or map values */
    size_t n, cap;
};

struct loader {
    char *errbuf;
    size_t errlen;
    const char *name; /* main document: messages about absent keys name it */
};

static void node_free(struct node *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++)
        node_free(n->kids[i]);
    free(n->kids);
    free(n->key);
    free(n->text);
    free(n);
}

static void node_add(struct node *parent, struct node *kid)
{
    if (parent->n == parent->cap) {
        parent->cap = parent->cap ? parent->cap * 2 : 8;
        parent->kids = xrealloc(parent->kids, parent->cap * sizeof(*parent->kids));
    }
    parent->kids[parent->n++] = kid;
}

/* Index of `key` (first klen bytes) in a map, matched case-insensitively as viper does. */
static ssize_t map_find(const struct node *map, const char *key, size_t klen)
{
    for (size_t i = 0; i < map->n; i++) {
        const char *k = map->kids[i]->key;
        if (strlen(k) == klen && strncasecmp(k, key, klen) == 0)
            return (ssize_t)i;
    }
    return -1;
}

/* The node at a dotted path, or NULL when any step is absent, not a map, or the leaf is null. */
static const struct node *lookup(const struct node *root, const char *path)
{
    const struct node *n = root;
    while (n && n->kind == NODE_MAP) {
        size_t len = strcspn(path, ".");
        ssize_t i = map_find(n, path, len);
        n = i < 0 ? NULL : n->kids[i];
        if (!path[len])
            return n && n->kind != NODE_NULL ? n : NULL;
        path += len + 1;
    }
    return NULL;
}

/* Formats "file: key: reason (line N)" into the caller's buffer; returns ERR_BAD_REQUEST. */
static err_t failf(struct loader *ld, const struct node *at, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static err_t failf(struct loader *ld, const struct node *at, const char *key, const char *fmt, ...)
{
    char reason[512];
    char line[32] = "";
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (at && at->line > 0)
        snprintf(line, sizeof(line), " (line %d)", at->line);
    if (ld->errbuf && ld->errlen)
        snprintf(ld->errbuf, ld->errlen, "%s: %s%s%s%s", at ? at->file : ld->name, key ? key : "",
                 key ? ": " : "", reason, line);
    return ERR_BAD_REQUEST;
}

/* ------------------------------------------------------------------------------------------ */
/* YAML parsing (libyaml event API) */

struct yreader {
    yaml_parser_t p;
    struct loader *ld;
    const char *name;
};

static err_t yaml_fail(struct yreader *y)
{
    const yaml_mark_t *m = y->p.problem ? &y->p.problem_mark : &y->p.context_mark;
    if (y->ld->errbuf && y->ld->errlen)
        snprintf(y->ld->errbuf, y->ld->errlen, "%s: line %zu column %zu: %s%s%s", y->name,
                 m->line + 1, m->column + 1, y->p.problem ? y->p.problem : "invalid YAML",
                 y->p.context ? " " : "", y->p.context ? y->p.context : "");
    return ERR_BAD_REQUEST;
}

static err_t next_event(struct yreader *y, yaml_event_t *ev)
{
    return yaml_parser_parse(&y->p, ev) ? ERR_OK : yaml_fail(y);
}

static struct node *node_new(struct yreader *y, enum node_kind kind, const yaml_event_t *ev)
{
    struct node *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->file = y->name;
    n->line = (int)ev->start_mark.line + 1;
    return n;
}

/* Plain `~`, `null` and empty values are YAML nulls: the key counts as absent (as in viper). */
static struct node *scalar_node(struct yreader *y, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    bool is_null = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
                   (!*v || !strcmp(v, "~") || !strcasecmp(v, "null"));
    struct node *n = node_new(y, is_null ? NODE_NULL : NODE_SCALAR, ev);
    n->text = xstrdup(v);
    return n;
}

static err_t parse_value(struct yreader *y, const yaml_event_t *ev, int depth, struct node **out);

static err_t parse_list(struct yreader *y, const yaml_event_t *start, int depth, struct node **out)
{
    struct node *list = node_new(y, NODE_LIST, start);
    yaml_event_t ev;
    err_t err;

    while (!(err = next_event(y, &ev))) {
        struct node *item = NULL;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        err = parse_value(y, &ev, depth + 1, &item);
        yaml_event_delete(&ev);
        if (err)
            break;
        node_add(list, item);
    }
    if (err)
        node_free(list);
    else
        *out = list;
    return err;
}

/* Reads one `key: value` entry after its key event; rejects duplicate keys (any case). */
static err_t parse_entry(struct yreader *y, struct node *map, const yaml_event_t *kev, int depth)
{
    const char *key = (const char *)kev->data.scalar.value;
    struct node *val = NULL;
    yaml_event_t ev;
    err_t err;

    if (map_find(map, key, strlen(key)) >= 0) {
        struct node at = {.file = y->name, .line = (int)kev->start_mark.line + 1};
        return failf(y->ld, &at, key, "duplicate key");
    }
    err = next_event(y, &ev);
    if (err)
        return err;
    err = parse_value(y, &ev, depth + 1, &val);
    yaml_event_delete(&ev);
    if (err)
        return err;
    val->key = xstrdup(key);
    val->line = (int)kev->start_mark.line + 1; /* a block map or list starts a line later */
    node_add(map, val);
    return ERR_OK;
}

static err_t parse_map(struct yreader *y, const yaml_event_t *start, int depth, struct node **out)
{
    struct node *map = node_new(y, NODE_MAP, start);
    yaml_event_t ev;
    err_t err;

    while (!(err = next_event(y, &ev))) {
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        if (ev.type != YAML_SCALAR_EVENT) {
            struct node at = {.file = y->name, .line = (int)ev.start_mark.line + 1};
            yaml_event_delete(&ev);
            err = failf(y->ld, &at, NULL, "map keys must be plain strings");
            break;
        }
        err = parse_entry(y, map, &ev, depth);
        yaml_event_delete(&ev);
        if (err)
            break;
    }
    if (err)
        node_free(map);
    else
        *out = map;
    return err;
}

static err_t parse_value(struct yreader *y, const yaml_event_t *ev, int depth, struct node **out)
{
    struct node at = {.file = y->name, .line = (int)ev->start_mark.line + 1};

    if (depth > YAML_DEPTH_MAX)
        return failf(y->ld, &at, NULL, "nesting deeper than %d levels", YAML_DEPTH_MAX);
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        *out = scalar_node(y, ev);
        return ERR_OK;
    case YAML_SEQUENCE_START_EVENT:
        return parse_list(y, ev, depth, out);
    case YAML_MAPPING_START_EVENT:
        return parse_map(y, ev, depth, out);
    case YAML_ALIAS_EVENT:
        return failf(y->ld, &at, NULL, "YAML aliases are not supported");
    default:
        return failf(y->ld, &at, NULL, "unexpected YAML content");
    }
}

/* Consumes one event and checks its type. */
static err_t expect_event(struct yreader *y, yaml_event_type_t type, const char *what)
{
    yaml_event_t ev;
    err_t err = next_event(y, &ev);

    if (err)
        return err;
    if (ev.type != type) {
        struct node at = {.file = y->name, .line = (int)ev.start_mark.line + 1};
        err = failf(y->ld, &at, NULL, "%s", what);
    }
    yaml_event_delete(&ev);
    return err;
}

/* Parses the body of a stream after STREAM_START: zero or one document. */
static err_t parse_stream(struct yreader *y, struct node **root)
{
    yaml_event_t ev;
    err_t err = next_event(y, &ev);

    if (err || ev.type == YAML_STREAM_END_EVENT) {
        if (!err)
            yaml_event_delete(&ev);
        return err;
    }
    yaml_event_delete(&ev); /* DOCUMENT_START */
    err = next_event(y, &ev);
    if (err)
        return err;
    err = parse_value(y, &ev, 0, root);
    yaml_event_delete(&ev);
    if (!err)
        err = expect_event(y, YAML_DOCUMENT_END_EVENT, "unexpected content after the document");
    if (!err)
        err = expect_event(y, YAML_STREAM_END_EVENT, "only one YAML document is allowed");
    return err;
}

/* Parses a whole YAML text into a tree whose root is a map (an empty document gives {}). */
static err_t parse_doc(struct loader *ld, const char *text, const char *name, struct node **out)
{
    struct yreader y = {.ld = ld, .name = name};
    struct node *root = NULL;
    err_t err;

    if (!yaml_parser_initialize(&y.p))
        return failf(ld, NULL, NULL, "cannot initialise the YAML parser");
    yaml_parser_set_input_string(&y.p, (const unsigned char *)text, strlen(text));
    err = expect_event(&y, YAML_STREAM_START_EVENT, "not a YAML stream");
    if (!err)
        err = parse_stream(&y, &root);
    yaml_parser_delete(&y.p);
    if (!err && root && root->kind != NODE_MAP && root->kind != NODE_NULL) {
        struct node at = {.file = name, .line = root->line};
        err = failf(ld, &at, NULL, "the top level must be a map of sections");
    }
    if (!err && (!root || root->kind == NODE_NULL)) {
        node_free(root);
        root = xcalloc(1, sizeof(*root));
        root->kind = NODE_MAP;
        root->file = name;
    }
    if (err)
        node_free(root);
    else
        *out = root;
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* Overlay merge (viper MergeConfig semantics) */

/* Moves every entry of src into dst: maps merge recursively, anything else replaces; a non-map
 * over a map is dropped with a warning, as the reference does. Consumes src. */
static void merge(struct node *dst, struct node *src)
{
    for (size_t i = 0; i < src->n; i++) {
        struct node *s = src->kids[i];
        ssize_t j = map_find(dst, s->key, strlen(s->key));
        struct node *d = j < 0 ? NULL : dst->kids[j];

        if (!d) {
            node_add(dst, s);
        } else if (d->kind == NODE_MAP && s->kind == NODE_MAP) {
            merge(d, s);
        } else if (d->kind == NODE_MAP) {
            log_warn("%s: line %d: '%s' is not a map; overlay value ignored", s->file, s->line,
                     s->key);
            node_free(s);
        } else {
            node_free(d);
            dst->kids[j] = s;
        }
    }
    free(src->kids);
    free(src->key);
    free(src->text);
    free(src);
}

/* ------------------------------------------------------------------------------------------ */
/* ${VAR} expansion */

static bool valid_var_name(const char *s, size_t n)
{
    if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

/* Replaces ${NAME} with the environment value and $$ with $; a lone $ stays as it is.
 * An unset variable is an error naming the key, so a missing secret fails fast. */
static err_t expand(struct loader *ld, const struct node *n, const char *key, char **out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    err_t err = ERR_OK;

    if (!m)
        return failf(ld, n, key, "out of memory");
    for (const char *p = n->text; *p && !err;) {
        if (p[0] != '$' || (p[1] != '$' && p[1] != '{')) {
            fputc(*p++, m);
            continue;
        }
        if (p[1] == '$') {
            fputc('$', m);
            p += 2;
            continue;
        }
        size_t nlen = strcspn(p + 2, "}");
        if (p[2 + nlen] != '}' || !valid_var_name(p + 2, nlen)) {
            err = failf(ld, n, key, "bad variable reference (use ${NAME}, or $$ for a dollar)");
            break;
        }
        char *name = xstrndup(p + 2, nlen);
        const char *v = getenv(name);
        if (v)
            fputs(v, m);
        else
            err = failf(ld, n, key, "environment variable %s is not set", name);
        free(name);
        p += nlen + 3;
    }
    fclose(m);
    if (err)
        free(buf);
    else
        *out = buf;
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* Schema */

enum ftype { FT_STR, FT_INT, FT_BOOL, FT_LIST, FT_DBS, FT_IGNORED };

enum {
    FL_REQ = 1 << 0,    /* non-empty whenever its section is present (or mandatory) */
    FL_SECRET = 1 << 1, /* masked by conf_dump */
};

struct field {
    const char *path; /* dotted, lower case; relative to the list item for mysql.databases */
    enum ftype type;
    unsigned flags;
    size_t off;        /* of the value in struct conf (or struct conf_db) */
    size_t count_off;  /* FT_LIST: of the size_t item count */
    const char *def_s; /* FT_STR default; an empty value also takes it */
    int64_t def_i, min, max;
    const char *choices; /* FT_STR: allowed non-empty values, "a|b|c" */
    const char *hint;    /* appended to "missing required value" */
};

/* clang-format off */
#define C(m) offsetof(struct conf, m)
#define D(m) offsetof(struct conf_db, m)
#define F_STR(p, o, def, fl) {.path = p, .type = FT_STR, .off = o, .def_s = def, .flags = fl}
#define F_ENUM(p, o, def, ch, fl)                                                                  \
    {.path = p, .type = FT_STR, .off = o, .def_s = def, .choices = ch, .flags = fl}
#define F_INT(p, o, def, lo, hi)                                                                   \
    {.path = p, .type = FT_INT, .off = o, .def_i = def, .min = lo, .max = hi}
#define F_BOOL(p, o, def) {.path = p, .type = FT_BOOL, .off = o, .def_i = def}
#define F_LIST(p, o, cnt) {.path = p, .type = FT_LIST, .off = o, .count_off = cnt}

static const char jwt_hint[] =
    " (no default key is shipped; set a random secret of at least 32 bytes)";

/* Every key of the seed schema plus the port's extensions. Keys of one map stay contiguous and in
 * this order: conf_dump relies on it to print nested maps. */
static const struct field conf_fields[] = {
    F_INT("node.node_id", C(node.node_id), 0, 0, 1023),
    F_STR("account.access_key", C(account.access_key), NULL, FL_REQ),
    F_STR("account.secret_key", C(account.secret_key), NULL, FL_REQ | FL_SECRET),
    F_STR("httpq.addr", C(httpq.addr), NULL, FL_REQ),
    F_INT("httpq.workers", C(httpq.workers), 0, 0, 1024),
    F_INT("httpq.event_threads", C(httpq.event_threads), 0, 0, 64),
    F_INT("httpq.queue_max", C(httpq.queue_max), 0, 0, 1000000),
    F_INT("httpq.request_timeout_ms", C(httpq.request_timeout_ms), 5000, 100, 600000),
    F_INT("httpq.read_timeout_s", C(httpq.read_timeout_s), 10, 0, 3600),
    F_INT("httpq.idle_timeout_s", C(httpq.idle_timeout_s), 60, 0, 86400),
    F_INT("httpq.max_connections", C(httpq.max_connections), 10000, 16, 1000000),
    F_INT("httpq.max_connections_per_ip", C(httpq.max_connections_per_ip), 1024, 0, 1000000),
    F_INT("httpq.header_max", C(httpq.header_max), 16384, 1024, 1048576),
    F_INT("httpq.body_max", C(httpq.body_max), 1048576, 1024, INT64_C(1) << 30),
    F_INT("httpq.drain_timeout_s", C(httpq.drain_timeout_s), 10, 0, 3600),
    F_LIST("httpq.trusted_proxies", C(httpq.trusted_proxies), C(httpq.n_trusted_proxies)),
    {.path = "auth.jwt_key", .type = FT_STR, .off = C(auth.jwt_key), .flags = FL_REQ | FL_SECRET,
     .hint = jwt_hint},
    F_INT("auth.token_max_ttl_s", C(auth.token_max_ttl_s), 2592000, 0, INT32_MAX),
    F_INT("auth.admin_hash_iterations", C(auth.admin_hash_iterations), 600000, 1000, 10000000),
    F_BOOL("auth.server.enable", C(auth.server.enable), true),
    F_STR("auth.server.access_key", C(auth.server.access_key), NULL, 0),
    F_STR("auth.server.secret_key", C(auth.server.secret_key), NULL, FL_SECRET),
    {.path = "auth.client.enable", .type = FT_IGNORED},
    {.path = "auth.admin.enable", .type = FT_IGNORED},
    F_ENUM("cache.type", C(cache.type), NULL, "node|cluster", FL_REQ),
    F_STR("cache.addr", C(cache.addr), NULL, 0),
    F_LIST("cache.addrs", C(cache.addrs), C(cache.n_addrs)),
    F_STR("cache.password", C(cache.password), NULL, FL_SECRET),
    F_BOOL("cache.near_cache", C(cache.near_cache), true),
    {.path = "mysql.databases", .type = FT_DBS},
    F_STR("sqlite.path", C(sqlite.path), "data/qnlive.db", 0),
    F_STR("im.app_id", C(im.app_id), NULL, FL_REQ),
    F_STR("im.endpoint", C(im.endpoint), NULL, FL_REQ),
    F_STR("im.token", C(im.token), NULL, FL_REQ | FL_SECRET),
    F_INT("im.register_retry_s", C(im.register_retry_s), 5, 1, 3600),
    F_STR("rtc.app_id", C(rtc.app_id), NULL, 0),
    F_STR("rtc.endpoint", C(rtc.endpoint), "https://rtc.qiniuapi.com", 0),
    F_STR("pili.hub", C(pili.hub), NULL, 0),
    F_INT("pili.room_token_expire_s", C(pili.room_token_expire_s), 3600, 0, INT32_MAX),
    F_STR("pili.playback_url", C(pili.playback_url), NULL, 0),
    F_STR("pili.stream_pattern", C(pili.stream_pattern), "qn_live_kit-%s", 0),
    F_STR("pili.publish_url", C(pili.publish_url), NULL, 0),
    F_STR("pili.publish_domain", C(pili.publish_domain), NULL, 0),
    F_STR("pili.rtmp_play_url", C(pili.rtmp_play_url), NULL, 0),
    F_STR("pili.flv_play_url", C(pili.flv_play_url), NULL, 0),
    F_STR("pili.hls_play_url", C(pili.hls_play_url), NULL, 0),
    F_ENUM("pili.security_type", C(pili.security_type), "none", "none|expiry|expiry_sk", 0),
    F_STR("pili.publish_key", C(pili.publish_key), NULL, FL_SECRET),
    F_INT("pili.publish_expire_s", C(pili.publish_expire_s), 3600, 0, INT32_MAX),
    F_STR("pili.media_url", C(pili.media_url), NULL, 0),
    F_STR("pili.endpoint", C(pili.endpoint), "https://pili.qiniuapi.com", 0),
    F_INT("pili.saveas_retry_s", C(pili.saveas_retry_s), 600, 0, 86400),
    F_INT("cron.single_task_node", C(cron.single_task_node), 0, 0, 1023),
    F_ENUM("prome.client_mode", C(prome.client_mode), NULL, "exporter|pusher", FL_REQ),
    F_STR("prome.exporter_config.listen_addr", C(prome.listen_addr), NULL, 0),
    F_STR("prome.pusher_config.url", C(prome.push_url), NULL, 0),
    F_STR("prome.pusher_config.job", C(prome.push_job), NULL, 0),
    F_STR("prome.pusher_config.instance", C(prome.push_instance), NULL, 0),
    F_INT("prome.pusher_config.interval_s", C(prome.push_interval_s), 0, 0, 86400),
    F_STR("callback.addr", C(callback.addr), NULL, 0),
    F_STR("callback.secret", C(callback.secret), NULL, FL_SECRET),
    F_INT("callback.max_attempts", C(callback.max_attempts), 30, 1, 1000000),
    F_INT("callback.max_age_s", C(callback.max_age_s), 86400, 1, 30 * 86400),
    F_STR("censor.callback", C(censor.callback), NULL, 0),
    F_STR("censor.bucket", C(censor.bucket), NULL, FL_REQ),
    F_STR("censor.addr", C(censor.addr), NULL, FL_REQ),
    F_STR("censor.endpoint", C(censor.endpoint), "http://ai.qiniuapi.com", 0),
    F_STR("censor.callback_token", C(censor.callback_token), NULL, FL_SECRET),
    F_INT("censor.timeout_ms", C(censor.timeout_ms), 5000, 100, 60000),
    F_STR("gift.gift_addr", C(gift.gift_addr), NULL, FL_REQ),
    F_INT("gift.timeout_ms", C(gift.timeout_ms), 2500, 100, 60000),
    F_BOOL("gift.test_hook", C(gift.test_hook), false),
    F_STR("gift.secret", C(gift.secret), NULL, FL_SECRET),
    F_BOOL("telemetry.enable", C(telemetry.enable), false),
    F_STR("telemetry.endpoint", C(telemetry.endpoint), "https://niucube-api.qiniu.com", 0),
    F_INT("live.room_timeout_s", C(live.room_timeout_s), 600, 1, 86400),
    F_INT("live.user_timeout_s", C(live.user_timeout_s), 20, 1, 86400),
    F_INT("live.view_cache_ms", C(live.view_cache_ms), 60000, 0, 60000),
    F_INT("live.timeout_check_s", C(live.timeout_check_s), 3, 1, 3600),
    F_INT("live.pk_invite_timeout_s", C(live.pk_invite_timeout_s), 60, 1, 86400),
    F_ENUM("log.level", C(log.level), "info", "debug|info|warn|error", 0),
    F_ENUM("log.format", C(log.format), "text", "text|json", 0),
    F_INT("startup.dependency_wait_s", C(startup.dependency_wait_s), 60, 0, 3600),
    F_INT("limits.store", C(limits.store), 0, 0, 16384),
    F_INT("limits.store_wait_ms", C(limits.store_wait_ms), 250, 0, 60000),
    F_INT("limits.cache", C(limits.cache), 0, 0, 16384),
    F_INT("limits.cache_wait_ms", C(limits.cache_wait_ms), 250, 0, 60000),
    F_INT("limits.im", C(limits.im), 0, 0, 16384),
    F_INT("limits.rtc", C(limits.rtc), 0, 0, 16384),
    F_INT("limits.pili", C(limits.pili), 0, 0, 16384),
    F_INT("limits.censor", C(limits.censor), 0, 0, 16384),
    F_INT("limits.pay", C(limits.pay), 0, 0, 16384),
    F_INT("limits.callback", C(limits.callback), 0, 0, 16384),
};

/* One entry of mysql.databases. */
static const struct field db_fields[] = {
    F_STR("host", D(host), NULL, FL_REQ),
    F_INT("port", D(port), 3306, 1, 65535),
    F_STR("username", D(username), NULL, 0),
    F_STR("password", D(password), NULL, FL_SECRET),
    F_STR("database", D(database), NULL, FL_REQ),
    F_INT("max_idle_conns", D(max_idle_conns), 0, 0, 16384),
    F_INT("max_open_conns", D(max_open_conns), 0, 0, 16384),
    F_INT("conn_max_life_time", D(conn_max_life_time), 3600, 0, INT32_MAX),
    F_STR("default", D(name), "default", 0),
    F_BOOL("read_only", D(read_only), false),
};

enum { NO_ENABLED = SIZE_MAX };

struct section {
    const char *name;
    size_t enabled_off; /* bool set when the section is present; NO_ENABLED if none */
    bool mandatory;     /* its FL_REQ keys are required even when the section is absent */
};

static const struct section sections[] = {
    {"node", NO_ENABLED, false},        {"account", NO_ENABLED, true},
    {"httpq", NO_ENABLED, true},        {"auth", NO_ENABLED, true},
    {"cache", C(cache.enabled), false}, {"mysql", C(mysql.enabled), false},
    {"sqlite", NO_ENABLED, false},      {"im", C(im.enabled), false},
    {"rtc", C(rtc.enabled), false},     {"pili", C(pili.enabled), false},
    {"cron", NO_ENABLED, false},        {"prome", C(prome.enabled), false},
    {"callback", NO_ENABLED, false},    {"censor", C(censor.enabled), false},
    {"gift", C(gift.enabled), false},   {"telemetry", NO_ENABLED, false},
    {"live", NO_ENABLED, false},        {"log", NO_ENABLED, false},
    {"startup", NO_ENABLED, false},
    {"limits", NO_ENABLED, false},
};

/* clang-format on */

/* Old-schema top-level keys (README, app/live/config.yaml) and where they moved. */
static const char *const legacy_keys[][2] = {
    {"node_id", "node.node_id"}, {"service", "httpq"},          {"jwt_key", "auth.jwt_key"},
    {"mysqls", "mysql"},         {"mac_config", "auth.server"}, {"im_config", "im"},
    {"rtc_config", "rtc"},       {"cache_config", "cache"},     {"prome_config", "prome"},
};

static const struct section *section_of(const char *path)
{
    size_t len = strcspn(path, ".");
    for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
        if (strlen(sections[i].name) == len && strncmp(sections[i].name, path, len) == 0)
            return &sections[i];
    }
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Key check: every key in the files must be in the schema */

static err_t check_map(struct loader *ld, const struct node *map, const struct field *tab,
                       size_t ntab, const char *tpre, const char *dpre);

static const struct field *find_field(const struct field *tab, size_t ntab, const char *path)
{
    for (size_t i = 0; i < ntab; i++) {
        if (strcasecmp(tab[i].path, path) == 0)
            return &tab[i];
    }
    return NULL;
}

/* True when some schema key lives below `path`, i.e. `path` names a map. */
static bool is_map_path(const struct field *tab, size_t ntab, const char *path)
{
    size_t len = strlen(path);
    for (size_t i = 0; i < ntab; i++) {
        if (strncasecmp(tab[i].path, path, len) == 0 && tab[i].path[len] == '.')
            return true;
    }
    return false;
}

static err_t unknown_key(struct loader *ld, const struct node *c, const char *dkey, bool top)
{
    for (size_t i = 0; top && i < ARRAY_LEN(legacy_keys); i++) {
        if (strcasecmp(c->key, legacy_keys[i][0]) == 0)
            return failf(ld, c, dkey, "unknown key '%s' (old schema: use '%s')", c->key,
                         legacy_keys[i][1]);
    }
    return failf(ld, c, dkey, "unknown key '%s'", c->key);
}

static err_t check_dbs(struct loader *ld, const struct node *list, const char *dkey)
{
    if (list->kind == NODE_NULL)
        return ERR_OK;
    if (list->kind != NODE_LIST)
        return failf(ld, list, dkey, "expected a list of databases");
    for (size_t i = 0; i < list->n; i++) {
        const struct node *item = list->kids[i];
        char *ikey = xasprintf("%s[%zu]", dkey, i);
        err_t err = item->kind == NODE_MAP
                        ? check_map(ld, item, db_fields, ARRAY_LEN(db_fields), NULL, ikey)
                        : failf(ld, item, ikey, "expected a map");
        free(ikey);
        if (err)
            return err;
    }
    return ERR_OK;
}

static err_t check_key(struct loader *ld, const struct node *c, const struct field *tab,
                       size_t ntab, const char *tkey, const char *dkey)
{
    const struct field *f = strchr(c->key, '.') ? NULL : find_field(tab, ntab, tkey);

    if (f)
        return f->type == FT_DBS ? check_dbs(ld, c, dkey) : ERR_OK;
    if (!strchr(c->key, '.') && is_map_path(tab, ntab, tkey)) {
        if (c->kind == NODE_NULL)
            return ERR_OK;
        if (c->kind != NODE_MAP)
            return failf(ld, c, dkey, "expected a map");
        return check_map(ld, c, tab, ntab, tkey, dkey);
    }
    return unknown_key(ld, c, dkey, tab == conf_fields && !strchr(tkey, '.'));
}

/* tpre: the map's path in the table; dpre: its path as shown in messages. */
static err_t check_map(struct loader *ld, const struct node *map, const struct field *tab,
                       size_t ntab, const char *tpre, const char *dpre)
{
    for (size_t i = 0; i < map->n; i++) {
        const struct node *c = map->kids[i];
        char *tkey = tpre ? xasprintf("%s.%s", tpre, c->key) : xstrdup(c->key);
        char *dkey = dpre ? xasprintf("%s.%s", dpre, c->key) : xstrdup(c->key);
        err_t err = check_key(ld, c, tab, ntab, tkey, dkey);
        free(tkey);
        free(dkey);
        if (err)
            return err;
    }
    return ERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Fill: typed conversion with weak typing as the reference (quoted numbers and bools pass) */

static const char *kind_name(enum node_kind k)
{
    return k == NODE_MAP    ? "a map"
           : k == NODE_LIST ? "a list"
           : k == NODE_NULL ? "null"
                            : "a scalar";
}

/* The expanded text of a scalar node (heap). */
static err_t scalar_text(struct loader *ld, const struct node *n, const char *key, const char *want,
                         char **out)
{
    if (n->kind != NODE_SCALAR)
        return failf(ld, n, key, "expected %s, got %s", want, kind_name(n->kind));
    return expand(ld, n, key, out);
}

/* "a|b|c" contains `v` as a whole alternative. */
static bool in_choices(const char *choices, const char *v)
{
    size_t vlen = strlen(v);
    for (const char *p = choices; *p;) {
        size_t len = strcspn(p, "|");
        if (len == vlen && strncmp(p, v, len) == 0)
            return true;
        p += len + (p[len] == '|');
    }
    return false;
}

/* "must be node or cluster" / "must be one of none, expiry or expiry_sk". */
static err_t bad_choice(struct loader *ld, const struct node *n, const char *key,
                        const struct field *f, const char *v)
{
    char list[256] = "";
    size_t count = 0, used = 0;
    const char *p = f->choices;

    for (size_t len; *p; p += len + (p[len] == '|'), count++) {
        len = strcspn(p, "|");
        bool last = p[len] == '\0';
        const char *sep = count == 0 ? "" : last ? " or " : ", ";
        int w = snprintf(list + used, sizeof(list) - used, "%s%.*s", sep, (int)len, p);
        if (w > 0 && used + (size_t)w < sizeof(list))
            used += (size_t)w;
    }
    return failf(ld, n, key, "must be %s%s, got '%s'", count > 2 ? "one of " : "", list, v);
}

static err_t fill_str(struct loader *ld, const struct field *f, const struct node *n,
                      const char *key, char **out)
{
    char *v = NULL;
    err_t err;

    if (n) {
        err = scalar_text(ld, n, key, "a string", &v);
        if (err)
            return err;
    }
    if ((!v || !*v) && f->def_s) {
        free(v);
        v = xstrdup(f->def_s);
    }
    *out = v ? v : xstrdup("");
    if (f->choices && **out && !in_choices(f->choices, *out))
        return bad_choice(ld, n, key, f, *out);
    return ERR_OK;
}

static err_t fill_int(struct loader *ld, const struct field *f, const struct node *n,
                      const char *key, int64_t *out)
{
    char *v = NULL;
    int64_t x;
    err_t err;

    *out = f->def_i;
    if (!n)
        return ERR_OK;
    err = scalar_text(ld, n, key, "an integer", &v);
    if (!err && !str_to_i64(v, INT64_MIN, INT64_MAX, &x))
        err = failf(ld, n, key, "'%s' is not an integer", v);
    else if (!err && (x < f->min || x > f->max))
        err =
            failf(ld, n, key, "%" PRId64 " out of range %" PRId64 "..%" PRId64, x, f->min, f->max);
    else if (!err)
        *out = x;
    free(v);
    return err;
}

/* Go's strconv.ParseBool set (what mapstructure accepts), plus YAML 1.1 yes/no/on/off. */
static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "t", "true", "yes", "on"};
    static const char *const no[] = {"0", "f", "false", "no", "off"};
    for (size_t i = 0; i < ARRAY_LEN(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0 || strcasecmp(s, no[i]) == 0) {
            *out = strcasecmp(s, yes[i]) == 0;
            return true;
        }
    }
    return false;
}

static err_t fill_bool(struct loader *ld, const struct field *f, const struct node *n,
                       const char *key, bool *out)
{
    char *v = NULL;
    err_t err;

    *out = f->def_i != 0;
    if (!n)
        return ERR_OK;
    err = scalar_text(ld, n, key, "true or false", &v);
    if (!err && !parse_bool(v, out))
        err = failf(ld, n, key, "'%s' is not a boolean (true or false)", v);
    free(v);
    return err;
}

/* Appends the comma-separated parts of s (weak typing: "a,b" decodes as a list). */
static void split_commas(const char *s, char ***items, size_t *count)
{
    while (*s) {
        size_t len = strcspn(s, ",");
        const char *b = s, *e = s + len;
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > b) {
            *items = xrealloc(*items, (*count + 1) * sizeof(**items));
            (*items)[(*count)++] = xstrndup(b, (size_t)(e - b));
        }
        s += len + (s[len] == ',');
    }
}

static err_t fill_list(struct loader *ld, const struct node *n, const char *key, char ***items,
                       size_t *count)
{
    char *v = NULL;
    err_t err = ERR_OK;

    if (n && n->kind == NODE_SCALAR) {
        err = expand(ld, n, key, &v);
        if (!err)
            split_commas(v, items, count);
        free(v);
        return err;
    }
    if (n && n->kind != NODE_LIST)
        return failf(ld, n, key, "expected a list of strings");
    *items = xcalloc(n ? n->n : 0, sizeof(**items));
    for (size_t i = 0; n && i < n->n && !err; i++) {
        char *ikey = xasprintf("%s[%zu]", key, i);
        err = scalar_text(ld, n->kids[i], ikey, "a string", &v);
        if (!err)
            (*items)[(*count)++] = v;
        free(ikey);
    }
    return err;
}

static err_t fill_table(struct loader *ld, const struct field *tab, size_t ntab,
                        const struct node *root, void *base, const char *prefix);

static err_t fill_dbs(struct loader *ld, const struct node *n, struct conf *c)
{
    err_t err = ERR_OK;

    if (!n)
        return ERR_OK;
    c->mysql.databases = xcalloc(n->n, sizeof(*c->mysql.databases));
    c->mysql.n_databases = n->n;
    for (size_t i = 0; i < n->n && !err; i++) {
        char *ikey = xasprintf("mysql.databases[%zu]", i);
        err = fill_table(ld, db_fields, ARRAY_LEN(db_fields), n->kids[i], &c->mysql.databases[i],
                         ikey);
        free(ikey);
    }
    return err;
}

static err_t fill_field(struct loader *ld, const struct field *f, const struct node *n,
                        const char *key, void *base)
{
    char *p = (char *)base + f->off;

    switch (f->type) {
    case FT_STR:
        return fill_str(ld, f, n, key, (char **)p);
    case FT_INT:
        return fill_int(ld, f, n, key, (int64_t *)p);
    case FT_BOOL:
        return fill_bool(ld, f, n, key, (bool *)p);
    case FT_LIST:
        return fill_list(ld, n, key, (char ***)p, (size_t *)((char *)base + f->count_off));
    case FT_DBS:
        return fill_dbs(ld, n, base);
    case FT_IGNORED:
        break;
    }
    return ERR_OK;
}

/* FL_REQ keys must be non-empty when the section is present, or always for list items and
 * mandatory sections. */
static bool required_here(const struct node *root, const struct field *f, const char *prefix)
{
    const struct section *s;

    if (!(f->flags & FL_REQ))
        return false;
    if (prefix)
        return true;
    s = section_of(f->path);
    return (s && s->mandatory) || lookup(root, s ? s->name : f->path) != NULL;
}

/* Fills every field of `tab` from `root` into base; prefix labels list items in messages. */
static err_t fill_table(struct loader *ld, const struct field *tab, size_t ntab,
                        const struct node *root, void *base, const char *prefix)
{
    for (size_t i = 0; i < ntab; i++) {
        const struct field *f = &tab[i];
        char *key = prefix ? xasprintf("%s.%s", prefix, f->path) : xstrdup(f->path);
        err_t err = fill_field(ld, f, lookup(root, f->path), key, base);

        if (!err && required_here(root, f, prefix) && !**(char **)((char *)base + f->off))
            err = failf(ld, NULL, key, "missing required value%s", f->hint ? f->hint : "");
        free(key);
        if (err)
            return err;
    }
    return ERR_OK;
}

/* ------------------------------------------------------------------------------------------ */
/* Rules the table cannot express */

static err_t missing(struct loader *ld, const char *key, const char *why)
{
    return failf(ld, NULL, key, "missing required value (%s)", why);
}

static err_t rule_auth(struct loader *ld, struct conf *c)
{
    if (strlen(c->auth.jwt_key) < 32 || strcmp(c->auth.jwt_key, "jwtkey") == 0)
        log_warn("auth.jwt_key is weak: use a random secret of at least 32 bytes");
    if (!c->auth.server.enable) {
        log_warn("auth.server.enable is false: /server/* routes need no authentication");
        return ERR_OK;
    }
    if (!*c->auth.server.access_key)
        return missing(ld, "auth.server.access_key", "auth.server.enable is true");
    if (!*c->auth.server.secret_key)
        return missing(ld, "auth.server.secret_key", "auth.server.enable is true");
    if (!strcmp(c->auth.server.access_key, "ak") || !strcmp(c->auth.server.secret_key, "sk"))
        log_warn("auth.server uses the sample keys ak/sk: replace them in any deployment");
    return ERR_OK;
}

static err_t rule_cache(struct loader *ld, struct conf *c)
{
    if (!c->cache.enabled)
        return ERR_OK;
    if (!strcmp(c->cache.type, "node") && !*c->cache.addr)
        return missing(ld, "cache.addr", "cache.type is node");
    if (!strcmp(c->cache.type, "cluster") && c->cache.n_addrs == 0)
        return failf(ld, NULL, "cache.addrs", "at least one address is required for type cluster");
    return ERR_OK;
}

static err_t rule_mysql(struct loader *ld, struct conf *c)
{
    if (c->mysql.enabled && c->mysql.n_databases == 0)
        return failf(ld, NULL, "mysql.databases", "at least one database is required");
    return ERR_OK;
}

static err_t rule_prome(struct loader *ld, struct conf *c)
{
    if (!c->prome.enabled)
        return ERR_OK;
    if (!strcmp(c->prome.client_mode, "exporter")) {
        if (!*c->prome.listen_addr)
            return missing(ld, "prome.exporter_config.listen_addr", "client_mode is exporter");
        return ERR_OK;
    }
    if (!*c->prome.push_url)
        return missing(ld, "prome.pusher_config.url", "client_mode is pusher");
    if (!*c->prome.push_job)
        return missing(ld, "prome.pusher_config.job", "client_mode is pusher");
    if (!*c->prome.push_instance)
        return missing(ld, "prome.pusher_config.instance", "client_mode is pusher");
    if (c->prome.push_interval_s <= 0)
        return missing(ld, "prome.pusher_config.interval_s", "client_mode is pusher");
    return ERR_OK;
}

/* The pattern goes through a printf-style formatter: exactly one %s and no other directive. */
static bool valid_stream_pattern(const char *s)
{
    int n_s = 0;
    for (const char *p = strchr(s, '%'); p; p = strchr(p + 2, '%')) {
        if (p[1] == 's')
            n_s++;
        else if (p[1] != '%')
            return false;
    }
    return n_s == 1;
}

static err_t rule_pili(struct loader *ld, struct conf *c)
{
    if (!c->pili.enabled)
        return ERR_OK;
    if (!valid_stream_pattern(c->pili.stream_pattern))
        return failf(ld, NULL, "pili.stream_pattern", "must contain exactly one %%s");
    if (!strcmp(c->pili.security_type, "expiry") && !*c->pili.publish_key)
        return missing(ld, "pili.publish_key", "security_type is expiry");
    return ERR_OK;
}

/* "host:port", "[v6]:port" or ":port" with a numeric port. */
static bool valid_listen_addr(const char *s)
{
    const char *colon = strrchr(s, ':');
    int64_t port;
    return colon && str_to_i64(colon + 1, 0, 65535, &port);
}

static bool valid_ip_or_cidr(const char *s)
{
    unsigned char buf[sizeof(struct in6_addr)];
    const char *slash = strchr(s, '/');
    char *ip = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);
    bool v4 = inet_pton(AF_INET, ip, buf) == 1;
    bool ok = v4 || inet_pton(AF_INET6, ip, buf) == 1;
    int64_t bits;

    if (ok && slash)
        ok = str_to_i64(slash + 1, 0, v4 ? 32 : 128, &bits);
    free(ip);
    return ok;
}

static int64_t share_of_workers(const struct conf *c, int64_t num, int64_t den)
{
    int64_t n = c->httpq.workers * num / den;
    return n > 0 ? n : 1;
}

static err_t rule_httpq(struct loader *ld, struct conf *c)
{
    if (!valid_listen_addr(c->httpq.addr))
        return failf(ld, NULL, "httpq.addr", "'%s' is not host:port", c->httpq.addr);
    for (size_t i = 0; i < c->httpq.n_trusted_proxies; i++) {
        if (!valid_ip_or_cidr(c->httpq.trusted_proxies[i]))
            return failf(ld, NULL, "httpq.trusted_proxies", "'%s' is not an IP address or CIDR",
                         c->httpq.trusted_proxies[i]);
    }
    if (c->httpq.workers == 0) {
        /* handlers block on MySQL and Redis round trips: several threads per core keep both
         * the cores and the database busy (measured in bench/RESULTS.md) */
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        c->httpq.workers = cpus < 1 ? 8 : cpus > 32 ? 256 : 8 * cpus;
    }
    /* a hung database may hold at most three quarters of the handler threads: the rest keep
     * serving what needs only the cache or nothing */
    if (c->limits.store == 0)
        c->limits.store = share_of_workers(c, 3, 4);
    /* the same share for a hung Redis: routes that need neither keep the rest */
    if (c->limits.cache == 0)
        c->limits.cache = share_of_workers(c, 3, 4);
    /* and a hung cloud service at most half of them */
    int64_t *outbound[] = {&c->limits.im,     &c->limits.rtc, &c->limits.pili,
                           &c->limits.censor, &c->limits.pay, &c->limits.callback};
    for (size_t i = 0; i < ARRAY_LEN(outbound); i++) {
        if (*outbound[i] == 0)
            *outbound[i] = share_of_workers(c, 1, 2);
    }
    return ERR_OK;
}

static void set_enabled(struct conf *c, const struct node *root)
{
    for (size_t i = 0; i < ARRAY_LEN(sections); i++) {
        if (sections[i].enabled_off != NO_ENABLED)
            *(bool *)((char *)c + sections[i].enabled_off) = lookup(root, sections[i].name);
    }
}

static err_t build(struct loader *ld, const struct node *root, struct conf *c)
{
    static err_t (*const rules[])(struct loader *, struct conf *) = {
        rule_httpq, rule_auth, rule_cache, rule_mysql, rule_prome, rule_pili,
    };
    err_t err = check_map(ld, root, conf_fields, ARRAY_LEN(conf_fields), NULL, NULL);

    if (!err)
        err = fill_table(ld, conf_fields, ARRAY_LEN(conf_fields), root, c, NULL);
    set_enabled(c, root);
    for (size_t i = 0; i < ARRAY_LEN(rules) && !err; i++)
        err = rules[i](ld, c);
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* Public API */

static err_t load_texts(const char *text, const char *name, const char *ov_text,
                        const char *ov_name, struct conf *out, char *errbuf, size_t errlen)
{
    struct loader ld = {.errbuf = errbuf, .errlen = errlen, .name = name};
    struct node *root = NULL, *ov = NULL;
    err_t err;

    memset(out, 0, sizeof(*out));
    if (errbuf && errlen)
        errbuf[0] = '\0';
    err = parse_doc(&ld, text, name, &root);
    if (!err && ov_text)
        err = parse_doc(&ld, ov_text, ov_name, &ov);
    if (!err && ov) {
        merge(root, ov);
        ov = NULL;
    }
    if (!err)
        err = build(&ld, root, out);
    node_free(root);
    node_free(ov);
    if (err)
        conf_free(out);
    return err;
}

err_t conf_load_string(const char *yaml, const char *name, const char *overlay_yaml,
                       struct conf *out, char *errbuf, size_t errlen)
{
    return load_texts(yaml, name ? name : "config", overlay_yaml, "overlay", out, errbuf, errlen);
}

/* Reads a whole file into a heap string, refusing anything over CONF_FILE_MAX. */
static err_t read_file(struct loader *ld, const char *path, char **out)
{
    FILE *f = path && *path ? fopen(path, "rb") : NULL;
    char *buf;
    size_t len = 0, got;

    if (!f)
        return failf(ld, NULL, NULL, "cannot open config file: %s",
                     path && *path ? strerror(errno) : "empty config path");
    buf = xmalloc(CONF_FILE_MAX + 1);
    while ((got = fread(buf + len, 1, CONF_FILE_MAX + 1 - len, f)) > 0 &&
           len + got <= CONF_FILE_MAX)
        len += got;
    bool too_big = got > 0 || ferror(f);
    fclose(f);
    if (too_big) {
        free(buf);
        return failf(ld, NULL, NULL, "cannot read config file (larger than %d bytes?)",
                     CONF_FILE_MAX);
    }
    buf[len] = '\0';
    *out = buf;
    return ERR_OK;
}

err_t conf_load(const char *path, const char *overlay, struct conf *out, char *errbuf,
                size_t errlen)
{
    struct loader ld = {.errbuf = errbuf, .errlen = errlen, .name = path ? path : ""};
    char *text = NULL, *ov_text = NULL;
    err_t err = read_file(&ld, path, &text);

    memset(out, 0, sizeof(*out));
    if (!err && overlay) {
        ld.name = overlay;
        err = read_file(&ld, overlay, &ov_text);
    }
    if (!err)
        err = load_texts(text, path, ov_text, overlay, out, errbuf, errlen);
    free(text);
    free(ov_text);
    return err;
}

/* ------------------------------------------------------------------------------------------ */
/* Dump */

static void dump_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            fprintf(f, "\\x%02x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

/* Prints the value of one scalar field (after "key: "). */
static void dump_scalar(FILE *f, const struct field *fd, const void *base)
{
    const char *p = (const char *)base + fd->off;

    if (fd->type == FT_INT) {
        fprintf(f, "%" PRId64 "\n", *(const int64_t *)p);
    } else if (fd->type == FT_BOOL) {
        fputs(*(const bool *)p ? "true\n" : "false\n", f);
    } else {
        const char *s = *(char *const *)p;
        dump_str(f, (fd->flags & FL_SECRET) && *s ? "******" : s);
        fputc('\n', f);
    }
}

static void dump_list(FILE *f, const struct field *fd, const void *base, int indent)
{
    char *const *items = *(char **const *)((const char *)base + fd->off);
    size_t n = *(const size_t *)((const char *)base + fd->count_off);

    if (n == 0) {
        fputs(" []\n", f);
        return;
    }
    fputc('\n', f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%*s- ", indent + 2, "");
        dump_str(f, items[i]);
        fputc('\n', f);
    }
}

static void dump_dbs(FILE *f, const struct conf *c, int indent)
{
    if (c->mysql.n_databases == 0) {
        fputs(" []\n", f);
        return;
    }
    fputc('\n', f);
    for (size_t i = 0; i < c->mysql.n_databases; i++) {
        for (size_t j = 0; j < ARRAY_LEN(db_fields); j++) {
            fprintf(f, "%*s%s%s: ", indent + 2, "", j == 0 ? "- " : "  ", db_fields[j].path);
            dump_scalar(f, &db_fields[j], &c->mysql.databases[i]);
        }
    }
}

/* Number of leading components the parents of paths a and b have in common. */
static size_t shared_parents(const char *a, const char *b)
{
    const char *ea = strrchr(a, '.'), *eb = strrchr(b, '.');
    size_t shared = 0;

    while (ea && eb && a < ea && b < eb) {
        size_t la = strcspn(a, "."), lb = strcspn(b, ".");
        if (la != lb || strncmp(a, b, la) != 0)
            break;
        shared++;
        a += la + 1;
        b += lb + 1;
    }
    return shared;
}

/* Opens the maps between the previous key and this one; returns the leaf's indent. */
static int dump_headers(FILE *f, const char *prev, const char *path)
{
    size_t shared = shared_parents(prev, path), depth = 0;
    const char *p = path;

    for (size_t len = strcspn(p, "."); p[len] == '.'; p += len + 1, len = strcspn(p, ".")) {
        if (depth >= shared)
            fprintf(f, "%*s%.*s:\n", (int)depth * 2, "", (int)len, p);
        depth++;
    }
    return (int)depth * 2;
}

static bool shown(const struct conf *c, const struct field *fd)
{
    const struct section *s = section_of(fd->path);
    if (fd->type == FT_IGNORED)
        return false;
    return !s || s->enabled_off == NO_ENABLED || *(const bool *)((const char *)c + s->enabled_off);
}

void conf_dump(const struct conf *c, FILE *f)
{
    const char *prev = "";

    for (size_t i = 0; i < ARRAY_LEN(conf_fields); i++) {
        const struct field *fd = &conf_fields[i];
        if (!shown(c, fd))
            continue;
        int indent = dump_headers(f, prev, fd->path);
        fprintf(f, "%*s%s:", indent, "", strrchr(fd->path, '.') + 1);
        if (fd->type == FT_LIST)
            dump_list(f, fd, c, indent);
        else if (fd->type == FT_DBS)
            dump_dbs(f, c, indent);
        else {
            fputc(' ', f);
            dump_scalar(f, fd, c);
        }
        prev = fd->path;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Free */

static void free_table(const struct field *tab, size_t ntab, void *base)
{
    for (size_t i = 0; i < ntab; i++) {
        char *p = (char *)base + tab[i].off;
        if (tab[i].type == FT_STR) {
            free(*(char **)p);
        } else if (tab[i].type == FT_LIST) {
            char **items = *(char ***)p;
            size_t n = *(size_t *)((char *)base + tab[i].count_off);
            for (size_t j = 0; j < n; j++)
                free(items[j]);
            free(items);
        }
    }
}

void conf_free(struct conf *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->mysql.n_databases; i++)
        free_table(db_fields, ARRAY_LEN(db_fields), &c->mysql.databases[i]);
    free(c->mysql.databases);
    free_table(conf_fields, ARRAY_LEN(conf_fields), c);
    memset(c, 0, sizeof(*c));
}
