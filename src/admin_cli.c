#define LOG_MODULE "admin"
#include "admin_cli.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "biz/admin/admin.h"
#include "biz/admin/admin_password.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/store.h"

struct admin_args {
    const char *cmd; /* add | passwd | list */
    const char *config;
    const char *overlay;
    const char *user_name;
    const char *user_id;
    const char *description;
};

static int usage(void)
{
    fputs("usage: qnlive admin add USER_NAME [--user-id ID] [--description TEXT] -f config.yaml\n"
          "       qnlive admin passwd USER_NAME -f config.yaml\n"
          "       qnlive admin list -f config.yaml\n"
          "       (-e overlay.yaml as for the server; the password is read from stdin)\n",
          stderr);
    return 2;
}

static bool parse(int argc, char **argv, struct admin_args *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "-f") == 0 && has_value)
            o->config = argv[++i];
        else if (strcmp(a, "-e") == 0 && has_value)
            o->overlay = argv[++i];
        else if (strcmp(a, "--user-id") == 0 && has_value)
            o->user_id = argv[++i];
        else if (strcmp(a, "--description") == 0 && has_value)
            o->description = argv[++i];
        else if (a[0] == '-')
            return false;
        else if (!o->cmd)
            o->cmd = a;
        else if (!o->user_name)
            o->user_name = a;
        else
            return false;
    }
    if (!o->cmd || !o->config || !o->config[0])
        return false;
    if (strcmp(o->cmd, "list") == 0)
        return !o->user_name;
    if (strcmp(o->cmd, "add") != 0 && strcmp(o->cmd, "passwd") != 0)
        return false;
    return o->user_name && o->user_name[0];
}

/* Reads one line without its newline; false at end of input or when it is too long. */
static bool read_line(const char *prompt, bool tty, char *buf, size_t cap)
{
    struct termios saved, quiet;
    if (tty) {
        fputs(prompt, stderr);
        tcgetattr(STDIN_FILENO, &saved);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    bool ok = fgets(buf, (int)cap, stdin) != NULL;
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    size_t len = ok ? strcspn(buf, "\r\n") : 0;
    if (ok && buf[len] == '\0' && len == cap - 1)
        return false; /* no newline in a full buffer: longer than the limit */
    buf[len] = '\0';
    return ok;
}

/* The new password from stdin, checked for length (and typed twice on a terminal). */
static bool read_password(char *buf, size_t cap)
{
    char again[ADMIN_PASSWORD_MAX + 2];
    bool tty = isatty(STDIN_FILENO);
    if (!read_line("New password: ", tty, buf, cap)) {
        fputs("qnlive admin: no password on standard input (or longer than 128 bytes)\n", stderr);
        return false;
    }
    size_t len = strlen(buf);
    if (len < ADMIN_PASSWORD_MIN || len > ADMIN_PASSWORD_MAX) {
        fprintf(stderr, "qnlive admin: the password needs %d to %d bytes\n", ADMIN_PASSWORD_MIN,
                ADMIN_PASSWORD_MAX);
        return false;
    }
    if (tty && (!read_line("Again: ", tty, again, sizeof(again)) || strcmp(buf, again) != 0)) {
        fputs("qnlive admin: the passwords differ\n", stderr);
        return false;
    }
    return true;
}

static int list_admins(struct store *s)
{
    struct arena *ar = arena_new();
    struct admin_entry *rows = NULL;
    size_t n = 0;
    err_t err = admin_list(s, ar, &rows, &n);
    if (!err) {
        printf("id\tuser_name\tuser_id\tpassword\tdescription\n");
        for (size_t i = 0; i < n; i++)
            printf("%" PRId64 "\t%s\t%s\t%s\t%s\n", rows[i].row.id, rows[i].row.user_name,
                   rows[i].row.user_id, rows[i].is_hashed ? "hashed" : "PLAINTEXT",
                   rows[i].description);
    }
    arena_free(&ar);
    if (err)
        fprintf(stderr, "qnlive admin: list failed: %s\n", err_name(err));
    return err ? 1 : 0;
}

static int change(struct store *s, int iterations, const struct admin_args *o)
{
    char password[ADMIN_PASSWORD_MAX + 2];
    bool add = strcmp(o->cmd, "add") == 0;
    if (!read_password(password, sizeof(password)))
        return 1;
    err_t err = add ? admin_add(s, iterations, o->user_name, o->user_id ? o->user_id : o->user_name,
                                password, o->description ? o->description : "")
                    : admin_set_password(s, iterations, o->user_name, password);
    if (err == ERR_EXISTS)
        fprintf(stderr, "qnlive admin: an admin named %s (or that user_id) exists\n", o->user_name);
    else if (err == ERR_NOT_FOUND)
        fprintf(stderr, "qnlive admin: no admin named %s\n", o->user_name);
    else if (err)
        fprintf(stderr, "qnlive admin: %s failed: %s\n", o->cmd, err_name(err));
    else
        printf("%s %s\n", add ? "added" : "password changed for", o->user_name);
    return err ? 1 : 0;
}

int admin_cli_main(int argc, char **argv)
{
    struct admin_args o = {0};
    struct conf cf = {0};
    struct store *s = NULL;
    char errbuf[1024];

    if (!parse(argc, argv, &o))
        return usage();
    if (conf_load(o.config, o.overlay, &cf, errbuf, sizeof(errbuf))) {
        fprintf(stderr, "qnlive: config error: %s\n", errbuf);
        return 2;
    }
    log_set_level(LOG_WARN); /* results on stdout; only problems on stderr */
    int rc = 1;
    err_t err = store_open(&cf, &s);
    if (err)
        fprintf(stderr, "qnlive admin: database: %s\n", err_name(err));
    else
        rc = strcmp(o.cmd, "list") == 0 ? list_admins(s)
                                        : change(s, (int)cf.auth.admin_hash_iterations, &o);
    store_close(&s);
    conf_free(&cf);
    return rc;
}
