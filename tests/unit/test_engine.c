/* tests/unit/test_engine.c - verdicts and reasons of the engine with the
 * built-in model and allow list, as a resolver would see them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"

static int s_setup(void **state)
{
    engine_settings_t s;
    char err[256] = "";
    engine_settings_default(&s);
    engine_t *e = engine_new(&s, err, sizeof err);
    if (!e) {
        print_error("engine_new: %s\n", err);
        return -1;
    }
    *state = e;
    return 0;
}

static int s_teardown(void **state)
{
    engine_t *e = *state;
    engine_destroy(&e);
    assert_null(e);
    engine_destroy(&e);
    return 0;
}

/* Checks one name with both entry points; they must agree on the verdict,
 * the reason and the evidence. A name is refused (good false) exactly when
 * its evidence is strong; a failed test with a good verdict is weak. */
static void s_expect_evidence(const engine_t *e, const char *qname, size_t len, bool good,
                              const char *reason, bool weak)
{
    verdict_t v, all;
    bool got = engine_check(e, qname, len, &v);
    assert_true(got == v.good);
    assert_non_null(v.reason);
    assert_string_equal(v.reason, engine_reason_name(v.reason_id));
    assert_true(v.good == (v.evidence != EVIDENCE_STRONG));
    engine_check_all(e, qname, len, &all);
    bool is_weak = v.evidence == EVIDENCE_WEAK;
    if (got != good || strcmp(v.reason, reason) != 0 || all.good != v.good ||
        strcmp(all.reason, v.reason) != 0 || is_weak != weak || all.evidence != v.evidence) {
        char explain[512];
        engine_explain(&all, explain, sizeof explain);
        fail_msg("%.*s: expected %s/%s%s, got %s/%s (all: %s)", (int)len, qname,
                 good ? "true" : "false", reason, weak ? " (weak)" : "", got ? "true" : "false",
                 v.reason, explain);
    }
}

static void s_expect(const engine_t *e, const char *qname, size_t len, bool good,
                     const char *reason)
{
    s_expect_evidence(e, qname, len, good, reason, false);
}

/* A name that fails a test but passes: weak evidence, for the domain layer. */
static void s_expect_weak(const engine_t *e, const char *qname, const char *reason)
{
    s_expect_evidence(e, qname, strlen(qname), true, reason, true);
}

static void s_expect_str(const engine_t *e, const char *qname, bool good, const char *reason)
{
    s_expect(e, qname, strlen(qname), good, reason);
}

static void test_ordinary_names_pass(void **state)
{
    engine_t *e = *state;
    s_expect_str(e, "www.google.com", true, "ok");
    s_expect_str(e, "WWW.Google.COM.", true, "ok");
    s_expect_str(e, "mail.example.co.uk", true, "ok");
    s_expect_str(e, "google.com", true, "ok");
    s_expect_str(e, "london2017athletics.example.org", true, "ok");
}

static void test_base32_tunnel_fails(void **state)
{
    engine_t *e = *state;
    /* iodine/dnscat-style: base32 labels under the tunnel's domain. Two
     * labels of 32 and 24 carry about 35 bytes: weak (a benign telemetry
     * name can carry a 32-character id); three such labels are strong. */
    s_expect_weak(e, "mzxw6ytboi2dmnzqgezdgnbvgy3tqojq.gezdgnbvgy3tqojqmzxw6ytb.t.example.net",
                  "charset:encoded");
    s_expect_str(e,
                 "mzxw6ytboi2dmnzqgezdgnbvgy3tqojq.k5xw4zlsmv2g6ylb3jqd2m4q.mzxw6ytboi2dmnzq."
                 "t.example.net",
                 false, "charset:encoded");
    /* labels longer than max_label (40) fail before their content is looked at */
    s_expect_str(e,
                 "mzxw6ytboi2dmnzqgezdgnbvgy3tqojqgezdgnbvgy3tqojq.gezdgnbvgy3tqojqmzxw6ytboi."
                 "t.example.net",
                 false, "charset:label-length");
    /* random letters, no digits: the bigram model catches them, weakly when
     * short, strongly when a label holds 48 of them in a row */
    s_expect_weak(e, "qxzvkjwpfhtbmgndqzxw.rwqzxkvjpcfm.example.com", "bigram");
    s_expect_str(e, "qxzvkjwpfhtbmgndqzxwrwqzxkvjpcfmqxzvkjwpfhtbmgndqz.example.com", false,
                 "charset:label-length");
}

static void test_hex_c2_fails(void **state)
{
    engine_t *e = *state;
    /* 28 hex digits, 14 bytes: weak on its own (a few of these are CDN
     * and telemetry ids); 64 or more are strong */
    s_expect_weak(e, "t88d8de31bbea.6b65722f.66e3fae3.example.net", "charset:hex");
    s_expect_str(e,
                 "dnscat.8d8de31bbea6b65722f66e3fae3a1b2c3d4.e5f60718293a4b5c6d7e8f9051a2b3c4d5."
                 "example.net",
                 false, "charset:hex");
}

static void test_non_ldh_fails(void **state)
{
    engine_t *e = *state;
    /* dns2tcp sends base64 with '+' and '/' */
    s_expect_str(e, "aGVsbG8+d29y/bGQ.dns2tcp.example.org", false, "charset:non-ldh");
    s_expect_str(e, "ab\\032cd.example.org", false, "charset:non-ldh");
}

static void test_invalid_names(void **state)
{
    engine_t *e = *state;
    char label64[100];
    memset(label64, 'a', 64);
    strcpy(label64 + 64, ".example.com");
    s_expect(e, "", 0, false, "invalid");
    s_expect_str(e, "a..b", false, "invalid");
    s_expect_str(e, label64, false, "invalid");
    s_expect_str(e, "bad\\escape\\25", false, "invalid");
    s_expect(e, "a\0b.com", 7, false, "invalid");
}

static void test_root_and_reverse(void **state)
{
    engine_t *e = *state;
    s_expect_str(e, ".", true, "root");
    s_expect_str(e, "4.3.2.1.in-addr.arpa", true, "reverse");
    s_expect_str(e, "b.8.d.0.1.0.0.2.ip6.arpa.", true, "reverse");
    /* not a reverse name: judged like any other */
    verdict_t v;
    engine_check(e, "256.3.2.1.in-addr.arpa", 22, &v);
    assert_string_not_equal(v.reason, "reverse");
}

static void test_reverse_exemption_can_be_turned_off(void **state)
{
    (void)state;
    engine_settings_t s;
    char err[256];
    engine_settings_default(&s);
    s.exempt_reverse = false;
    engine_t *e = engine_new(&s, err, sizeof err);
    assert_non_null(e);
    verdict_t v;
    engine_check(e, "4.3.2.1.in-addr.arpa", 20, &v);
    assert_string_not_equal(v.reason, "reverse");
    engine_destroy(&e);
}

static void test_service_names(void **state)
{
    engine_t *e = *state;
    s_expect_str(e, "_ldap._tcp.dc._msdcs.example.com", true, "ok");
    s_expect_str(e, "_sip._udp.example.com", true, "service");
    s_expect_str(e, "_ldap._tcp.0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0.domains._msdcs.example.com",
                 true, "ok");
    /* data in front of service labels is still data */
    /* DNS-SD instance names under .local are free text: a service name */
    s_expect_str(e, "Board\\032Room._airplay._tcp.local", true, "service");
    s_expect_str(e, "61fb6e66-3a8c-2ddc-e816-bafaba88b86b._googlecast._tcp.local", true, "service");
    s_expect_weak(e, "0123456789abcdef0123456789abcdef01234567._ldap._tcp.evil.example",
                  "charset:hex");
    s_expect_str(e,
                 "0123456789abcdef0123456789abcdef01234567.0123456789abcdef01234567._ldap._tcp."
                 "evil.example",
                 false, "charset:hex");
}

static void test_allow_list(void **state)
{
    (void)state;
    engine_settings_t s;
    char err[256] = "";
    engine_settings_default(&s);
    strcpy(s.allow, "example.test, other.test");
    engine_t *e = engine_new(&s, err, sizeof err);
    assert_non_null(e);
    const char *tunnel = "t88d8de31bbea.6b65722f.66e3fae3";
    char q[200];
    snprintf(q, sizeof q, "%s.example.test", tunnel);
    s_expect_str(e, q, true, "allowlist");
    snprintf(q, sizeof q, "%s.other.test.", tunnel);
    s_expect_str(e, q, true, "allowlist");
    snprintf(q, sizeof q, "%s.badexample.test", tunnel);
    s_expect_weak(e, q, "charset:hex");
    snprintf(q, sizeof q, "%s.example.test.evil.net", tunnel);
    s_expect_weak(e, q, "charset:hex");
    engine_destroy(&e);

    strcpy(s.allow, "ok.test bad..entry");
    assert_null(engine_new(&s, err, sizeof err));
    assert_non_null(strstr(err, "bad..entry"));
}

static void test_allow_list_file(void **state)
{
    (void)state;
    char path[] = "/tmp/test_engine_allow_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# test\nexample.test\nnot a suffix\n", f);
    fclose(f);
    engine_settings_t s;
    char err[512] = "";
    engine_settings_default(&s);
    strcpy(s.allowlist_file, path);
    assert_null(engine_new(&s, err, sizeof err));
    char where[300];
    snprintf(where, sizeof where, "%s:3:", path);
    assert_non_null(strstr(err, where));
    unlink(path);
}

static void test_missing_model_file(void **state)
{
    (void)state;
    engine_settings_t s;
    char err[512] = "";
    engine_settings_default(&s);
    strcpy(s.model_path, "/nonexistent/dir/dnsoracle.model");
    assert_null(engine_new(&s, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/dir/dnsoracle.model"));
}

static void test_thresholds_come_from_settings(void **state)
{
    (void)state;
    engine_settings_t s;
    char err[256];
    engine_settings_default(&s);
    s.max_hex = 253;
    s.max_encoded_label = 63;
    s.max_digit_switches = 253;
    s.bigram_threshold = -64;
    s.entropy_threshold = 10;
    engine_t *e = engine_new(&s, err, sizeof err);
    assert_non_null(e);
    s_expect_str(e, "t88d8de31bbea.6b65722f.66e3fae3.example.net", true, "ok");
    engine_destroy(&e);
    engine_settings_default(&s);
    s.max_label = 5;
    e = engine_new(&s, err, sizeof err);
    assert_non_null(e);
    s_expect_weak(e, "abcdef.example.com", "charset:label-length");
    s_expect_str(e, "abcde.example.com", true, "ok");
    engine_destroy(&e);
}

static void test_registrable_and_explain(void **state)
{
    engine_t *e = *state;
    verdict_t v;
    assert_true(engine_check_all(e, "a.b.example.co.uk", 17, &v));
    assert_int_equal(v.nlabels, 5);
    assert_int_equal(v.registrable, 2);
    assert_int_equal(v.f.labels, 2);
    char buf[512];
    int n = engine_explain(&v, buf, sizeof buf);
    assert_int_equal(n, (int)strlen(buf));
    assert_true(strncmp(buf, "verdict=true reason=ok ", 23) == 0);
    assert_non_null(strstr(buf, " labels=2 "));
    char small[16];
    assert_int_equal(engine_explain(&v, small, sizeof small), 15);
    assert_int_equal(strlen(small), 15);
    name_t name;
    assert_int_equal(name_parse("x.foo.github.io", 15, &name), 0);
    assert_int_equal(engine_registrable(e, &name), 1);
    assert_string_equal(engine_reason_name(REASON_COUNT), "unknown");
    assert_string_equal(engine_reason_name(REASON_HEX), "charset:hex");
}

static void test_every_byte_in_a_label(void **state)
{
    engine_t *e = *state;
    for (int b = 1; b < 256; b++) {
        char q[64];
        int n = snprintf(q, sizeof q, "ab%ccd.example.com", b);
        assert_int_equal(n, 17);
        verdict_t v;
        bool good = engine_check(e, q, (size_t)n, &v);
        assert_non_null(v.reason);
        bool ldh = (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') ||
                   b == '-' || b == '_';
        if (b == '.' || b == '\\') /* a label separator, a bad escape */
            continue;
        if (!ldh && (good || strcmp(v.reason, "charset:non-ldh") != 0))
            fail_msg("byte %d: %s", b, v.reason);
        /* escaped, the same byte is the same name */
        char esc[64];
        n = snprintf(esc, sizeof esc, "ab\\%03dcd.example.com", b);
        verdict_t w;
        engine_check(e, esc, (size_t)n, &w);
        assert_string_equal(w.reason, v.reason);
    }
}

static void test_random_garbage_never_crashes(void **state)
{
    engine_t *e = *state;
    static const char alphabet[] = "abcxyz0189-_.\\+/=ABC \x01\x7f\x80\xff";
    uint64_t x = 0x9e3779b97f4a7c15ULL; /* xorshift64, fixed seed */
    char buf[401];
    for (int i = 0; i < 4000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t len = (size_t)(x % 401);
        for (size_t k = 0; k < len; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[k] = (i & 1) ? (char)(x >> 24) : alphabet[(x >> 24) % (sizeof alphabet - 1)];
        }
        verdict_t v, all;
        bool good = engine_check(e, buf, len, &v);
        assert_non_null(v.reason);
        assert_true(v.reason[0] != 0);
        assert_true(v.reason_id < REASON_COUNT);
        engine_check_all(e, buf, len, &all);
        assert_true(all.good == good);
        assert_string_equal(all.reason, v.reason);
        if (len > NAME_MAX_TEXT + 1 && !memchr(buf, '\\', len))
            assert_string_equal(v.reason, "invalid");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary_names_pass),
        cmocka_unit_test(test_base32_tunnel_fails),
        cmocka_unit_test(test_hex_c2_fails),
        cmocka_unit_test(test_non_ldh_fails),
        cmocka_unit_test(test_invalid_names),
        cmocka_unit_test(test_root_and_reverse),
        cmocka_unit_test(test_reverse_exemption_can_be_turned_off),
        cmocka_unit_test(test_service_names),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_allow_list_file),
        cmocka_unit_test(test_missing_model_file),
        cmocka_unit_test(test_thresholds_come_from_settings),
        cmocka_unit_test(test_registrable_and_explain),
        cmocka_unit_test(test_every_byte_in_a_label),
        cmocka_unit_test(test_random_garbage_never_crashes),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
