#ifndef QNLIVE_STORE_MIGRATIONS_H
#define QNLIVE_STORE_MIGRATIONS_H

/* The schema migrations, embedded in the binary so it runs from any directory. The SQL texts are
 * copies of db/mysql/NNNN_name.sql and db/sqlite/NNNN_name.sql, produced by
 * src/store/gen_migrations_data.py; a unit test fails when a copy drifts from its file. Every
 * migration must be idempotent (IF NOT EXISTS), so two nodes starting together are safe. */

#include <stddef.h>
#include <stdint.h>

struct store_migration {
    int64_t version;    /* NNNN */
    const char *name;   /* file name without directory, e.g. "0001_init.sql" */
    const char *mysql;  /* db/mysql/<name> */
    const char *sqlite; /* db/sqlite/<name> */
};

/* The migrations in ascending version order. */
extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

#endif
