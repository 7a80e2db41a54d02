#include "core/jv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

size_t jv_utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80; /* count every byte but continuations */
    return n;
}

/* The member's key as spelled in o, found the way jv_get documents. */
static const char *find_key(json_t *o, const char *key)
{
    if (!json_is_object(o))
        return NULL;
    /* The exact spelling wins; jansson has already kept the last of its duplicates. */
    if (json_object_get(o, key))
        return key;
    /* Otherwise the last case variant in document order, as Go's decoder assigns every
     * matching key in turn (jansson objects keep insertion order). */
    const char *found = NULL;
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        if (strcasecmp(k, key) == 0)
            found = k;
    }
    return found;
}

json_t *jv_get(json_t *o, const char *key)
{
    const char *k = find_key(o, key);
    return k ? json_object_get(o, k) : NULL;
}

err_t jv_opt_str(json_t *o, const char *key, size_t max, const char **out)
{
    json_t *v = jv_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_string(v) || jv_utf8_chars(json_string_value(v), json_string_length(v)) > max)
        return ERR_BAD_REQUEST;
    *out = json_string_value(v);
    return ERR_OK;
}

err_t jv_opt_text(json_t *o, const char *key, size_t max, const char **out)
{
    err_t err = jv_opt_str(o, key, max, out);
    if (!err && !*out)
        *out = "";
    return err;
}

err_t jv_opt_bool(json_t *o, const char *key, bool *out)
{
    json_t *v = jv_get(o, key);
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_boolean(v))
        return ERR_BAD_REQUEST;
    *out = json_is_true(v);
    return ERR_OK;
}

err_t jv_opt_i64(json_t *o, const char *key, int64_t *out, bool *present)
{
    json_t *v = jv_get(o, key);
    *present = false;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (!json_is_integer(v))
        return ERR_BAD_REQUEST;
    *out = json_integer_value(v);
    *present = true;
    return ERR_OK;
}

err_t jv_opt_i64_in(json_t *o, const char *key, int64_t min, int64_t max, int64_t *out,
                    bool *present)
{
    err_t err = jv_opt_i64(o, key, out, present);
    if (!err && *present && (*out < min || *out > max))
        return ERR_BAD_REQUEST;
    return err;
}

/* The SDKs send some maps serialised into a string: the object it holds replaces the string in
 * the body, so the map stays borrowed from o. "" means no map. */
static err_t unwrap_string_map(json_t *o, const char *key, json_t **v)
{
    if (!json_is_string(*v))
        return ERR_OK;
    if (json_string_length(*v) == 0) {
        *v = NULL;
        return ERR_OK;
    }
    json_t *parsed = json_loads(json_string_value(*v), 0, NULL);
    if (!json_is_object(parsed)) {
        json_decref(parsed);
        return ERR_BAD_REQUEST;
    }
    char *spelled = xstrdup(find_key(o, key)); /* the key storage belongs to the old member */
    json_object_set_new(o, spelled, parsed);
    free(spelled);
    *v = parsed;
    return ERR_OK;
}

err_t jv_opt_extends(json_t *o, const char *key, json_t **out)
{
    json_t *v = jv_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return ERR_OK;
    if (unwrap_string_map(o, key, &v))
        return ERR_BAD_REQUEST;
    if (!v)
        return ERR_OK;
    if (!json_is_object(v) || json_object_size(v) > JV_EXTENDS_MAX_KEYS)
        return ERR_BAD_REQUEST;
    size_t total = 0;
    const char *k;
    json_t *val;
    json_object_foreach(v, k, val)
    {
        if (!json_is_string(val))
            return ERR_BAD_REQUEST;
        total += jv_utf8_chars(k, strlen(k)) +
                 jv_utf8_chars(json_string_value(val), json_string_length(val));
    }
    if (total > JV_EXTENDS_MAX_CHARS)
        return ERR_BAD_REQUEST;
    *out = v;
    return ERR_OK;
}

const char *jv_extends_dump(struct arena *ar, json_t *map)
{
    if (!map || json_is_null(map))
        return NULL;
    char *text = json_dumps(map, JSON_COMPACT | JSON_SORT_KEYS);
    const char *out = text ? arena_strdup(ar, text) : NULL;
    free(text);
    return out;
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Rebuilds an object with keys inserted in sorted order, so that a later dump with
 * JSON_PRESERVE_ORDER (the envelope) emits them sorted like Go's encoder. */
static json_t *sorted_copy(json_t *obj)
{
    size_t n = json_object_size(obj);
    const char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        keys[i++] = k;
    }
    qsort(keys, n, sizeof(*keys), cmp_keys);
    json_t *out = json_object();
    for (i = 0; i < n; i++)
        json_object_set(out, keys[i], json_object_get(obj, keys[i]));
    free(keys);
    return out;
}

json_t *jv_extends_load(const char *text)
{
    if (!text || !text[0])
        return json_null();
    json_t *v = json_loads(text, 0, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return json_null();
    }
    json_t *sorted = sorted_copy(v);
    json_decref(v);
    return sorted;
}

const char *jv_extends_merge(struct arena *ar, const char *stored_text, json_t *update)
{
    json_t *base = jv_extends_load(stored_text);
    if (json_is_null(base)) {
        json_decref(base);
        base = json_object();
    }
    json_object_update(base, update);
    const char *out = jv_extends_dump(ar, base);
    json_decref(base);
    return out;
}

json_t *jv_str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

json_t *jv_str(const char *s)
{
    json_t *v = json_string(s ? s : "");
    /* invalid UTF-8 from an old row must not drop the key: fall back to the empty string */
    return v ? v : json_string("");
}
