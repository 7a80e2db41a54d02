#define LOG_MODULE "http"
#include "http/req.h"

#include <microhttpd.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "http/err_wire.h"

const char *req_param(const struct req *r, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < r->match.n_params; i++) {
        if (r->match.name_lens[i] == len && memcmp(r->match.names[i], name, len) == 0)
            return r->match.values[i];
    }
    return NULL;
}

/* The first entry named `name` (case-insensitive, as libmicrohttpd compares); NULL if none. */
static const struct req_kv *kv_find(const struct req_kv *kv, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(kv[i].key, name) == 0)
            return &kv[i];
    }
    return NULL;
}

const char *req_header(const struct req *r, const char *name)
{
    if (r->_detached) {
        const struct req_kv *kv = kv_find(r->_headers, r->_n_headers, name);
        return kv ? kv->value : NULL;
    }
    return MHD_lookup_connection_value(r->_conn, MHD_HEADER_KIND, name);
}

struct header_walk {
    void (*fn)(void *ud, const char *key, const char *value);
    void *ud;
};

static enum MHD_Result walk_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct header_walk *w = cls;
    (void)kind;
    w->fn(w->ud, key, value);
    return MHD_YES;
}

void req_each_header(const struct req *r, void (*fn)(void *ud, const char *key, const char *value),
                     void *ud)
{
    if (r->_detached) {
        for (size_t i = 0; i < r->_n_headers; i++)
            fn(ud, r->_headers[i].key, r->_headers[i].value);
        return;
    }
    struct header_walk w = {fn, ud};
    MHD_get_connection_values(r->_conn, MHD_HEADER_KIND, walk_header, &w);
}

struct kv_copy {
    struct arena *a;
    struct req_kv *kv;
    size_t n, cap;
};

static enum MHD_Result copy_kv(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    struct kv_copy *c = cls;
    (void)kind;
    c->kv = arena_grow(c->a, c->kv, c->n, &c->cap, sizeof(*c->kv), 16);
    c->kv[c->n].key = arena_strdup(c->a, key);
    c->kv[c->n].value = value ? arena_strdup(c->a, value) : NULL;
    c->n++;
    return MHD_YES;
}

void req_detach(struct req *r)
{
    if (r->_detached)
        return;
    struct kv_copy h = {.a = r->arena}, q = {.a = r->arena};
    MHD_get_connection_values(r->_conn, MHD_HEADER_KIND, copy_kv, &h);
    MHD_get_connection_values(r->_conn, MHD_GET_ARGUMENT_KIND, copy_kv, &q);
    r->_headers = h.kv;
    r->_n_headers = h.n;
    r->_args = q.kv;
    r->_n_args = q.n;
    r->_detached = true;
    r->_conn = NULL;
}

const char *req_query(const struct req *r, const char *name)
{
    if (r->_detached) {
        const struct req_kv *kv = kv_find(r->_args, r->_n_args, name);
        return !kv ? NULL : kv->value ? kv->value : "";
    }
    const char *v = MHD_lookup_connection_value(r->_conn, MHD_GET_ARGUMENT_KIND, name);
    /* MHD reports "?k" (no '=') as present with a NULL value; the reference reads it as "" */
    if (!v && MHD_lookup_connection_value_n(r->_conn, MHD_GET_ARGUMENT_KIND, name, strlen(name),
                                            NULL, NULL) == MHD_YES)
        return "";
    return v;
}

struct query_collect {
    struct req *r;
    const char *name;
    const char **vals;
    size_t n, cap;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct query_collect *q = cls;
    (void)kind;
    if (strcmp(key, q->name) != 0)
        return MHD_YES;
    q->vals = arena_grow(q->r->arena, q->vals, q->n, &q->cap, sizeof(*q->vals), 8);
    q->vals[q->n++] = arena_strdup(q->r->arena, value ? value : "");
    return MHD_YES;
}

void req_query_all(struct req *r, const char *name, const char ***out, size_t *n)
{
    struct query_collect q = {.r = r, .name = name};
    if (r->_detached) {
        for (size_t i = 0; i < r->_n_args; i++)
            (void)collect_query(&q, MHD_GET_ARGUMENT_KIND, r->_args[i].key, r->_args[i].value);
        *out = q.vals;
        *n = q.n;
        return;
    }
    MHD_get_connection_values(r->_conn, MHD_GET_ARGUMENT_KIND, collect_query, &q);
    *out = q.vals;
    *n = q.n;
}

err_t req_query_i64(struct req *r, const char *name, int64_t def, int64_t min, int64_t max,
                    int64_t *out)
{
    const char *v = req_query(r, name);
    if (!v) {
        *out = def;
        return ERR_OK;
    }
    if (!str_to_i64(v, INT64_MIN, INT64_MAX, out))
        return req_fail(r, ERR_BAD_REQUEST, "%s: invalid integer", name);
    if (*out < min || *out > max)
        return req_fail(r, ERR_BAD_REQUEST, "%s: out of range", name);
    return ERR_OK;
}

err_t req_json(struct req *r, json_t **out)
{
    if (r->_json) {
        *out = r->_json;
        return ERR_OK;
    }
    if (!r->body || r->body_len == 0)
        return req_fail(r, ERR_BAD_REQUEST, "EOF");
    json_error_t je;
    r->_json = json_loadb(r->body, r->body_len, JSON_DECODE_ANY, &je);
    if (!r->_json)
        return req_fail(r, ERR_BAD_REQUEST, "invalid JSON at line %d column %d: %s", je.line,
                        je.column, je.text);
    *out = r->_json;
    return ERR_OK;
}

err_t req_json_object(struct req *r, json_t **out)
{
    err_t err = req_json(r, out);
    if (!err && !json_is_object(*out))
        return req_fail(r, ERR_BAD_REQUEST, "request body must be a JSON object");
    return err;
}

err_t req_fail(struct req *r, err_t e, const char *fmt, ...)
{
    r->err = e;
    r->err_code = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        char buf[512];
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        r->err_message = arena_strdup(r->arena, buf);
    } else {
        r->err_message = NULL;
    }
    return e;
}

err_t req_fail_code(struct req *r, err_t e, int code, const char *message)
{
    r->err = e;
    r->err_code = code;
    r->err_message = message ? arena_strdup(r->arena, message) : NULL;
    return e;
}

err_t req_fail_internal(struct req *r, err_t e)
{
    if (e == ERR_UNAVAILABLE || e == ERR_WOULD_BLOCK)
        return req_fail(r, e, NULL);
    return req_fail(r, ERR_INTERNAL, NULL);
}

err_t req_fail_msg(struct req *r, err_t e, const struct err_msg *m)
{
    if (m && m->text[0])
        return req_fail(r, e, "%s", m->text);
    if (err_http_status(e) >= 500 && !err_is_refusal(e))
        return req_fail_internal(r, e);
    return req_fail(r, e, NULL);
}

err_t req_ok(struct req *r, json_t *data)
{
    r->_raw_data = NULL;
    json_decref(r->_data);
    r->_data = data;
    r->_has_data = true;
    return ERR_OK;
}

err_t req_ok_raw(struct req *r, const char *json_text, size_t len)
{
    json_decref(r->_data);
    r->_data = NULL;
    r->_raw_data = arena_strndup(r->arena, json_text, len);
    r->_raw_len = len;
    r->_has_data = true;
    return ERR_OK;
}

err_t req_ok_empty(struct req *r)
{
    r->_raw_data = NULL;
    json_decref(r->_data);
    r->_data = NULL;
    r->_has_data = false;
    return ERR_OK;
}

err_t req_ok_document(struct req *r, const char *content_type, const char *doc, size_t len,
                      const char *const *headers)
{
    req_ok_empty(r);
    r->_doc = doc;
    r->_doc_len = len;
    r->_doc_type = content_type;
    r->_doc_headers = headers;
    return ERR_OK;
}

void req_reset_outcome(struct req *r)
{
    r->_doc = NULL;
    r->_doc_len = 0;
    r->_doc_type = NULL;
    r->_doc_headers = NULL;
    json_decref(r->_data);
    r->_data = NULL;
    r->_raw_data = NULL;
    r->_raw_len = 0;
    r->_has_data = false;
    r->err = ERR_OK;
    r->err_message = NULL;
    r->err_code = 0;
    r->status = 0;
    r->user_id = r->app_id = r->device_id = r->role = NULL;
    r->im_userid = 0;
    r->state = NULL;
    r->_next = NULL;
    r->_pending = false;
}
