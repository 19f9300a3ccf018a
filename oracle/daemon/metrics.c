/* oracle/daemon/metrics.c - the Prometheus endpoint: GET /metrics over HTTP. */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define S_MAX_CONNECTIONS 16
#define S_TIMEOUT_SECONDS 10
#define S_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
    struct MHD_Daemon *mhd;
    metrics_deps_t deps;
};

/* [metrics] listen as a socket address. Returns 0, or -EINVAL with err. */
static int s_parse(const char *text, struct sockaddr_storage *ss, socklen_t *sslen, bool *loopback,
                   char *err, size_t errcap)
{
    char host[128];
    const char *colon = strrchr(text, ':');
    size_t hlen = colon ? (size_t)(colon - text) : 0;
    bool v6 = text[0] == '[';
    size_t skip = v6 ? 1 : 0; /* the brackets */
    if (v6 && (hlen < 2 || text[hlen - 1] != ']'))
        colon = NULL;
    if (!colon || hlen == 0 || hlen >= sizeof host)
        goto bad;
    memcpy(host, text + skip, hlen - 2 * skip);
    host[hlen - 2 * skip] = '\0';
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 1 || port > 65535)
        goto bad;
    memset(ss, 0, sizeof *ss);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            goto bad;
        *sslen = sizeof *a;
        *loopback = IN6_IS_ADDR_LOOPBACK(&a->sin6_addr) ||
                    (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr) && a->sin6_addr.s6_addr[12] == 127);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            goto bad;
        *sslen = sizeof *a;
        *loopback = (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    return 0;
bad:
    snprintf(err, errcap,
             "[metrics] listen: '%s' is not ADDRESS:PORT (127.0.0.1:9154, [::1]:9154, or empty "
             "for none)",
             text);
    return -EINVAL;
}

int metrics_check(const config_t *cfg, bool *loopback, char *err, size_t errcap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    bool lo = true;
    int rc = cfg->metrics.listen[0] ? s_parse(cfg->metrics.listen, &ss, &len, &lo, err, errcap) : 0;
    if (loopback)
        *loopback = lo;
    return rc;
}

/* Writing the text: one HELP and TYPE pair per metric, then its samples. */
static void s_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void s_gauge(FILE *f, const char *name, const char *help, double value)
{
    s_head(f, name, "gauge", help);
    fprintf(f, "%s %.17g\n", name, value);
}

/* stats_each(): requests, then the verdicts (under one HELP and TYPE), then
 * every other counter as dnsoracle_<key>_total. */
typedef struct {
    FILE *f;
    bool verdicts_done;
} s_out_t;

static void s_counter(void *arg, const stats_counter_t *c)
{
    s_out_t *o = arg;
    if (!c->key) {
        if (!o->verdicts_done) {
            s_head(o->f, "dnsoracle_verdicts_total", "counter",
                   "Verdicts given, by verdict and reason (a series appears at its first count)");
            o->verdicts_done = true;
        }
        /* reasons are the engine's fixed words: nothing to escape */
        fprintf(o->f, "dnsoracle_verdicts_total{verdict=\"%s\",reason=\"%s\"} %llu\n",
                c->good ? "true" : "false", c->reason, (unsigned long long)c->value);
        return;
    }
    char name[96];
    snprintf(name, sizeof name, "dnsoracle_%s%s", c->key, c->gauge ? "" : "_total");
    s_head(o->f, name, c->gauge ? "gauge" : "counter", c->help);
    fprintf(o->f, "%s %llu\n", name, (unsigned long long)c->value);
}

static void s_histogram(FILE *f, stats_t *stats)
{
    static const char *const name = "dnsoracle_request_duration_seconds";
    uint64_t counts[STATS_LATENCY_BOUNDS + 1], sum_ns;
    stats_histogram(stats, counts, &sum_ns);
    s_head(f, name, "histogram", "Time from a request entering the daemon to its reply leaving");
    for (unsigned b = 0; b < STATS_LATENCY_BOUNDS; b++)
        fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, (double)stats_latency_bound_ns[b] / 1e9,
                (unsigned long long)counts[b]);
    fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name,
            (unsigned long long)counts[STATS_LATENCY_BOUNDS]);
    fprintf(f, "%s_sum %.9f\n%s_count %llu\n", name, (double)sum_ns / 1e9, name,
            (unsigned long long)counts[STATS_LATENCY_BOUNDS]);
}

static void s_state(FILE *f, const metrics_deps_t *d)
{
    static const char *const states[] = {"disabled", "idle", "ok", "unavailable"};
    const char *now = d->writer ? writer_state(d->writer) : "disabled";
    s_head(f, "dnsoracle_database_state", "gauge",
           "1 for the database writer's state: disabled, idle (nothing written yet), ok (the last "
           "write succeeded) or unavailable (it failed: names wait in the queue)");
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        fprintf(f, "dnsoracle_database_state{state=\"%s\"} %d\n", states[i],
                !strcmp(now, states[i]));
    s_gauge(f, "dnsoracle_database_up",
            "1 when the database is enabled and its last write did not fail",
            d->writer && strcmp(now, "unavailable") != 0);
    s_gauge(f, "dnsoracle_queue_backlog", "Good names waiting to be written",
            d->writer ? (double)writer_backlog(d->writer) : 0);
    s_gauge(f, "dnsoracle_events_backlog",
            "Event rows (refusals, aggregated) waiting to be written",
            d->writer ? (double)writer_events_backlog(d->writer) : 0);
    size_t sizes[LIST_KINDS] = {0};
    if (d->lists)
        listbox_sizes(d->lists, sizes);
    s_head(f, "dnsoracle_list_entries", "gauge", "Entries of the lists in memory, by kind");
    for (int k = 0; k < LIST_KINDS; k++)
        fprintf(f, "dnsoracle_list_entries{kind=\"%s\"} %zu\n", lists_kind_name((list_kind_t)k),
                sizes[k]);
    s_gauge(f, "dnsoracle_domains", "Domains the domain layer holds",
            d->domains ? (double)domain_count(d->domains) : 0);
    s_gauge(f, "dnsoracle_domain_memory_bound_bytes", "The most memory the domain layer can use",
            d->domains ? (double)domain_memory(d->domains) : 0);
}

char *metrics_text(const metrics_deps_t *d, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        return NULL;
    s_head(f, "dnsoracle_build_info", "gauge", "1, labelled with dnsoracled's version");
    fprintf(f, "dnsoracle_build_info{version=\"%s\"} 1\n", DNSORACLE_VERSION);
    s_gauge(f, "dnsoracle_uptime_seconds", "Seconds since dnsoracled started",
            stats_uptime(d->stats));
    s_gauge(f, "dnsoracle_worker_threads", "Worker threads", d->threads);
    s_out_t o = {f, false};
    stats_each(d->stats, s_counter, &o);
    s_histogram(f, d->stats);
    s_state(f, d);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static enum MHD_Result s_reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
                               enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
    if (!r) {
        if (mode == MHD_RESPMEM_MUST_FREE)
            free(body);
        return MHD_NO;
    }
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            status == MHD_HTTP_OK ? S_CONTENT_TYPE : "text/plain");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* libmicrohttpd's request handler (its thread). HEAD gets the headers of
 * GET: libmicrohttpd leaves the body out. */
static enum MHD_Result s_handler(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    metrics_t *self = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        static char text[] = "method not allowed: GET or HEAD\n";
        return s_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, sizeof text - 1,
                       MHD_RESPMEM_PERSISTENT);
    }
    if (strcmp(url, "/metrics") != 0) {
        static char text[] = "not found: the metrics are at /metrics\n";
        return s_reply(c, MHD_HTTP_NOT_FOUND, text, sizeof text - 1, MHD_RESPMEM_PERSISTENT);
    }
    size_t len = 0;
    char *body = metrics_text(&self->deps, &len);
    if (!body) {
        static char text[] = "out of memory\n";
        return s_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, sizeof text - 1,
                       MHD_RESPMEM_PERSISTENT);
    }
    return s_reply(c, MHD_HTTP_OK, body, len, MHD_RESPMEM_MUST_FREE);
}

/* The listening socket is made here rather than by libmicrohttpd, so that
 * a port already taken is reported with its errno. Returns the socket, or
 * -1 with err. */
static int s_listen(const char *address, char *err, size_t errcap, bool *loopback)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    if (s_parse(address, &ss, &sslen, loopback, err, errcap) != 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        (ss.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) ||
        bind(fd, (struct sockaddr *)&ss, sslen) != 0 || listen(fd, S_MAX_CONNECTIONS) != 0) {
        int e = errno;
        snprintf(err, errcap, "[metrics] listen: cannot listen on %s: %s", address, strerror(e));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

metrics_t *metrics_new(const config_t *cfg, const metrics_deps_t *deps, char *err, size_t errcap)
{
    err[0] = '\0';
    if (!cfg->metrics.listen[0])
        return NULL;
    bool loopback = true;
    int fd = s_listen(cfg->metrics.listen, err, errcap, &loopback);
    if (fd < 0)
        return NULL;
    metrics_t *self = calloc(1, sizeof *self);
    if (!self) {
        close(fd);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    self->deps = *deps;
    self->mhd = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, s_handler, self,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)S_MAX_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)S_TIMEOUT_SECONDS, MHD_OPTION_END);
    if (!self->mhd) {
        /* Whether libmicrohttpd closes the socket it was given when it
         * fails differs between versions, so it is not closed here (no
         * double close); dnsoracled exits next. */
        snprintf(err, errcap, "[metrics] listen: cannot start the HTTP server on %s",
                 cfg->metrics.listen);
        free(self);
        return NULL;
    }
    if (!loopback)
        log_warning("metrics",
                    "serving /metrics on %s, not a loopback address: anyone who can "
                    "reach it sees the traffic's volume (firewall it)",
                    cfg->metrics.listen);
    log_info("metrics", "serving Prometheus metrics at http://%s/metrics", cfg->metrics.listen);
    return self;
}

void metrics_destroy(metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    metrics_t *self = *self_p;
    MHD_stop_daemon(self->mhd); /* stops and joins its thread, closes the socket */
    free(self);
    *self_p = NULL;
}
