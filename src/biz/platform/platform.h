#ifndef QNLIVE_BIZ_PLATFORM_H
#define QNLIVE_BIZ_PLATFORM_H

struct app;

/* Registers /status, /healthz, /readyz and /client/app/config. */
void platform_module_register(struct app *a);

/* Registers the test build's /test/clock and /test/cron/:job; nothing in other builds. */
void platform_test_routes_register(struct app *a);

#endif
