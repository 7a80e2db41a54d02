/* Unit tests of admin password hashing (PBKDF2-HMAC-SHA256) and plaintext-row verification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "biz/admin/admin_password.h"

enum { FAST = 1000 }; /* the lowest accepted cost keeps the tests quick */

static void test_hash_verifies_and_rejects(void **state)
{
    (void)state;
    char h[ADMIN_HASH_MAX];
    bool rehash = true;
    assert_int_equal(admin_password_hash("correct horse", FAST, h), ERR_OK);
    assert_true(admin_password_is_hashed(h));
    assert_non_null(strstr(h, "$pbkdf2-sha256$1000$"));
    assert_null(strstr(h, "correct horse"));
    assert_true(admin_password_verify(h, "correct horse", &rehash));
    assert_false(rehash);
    assert_false(admin_password_verify(h, "correct horsE", NULL));
    assert_false(admin_password_verify(h, "", NULL));
    assert_false(admin_password_verify(h, h, NULL));
}

static void test_salts_differ(void **state)
{
    (void)state;
    char a[ADMIN_HASH_MAX], b[ADMIN_HASH_MAX];
    assert_int_equal(admin_password_hash("same", FAST, a), ERR_OK);
    assert_int_equal(admin_password_hash("same", FAST, b), ERR_OK);
    assert_string_not_equal(a, b);
}

static void test_plaintext_rows_verify_and_ask_for_rehash(void **state)
{
    (void)state;
    bool rehash = false;
    assert_false(admin_password_is_hashed("pw"));
    assert_true(admin_password_verify("pw", "pw", &rehash));
    assert_true(rehash);
    assert_false(admin_password_verify("pw", "pw2", &rehash));
    assert_false(rehash);
    assert_false(admin_password_verify(NULL, "pw", &rehash));
}

static void test_malformed_hashes_never_match(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "$pbkdf2-sha256$",
        "$pbkdf2-sha256$1000",
        "$pbkdf2-sha256$1000$c2FsdA",
        "$pbkdf2-sha256$999$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$x$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "$pbkdf2-sha256$1000$c2FsdA$AAAA",
        "$pbkdf2-sha256$1000$c2F*dA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool rehash = true;
        assert_false(admin_password_verify(bad[i], "", &rehash));
        assert_false(admin_password_verify(bad[i], bad[i], &rehash));
        assert_false(rehash);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_verifies_and_rejects),
        cmocka_unit_test(test_salts_differ),
        cmocka_unit_test(test_plaintext_rows_verify_and_ask_for_rehash),
        cmocka_unit_test(test_malformed_hashes_never_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
