#ifndef QNLIVE_TESTS_STORE_TESTUTIL_H
#define QNLIVE_TESTS_STORE_TESTUTIL_H

/* Helpers shared by the store tests: hand-built configs for SQLite and MariaDB, and a scratch
 * MariaDB database per test run.
 *
 * QNLIVE_TEST_MYSQL is host:port[:user[:password[:database]]] (defaults root, "", live), as
 * printed by scripts/testenv/mariadb.sh. Each run creates its own database on that server (so
 * parallel test executables never share tables) and drops it afterwards. */

#include <errmsg.h>
#include <mysql.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/mem.h"
#include "core/str.h"

struct test_mysql {
    char host[128];
    int64_t port;
    char user[64];
    char password[64];
    char database[64]; /* from the variable; the scratch database is made per run */
};

/* Parses QNLIVE_TEST_MYSQL; false (with a printed reason) when unset or malformed. */
static inline bool test_mysql_env(struct test_mysql *m)
{
    const char *v = getenv("QNLIVE_TEST_MYSQL");
    char buf[400];
    char *field[5] = {0};
    size_t nf = 0;

    memset(m, 0, sizeof(*m));
    if (!v || !*v) {
        fprintf(stderr, "QNLIVE_TEST_MYSQL is not set: skipping MariaDB tests "
                        "(eval \"$(scripts/testenv/mariadb.sh start DIR)\" to run them)\n");
        return false;
    }
    snprintf(buf, sizeof(buf), "%s", v);
    field[nf++] = buf;
    for (char *p = buf; *p && nf < 5; p++) {
        if (*p == ':') {
            *p = '\0';
            field[nf++] = p + 1;
        }
    }
    if (nf < 2 || !str_to_i64(field[1], 1, 65535, &m->port)) {
        fprintf(stderr, "QNLIVE_TEST_MYSQL=%s is not host:port[:user[:password[:db]]]\n", v);
        return false;
    }
    /* explicit precision: longer fields are cut, which -Wformat-truncation accepts */
    snprintf(m->host, sizeof(m->host), "%.*s", (int)sizeof(m->host) - 1, field[0]);
    snprintf(m->user, sizeof(m->user), "%.*s", (int)sizeof(m->user) - 1,
             nf > 2 ? field[2] : "root");
    snprintf(m->password, sizeof(m->password), "%.*s", (int)sizeof(m->password) - 1,
             nf > 3 ? field[3] : "");
    snprintf(m->database, sizeof(m->database), "%.*s", (int)sizeof(m->database) - 1,
             nf > 4 ? field[4] : "live");
    return true;
}

/* A raw libmariadb connection (no database selected) for test set-up statements. */
static inline MYSQL *test_mysql_connect(const struct test_mysql *m, const char *db)
{
    MYSQL *c = mysql_init(NULL);
    unsigned int to = 5;

    mysql_options(c, MYSQL_OPT_CONNECT_TIMEOUT, &to);
    mysql_options(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (!mysql_real_connect(c, m->host, m->user, m->password, db, (unsigned)m->port, NULL,
                            CLIENT_MULTI_STATEMENTS)) {
        fprintf(stderr, "test connect failed: %s\n", mysql_error(c));
        mysql_close(c);
        return NULL;
    }
    return c;
}

/* Runs a script of one or more statements; false on the first error (printed). */
static inline bool test_mysql_run(MYSQL *c, const char *sql)
{
    int rc = mysql_real_query(c, sql, strlen(sql));

    while (rc == 0) {
        MYSQL_RES *r = mysql_store_result(c);
        if (r)
            mysql_free_result(r);
        rc = mysql_next_result(c);
        if (rc == -1)
            return true;
    }
    fprintf(stderr, "test sql failed: %s\n", mysql_error(c));
    return false;
}

/* Creates a fresh database named <prefix>_<pid> (dropping a leftover of the same name). */
static inline bool test_mysql_create_db(const struct test_mysql *m, const char *prefix, char *name,
                                        size_t cap)
{
    MYSQL *c = test_mysql_connect(m, NULL);
    char *sql;
    bool ok;

    if (!c)
        return false;
    snprintf(name, cap, "%s_%ld", prefix, (long)getpid());
    sql = xasprintf("DROP DATABASE IF EXISTS `%s`; CREATE DATABASE `%s` CHARACTER SET utf8mb4",
                    name, name);
    ok = test_mysql_run(c, sql);
    free(sql);
    mysql_close(c);
    return ok;
}

static inline void test_mysql_drop_db(const struct test_mysql *m, const char *name)
{
    MYSQL *c = test_mysql_connect(m, NULL);
    char *sql = xasprintf("DROP DATABASE IF EXISTS `%s`", name);

    if (c) {
        (void)test_mysql_run(c, sql);
        mysql_close(c);
    }
    free(sql);
}

/* Fills one mysql.databases entry (strings on the heap, freed by test_conf_free). */
static inline void test_conf_db(struct conf_db *db, const struct test_mysql *m, const char *user,
                                const char *password, const char *database, bool read_only)
{
    memset(db, 0, sizeof(*db));
    db->host = xstrdup(m->host);
    db->port = m->port;
    db->username = xstrdup(user);
    db->password = xstrdup(password);
    db->database = xstrdup(database);
    db->max_idle_conns = 2;
    db->max_open_conns = 4;
    db->conn_max_life_time = 3600;
    db->name = xstrdup("live");
    db->read_only = read_only;
}

/* A config with no mysql section: SQLite at path. */
static inline void test_conf_sqlite(struct conf *cf, const char *path)
{
    memset(cf, 0, sizeof(*cf));
    cf->sqlite.path = xstrdup(path);
}

/* Removes a test's temporary directory and everything in it. */
static inline void test_rm_rf(const char *dir)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    free(cmd);
}

static inline void test_conf_free(struct conf *cf)
{
    for (size_t i = 0; i < cf->mysql.n_databases; i++) {
        struct conf_db *db = &cf->mysql.databases[i];
        free(db->host);
        free(db->username);
        free(db->password);
        free(db->database);
        free(db->name);
    }
    free(cf->mysql.databases);
    free(cf->sqlite.path);
    memset(cf, 0, sizeof(*cf));
}

/* The repository root, for reading db/ and test data files. */
static inline const char *test_source_dir(void)
{
    const char *d = getenv("QNLIVE_SOURCE_DIR");
    return d && *d ? d : QNLIVE_SOURCE_DIR;
}

/* Reads a whole file into a heap string (NULL when unreadable). */
static inline char *test_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = xmalloc((size_t)n + 1);
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
        }
    }
    fclose(f);
    return buf;
}

#endif
