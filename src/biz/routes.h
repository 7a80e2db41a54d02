#ifndef QNLIVE_BIZ_ROUTES_H
#define QNLIVE_BIZ_ROUTES_H

struct app;

/* Registers every business module's routes, hooks and cron jobs into the app. */
void biz_register_all(struct app *a);

#endif
