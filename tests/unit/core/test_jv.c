/* The shared readers of request bodies: Go-style case-insensitive keys, extends given as a
 * string, bounded integers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/jv.h"

static json_t *parse(const char *text)
{
    json_t *o = json_loads(text, 0, NULL);
    assert_non_null(o);
    return o;
}

static const char *str_of(json_t *o, const char *key)
{
    return json_string_value(jv_get(o, key));
}

static void test_keys_match_ignoring_case(void **state)
{
    (void)state;
    json_t *o = parse("{\"LIVE_ID\":\"a\",\"Title\":\"b\",\"notice\":\"c\"}");
    assert_string_equal(str_of(o, "live_id"), "a");
    assert_string_equal(str_of(o, "title"), "b");
    assert_string_equal(str_of(o, "notice"), "c");
    assert_null(jv_get(o, "cover_url"));
    assert_null(jv_get(o, "live"));   /* a prefix is another key */
    assert_null(jv_get(NULL, "x"));   /* not an object: nothing */
    json_decref(o);
}

static void test_exact_spelling_wins_else_the_last_variant(void **state)
{
    (void)state;
    json_t *o = parse("{\"title\":\"exact\",\"TITLE\":\"upper\",\"Notice\":\"1\",\"NOTICE\":\"2\"}");
    assert_string_equal(str_of(o, "title"), "exact");
    assert_string_equal(str_of(o, "notice"), "2");
    json_decref(o);
}

static void test_typed_readers_go_through_the_same_match(void **state)
{
    (void)state;
    json_t *o = parse("{\"COUNT\":7,\"Flag\":true,\"NAME\":\"n\"}");
    int64_t n = 0;
    bool present = false, flag = false;
    const char *name = NULL;
    assert_int_equal(jv_opt_i64(o, "count", &n, &present), ERR_OK);
    assert_true(present);
    assert_int_equal(n, 7);
    assert_int_equal(jv_opt_bool(o, "flag", &flag), ERR_OK);
    assert_true(flag);
    assert_int_equal(jv_opt_str(o, "name", 8, &name), ERR_OK);
    assert_string_equal(name, "n");
    json_decref(o);
}

static void test_bounded_integers(void **state)
{
    (void)state;
    json_t *o = parse("{\"a\":2147483647,\"b\":2147483648,\"c\":-1}");
    int64_t v = 0;
    bool present = false;
    assert_int_equal(jv_opt_i64_in(o, "a", INT32_MIN, INT32_MAX, &v, &present), ERR_OK);
    assert_int_equal(jv_opt_i64_in(o, "b", INT32_MIN, INT32_MAX, &v, &present), ERR_BAD_REQUEST);
    assert_int_equal(jv_opt_i64_in(o, "c", 0, 10, &v, &present), ERR_BAD_REQUEST);
    assert_int_equal(jv_opt_i64_in(o, "absent", 0, 10, &v, &present), ERR_OK);
    assert_false(present);
    json_decref(o);
}

static void test_extends_as_object_or_string(void **state)
{
    (void)state;
    json_t *o = parse("{\"Extends\":\"{\\\"k\\\":\\\"v\\\"}\",\"e2\":\"\",\"e3\":\"k=v\","
                      "\"e4\":\"{\\\"k\\\":1}\",\"e5\":{\"a\":\"b\"}}");
    json_t *m = NULL;
    assert_int_equal(jv_opt_extends(o, "extends", &m), ERR_OK);
    assert_non_null(m);
    assert_string_equal(json_string_value(json_object_get(m, "k")), "v");
    assert_ptr_equal(jv_get(o, "extends"), m); /* the string was replaced by its map */
    assert_int_equal(jv_opt_extends(o, "e2", &m), ERR_OK);
    assert_null(m);
    assert_int_equal(jv_opt_extends(o, "e3", &m), ERR_BAD_REQUEST);
    assert_int_equal(jv_opt_extends(o, "e4", &m), ERR_BAD_REQUEST);
    assert_int_equal(jv_opt_extends(o, "e5", &m), ERR_OK);
    assert_string_equal(json_string_value(json_object_get(m, "a")), "b");
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys_match_ignoring_case),
        cmocka_unit_test(test_exact_spelling_wins_else_the_last_variant),
        cmocka_unit_test(test_typed_readers_go_through_the_same_match),
        cmocka_unit_test(test_bounded_integers),
        cmocka_unit_test(test_extends_as_object_or_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
