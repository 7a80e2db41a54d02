#ifndef QNLIVE_HTTP_AUTH_H
#define QNLIVE_HTTP_AUTH_H

/* The three auth schemes of spec 01 §5, applied by route flag before the handler runs. */

#include "core/err.h"
#include "http/req.h"

/* Checks r against its route's auth flag and fills r->user_id and friends. Returns ERR_OK, or
 * the error to answer with (message recorded through req_fail). */
err_t auth_check(struct req *r) MUST_USE;

#endif
