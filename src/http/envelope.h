#ifndef QNLIVE_HTTP_ENVELOPE_H
#define QNLIVE_HTTP_ENVELOPE_H

/* The JSON envelope of every answer:
 *   success  {"request_id":…,"code":0,"message":"","data":…}   (no data key without data)
 *   error    {"request_id":…,"code":<code>,"message":"<text>"} (never a data key) */

#include <stddef.h>

#include "http/req.h"

/* Renders r's outcome (r->err, r->err_message, the data set by req_ok) into a heap string;
 * *len receives its length. */
char *envelope_render(const struct req *r, size_t *len);

/* Renders an error envelope from its parts alone (heap; *len receives its length): for answers
 * the server gives by itself, without a request's response state. */
char *envelope_render_error(const char *reqid, int code, const char *message, size_t *len);

#endif
