/* tests/unit/test_zmtp.c - the ZMTP 3 server side: handshake, requests,
 * limits, and what a connection may make it hold. (Real libzmq clients talk
 * to it in the integration tests: every one of them goes through it.) */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "zmtp.h"

/* What the sink saw. */
typedef struct {
    uint8_t sent[4096];
    size_t nsent;
    int requests, malformed;
    unsigned nframes, overflow, nenvelope;
    char frames[8][300];
    size_t sizes[8];
    char envelope[ZMTP_MAX_ENVELOPE][256];
} s_seen_t;

static int s_send(void *arg, const void *data, size_t len)
{
    s_seen_t *s = arg;
    if (s->nsent + len > sizeof s->sent)
        return -1;
    memcpy(s->sent + s->nsent, data, len);
    s->nsent += len;
    return 0;
}

static void s_request(void *arg, const zmtp_request_t *r)
{
    s_seen_t *s = arg;
    s->requests++;
    s->malformed += r->malformed;
    s->nframes = r->nframes;
    s->overflow = r->overflow;
    s->nenvelope = r->nenvelope;
    for (unsigned i = 0; i < r->nframes && i < 8; i++) {
        memcpy(s->frames[i], r->frames[i].data, r->frames[i].len);
        s->frames[i][r->frames[i].len] = 0;
        s->sizes[i] = r->frames[i].size;
    }
    for (unsigned i = 0; i < r->nenvelope; i++) {
        memcpy(s->envelope[i], r->envelope[i].data, r->envelope[i].len);
        s->envelope[i][r->envelope[i].len] = 0;
    }
}

/* A byte string being built: what a client would send. */
typedef struct {
    uint8_t b[1 << 20];
    size_t n;
} s_wire_t;

static void s_put(s_wire_t *w, const void *p, size_t n)
{
    memcpy(w->b + w->n, p, n);
    w->n += n;
}

static void s_greeting(s_wire_t *w, const char *mech, uint8_t major)
{
    uint8_t g[64] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, major, 1};
    memcpy(g + 12, mech, strlen(mech));
    s_put(w, g, sizeof g);
}

static void s_ready(s_wire_t *w, const char *type)
{
    uint8_t body[64];
    size_t n = 0, tl = strlen(type);
    memcpy(body, "\x05READY\x0bSocket-Type\0\0\0", 21);
    n = 21;
    body[n++] = (uint8_t)tl;
    memcpy(body + n, type, tl);
    n += tl;
    uint8_t head[2] = {0x04, (uint8_t)n};
    s_put(w, head, 2);
    s_put(w, body, n);
}

static void s_frame(s_wire_t *w, const void *p, size_t n, int more)
{
    uint8_t h[ZMTP_MAX_HEADER];
    s_put(w, h, zmtp_header(h, n, more));
    s_put(w, p, n);
}

static void s_hello(s_wire_t *w, const char *type)
{
    w->n = 0;
    s_greeting(w, "NULL", 3);
    s_ready(w, type);
}

static const zmtp_limits_t s_limits = {4096, 256, 3, 100};

static int s_feed_all(zmtp_t *z, s_wire_t *w, s_seen_t *seen, const char **why)
{
    zmtp_sink_t sink = {seen, s_send, s_request};
    return zmtp_feed(z, w->b, w->n, &sink, why);
}

static void test_handshake_and_request(void **state)
{
    (void)state;
    static s_wire_t w;
    s_seen_t seen = {0};
    const char *why = NULL;
    zmtp_t *z = zmtp_new(&s_limits);
    assert_non_null(z);
    assert_int_equal(zmtp_greeting()[0], 0xff);
    assert_memory_equal(zmtp_greeting() + 12, "NULL", 4);
    s_hello(&w, "REQ");
    s_frame(&w, "", 0, 1);
    s_frame(&w, "www.example.com", 15, 1);
    s_frame(&w, "mail.example.org", 16, 0);
    assert_int_equal(s_feed_all(z, &w, &seen, &why), 0);
    /* our READY says ROUTER */
    assert_true(seen.nsent > 0 && seen.sent[0] == 0x04);
    assert_non_null(memmem(seen.sent, seen.nsent, "ROUTER", 6));
    assert_int_equal(seen.requests, 1);
    assert_int_equal(seen.malformed, 0);
    assert_int_equal(seen.nframes, 2);
    assert_string_equal(seen.frames[0], "www.example.com");
    assert_string_equal(seen.frames[1], "mail.example.org");
    zmtp_destroy(&z);
    assert_null(z);
}

static void test_byte_by_byte(void **state)
{
    (void)state;
    static s_wire_t w;
    s_seen_t seen = {0};
    const char *why = NULL;
    zmtp_sink_t sink = {&seen, s_send, s_request};
    zmtp_t *z = zmtp_new(&s_limits);
    s_hello(&w, "DEALER");
    s_frame(&w, "\x00\x00\x00\x07", 4, 1); /* a REQ_CORRELATE request id */
    s_frame(&w, "", 0, 1);
    s_frame(&w, "a.example.com", 13, 0);
    for (size_t i = 0; i < w.n; i++)
        assert_int_equal(zmtp_feed(z, w.b + i, 1, &sink, &why), 0);
    assert_int_equal(seen.requests, 1);
    assert_int_equal(seen.nenvelope, 1);
    assert_int_equal(seen.nframes, 1);
    assert_string_equal(seen.frames[0], "a.example.com");
    zmtp_destroy(&z);
}

static void test_limits(void **state)
{
    (void)state;
    static s_wire_t w;
    s_seen_t seen = {0};
    const char *why = NULL;
    zmtp_t *z = zmtp_new(&s_limits);
    /* 5 frames, 3 kept; a 300-byte frame kept as 256 bytes */
    static char big[300];
    memset(big, 'a', sizeof big);
    s_hello(&w, "REQ");
    s_frame(&w, "", 0, 1);
    s_frame(&w, big, sizeof big, 1);
    for (int i = 0; i < 3; i++)
        s_frame(&w, "x.example", 9, 1);
    s_frame(&w, "y.example", 9, 0);
    assert_int_equal(s_feed_all(z, &w, &seen, &why), 0);
    assert_int_equal(seen.nframes, 3);
    assert_int_equal(seen.overflow, 2);
    assert_int_equal(strlen(seen.frames[0]), 256);
    assert_int_equal(seen.sizes[0], 300);
    zmtp_destroy(&z);

    /* over max_frames (100): the connection ends */
    z = zmtp_new(&s_limits);
    s_hello(&w, "REQ");
    s_frame(&w, "", 0, 1);
    for (int i = 0; i < 101; i++)
        s_frame(&w, "", 0, 1);
    assert_int_equal(s_feed_all(z, &w, &seen, &why), -1);
    assert_string_equal(why, "a request of too many frames");
    zmtp_destroy(&z);

    /* a frame over max_frame */
    z = zmtp_new(&s_limits);
    s_hello(&w, "REQ");
    s_frame(&w, "", 0, 1);
    uint8_t h[ZMTP_MAX_HEADER];
    s_put(&w, h, zmtp_header(h, 5000, false));
    assert_int_equal(s_feed_all(z, &w, &seen, &why), -1);
    assert_string_equal(why, "a frame over the size limit");
    zmtp_destroy(&z);
}

static void test_memory_bound(void **state)
{
    (void)state;
    static s_wire_t w;
    s_seen_t seen = {0};
    const char *why = NULL;
    zmtp_limits_t lim = {4096, 256, 1024, 1000000};
    zmtp_t *z = zmtp_new(&lim);
    static char name[255];
    memset(name, 'b', sizeof name);
    s_hello(&w, "DEALER");
    s_frame(&w, "", 0, 1);
    assert_int_equal(s_feed_all(z, &w, &seen, &why), 0);
    /* an endless request of 255-byte frames, fed in pieces: what is held
     * stops growing once max_batch frames are kept */
    size_t bound = 0;
    for (int round = 0; round < 20; round++) {
        w.n = 0;
        for (int i = 0; i < 1000; i++)
            s_frame(&w, name, sizeof name, 1);
        assert_int_equal(s_feed_all(z, &w, &seen, &why), 0);
        if (round == 2)
            bound = zmtp_held(z);
    }
    assert_int_equal(zmtp_held(z), bound);
    assert_true(bound < 1024 * 256 * 2 + 1024 * sizeof(zmtp_frame_t) + 8192);
    assert_int_equal(seen.requests, 0);
    zmtp_destroy(&z);
}

static void test_refusals(void **state)
{
    (void)state;
    static s_wire_t w;
    s_seen_t seen = {0};
    const char *why = NULL;
    struct {
        const char *mech, *type;
        uint8_t major;
        const char *why;
    } cases[] = {
        {"CURVE", "REQ", 3, "a peer that asks for security (CURVE?): this endpoint is plaintext"},
        {"NULL", "REQ", 2, "a ZMTP 1 or 2 peer (libzmq before 4.0)"},
        {"NULL", "PUB", 3, "the peer is not a REQ or DEALER socket"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        zmtp_t *z = zmtp_new(&s_limits);
        w.n = 0;
        s_greeting(&w, cases[i].mech, cases[i].major);
        s_ready(&w, cases[i].type);
        assert_int_equal(s_feed_all(z, &w, &seen, &why), -1);
        assert_string_equal(why, cases[i].why);
        zmtp_destroy(&z);
    }
    /* not ZeroMQ at all: an HTTP request */
    zmtp_t *z = zmtp_new(&s_limits);
    w.n = 0;
    static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                               "................................................";
    s_put(&w, http, sizeof http);
    assert_int_equal(s_feed_all(z, &w, &seen, &why), -1);
    assert_string_equal(why, "not a ZeroMQ peer");
    zmtp_destroy(&z);
    /* a message before READY */
    z = zmtp_new(&s_limits);
    w.n = 0;
    s_greeting(&w, "NULL", 3);
    s_frame(&w, "x", 1, 0);
    assert_int_equal(s_feed_all(z, &w, &seen, &why), -1);
    assert_string_equal(why, "a message before READY");
    zmtp_destroy(&z);
}

static void test_malformed_and_ping(void **state)
{
    (void)state;
    static s_wire_t w;
    s_seen_t seen = {0};
    const char *why = NULL;
    zmtp_t *z = zmtp_new(&s_limits);
    s_hello(&w, "DEALER");
    s_frame(&w, "no-delimiter", 12, 0); /* malformed */
    s_frame(&w, "", 0, 0);              /* a delimiter and nothing after it */
    uint8_t ping[] = {0x04, 9, 4, 'P', 'I', 'N', 'G', 0, 10, 'a', 'b'};
    s_put(&w, ping, sizeof ping);
    s_frame(&w, "", 0, 1);
    s_frame(&w, "ok.example", 10, 0);
    size_t before = 0;
    assert_int_equal(s_feed_all(z, &w, &seen, &why), 0);
    assert_int_equal(seen.requests, 3);
    assert_int_equal(seen.malformed, 2);
    assert_string_equal(seen.frames[0], "ok.example");
    /* the PONG carries the ping's context */
    assert_non_null(memmem(seen.sent + before, seen.nsent, "\x04PONGab", 7));
    zmtp_destroy(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_request),
        cmocka_unit_test(test_byte_by_byte),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_memory_bound),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_malformed_and_ping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
