#ifndef QNLIVE_BIZ_USER_USER_INT_H
#define QNLIVE_BIZ_USER_USER_INT_H

/* Internal to the user module: its context, and its rows in the shared cache (user_cache.c). */

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"

struct app;
struct arena;
struct textcache;
struct user_row;

/* The user module's context, created at registration and freed when the app closes. */
struct user_mod {
    struct app *app; /* the shared parts */
    /* user_id -> im_userid of recent successful client-token lookups (a few seconds): keeps a
     * database round trip off every authenticated request; the auth middleware reads it */
    struct textcache *client_users;
    /* consecutive failed runs of the IM registration retry job, and the ticks it still skips */
    int retry_failures;
    int retry_skip;
};

/* Creates the context, installs the client-token user lookup and schedules the IM
 * registration retry job (when IM is on). */
struct user_mod *user_mod_new(struct app *a);

/* What a cache lookup saw: whether the entry served (hit) and the generation to stamp a fill
 * with (usable false: the generation could not be read, so nothing may be filled). */
struct user_cache_probe {
    bool usable;
    bool hit;
    int64_t gen;
};

/* Reads the user's cached row and its generation in one round trip: *out is set on a hit.
 * ERR_UNAVAILABLE (or another cache error) when the cache cannot be read; *p is then unusable. */
err_t user_cache_get(struct app *a, struct arena *ar, const char *user_id, struct user_row *out,
                     struct user_cache_probe *p) MUST_USE;

/* Caches u, read from the primary after the miss described by p (nothing when p is unusable
 * or was a hit). Best effort. */
void user_cache_fill(struct app *a, struct arena *ar, const struct user_row *u,
                     const struct user_cache_probe *p);

/* Invalidates the user's cached row on every node: call after each committed change of it. */
void user_cache_changed(struct app *a, const char *user_id);

#endif
