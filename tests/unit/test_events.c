/* tests/unit/test_events.c - refusals as events, without a database: what
 * of a client's address is kept (privacy.c), the aggregation of repeats into
 * one row per minute, client, domain and reason (events.c), its two bounds
 * (rows waiting, new rows a minute) with the overflow counted, and rows that
 * wait while the database is away. */
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
#include "events.h"
#include "log.h"
#include "privacy.h"
#include "stats.h"
#include "store.h"

static const char *s_cut(const char *addr, events_client_t mode)
{
    static char out[64];
    return privacy_client(addr, mode, out, sizeof out);
}

static void test_privacy(void **state)
{
    (void)state;
    assert_string_equal(s_cut("192.0.2.77", EVENTS_CLIENT_FULL), "192.0.2.77");
    assert_string_equal(s_cut("192.0.2.77", EVENTS_CLIENT_TRUNCATED), "192.0.2.0");
    assert_string_equal(s_cut("192.0.2.77", EVENTS_CLIENT_NONE), "-");
    assert_string_equal(s_cut("2001:db8:aa:bbcc:1:2:3:4", EVENTS_CLIENT_TRUNCATED),
                        "2001:db8:aa:bb00::"); /* the first 56 bits */
    assert_string_equal(s_cut("fe80::1%eth0", EVENTS_CLIENT_TRUNCATED), "fe80::");
    assert_string_equal(s_cut("fe80::1%eth0", EVENTS_CLIENT_FULL), "fe80::1%eth0");
    /* nothing to truncate: unknown, never the text as it is */
    assert_string_equal(s_cut("not-an-address", EVENTS_CLIENT_TRUNCATED), "-");
    assert_string_equal(s_cut("", EVENTS_CLIENT_FULL), "-");
    assert_string_equal(s_cut("-", EVENTS_CLIENT_FULL), "-");
    assert_string_equal(s_cut(NULL, EVENTS_CLIENT_FULL), "-");
}

typedef struct {
    config_t cfg;
    stats_t *stats;
    events_t *events;
} fixture_t;

static fixture_t *s_new(events_client_t mode, unsigned queue, unsigned per_minute)
{
    fixture_t *f = calloc(1, sizeof *f);
    assert_non_null(f);
    config_defaults(&f->cfg);
    f->cfg.events.client = mode;
    f->cfg.events.queue_size = queue;
    f->cfg.events.rows_per_minute = per_minute;
    /* a database that is not there: nothing can be written */
    snprintf(f->cfg.database.socket, sizeof f->cfg.database.socket, "/nonexistent/db.sock");
    f->stats = stats_new(1);
    f->events = events_new(&f->cfg, stats_slot(f->stats, 0));
    assert_non_null(f->events);
    return f;
}

static void s_free(fixture_t *f)
{
    events_destroy(&f->events);
    assert_null(f->events);
    events_destroy(&f->events);
    stats_destroy(&f->stats);
    free(f);
}

static unsigned long long s_stat(fixture_t *f, const char *key)
{
    char text[8192], pat[64];
    stats_format(f->stats, 1, "", text, sizeof text);
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *p = strstr(text, pat);
    assert_non_null(p);
    return strtoull(p + strlen(pat), NULL, 10);
}

static bool s_push(fixture_t *f, time_t t, const char *client, const char *domain,
                   const char *reason)
{
    char qname[300];
    snprintf(qname, sizeof qname, "x%ld.%s", (long)t, domain);
    event_t e = {.time = t,
                 .client = client,
                 .qname = qname,
                 .qname_len = strlen(qname),
                 .domain = domain,
                 .domain_len = strlen(domain),
                 .qtype = 16,
                 .reason = reason,
                 .action = EVENT_REFUSED};
    return events_push(f->events, &e);
}

static void test_aggregation(void **state)
{
    (void)state;
    fixture_t *f = s_new(EVENTS_CLIENT_FULL, 100, 100);
    time_t minute = 1700000040; /* a minute's start */
    for (int i = 0; i < 500; i++)
        assert_true(s_push(f, minute + i % 60, "192.0.2.7", "tun.example", "charset:non-ldh"));
    assert_int_equal(events_backlog(f->events), 1);
    assert_int_equal(s_stat(f, "events"), 500);
    s_push(f, minute, "192.0.2.7", "tun.example", "droplist");       /* another reason */
    s_push(f, minute, "192.0.2.8", "tun.example", "droplist");       /* another client */
    s_push(f, minute, "192.0.2.8", "tun2.example", "droplist");      /* another domain */
    s_push(f, minute + 60, "192.0.2.8", "tun2.example", "droplist"); /* the next minute */
    assert_int_equal(events_backlog(f->events), 5);
    assert_int_equal(s_stat(f, "events_overflow"), 0);
    s_free(f);

    /* truncated: the hosts of one /24 are one client */
    f = s_new(EVENTS_CLIENT_TRUNCATED, 100, 100);
    s_push(f, minute, "192.0.2.7", "tun.example", "bigram");
    s_push(f, minute, "192.0.2.200", "tun.example", "bigram");
    s_push(f, minute, "192.0.3.1", "tun.example", "bigram");
    assert_int_equal(events_backlog(f->events), 2);
    s_free(f);
}

static void test_bounds(void **state)
{
    (void)state;
    /* at most queue_size rows wait; repeats of a waiting row still count */
    fixture_t *f = s_new(EVENTS_CLIENT_FULL, 16, 1000);
    char domain[32];
    for (int i = 0; i < 20; i++) {
        snprintf(domain, sizeof domain, "d%d.example", i);
        assert_true(s_push(f, 1700000040, "192.0.2.7", domain, "bigram") == (i < 16));
    }
    assert_true(s_push(f, 1700000041, "192.0.2.7", "d3.example", "bigram"));
    assert_int_equal(events_backlog(f->events), 16);
    assert_int_equal(s_stat(f, "events_overflow"), 4);
    assert_int_equal(s_stat(f, "events"), 17);
    /* the database is away: the rows wait, nothing is lost or counted */
    store_t *store = store_new(&f->cfg, "test");
    assert_non_null(store);
    assert_true(events_write(f->events, &store_ops, store) != 0);
    assert_int_equal(events_backlog(f->events), 16);
    assert_int_equal(s_stat(f, "events_stored"), 0);
    store_destroy(&store);
    s_free(f);

    /* at most rows_per_minute new rows a minute */
    f = s_new(EVENTS_CLIENT_FULL, 100, 5);
    for (int i = 0; i < 8; i++) {
        snprintf(domain, sizeof domain, "d%d.example", i);
        s_push(f, 1700000040 + i, "192.0.2.7", domain, "bigram");
    }
    assert_int_equal(events_backlog(f->events), 5);
    assert_int_equal(s_stat(f, "events_overflow"), 3);
    assert_true(s_push(f, 1700000100, "192.0.2.7", "d7.example", "bigram")); /* next minute */
    assert_int_equal(events_backlog(f->events), 6);
    s_free(f);
}

int main(void)
{
    log_init("test_events", LEVEL_ERROR, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_privacy),
        cmocka_unit_test(test_aggregation),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
