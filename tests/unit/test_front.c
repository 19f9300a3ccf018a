/* tests/unit/test_front.c - the plaintext TCP front (oracle/wire/front.c) on a
 * loopback port: a libzmq REQ client's request arrives parsed and bounded
 * (frames past max_batch counted, not kept), the reply reaches it, and
 * connections past max_connections are closed at once and counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <zmq.h>

#include "front.h"
#include "stats.h"

typedef struct {
    void *ctx;
    stats_t *stats;
    front_t *front;
    char endpoint[64];
    int port;
    /* the last request */
    unsigned requests, nframes, overflow;
    char first[64];
    uint8_t id[FRONT_ID];
} fixture_t;

static void s_request(void *arg, const uint8_t *id, const zmtp_request_t *r)
{
    fixture_t *f = arg;
    f->requests++;
    f->nframes = r->nframes;
    f->overflow = r->overflow;
    memcpy(f->id, id, FRONT_ID);
    size_t n = r->nframes && r->frames[0].len < sizeof f->first ? r->frames[0].len : 0;
    memcpy(f->first, n ? (const char *)r->frames[0].data : "", n);
    f->first[n] = 0;
}

/* Reads what the front's socket brings for at most ms, until `until`
 * requests were seen (or just for ms with until 0). */
static void s_pump(fixture_t *f, int ms, unsigned until)
{
    for (int i = 0; i < ms / 10; i++) {
        zmq_pollitem_t item = {front_socket(f->front), 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&item, 1, 10) > 0)
            front_read(f->front, s_request, f);
        if (front_pending(f->front))
            front_flush(f->front);
        if (until && f->requests >= until)
            return;
    }
}

static int s_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->ctx = zmq_ctx_new();
    f->stats = stats_new(1);
    zmtp_limits_t lim = {4096, 256, 2, 16384};
    f->front = front_new(f->ctx, &lim, 2, stats_slot(f->stats, 0));
    if (!f->front || front_bind(f->front, "tcp://127.0.0.1:*") != 0)
        return -1;
    size_t len = sizeof f->endpoint;
    zmq_getsockopt(front_socket(f->front), ZMQ_LAST_ENDPOINT, f->endpoint, &len);
    f->port = atoi(strrchr(f->endpoint, ':') + 1);
    *state = f;
    return 0;
}

static int s_teardown(void **state)
{
    fixture_t *f = *state;
    front_destroy(&f->front, 0);
    assert_null(f->front);
    stats_destroy(&f->stats);
    zmq_ctx_term(f->ctx);
    free(f);
    return 0;
}

static uint64_t s_stat(fixture_t *f, const char *key)
{
    char buf[8192];
    stats_format(f->stats, 1, "", buf, sizeof buf);
    char *line = strstr(buf, key);
    assert_non_null(line);
    return strtoull(line + strlen(key) + 1, NULL, 10);
}

static void test_request_and_reply(void **state)
{
    fixture_t *f = *state;
    void *req = zmq_socket(f->ctx, ZMQ_REQ);
    int zero = 0, timeout = 2000;
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    assert_int_equal(zmq_connect(req, f->endpoint), 0);
    /* four frames, max_batch 2: two kept, two counted */
    zmq_send(req, "www.example.com", 15, ZMQ_SNDMORE);
    zmq_send(req, "b.example.com", 13, ZMQ_SNDMORE);
    zmq_send(req, "c.example.com", 13, ZMQ_SNDMORE);
    zmq_send(req, "d.example.com", 13, 0);
    s_pump(f, 2000, 1);
    assert_int_equal(f->requests, 1);
    assert_string_equal(f->first, "www.example.com");
    assert_int_equal(f->nframes, 2);
    assert_int_equal(f->overflow, 2);
    assert_int_equal(front_connections(f->front), 1);
    /* the reply: an empty delimiter (REQ), then one frame */
    uint8_t reply[64];
    size_t len = zmtp_header(reply, 0, true);
    len += zmtp_header(reply + len, 4, false);
    memcpy(reply + len, "true", 4);
    front_send(f->front, f->id, reply, len + 4);
    s_pump(f, 50, 0);
    char got[16] = "";
    assert_int_equal(zmq_recv(req, got, sizeof got, 0), 4);
    assert_memory_equal(got, "true", 4);
    zmq_close(req);
    s_pump(f, 300, 0); /* the close reaches the front */
    assert_int_equal(front_connections(f->front), 0);
    assert_int_equal(s_stat(f, "tcp_connections"), 0);
}

static int s_tcp(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/* max_connections 2: the third is closed as it comes; after one ends, a
 * new one is taken again. */
static void test_max_connections(void **state)
{
    fixture_t *f = *state;
    int a = s_tcp(f->port), b = s_tcp(f->port);
    s_pump(f, 300, 0);
    assert_int_equal(front_connections(f->front), 2);
    int c = s_tcp(f->port);
    s_pump(f, 300, 0);
    assert_int_equal(front_connections(f->front), 2);
    assert_int_equal(s_stat(f, "connections_refused"), 1);
    assert_int_equal(s_stat(f, "tcp_connections"), 2);
    /* the refused one gets no greeting, only the end of the stream */
    char buf[64];
    assert_int_equal(recv(c, buf, sizeof buf, 0), 0);
    /* the others got their greeting */
    assert_true(recv(a, buf, sizeof buf, 0) > 0);
    close(c);
    close(a);
    s_pump(f, 300, 0);
    assert_int_equal(front_connections(f->front), 1);
    int d = s_tcp(f->port);
    s_pump(f, 300, 0);
    assert_int_equal(front_connections(f->front), 2);
    assert_true(recv(d, buf, sizeof buf, 0) > 0);
    assert_int_equal(s_stat(f, "connections_refused"), 1);
    /* a lower bound at SIGHUP: those open stay, a new one is refused */
    front_set_max_connections(f->front, 1);
    int e = s_tcp(f->port);
    s_pump(f, 300, 0);
    assert_int_equal(recv(e, buf, sizeof buf, 0), 0);
    assert_int_equal(s_stat(f, "connections_refused"), 2);
    close(b);
    close(d);
    close(e);
    s_pump(f, 300, 0);
    assert_int_equal(front_connections(f->front), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_and_reply, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_max_connections, s_setup, s_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
