#include "http/envelope.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "http/err_wire.h"

/* A JSON string literal of s (heap). Invalid UTF-8 in a message becomes "". */
static char *json_quote(const char *s)
{
    json_t *v = json_string(s);
    char *out = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    return out ? out : xstrdup("\"\"");
}

char *envelope_render(const struct req *r, size_t *len)
{
    const char *msg;
    char *data = NULL;
    if (r->err) {
        msg = r->err_message ? r->err_message : err_default_message(r->err);
    } else {
        msg = r->err_message ? r->err_message : "";
        if (r->_has_data && r->_raw_data)
            data = xstrndup(r->_raw_data, r->_raw_len);
        else if (r->_has_data)
            data = r->_data
                       ? json_dumps(r->_data, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)
                       : xstrdup("null");
    }
    char *msg_json = json_quote(msg);
    int code = !r->err ? 0 : r->err_code ? r->err_code : err_body_code(r->err);
    char *out;
    if (data)
        out = xasprintf("{\"request_id\":\"%s\",\"code\":%d,\"message\":%s,\"data\":%s}", r->reqid,
                        code, msg_json, data);
    else
        out = xasprintf("{\"request_id\":\"%s\",\"code\":%d,\"message\":%s}", r->reqid, code,
                        msg_json);
    free(msg_json);
    free(data);
    *len = strlen(out);
    return out;
}

char *envelope_render_error(const char *reqid, int code, const char *message, size_t *len)
{
    char *msg_json = json_quote(message);
    char *out =
        xasprintf("{\"request_id\":\"%s\",\"code\":%d,\"message\":%s}", reqid, code, msg_json);
    free(msg_json);
    *len = strlen(out);
    return out;
}
