#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "http/ip_limit.h"

static char *const PROXIES[] = {"10.0.0.0/8", "fd00::1"};
static const struct trusted_proxies TP = {PROXIES, 2};

static void test_caps_each_address_and_gives_back(void **state)
{
    (void)state;
    struct ip_limit *l = ip_limit_new(2, &TP);
    bool counted = false;
    assert_true(ip_limit_admit(l, "192.0.2.1", &counted));
    assert_true(counted);
    assert_true(ip_limit_admit(l, "192.0.2.1", &counted));
    assert_false(ip_limit_admit(l, "192.0.2.1", &counted));
    assert_false(counted);
    assert_true(ip_limit_admit(l, "192.0.2.2", &counted)); /* another address has its own */
    assert_int_equal(ip_limit_count(l, "192.0.2.1"), 2);
    ip_limit_release(l, "192.0.2.1");
    assert_true(ip_limit_admit(l, "192.0.2.1", &counted));
    ip_limit_release(l, "192.0.2.1");
    ip_limit_release(l, "192.0.2.1");
    ip_limit_release(l, "192.0.2.2");
    assert_int_equal(ip_limit_count(l, "192.0.2.1"), 0);
    ip_limit_free(&l);
    assert_null(l);
}

static void test_trusted_proxies_are_not_capped(void **state)
{
    (void)state;
    struct ip_limit *l = ip_limit_new(1, &TP);
    bool counted = true;
    for (int i = 0; i < 100; i++) {
        assert_true(ip_limit_admit(l, "10.1.2.3", &counted));
        assert_false(counted);
        assert_true(ip_limit_admit(l, "fd00::1", &counted));
        assert_false(counted);
    }
    assert_int_equal(ip_limit_count(l, "10.1.2.3"), 0);
    ip_limit_free(&l);
}

static void test_zero_means_no_cap(void **state)
{
    (void)state;
    struct ip_limit *l = ip_limit_new(0, &TP);
    bool counted = true;
    for (int i = 0; i < 100; i++)
        assert_true(ip_limit_admit(l, "192.0.2.1", &counted));
    assert_false(counted);
    ip_limit_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_each_address_and_gives_back),
        cmocka_unit_test(test_trusted_proxies_are_not_capped),
        cmocka_unit_test(test_zero_means_no_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
