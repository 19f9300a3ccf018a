/* tests/integration/probe.c - dnsoracle_probe: raw protocol checks for the
 * integration tests, things a well-behaved client never sends.
 *
 *   dnsoracle_probe ENDPOINT send FRAME...      one request; FRAME is text, or
 *                                               x:HEX for raw bytes, or
 *                                               n:COUNT:BYTE for COUNT copies
 *                                               of one byte, or c:WORD for a
 *                                               command (NUL, WORD); prints
 *                                               the replies
 *   dnsoracle_probe ENDPOINT burst COUNT        COUNT malformed requests of
 *                                               every kind, then checks the
 *                                               daemon still answers
 *   dnsoracle_probe ENDPOINT names COUNT SUFFIX one request per name,
 *                                               COUNT distinct names
 *                                               "nameN.SUFFIX"; prints how
 *                                               many got true, false, none
 *   dnsoracle_probe ENDPOINT term PID CLIENTS MS   CLIENTS threads send names
 *                                               nonstop; after MS ms it sends
 *                                               SIGTERM to PID; prints how
 *                                               many requests sent before the
 *                                               signal went unanswered
 *   dnsoracle_probe ENDPOINT handshake KEY PUB MS  a CURVE handshake with our
 *                                               key pair KEY and the server's
 *                                               PUB; prints "succeeded",
 *                                               "refused" or "none" (nothing
 *                                               within MS ms)
 * Exit status 0 when the check holds, 1 when not, 2 on usage errors. Every
 * loop is bounded in count and time; every timeout and time limit is
 * multiplied by DNSORACLE_SLOW (a whole number, default 1), which the tests
 * set when the daemon runs under valgrind.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "curve.h"
#include "pipeline.h"

static void *s_ctx;
static const char *s_endpoint;
static int s_slow = 1; /* DNSORACLE_SLOW */

static void s_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void *s_socket(int type, int timeout_ms)
{
    void *s = zmq_socket(s_ctx, type);
    int zero = 0;
    timeout_ms *= s_slow;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    if (zmq_connect(s, s_endpoint) != 0) {
        fprintf(stderr, "probe: connect %s: %s\n", s_endpoint, zmq_strerror(errno));
        exit(2);
    }
    return s;
}

/* Decodes a FRAME argument into buf; returns its length. */
static size_t s_frame(const char *arg, char *buf, size_t cap)
{
    if (strncmp(arg, "x:", 2) == 0) {
        size_t n = 0;
        for (const char *p = arg + 2; p[0] && p[1] && n < cap; p += 2) {
            unsigned v;
            sscanf(p, "%2x", &v);
            buf[n++] = (char)v;
        }
        return n;
    }
    if (strncmp(arg, "c:", 2) == 0 && cap > 0) {
        size_t n = strlen(arg + 2);
        n = n < cap - 1 ? n : cap - 1;
        buf[0] = 0;
        memcpy(buf + 1, arg + 2, n);
        return n + 1;
    }
    if (strncmp(arg, "n:", 2) == 0) {
        size_t count = strtoul(arg + 2, NULL, 10);
        const char *c = strchr(arg + 2, ':');
        if (count > cap)
            count = cap;
        memset(buf, c ? c[1] : 'a', count);
        return count;
    }
    size_t n = strlen(arg);
    memcpy(buf, arg, n < cap ? n : cap);
    return n < cap ? n : cap;
}

static int s_send(int argc, char **argv)
{
    void *s = s_socket(ZMQ_REQ, 2000);
    static char buf[1 << 16];
    for (int i = 0; i < argc; i++) {
        size_t n = s_frame(argv[i], buf, sizeof buf);
        if (zmq_send(s, buf, n, i + 1 < argc ? ZMQ_SNDMORE : 0) < 0) {
            printf("send failed: %s\n", zmq_strerror(errno));
            zmq_close(s); /* zmq_ctx_term waits for every socket to close */
            return 1;
        }
    }
    int more = 1;
    while (more) {
        int n = zmq_recv(s, buf, sizeof buf - 1, 0);
        if (n < 0) {
            printf("no reply\n");
            zmq_close(s);
            return 1;
        }
        buf[n < (int)sizeof buf - 1 ? n : (int)sizeof buf - 1] = 0;
        printf("%s\n", buf);
        size_t len = sizeof more;
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len);
    }
    zmq_close(s);
    return 0;
}

/* Malformed requests of every kind, COUNT in all, then one good request.
 * Prints how many were sent and how many answered (all but the fifth that
 * has no delimiter, which the daemon drops and counts). */
static int s_burst(long count)
{
    void *dealer = s_socket(ZMQ_DEALER, 1000);
    static char big[300], huge[8192];
    memset(big, 'a', sizeof big);
    memset(huge, 'b', sizeof huge);
    double end = pipeline_now() + 20 * s_slow;
    long sent = 0, answered = 0, expected = 0;
    for (long i = 0; i < count && pipeline_now() < end; i++) {
        int ok = 0;
        switch (i % 5) {
        case 0: /* no empty delimiter: the proxy drops it */
            ok = zmq_send(dealer, "www.example.com", 15, 0) >= 0;
            break;
        case 1: /* empty frame */
            ok = zmq_send(dealer, "", 0, ZMQ_SNDMORE) >= 0 && zmq_send(dealer, "", 0, 0) >= 0;
            break;
        case 2: /* over 255 bytes */
            ok = zmq_send(dealer, "", 0, ZMQ_SNDMORE) >= 0 &&
                 zmq_send(dealer, big, sizeof big, 0) >= 0;
            break;
        case 3: /* binary bytes */
            ok = zmq_send(dealer, "", 0, ZMQ_SNDMORE) >= 0 &&
                 zmq_send(dealer, "\xff\x01\x80.\x00x", 6, 0) >= 0;
            break;
        case 4: /* an unknown command */
            ok = zmq_send(dealer, "", 0, ZMQ_SNDMORE) >= 0 && zmq_send(dealer, "\0nope", 5, 0) >= 0;
            break;
        }
        if (!ok)
            break;
        sent++;
        expected += i % 5 != 0;
        pipeline_sent(dealer, &answered, expected, end);
    }
    pipeline_wait(dealer, &answered, expected, end); /* RCVTIMEO (1 s) bounds each read */
    /* A frame over ZMQ_MAXMSGSIZE makes the daemon drop this connection. */
    zmq_send(dealer, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
    zmq_send(dealer, huge, sizeof huge, ZMQ_DONTWAIT);
    zmq_close(dealer);
    printf("sent %ld malformed requests, %ld of %ld answerable answered\n", sent, answered,
           expected);
    char *argv[] = {"www.example.com", "88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6."
                                       "0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example.net"};
    return s_send(2, argv) != 0 || sent != count || answered != expected;
}

/* COUNT distinct names, one request each, waiting for every answer. */
static int s_names(long count, const char *suffix)
{
    void *s = s_socket(ZMQ_REQ, 2000);
    int relaxed = 1;
    zmq_setsockopt(s, ZMQ_REQ_RELAXED, &relaxed, sizeof relaxed);
    zmq_setsockopt(s, ZMQ_REQ_CORRELATE, &relaxed, sizeof relaxed);
    long good = 0, bad = 0, none = 0;
    double end = pipeline_now() + 120 * s_slow;
    for (long i = 0; i < count && pipeline_now() < end; i++) {
        char name[300], reply[16];
        int n = snprintf(name, sizeof name, "name%ld.%s", i, suffix);
        if (zmq_send(s, name, (size_t)n, 0) < 0) {
            none++;
            continue;
        }
        int r = zmq_recv(s, reply, sizeof reply, 0);
        if (r == 4 && !memcmp(reply, "true", 4))
            good++;
        else if (r == 5 && !memcmp(reply, "false", 5))
            bad++;
        else
            none++;
    }
    zmq_close(s);
    printf("true %ld false %ld none %ld\n", good, bad, none);
    return none != 0;
}

typedef struct {
    pthread_t thread;
    int id;
    long sent_before, answered_before, lost_before, after;
} s_client_t;

static _Atomic double s_signal_at = 0; /* 0 until SIGTERM was sent */
static atomic_int s_stop;

static void *s_term_client(void *arg)
{
    s_client_t *c = arg;
    void *s = s_socket(ZMQ_REQ, 3000);
    int relaxed = 1;
    zmq_setsockopt(s, ZMQ_REQ_RELAXED, &relaxed, sizeof relaxed);
    zmq_setsockopt(s, ZMQ_REQ_CORRELATE, &relaxed, sizeof relaxed);
    char name[64], reply[16];
    for (long i = 0; i < 1000000 && !atomic_load(&s_stop); i++) {
        snprintf(name, sizeof name, "host%ld-%d.example.com", i, c->id);
        double t = pipeline_now();
        double sig = atomic_load(&s_signal_at);
        bool before = sig == 0 || t < sig;
        if (zmq_send(s, name, strlen(name), 0) < 0)
            break;
        int n = zmq_recv(s, reply, sizeof reply, 0);
        if (before) {
            c->sent_before++;
            if (n > 0)
                c->answered_before++;
            else
                c->lost_before++;
        } else {
            c->after++;
        }
        if (n < 0)
            break; /* the daemon has gone: this client is done */
    }
    zmq_close(s);
    return NULL;
}

static int s_term(pid_t pid, int clients, int ms)
{
    s_client_t *c = calloc((size_t)clients, sizeof *c);
    for (int i = 0; i < clients; i++) {
        c[i].id = i;
        pthread_create(&c[i].thread, NULL, s_term_client, &c[i]);
    }
    s_sleep_ms(ms);
    double t0 = pipeline_now();
    atomic_store(&s_signal_at, t0);
    kill(pid, SIGTERM);
    /* Wait (bounded) for the daemon to exit. */
    double exited = 0;
    while (pipeline_now() - t0 < 10 * s_slow) {
        if (kill(pid, 0) != 0 && errno == ESRCH) {
            exited = pipeline_now();
            break;
        }
        s_sleep_ms(5);
    }
    atomic_store(&s_stop, 1);
    long sent = 0, answered = 0, lost = 0, after = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(c[i].thread, NULL);
        sent += c[i].sent_before;
        answered += c[i].answered_before;
        lost += c[i].lost_before;
        after += c[i].after;
    }
    free(c);
    printf("before SIGTERM: %ld sent, %ld answered, %ld unanswered; after: %ld\n", sent, answered,
           lost, after);
    if (!exited) {
        printf("the daemon did not exit within %d s\n", 10 * s_slow);
        return 1;
    }
    printf("exit after %.0f ms\n", (exited - t0) * 1000);
    return lost == 0 && sent > 0 && exited - t0 < 2.0 * s_slow ? 0 : 1;
}

/* A CURVE handshake as a DEALER, watched through a socket monitor: what
 * the client learns of its outcome, whatever the server then answers. */
static int s_handshake(const char *key, const char *pub, int ms)
{
    char err[512];
    void *s = zmq_socket(s_ctx, ZMQ_DEALER);
    void *mon = zmq_socket(s_ctx, ZMQ_PAIR);
    int zero = 0, timeout = ms * s_slow;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(mon, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(mon, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    if (curve_client(s, key, pub, err, sizeof err) != 0 ||
        zmq_socket_monitor(s, "inproc://probe-monitor", events) != 0 ||
        zmq_connect(mon, "inproc://probe-monitor") != 0 || zmq_connect(s, s_endpoint) != 0) {
        fprintf(stderr, "probe: handshake: %s\n", err);
        zmq_close(mon);
        zmq_close(s);
        return 2;
    }
    uint8_t ev[6];
    char addr[256];
    int n = zmq_recv(mon, ev, sizeof ev, 0);
    if (n >= 2)
        (void)zmq_recv(mon, addr, sizeof addr, 0);
    uint16_t event = 0;
    if (n >= 2)
        memcpy(&event, ev, sizeof event);
    printf("%s\n", n < 2                                    ? "none"
                   : event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED ? "succeeded"
                                                            : "refused");
    zmq_close(mon);
    zmq_close(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: dnsoracle_probe ENDPOINT send FRAME... | burst COUNT | term PID "
                        "CLIENTS MS\n");
        return 2;
    }
    s_endpoint = argv[1];
    if (strncmp(s_endpoint, "tcp://127.", 10) != 0 && strncmp(s_endpoint, "ipc://", 6) != 0 &&
        strncmp(s_endpoint, "tcp://[::1]", 11) != 0) {
        fprintf(stderr, "probe: loopback or ipc endpoints only\n");
        return 2;
    }
    const char *slow = getenv("DNSORACLE_SLOW");
    if (slow && atoi(slow) > 1)
        s_slow = atoi(slow);
    s_ctx = zmq_ctx_new();
    int rc = 2;
    if (strcmp(argv[2], "send") == 0)
        rc = s_send(argc - 3, argv + 3);
    else if (strcmp(argv[2], "names") == 0 && argc == 5)
        rc = s_names(atol(argv[3]), argv[4]);
    else if (strcmp(argv[2], "burst") == 0 && argc == 4)
        rc = s_burst(atol(argv[3]));
    else if (strcmp(argv[2], "term") == 0 && argc == 6)
        rc = s_term((pid_t)atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    else if (strcmp(argv[2], "handshake") == 0 && argc == 6)
        rc = s_handshake(argv[3], argv[4], atoi(argv[5]));
    else
        fprintf(stderr, "probe: bad arguments\n");
    zmq_ctx_term(s_ctx);
    return rc;
}
