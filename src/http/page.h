#ifndef QNLIVE_HTTP_PAGE_H
#define QNLIVE_HTTP_PAGE_H

/* Paged lists: the page_num / page_size query and the {total_count, page_total, end_page, list}
 * answer the admin and client lists share. */

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct req;

struct req_page {
    int64_t num;  /* 1-based */
    int64_t size; /* rows per page, >= 1 */
};

/* Reads page_num (>= 1, default 1) and page_size (1..size_max, default 10); a value out of
 * range or not an integer fails the request with ERR_BAD_REQUEST naming the key (a page size of
 * 0 must never reach a division). */
err_t req_page(struct req *r, int64_t size_max, struct req_page *out) MUST_USE;

/* True when the page reaches the last row of `total` (a full last page included). */
bool req_page_is_last(const struct req_page *p, int64_t total);

/* Answers {total_count, page_total, end_page, list}; takes the reference of list. */
err_t req_ok_page(struct req *r, const struct req_page *p, int64_t total, bool end_page,
                  json_t *list);

#endif
