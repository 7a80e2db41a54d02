#ifndef QNLIVE_ADMIN_CLI_H
#define QNLIVE_ADMIN_CLI_H

/* `qnlive admin add|passwd|list -f config.yaml [-e overlay.yaml]`: the operators' tool for
 * admin accounts (admin_user), working directly on the configured database. Passwords are read
 * from standard input (twice without echo on a terminal, else the first line), never from the
 * command line. */

/* argv[0] is "admin". Returns the process exit status: 0 done, 1 failed, 2 usage error. */
int admin_cli_main(int argc, char **argv);

#endif
