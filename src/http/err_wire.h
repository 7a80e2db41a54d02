#ifndef QNLIVE_HTTP_ERR_WIRE_H
#define QNLIVE_HTTP_ERR_WIRE_H

/* How each error of the server reaches the wire: HTTP status, body code and default message.
 * The wire catalogue of the reference wins over any internal preference (the Android SDK judges
 * success by the HTTP status alone). */

#include "core/err.h"

/* HTTP status for an error (200 for ERR_OK; 500 for an unknown value). */
int err_http_status(err_t e);

/* Body `code` for an error (0 for ERR_OK). */
int err_body_code(err_t e);

/* Default body `message` for an error ("" for ERR_OK). */
const char *err_default_message(err_t e);

#endif
