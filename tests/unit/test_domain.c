/* tests/unit/test_domain.c - the domain layer: what cuts a domain off, and what does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "domain.h"
#include "name.h"

#define T0 1767225600.0 /* 2026-01-01 */

/* Observes `text` as a name whose registrable domain is its last two
 * labels, with the evidence and bits given. */
static domain_result_t s_obs(domain_t *d, const char *text, evidence_t ev, double bits,
                             unsigned qtype, uint64_t client, double now)
{
    name_t name;
    assert_int_equal(name_parse(text, strlen(text), &name), 0);
    domain_obs_t o = {&name, name.nlabels - 2, ev, bits, qtype, client, now};
    return domain_observe(d, &o, NULL);
}

static domain_t *s_new(const domain_settings_t *s, const char *established)
{
    domain_t *d = domain_new(s, established);
    assert_non_null(d);
    return d;
}

static void test_plain_names_never_cut(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, NULL);
    char q[64];
    /* a thousand plain host names in a minute, from one client (a forwarder) */
    for (int i = 0; i < 1000; i++) {
        snprintf(q, sizeof q, "host%d.corp-intranet.org", i);
        assert_int_equal(s_obs(d, q, EVIDENCE_NONE, 30, 1, 7, T0 + i * 0.06), DOMAIN_PASS);
    }
    domain_evidence_t e;
    assert_false(domain_take_cut(d, &e));
    domain_destroy(&d);
    assert_null(d);
    domain_destroy(&d);
}

static void test_strong_names_cut_a_fresh_domain(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, NULL);
    char q[128];
    int cut_at = 0;
    for (int i = 1; i <= 20 && !cut_at; i++) {
        snprintf(q, sizeof q, "data%dxq9zk2m4v7w1p3r5t8y0.tun-x.net", i);
        domain_result_t r = s_obs(d, q, EVIDENCE_STRONG, 300, 16, 7, T0 + i);
        if (r == DOMAIN_CUT_NOW)
            cut_at = i;
        else
            assert_int_equal(r, DOMAIN_PASS);
    }
    /* the counters decay (time constant window_seconds): one more name */
    assert_in_range(cut_at, (int)s.threshold, (int)s.threshold + 1);
    /* told once; then every name under it is refused, polls included */
    assert_int_equal(s_obs(d, "p1.tun-x.net", EVIDENCE_NONE, 10, 1, 7, T0 + 30), DOMAIN_CUT);
    assert_int_equal(s_obs(d, "p1.tun-x.net", EVIDENCE_NONE, 10, 1, 7, T0 + 31), DOMAIN_CUT);
    name_t name;
    name_parse("www.tun-x.net", 13, &name);
    assert_true(domain_is_cut(d, &name, 1, T0 + 32));
    assert_false(domain_is_cut(d, &name, 1, T0 + 32 + s.drop_seconds));
    domain_evidence_t e;
    assert_true(domain_take_cut(d, &e));
    assert_string_equal(e.domain, "tun-x.net");
    assert_true(e.cut);
    assert_false(domain_take_cut(d, &e));
    char why[256];
    domain_reason(&e, why, sizeof why);
    assert_non_null(strstr(why, " strong, weak weighing 0.0)"));
    assert_non_null(strstr(why, "1 client"));
    domain_destroy(&d);
}

static int s_names_to_cut(domain_t *d, const char *dom, evidence_t ev, double bits,
                          uint64_t clients, int max)
{
    char q[128];
    for (int i = 1; i <= max; i++) {
        snprintf(q, sizeof q, "n%dab%d.%s", i, i * 7, dom);
        if (s_obs(d, q, ev, bits, 1, 1 + (uint64_t)i % clients, T0 + i) == DOMAIN_CUT_NOW)
            return i;
    }
    return 0;
}

static void test_weak_names_weigh_by_their_bits(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, NULL);
    /* a C2 label of 28 hex digits (about 210 bits) weighs about half */
    int hex = s_names_to_cut(d, "c2-x.net", EVIDENCE_WEAK, 210, 1, 500);
    assert_true(hex > (int)s.threshold && hex <= 2 * (int)s.threshold);
    /* a CDN node id (about 60 bits) weighs a seventh: many more names */
    int cdn = s_names_to_cut(d, "cdn-x.net", EVIDENCE_WEAK, 60, 1, 500);
    assert_true(cdn > 5 * (int)s.threshold);
    domain_destroy(&d);
}

static void test_many_clients_and_established_need_more(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, "# big\nbig-platform.com  # a comment\n\nOther.NET.\n");
    int fresh = s_names_to_cut(d, "fresh-x.net", EVIDENCE_STRONG, 300, 1, 1000);
    int shared = s_names_to_cut(d, "shared-x.net", EVIDENCE_STRONG, 300, 20, 1000);
    int listed = s_names_to_cut(d, "big-platform.com", EVIDENCE_STRONG, 300, 1, 1000);
    int listed2 = s_names_to_cut(d, "other.net", EVIDENCE_STRONG, 300, 1, 1000);
    assert_in_range(fresh, (int)s.threshold, (int)s.threshold + 1);
    assert_true(shared >= (int)(s.threshold * s.clients_factor) - 1);
    assert_true(listed >= (int)(s.threshold * s.established_factor) - 1);
    assert_true(listed2 >= (int)(s.threshold * s.established_factor) - 1);
    domain_destroy(&d);
}

static void test_repeats_and_time(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, NULL);
    /* one name asked a thousand times is one name */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(
            s_obs(d, "q8zk2m4v7w1p3r5t8y0q8zk2m.same-x.net", EVIDENCE_STRONG, 300, 16, 7, T0 + i),
            DOMAIN_PASS);
    /* nine names now and nine names ten windows later do not add up */
    char q[64];
    for (int i = 0; i < 9; i++) {
        snprintf(q, sizeof q, "a%dq8zk2m4v7w1p3r5.slow-x.net", i);
        assert_int_equal(s_obs(d, q, EVIDENCE_STRONG, 300, 16, 7, T0 + i), DOMAIN_PASS);
    }
    double later = T0 + 10 * s.window_seconds;
    for (int i = 0; i < 9; i++) {
        snprintf(q, sizeof q, "b%dq8zk2m4v7w1p3r5.slow-x.net", i);
        assert_int_equal(s_obs(d, q, EVIDENCE_STRONG, 300, 16, 7, later + i), DOMAIN_PASS);
    }
    domain_destroy(&d);
}

static void test_evidence_share_and_bits_budget(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, NULL);
    char q[64];
    /* a busy domain: 2000 plain names, then 12 strong ones: under the share */
    for (int i = 0; i < 2000; i++) {
        snprintf(q, sizeof q, "h%d.busy-x.com", i);
        assert_int_equal(s_obs(d, q, EVIDENCE_NONE, 30, 1, 7, T0 + i * 0.1), DOMAIN_PASS);
    }
    for (int i = 0; i < 12; i++) {
        snprintf(q, sizeof q, "s%dq8zk2m4v7w1p3r5.busy-x.com", i);
        assert_int_equal(s_obs(d, q, EVIDENCE_STRONG, 300, 1, 7, T0 + 200 + i), DOMAIN_PASS);
    }
    /* names that carry more than the budget, a tenth with weak evidence of
     * little weight: cut by the budget; without any evidence: never (volume
     * alone) */
    s.bits_budget = 20000;
    domain_t *b = s_new(&s, NULL);
    int cut_at = 0, plain = 0;
    for (int i = 1; i <= 400 && !cut_at; i++) {
        snprintf(q, sizeof q, "word%d.words-x.com", i);
        evidence_t ev = i % 10 ? EVIDENCE_NONE : EVIDENCE_WEAK;
        cut_at = s_obs(b, q, ev, 150, 16, 7, T0 + i) == DOMAIN_CUT_NOW ? i : 0;
        snprintf(q, sizeof q, "word%d.plain-x.com", i);
        plain += s_obs(b, q, EVIDENCE_NONE, 150, 16, 7, T0 + i) != DOMAIN_PASS;
    }
    assert_in_range(cut_at, 134, 140); /* 134 * 150 >= 20000, less the decay */
    assert_int_equal(plain, 0);
    domain_destroy(&b);
    domain_destroy(&d);
}

static void test_special_use_names_skipped(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, NULL);
    assert_int_equal(s_obs(d, "0f1e2d3c4b5a69788796a5b4c3d2e1f0._googlecast._tcp.local",
                           EVIDENCE_WEAK, 200, 12, 7, T0),
                     DOMAIN_SKIP);
    assert_int_equal(s_obs(d, "x.printer.local", EVIDENCE_WEAK, 200, 1, 7, T0), DOMAIN_SKIP);
    name_t name;
    name_parse("com", 3, &name);
    domain_obs_t o = {&name, 1, EVIDENCE_STRONG, 100, 1, 7, T0};
    assert_int_equal(domain_observe(d, &o, NULL), DOMAIN_SKIP); /* no registrable domain */
    domain_destroy(&d);
}

static void test_memory_is_bounded(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    s.max_domains = 1600;
    s.max_names = 4000;
    domain_t *d = s_new(&s, NULL);
    size_t bound = domain_memory(d);
    /* a tunnel first, cut; then a flood of 100,000 one-name domains */
    assert_in_range(s_names_to_cut(d, "tun-y.net", EVIDENCE_STRONG, 300, 1, 50), (int)s.threshold,
                    (int)s.threshold + 1);
    char q[64];
    for (int i = 0; i < 100000; i++) {
        snprintf(q, sizeof q, "www.site%d.com", i);
        s_obs(d, q, EVIDENCE_NONE, 20, 1, (uint64_t)i + 1, T0 + 100 + i * 0.001);
    }
    assert_true(domain_count(d) <= s.max_domains + 16);
    assert_int_equal(domain_memory(d), bound);
    assert_int_equal(s_obs(d, "poll.tun-y.net", EVIDENCE_NONE, 10, 1, 1, T0 + 300),
                     DOMAIN_CUT); /* the cut survived the flood */
    domain_destroy(&d);
}

static size_t s_count;
static void s_count_fn(void *arg, const domain_evidence_t *e)
{
    (void)arg;
    (void)e;
    s_count++;
}

static void test_export_and_merge(void **state)
{
    (void)state;
    domain_settings_t s;
    domain_settings_default(&s);
    domain_t *d = s_new(&s, NULL);
    /* half the evidence here... */
    assert_int_equal(s_names_to_cut(d, "split-x.net", EVIDENCE_STRONG, 300, 1, 6), 0);
    s_obs(d, "www.plain-x.net", EVIDENCE_NONE, 20, 1, 1, T0);
    s_count = 0;
    assert_int_equal(domain_export(d, T0 + 10, 100, s_count_fn, NULL), 1);
    assert_int_equal(s_count, 1);
    /* ...and the sum over every oracle crosses the line */
    domain_evidence_t sum;
    memset(&sum, 0, sizeof sum);
    strcpy(sum.domain, "split-x.net");
    sum.names = sum.flagged = sum.strong = 12;
    sum.clients = 2;
    assert_true(domain_merge(d, &sum, T0 + 20));
    assert_false(domain_merge(d, &sum, T0 + 21)); /* already cut */
    domain_evidence_t e;
    assert_true(domain_take_cut(d, &e));
    assert_string_equal(e.domain, "split-x.net");
    assert_int_equal(s_obs(d, "x.split-x.net", EVIDENCE_NONE, 10, 1, 1, T0 + 22), DOMAIN_CUT);
    domain_destroy(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_names_never_cut),
        cmocka_unit_test(test_strong_names_cut_a_fresh_domain),
        cmocka_unit_test(test_weak_names_weigh_by_their_bits),
        cmocka_unit_test(test_many_clients_and_established_need_more),
        cmocka_unit_test(test_repeats_and_time),
        cmocka_unit_test(test_evidence_share_and_bits_budget),
        cmocka_unit_test(test_special_use_names_skipped),
        cmocka_unit_test(test_memory_is_bounded),
        cmocka_unit_test(test_export_and_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
