/* oracle/server.c - the ZeroMQ service: a proxy and its worker threads.
 * The workers only move frames between their REP socket and protocol.c. */
#include "server.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "log.h"
#include "protocol.h"

#define S_BACKEND "inproc://dnsoracle-workers"
#define S_MAX_FRAME 4096     /* ZMQ_MAXMSGSIZE: larger frames drop the peer */
#define S_REPLY_TIMEOUT 5000 /* ms the main thread waits for a thread's answer */
#define S_GRACE_MS 100       /* ms requests are still taken after "stop" */
#define S_FLUSH_MS 500       /* ms replies may take to leave at close */

typedef struct {
    server_t *server;
    unsigned index;
    pthread_t thread;
    bool started;
    void *ctl;       /* main thread's end of the PAIR */
    char ctl_ep[64]; /* inproc endpoint of the PAIR */
    stats_slot_t *stats;
    engine_t *engine; /* the worker's own pointer; changed only by messages */
    unsigned max_batch;
} s_thread_t;

struct server {
    void *ctx;
    /* The ROUTER is made and bound by server_new(), so that a bind error is
     * reported there; from then on only the proxy thread touches it
     * (pthread_create orders the hand-over) and closes it. */
    void *frontend;
    char endpoints[1024];
    unsigned nworkers;
    s_thread_t proxy;
    s_thread_t *workers;
    engine_t *engine; /* the engine every worker has now */
    stats_t *stats;
    listbox_t *lists;
    writer_t *writer;
    bool stopped;
};

static uint64_t s_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void s_set_int(void *sock, int option, int value)
{
    (void)zmq_setsockopt(sock, option, &value, sizeof value);
}

/* Sends a short string frame; returns 0 or -1. */
static int s_send_str(void *sock, const char *s, int flags)
{
    return zmq_send(sock, s, strlen(s), flags) < 0 ? -1 : 0;
}

/* Receives a short string frame into buf (NUL-terminated); -1 on error. */
static int s_recv_str(void *sock, char *buf, size_t cap)
{
    int n = zmq_recv(sock, buf, cap - 1, 0);
    if (n < 0)
        return -1;
    buf[(size_t)n < cap - 1 ? (size_t)n : cap - 1] = 0;
    return 0;
}

/* Opens the thread's end of its control PAIR and says "ready". */
static void *s_thread_ctl(s_thread_t *t)
{
    void *ctl = zmq_socket(t->server->ctx, ZMQ_PAIR);
    if (ctl) {
        s_set_int(ctl, ZMQ_LINGER, 0);
        if (zmq_connect(ctl, t->ctl_ep) != 0) {
            zmq_close(ctl);
            ctl = NULL;
        }
    }
    return ctl;
}

/* ------------------------------------------------------------------------ */
/* Workers                                                                  */

/* True for endpoints only this host can reach: ipc://, inproc://, and tcp://
 * on 127.0.0.0/8, ::1 or localhost (not "*", not an interface name). */
static bool s_local_endpoint(const char *ep)
{
    if (strncmp(ep, "ipc://", 6) == 0 || strncmp(ep, "inproc://", 9) == 0)
        return true;
    if (strncmp(ep, "tcp://", 6) != 0)
        return false;
    const char *host = ep + 6;
    return strncmp(host, "127.", 4) == 0 || strncmp(host, "[::1]:", 6) == 0 ||
           strncmp(host, "localhost:", 10) == 0;
}

/* Receives the rest of a multipart message and discards it. */
static void s_drain_parts(void *sock)
{
    int more = 1;
    size_t len = sizeof more;
    while (zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len) == 0 && more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, 0) < 0) {
            zmq_msg_close(&m);
            return;
        }
        zmq_msg_close(&m);
    }
}

static int s_rcvmore(void *sock)
{
    int more = 0;
    size_t len = sizeof more;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len);
    return more;
}

/* Serves one request: every frame goes through the worker's protocol_t
 * (protocol.h), then its reply frames go back. */
static void s_serve_request(void *rep, protocol_t *proto)
{
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    if (zmq_msg_recv(&frame, rep, 0) < 0) {
        zmq_msg_close(&frame);
        return;
    }
    protocol_begin(proto);
    for (;;) {
        protocol_frame(proto, zmq_msg_data(&frame), zmq_msg_size(&frame));
        int more = s_rcvmore(rep);
        zmq_msg_close(&frame);
        if (!more)
            break;
        zmq_msg_init(&frame);
        if (zmq_msg_recv(&frame, rep, 0) < 0) {
            zmq_msg_close(&frame);
            break;
        }
    }
    size_t n = protocol_end(proto);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *reply = protocol_reply(proto, i, &len);
        zmq_send(rep, reply, len, i + 1 < n ? ZMQ_SNDMORE : 0);
    }
}

/* The protocol's ways out to the rest of the daemon (protocol_deps_t). */
static void s_keep(void *arg, const name_t *name, size_t registrable)
{
    server_t *sv = arg;
    writer_push(sv->writer, name, registrable);
}

static size_t s_stats_text(void *arg, char *buf, size_t cap)
{
    server_t *sv = arg;
    char extra[512] = "";
    const lists_t *l = sv->lists ? listbox_get(sv->lists) : NULL;
    snprintf(extra, sizeof extra,
             "database %s\nqueue_backlog %zu\ndroplist_entries %zu\nblocklist_entries "
             "%zu\nallowlist_entries %zu\n",
             sv->writer ? writer_state(sv->writer) : "disabled",
             sv->writer ? writer_backlog(sv->writer) : 0, l ? lists_size(l, LIST_DROP) : 0,
             l ? lists_size(l, LIST_BLOCK) : 0, l ? lists_size(l, LIST_ALLOW) : 0);
    return stats_format(sv->stats, sv->nworkers, extra, buf, cap);
}

static void *s_worker(void *arg)
{
    s_thread_t *w = arg;
    server_t *server = w->server;
    void *ctl = s_thread_ctl(w);
    void *rep = zmq_socket(server->ctx, ZMQ_REP);
    protocol_deps_t deps = {server->lists, w->stats, server->writer ? s_keep : NULL, s_stats_text,
                            server};
    protocol_t *proto = protocol_new(w->engine, w->max_batch, &deps);
    if (!ctl || !rep || !proto)
        goto done;
    s_set_int(rep, ZMQ_LINGER, 0);
    if (zmq_connect(rep, S_BACKEND) != 0)
        goto done;
    s_send_str(ctl, "ready", 0);
    zmq_pollitem_t items[2] = {{ctl, 0, ZMQ_POLLIN, 0}, {rep, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break; /* context terminated */
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_serve_request(rep, proto);
        if (items[0].revents & ZMQ_POLLIN) {
            char cmd[16];
            if (s_recv_str(ctl, cmd, sizeof cmd) != 0)
                break;
            if (strcmp(cmd, "reload") == 0) {
                engine_t *e = NULL;
                unsigned batch = 0;
                // NOLINTNEXTLINE(bugprone-sizeof-expression): the pointer itself is sent
                zmq_recv(ctl, &e, sizeof e, 0);
                zmq_recv(ctl, &batch, sizeof batch, 0);
                w->engine = e; // NOLINT(clang-analyzer-core.uninitialized.Assign): set by zmq_recv
                w->max_batch = batch;
                protocol_set_engine(proto, e, batch);
                s_send_str(ctl, "ok", 0);
            } else if (strcmp(cmd, "stop") == 0) {
                s_send_str(ctl, "ok", 0);
                break;
            }
        }
    }
done:
    if (rep)
        zmq_close(rep);
    if (ctl)
        zmq_close(ctl);
    protocol_destroy(&proto);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The proxy                                                                */

/* Moves one request ROUTER -> DEALER as [id][t0][envelope...][""][frames...].
 * The envelope is what a client puts before the empty delimiter: nothing
 * for a plain REQ socket, a request id with ZMQ_REQ_CORRELATE. Returns 1 if
 * a request was forwarded, 0 if it was malformed (no delimiter, or nothing
 * after it) and dropped, -1 when nothing could be read. */
#define S_MAX_ENVELOPE 4
static int s_forward_request(s_thread_t *p, void *front, void *back, int flags)
{
    zmq_msg_t id, env[S_MAX_ENVELOPE + 1], m;
    int nenv = 0;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, front, flags) < 0) {
        zmq_msg_close(&id);
        return -1;
    }
    bool delimited = false;
    while (nenv <= S_MAX_ENVELOPE && s_rcvmore(front)) {
        zmq_msg_init(&env[nenv]);
        if (zmq_msg_recv(&env[nenv], front, 0) < 0) {
            zmq_msg_close(&env[nenv]);
            break;
        }
        nenv++;
        if (zmq_msg_size(&env[nenv - 1]) == 0) {
            delimited = true;
            break;
        }
    }
    if (!delimited || !s_rcvmore(front)) {
        s_drain_parts(front);
        for (int i = 0; i < nenv; i++)
            zmq_msg_close(&env[i]);
        zmq_msg_close(&id);
        stats_add(p->stats, STAT_MALFORMED, 1);
        return 0;
    }
    uint64_t t0 = s_now_ns();
    zmq_msg_send(&id, back, ZMQ_SNDMORE);
    zmq_send(back, &t0, sizeof t0, ZMQ_SNDMORE);
    for (int i = 0; i < nenv; i++)
        zmq_msg_send(&env[i], back, ZMQ_SNDMORE); /* ends with the delimiter */
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, front, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        int more = s_rcvmore(front);
        zmq_msg_send(&m, back, more ? ZMQ_SNDMORE : 0);
        if (!more)
            break;
    }
    return 1;
}

/* Moves one reply DEALER -> ROUTER, taking the time stamp out. */
static void s_forward_reply(s_thread_t *p, void *back, void *front)
{
    zmq_msg_t id, stamp, m;
    zmq_msg_init(&id);
    zmq_msg_init(&stamp);
    if (zmq_msg_recv(&id, back, 0) < 0 || zmq_msg_recv(&stamp, back, 0) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&stamp);
        return;
    }
    uint64_t t0 = 0;
    if (zmq_msg_size(&stamp) == sizeof t0)
        memcpy(&t0, zmq_msg_data(&stamp), sizeof t0);
    zmq_msg_close(&stamp);
    zmq_msg_send(&id, front, ZMQ_SNDMORE);
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, back, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        int more = s_rcvmore(back);
        zmq_msg_send(&m, front, more ? ZMQ_SNDMORE : 0);
        if (!more)
            break;
    }
    stats_add(p->stats, STAT_REQUESTS, 1);
    if (t0)
        stats_latency(p->stats, s_now_ns() - t0);
}

static void *s_proxy(void *arg)
{
    s_thread_t *p = arg;
    server_t *server = p->server;
    void *front = server->frontend;
    void *ctl = s_thread_ctl(p);
    void *back = zmq_socket(server->ctx, ZMQ_DEALER);
    if (!ctl || !back)
        goto done;
    s_set_int(back, ZMQ_LINGER, 0);
    if (zmq_bind(back, S_BACKEND) != 0)
        goto done;
    s_send_str(ctl, "ready", 0);

    /* Stopping has two phases. For S_GRACE_MS after "stop" requests are
     * still taken, so that everything a client sent before the signal
     * reached us is in; then reading stops, and the loop goes on until every
     * request taken has been answered or the drain deadline passes. */
    uint64_t in_flight = 0, stop_reading = 0, deadline = 0;
    bool stopping = false;
    zmq_pollitem_t items[3] = {
        {ctl, 0, ZMQ_POLLIN, 0}, {back, 0, ZMQ_POLLIN, 0}, {front, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        uint64_t now = s_now_ns();
        bool reading = !stopping || now < stop_reading;
        int timeout = -1;
        if (stopping) {
            if ((!reading && in_flight == 0) || now >= deadline)
                break;
            uint64_t until = reading ? stop_reading : deadline;
            timeout = (int)((until - now) / 1000000u) + 1;
        }
        if (zmq_poll(items, reading ? 3 : 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            s_forward_reply(p, back, front);
            in_flight--;
        }
        if (reading && (items[2].revents & ZMQ_POLLIN))
            in_flight += s_forward_request(p, front, back, 0) == 1;
        if (!stopping && (items[0].revents & ZMQ_POLLIN)) {
            char cmd[16];
            int drain_ms = 0;
            if (s_recv_str(ctl, cmd, sizeof cmd) != 0)
                break;
            zmq_recv(ctl, &drain_ms, sizeof drain_ms, 0);
            stopping = true;
            uint64_t t = s_now_ns();
            stop_reading = t + (uint64_t)(drain_ms < S_GRACE_MS ? drain_ms : S_GRACE_MS) * 1000000u;
            deadline = t + (uint64_t)drain_ms * 1000000u;
        }
    }
    if (in_flight)
        log_warning("server", "stopped with %llu requests unanswered (drain deadline)",
                    (unsigned long long)in_flight);
    /* The replies just sent may still be in ZeroMQ's queues: give them a
     * bounded time to reach the clients. */
    s_set_int(front, ZMQ_LINGER, S_FLUSH_MS);
    zmq_close(front);
    server->frontend = NULL;
    s_send_str(ctl, "ok", 0);
done:
    if (back)
        zmq_close(back);
    if (ctl)
        zmq_close(ctl);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The main thread's side                                                   */

static int s_start(server_t *self, s_thread_t *t, unsigned index, void *(*fn)(void *))
{
    t->server = self;
    t->index = index;
    snprintf(t->ctl_ep, sizeof t->ctl_ep, "inproc://dnsoracle-ctl-%u", index);
    t->ctl = zmq_socket(self->ctx, ZMQ_PAIR);
    if (!t->ctl)
        return -ENOMEM;
    s_set_int(t->ctl, ZMQ_LINGER, 0);
    s_set_int(t->ctl, ZMQ_RCVTIMEO, S_REPLY_TIMEOUT);
    s_set_int(t->ctl, ZMQ_SNDTIMEO, S_REPLY_TIMEOUT);
    if (zmq_bind(t->ctl, t->ctl_ep) != 0)
        return -errno;
    if (pthread_create(&t->thread, NULL, fn, t) != 0)
        return -EAGAIN;
    t->started = true;
    char msg[16];
    if (s_recv_str(t->ctl, msg, sizeof msg) != 0 || strcmp(msg, "ready") != 0)
        return -EIO;
    return 0;
}

unsigned server_threads_for(const config_t *cfg)
{
    if (cfg->server.threads)
        return cfg->server.threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

server_t *server_new(const config_t *cfg, engine_t *engine, const server_deps_t *deps, char *err,
                     size_t errcap)
{
    server_t *self = calloc(1, sizeof *self);
    if (!self) {
        engine_destroy(&engine);
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    self->engine = engine;
    self->nworkers = server_threads_for(cfg);
    self->stats = deps->stats;
    self->lists = deps->lists;
    self->writer = deps->writer;
    strlcpy(self->endpoints, cfg->server.endpoints, sizeof self->endpoints);
    self->ctx = zmq_ctx_new();
    self->workers = calloc(self->nworkers, sizeof *self->workers);
    if (!self->ctx || !self->workers) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    self->frontend = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->frontend) {
        snprintf(err, errcap, "cannot create the socket: %s", zmq_strerror(errno));
        goto fail;
    }
    s_set_int(self->frontend, ZMQ_LINGER, 0);
    int64_t maxsize = S_MAX_FRAME;
    zmq_setsockopt(self->frontend, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
    char eps[sizeof self->endpoints], *save = NULL;
    strlcpy(eps, self->endpoints, sizeof eps);
    unsigned bound = 0;
    for (char *e = strtok_r(eps, " ,\t", &save); e; e = strtok_r(NULL, " ,\t", &save)) {
        if (!s_local_endpoint(e)) {
            snprintf(err, errcap,
                     "%s: not a loopback or ipc endpoint: anyone who reaches it could ask and "
                     "nothing authenticates them (CURVE is not in this release); bind "
                     "127.0.0.1, [::1] or ipc://, and run one dnsoracled per resolver host",
                     e);
            goto fail;
        }
        if (zmq_bind(self->frontend, e) != 0) {
            snprintf(err, errcap, "cannot bind %s: %s", e, zmq_strerror(errno));
            goto fail;
        }
        bound++;
    }
    if (bound == 0) {
        snprintf(err, errcap, "no endpoints configured ([server] endpoints)");
        goto fail;
    }
    self->proxy.stats = stats_slot(self->stats, self->nworkers);
    if (s_start(self, &self->proxy, 0, s_proxy) != 0) {
        snprintf(err, errcap, "cannot start the proxy thread");
        goto fail;
    }
    for (unsigned i = 0; i < self->nworkers; i++) {
        s_thread_t *w = &self->workers[i];
        w->engine = engine;
        w->max_batch = cfg->server.max_batch;
        w->stats = stats_slot(self->stats, i);
        if (s_start(self, w, i + 1, s_worker) != 0) {
            snprintf(err, errcap, "cannot start worker thread %u", i);
            goto fail;
        }
    }
    return self;
fail:
    server_destroy(&self);
    return NULL;
}

/* Sends a command to a thread and waits for its "ok". */
static int s_ask(s_thread_t *t, const char *cmd, const void *a, size_t alen, const void *b,
                 size_t blen)
{
    char reply[16];
    if (s_send_str(t->ctl, cmd, a ? ZMQ_SNDMORE : 0) != 0)
        return -ETIMEDOUT;
    if (a && zmq_send(t->ctl, a, alen, b ? ZMQ_SNDMORE : 0) < 0)
        return -ETIMEDOUT;
    if (b && zmq_send(t->ctl, b, blen, 0) < 0)
        return -ETIMEDOUT;
    if (s_recv_str(t->ctl, reply, sizeof reply) != 0 || strcmp(reply, "ok") != 0)
        return -ETIMEDOUT;
    return 0;
}

int server_reload(server_t *self, engine_t *engine, const config_t *cfg)
{
    unsigned batch = cfg->server.max_batch;
    int rc = 0;
    for (unsigned i = 0; i < self->nworkers; i++)
        if (s_ask(&self->workers[i], "reload", &engine,
                  sizeof engine, // NOLINT: the pointer is sent
                  &batch, sizeof batch) != 0)
            rc = -ETIMEDOUT;
    if (rc == 0)
        engine_destroy(&self->engine);
    self->engine = engine;
    return rc;
}

void server_stop(server_t *self, int drain_ms)
{
    if (self->stopped)
        return;
    self->stopped = true;
    if (self->proxy.started) {
        /* the proxy may need the whole drain time before it answers */
        s_set_int(self->proxy.ctl, ZMQ_RCVTIMEO, drain_ms + S_REPLY_TIMEOUT);
        if (s_ask(&self->proxy, "stop", &drain_ms, sizeof drain_ms, NULL, 0) != 0)
            log_error("server", "the proxy thread did not stop");
    }
    for (unsigned i = 0; i < self->nworkers; i++)
        // NOLINTNEXTLINE(clang-analyzer-core.NullDereference): nworkers > 0 means workers is set
        if (self->workers[i].started && s_ask(&self->workers[i], "stop", NULL, 0, NULL, 0) != 0)
            log_error("server", "worker %u did not stop", i);
    /* Every thread has left its loop (or is stuck in a poll that the
     * context shutdown below ends): join them all. */
    zmq_ctx_shutdown(self->ctx);
    if (self->proxy.started)
        pthread_join(self->proxy.thread, NULL);
    for (unsigned i = 0; i < self->nworkers; i++)
        if (self->workers[i].started)
            pthread_join(self->workers[i].thread, NULL);
    self->proxy.started = false;
    for (unsigned i = 0; i < self->nworkers; i++)
        self->workers[i].started = false;
}

void server_destroy(server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    server_t *self = *self_p;
    if (self->ctx)
        server_stop(self, 0);
    if (self->proxy.ctl)
        zmq_close(self->proxy.ctl);
    for (unsigned i = 0; self->workers && i < self->nworkers; i++)
        if (self->workers[i].ctl)
            zmq_close(self->workers[i].ctl);
    if (self->frontend)
        zmq_close(self->frontend);
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self->workers);
    engine_destroy(&self->engine);
    free(self);
    *self_p = NULL;
}

void *server_context(server_t *self) { return self->ctx; }

unsigned server_threads(const server_t *self) { return self->nworkers; }
