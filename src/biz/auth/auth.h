#ifndef QNLIVE_BIZ_AUTH_H
#define QNLIVE_BIZ_AUTH_H

struct app;

/* Registers /server/auth/token, /server/auth/admin/token and /manager/login. */
void auth_module_register(struct app *a);

#endif
