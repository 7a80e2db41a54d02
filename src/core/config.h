#ifndef QNLIVE_CORE_CONFIG_H
#define QNLIVE_CORE_CONFIG_H

/* The server configuration: YAML in the seed's schema, optionally overlaid by a
 * second file, with ${VAR} replaced from the environment. Every key is validated at load time.
 * Sections that are optional carry `enabled`, true when the section is present in the files.
 * All strings are owned by the struct (heap) and are never NULL: absent means "". */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

struct conf_db {
    char *host;
    int64_t port;
    char *username;
    char *password; /* secret */
    char *database;
    int64_t max_idle_conns;
    int64_t max_open_conns;
    int64_t conn_max_life_time; /* seconds; default 3600 (the reference's 5 s churns connections) */
    char *name;                 /* the `default` key; "" becomes "default" */
    bool read_only;
};

struct conf {
    struct {
        int64_t node_id; /* 0..1023 */
    } node;
    struct {
        char *access_key;
        char *secret_key; /* secret */
    } account;
    struct {
        char *addr;            /* "host:port" or ":port" (all interfaces) */
        int64_t workers;       /* handler threads (wait on dependencies); default 8 x CPUs */
        int64_t event_threads; /* threads that accept, parse and write HTTP; default CPUs */
        int64_t queue_max;     /* requests waiting for a handler thread; default 64 x workers */
        int64_t request_timeout_ms;     /* every request is answered within this; default 5000 */
        int64_t read_timeout_s;         /* a whole request must arrive within this; default 10 */
        int64_t idle_timeout_s;         /* a connection silent this long is closed; default 60 */
        int64_t max_connections;        /* default 10000 */
        int64_t max_connections_per_ip; /* 0 = no cap; default 1024 */
        int64_t header_max;             /* request line + headers in bytes; default 16 KiB */
        int64_t body_max;               /* request body cap in bytes; default 1 MiB */
        int64_t drain_timeout_s; /* graceful-shutdown wait for in-flight requests; default 10 */
        char **trusted_proxies;  /* peers whose X-Forwarded-For / X-Real-IP are believed */
        size_t n_trusted_proxies;
    } httpq;
    struct {
        char *jwt_key;           /* secret; required */
        int64_t token_max_ttl_s; /* cap on issued expires_at - now and on the age (since iat)
                                  * of tokens without exp; default 30 days; 0 = no cap */
        /* PBKDF2-HMAC-SHA256 rounds of new admin password hashes; default 600000 */
        int64_t admin_hash_iterations;
        struct {
            bool enable; /* default true: /server is open only with an explicit false */
            char *access_key;
            char *secret_key; /* secret */
        } server;
    } auth;
    struct {
        bool enabled; /* false: in-process memory cache */
        char *type;   /* "node" | "cluster" */
        char *addr;   /* node */
        char **addrs; /* cluster seeds */
        size_t n_addrs;
        char *password;  /* secret */
        bool near_cache; /* node: keep hot reads in process, invalidated by Redis tracking */
    } cache;
    struct {
        bool enabled; /* false: embedded SQLite */
        struct conf_db *databases;
        size_t n_databases;
    } mysql;
    struct {
        char *path; /* SQLite file when there is no mysql section; default "data/qnlive.db" */
    } sqlite;
    struct {
        bool enabled; /* false: IM features off, chat ids 0 */
        char *app_id;
        char *endpoint;           /* base URL of the Maxim API */
        char *token;              /* secret: the IM admin token */
        int64_t register_retry_s; /* period of the IM-registration retry job; default 5 */
    } im;
    struct {
        bool enabled;
        char *app_id;
        char *endpoint; /* default https://rtc.qiniuapi.com */
    } rtc;
    struct {
        bool enabled;
        char *hub;
        int64_t room_token_expire_s;
        char *playback_url;
        char *stream_pattern;
        char *publish_url;
        char *publish_domain;
        char *rtmp_play_url;
        char *flv_play_url;
        char *hls_play_url;
        char *security_type; /* "none" | "expiry" | "expiry_sk" */
        char *publish_key;   /* secret */
        int64_t publish_expire_s;
        char *media_url;        /* accepted, unused (as in the reference) */
        char *endpoint;         /* Pili API base; default https://pili.qiniuapi.com */
        int64_t saveas_retry_s; /* how long a refused recording save-as is retried; 600 */
    } pili;
    struct {
        int64_t single_task_node;
    } cron;
    struct {
        bool enabled;
        char *client_mode; /* "exporter" | "pusher" */
        char *listen_addr; /* exporter_config.listen_addr */
        char *push_url;    /* pusher_config.url */
        char *push_job;
        char *push_instance;
        int64_t push_interval_s;
    } prome;
    struct {
        char *addr;           /* business webhook URL; "" = no events */
        char *secret;         /* HMAC-SHA256 key of X-Qnlive-Signature; "" = unsigned (warned) */
        int64_t max_attempts; /* failed deliveries before an event is a dead letter */
        int64_t max_age_s;    /* age after which a failing event is a dead letter */
    } callback;
    struct {
        bool enabled;
        char *callback;
        char *bucket;
        char *addr;
        char *endpoint;       /* moderation API base; default http://ai.qiniuapi.com */
        char *callback_token; /* shared secret appended to the hook URL; "" = none */
        int64_t timeout_ms;   /* total timeout of one moderation API call; default 5000 */
    } censor;
    struct {
        bool enabled;
        char *gift_addr;
        int64_t timeout_ms; /* payment hook total timeout; default 2500 */
        bool test_hook;     /* serve POST /manager/gift/test (demos only); default false */
        char *secret;       /* HMAC-SHA256 key of X-Qnlive-Signature; "" = unsigned (warned) */
    } gift;
    struct {
        bool enable;    /* default false: nothing is reported to Qiniu unless asked */
        char *endpoint; /* default https://niucube-api.qiniu.com */
    } telemetry;
    struct {
        int64_t room_timeout_s;      /* anchor heartbeat timeout; default 600 */
        int64_t user_timeout_s;      /* audience heartbeat timeout; default 20 */
        int64_t view_cache_ms;       /* lifetime of cached room info / list answers; 0 = off */
        int64_t timeout_check_s;     /* period of both timeout scans; default 3 */
        int64_t pk_invite_timeout_s; /* a PK the invited anchor never took up ends; 60 */
    } live;
    struct {
        char *level;  /* "debug" | "info" | "warn" | "error"; default "info" */
        char *format; /* "text" | "json" (one JSON object per line); default "text" */
    } log;
    struct {
        int64_t dependency_wait_s; /* how long start-up waits for MySQL and Redis; default 60 */
    } startup;
    /* Bulkheads: how many threads may wait on each dependency at once. A call that finds its
     * dependency's slots full fails at once (the store waits store_wait_ms first). */
    struct {
        int64_t store;                                /* default 3/4 of httpq.workers */
        int64_t store_wait_ms;                        /* default 250 */
        int64_t cache;                                /* default 3/4 of httpq.workers */
        int64_t cache_wait_ms;                        /* default 250 */
        int64_t im, rtc, pili, censor, pay, callback; /* default half of httpq.workers each */
    } limits;
};

/* Loads `path`, overlays `overlay` when non-NULL (maps merge recursively, scalars and lists
 * replace), expands ${VAR}, validates every key and fills *out (caller frees with conf_free).
 * On failure returns ERR_BAD_REQUEST and writes "file: key: reason" into errbuf. */
err_t conf_load(const char *path, const char *overlay, struct conf *out, char *errbuf,
                size_t errlen) MUST_USE;

/* Same, from in-memory YAML documents (overlay may be NULL); `name` labels error messages. */
err_t conf_load_string(const char *yaml, const char *name, const char *overlay_yaml,
                       struct conf *out, char *errbuf, size_t errlen) MUST_USE;

/* Writes the effective config as YAML with secrets masked ("******"). */
void conf_dump(const struct conf *c, FILE *f);

/* Frees every string and array the struct owns; leaves it zeroed. */
void conf_free(struct conf *c);

#endif
