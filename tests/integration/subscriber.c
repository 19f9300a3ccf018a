/* tests/integration/subscriber.c - subscribers of the oracle's list changes,
 * good and bad, and the churn that feeds them.
 *
 *   dnsoracle_subscriber listen ENDPOINT SECONDS [KEY SERVER_KEY]
 *       one SUB socket (CURVE with the key files) that reads for SECONDS;
 *       prints "heard N messages" and then every change line it got
 *   dnsoracle_subscriber deaf ENDPOINT COUNT SECONDS
 *       COUNT SUB sockets with a receive queue of one message and a 4 KiB
 *       kernel buffer that never read, held for SECONDS
 *   dnsoracle_subscriber garbage ENDPOINT COUNT SECONDS
 *       COUNT raw TCP connections that send 64 KiB of random bytes (every
 *       other one after a ZMTP greeting), held SECONDS; prints how many the
 *       oracle closed by then
 *   dnsoracle_subscriber churn CONTROL COUNT
 *       COUNT operator commands on the control socket, a block then an
 *       unlist of names of 230 bytes in turn; with $DNSORACLE_HOSTILE_PID
 *       the daemon's memory before and at its peak
 *
 * For tests/hostile/test_hostile.sh (a subscriber that never reads must not
 * grow the oracle) and tests/integration/test_curve.sh (curve_publish).
 * Loopback and ipc endpoints only; every loop is bounded in count and time.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "curve.h"

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long s_rss_kb(void)
{
    const char *pid = getenv("DNSORACLE_HOSTILE_PID");
    char path[64], line[256];
    long kb = 0;
    if (!pid)
        return 0;
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static int s_listen(void *ctx, const char *ep, double seconds, const char *key, const char *server)
{
    void *sub = zmq_socket(ctx, ZMQ_SUB);
    char err[512];
    int zero = 0, timeout = 100;
    zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(sub, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "lists ", 6);
    if (key && curve_client(sub, key, server, err, sizeof err) != 0) {
        fprintf(stderr, "subscriber: %s\n", err);
        return 2;
    }
    if (zmq_connect(sub, ep) != 0)
        return 2;
    static char msg[1 << 20];
    char changes[8192] = "";
    size_t used = 0;
    long heard = 0;
    for (double end = s_now() + seconds; s_now() < end;) {
        int n = zmq_recv(sub, msg, sizeof msg - 1, 0);
        if (n < 0)
            continue;
        msg[n < (int)sizeof msg - 1 ? n : (int)sizeof msg - 1] = 0;
        heard++;
        const char *body = strchr(msg, '\n');
        for (const char *l = body ? body + 1 : ""; *l && used < sizeof changes - 300;) {
            const char *nl = strchr(l, '\n');
            size_t len = nl ? (size_t)(nl - l) : strlen(l);
            used += (size_t)snprintf(changes + used, sizeof changes - used, "%.*s\n", (int)len, l);
            l += len + (nl ? 1 : 0);
        }
    }
    printf("heard %ld messages\n%s", heard, changes);
    zmq_close(sub);
    return 0;
}

static int s_deaf(void *ctx, const char *ep, int count, double seconds)
{
    void *subs[256];
    if (count > 256)
        count = 256;
    for (int i = 0; i < count; i++) {
        int zero = 0, one = 1, small = 4096;
        subs[i] = zmq_socket(ctx, ZMQ_SUB);
        zmq_setsockopt(subs[i], ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(subs[i], ZMQ_RCVHWM, &one, sizeof one);
        zmq_setsockopt(subs[i], ZMQ_RCVBUF, &small, sizeof small);
        zmq_setsockopt(subs[i], ZMQ_SUBSCRIBE, "", 0);
        if (zmq_connect(subs[i], ep) != 0)
            return 2;
    }
    struct timespec pause = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&pause, NULL);
    printf("deaf: %d subscribers held %.0f s, never read\n", count, seconds);
    for (int i = 0; i < count; i++)
        zmq_close(subs[i]);
    return 0;
}

/* The endpoint's IPv4 address and port, or -1. */
static int s_tcp_addr(const char *ep, struct sockaddr_in *addr)
{
    const char *colon = strrchr(ep, ':');
    char host[64] = "";
    *addr = (struct sockaddr_in){.sin_family = AF_INET};
    if (strncmp(ep, "tcp://", 6) != 0 || !colon || colon - ep - 6 >= 64)
        return -1;
    memcpy(host, ep + 6, (size_t)(colon - ep - 6));
    addr->sin_port = htons((uint16_t)atoi(colon + 1));
    return inet_pton(AF_INET, host, &addr->sin_addr) == 1 ? 0 : -1;
}

static int s_garbage(const char *ep, int count, double seconds)
{
    static const unsigned char greeting[10] = {0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f};
    struct sockaddr_in addr;
    if (s_tcp_addr(ep, &addr) != 0)
        return 2;
    unsigned seed = 777;
    static unsigned char junk[65536];
    int fds[256], sent = 0, closed = 0;
    if (count > 256)
        count = 256;
    for (int c = 0; c < count; c++) {
        for (size_t i = 0; i < sizeof junk; i++)
            junk[i] = (unsigned char)((seed = seed * 1103515245u + 12345u) >> 16);
        fds[c] = socket(AF_INET, SOCK_STREAM, 0);
        struct timeval tv = {1, 0};
        setsockopt(fds[c], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (fds[c] < 0 || connect(fds[c], (const struct sockaddr *)&addr, sizeof addr) != 0)
            continue;
        if (c % 2)
            send(fds[c], greeting, sizeof greeting, MSG_NOSIGNAL);
        sent += send(fds[c], junk, sizeof junk, MSG_NOSIGNAL) > 0;
    }
    struct timespec pause = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&pause, NULL);
    for (int c = 0; c < count; c++) {
        char b[512];
        ssize_t r = 1;
        for (int i = 0; i < 1000 && r > 0; i++)
            r = fds[c] >= 0 ? recv(fds[c], b, sizeof b, MSG_DONTWAIT) : 0;
        closed += r == 0;
        if (fds[c] >= 0)
            close(fds[c]);
    }
    printf("garbage: %d connections, %d sent 64 KiB, %d closed by the oracle within %.0f s\n",
           count, sent, closed, seconds);
    return 0;
}

/* One command "CMD DOMAIN" on `req`; 1 when the answer is "ok". */
static int s_command(void *req, const char *cmd, const char *domain)
{
    char ok[8];
    if (zmq_send(req, cmd, strlen(cmd), ZMQ_SNDMORE) < 0 ||
        zmq_send(req, domain, strlen(domain), 0) < 0)
        return 0;
    int n = zmq_recv(req, ok, sizeof ok, 0), more = 0;
    size_t len = sizeof more;
    while (zmq_getsockopt(req, ZMQ_RCVMORE, &more, &len) == 0 && more)
        zmq_recv(req, NULL, 0, 0);
    return n == 2 && memcmp(ok, "ok", 2) == 0;
}

static int s_churn(void *ctx, const char *control, long count)
{
    void *req = zmq_socket(ctx, ZMQ_REQ);
    int zero = 0, timeout = 30000;
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(req, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    if (zmq_connect(req, control) != 0)
        return 2;
    char label[61], domain[256];
    memset(label, 'q', 60);
    label[60] = 0;
    long before = s_rss_kb(), peak = before, ok = 0, sent = 0;
    double t0 = s_now();
    for (long i = 0; i < count && s_now() - t0 < 300; i++) {
        snprintf(domain, sizeof domain, "c%ld.%s.%s.%s.churn.test", i / 2, label, label, label);
        ok += s_command(req, i % 2 ? "unlist" : "block", domain);
        sent++;
        long kb = s_rss_kb();
        if (kb > peak)
            peak = kb;
    }
    printf("churn: %ld commands, %ld ok, %.1f s\n", sent, ok, s_now() - t0);
    if (before)
        printf("churn memory: %ld kB before, %ld kB at the peak\n", before, peak);
    zmq_close(req);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 2 ? argv[1] : "", *ep = argc > 2 ? argv[2] : "";
    if (strncmp(ep, "tcp://127.", 10) != 0 && strncmp(ep, "ipc://", 6) != 0) {
        fprintf(stderr, "usage: dnsoracle_subscriber listen|deaf|garbage|churn ENDPOINT ... "
                        "(loopback or ipc endpoints only)\n");
        return 2;
    }
    void *ctx = zmq_ctx_new();
    int rc = 2;
    if (!strcmp(mode, "listen") && (argc == 4 || argc == 6))
        rc = s_listen(ctx, ep, atof(argv[3]), argc == 6 ? argv[4] : NULL,
                      argc == 6 ? argv[5] : NULL);
    else if (!strcmp(mode, "deaf") && argc == 5)
        rc = s_deaf(ctx, ep, atoi(argv[3]), atof(argv[4]));
    else if (!strcmp(mode, "garbage") && argc == 5)
        rc = s_garbage(ep, atoi(argv[3]), atof(argv[4]));
    else if (!strcmp(mode, "churn") && argc == 4)
        rc = s_churn(ctx, ep, atol(argv[3]));
    else
        fprintf(stderr, "dnsoracle_subscriber: bad arguments for %s\n", mode);
    zmq_ctx_term(ctx);
    return rc;
}
