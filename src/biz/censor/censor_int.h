#ifndef QNLIVE_BIZ_CENSOR_INT_H
#define QNLIVE_BIZ_CENSOR_INT_H

/* Shared between the files of biz/censor only. */

struct app;

/* Installs the room listener that starts and closes moderation jobs (at registration). */
void censor_service_init(struct app *a);

#endif
