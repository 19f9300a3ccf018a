/* tests/unit/test_lexical.c - the measurements behind the entropy and
 * charset tests. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lexical.h"
#include "name.h"

/* Measures every label of `text`. */
static lexical_t s_measure(const char *text)
{
    name_t n;
    lexical_t f;
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    lexical_measure(&n, 0, n.nlabels, NULL, &f);
    return f;
}

static void test_entropy_exact_values(void **state)
{
    (void)state;
    lexical_t f = s_measure("aaaa");
    assert_int_equal(f.chars, 4);
    assert_true(fabs(f.entropy) < 1e-12);
    f = s_measure("abcd");
    assert_true(fabs(f.entropy - 2.0) < 1e-12);
    f = s_measure("ab.ba"); /* dots are not bytes of the name */
    assert_int_equal(f.chars, 4);
    assert_int_equal(f.labels, 2);
    assert_true(fabs(f.entropy - 1.0) < 1e-12);
    f = s_measure("abcdefgh");
    assert_true(fabs(f.entropy - 3.0) < 1e-12);
    /* the ratio is against random base32 data of the same length */
    assert_true(fabs(f.entropy_ratio - 3.0 / lexical_random_entropy(8)) < 1e-12);
    assert_true(f.entropy_ratio > 1.0); /* 8 distinct of 8 beats the random average */
}

static void test_single_byte_ratio_is_a_number(void **state)
{
    (void)state;
    /* one byte has entropy 0, and so has random data of one byte: the ratio
     * must still be a number, not 0/0 (it is printed by --explain) */
    lexical_t f = s_measure("a");
    assert_true(fabs(f.entropy) < 1e-12);
    assert_false(isnan(f.entropy_ratio));
    assert_true(f.entropy_ratio >= 0 && f.entropy_ratio <= 1.0);
}

static void test_random_entropy_curve(void **state)
{
    (void)state;
    assert_true(fabs(lexical_random_entropy(1)) < 1e-12);
    double prev = lexical_random_entropy(1);
    for (size_t n = 2; n <= NAME_MAX_TEXT; n++) {
        double h = lexical_random_entropy(n);
        if (!(h > prev && h < log2((double)n) && h < 5.0))
            fail_msg("n=%zu: %f after %f", n, h, prev);
        prev = h;
    }
    /* two draws from 32 symbols collide with probability 1/32 */
    assert_true(fabs(lexical_random_entropy(2) - 31.0 / 32.0) < 1e-9);
    assert_true(lexical_random_entropy(253) > 4.5);
    /* beyond a name's length the curve stays at its last value */
    assert_true(lexical_random_entropy(1000) == lexical_random_entropy(NAME_MAX_TEXT));
}

static void test_hex_runs(void **state)
{
    (void)state;
    lexical_t f = s_measure("t88d8de31bbea.6b65722f");
    assert_int_equal(f.hex_chars, 12 + 8); /* 't' is not hex */
    assert_int_equal(s_measure("t88d8de31bbea.6b65722f.66e3fae3").hex_chars, 28);
    assert_int_equal(s_measure("deadbeef").hex_chars, 0); /* letters only */
    assert_int_equal(s_measure("12345678").hex_chars, 0); /* digits only */
    assert_int_equal(s_measure("ab12c").hex_chars, 0);    /* a run of 5 */
    assert_int_equal(s_measure("ab12cd").hex_chars, 6);
    assert_int_equal(s_measure("xab12cdx").hex_chars, 6); /* run inside a label */
    assert_int_equal(s_measure("ab12cd-ab12cd").hex_chars, 12);
    assert_int_equal(s_measure("AB12CD").hex_chars, 6); /* measured lowercased */
}

static void test_encoded_labels(void **state)
{
    (void)state;
    assert_int_equal(s_measure("london2017athletics").data_label, 0);
    assert_int_equal(s_measure("a1b2c3d4").data_label, 8);
    assert_int_equal(s_measure("www.a1b2c3d4e5f6.example").data_label, 12);
    assert_int_equal(s_measure("a1b2c3.x9y8z7w6v5").data_label, 10); /* the longest */
    assert_int_equal(s_measure("x-1-2-3").data_label, 0);            /* hyphens: a host name */
    assert_int_equal(s_measure("ab+cd").data_label, 5);              /* bytes no host name has */
    assert_int_equal(s_measure("ab1cd2").data_label, 0);             /* two digit runs */
}

static void test_case_and_digit_switches(void **state)
{
    (void)state;
    assert_int_equal(s_measure("Example").case_switches, 0);
    assert_int_equal(s_measure("EXAMPLE").case_switches, 0);
    assert_int_equal(s_measure("ExAmple").case_switches, 2);
    assert_int_equal(s_measure("aBcD").case_switches, 2);
    assert_int_equal(s_measure("aBcD.eFgH").case_switches, 4); /* summed over labels */
    assert_int_equal(s_measure("a1B").case_switches, 0);       /* not adjacent letters */
    assert_int_equal(s_measure("a1b2").digit_switches, 3);
    assert_int_equal(s_measure("a1b2.a1").digit_switches, 3); /* the most in one label */
    assert_int_equal(s_measure("abc123").digit_switches, 1);
    assert_int_equal(s_measure("abc-123").digit_switches, 0);
}

static void test_non_ldh(void **state)
{
    (void)state;
    assert_int_equal(s_measure("a+b/c=").non_ldh, 3);
    assert_int_equal(s_measure("a_b-c").non_ldh, 0);
    assert_int_equal(s_measure("a\\032b\\255").non_ldh, 2);
    assert_int_equal(s_measure("a\\.b").non_ldh, 1); /* a dot byte inside a label */
    assert_int_equal(s_measure("ABC").non_ldh, 0);   /* measured lowercased */
    /* the vectorised count, over 16-byte blocks and the tail */
    const uint8_t *label = (const uint8_t *)"+abcdefghijklmno/pqrstuvwxyz01234=56789-_abc.";
    assert_int_equal(lexical_non_ldh(label, strlen((const char *)label)), 4);
    assert_int_equal(lexical_non_ldh(label, 16), 1);
    assert_int_equal(lexical_non_ldh(label, 0), 0);
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    assert_int_equal(lexical_non_ldh(all, sizeof all), 256 - 26 - 10 - 2);
}

static void test_punycode_excluded_from_patterns(void **state)
{
    (void)state;
    assert_int_equal(lexical_is_punycode((const uint8_t *)"xn--bcher-kva", 13), 1);
    assert_int_equal(lexical_is_punycode((const uint8_t *)"xn--", 4), 0);
    assert_int_equal(lexical_is_punycode((const uint8_t *)"xnbcher", 7), 0);
    lexical_t f = s_measure("xn--abc123def456a1b2c3.example");
    assert_int_equal(f.punycode, 1);
    assert_int_equal(f.hex_chars, 0);
    assert_int_equal(f.digit_switches, 0);
    assert_int_equal(f.data_label, 0);
    assert_int_equal(f.chars, 22 + 7); /* still counted for length and entropy */
    assert_int_equal(f.longest_label, 22);
    f = s_measure("abc123def456a1b2c3.example"); /* the same without xn-- */
    assert_int_equal(f.punycode, 0);
    assert_int_equal(f.hex_chars, 18);
    assert_true(f.digit_switches > 5);
    /* in punycode, '_' is not a host-name byte either */
    assert_int_equal(s_measure("xn--a_b").non_ldh, 1);
    assert_int_equal(s_measure("xn--a+b").non_ldh, 1);
}

static void test_range_and_skip(void **state)
{
    (void)state;
    name_t n;
    const char *text = "_ldap.a1b2c3d4.www.example.com";
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    unsigned char skip[5] = {1, 0, 0, 0, 0};
    lexical_t f;
    lexical_measure(&n, 0, 3, skip, &f);
    assert_int_equal(f.labels, 2);
    assert_int_equal(f.chars, 8 + 3);
    assert_int_equal(f.longest_label, 8);
    assert_int_equal(f.data_label, 8);
    lexical_measure(&n, 3, 4, NULL, &f);
    assert_int_equal(f.labels, 1);
    assert_int_equal(f.chars, 7);
    assert_int_equal(f.data_label, 0);
    lexical_measure(&n, 2, 2, NULL, &f); /* an empty range */
    assert_int_equal(f.chars, 0);
    assert_true(f.entropy == 0 && f.entropy_ratio == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entropy_exact_values),
        cmocka_unit_test(test_single_byte_ratio_is_a_number),
        cmocka_unit_test(test_random_entropy_curve),
        cmocka_unit_test(test_hex_runs),
        cmocka_unit_test(test_encoded_labels),
        cmocka_unit_test(test_case_and_digit_switches),
        cmocka_unit_test(test_non_ldh),
        cmocka_unit_test(test_punycode_excluded_from_patterns),
        cmocka_unit_test(test_range_and_skip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
