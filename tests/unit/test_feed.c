/* tests/unit/test_feed.c - the feed parser of dnsoracle_client --import:
 * every format a line at a time, what is skipped and what is bad. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "feed.h"

/* Parses `lines` in order with one parser; returns what the last gave. */
static feed_result_t s_parse(feed_t *f, const char *line, char *out)
{
    const char *why = NULL;
    feed_result_t r = feed_line(f, line, strlen(line), out, &why);
    assert_non_null(why);
    return r;
}

static void s_expect(feed_t *f, const char *line, feed_result_t want, const char *domain)
{
    char out[FEED_DOMAIN_MAX + 1] = "";
    feed_result_t got = s_parse(f, line, out);
    if (got != want)
        fail_msg("'%s': got %d, want %d", line, got, want);
    if (want == FEED_DOMAIN)
        assert_string_equal(out, domain);
}

static void test_plain(void **state)
{
    (void)state;
    feed_t *f = feed_new();
    s_expect(f, "evil.example", FEED_DOMAIN, "evil.example");
    s_expect(f, "  Mixed.Example.  ", FEED_DOMAIN, "mixed.example");
    s_expect(f, "evil.example\r", FEED_DOMAIN, "evil.example");
    s_expect(f, "", FEED_SKIP, NULL);
    s_expect(f, "   ", FEED_SKIP, NULL);
    s_expect(f, "# a comment", FEED_SKIP, NULL);
    s_expect(f, "trailing.example # why", FEED_DOMAIN, "trailing.example");
    s_expect(f, "_dmarc.under_score.example", FEED_DOMAIN, "_dmarc.under_score.example");
    s_expect(f, "com", FEED_DOMAIN, "com"); /* a public suffix: for the oracle to refuse */
    s_expect(f, "bad!name.example", FEED_BAD, NULL);
    s_expect(f, "a..b", FEED_BAD, NULL);
    s_expect(f, "two words", FEED_BAD, NULL);
    s_expect(f, "||adblock.example^", FEED_BAD, NULL);
    char label[80];
    memset(label, 'a', 64);
    snprintf(label + 64, sizeof label - 64, ".example");
    s_expect(f, label, FEED_BAD, NULL); /* a 64-byte label */
    feed_destroy(&f);
    assert_null(f);
    feed_destroy(NULL);
}

static void test_hosts(void **state)
{
    (void)state;
    feed_t *f = feed_new();
    s_expect(f, "0.0.0.0 evil.example", FEED_DOMAIN, "evil.example");
    s_expect(f, "127.0.0.1\tads.example # tracker", FEED_DOMAIN, "ads.example");
    s_expect(f, "::1 six.example", FEED_DOMAIN, "six.example");
    s_expect(f, "127.0.0.1 localhost", FEED_SKIP, NULL);
    s_expect(f, "127.0.0.1 localhost.localdomain", FEED_SKIP, NULL);
    s_expect(f, "::1 ip6-localhost ip6-loopback", FEED_SKIP, NULL);
    s_expect(f, "255.255.255.255 broadcasthost", FEED_SKIP, NULL);
    s_expect(f, "0.0.0.0 0.0.0.0", FEED_SKIP, NULL);
    s_expect(f, "0.0.0.0", FEED_BAD, NULL);
    s_expect(f, "0.0.0.0 bad!.example", FEED_BAD, NULL);
    feed_destroy(&f);
}

static void test_rpz(void **state)
{
    (void)state;
    feed_t *f = feed_new();
    s_expect(f, "$TTL 300", FEED_SKIP, NULL);
    s_expect(f, "$ORIGIN rpz.zone.", FEED_SKIP, NULL);
    s_expect(f, "@ IN SOA ns.rpz.zone. admin.rpz.zone. (", FEED_SKIP, NULL);
    s_expect(f, "  2026120201 3600 600 86400 300 )", FEED_SKIP, NULL);
    s_expect(f, "  IN NS ns.rpz.zone.", FEED_SKIP, NULL);
    s_expect(f, "evil.example CNAME .", FEED_DOMAIN, "evil.example");
    s_expect(f, "*.evil.example CNAME .", FEED_DOMAIN, "evil.example");
    s_expect(f, "abs.example.rpz.zone. 300 IN CNAME .", FEED_DOMAIN, "abs.example");
    s_expect(f, "rpz.zone. NS ns.rpz.zone.", FEED_SKIP, NULL);
    s_expect(f, "32.1.2.0.192.rpz-ip CNAME .", FEED_SKIP, NULL);
    s_expect(f, "ns.evil.example.rpz-nsdname CNAME .", FEED_SKIP, NULL);
    s_expect(f, "walled.example A 192.0.2.1 ; a walled garden", FEED_DOMAIN, "walled.example");
    s_expect(f, "bad!.example CNAME .", FEED_BAD, NULL);
    s_expect(f, "aaaa.example AAAA 2001:db8::1", FEED_DOMAIN, "aaaa.example");
    s_expect(f, "mx.example 300 MX 10 mail.example.", FEED_DOMAIN, "mx.example");
    s_expect(f, "txt.example TXT \"blocked\"", FEED_DOMAIN, "txt.example");
    s_expect(f, "pass.example CNAME rpz-passthru.", FEED_DOMAIN, "pass.example");
    s_expect(f, "sub.example CNAME *.walled.example.", FEED_DOMAIN, "sub.example");
    feed_destroy(&f);
    /* Words that hold a type are not a record when the data does not fit:
     * "not A domain!!" is neither a domain nor an RPZ owner "not". */
    f = feed_new();
    const char *why = NULL;
    char out[FEED_DOMAIN_MAX + 1];
    const char *line = "not a domain!!";
    assert_int_equal(feed_line(f, line, strlen(line), out, &why), FEED_BAD);
    assert_string_equal(why, "not a domain, hosts-file or RPZ line");
    s_expect(f, "it is a mistake", FEED_BAD, NULL);
    s_expect(f, "call ns now!", FEED_BAD, NULL);
    s_expect(f, "plain.example CNAME . extra", FEED_BAD, NULL);
    s_expect(f, "my mx record", FEED_BAD, NULL);
    s_expect(f, "quote txt unquoted", FEED_BAD, NULL);
    feed_destroy(&f);
    /* No $ORIGIN: the SOA owner names the zone. */
    f = feed_new();
    s_expect(f, "feed.rpz. 3600 IN SOA ns. admin. 1 2 3 4 5", FEED_SKIP, NULL);
    s_expect(f, "c2.example.feed.rpz. CNAME .", FEED_DOMAIN, "c2.example");
    s_expect(f, "feed.rpz. CNAME .", FEED_SKIP, NULL);
    feed_destroy(&f);
}

static void test_limits(void **state)
{
    (void)state;
    feed_t *f = feed_new();
    char line[2048];
    memset(line, 'a', sizeof line - 1);
    line[sizeof line - 1] = 0;
    s_expect(f, line, FEED_BAD, NULL); /* longer than any line of a feed */
    char out[FEED_DOMAIN_MAX + 1];
    const char *why;
    assert_int_equal(feed_line(f, "a\0b.example", 11, out, &why), FEED_BAD);
    /* 253 bytes is the longest name */
    char name[300];
    const char *label62 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    snprintf(name, sizeof name, "%s.%s.%s.%s.ab", label62, label62, label62, label62);
    assert_int_equal(strlen(name), 254);
    s_expect(f, name, FEED_BAD, NULL);
    s_expect(f, name + 1, FEED_DOMAIN, name + 1);
    feed_destroy(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_hosts),
        cmocka_unit_test(test_rpz),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
