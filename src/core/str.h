#ifndef QNLIVE_CORE_STR_H
#define QNLIVE_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a whole decimal integer in [min, max]; no sign-only, no trailing bytes, no overflow.
 * Returns false on anything else (the only way the server parses numbers). */
bool str_to_i64(const char *s, int64_t min, int64_t max, int64_t *out);

/* Same for a length-delimited string. */
bool strn_to_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);

/* Constant-time comparison of two byte strings (length is not secret). */
bool str_equal_ct(const char *a, size_t alen, const char *b, size_t blen);

/* True when s starts with prefix. */
bool str_has_prefix(const char *s, const char *prefix);

/* base64 (standard alphabet) and base64url encoders; `pad` adds '=' padding. The output buffer
 * must hold base64_len(n) + 1 bytes; returns the length written (NUL-terminated). */
size_t base64_len(size_t n);
size_t base64_encode(const unsigned char *in, size_t n, char *out, bool url, bool pad);

/* Decodes base64 or base64url (either alphabet, padding optional). `out` must hold
 * n * 3 / 4 + 3 bytes. Returns false on an invalid character. */
bool base64_decode(const char *in, size_t n, unsigned char *out, size_t *out_len);

/* Escapes for a URL query or path component (RFC 3986 unreserved kept). Heap string. */
char *url_escape(const char *s);

#endif
