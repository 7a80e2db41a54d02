#ifndef QNLIVE_APP_H
#define QNLIVE_APP_H

/* The process-wide wiring: configuration, backends and clients. Created once by main, passed
 * to every request (r->app) and job; never a global. Only app.c knows which backends are used. */

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/err.h"

struct store;
struct cache;
struct router;
struct cron;
struct im_client;
struct rtc_client;
struct pili_client;
struct req;
struct textcache;
struct clock;
struct censor_client;
struct pay_client;
struct webhook_client;
struct live_mod;
struct http_server_config;

/* Lookups the auth middleware needs from business modules, installed by them at registration
 * so that platform code never includes biz/. */
struct app_auth_hooks {
    /* user_id -> im_userid of recent successful client-token lookups, owned by the user module;
     * NULL = no cache */
    struct textcache *client_users;
    /* Finds the live_users row of a client token: ERR_OK and *im_userid, ERR_NOT_FOUND, or a
     * store error. */
    err_t (*find_client_user)(struct req *r, const char *user_id, int64_t *im_userid);
    /* Finds the admin_user row of an admin token: ERR_OK, ERR_NOT_FOUND or a store error. */
    err_t (*find_admin_user)(struct req *r, const char *user_id);
    /* Records one admin operation (operation_log); best effort. */
    void (*log_admin_operation)(struct req *r, int status);
};

struct app {
    struct conf conf;
    struct clock *clock; /* the one business clock: every "now" of a rule comes from it */
    struct store *store;
    struct cache *cache;
    struct router *router;
    struct cron *cron;
    struct im_client *im;
    struct rtc_client *rtc;   /* never NULL after app_open: room tokens are computed locally */
    struct pili_client *pili; /* NULL without a pili section: stream URLs are then empty */
    struct app_auth_hooks auth;
    struct censor_client *censor;   /* NULL without a censor section */
    struct pay_client *pay;         /* the gift payment hook; NULL without a gift section */
    struct webhook_client *webhook; /* business callbacks; NULL without callback.addr */
    /* The live module, which the other modules call through live.h: created at its
     * registration; what is inside is its own. */
    struct live_mod *live;
    /* module teardown, run by app_close in reverse order of registration */
    struct {
        void (*fn)(void *self);
        void *self;
    } on_close[8];
    size_t n_on_close;
    int64_t started_at; /* Unix seconds */
};

/* Opens every backend and client named by the config (store with migrations, cache, IM),
 * registers every route and cron job. On failure writes a reason into errbuf. */
err_t app_open(struct app *a, char *errbuf, size_t errlen) MUST_USE;

/* Closes everything app_open opened, in reverse order; the conf is freed too. */
void app_close(struct app *a);

/* Registers fn(self) to run when the app closes (before its backends are closed): a module
 * frees its context there. */
void app_on_close(struct app *a, void (*fn)(void *self), void *self);

/* Fills the HTTP server's settings from the config and the modules' auth hooks; the server
 * hands `a` to every request as r->app. Call after app_open. */
void app_http_config(struct app *a, struct http_server_config *out);

/* The name that keeps this deployment's shared-cache keys apart from another's using the same
 * Redis: the database name ("" without MySQL). Business ids (user ids above all) are the
 * business server's own, so two deployments may both have a "u1". */
const char *app_cache_scope(const struct app *a);

/* Pings the store and the cache: ERR_OK when both answer (readiness). */
err_t app_ping(struct app *a) MUST_USE;

#endif
