/* tests/hostile/hostile.c - dnsoracle_hostile: a storm of hostile input
 * against a running dnsoracled (tests/hostile/test_hostile.sh).
 *
 *   dnsoracle_hostile ENDPOINT [SCALE]
 *
 * Phases, each bounded in count and time, each printed with what it sent
 * and how much was answered:
 *   random    100000 requests of one random binary frame (0-300 bytes)
 *   lengths   one frame of every length 0-4200, then every 97th up to
 *             70000 (over 4096 bytes ZeroMQ drops the connection, so each
 *             such frame costs a connection of its own)
 *   batches   5 requests of 10000 frames each (one reply frame per frame)
 *   pings     20 requests of 2000 frames at once from a client that sends
 *             a ZMTP PING every millisecond and reads its replies late
 *   names     names with NUL bytes, escapes that decode past 255 bytes,
 *             127 one-byte labels, label and name length lies
 *   silent    50 clients that send 2000 requests each and never read
 *   vanish    1000 clients that disconnect in the middle of a request
 *   endless   20 connections (tcp endpoints only) that speak ZMTP by hand
 *             and open a request that never ends: 16 send empty frames
 *             (2 bytes each on the wire), 4 send 255-byte frames, up to
 *             4 MiB and 64 MiB each; libzmq alone would keep every frame,
 *             the daemon must close each of them. With $DNSORACLE_HOSTILE_PID
 *             the daemon's peak memory during the phase is printed.
 *   unread    10 such connections that send 100 requests of 16000 empty
 *             frames each and never read the replies (112 kB each)
 * then one good and one tunnel-like name, which must be answered true and
 * false. SCALE (default 1) divides the counts, for quick runs. Exit status 0
 * when every phase ran and the last check holds, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "pipeline.h"

/* A name with strong evidence (80 hex digits): refused on its own. */
#define S_STRONG                                                                                   \
    "88d8de31bbea6b65722f66e3fae3a1b2c3d4e5f6.0718293a4b5c6d7e8f9051a2b3c4d5e6f7a8b9c0.example."   \
    "net"

static void *s_ctx;
static const char *s_endpoint;
static unsigned s_seed = 12345;

static unsigned s_rand(void) { return s_seed = s_seed * 1103515245u + 12345u; }

static void *s_new(int type, int timeout_ms, int linger_ms)
{
    void *s = zmq_socket(s_ctx, type);
    zmq_setsockopt(s, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof timeout_ms);
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof timeout_ms);
    return s;
}

static void *s_connect(void *s)
{
    if (zmq_connect(s, s_endpoint) != 0) {
        fprintf(stderr, "hostile: connect %s: %s\n", s_endpoint, zmq_strerror(errno));
        exit(2);
    }
    return s;
}

static void *s_socket(int type, int timeout_ms, int linger_ms)
{
    return s_connect(s_new(type, timeout_ms, linger_ms));
}

/* A DEALER request: empty delimiter, then the frame. */
static int s_dealer_send(void *dealer, const void *data, size_t len)
{
    return zmq_send(dealer, "", 0, ZMQ_SNDMORE) >= 0 && zmq_send(dealer, data, len, 0) >= 0;
}

static void s_phase(const char *name, long sent, long answered, long expected, double t0)
{
    printf("%-8s sent %ld, answered %ld of %ld expected, %.1f s\n", name, sent, answered, expected,
           pipeline_now() - t0);
    fflush(stdout);
}

static void s_random(long count)
{
    double t0 = pipeline_now(), end = t0 + 120;
    void *d = s_socket(ZMQ_DEALER, 1000, 0);
    long sent = 0, answered = 0;
    unsigned char buf[300];
    for (long i = 0; i < count && pipeline_now() < end; i++) {
        size_t len = s_rand() % sizeof buf;
        for (size_t k = 0; k < len; k++)
            buf[k] = (unsigned char)(s_rand() >> 16);
        if (!s_dealer_send(d, buf, len))
            break;
        sent++;
        pipeline_sent(d, &answered, sent, end);
    }
    pipeline_wait(d, &answered, sent, end);
    zmq_close(d);
    s_phase("random", sent, answered, sent, t0);
}

static void s_lengths(long max)
{
    double t0 = pipeline_now(), end = t0 + 300;
    static char buf[70001];
    memset(buf, 'a', sizeof buf);
    void *d = s_socket(ZMQ_DEALER, 1000, 0);
    long sent = 0, answered = 0, expected = 0, reconnects = 0;
    for (long len = 0; len <= max && pipeline_now() < end; len++) {
        if (len > 4096) {
            /* ZeroMQ drops the connection on such a frame, so each needs a
             * connection of its own: every length up to 4200, then every
             * 97th and the last. */
            if (len > 4200 && len % 97 != 0 && len != max)
                continue;
            void *o = s_socket(ZMQ_DEALER, 1000, 100);
            s_dealer_send(o, buf, (size_t)len);
            zmq_close(o);
            reconnects++;
            sent++;
            if (reconnects % 64 == 0) {
                struct timespec pause = {0, 20 * 1000000L}; /* let lingering ones finish */
                nanosleep(&pause, NULL);
            }
            continue;
        }
        if (!s_dealer_send(d, buf, (size_t)len))
            break;
        sent++;
        expected++;
        pipeline_sent(d, &answered, expected, end);
    }
    pipeline_wait(d, &answered, expected, end);
    zmq_close(d);
    printf("lengths: %ld frames over 4096 bytes, each on a connection of its own\n", reconnects);
    s_phase("lengths", sent, answered, expected, t0);
}

/* One batch request: `frames` names tagged with the phase's letter and the
 * batch number. */
static void s_send_batch(void *s, char tag, int batch, int frames)
{
    char name[64];
    for (int i = 0; i < frames; i++) {
        int n = snprintf(name, sizeof name, "%c%dn%d.batch.example", tag, batch, i);
        zmq_send(s, name, (size_t)n, i + 1 < frames ? ZMQ_SNDMORE : 0);
    }
}

/* Reads one reply, adding its frames (after `skip` envelope frames) to
 * *answered. Returns 0 when the reply was read whole, -1 on a timeout. */
static int s_recv_reply(void *s, int skip, long *answered)
{
    for (int more = 1; more;) {
        char reply[16];
        if (zmq_recv(s, reply, sizeof reply, 0) < 0)
            return -1;
        if (skip > 0)
            skip--;
        else
            (*answered)++;
        size_t len = sizeof more;
        zmq_getsockopt(s, ZMQ_RCVMORE, &more, &len);
    }
    return 0;
}

static void s_batches(int count, int frames)
{
    double t0 = pipeline_now();
    void *r = s_socket(ZMQ_REQ, 10000, 0);
    long sent = 0, answered = 0;
    for (int b = 0; b < count; b++) {
        s_send_batch(r, 'b', b, frames);
        sent += frames;
        if (s_recv_reply(r, 0, &answered) != 0)
            break;
    }
    zmq_close(r);
    s_phase("batches", sent, answered, sent, t0);
}

/* A client that pings every millisecond (ZMTP heartbeats) and reads its
 * replies late: replies wait in the daemon while PINGs arrive, and each
 * PONG must go out after them, never inside one (libzmq drops a connection
 * whose byte stream it cannot parse, and the replies with it). */
static void s_pings(int requests, int frames)
{
    double t0 = pipeline_now();
    void *d = s_new(ZMQ_DEALER, 10000, 0);
    int one = 1, small = 4096, ivl = 1, ttl = 60000;
    zmq_setsockopt(d, ZMQ_RCVHWM, &one, sizeof one);
    zmq_setsockopt(d, ZMQ_RCVBUF, &small, sizeof small);
    zmq_setsockopt(d, ZMQ_HEARTBEAT_IVL, &ivl, sizeof ivl);
    zmq_setsockopt(d, ZMQ_HEARTBEAT_TIMEOUT, &ttl, sizeof ttl);
    s_connect(d);
    long sent = 0, answered = 0;
    for (int r = 0; r < requests; r++) {
        if (zmq_send(d, "", 0, ZMQ_SNDMORE) < 0)
            break;
        s_send_batch(d, 'p', r, frames);
        sent += frames;
    }
    nanosleep(&(struct timespec){0, 500000000}, NULL); /* replies wait, pings go on */
    for (int r = 0; r < requests; r++)
        if (s_recv_reply(d, 1, &answered) != 0)
            break;
    zmq_close(d);
    s_phase("pings", sent, answered, sent, t0);
}

static void s_names(void)
{
    double t0 = pipeline_now();
    static char lies[16][2048];
    size_t lens[16];
    int n = 0;
    /* NUL bytes inside and at the ends */
    memcpy(lies[n], "www\0evil.example", 16), lens[n++] = 16;
    memcpy(lies[n], "\0", 1), lens[n++] = 1;
    memcpy(lies[n], "a.b\0", 4), lens[n++] = 4;
    /* escapes that decode to more than 255 bytes (and to 253 exactly) */
    lens[n] = 0;
    for (int i = 0; i < 300; i++)
        lens[n] += (size_t)sprintf(lies[n] + lens[n], i % 60 == 59 ? "." : "\\065");
    n++;
    lens[n] = 0;
    for (int i = 0; i < 600; i++)
        lens[n] += (size_t)sprintf(lies[n] + lens[n], "\\255");
    n++;
    /* 127 one-byte labels, 128, and a label of 64 bytes */
    lens[n] = 0;
    for (int i = 0; i < 127; i++)
        lens[n] += (size_t)sprintf(lies[n] + lens[n], "a.");
    n++;
    lens[n] = 0;
    for (int i = 0; i < 128; i++)
        lens[n] += (size_t)sprintf(lies[n] + lens[n], "a.");
    n++;
    memset(lies[n], 'x', 64), memcpy(lies[n] + 64, ".example", 8), lens[n++] = 72;
    /* escapes cut short, bad decimal values, empty labels, lone dots */
    memcpy(lies[n], "a\\", 2), lens[n++] = 2;
    memcpy(lies[n], "a\\25", 4), lens[n++] = 4;
    memcpy(lies[n], "a\\999.example", 13), lens[n++] = 13;
    memcpy(lies[n], "..", 2), lens[n++] = 2;
    memcpy(lies[n], ".", 1), lens[n++] = 1;
    memcpy(lies[n], "a..b", 4), lens[n++] = 4;
    /* a wire-format name with label-length bytes that lie */
    memcpy(lies[n],
           "\x3f"
           "abc\x05"
           "ex",
           8),
        lens[n++] = 8;
    memcpy(lies[n],
           "\x03www\x07"
           "example\x03"
           "com\x00",
           17),
        lens[n++] = 17;
    void *r = s_socket(ZMQ_REQ, 2000, 0);
    long answered = 0;
    for (int round = 0; round < 100; round++)
        for (int i = 0; i < n; i++) {
            char reply[16];
            if (zmq_send(r, lies[i], lens[i], 0) < 0 || zmq_recv(r, reply, sizeof reply, 0) < 0) {
                zmq_close(r);
                r = s_socket(ZMQ_REQ, 2000, 0);
                continue;
            }
            answered++;
        }
    zmq_close(r);
    s_phase("names", 100L * n, answered, 100L * n, t0);
}

static void s_silent(int clients, int each)
{
    double t0 = pipeline_now();
    long sent = 0;
    void **d = calloc((size_t)clients, sizeof *d);
    for (int c = 0; c < clients; c++) {
        d[c] = s_socket(ZMQ_DEALER, 200, 0);
        for (int i = 0; i < each; i++) {
            if (zmq_send(d[c], "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
                zmq_send(d[c], "www.example.com", 15, ZMQ_DONTWAIT) < 0)
                break;
            sent++;
        }
    }
    struct timespec pause = {1, 0};
    nanosleep(&pause, NULL); /* the daemon answers; nobody reads */
    for (int c = 0; c < clients; c++)
        zmq_close(d[c]);
    free(d);
    s_phase("silent", sent, 0, 0, t0);
}

static void s_vanish(int count)
{
    double t0 = pipeline_now();
    long sent = 0;
    for (int i = 0; i < count; i++) {
        void *s = s_socket(i % 2 ? ZMQ_REQ : ZMQ_DEALER, 200, i % 3 ? 0 : 50);
        if (i % 2) {
            zmq_send(s, "www.example.com", 15, 0); /* and gone before the reply */
        } else {
            zmq_send(s, "", 0, ZMQ_SNDMORE); /* half a request, then gone */
            zmq_send(s, "half.example.com", 16, ZMQ_SNDMORE);
        }
        sent++;
        zmq_close(s);
    }
    s_phase("vanish", sent, 0, 0, t0);
}

/* The daemon's resident memory in kB ($DNSORACLE_HOSTILE_PID), or 0. */
static long s_rss_kb(void)
{
    const char *pid = getenv("DNSORACLE_HOSTILE_PID");
    char path[64], line[256];
    long kb = 0;
    if (!pid)
        return 0;
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* A ZMTP 3 greeting, READY as a DEALER, and an empty delimiter with MORE:
 * the start of a request, as a raw client sends it. */
static const unsigned char s_hello[] = {
    0xff, 0,   0,   0,   0, 0,  0, 0,   0,   0x7f, 3,   1,   'N', 'U', 'L', 'L', 0,   0,   0,   0,
    0,    0,   0,   0,   0, 0,  0, 0,   0,   0,    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,    0,   0,   0,   0, 0,  0, 0,   0,   0,    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,
    0,    0,   0,   0,   4, 28, 5, 'R', 'E', 'A',  'D', 'Y', 11,  'S', 'o', 'c', 'k', 'e', 't', '-',
    'T',  'y', 'p', 'e', 0, 0,  0, 6,   'D', 'E',  'A', 'L', 'E', 'R', 1,   0};

/* One raw TCP connection that greets as a ZMTP 3 DEALER, opens a request
 * and sends `frame`-byte frames, all with MORE, up to `budget` bytes or
 * until the daemon closes the connection. Returns 1 when it did. */
static int s_endless_one(const struct sockaddr_in *addr, size_t frame, size_t budget, long *peak)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return 0;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int closed = 0;
    if (connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0) {
        static unsigned char chunk[65536];
        size_t per = 2 + frame, n = sizeof chunk / per, sent = 0;
        for (size_t i = 0; i < n; i++) {
            chunk[i * per] = 1; /* MORE, short */
            chunk[i * per + 1] = (unsigned char)frame;
            memset(chunk + i * per + 2, 'x', frame);
        }
        if (send(fd, s_hello, sizeof s_hello, MSG_NOSIGNAL) == (ssize_t)sizeof s_hello) {
            double end = pipeline_now() + 10;
            while (sent < budget && pipeline_now() < end) {
                ssize_t w = send(fd, chunk, n * per, MSG_NOSIGNAL);
                if (w <= 0) {
                    closed = errno == EPIPE || errno == ECONNRESET;
                    break;
                }
                sent += (size_t)w;
                long kb = s_rss_kb();
                if (kb > *peak)
                    *peak = kb;
            }
            if (!closed) { /* all sent: the close may still be on its way */
                char b[512];
                ssize_t r;
                while ((r = recv(fd, b, sizeof b, 0)) > 0)
                    ;
                closed = r == 0 || errno == ECONNRESET;
            }
        }
    }
    close(fd);
    return closed;
}

/* The endpoint's IPv4 address and port; -1 (and a line saying the phase
 * is skipped) for an ipc:// or IPv6 endpoint. */
static int s_tcp_addr(const char *phase, struct sockaddr_in *addr)
{
    const char *colon = strrchr(s_endpoint, ':');
    char host[64] = "";
    *addr = (struct sockaddr_in){.sin_family = AF_INET};
    if (strncmp(s_endpoint, "tcp://", 6) != 0 || !colon || colon - s_endpoint - 6 >= 64) {
        printf("%-8s skipped (not a tcp endpoint)\n", phase);
        return -1;
    }
    memcpy(host, s_endpoint + 6, (size_t)(colon - s_endpoint - 6));
    addr->sin_port = htons((uint16_t)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) {
        printf("%-8s skipped (not an IPv4 address)\n", phase);
        return -1;
    }
    return 0;
}

static void s_endless(void)
{
    double t0 = pipeline_now();
    struct sockaddr_in addr;
    if (s_tcp_addr("endless", &addr) != 0)
        return;
    long before = s_rss_kb(), peak = before, closed = 0;
    for (int i = 0; i < 20; i++)
        closed += s_endless_one(&addr, i < 16 ? 0 : 255, i < 16 ? 4u << 20 : 64u << 20, &peak);
    printf("endless  sent 20, answered %ld of 20 expected (closed by the daemon), %.1f s\n", closed,
           pipeline_now() - t0);
    if (before)
        printf("endless  memory: %ld kB before, %ld kB at the peak\n", before, peak);
    fflush(stdout);
}

/* 10 raw connections that send 100 requests of 16000 empty frames each
 * (32 kB on the wire, a 112 kB reply of "false" frames) and never read: a
 * daemon that kept every reply for them would hold over 100 MB. */
static void s_unread(void)
{
    enum { CONNS = 10, REQUESTS = 100, FRAMES = 16000 };
    double t0 = pipeline_now();
    struct sockaddr_in addr;
    if (s_tcp_addr("unread", &addr) != 0)
        return;
    static unsigned char request[2 * FRAMES + 2];
    for (int i = 0; i < FRAMES; i++) { /* frames with MORE, the last without */
        request[2 * i] = i + 1 < FRAMES ? 1 : 0;
        request[2 * i + 1] = 0;
    }
    request[2 * FRAMES] = 1; /* the next request's delimiter */
    request[2 * FRAMES + 1] = 0;
    int fds[CONNS];
    long before = s_rss_kb(), peak = before, sent = 0;
    for (int c = 0; c < CONNS; c++) {
        fds[c] = socket(AF_INET, SOCK_STREAM, 0);
        int small = 4096;
        struct timeval tv = {2, 0};
        setsockopt(fds[c], SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
        setsockopt(fds[c], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (fds[c] >= 0 && (connect(fds[c], (const struct sockaddr *)&addr, sizeof addr) != 0 ||
                            send(fds[c], s_hello, sizeof s_hello, MSG_NOSIGNAL) < 0)) {
            close(fds[c]);
            fds[c] = -1;
        }
    }
    double end = pipeline_now() + 20;
    for (int r = 0; r < REQUESTS && pipeline_now() < end; r++)
        for (int c = 0; c < CONNS; c++) {
            if (fds[c] < 0)
                continue;
            if (send(fds[c], request, sizeof request, MSG_NOSIGNAL) != (ssize_t)sizeof request) {
                close(fds[c]); /* closed by the daemon, or stuck */
                fds[c] = -1;
                continue;
            }
            sent++;
            long kb = s_rss_kb();
            if (kb > peak)
                peak = kb;
        }
    /* the kernel's buffers hold much of what was sent: the daemon reads
     * and answers it for a while yet */
    for (int i = 0; i < 60; i++) {
        struct timespec pause = {0, 50000000};
        nanosleep(&pause, NULL);
        long kb = s_rss_kb();
        if (kb > peak)
            peak = kb;
    }
    for (int c = 0; c < CONNS; c++)
        if (fds[c] >= 0)
            close(fds[c]);
    printf("unread   sent %ld requests of %d frames on %d connections, never read, %.1f s\n", sent,
           FRAMES, CONNS, pipeline_now() - t0);
    if (before)
        printf("unread   memory: %ld kB before, %ld kB at the peak\n", before, peak);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: dnsoracle_hostile ENDPOINT [SCALE]\n");
        return 2;
    }
    s_endpoint = argv[1];
    if (strncmp(s_endpoint, "tcp://127.", 10) != 0 && strncmp(s_endpoint, "ipc://", 6) != 0) {
        fprintf(stderr, "hostile: loopback or ipc endpoints only\n");
        return 2;
    }
    long scale = argc == 3 ? atol(argv[2]) : 1;
    if (scale < 1)
        scale = 1;
    s_ctx = zmq_ctx_new();
    int max_sockets = 100000;
    zmq_ctx_set(s_ctx, ZMQ_MAX_SOCKETS, max_sockets);
    s_random(100000 / scale);
    s_lengths(70000 / scale);
    s_batches(5, 10000);
    s_pings(20, 2000);
    s_names();
    s_silent(50, 2000 / (int)scale);
    s_vanish(1000 / (int)scale);
    s_endless();
    s_unread();
    /* still answering, and correctly */
    void *r = s_socket(ZMQ_REQ, 5000, 0);
    char a[16] = "", b[16] = "";
    int ok = zmq_send(r, "www.example.com", 15, 0) >= 0 && zmq_recv(r, a, sizeof a - 1, 0) == 4 &&
             zmq_send(r, S_STRONG, sizeof S_STRONG - 1, 0) >= 0 &&
             zmq_recv(r, b, sizeof b - 1, 0) == 5;
    zmq_close(r);
    printf("after the storm: www.example.com %s, " S_STRONG " %s\n", a, b);
    zmq_ctx_term(s_ctx);
    return ok && strcmp(a, "true") == 0 && strcmp(b, "false") == 0 ? 0 : 1;
}
