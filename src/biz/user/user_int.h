#ifndef QNLIVE_BIZ_USER_USER_INT_H
#define QNLIVE_BIZ_USER_USER_INT_H

/* Internal to the user module. */

struct app;
struct textcache;

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

#endif
