/* tests/unit/test_suffixset.c - suffix sets matched on label boundaries (the
 * allow list, the PSL walk, the lists' tables: removal, copies, the cursor
 * walk of the snapshot chunks). */
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

static int s_has(const suffixset_t *set, const char *text)
{
    name_t n;
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    return suffixset_contains(set, &n, 0);
}

#define S_MANY 600

/* Removal shifts later entries of a probe chain back (no tombstones): after
 * every single removal, in a scrambled order, every entry left is still
 * found and every removed one is gone. 600 entries in a table kept at most
 * half full make chains, some of them wrapping past the table's end. */
static void test_remove_keeps_every_chain(void **state)
{
    suffixset_t *set = *state;
    char d[S_MANY][32];
    int gone[S_MANY] = {0};
    for (int i = 0; i < S_MANY; i++) {
        snprintf(d[i], sizeof d[i], "n%d.chain.test", i);
        assert_int_equal(suffixset_add(set, d[i]), 0);
    }
    assert_int_equal(suffixset_remove(set, "absent.chain.test"), 0);
    assert_int_equal(suffixset_remove(set, ""), 0);
    assert_int_equal(suffixset_remove(set, "chain.test"), 0); /* a suffix of entries, not one */
    for (int k = 0; k < S_MANY; k++) {
        int i = (k * 7) % S_MANY; /* 7 and 600 are coprime: each once */
        assert_int_equal(suffixset_remove(set, d[i]), 1);
        assert_int_equal(suffixset_remove(set, d[i]), 0); /* once only */
        gone[i] = 1;
        assert_int_equal(suffixset_size(set), (size_t)(S_MANY - k - 1));
        for (int j = 0; j < S_MANY; j++)
            if (s_has(set, d[j]) != !gone[j])
                fail_msg("after removing %s: %s %s", d[i], d[j], gone[j] ? "found" : "lost");
    }
    assert_int_equal(s_match(set, "www.n1.chain.test", 0), -1);
    assert_int_equal(suffixset_add(set, d[1]), 0); /* a removed entry comes back */
    assert_int_equal(s_match(set, "www.n1.chain.test", 0), 1);
}

/* A copy holds the same entries in its own memory: changing or freeing the
 * original leaves it as it was. */
static void test_copy_is_independent(void **state)
{
    suffixset_t *set = *state;
    for (int i = 0; i < 100; i++) {
        char d[32];
        snprintf(d, sizeof d, "c%d.copy.test", i);
        assert_int_equal(suffixset_add(set, d), 0);
    }
    suffixset_t *copy = suffixset_copy(set);
    assert_non_null(copy);
    assert_int_equal(suffixset_size(copy), 100);
    assert_int_equal(suffixset_remove(set, "c5.copy.test"), 1);
    assert_int_equal(suffixset_add(set, "new.copy.test"), 0);
    assert_true(s_has(copy, "c5.copy.test"));
    assert_false(s_has(copy, "new.copy.test"));
    assert_int_equal(suffixset_remove(copy, "c6.copy.test"), 1);
    assert_true(s_has(set, "c6.copy.test"));
    suffixset_destroy(&set);
    *state = NULL;
    for (int i = 0; i < 100; i++) {
        char d[32];
        snprintf(d, sizeof d, "c%d.copy.test", i);
        assert_int_equal(s_has(copy, d), i != 6);
    }
    assert_int_equal(s_match(copy, "a.b.c99.copy.test", 0), 2);
    suffixset_t *empty = suffixset_new(), *empty_copy = empty ? suffixset_copy(empty) : NULL;
    assert_non_null(empty_copy);
    assert_int_equal(suffixset_size(empty_copy), 0);
    suffixset_destroy(&empty);
    suffixset_destroy(&empty_copy);
    *state = copy; /* freed by the teardown */
}

/* The cursor walk gives every entry exactly once, in table order, and a
 * walk resumed from a saved cursor (a snapshot chunk at a time) gives the
 * same sequence. */
static void test_cursor_walk(void **state)
{
    suffixset_t *set = *state;
    size_t cur = 0;
    assert_null(suffixset_next(set, &cur)); /* empty: the end at once */
    int seen[S_MANY] = {0};
    for (int i = 0; i < S_MANY; i++) {
        char d[32];
        snprintf(d, sizeof d, "w%d.walk.test", i);
        assert_int_equal(suffixset_add(set, d), 0);
    }
    assert_int_equal(suffixset_remove(set, "w3.walk.test"), 1);
    const char *order[S_MANY];
    size_t n = 0;
    cur = 0;
    for (const char *e; (e = suffixset_next(set, &cur));) {
        int i = -1;
        assert_int_equal(sscanf(e, "w%d.walk.test", &i), 1);
        assert_true(i >= 0 && i < S_MANY);
        seen[i]++;
        assert_true(n < S_MANY);
        order[n++] = e;
    }
    assert_int_equal(n, S_MANY - 1);
    for (int i = 0; i < S_MANY; i++)
        assert_int_equal(seen[i], i == 3 ? 0 : 1);
    assert_null(suffixset_next(set, &cur)); /* the end stays the end */
    /* one entry per call, the cursor kept in between */
    size_t saved = 0, k = 0;
    for (const char *e; (e = suffixset_next(set, &saved)); k++) {
        size_t again = saved; /* a copy of the cursor resumes the same way */
        const char *next = suffixset_next(set, &again);
        assert_ptr_equal(e, order[k]);
        if (k + 1 < n)
            assert_ptr_equal(next, order[k + 1]);
        else
            assert_null(next);
    }
    assert_int_equal(k, n);
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
        cmocka_unit_test_setup_teardown(test_remove_keeps_every_chain, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_copy_is_independent, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cursor_walk, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
