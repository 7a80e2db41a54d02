#define LOG_MODULE "store"
#include "store/store.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/mem.h"
#include "core/str.h"
#include "store/sqltime.h"
#include "store/store_int.h"

void store_rows_begin(struct store_rows_builder *b, struct arena *a, struct store_rows *out,
                      size_t ncols)
{
    memset(b, 0, sizeof(*b));
    memset(out, 0, sizeof(*out));
    b->a = a;
    b->out = out;
    out->ncols = ncols;
    out->names = arena_zalloc(a, (ncols ? ncols : 1) * sizeof(*out->names));
}

void store_rows_name(struct store_rows_builder *b, size_t i, const char *name)
{
    b->out->names[i] = arena_strdup(b->a, name ? name : "");
}

void store_rows_add(struct store_rows_builder *b, char ***cells, size_t **lens)
{
    size_t ncols = b->out->ncols;

    if (b->out->nrows == b->cap_rows) {
        b->cap_rows = b->cap_rows ? b->cap_rows * 2 : 16;
        b->cells = xrealloc(b->cells, b->cap_rows * ncols * sizeof(*b->cells));
        b->lens = xrealloc(b->lens, b->cap_rows * ncols * sizeof(*b->lens));
    }
    *cells = b->cells + b->out->nrows * ncols;
    *lens = b->lens + b->out->nrows * ncols;
    b->out->nrows++;
}

void store_rows_end(struct store_rows_builder *b)
{
    struct store_rows *out = b->out;
    size_t n = out->nrows * out->ncols;

    out->cells = arena_alloc(b->a, (n ? n : 1) * sizeof(*out->cells));
    out->lens = arena_alloc(b->a, (n ? n : 1) * sizeof(*out->lens));
    if (n) {
        memcpy(out->cells, b->cells, n * sizeof(*out->cells));
        memcpy(out->lens, b->lens, n * sizeof(*out->lens));
    }
    free(b->cells);
    free(b->lens);
    b->cells = NULL;
    b->lens = NULL;
}

void store_rows_abort(struct store_rows_builder *b)
{
    free(b->cells);
    free(b->lens);
    b->cells = NULL;
    b->lens = NULL;
    b->out->nrows = 0;
}

const char *store_rows_str(const struct store_rows *r, size_t row, size_t col)
{
    assert(row < r->nrows && col < r->ncols);
    return r->cells[row * r->ncols + col];
}

const char *store_rows_text(const struct store_rows *r, size_t row, size_t col)
{
    const char *s = store_rows_str(r, row, col);
    return s ? s : "";
}

bool store_rows_is_null(const struct store_rows *r, size_t row, size_t col)
{
    return store_rows_str(r, row, col) == NULL;
}

int64_t store_rows_i64(const struct store_rows *r, size_t row, size_t col)
{
    const char *s = store_rows_str(r, row, col);
    int64_t v;

    if (!s || !strn_to_i64(s, r->lens[row * r->ncols + col], INT64_MIN, INT64_MAX, &v))
        return 0;
    return v;
}

int64_t store_rows_time(const struct store_rows *r, size_t row, size_t col)
{
    const char *s = store_rows_str(r, row, col);
    size_t n;
    int64_t v;

    if (!s)
        return 0;
    n = r->lens[row * r->ncols + col];
    if (strn_to_i64(s, n, INT64_MIN, INT64_MAX, &v))
        return v;
    return sqltime_parse(s, n, &v) ? v : 0;
}

int store_rows_col(const struct store_rows *r, const char *name)
{
    for (size_t i = 0; i < r->ncols; i++)
        if (strcmp(r->names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *store_sql_placeholders(struct arena *a, size_t n)
{
    char *out = arena_alloc(a, n * 3 + 1);
    char *w = out;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            *w++ = ',';
            *w++ = ' ';
        }
        *w++ = '?';
    }
    *w = '\0';
    return out;
}

/* "?, ?, ?" with one placeholder per comma-separated column. */
static const char *placeholders(struct arena *a, const char *cols)
{
    size_t n = 1;

    for (const char *p = cols; *p; p++)
        n += *p == ',';
    return store_sql_placeholders(a, n);
}

/* Writes ", (one)" (or "(one)" for the first row) at w; returns the length written. */
static size_t sprintf_row(char *w, const char *one, bool first)
{
    size_t n = 0;

    if (!first) {
        w[n++] = ',';
        w[n++] = ' ';
    }
    w[n++] = '(';
    memcpy(w + n, one, strlen(one));
    n += strlen(one);
    w[n++] = ')';
    return n;
}

/* Rewrites every NEW(col) in an update clause into the dialect's spelling. */
static const char *rewrite_new(struct arena *a, enum store_dialect d, const char *update)
{
    const char *pre = d == STORE_DIALECT_MYSQL ? "VALUES(" : "excluded.";
    const char *post = d == STORE_DIALECT_MYSQL ? ")" : "";
    char *out = arena_strdup(a, "");
    const char *p = update, *hit;

    while ((hit = strstr(p, "NEW(")) != NULL) {
        const char *end = strchr(hit, ')');
        if (!end)
            break;
        out = arena_printf(a, "%s%.*s%s%.*s%s", out, (int)(hit - p), p, pre, (int)(end - hit - 4),
                           hit + 4, post);
        p = end + 1;
    }
    return arena_printf(a, "%s%s", out, p);
}

const char *store_sql_upsert(const struct store_conn *c, struct arena *a, const char *table,
                             const char *cols, const char *conflict, const char *update)
{
    enum store_dialect d = store_dialect(c);
    const char *set = rewrite_new(a, d, update);

    if (d == STORE_DIALECT_MYSQL)
        return arena_printf(a, "INSERT INTO %s (%s) VALUES (%s) ON DUPLICATE KEY UPDATE %s", table,
                            cols, placeholders(a, cols), set);
    return arena_printf(a, "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
                        table, cols, placeholders(a, cols), conflict, set);
}

/* "(?, ?), (?, ?)...": nrows copies of one row's placeholders. */
static const char *row_list(struct arena *a, const char *cols, size_t nrows)
{
    const char *one = placeholders(a, cols);
    size_t len = strlen(one) + 4;
    char *out = arena_alloc(a, nrows * len + 1);
    char *w = out;

    for (size_t i = 0; i < nrows; i++)
        w += sprintf_row(w, one, i == 0);
    *w = '\0';
    return out;
}

const char *store_sql_upsert_rows(const struct store_conn *c, struct arena *a, const char *table,
                                  const char *cols, const char *conflict, const char *update,
                                  size_t nrows)
{
    enum store_dialect d = store_dialect(c);
    const char *set = rewrite_new(a, d, update);
    const char *rows = row_list(a, cols, nrows ? nrows : 1);

    if (d == STORE_DIALECT_MYSQL)
        return arena_printf(a, "INSERT INTO %s (%s) VALUES %s ON DUPLICATE KEY UPDATE %s", table,
                            cols, rows, set);
    return arena_printf(a, "INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO UPDATE SET %s", table,
                        cols, rows, conflict, set);
}

const char *store_sql_insert_ignore(const struct store_conn *c, struct arena *a, const char *table,
                                    const char *cols)
{
    if (store_dialect(c) == STORE_DIALECT_SQLITE)
        return arena_printf(a, "INSERT INTO %s (%s) VALUES (%s) ON CONFLICT DO NOTHING", table,
                            cols, placeholders(a, cols));
    /* A no-op update: unlike INSERT IGNORE it does not also swallow other errors. */
    size_t first = strcspn(cols, ",");
    return arena_printf(a, "INSERT INTO %s (%s) VALUES (%s) ON DUPLICATE KEY UPDATE %.*s = %.*s",
                        table, cols, placeholders(a, cols), (int)first, cols, (int)first, cols);
}

uint64_t store_hash_sql(const char *sql)
{
    uint64_t h = 1469598103934665603ULL;

    for (const unsigned char *p = (const unsigned char *)sql; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Length of the quoted literal or comment starting at p (0 if none starts there). */
static size_t skip_span(const char *p)
{
    const char *q;

    if (*p == '\'' || *p == '"' || *p == '`') {
        for (q = p + 1; *q && *q != *p; q++)
            if (*q == '\\' && *p != '`' && q[1])
                q++;
        return (size_t)(q - p) + (*q ? 1 : 0);
    }
    if ((p[0] == '-' && p[1] == '-') || p[0] == '#') {
        q = strchr(p, '\n');
        return q ? (size_t)(q - p) : strlen(p);
    }
    if (p[0] == '/' && p[1] == '*') {
        q = strstr(p + 2, "*/");
        return q ? (size_t)(q - p) + 2 : strlen(p);
    }
    return 0;
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = skip_span(s + i);
        if (k && (s[i] == '-' || s[i] == '#' || s[i] == '/')) {
            i += k - 1;
            continue;
        }
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    }
    return true;
}

err_t store_script_each(const char *script, err_t (*fn)(void *ctx, const char *stmt), void *ctx)
{
    const char *start = script, *p = script;
    err_t err = ERR_OK;

    while (!err) {
        size_t k = skip_span(p);
        if (k) {
            p += k;
            continue;
        }
        if (*p != ';' && *p != '\0') {
            p++;
            continue;
        }
        if (!blank(start, (size_t)(p - start))) {
            char *stmt = xstrndup(start, (size_t)(p - start));
            err = fn(ctx, stmt);
            free(stmt);
        }
        if (*p == '\0')
            break;
        start = ++p;
    }
    return err;
}
