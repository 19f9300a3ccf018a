/* tests/bench/bench_server.c - dnsoracle_bench: a load generator for
 * dnsoracled (or for the echo server built from the same code).
 *
 *   dnsoracle_bench [-e ENDPOINT] [-c CLIENTS] [-d SECONDS] [-n REQUESTS]
 *                   [-b BATCH] [-t TIMEOUT_MS] [-K KEY -S SERVER_KEY]
 *                   [-g SUFFIX | FILE...]
 *
 * CLIENTS threads, each with its own REQ socket, send requests one after the
 * other (a synchronous client, as a resolver thread is), each of BATCH names
 * taken in turn from the name files, or generated distinct names
 * ("c<client>n<i>.SUFFIX") with -g, until SECONDS have passed or REQUESTS
 * were answered. Each request's latency is measured from just before the
 * send to the whole reply; a request with no reply within TIMEOUT_MS is
 * counted and its socket replaced. Prints one line of "key value" pairs:
 * requests, seconds, requests_per_second, names_per_second, latency
 * percentiles in microseconds, timeouts, false verdicts. With -K (our key
 * pair) and -S (the oracle's public key) it talks CURVE, to measure one of
 * the oracle's curve_endpoints.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "curve.h"
#include "lines.h"

#define S_BUCKETS 100000 /* 1 us buckets up to 100 ms; the last holds the rest */
#define S_MAX_BATCH 1024

typedef struct {
    char **names;
    size_t count;
} s_names_t;

typedef struct {
    /* shared, read-only */
    void *ctx;
    const char *endpoint;
    const s_names_t *names;
    const char *suffix;
    int batch, timeout_ms, id;
    double end;
    long max_requests;                             /* per client */
    const curve_keys_t *curve_mine, *curve_server; /* NULL: plaintext */
    /* this client's results */
    uint32_t *hist;
    long requests, timeouts, falses;
    double first, last;
} s_client_t;

static double s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *s_open(s_client_t *c)
{
    void *s = zmq_socket(c->ctx, ZMQ_REQ);
    int zero = 0;
    int64_t maxmsg = 1 << 20; /* replies are small; a bigger frame drops the connection */
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if ((c->curve_mine && curve_client_keys(s, c->curve_mine, c->curve_server) != 0) ||
        zmq_connect(s, c->endpoint) != 0) {
        fprintf(stderr, "dnsoracle_bench: %s: %s\n", c->endpoint, zmq_strerror(errno));
        zmq_close(s);
        return NULL;
    }
    return s;
}

static void *s_run(void *arg)
{
    s_client_t *c = arg;
    void *s = s_open(c);
    char gen[S_MAX_BATCH][256];
    size_t next = (size_t)c->id * 7919; /* clients start at different names */
    long serial = 0;
    while (s && s_now() < c->end && c->requests < c->max_requests) {
        for (int i = 0; i < c->batch; i++) {
            const char *name;
            size_t len;
            if (c->suffix) {
                int n = snprintf(gen[i], sizeof gen[i], "c%dn%ld.%s", c->id, serial++, c->suffix);
                name = gen[i];
                len = (size_t)n;
            } else {
                name = c->names->names[next++ % c->names->count];
                len = strlen(name);
            }
            zmq_send(s, name, len, i + 1 < c->batch ? ZMQ_SNDMORE : 0);
        }
        double t0 = s_now();
        int more = 1, got = 0;
        while (more) {
            zmq_pollitem_t item = {s, 0, ZMQ_POLLIN, 0};
            if (zmq_poll(&item, 1, c->timeout_ms) <= 0)
                break;
            char buf[16];
            int n = zmq_recv(s, buf, sizeof buf, 0);
            if (n < 0)
                break;
            got++;
            c->falses += n == 5;
            size_t sz = sizeof more;
            zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz);
        }
        double t1 = s_now();
        if (more || got != c->batch) {
            c->timeouts++;
            zmq_close(s);
            s = s_open(c); /* a REQ socket that missed its reply is stuck */
            continue;
        }
        if (!c->requests)
            c->first = t0;
        c->last = t1;
        c->requests++;
        long us = (long)((t1 - t0) * 1e6);
        c->hist[us < S_BUCKETS - 1 ? us : S_BUCKETS - 1]++;
    }
    if (s)
        zmq_close(s);
    return NULL;
}

/* lines_each callback: keeps the names that fit on the wire. */
static int s_keep_name(void *user, const char *line, size_t len)
{
    s_names_t *out = user;
    if (len == 0 || len > 255 || memchr(line, 0, len))
        return 0;
    if ((out->count & (out->count - 1)) == 0) { /* 0, 1, 2, 4...: double */
        char **n = realloc(out->names, (out->count ? 2 * out->count : 1) * sizeof *n);
        if (!n)
            return -ENOMEM;
        out->names = n;
    }
    if (!(out->names[out->count] = strndup(line, len)))
        return -ENOMEM;
    out->count++;
    return 0;
}

static long s_percentile(const uint64_t *hist, uint64_t total, double q)
{
    uint64_t want = (uint64_t)((double)total * q), seen = 0;
    for (long i = 0; i < S_BUCKETS; i++) {
        seen += hist[i];
        if (seen > want)
            return i;
    }
    return S_BUCKETS - 1;
}

static void s_usage(FILE *out)
{
    fprintf(out, "usage: dnsoracle_bench [-e ENDPOINT] [-c CLIENTS] [-d SECONDS] [-n REQUESTS]\n"
                 "                       [-b BATCH] [-t TIMEOUT_MS] [-K KEY -S SERVER_KEY]\n"
                 "                       [-g SUFFIX | FILE...]\n");
}

int main(int argc, char **argv)
{
    const char *endpoint = "tcp://127.0.0.1:5555", *suffix = NULL;
    const char *key_file = NULL, *server_key_file = NULL;
    curve_keys_t mine, server;
    int clients = 8, batch = 1, timeout_ms = 1000, opt;
    double seconds = 10;
    long max_requests = 1L << 40;
    while ((opt = getopt(argc, argv, "e:c:d:n:b:t:g:K:S:h")) != -1) {
        switch (opt) {
        case 'e':
            endpoint = optarg;
            break;
        case 'c':
            clients = atoi(optarg);
            break;
        case 'd':
            seconds = atof(optarg);
            break;
        case 'n':
            max_requests = atol(optarg);
            break;
        case 'b':
            batch = atoi(optarg);
            break;
        case 't':
            timeout_ms = atoi(optarg);
            break;
        case 'g':
            suffix = optarg;
            break;
        case 'K':
            key_file = optarg;
            break;
        case 'S':
            server_key_file = optarg;
            break;
        case 'h':
            s_usage(stdout);
            return 0;
        default:
            s_usage(stderr);
            return 2;
        }
    }
    if (clients < 1 || clients > 256 || batch < 1 || batch > S_MAX_BATCH || seconds <= 0 ||
        seconds > 3600 || max_requests < 1 || timeout_ms < 1) {
        fprintf(stderr, "dnsoracle_bench: -c 1-256, -b 1-%d, -d up to 3600, -n and -t positive\n",
                S_MAX_BATCH);
        return 2;
    }
    if (!key_file != !server_key_file) {
        fprintf(stderr, "dnsoracle_bench: -K and -S go together\n");
        return 2;
    }
    char err[4352];
    if (key_file && (curve_load(key_file, true, false, &mine, err, sizeof err) != 0 ||
                     curve_load(server_key_file, false, false, &server, err, sizeof err) != 0)) {
        fprintf(stderr, "dnsoracle_bench: %s\n", err);
        return 2;
    }
    s_names_t names = {0};
    for (int i = optind; i < argc; i++)
        if (lines_each("dnsoracle_bench", argv[i], s_keep_name, &names) != 0)
            return 2;
    if (!suffix && names.count == 0) {
        fprintf(stderr, "dnsoracle_bench: no names (give FILEs or -g SUFFIX)\n");
        return 2;
    }

    void *ctx = zmq_ctx_new();
    s_client_t *cl = calloc((size_t)clients, sizeof *cl);
    pthread_t *th = calloc((size_t)clients, sizeof *th);
    double start = s_now();
    for (int i = 0; i < clients; i++) {
        cl[i] = (s_client_t){ctx,
                             endpoint,
                             &names,
                             suffix,
                             batch,
                             timeout_ms,
                             i,
                             start + seconds,
                             (max_requests + clients - 1) / clients,
                             key_file ? &mine : NULL,
                             key_file ? &server : NULL,
                             calloc(S_BUCKETS, sizeof(uint32_t)),
                             0,
                             0,
                             0,
                             0,
                             0};
        if (!cl[i].hist || pthread_create(&th[i], NULL, s_run, &cl[i]) != 0) {
            fprintf(stderr, "dnsoracle_bench: cannot start client %d\n", i);
            return 2;
        }
    }
    uint64_t *hist = calloc(S_BUCKETS, sizeof *hist), total = 0;
    long timeouts = 0, falses = 0;
    double first = 1e300, last = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join(th[i], NULL);
        for (long b = 0; b < S_BUCKETS; b++)
            hist[b] += cl[i].hist[b];
        total += (uint64_t)cl[i].requests;
        timeouts += cl[i].timeouts;
        falses += cl[i].falses;
        if (cl[i].requests && cl[i].first < first)
            first = cl[i].first;
        if (cl[i].last > last)
            last = cl[i].last;
        free(cl[i].hist);
    }
    double span = total ? last - first : 0;
    printf("clients %d batch %d requests %llu seconds %.2f requests_per_second %.0f "
           "names_per_second %.0f p50_us %ld p99_us %ld p999_us %ld timeouts %ld false %ld\n",
           clients, batch, (unsigned long long)total, span, span > 0 ? (double)total / span : 0,
           span > 0 ? (double)total * batch / span : 0, s_percentile(hist, total, 0.50),
           s_percentile(hist, total, 0.99), s_percentile(hist, total, 0.999), timeouts, falses);
    zmq_ctx_term(ctx);
    free(hist);
    free(cl);
    free(th);
    for (size_t i = 0; i < names.count; i++)
        free(names.names[i]);
    free(names.names);
    return total ? 0 : 1;
}
