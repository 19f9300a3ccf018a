/* tests/unit/test_protocol.c - the wire protocol without sockets: requests
 * fed frame by frame, the reply frames docs/protocol.md promises, and what
 * is counted. One engine with the built-in model, lists with a drop and a
 * block entry, and a worker whose max_batch is 4. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "listbox.h"
#include "log.h"
#include "protocol.h"
#include "stats.h"

#define BATCH 4
/* strong evidence: dns2tcp-style base64 with '+' and '/' */
#define TUNNEL "aGVsbG8+d29y/bGQ.tunnel.example.net"

typedef struct {
    engine_t *engine;
    stats_t *stats;
    listbox_t *lists;
    protocol_t *proto;
    unsigned kept;   /* names handed to keep() */
    unsigned events; /* refusals handed to event() */
    char client[64], domain[256], reason[64], resolver[64];
    unsigned qtype;
    event_action_t action;
} fixture_t;

static void s_keep(void *arg, const name_t *name, size_t registrable)
{
    fixture_t *f = arg;
    assert_true(registrable < name->nlabels);
    f->kept++;
}

/* Keeps the last refusal's fields. */
static bool s_event(void *arg, const event_t *e)
{
    fixture_t *f = arg;
    f->events++;
    snprintf(f->client, sizeof f->client, "%s", e->client ? e->client : "");
    snprintf(f->domain, sizeof f->domain, "%.*s", (int)e->domain_len, e->domain ? e->domain : "");
    snprintf(f->reason, sizeof f->reason, "%s", e->reason);
    snprintf(f->resolver, sizeof f->resolver, "%s", e->resolver ? e->resolver : "");
    f->qtype = e->qtype;
    f->action = e->action;
    return true;
}

static size_t s_stats_text(void *arg, char *buf, size_t cap)
{
    fixture_t *f = arg;
    return stats_format(f->stats, 1, "database disabled\n", buf, cap);
}

static void s_free(fixture_t *f)
{
    protocol_destroy(&f->proto);
    assert_null(f->proto);
    protocol_destroy(&f->proto);
    listbox_destroy(&f->lists);
    stats_destroy(&f->stats);
    engine_destroy(&f->engine);
    free(f);
}

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    lists_t *l = lists_new();
    engine_settings_t s;
    char err[256] = "";
    log_init("test_protocol", LEVEL_ERROR, 0);
    engine_settings_default(&s);
    if (!f || !l)
        goto fail;
    if (!(f->engine = engine_new(&s, err, sizeof err))) {
        print_error("engine_new: %s\n", err);
        goto fail;
    }
    f->stats = stats_new(1);
    f->lists = listbox_new(1, LISTBOX_KEEP_SECONDS);
    if (!f->stats || !f->lists || lists_add(l, LIST_DROP, "busy.test") != 0 ||
        lists_add(l, LIST_BLOCK, "blocked.test") != 0)
        goto fail;
    listbox_put(f->lists, l);
    l = NULL;
    protocol_deps_t deps = {
        f->lists, stats_slot(f->stats, 0), s_keep, s_stats_text, f, NULL, NULL, 0, s_event};
    f->proto = protocol_new(f->engine, BATCH, &deps);
    if (!f->proto)
        goto fail;
    *state = f;
    return 0;
fail:
    lists_destroy(&l);
    if (f)
        s_free(f);
    return -1;
}

static int s_teardown(void **state)
{
    s_free(*state);
    return 0;
}

/* One request of n frames (NUL-terminated strings, except that a frame
 * starting with NUL is written "\0word" and given its length in lens when
 * lens is not NULL); returns the number of reply frames. */
static size_t s_request(fixture_t *f, const char *const *frames, const size_t *lens, size_t n)
{
    protocol_begin(f->proto);
    for (size_t i = 0; i < n; i++)
        protocol_frame(f->proto, frames[i], lens ? lens[i] : strlen(frames[i]));
    return protocol_end(f->proto);
}

/* Reply frame i, as a string (frames hold no NUL). */
static const char *s_reply(fixture_t *f, size_t i)
{
    static char buf[9000];
    size_t len;
    const char *r = protocol_reply(f->proto, i, &len);
    assert_true(len < sizeof buf);
    memcpy(buf, r, len);
    buf[len] = 0;
    return buf;
}

/* A counter from the stats text ("key value" lines). */
static unsigned long long s_stat(fixture_t *f, const char *key)
{
    char text[8192], pat[64];
    stats_format(f->stats, 1, "", text, sizeof text);
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *at = strstr(text, pat);
    return at ? strtoull(at + strlen(pat), NULL, 10) : 0;
}

static void test_batch_answered_in_order(void **state)
{
    fixture_t *f = *state;
    const char *names[] = {"www.example.com", TUNNEL, "mail.google.com."};
    unsigned long long judged = s_stat(f, "names"), kept = f->kept;
    assert_int_equal(s_request(f, names, NULL, 3), 3);
    assert_string_equal(s_reply(f, 0), "true");
    assert_string_equal(s_reply(f, 1), "false");
    assert_string_equal(s_reply(f, 2), "true");
    assert_int_equal(s_stat(f, "names"), judged + 3);
    assert_int_equal(f->kept, kept + 2); /* the good names go to the writer */

    const char *one[] = {TUNNEL};
    assert_int_equal(s_request(f, one, NULL, 1), 1);
    assert_string_equal(s_reply(f, 0), "false");
}

static void test_lists_apply_to_verdicts(void **state)
{
    fixture_t *f = *state;
    const char *names[] = {"www.busy.test", "busy.test", "x.blocked.test", "www.example.com"};
    unsigned long long drop = s_stat(f, "reason.droplist"), kept = f->kept;
    assert_int_equal(s_request(f, names, NULL, 4), 4);
    assert_string_equal(s_reply(f, 0), "false");
    assert_string_equal(s_reply(f, 1), "false");
    assert_string_equal(s_reply(f, 2), "false");
    assert_string_equal(s_reply(f, 3), "true");
    assert_int_equal(s_stat(f, "reason.droplist"), drop + 2);
    assert_int_equal(f->kept, kept + 1);
}

static void test_overflow_answered_false_and_counted(void **state)
{
    fixture_t *f = *state;
    const char *names[] = {"www.example.com", "a.example.com", "b.example.com",
                           "c.example.com",   "d.example.com", "e.example.com"};
    unsigned long long overflow = s_stat(f, "overflow_frames"), judged = s_stat(f, "names");
    assert_int_equal(s_request(f, names, NULL, 6), 6);
    for (size_t i = 0; i < BATCH; i++)
        assert_string_equal(s_reply(f, i), "true");
    assert_string_equal(s_reply(f, 4), "false");
    assert_string_equal(s_reply(f, 5), "false");
    assert_int_equal(s_stat(f, "overflow_frames"), overflow + 2);
    assert_int_equal(s_stat(f, "names"), judged + BATCH); /* the rest unjudged */
}

static void test_huge_batch_gets_every_reply(void **state)
{
    fixture_t *f = *state;
    enum { N = 100000 };
    unsigned long long overflow = s_stat(f, "overflow_frames");
    protocol_begin(f->proto);
    for (size_t i = 0; i < N; i++)
        protocol_frame(f->proto, "www.example.com", 15);
    assert_int_equal(protocol_end(f->proto), N);
    assert_string_equal(s_reply(f, 0), "true");
    assert_string_equal(s_reply(f, BATCH - 1), "true");
    assert_string_equal(s_reply(f, BATCH), "false");
    assert_string_equal(s_reply(f, N - 1), "false");
    assert_int_equal(s_stat(f, "overflow_frames"), overflow + N - BATCH);
}

static void test_empty_and_oversize_frames(void **state)
{
    fixture_t *f = *state;
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    const char *frames[] = {"", "www.example.com", big};
    unsigned long long empty = s_stat(f, "empty_frames"), oversize = s_stat(f, "oversize_frames"),
                       invalid = s_stat(f, "reason.invalid");
    /* An empty first frame is a name, not a command. */
    assert_int_equal(s_request(f, frames, NULL, 3), 3);
    assert_string_equal(s_reply(f, 0), "false");
    assert_string_equal(s_reply(f, 1), "true");
    assert_string_equal(s_reply(f, 2), "false");
    assert_int_equal(s_stat(f, "empty_frames"), empty + 1);
    assert_int_equal(s_stat(f, "oversize_frames"), oversize + 1);
    assert_int_equal(s_stat(f, "reason.invalid"), invalid + 2);
}

static void test_ping(void **state)
{
    fixture_t *f = *state;
    const char *ping[] = {"\0ping", "ignored", ""};
    const size_t lens[] = {5, 7, 0};
    unsigned long long commands = s_stat(f, "commands"), judged = s_stat(f, "names");
    assert_int_equal(s_request(f, ping, lens, 1), 1);
    assert_string_equal(s_reply(f, 0), "pong");
    /* frames after a command word that takes none are ignored */
    assert_int_equal(s_request(f, ping, lens, 3), 1);
    assert_string_equal(s_reply(f, 0), "pong");
    assert_int_equal(s_stat(f, "commands"), commands + 2);
    assert_int_equal(s_stat(f, "names"), judged);
}

static void test_unknown_command(void **state)
{
    fixture_t *f = *state;
    const char *cmds[] = {"\0", "\0pingx", "\0PING", "\0explain!"};
    const size_t lens[] = {1, 6, 5, 9};
    unsigned long long bad = s_stat(f, "bad_commands");
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(s_request(f, &cmds[i], &lens[i], 1), 1);
        assert_string_equal(s_reply(f, 0), "error unknown command");
    }
    assert_int_equal(s_stat(f, "bad_commands"), bad + 4);
}

static void test_explain(void **state)
{
    fixture_t *f = *state;
    const char *frames[] = {"\0explain", "www.example.com", TUNNEL, "", "www.busy.test"};
    const size_t lens[] = {8, 15, strlen(TUNNEL), 0, 13};
    unsigned long long judged = s_stat(f, "names"), kept = f->kept;
    assert_int_equal(s_request(f, frames, lens, 5), 4);
    const char *expect[] = {"true\tok\t", "false\tcharset:non-ldh\t", "false\tinvalid\t",
                            "false\tdroplist\t"};
    for (size_t i = 0; i < 4; i++) {
        const char *r = s_reply(f, i);
        assert_memory_equal(r, expect[i], strlen(expect[i]));
        assert_non_null(strstr(r, "bigram="));
    }
    /* explain is a question about names: no verdict counted, nothing kept */
    assert_int_equal(s_stat(f, "names"), judged);
    assert_int_equal(f->kept, kept);
}

static void test_explain_overflow(void **state)
{
    fixture_t *f = *state;
    const char *frames[] = {"\0explain",     "a.example.com", "b.example.com",
                            "c.example.com", "d.example.com", "e.example.com"};
    const size_t lens[] = {8, 13, 13, 13, 13, 13};
    unsigned long long overflow = s_stat(f, "overflow_frames");
    assert_int_equal(s_request(f, frames, lens, 6), 5);
    assert_memory_equal(s_reply(f, 3), "true\tok\t", 8);
    assert_string_equal(s_reply(f, 4), "false\toverflow\t");
    assert_int_equal(s_stat(f, "overflow_frames"), overflow + 1);
}

static void test_explain_needs_names(void **state)
{
    fixture_t *f = *state;
    const char *frames[] = {"\0explain"};
    const size_t lens[] = {8};
    unsigned long long bad = s_stat(f, "bad_commands");
    assert_int_equal(s_request(f, frames, lens, 1), 1);
    assert_string_equal(s_reply(f, 0), "error explain needs names");
    assert_int_equal(s_stat(f, "bad_commands"), bad);
}

/* \0report: fields and name pairs, one reply "ok N" (N names taken); a
 * name with evidence none or weak is stored, unless the lists refuse it. */
static void test_report(void **state)
{
    fixture_t *f = *state;
    const char *frames[] = {"\0report",          "1 127.0.0.1 none 21.5",
                            "www.example.com",   "16 ::1 weak 180",
                            "k3x9q.example.com", "- - none 12",
                            "www.busy.test", /* drop-listed */
                            "1 - strong 400",    TUNNEL,
                            "1 - maybe 3",       "bad.example.com",   /* unknown evidence */
                            "1 127.0.0.1",       "asked.example.org", /* judged here: ok */
                            "x y z w v",         "skipped.example.com"};
    size_t lens[15];
    for (size_t i = 0; i < 15; i++)
        lens[i] = i ? strlen(frames[i]) : 7;
    unsigned long long reported = s_stat(f, "names_reported"), bad = s_stat(f, "bad_reports");
    unsigned kept = f->kept;
    assert_int_equal(s_request(f, frames, lens, 15), 1);
    assert_string_equal(s_reply(f, 0), "ok 5");
    assert_int_equal(s_stat(f, "names_reported"), reported + 5);
    assert_int_equal(s_stat(f, "bad_reports"), bad + 4); /* 2 fields frames, 2 names */
    assert_int_equal(f->kept, kept + 3); /* www.example.com, k3x9q..., asked.example.org */

    const char *empty[] = {"\0report"};
    size_t one = 7;
    assert_int_equal(s_request(f, empty, &one, 1), 1);
    assert_string_equal(s_reply(f, 0), "ok 0");
}

/* Refusals reported with REASON ACTION RESOLVER become events with the
 * client; EVIDENCE and BITS "-" make an event only (the domain layer does
 * not count it); a false verdict asked here is an event without a client. */
static void test_report_events(void **state)
{
    fixture_t *f = *state;
    const char *frames[] = {"\0report",
                            "16 192.0.2.7 strong 400 charset:non-ldh refused r1.example",
                            TUNNEL,
                            "1 2001:db8::7 - - blocklist would-block -",
                            "www.blocked.test",
                            "1 192.0.2.7 - - blocklist dropped r1", /* no such action */
                            "www.blocked.test",
                            "1 192.0.2.7 - 3 ok refused r1", /* half an event-only form */
                            "www.blocked.test"};
    size_t lens[9];
    for (size_t i = 0; i < 9; i++)
        lens[i] = i ? strlen(frames[i]) : 7;
    unsigned long long reported = s_stat(f, "names_reported"), bad = s_stat(f, "bad_reports");
    unsigned events = f->events;
    assert_int_equal(s_request(f, frames, lens, 9), 1);
    assert_string_equal(s_reply(f, 0), "ok 2");
    assert_int_equal(s_stat(f, "names_reported"), reported + 1); /* the event-only one is not */
    assert_int_equal(s_stat(f, "bad_reports"), bad + 4);
    assert_int_equal(f->events, events + 2);
    assert_string_equal(f->client, "2001:db8::7");
    assert_string_equal(f->domain, "blocked.test");
    assert_string_equal(f->reason, "blocklist");
    assert_string_equal(f->resolver, "");
    assert_int_equal(f->qtype, 1);
    assert_int_equal(f->action, EVENT_WOULD_BLOCK);

    const char *verdicts[] = {TUNNEL, "www.example.com"};
    assert_int_equal(s_request(f, verdicts, NULL, 2), 2);
    assert_int_equal(f->events, events + 3); /* only the false one */
    assert_string_equal(f->client, "");
    assert_string_equal(f->domain, "example.net");
    assert_string_equal(f->reason, "charset:non-ldh");
    assert_int_equal(f->action, EVENT_REFUSED);
}

static void test_lists_and_stats(void **state)
{
    fixture_t *f = *state;
    const char *frames[] = {"\0snapshot", "0 0", "\0stats"};
    const size_t lens[] = {9, 3, 6};
    /* the snapshot from its start: a header (epoch, generation, next
     * cursor, more, bytes, CRC-32, where changes are published), then the
     * entries */
    assert_int_equal(s_request(f, &frames[0], &lens[0], 2), 2);
    char chunk[9000]; /* as big as s_reply's buffer: no truncation */
    snprintf(chunk, sizeof chunk, "%s", s_reply(f, 1));
    assert_non_null(strstr(chunk, "drop busy.test\n"));
    assert_non_null(strstr(chunk, "block blocked.test\n"));
    assert_int_equal(strlen(chunk), 34);
    unsigned long long epoch, gen, next;
    int more;
    size_t bytes;
    unsigned long crc;
    char ep[64], cep[64];
    assert_int_equal(sscanf(s_reply(f, 0), "snapshot %llu %llu %llu %d %zu %lu %63s %63s", &epoch,
                            &gen, &next, &more, &bytes, &crc, ep, cep),
                     8);
    assert_int_equal(more, 0);
    assert_int_equal(bytes, 34);
    assert_int_equal(crc, lists_crc32(0, chunk, 34));
    assert_string_equal(ep, "-");
    assert_string_equal(cep, "-");
    /* where the changes are published, without CURVE and with it */
    listbox_set_publisher(f->lists, NULL, NULL, "ipc:///tmp/pub", "tcp://192.0.2.1:5557");
    assert_int_equal(s_request(f, &frames[0], &lens[0], 2), 2);
    assert_int_equal(sscanf(s_reply(f, 0), "snapshot %*u %*u %*u %*d %*u %*u %63s %63s", ep, cep),
                     2);
    assert_string_equal(ep, "ipc:///tmp/pub");
    assert_string_equal(cep, "tcp://192.0.2.1:5557");
    listbox_set_publisher(f->lists, NULL, NULL, "", NULL);
    /* a version no longer held, and a malformed request */
    const char *gone[] = {"\0snapshot", "999 0"}, *bad[] = {"\0snapshot", "x"};
    const size_t glen[] = {9, 5}, blen[] = {9, 1};
    assert_int_equal(s_request(f, gone, glen, 2), 1);
    assert_string_equal(s_reply(f, 0), "gone");
    assert_int_equal(s_request(f, bad, blen, 2), 1);
    assert_memory_equal(s_reply(f, 0), "error", 5);
    assert_int_equal(s_request(f, &frames[2], &lens[2], 1), 1);
    const char *text = s_reply(f, 0);
    assert_memory_equal(text, "version ", 8);
    assert_non_null(strstr(text, "\noverflow_frames "));
    assert_non_null(strstr(text, "\ndatabase disabled\n"));
}

static void test_without_lists_or_callbacks(void **state)
{
    fixture_t *f = *state;
    protocol_deps_t deps = {NULL, stats_slot(f->stats, 0), NULL, NULL, NULL, NULL, NULL, 0, NULL};
    protocol_t *p = protocol_new(f->engine, 1, &deps);
    assert_non_null(p);
    size_t len;
    protocol_begin(p);
    protocol_frame(p, "\0snapshot", 9);
    protocol_frame(p, "0 0", 3);
    assert_int_equal(protocol_end(p), 2);
    protocol_reply(p, 1, &len);
    assert_int_equal(len, 0);
    protocol_begin(p);
    protocol_frame(p, "\0stats", 6);
    assert_int_equal(protocol_end(p), 1);
    protocol_reply(p, 0, &len);
    assert_int_equal(len, 0);
    /* no lists: the drop-listed name is judged by the engine alone */
    protocol_begin(p);
    protocol_frame(p, "www.busy.test", 13);
    protocol_frame(p, "www.example.com", 15);
    assert_int_equal(protocol_end(p), 2);
    assert_memory_equal(protocol_reply(p, 0, &len), "true", 4);
    assert_memory_equal(protocol_reply(p, 1, &len), "false", 5); /* max_batch 1 */
    /* a reload's max_batch counts from the next request */
    protocol_set_engine(p, f->engine, 2);
    protocol_begin(p);
    protocol_frame(p, "www.example.com", 15);
    protocol_frame(p, "www.example.com", 15);
    assert_int_equal(protocol_end(p), 2);
    assert_memory_equal(protocol_reply(p, 1, &len), "true", 4);
    protocol_begin(p);
    assert_int_equal(protocol_end(p), 0);
    protocol_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_answered_in_order),
        cmocka_unit_test(test_lists_apply_to_verdicts),
        cmocka_unit_test(test_overflow_answered_false_and_counted),
        cmocka_unit_test(test_huge_batch_gets_every_reply),
        cmocka_unit_test(test_empty_and_oversize_frames),
        cmocka_unit_test(test_ping),
        cmocka_unit_test(test_unknown_command),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_explain_overflow),
        cmocka_unit_test(test_explain_needs_names),
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_report_events),
        cmocka_unit_test(test_lists_and_stats),
        cmocka_unit_test(test_without_lists_or_callbacks),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
