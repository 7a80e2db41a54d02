#ifndef QNLIVE_BIZ_PLATFORM_H
#define QNLIVE_BIZ_PLATFORM_H

struct app;

/* Registers /status, /healthz, /readyz and /client/app/config. */
void platform_module_register(struct app *a);

#endif
