/* The migrations embedded in the binary (src/store/migrations_data.c) must be byte-for-byte the
 * files in db/mysql and db/sqlite. On failure: /usr/bin/python3 src/store/gen_migrations_data.py */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "store/migrations.h"
#include "store_testutil.h"

static void check_dialect(const char *dialect, size_t field_offset)
{
    for (size_t i = 0; i < store_n_migrations; i++) {
        const struct store_migration *m = &store_migrations[i];
        const char *embedded = *(const char *const *)((const char *)m + field_offset);
        char *path = xasprintf("%s/db/%s/%s", test_source_dir(), dialect, m->name);
        char *disk = test_read_file(path);

        if (!disk)
            fail_msg("cannot read %s", path);
        if (strcmp(disk, embedded) != 0)
            fail_msg("%s differs from the embedded copy: run src/store/gen_migrations_data.py",
                     path);
        free(disk);
        free(path);
    }
}

static void test_mysql_files_match(void **state)
{
    (void)state;
    check_dialect("mysql", offsetof(struct store_migration, mysql));
}

static void test_sqlite_files_match(void **state)
{
    (void)state;
    check_dialect("sqlite", offsetof(struct store_migration, sqlite));
}

/* Number of NNNN_*.sql files in db/<dialect>. */
static size_t count_files(const char *dialect)
{
    char *path = xasprintf("%s/db/%s", test_source_dir(), dialect);
    DIR *d = opendir(path);
    struct dirent *e;
    size_t n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len > 9 && e->d_name[4] == '_' && strcmp(e->d_name + len - 4, ".sql") == 0)
            n++;
    }
    closedir(d);
    free(path);
    return n;
}

static void test_every_file_is_embedded_in_order(void **state)
{
    (void)state;
    assert_int_equal(count_files("mysql"), store_n_migrations);
    assert_int_equal(count_files("sqlite"), store_n_migrations);
    for (size_t i = 0; i < store_n_migrations; i++) {
        char want[8];
        snprintf(want, sizeof(want), "%04d_", (int)store_migrations[i].version);
        assert_int_equal(store_migrations[i].version, (int64_t)i + 1);
        assert_memory_equal(store_migrations[i].name, want, 5);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mysql_files_match),
        cmocka_unit_test(test_sqlite_files_match),
        cmocka_unit_test(test_every_file_is_embedded_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
