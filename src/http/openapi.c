#define LOG_MODULE "openapi"

#include "http/openapi.h"

#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/resource.h"
#include "http/router.h"

static const struct {
    unsigned bit;
    const char *key; /* as the descriptions write it */
    const char *op;  /* as OpenAPI does */
} methods[] = {
    {HTTP_GET, "GET", "get"},
    {HTTP_POST, "POST", "post"},
    {HTTP_PUT, "PUT", "put"},
    {HTTP_DELETE, "DELETE", "delete"},
    {HTTP_PATCH, "PATCH", "patch"},
    {HTTP_HEAD, "HEAD", "head"},
    {HTTP_OPTIONS, "OPTIONS", "options"},
};

/* What the HTTP edge itself may answer to any request, before a route sees it. */
static const int edge_statuses[] = {400, 408, 413, 414, 431, 500, 503, 505};

struct build {
    json_t *doc;
    json_t *paths;
    json_t *schemas;
    json_t *described; /* "METHODS template" -> {"route": ..., "tag": ...} from every module */
    json_t *tags;
};

/* "GET|POST /a/:id" for a route, as its description's key. */
static char *route_key(const struct route *rt)
{
    if ((rt->methods & HTTP_ANY) == HTTP_ANY)
        return xasprintf("ANY %s", rt->path);
    char names[64];
    size_t n = 0;
    for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
        if (rt->methods & methods[i].bit)
            n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? "|" : "",
                                  methods[i].key);
    }
    return xasprintf("%s %s", names, rt->path);
}

/* "/a/:id/b" -> "/a/{id}/b", and the names of its parameters appended to `names`. */
static char *openapi_path(const char *tmpl, json_t *names)
{
    size_t cap = strlen(tmpl) * 2 + 2, n = 0;
    char *out = xmalloc(cap);
    for (const char *p = tmpl; *p;) {
        if (*p == ':' && p > tmpl && p[-1] == '/') {
            size_t len = strcspn(p + 1, "/");
            json_array_append_new(names, json_stringn(p + 1, len));
            n += (size_t)snprintf(out + n, cap - n, "{%.*s}", (int)len, p + 1);
            p += len + 1;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    return out;
}

static char *operation_id(const char *op, const char *tmpl)
{
    char *id = xasprintf("%s%s", op, tmpl);
    for (char *p = id; *p; p++) {
        if (*p == '/' || *p == ':' || *p == '.' || *p == '-')
            *p = '_';
    }
    return id;
}

/* Adds a status -> codes pair into `errors` (object of arrays), keeping codes unique. */
static void add_codes(json_t *errors, const char *status, json_t *codes)
{
    json_t *have = json_object_get(errors, status);
    if (!have) {
        have = json_array();
        json_object_set_new(errors, status, have);
    }
    size_t i;
    json_t *c;
    json_array_foreach(codes, i, c)
    {
        bool dup = false;
        size_t k;
        json_t *h;
        json_array_foreach(have, k, h) dup |= json_equal(h, c);
        if (!dup)
            json_array_append(have, c);
    }
}

static void add_code(json_t *errors, int status, int code)
{
    char s[8];
    snprintf(s, sizeof(s), "%d", status);
    json_t *codes = json_pack("[i]", code);
    add_codes(errors, s, codes);
    json_decref(codes);
}

/* The errors a route may answer: its description's, its auth scheme's and the edge's. */
static json_t *route_errors(const struct route *rt, json_t *described)
{
    json_t *errors = json_object();
    const char *status;
    json_t *codes;
    json_object_foreach(json_object_get(described, "errors"), status, codes)
        add_codes(errors, status, codes);
    if (rt->auth == AUTH_CLIENT || rt->auth == AUTH_ADMIN) {
        add_code(errors, 401, 401);
        add_code(errors, 401, 499);
    }
    if (rt->auth == AUTH_SERVER)
        add_code(errors, 401, 401);
    if (rt->auth == AUTH_ADMIN)
        add_code(errors, 403, 403);
    for (size_t i = 0; i < ARRAY_LEN(edge_statuses); i++)
        add_code(errors, edge_statuses[i], edge_statuses[i]);
    return errors;
}

static json_t *envelope_with(const char *key, json_t *schema)
{
    return json_pack("{s:[{s:s}, {s:s, s:{s:o}}]}", "allOf", "$ref",
                     "#/components/schemas/Envelope", "type", "object", "properties", key, schema);
}

static json_t *json_content(json_t *schema)
{
    return json_pack("{s:{s:o}}", "application/json", "schema", schema);
}

/* The schema of a 200: success, with its data when the route has any, or one of the codes the
 * route lists under "200" (a payment failure, an unknown login). */
static json_t *success_schema(json_t *errors, json_t *data)
{
    json_t *props = json_pack("{s:{s:[i,i]}}", "code", "enum", 0, 200);
    if (data)
        json_object_set(props, "data", data);
    json_t *ok = json_pack("{s:[{s:s}, {s:s, s:o}]}", "allOf", "$ref",
                           "#/components/schemas/Envelope", "type", "object", "properties", props);
    json_t *refused = json_object_get(errors, "200");
    if (!refused)
        return ok;
    return json_pack("{s:[o,o]}", "anyOf", ok,
                     envelope_with("code", json_pack("{s:O}", "enum", refused)));
}

/* 200 answers success (or the document the route serves); every other status its codes. */
static json_t *responses(json_t *errors, json_t *data, const char *document)
{
    json_t *out = json_object();
    if (document)
        json_object_set_new(
            out, "200",
            json_pack("{s:s, s:{s:{}}}", "description", "the document", "content", document));
    else
        json_object_set_new(out, "200",
                            json_pack("{s:s, s:o}", "description", "answered", "content",
                                      json_content(success_schema(errors, data))));
    const char *status;
    json_t *codes;
    json_object_foreach(errors, status, codes)
    {
        if (strcmp(status, "200") == 0)
            continue;
        json_t *schema = envelope_with("code", json_pack("{s:O}", "enum", codes));
        json_object_set_new(out, status,
                            json_pack("{s:s, s:o}", "description", "refused or failed", "content",
                                      json_content(schema)));
    }
    return out;
}

static json_t *security_of(enum route_auth auth)
{
    switch (auth) {
    case AUTH_CLIENT:
        return json_pack("[{s:[]}]", "clientJwt");
    case AUTH_SERVER:
        return json_pack("[{s:[]}]", "qiniuMac");
    case AUTH_ADMIN:
        return json_pack("[{s:[]}]", "adminJwt");
    default:
        return json_array();
    }
}

/* One parameter; `described` is its entry in the route's "params" or "query" (may be NULL):
 * its schema (a string when none is given) and description. */
static json_t *parameter(const char *name, const char *in, bool required, json_t *described)
{
    json_t *p = json_pack("{s:s, s:s, s:b}", "name", name, "in", in, "required", required);
    json_t *schema = json_object_get(described, "schema");
    json_object_set_new(p, "schema",
                        schema ? json_incref(schema) : json_pack("{s:s}", "type", "string"));
    json_t *desc = json_object_get(described, "description");
    if (desc)
        json_object_set(p, "description", desc);
    return p;
}

static json_t *parameters(json_t *path_names, json_t *described)
{
    json_t *out = json_array();
    json_t *params = json_object_get(described, "params");
    size_t i;
    json_t *name;
    json_array_foreach(path_names, i, name)
    {
        const char *n = json_string_value(name);
        json_array_append_new(out, parameter(n, "path", true, json_object_get(params, n)));
    }
    const char *qname;
    json_t *q;
    json_object_foreach(json_object_get(described, "query"), qname, q)
    {
        bool required = json_is_true(json_object_get(q, "required"));
        json_array_append_new(out, parameter(qname, "query", required, q));
    }
    return out;
}

static json_t *operation(const struct route *rt, const char *op, json_t *path_names, json_t *entry)
{
    json_t *described = json_object_get(entry, "route");
    json_t *o = json_object();
    char *id = operation_id(op, rt->path);
    json_object_set_new(o, "operationId", json_string(id));
    free(id);
    if (entry) {
        json_object_set_new(o, "tags", json_pack("[O]", json_object_get(entry, "tag")));
        json_t *v;
        if ((v = json_object_get(described, "summary")))
            json_object_set(o, "summary", v);
        if ((v = json_object_get(described, "description")))
            json_object_set(o, "description", v);
    } else {
        json_object_set_new(o, "x-undescribed", json_true());
    }
    json_object_set_new(o, "security", security_of(rt->auth));
    json_object_set_new(o, "parameters", parameters(path_names, described));
    json_t *body = json_object_get(described, "body");
    if (body)
        json_object_set_new(
            o, "requestBody",
            json_pack("{s:b, s:o}", "required", 0, "content", json_content(json_incref(body))));
    json_t *errors = route_errors(rt, described);
    json_t *data = json_object_get(described, "data");
    const char *document = json_string_value(json_object_get(described, "document"));
    json_object_set_new(o, "responses", responses(errors, data, document));
    json_decref(errors);
    return o;
}

static void add_route(struct build *b, const struct route *rt)
{
    char *key = route_key(rt);
    json_t *entry = json_object_get(b->described, key);
    if (entry)
        json_object_set_new(entry, "served", json_true());
    json_t *names = json_array();
    char *path = openapi_path(rt->path, names);
    json_t *item = json_object_get(b->paths, path);
    if (!item) {
        item = json_object();
        json_object_set_new(b->paths, path, item);
    }
    for (size_t i = 0; i < ARRAY_LEN(methods); i++) {
        if (rt->methods & methods[i].bit)
            json_object_set_new(item, methods[i].op, operation(rt, methods[i].op, names, entry));
    }
    json_decref(names);
    free(path);
    free(key);
}

static void on_route(void *ud, const struct route *rt)
{
    add_route(ud, rt);
}

/* Reads one module's description into the build: its schemas, its tag, its routes. */
static bool load_description(struct build *b, const struct resource *res)
{
    json_error_t jerr;
    json_t *d = json_loadb((const char *)res->data, res->len, 0, &jerr);
    json_t *tag = json_object_get(d, "tag");
    if (!json_is_object(d) || !json_is_string(tag)) {
        log_error("%s: not an API description (line %d: %s)", res->name, jerr.line, jerr.text);
        json_decref(d);
        return false;
    }
    json_t *t = json_pack("{s:O}", "name", tag);
    json_t *desc = json_object_get(d, "description");
    if (desc)
        json_object_set(t, "description", desc);
    json_array_append_new(b->tags, t);
    const char *name;
    json_t *v;
    json_object_foreach(json_object_get(d, "schemas"), name, v)
    {
        if (json_object_get(b->schemas, name))
            log_error("%s: schema %s is also defined elsewhere", res->name, name);
        json_object_set(b->schemas, name, v);
    }
    json_object_foreach(json_object_get(d, "routes"), name, v)
    {
        if (json_object_get(b->described, name))
            log_error("%s: route %s is also described elsewhere", res->name, name);
        json_object_set_new(b->described, name, json_pack("{s:O, s:O}", "route", v, "tag", tag));
    }
    json_decref(d);
    return true;
}

static bool is_description(const char *name)
{
    size_t n = strlen(name), suffix = strlen("_api.json");
    return strncmp(name, "src/biz/", 8) == 0 && n > suffix &&
           strcmp(name + n - suffix, "_api.json") == 0;
}

static json_t *unserved(json_t *described, bool test_routes_served)
{
    json_t *out = json_array();
    const char *key;
    json_t *entry;
    json_object_foreach(described, key, entry)
    {
        if (json_object_get(entry, "served"))
            continue;
        bool test_only =
            json_is_true(json_object_get(json_object_get(entry, "route"), "test_only"));
        if (!test_only || test_routes_served)
            json_array_append_new(out, json_string(key));
    }
    return out;
}

static json_t *components(json_t *schemas)
{
    json_object_set_new(schemas, "Envelope",
                        json_pack("{s:s, s:[s,s,s], s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{}}}", "type",
                                  "object", "required", "request_id", "code", "message",
                                  "properties", "request_id", "type", "string", "code", "type",
                                  "integer", "message", "type", "string", "data"));
    json_t *auth = json_pack(
        "{s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}", "clientJwt",
        "type", "apiKey", "in", "header", "name", "Authorization", "description",
        "A client's HS256 JWT, the bare token with no 'Bearer ' prefix (issued by "
        "/server/auth/token).",
        "qiniuMac", "type", "apiKey", "in", "header", "name", "Authorization", "description",
        "'Qiniu <AK>:<sign>': Qiniu MAC over the method, path, query, host, content type and "
        "body, when auth.server.enable is set.",
        "adminJwt", "type", "apiKey", "in", "header", "name", "Authorization", "description",
        "An administrator's JWT, the bare token, from /manager/login.");
    return json_pack("{s:O, s:o}", "schemas", schemas, "securitySchemes", auth);
}

/* Test builds serve the routes that let tests move the clock and run jobs. */
#ifdef QNLIVE_TEST_CLOCK
static const bool test_routes_served = true;
#else
static const bool test_routes_served = false;
#endif

json_t *openapi_build(const struct router *rt, const char *version)
{
    struct build b = {
        .doc = json_object(),
        .paths = json_object(),
        .schemas = json_object(),
        .described = json_object(),
        .tags = json_array(),
    };
    bool ok = true;
    for (size_t i = 0; i < qnlive_resources_n; i++) {
        if (is_description(qnlive_resources[i].name))
            ok &= load_description(&b, &qnlive_resources[i]);
    }
    router_each_route(rt, on_route, &b);
    json_object_set_new(b.doc, "openapi", json_string("3.1.0"));
    json_object_set_new(
        b.doc, "info",
        json_pack("{s:s, s:s, s:s}", "title", "qnlive", "version", version, "description",
                  "The business server of interactive live streaming, a drop-in replacement "
                  "for QNLiveKit_Server. Every answer is the envelope {request_id, code, "
                  "message, data}."));
    json_object_set_new(b.doc, "tags", b.tags);
    json_object_set_new(b.doc, "paths", b.paths);
    json_object_set_new(b.doc, "components", components(b.schemas));
    json_object_set_new(b.doc, "x-unserved", unserved(b.described, test_routes_served));
    json_decref(b.schemas);
    json_decref(b.described);
    if (!ok) {
        json_decref(b.doc);
        return NULL;
    }
    return b.doc;
}
