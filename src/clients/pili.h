#ifndef QNLIVE_CLIENTS_PILI_H
#define QNLIVE_CLIENTS_PILI_H

/* Qiniu Pili live streaming: stream names, push URLs signed per security_type,
 * play / playback URLs (all pure string building), and the save-as API call. */

#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

enum pili_security { PILI_SECURITY_NONE, PILI_SECURITY_EXPIRY, PILI_SECURITY_EXPIRY_SK };

struct pili_client;

/* Builds a client from cf->pili and cf->account (strings copied). Fails with ERR_CONFIG
 * and "pili.<key>: reason" in errbuf when security_type is not "", "none", "expiry" or
 * "expiry_sk", when "expiry" has no publish_key, or when stream_pattern has no "%s" (the
 * reference would produce garbage names there). The API base is cf->pili.endpoint, or
 * https://pili.qiniuapi.com when empty. */
err_t pili_client_new(const struct conf *cf, struct pili_client **out, char *errbuf,
                      size_t errlen) MUST_USE;

/* Frees the client; accepts NULL and NULLs *cp. */
void pili_client_free(struct pili_client **cp);

/* Overrides the save-as timeouts (defaults 3000 ms connect, 3000 ms total as in the
 * reference); values <= 0 keep the current value. */
void pili_client_set_timeouts(struct pili_client *c, long connect_ms, long total_ms);

/* The stream name: stream_pattern with its first "%s" replaced by live_id; any other '%' is
 * kept literally. Heap string. */
char *pili_stream_name(const struct pili_client *c, const char *live_id);

/* Expiry instant of a new push URL: `requested` when it lies after `now`, else
 * now + publish_expire_s. */
int64_t pili_push_expire_at(const struct pili_client *c, int64_t requested, int64_t now);

/* rtmp://<publish_domain>/<hub>/<stream>, signed for security_type with expiry `expire_at`.
 * Heap string; never fails once the client exists. */
char *pili_push_url(const struct pili_client *c, const char *stream, int64_t expire_at);

/* Play URLs: <rtmp_play_url>/<hub>/<stream>, <flv_play_url>/<hub>/<stream>.flv,
 * <hls_play_url>/<hub>/<stream>.m3u8 (plain concatenation). Heap strings. */
char *pili_rtmp_play_url(const struct pili_client *c, const char *stream);
char *pili_flv_play_url(const struct pili_client *c, const char *stream);
char *pili_hls_play_url(const struct pili_client *c, const char *stream);

/* Every URL of a new live room. */
struct pili_live_urls {
    char *push, *rtmp, *flv, *hls; /* heap */
};

/* Fills *out for live_id with a push URL expiring at expire_at (free with
 * pili_live_urls_free). */
void pili_live_urls(const struct pili_client *c, const char *live_id, int64_t expire_at,
                    struct pili_live_urls *out);

/* Frees the strings and zeroes *u; accepts a zeroed struct. */
void pili_live_urls_free(struct pili_live_urls *u);

/* Recording playback URL: <playback_url>/<fname>. Heap string. */
char *pili_playback_url(const struct pili_client *c, const char *fname);

/* The stream title of a stored push URL: the text after its last '/', without any query
 * string (the reference kept the query, which broke save-as for signed URLs). Heap string. */
char *pili_stream_title(const char *push_url);

/* POST <api>/v2/hubs/<hub>/streams/<b64url(title)>/saveas signed with the account keys,
 * saving [start, end] (unix seconds) as `fname`. *out_fname receives the
 * name the service reports (heap; `fname` when the reply has none). ERR_UPSTREAM on transport
 * failure, timeout, a non-2xx/3xx status or an undecodable reply. */
err_t pili_save_as(struct pili_client *c, const char *title, const char *fname, int64_t start,
                   int64_t end, char **out_fname) MUST_USE;

#endif
