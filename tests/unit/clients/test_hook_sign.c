#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "clients/hook_sign.h"

#define SIG_VECTOR "a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"

static void test_signs_timestamp_dot_body(void **state)
{
    (void)state;
    char ts[HOOK_SIGN_TS_HEADER_MAX];
    char sig[HOOK_SIGN_HEADER_MAX];
    const char body[] = "{\"a\":1}";
    assert_true(hook_sign_headers("key", 1700000000, body, sizeof(body) - 1, ts, sig));
    assert_string_equal(ts, "X-Qnlive-Timestamp: 1700000000");
    /* python: hmac.new(b"key", b'1700000000.{"a":1}', hashlib.sha256).hexdigest() */
    assert_string_equal(sig, "X-Qnlive-Signature: sha256=" SIG_VECTOR);
}

static void test_off_without_a_secret(void **state)
{
    (void)state;
    char ts[HOOK_SIGN_TS_HEADER_MAX] = "x";
    char sig[HOOK_SIGN_HEADER_MAX] = "x";
    assert_false(hook_sign_headers("", 1, "{}", 2, ts, sig));
    assert_false(hook_sign_headers(NULL, 1, "{}", 2, ts, sig));
    assert_string_equal(ts, "");
    assert_string_equal(sig, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signs_timestamp_dot_body),
        cmocka_unit_test(test_off_without_a_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
