/* Pushgateway grouping-key URL (kept apart from the pusher so it links without httpc). */
#define LOG_MODULE "metrics"

#include "metrics/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/str.h"
#include "metrics/metrics_int.h"

/* One `/<name>/<value>` path segment pair; '/' cannot be escaped inside a path segment, so the
 * Pushgateway's base64 form carries such values. */
static void put_label_segment(struct mbuf *b, const char *name, const char *value)
{
    if (value[0] == '\0') {
        mbuf_printf(b, "/%s@base64/=", name);
        return;
    }
    if (strchr(value, '/')) {
        size_t n = strlen(value);
        char *enc = xmalloc(base64_len(n) + 1);
        base64_encode((const unsigned char *)value, n, enc, true, false);
        mbuf_printf(b, "/%s@base64/%s", name, enc);
        free(enc);
        return;
    }
    char *esc = url_escape(value);
    mbuf_printf(b, "/%s/%s", name, esc);
    free(esc);
}

char *metrics_push_url(const char *url, const char *job, const char *instance)
{
    struct mbuf b = {0};
    size_t n = strlen(url);

    while (n > 0 && url[n - 1] == '/')
        n--;
    if (!strstr(url, "://"))
        mbuf_puts(&b, "http://");
    mbuf_printf(&b, "%.*s/metrics", (int)n, url);
    put_label_segment(&b, "job", job ? job : "");
    put_label_segment(&b, "instance", instance ? instance : "");
    return mbuf_take(&b, NULL);
}
