#include "http/page.h"

#include "http/req.h"

enum { PAGE_SIZE_DEFAULT = 10 };

err_t req_page(struct req *r, int64_t size_max, struct req_page *out)
{
    err_t err = req_query_i64(r, "page_num", 1, 1, INT32_MAX, &out->num);
    if (!err)
        err = req_query_i64(r, "page_size", PAGE_SIZE_DEFAULT, 1, size_max, &out->size);
    return err;
}

bool req_page_is_last(const struct req_page *p, int64_t total)
{
    return p->num * p->size >= total;
}

err_t req_ok_page(struct req *r, const struct req_page *p, int64_t total, bool end_page,
                  json_t *list)
{
    json_int_t pages = (json_int_t)((total + p->size - 1) / p->size);
    return req_ok(r, json_pack("{s:I, s:I, s:b, s:o}", "total_count", (json_int_t)total,
                               "page_total", pages, "end_page", end_page, "list", list));
}
