/* tests/unit/test_name.c - name_parse() and name_format(): what a resolver
 * hands us in presentation form, decoded into labels of raw bytes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "name.h"

static int s_parse(const char *text, name_t *n) { return name_parse(text, strlen(text), n); }

/* Asserts that label l of n holds exactly `len` bytes `bytes` (lowercased). */
static void s_assert_label(const name_t *n, size_t l, const char *bytes, size_t len)
{
    assert_true(l < n->nlabels);
    assert_int_equal(n->len[l], len);
    assert_memory_equal(n->lower + n->off[l], bytes, len);
}

static void s_fill(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = 0;
}

/* "a.b.c..." with `labels` one-byte labels: 2 * labels - 1 bytes. */
static void s_dotted(char *buf, size_t labels)
{
    for (size_t i = 0; i < labels; i++) {
        buf[2 * i] = (char)('a' + i % 26);
        buf[2 * i + 1] = '.';
    }
    buf[2 * labels - 1] = 0;
}

static void test_trailing_dot_is_optional(void **state)
{
    (void)state;
    name_t a, b;
    assert_int_equal(s_parse("www.example.com", &a), 0);
    assert_int_equal(s_parse("www.example.com.", &b), 0);
    assert_int_equal(a.nlabels, 3);
    assert_int_equal(b.nlabels, 3);
    assert_int_equal(a.length, 15);
    assert_int_equal(b.length, 15);
    assert_string_equal((const char *)a.lower, "www.example.com");
    assert_string_equal((const char *)b.lower, "www.example.com");
    s_assert_label(&a, 0, "www", 3);
    s_assert_label(&a, 1, "example", 7);
    s_assert_label(&a, 2, "com", 3);
}

static void test_mixed_case_keeps_original(void **state)
{
    (void)state;
    name_t n;
    assert_int_equal(s_parse("WwW.ExAmPlE.COM", &n), 0);
    assert_string_equal((const char *)n.lower, "www.example.com");
    assert_string_equal((const char *)n.orig, "WwW.ExAmPlE.COM");
    /* only A-Z fold: the escaped byte 0xC4 stays as it is in both copies */
    assert_int_equal(s_parse("A\\196Z.com", &n), 0);
    assert_int_equal(n.lower[1], 0xC4);
    assert_int_equal(n.orig[1], 0xC4);
    assert_int_equal(n.lower[0], 'a');
    assert_int_equal(n.orig[0], 'A');
}

static void test_escaped_dot_is_a_label_byte(void **state)
{
    (void)state;
    name_t n;
    assert_int_equal(s_parse("a\\.b.com", &n), 0);
    assert_int_equal(n.nlabels, 2);
    s_assert_label(&n, 0, "a.b", 3);
    s_assert_label(&n, 1, "com", 3);
    assert_int_equal(n.length, 7);
    /* an escaped dot at the end is a byte, not the trailing dot */
    assert_int_equal(s_parse("com\\.", &n), 0);
    assert_int_equal(n.nlabels, 1);
    s_assert_label(&n, 0, "com.", 4);
}

static void test_decimal_and_char_escapes(void **state)
{
    (void)state;
    name_t n;
    assert_int_equal(s_parse("x\\228y.org", &n), 0);
    assert_int_equal(n.nlabels, 2);
    s_assert_label(&n, 0, "x\xe4y", 3);
    assert_int_equal(s_parse("a\\\\b.org", &n), 0);
    s_assert_label(&n, 0, "a\\b", 3);
    assert_int_equal(s_parse("\\065\\066c.org.", &n), 0); /* \065 = 'A', lowercased */
    s_assert_label(&n, 0, "abc", 3);
    assert_int_equal(n.orig[0], 'A');
    assert_int_equal(s_parse("\\255.org", &n), 0);
    s_assert_label(&n, 0, "\xff", 1);
}

static void test_bad_escapes_are_rejected(void **state)
{
    (void)state;
    name_t n;
    assert_int_equal(s_parse("a\\25.com", &n), -EINVAL); /* two digits then '.' */
    assert_int_equal(s_parse("a\\25", &n), -EINVAL);     /* truncated */
    assert_int_equal(s_parse("a\\256.com", &n), -EINVAL);
    assert_int_equal(s_parse("a\\999.com", &n), -EINVAL);
    assert_int_equal(s_parse("a.com\\", &n), -EINVAL); /* trailing backslash */
    assert_int_equal(s_parse("\\", &n), -EINVAL);
    assert_int_equal(s_parse("a\\000b.com", &n), -EINVAL); /* NUL is never valid */
    assert_int_equal(name_parse("a\0b.com", 7, &n), -EINVAL);
    /* a failed parse leaves an empty, NUL-terminated name behind */
    assert_int_equal(n.nlabels, 0);
    assert_int_equal(n.length, 0);
    assert_int_equal(n.lower[0], 0);
}

static void test_empty_labels_are_rejected(void **state)
{
    (void)state;
    name_t n;
    assert_int_equal(name_parse("", 0, &n), -EINVAL);
    assert_int_equal(s_parse("..", &n), -EINVAL);
    assert_int_equal(s_parse("a..b", &n), -EINVAL);
    assert_int_equal(s_parse(".a", &n), -EINVAL);
    assert_int_equal(s_parse("a..", &n), -EINVAL);
    assert_int_equal(s_parse("a\\066..b", &n), -EINVAL); /* the escaped path too */
    assert_int_equal(s_parse(".\\066", &n), -EINVAL);
}

static void test_root(void **state)
{
    (void)state;
    name_t n;
    assert_int_equal(s_parse(".", &n), 0);
    assert_int_equal(n.nlabels, 0);
    assert_int_equal(n.length, 0);
    assert_string_equal((const char *)n.lower, "");
}

static void test_label_limit_is_63(void **state)
{
    (void)state;
    char buf[128];
    name_t n;
    s_fill(buf, 'a', 63);
    strcat(buf, ".com");
    assert_int_equal(s_parse(buf, &n), 0);
    assert_int_equal(n.len[0], 63);
    s_fill(buf, 'a', 64);
    strcat(buf, ".com");
    assert_int_equal(s_parse(buf, &n), -EINVAL);
    /* the same limits when escapes force the slow path */
    s_fill(buf, 'a', 62);
    strcat(buf, "\\066.com");
    assert_int_equal(s_parse(buf, &n), 0);
    assert_int_equal(n.len[0], 63);
    s_fill(buf, 'a', 63);
    strcat(buf, "\\066.com");
    assert_int_equal(s_parse(buf, &n), -EINVAL);
}

static void test_name_limit_is_253(void **state)
{
    (void)state;
    char buf[300];
    name_t n;
    s_dotted(buf, 127); /* 253 bytes, 127 labels */
    assert_int_equal(strlen(buf), 253);
    assert_int_equal(s_parse(buf, &n), 0);
    assert_int_equal(n.length, 253);
    assert_int_equal(n.nlabels, 127);
    assert_int_equal(n.off[126], 252);
    strcat(buf, ".");
    assert_int_equal(s_parse(buf, &n), 0);
    assert_int_equal(n.length, 253);
    /* four labels of 63, 63, 63 and 61 bytes: 253 with the dots */
    s_fill(buf, 'b', 255);
    buf[63] = buf[127] = buf[191] = '.';
    buf[253] = 0;
    assert_int_equal(s_parse(buf, &n), 0);
    assert_int_equal(n.nlabels, 4);
    assert_int_equal(n.len[3], 61);
    strcat(buf, "b"); /* 254 */
    assert_int_equal(s_parse(buf, &n), -EINVAL);
    strcat(buf, ".");
    assert_int_equal(s_parse(buf, &n), -EINVAL);
    /* the escaped path: `\098` is one byte 'b', so 253 bytes still fit */
    buf[253] = 0;
    memmove(buf + 4, buf + 1, strlen(buf + 1) + 1);
    memcpy(buf, "\\098", 4);
    assert_int_equal(s_parse(buf, &n), 0);
    assert_int_equal(n.length, 253);
    strcat(buf, "b");
    assert_int_equal(s_parse(buf, &n), -EINVAL);
    strcat(buf, ".");
    assert_int_equal(s_parse(buf, &n), -EINVAL);
}

static void test_binary_bytes_are_label_bytes(void **state)
{
    (void)state;
    const char in[] = {'a', (char)0x01, (char)0xff, ' ', '+', '/', '=', '.', 'c', 'o', 'm'};
    name_t n;
    assert_int_equal(name_parse(in, sizeof in, &n), 0);
    assert_int_equal(n.nlabels, 2);
    s_assert_label(&n, 0, "a\x01\xff +/=", 7);
}

static void test_input_over_max_is_rejected(void **state)
{
    (void)state;
    char buf[NAME_MAX_INPUT + 2];
    name_t n;
    /* 1024 bytes of escapes decode to 256 bytes: too long anyway, but the
     * input limit is what refuses 1025 bytes before decoding */
    memset(buf, 'a', sizeof buf);
    assert_int_equal(name_parse(buf, NAME_MAX_INPUT + 1, &n), -EINVAL);
    /* a 253-byte name written with escapes fits in 1024 input bytes */
    size_t w = 0;
    for (int i = 0; i < 63; i++, w += 4)
        memcpy(buf + w, "\\097", 4);
    buf[w] = 0;
    assert_int_equal(s_parse(buf, &n), 0);
    assert_int_equal(n.len[0], 63);
}

static void test_format_round_trip(void **state)
{
    (void)state;
    static const char *const names[] = {
        "www.example.com", "A\\.B.Com", "x\\228y.org", "a\\\\b.net", "sp\\032ace.\\001\\255.io",
    };
    static const char *const expect[] = {
        "www.example.com", "a\\.b.com", "x\\228y.org", "a\\\\b.net", "sp\\032ace.\\001\\255.io",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        name_t n, back;
        char buf[1100];
        assert_int_equal(s_parse(names[i], &n), 0);
        int w = name_format(&n, 0, buf, sizeof buf);
        assert_int_equal(w, (int)strlen(expect[i]));
        assert_string_equal(buf, expect[i]);
        assert_int_equal(s_parse(buf, &back), 0);
        assert_int_equal(back.nlabels, n.nlabels);
        assert_int_equal(back.length, n.length);
        assert_memory_equal(back.lower, n.lower, n.length + 1);
        assert_memory_equal(back.len, n.len, n.nlabels);
    }
}

static void test_format_from_label_and_enospc(void **state)
{
    (void)state;
    name_t n;
    char buf[32];
    assert_int_equal(s_parse("a.b\\.c.example.com", &n), 0);
    assert_int_equal(name_format(&n, 1, buf, sizeof buf), 16);
    assert_string_equal(buf, "b\\.c.example.com");
    assert_int_equal(name_format(&n, 3, buf, sizeof buf), 3);
    assert_string_equal(buf, "com");
    assert_int_equal(name_format(&n, 4, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    /* "a.b\.c.example.com" is 18 characters: 19 bytes fit, 18 do not */
    assert_int_equal(name_format(&n, 0, buf, 19), 18);
    assert_int_equal(name_format(&n, 0, buf, 18), -ENOSPC);
    assert_int_equal(name_format(&n, 0, buf, 3), -ENOSPC); /* full before the escape */
    assert_int_equal(name_format(&n, 0, buf, 0), -ENOSPC);
    assert_int_equal(s_parse("\\200.x", &n), 0);
    assert_int_equal(name_format(&n, 0, buf, 4), -ENOSPC); /* "\200" needs 5 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trailing_dot_is_optional),
        cmocka_unit_test(test_mixed_case_keeps_original),
        cmocka_unit_test(test_escaped_dot_is_a_label_byte),
        cmocka_unit_test(test_decimal_and_char_escapes),
        cmocka_unit_test(test_bad_escapes_are_rejected),
        cmocka_unit_test(test_empty_labels_are_rejected),
        cmocka_unit_test(test_root),
        cmocka_unit_test(test_label_limit_is_63),
        cmocka_unit_test(test_name_limit_is_253),
        cmocka_unit_test(test_binary_bytes_are_label_bytes),
        cmocka_unit_test(test_input_over_max_is_rejected),
        cmocka_unit_test(test_format_round_trip),
        cmocka_unit_test(test_format_from_label_and_enospc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
