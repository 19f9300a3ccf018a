/* tests/unit/test_metrics.c - the Prometheus text: [metrics] listen values,
 * every \0stats counter under its Prometheus name with the same value, the
 * verdicts by reason, and the latency histogram's buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "metrics.h"
#include "stats.h"

static int s_check(const char *listen, bool *loopback)
{
    config_t cfg;
    char err[256];
    config_defaults(&cfg);
    snprintf(cfg.metrics.listen, sizeof cfg.metrics.listen, "%s", listen);
    return metrics_check(&cfg, loopback, err, sizeof err);
}

static void test_listen_values(void **state)
{
    (void)state;
    bool lo = false;
    assert_int_equal(s_check("127.0.0.1:9154", &lo), 0);
    assert_true(lo);
    assert_int_equal(s_check("[::1]:9154", &lo), 0);
    assert_true(lo);
    assert_int_equal(s_check("192.0.2.1:9154", &lo), 0);
    assert_false(lo); /* allowed, with a warning at the start */
    assert_int_equal(s_check("[2001:db8::1]:80", &lo), 0);
    assert_false(lo);
    assert_int_equal(s_check("", &lo), 0); /* none */
    const char *bad[] = {"localhost:9154",  "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
                         "127.0.0.1:65536", "::1:9154",  "[::1]9154",  "[::1:9154",
                         ":9154",           "[]:9154",   "1.2.3.4:9x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_not_equal(s_check(bad[i], NULL), 0);
}

/* The value of the sample line that starts with `name ` in text, or -1. */
static long long s_sample(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        if (!strncmp(p, name, n) && p[n] == ' ')
            return strtoll(p + n + 1, NULL, 10);
    return -1;
}

static void test_same_counters_as_stats(void **state)
{
    (void)state;
    stats_t *stats = stats_new(2);
    assert_non_null(stats);
    stats_slot_t *a = stats_slot(stats, 0), *b = stats_slot(stats, 1);
    stats_add(a, STAT_REQUESTS, 3);
    stats_add(b, STAT_DOMAIN_CUTS, 2);
    stats_add(a, STAT_CURVE_REFUSED_KEY, 5);
    stats_verdict(a, REASON_OK, true);
    stats_verdict(b, REASON_NON_LDH, false);
    stats_verdict(b, REASON_NON_LDH, false);
    stats_latency(a, 5000);       /* under 10 us */
    stats_latency(b, 30000);      /* 25 to 50 us */
    stats_latency(b, 2000000000); /* over 1 s: +Inf only */
    metrics_deps_t deps = {stats, NULL, NULL, NULL, 2};
    size_t len = 0;
    char *m = metrics_text(&deps, &len);
    assert_non_null(m);
    assert_int_equal(strlen(m), len);
    char text[8192];
    stats_format(stats, 2, "", text, sizeof text);
    /* every integer key of the stats text but the verdict totals */
    int compared = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char key[64], name[96];
        unsigned long long v;
        if (sscanf(line, "%63s %llu", key, &v) != 2 || strchr(line, '.') || !strcmp(key, "names") ||
            !strcmp(key, "true") || !strcmp(key, "false") || !strcmp(key, "threads") ||
            !strcmp(key, "uptime_seconds") || !strncmp(key, "latency", 7) ||
            !strncmp(key, "version", 7))
            continue;
        /* a gauge (a value now) has no _total */
        snprintf(name, sizeof name, "dnsoracle_%s%s", key,
                 strcmp(key, "tcp_connections") == 0 ? "" : "_total");
        assert_int_equal(s_sample(m, name), (long long)v);
        compared++;
    }
    assert_int_equal(compared, STAT_COUNT);
    assert_int_equal(s_sample(m, "dnsoracle_domains_cut_total"), 2);
    assert_int_equal(s_sample(m, "dnsoracle_verdicts_total{verdict=\"false\",reason=\""
                                 "charset:non-ldh\"}"),
                     2);
    assert_int_equal(s_sample(m, "dnsoracle_verdicts_total{verdict=\"true\",reason=\"ok\"}"), 1);
    assert_int_equal(
        s_sample(m, "dnsoracle_verdicts_total{verdict=\"true\",reason=\"charset:non-ldh\"}"), -1);
    assert_int_equal(s_sample(m, "dnsoracle_request_duration_seconds_bucket{le=\"1e-05\"}"), 1);
    assert_int_equal(s_sample(m, "dnsoracle_request_duration_seconds_bucket{le=\"2.5e-05\"}"), 1);
    assert_int_equal(s_sample(m, "dnsoracle_request_duration_seconds_bucket{le=\"5e-05\"}"), 2);
    assert_int_equal(s_sample(m, "dnsoracle_request_duration_seconds_bucket{le=\"1\"}"), 2);
    assert_int_equal(s_sample(m, "dnsoracle_request_duration_seconds_bucket{le=\"+Inf\"}"), 3);
    assert_int_equal(s_sample(m, "dnsoracle_request_duration_seconds_count"), 3);
    assert_int_equal(s_sample(m, "dnsoracle_database_up"), 0);
    assert_int_equal(s_sample(m, "dnsoracle_database_state{state=\"disabled\"}"), 1);
    assert_int_equal(s_sample(m, "dnsoracle_list_entries{kind=\"drop\"}"), 0);
    assert_non_null(strstr(m, "# TYPE dnsoracle_request_duration_seconds histogram\n"));
    assert_non_null(strstr(m, "# TYPE dnsoracle_verdicts_total counter\n"));
    assert_non_null(strstr(m, "dnsoracle_build_info{version=\"" DNSORACLE_VERSION "\"} 1\n"));
    free(m);
    stats_destroy(&stats);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_listen_values),
        cmocka_unit_test(test_same_counters_as_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
