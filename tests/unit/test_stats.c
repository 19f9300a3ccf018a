/* tests/unit/test_stats.c - the daemon's counters (oracle/common/stats.c): slots
 * added up, verdicts by reason, gauges, the latency histogram at its
 * bounds, and the stats text of docs/protocol.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"

/* The value of "key" in a stats text, or -1 when absent. */
static long long s_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return strtoll(line + klen + 1, NULL, 10);
    }
    return -1;
}

static void test_slots_add_up(void **state)
{
    (void)state;
    stats_t *s = stats_new(3);
    assert_non_null(s);
    stats_add(stats_slot(s, 0), STAT_REQUESTS, 2);
    stats_add(stats_slot(s, 2), STAT_REQUESTS, 3);
    stats_add(stats_slot(s, 1), STAT_OVERFLOW_FRAMES, 7);
    stats_verdict(stats_slot(s, 0), REASON_OK, true);
    stats_verdict(stats_slot(s, 1), REASON_OK, true);
    stats_verdict(stats_slot(s, 1), REASON_DROPLIST, false);
    /* a gauge is set, not added: the last value stands */
    stats_set(stats_slot(s, 2), STAT_CONNECTIONS_OPEN, 5);
    stats_set(stats_slot(s, 2), STAT_CONNECTIONS_OPEN, 2);
    char buf[8192];
    size_t len = stats_format(s, 2, "extra_key 42\n", buf, sizeof buf);
    assert_int_equal(len, strlen(buf));
    assert_int_equal(s_value(buf, "requests"), 5);
    assert_int_equal(s_value(buf, "names"), 3);
    assert_int_equal(s_value(buf, "true"), 2);
    assert_int_equal(s_value(buf, "false"), 1);
    assert_int_equal(s_value(buf, "reason.droplist"), 1);
    assert_int_equal(s_value(buf, "overflow_frames"), 7);
    assert_int_equal(s_value(buf, "tcp_connections"), 2);
    assert_int_equal(s_value(buf, "connections_refused"), 0);
    assert_int_equal(s_value(buf, "threads"), 2);
    assert_int_equal(s_value(buf, "extra_key"), 42);
    assert_int_equal(strncmp(buf, "version ", 8), 0);
    stats_destroy(&s);
    assert_null(s);
}

typedef struct {
    int counters, gauges;
    uint64_t requests;
    bool requests_first;
} s_seen_t;

static void s_each(void *arg, const stats_counter_t *c)
{
    s_seen_t *seen = arg;
    if (seen->counters + seen->gauges == 0)
        seen->requests_first = c->key && strcmp(c->key, "requests") == 0;
    if (c->key && strcmp(c->key, "requests") == 0)
        seen->requests = c->value;
    if (c->gauge)
        seen->gauges++;
    else
        seen->counters++;
    assert_true(c->key || c->reason); /* a verdict names its reason */
    assert_non_null(c->key ? c->help : c->reason);
}

static void test_each(void **state)
{
    (void)state;
    stats_t *s = stats_new(1);
    stats_add(stats_slot(s, 0), STAT_REQUESTS, 4);
    stats_verdict(stats_slot(s, 0), REASON_OK, true);
    s_seen_t seen = {0};
    stats_each(s, s_each, &seen);
    assert_true(seen.requests_first);
    assert_int_equal(seen.requests, 4);
    assert_int_equal(seen.gauges, 1); /* tcp_connections */
    /* requests, one verdict, every other stat_t but the gauge */
    assert_int_equal(seen.counters, 1 + 1 + (STAT_COUNT - 1) - 1);
    stats_destroy(&s);
}

static void test_histogram(void **state)
{
    (void)state;
    stats_t *s = stats_new(2);
    stats_latency(stats_slot(s, 0), 10000);      /* exactly the first bound: counted in it */
    stats_latency(stats_slot(s, 1), 10001);      /* just over */
    stats_latency(stats_slot(s, 1), 2000000000); /* over every bound */
    uint64_t counts[STATS_LATENCY_BOUNDS + 1], sum;
    stats_histogram(s, counts, &sum);
    assert_int_equal(counts[0], 1);
    assert_int_equal(counts[1], 2);
    assert_int_equal(counts[STATS_LATENCY_BOUNDS - 1], 2);
    assert_int_equal(counts[STATS_LATENCY_BOUNDS], 3);
    assert_int_equal(sum, 10000 + 10001 + 2000000000ull);
    for (int b = 1; b < STATS_LATENCY_BOUNDS; b++)
        assert_true(stats_latency_bound_ns[b] > stats_latency_bound_ns[b - 1]);
    stats_destroy(&s);
}

/* The window: what the last ticks saw, as requests per second. */
static void test_status_line(void **state)
{
    (void)state;
    stats_t *s = stats_new(1);
    stats_verdict(stats_slot(s, 0), REASON_OK, true);
    stats_verdict(stats_slot(s, 0), REASON_DROPLIST, false);
    stats_tick(s);
    char line[256];
    size_t n = stats_status(s, line, sizeof line);
    assert_int_equal(n, strlen(line));
    assert_int_equal(strncmp(line, "2 names, 1 false, ", 18), 0);
    char small[16];
    stats_format(s, 1, "", small, sizeof small); /* truncated, still a string */
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_true(stats_uptime(s) >= 0);
    stats_destroy(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_add_up),
        cmocka_unit_test(test_each),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_status_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
