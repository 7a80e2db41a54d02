#ifndef QNLIVE_BIZ_CENSOR_INT_H
#define QNLIVE_BIZ_CENSOR_INT_H

/* Shared between the files of biz/censor only. */

struct app;
struct censor_client;

/* Creates the moderation client and the room listener (once per app, at registration). */
void censor_service_init(struct app *a);

/* The moderation client of the module (NULL before censor_service_init). */
struct censor_client *censor_client_of(struct app *a);

#endif
