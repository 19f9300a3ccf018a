/* tests/unit/test_exempt.c - structural exemptions (reverse names, service
 * labels, _msdcs GUIDs) and the allow-list file format. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exempt.h"
#include "name.h"
#include "suffixset.h"

static int s_reverse(const char *text)
{
    name_t n;
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    return exempt_reverse(&n);
}

/* Returns the marks as a string of '0'/'1', one per label, in `out`. */
static size_t s_marks(const char *text, char *out)
{
    name_t n;
    unsigned char skip[NAME_MAX_LABELS];
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    memset(skip, 0xAA, sizeof skip);
    size_t marked = exempt_service_labels(&n, skip);
    for (size_t l = 0; l < n.nlabels; l++) {
        assert_true(skip[l] == 0 || skip[l] == 1);
        out[l] = (char)('0' + skip[l]);
    }
    out[n.nlabels] = 0;
    return marked;
}

static int s_matches(const suffixset_t *set, const char *text)
{
    name_t n;
    assert_int_equal(name_parse(text, strlen(text), &n), 0);
    return suffixset_match(set, &n, 0) >= 0;
}

static void test_reverse_v4(void **state)
{
    (void)state;
    assert_int_equal(s_reverse("1.2.3.4.in-addr.arpa"), 1);
    assert_int_equal(s_reverse("4.3.2.1.IN-ADDR.ARPA."), 1);
    assert_int_equal(s_reverse("0.255.10.in-addr.arpa"), 1); /* a delegation: 3 octets */
    assert_int_equal(s_reverse("in-addr.arpa"), 1);
    assert_int_equal(s_reverse("256.1.1.1.in-addr.arpa"), 0);
    assert_int_equal(s_reverse("1.1.1.1.1.in-addr.arpa"), 0); /* 5 octets */
    assert_int_equal(s_reverse("01.1.1.1.in-addr.arpa"), 0);  /* leading zero */
    assert_int_equal(s_reverse("1a.1.1.1.in-addr.arpa"), 0);
    assert_int_equal(s_reverse("1\\.2.3.4.in-addr.arpa"), 0); /* dot byte in a label */
    assert_int_equal(s_reverse("1.2.3.4.in-addr.arpa.evil.com"), 0);
    assert_int_equal(s_reverse("1.2.3.4.in-addr.example"), 0);
    assert_int_equal(s_reverse("arpa"), 0);
}

static void test_reverse_v6(void **state)
{
    (void)state;
    char buf[128];
    buf[0] = 0;
    for (int i = 0; i < 32; i++)
        strcat(buf, i % 2 ? "a." : "0.");
    strcat(buf, "ip6.arpa");
    assert_int_equal(s_reverse(buf), 1);
    assert_int_equal(s_reverse("b.8.d.0.1.0.0.2.ip6.arpa"), 1);
    assert_int_equal(s_reverse("ip6.arpa"), 1);
    assert_int_equal(s_reverse("ab.8.d.0.1.0.0.2.ip6.arpa"), 0); /* two-char nibble */
    assert_int_equal(s_reverse("g.8.d.0.1.0.0.2.ip6.arpa"), 0);
    assert_int_equal(s_reverse("0.0.ip6.arpa.com"), 0);
    char over[160] = "f.";
    strcat(over, buf); /* 33 nibbles */
    assert_int_equal(s_reverse(over), 0);
}

static void test_service_labels_marked_in_place(void **state)
{
    (void)state;
    char m[NAME_MAX_LABELS + 1];
    assert_int_equal(s_marks("_ldap._tcp.dc._msdcs.corp", m), 3);
    assert_string_equal(m, "11010");
    assert_int_equal(s_marks("_sip._udp.example.com", m), 2);
    assert_string_equal(m, "1100");
    assert_int_equal(s_marks("www.example.com", m), 0);
    assert_string_equal(m, "000");
    /* 15 characters after '_' is the RFC 6335 maximum; 16 is data */
    assert_int_equal(s_marks("_abcdefghijklmno.x", m), 1);
    assert_int_equal(s_marks("_abcdefghijklmnop.x", m), 0);
}

static void test_msdcs_guid_marked(void **state)
{
    (void)state;
    char m[NAME_MAX_LABELS + 1];
    const char *guid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    char buf[200];
    snprintf(buf, sizeof buf, "%s._msdcs.corp.example", guid);
    assert_int_equal(s_marks(buf, m), 2);
    assert_string_equal(m, "1100");
    snprintf(buf, sizeof buf, "_ldap._tcp.%s.domains._msdcs.corp", guid);
    assert_int_equal(s_marks(buf, m), 4);
    assert_string_equal(m, "111010");
    /* the same GUID anywhere else is data */
    snprintf(buf, sizeof buf, "%s.example.com", guid);
    assert_int_equal(s_marks(buf, m), 0);
    snprintf(buf, sizeof buf, "%s._tcp.example.com", guid);
    assert_int_equal(s_marks(buf, m), 1);
    assert_string_equal(m, "0100");
}

static void test_look_alikes_not_marked(void **state)
{
    (void)state;
    char m[NAME_MAX_LABELS + 1];
    assert_int_equal(s_marks("x_ldap._tcp.example.com", m), 1);
    assert_string_equal(m, "0100");
    assert_int_equal(s_marks("_-ldap.x", m), 0);   /* hyphen first */
    assert_int_equal(s_marks("_ldap-.x", m), 0);   /* hyphen last */
    assert_int_equal(s_marks("_1234.x", m), 0);    /* no letter */
    assert_int_equal(s_marks("_a_b.x", m), 0);     /* '_' inside */
    assert_int_equal(s_marks("_.x", m), 0);        /* nothing after '_' */
    assert_int_equal(s_marks("_ld\\.ap.x", m), 0); /* dot byte inside */
    assert_int_equal(s_marks("6f6e652074776f207468726565._ldap._tcp.evil.example", m), 2);
    assert_string_equal(m, "01100");
}

static void test_parse_list(void **state)
{
    (void)state;
    suffixset_t *set = suffixset_new();
    char err[256] = "";
    const char text[] = "# the allow list\n"
                        "\n"
                        "example.com\r\n"
                        "   Corp.Example.   # trailing comment\r\n"
                        "\t\r\n"
                        "# commented.out\n"
                        "last.test"; /* no final newline */
    assert_int_equal(exempt_parse_list(set, text, strlen(text), "list.txt", err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(suffixset_size(set), 3);
    assert_true(s_matches(set, "www.example.com"));
    assert_true(s_matches(set, "a.corp.example"));
    assert_true(s_matches(set, "last.test"));
    assert_false(s_matches(set, "commented.out"));
    assert_false(s_matches(set, "badexample.com"));
    suffixset_destroy(&set);
}

static void test_parse_list_errors_name_the_line(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *where;
    } cases[] = {
        {"ok.com\n# fine\nbad..entry\n", "origin:3:"},
        {"two words.com\n", "origin:1:"},
        {"ok.com\r\n\r\n.leading.dot\r\n", "origin:3:"},
        {"a\\.b.com\n", "origin:1:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        suffixset_t *set = suffixset_new();
        char err[256] = "";
        int rc =
            exempt_parse_list(set, cases[i].text, strlen(cases[i].text), "origin", err, sizeof err);
        assert_int_equal(rc, -EINVAL);
        if (strncmp(err, cases[i].where, strlen(cases[i].where)) != 0)
            fail_msg("case %zu: '%s' does not start with '%s'", i, err, cases[i].where);
        suffixset_destroy(&set);
    }
    /* a label of 64 bytes */
    char text[100];
    memset(text, 'a', 64);
    strcpy(text + 64, ".com\n");
    suffixset_t *set = suffixset_new();
    char err[256];
    assert_int_equal(exempt_parse_list(set, text, strlen(text), "f", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "f:1:"));
    suffixset_destroy(&set);
}

static void test_load_list(void **state)
{
    (void)state;
    char path[] = "/tmp/test_exempt_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* more than the first 4096-byte read, so the buffer has to grow */
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("# generated\n", f);
    for (int i = 0; i < 600; i++)
        fprintf(f, "zone%d.example.test\n", i);
    fclose(f);
    suffixset_t *set = suffixset_new();
    char err[256] = "";
    assert_int_equal(exempt_load_list(set, path, err, sizeof err), 0);
    assert_int_equal(suffixset_size(set), 600);
    assert_true(s_matches(set, "x.zone599.example.test"));
    assert_true(s_matches(set, "zone0.example.test"));
    assert_false(s_matches(set, "zone600.example.test"));
    suffixset_destroy(&set);
    unlink(path);
}

static void test_load_missing_file(void **state)
{
    (void)state;
    suffixset_t *set = suffixset_new();
    char err[256] = "";
    assert_int_equal(exempt_load_list(set, "/nonexistent/allow.txt", err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "/nonexistent/allow.txt"));
    assert_int_equal(suffixset_size(set), 0);
    suffixset_destroy(&set);
}

static void test_default_list_loads(void **state)
{
    (void)state;
    suffixset_t *set = suffixset_new();
    char err[256] = "";
    assert_int_equal(exempt_default_list(set, err, sizeof err), 0);
    assert_string_equal(err, "");
    suffixset_destroy(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reverse_v4),
        cmocka_unit_test(test_reverse_v6),
        cmocka_unit_test(test_service_labels_marked_in_place),
        cmocka_unit_test(test_msdcs_guid_marked),
        cmocka_unit_test(test_look_alikes_not_marked),
        cmocka_unit_test(test_parse_list),
        cmocka_unit_test(test_parse_list_errors_name_the_line),
        cmocka_unit_test(test_load_list),
        cmocka_unit_test(test_load_missing_file),
        cmocka_unit_test(test_default_list_loads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
