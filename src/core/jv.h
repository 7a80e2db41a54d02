#ifndef QNLIVE_CORE_JV_H
#define QNLIVE_CORE_JV_H

/* JSON value helpers shared by business modules (jansson underneath): typed field reads that
 * tell "absent" from "wrong type", and the `extends` maps of string values. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct arena;

enum { JV_EXTENDS_MAX_CHARS = 4096, JV_EXTENDS_MAX_KEYS = 64 };

/* Characters (code points) of UTF-8 text of len bytes: MySQL's utf8mb4 column sizes count
 * characters, so every length limit of the API does too. */
size_t jv_utf8_chars(const char *s, size_t len);

/* A member of a request object, its key matched the way Go's decoder matches struct fields: the
 * exact spelling when present, otherwise the last key in document order that equals `key`
 * ignoring ASCII case ("LIVE_ID" fills live_id). NULL when absent or when o is not an object.
 * Every reader of request bodies goes through this. Borrowed. */
json_t *jv_get(json_t *o, const char *key);

/* Reads an optional string field: absent or null leaves *out NULL. ERR_BAD_REQUEST when the
 * value is not a string or is longer than max characters. */
err_t jv_opt_str(json_t *o, const char *key, size_t max, const char **out) MUST_USE;

/* jv_opt_str, but absent or null gives "" instead of NULL. */
err_t jv_opt_text(json_t *o, const char *key, size_t max, const char **out) MUST_USE;

/* Reads an optional boolean field: absent or null leaves *out unchanged. ERR_BAD_REQUEST for
 * any other type. */
err_t jv_opt_bool(json_t *o, const char *key, bool *out) MUST_USE;

/* Reads an optional integer field (absent / null → *present false). ERR_BAD_REQUEST for a
 * non-integer (a fraction or a string). */
err_t jv_opt_i64(json_t *o, const char *key, int64_t *out, bool *present) MUST_USE;

/* jv_opt_i64 within [min, max]: a value outside the column it is stored in is the client's
 * error (ERR_BAD_REQUEST), never a database failure or a silent wrap. */
err_t jv_opt_i64_in(json_t *o, const char *key, int64_t min, int64_t max, int64_t *out,
                    bool *present) MUST_USE;

/* Validates an `extends` value: absent/null/"" is fine (*out NULL); otherwise an object of
 * string values within the size caps, given as an object or as a string holding one (the
 * string is replaced in o by the object it holds). *out is borrowed from o. */
err_t jv_opt_extends(json_t *o, const char *key, json_t **out) MUST_USE;

/* Serialises a string map compactly with sorted keys, in the arena. NULL/null → NULL. */
const char *jv_extends_dump(struct arena *ar, json_t *map);

/* Parses stored extends text into an object with sorted keys, or json null when the text is
 * NULL, "null", empty or not an object. New reference. */
json_t *jv_extends_load(const char *text);

/* Stored map merged with `update` (update's keys win); returns sorted text in the arena. */
const char *jv_extends_merge(struct arena *ar, const char *stored_text, json_t *update);

/* json_string of s, or json null when s is NULL (new reference). */
json_t *jv_str_or_null(const char *s);

/* json_string of s, "" when s is NULL (new reference). */
json_t *jv_str(const char *s);

#endif
