/* tests/unit/test_suffixset.c - suffix sets matched on label boundaries (the
 * allow list, the PSL walk). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"
#include "suffixset.h"

static int s_setup(void **state)
{
    *state = suffixset_new();
    return *state ? 0 : -1;
}

static int s_teardown(void **state)
{
    suffixset_t *set = *state;
    suffixset_destroy(&set);
    assert_null(set);
    return 0;
}

static int s_match(const suffixset_t *set, const char *text, size_t min_label)
{
    name_t n;
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    return suffixset_match(set, &n, min_label);
}

static void test_empty_set_matches_nothing(void **state)
{
    suffixset_t *set = *state;
    assert_int_equal(suffixset_size(set), 0);
    assert_int_equal(s_match(set, "example.com", 0), -1);
    assert_int_equal(s_match(set, ".", 0), -1);
}

static void test_matches_on_label_boundaries(void **state)
{
    suffixset_t *set = *state;
    assert_int_equal(suffixset_add(set, "example.com"), 0);
    assert_int_equal(s_match(set, "example.com", 0), 0);
    assert_int_equal(s_match(set, "a.example.com", 0), 1);
    assert_int_equal(s_match(set, "x.y.a.example.com.", 0), 3);
    assert_int_equal(s_match(set, "badexample.com", 0), -1);
    assert_int_equal(s_match(set, "example.com.evil", 0), -1);
    assert_int_equal(s_match(set, "com", 0), -1);
    assert_int_equal(s_match(set, "example.org", 0), -1);
    assert_int_equal(s_match(set, ".", 0), -1);
}

static void test_longest_match_and_min_label(void **state)
{
    suffixset_t *set = *state;
    assert_int_equal(suffixset_add(set, "com"), 0);
    assert_int_equal(suffixset_add(set, "example.com"), 0);
    assert_int_equal(suffixset_add(set, "deep.a.example.com"), 0);
    assert_int_equal(suffixset_size(set), 3);
    assert_int_equal(s_match(set, "x.a.example.com", 0), 2);
    assert_int_equal(s_match(set, "x.deep.a.example.com", 0), 1);
    assert_int_equal(s_match(set, "other.com", 0), 1);
    assert_int_equal(s_match(set, "net", 0), -1);
    /* min_label: entries starting before it do not count */
    assert_int_equal(s_match(set, "x.deep.a.example.com", 2), 3);
    assert_int_equal(s_match(set, "x.deep.a.example.com", 4), 4);
    assert_int_equal(s_match(set, "x.deep.a.example.com", 5), -1);
}

static void test_escaped_dot_does_not_fake_a_boundary(void **state)
{
    suffixset_t *set = *state;
    assert_int_equal(suffixset_add(set, "a.b.com"), 0);
    assert_int_equal(suffixset_add(set, "b.a.com"), 0); /* same hash bytes as a\.b.com */
    assert_int_equal(suffixset_add(set, "b.com"), 0);
    assert_int_equal(s_match(set, "a\\.b.com", 0), -1);
    assert_int_equal(s_match(set, "x.a\\.b.com", 0), -1);
    assert_int_equal(s_match(set, "a.b\\.com", 0), -1);
    assert_int_equal(s_match(set, "a.b.com", 0), 0);
    name_t n;
    assert_int_equal(name_parse("a\\.b.com", 8, &n), 0);
    assert_int_equal(suffixset_contains(set, &n, 0), 0);
}

static void test_add_is_case_insensitive(void **state)
{
    suffixset_t *set = *state;
    assert_int_equal(suffixset_add(set, "ExAmPle.COM."), 0);
    assert_int_equal(suffixset_add(set, "example.com"), 0); /* already there */
    assert_int_equal(suffixset_size(set), 1);
    assert_int_equal(s_match(set, "WWW.EXAMPLE.COM", 0), 1);
    assert_int_equal(s_match(set, "www.example.com", 0), 1);
}

static void test_contains_is_exact(void **state)
{
    suffixset_t *set = *state;
    assert_int_equal(suffixset_add(set, "co.uk"), 0);
    name_t n;
    assert_int_equal(name_parse("a.example.co.uk", 15, &n), 0);
    assert_int_equal(suffixset_contains(set, &n, 2), 1);
    assert_int_equal(suffixset_contains(set, &n, 1), 0);
    assert_int_equal(suffixset_contains(set, &n, 3), 0);
    assert_int_equal(suffixset_contains(set, &n, 4), 0); /* past the end */
}

static void test_grows_past_initial_capacity(void **state)
{
    suffixset_t *set = *state;
    char buf[64];
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "host%d.zone%d.test", i, i % 7);
        assert_int_equal(suffixset_add(set, buf), 0);
    }
    assert_int_equal(suffixset_size(set), 1000);
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, sizeof buf, "q.host%d.zone%d.test", i, i % 7);
        assert_int_equal(s_match(set, buf, 0), 1);
        snprintf(buf, sizeof buf, "host%d.zone%d.test", i, (i + 1) % 7);
        assert_int_equal(s_match(set, buf, 0), -1);
    }
}

static void test_invalid_entries_are_rejected(void **state)
{
    suffixset_t *set = *state;
    char long_label[80];
    memset(long_label, 'a', 64);
    strcpy(long_label + 64, ".com");
    assert_int_equal(suffixset_add(set, ""), -EINVAL);
    assert_int_equal(suffixset_add(set, "."), -EINVAL);
    assert_int_equal(suffixset_add(set, "a..com"), -EINVAL);
    assert_int_equal(suffixset_add(set, ".com"), -EINVAL);
    assert_int_equal(suffixset_add(set, "a\\.b.com"), -EINVAL); /* no escapes */
    assert_int_equal(suffixset_add(set, long_label), -EINVAL);
    assert_int_equal(suffixset_size(set), 0);
}

static void test_hash_is_label_aware(void **state)
{
    (void)state;
    uint64_t h0 = suffixset_hash_init();
    uint64_t ab_c = suffixset_hash_label(suffixset_hash_label(h0, (const uint8_t *)"c", 1),
                                         (const uint8_t *)"ab", 2);
    uint64_t a_bc = suffixset_hash_label(suffixset_hash_label(h0, (const uint8_t *)"bc", 2),
                                         (const uint8_t *)"a", 1);
    assert_int_not_equal(ab_c, a_bc);
    assert_int_equal(ab_c, suffixset_hash_label(suffixset_hash_label(h0, (const uint8_t *)"c", 1),
                                                (const uint8_t *)"ab", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty_set_matches_nothing, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_matches_on_label_boundaries, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_longest_match_and_min_label, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_escaped_dot_does_not_fake_a_boundary, s_setup,
                                        s_teardown),
        cmocka_unit_test_setup_teardown(test_add_is_case_insensitive, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_contains_is_exact, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_grows_past_initial_capacity, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_invalid_entries_are_rejected, s_setup, s_teardown),
        cmocka_unit_test(test_hash_is_label_aware),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
