/* oracle/daemon/server.c - the ZeroMQ service: its sockets, threads, reload and stop.
 * The proxy is routing.c; the workers only move frames between their REP
 * socket and protocol.c. */
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

#include "actor.h"
#include "fronts.h"
#include "log.h"
#include "protocol.h"
#include "routing.h"
#include "testhook.h"

#define S_REPLY_TIMEOUT ACTOR_TIMEOUT_MS /* ms the main thread waits for a thread's answer */

typedef struct {
    server_t *server;
    unsigned index; /* a worker's, also its reader slot in the listbox */
    actor_t *actor;
    stats_slot_t *stats;
    engine_t *engine; /* the worker's at start; then the last one it confirmed */
    unsigned max_batch;
    uint32_t asked;        /* the number of the command the main thread waits for */
    const char *hang_name; /* testhook.h; NULL but in tests */
    unsigned hang_ms;
} s_thread_t;

/* What "reload" hands a worker. */
typedef struct {
    engine_t *engine;
    unsigned max_batch;
} s_reload_t;

struct server {
    void *ctx;
    /* The clients' sockets are made and bound by server_new(), so that a
     * bind error is reported there; from then on only the proxy thread
     * touches them (pthread_create orders the hand-over) and closes them. */
    routing_fronts_t fronts;
    auth_t *auth; /* the CURVE ROUTER's ZAP handler */
    char endpoints[1024];
    unsigned nworkers;
    s_thread_t proxy;
    s_thread_t *workers;
    engine_t *engine;   /* the engine handed to the workers last */
    engine_t **retired; /* engines replaced, freed once no worker has confirmed them */
    size_t nretired;
    stats_t *stats;
    listbox_t *lists;
    domain_t *domains;
    writer_t *writer;
    bool stopped;
};

static void s_set_int(void *sock, int option, int value)
{
    (void)zmq_setsockopt(sock, option, &value, sizeof value);
}

/* ------------------------------------------------------------------------ */
/* Workers                                                                  */

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

/* testhook.h: a request whose first frame is DNSORACLE_TEST_HANG_NAME keeps
 * the worker away from its socket and its pipe for DNSORACLE_TEST_HANG_MS. */
static void s_test_hang(const s_thread_t *w, zmq_msg_t *frame)
{
    size_t n = strlen(w->hang_name);
    if (zmq_msg_size(frame) == n && memcmp(zmq_msg_data(frame), w->hang_name, n) == 0)
        testhook_sleep(w->hang_ms);
}

/* Serves one request: the proxy's header frame first (routing.h: the frames
 * it counted past the limit and did not forward), then every frame through
 * the worker's protocol_t (protocol.h), then its reply frames go back. A
 * reply the socket refuses leaves the REP socket wanting the rest of it, so
 * the remaining frames are still sent (and fail the same way). */
static void s_serve_request(const s_thread_t *w, void *rep, protocol_t *proto)
{
    uint8_t header[ROUTING_HEADER_SIZE];
    uint32_t overflow;
    int n = zmq_recv(rep, header, sizeof header, 0);
    if (n < 0)
        return;
    if (routing_header_decode(header, (size_t)n, &overflow) != 0 || !s_rcvmore(rep)) {
        /* not from our proxy: it always sends a header and a frame */
        s_drain_parts(rep);
        zmq_send(rep, "", 0, 0);
        return;
    }
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    protocol_begin(proto);
    for (bool first = true;; first = false) {
        if (zmq_msg_recv(&frame, rep, 0) < 0)
            break;
        if (first && w->hang_name)
            s_test_hang(w, &frame);
        protocol_frame(proto, zmq_msg_data(&frame), zmq_msg_size(&frame));
        if (!s_rcvmore(rep))
            break;
    }
    zmq_msg_close(&frame);
    protocol_overflow(proto, overflow);
    size_t nreplies = protocol_end(proto);
    for (size_t i = 0; i < nreplies; i++) {
        size_t len;
        const char *reply = protocol_reply(proto, i, &len);
        if (zmq_send(rep, reply, len, i + 1 < nreplies ? ZMQ_SNDMORE : 0) < 0)
            log_debug("server", "a reply frame could not be sent: %s", zmq_strerror(errno));
    }
    protocol_done(proto);
}

/* The protocol's ways out to the rest of the daemon (protocol_deps_t). */
static void s_keep(void *arg, const name_t *name, size_t registrable)
{
    server_t *sv = arg;
    writer_push(sv->writer, name, registrable);
}

static bool s_event(void *arg, const event_t *e)
{
    server_t *sv = arg;
    return writer_event(sv->writer, e);
}

static size_t s_stats_text(void *arg, char *buf, size_t cap)
{
    server_t *sv = arg;
    char extra[512] = "";
    size_t n[LIST_KINDS] = {0};
    if (sv->lists)
        listbox_sizes(sv->lists, n);
    snprintf(extra, sizeof extra,
             "database %s\nqueue_backlog %zu\ndroplist_entries %zu\nblocklist_entries "
             "%zu\nallowlist_entries %zu\nevents_backlog %zu\n",
             sv->writer ? writer_state(sv->writer) : "disabled",
             sv->writer ? writer_backlog(sv->writer) : 0, n[LIST_DROP], n[LIST_BLOCK],
             n[LIST_ALLOW], sv->writer ? writer_events_backlog(sv->writer) : 0);
    return stats_format(sv->stats, sv->nworkers, extra, buf, cap);
}

/* A worker's command: "reload" takes a new engine and max_batch (the
 * answer confirms that the old engine is no longer used); "stop" ends the
 * loop. Returns false to stop. */
static bool s_worker_command(s_thread_t *w, void *pipe, protocol_t *proto)
{
    actor_cmd_t cmd;
    int rc = actor_recv(pipe, &cmd);
    if (rc != 0)
        return rc > 0; /* a ping, answered; or the pipe failed */
    if (strcmp(cmd.name, "reload") == 0) {
        s_reload_t r;
        if (cmd.len != sizeof r) {
            actor_reply(pipe, &cmd, -EINVAL, NULL, 0);
            return true;
        }
        memcpy(&r, cmd.data, sizeof r);
        w->max_batch = r.max_batch;
        protocol_set_engine(proto, r.engine, r.max_batch);
        actor_reply(pipe, &cmd, 0, NULL, 0);
        return true;
    }
    actor_reply(pipe, &cmd, strcmp(cmd.name, "stop") == 0 ? 0 : -ENOTSUP, NULL, 0);
    return strcmp(cmd.name, "stop") != 0;
}

static void s_worker(void *pipe, void *arg)
{
    s_thread_t *w = arg;
    server_t *server = w->server;
    void *rep = zmq_socket(server->ctx, ZMQ_REP);
    protocol_deps_t deps = {server->lists, w->stats, server->writer ? s_keep : NULL,
                            s_stats_text,  server,   server->domains,
                            NULL,          w->index, server->writer ? s_event : NULL};
    protocol_t *proto = protocol_new(w->engine, w->max_batch, &deps);
    int status = !rep || !proto ? -ENOMEM : 0;
    if (status == 0) {
        s_set_int(rep, ZMQ_LINGER, 0);
        if (zmq_connect(rep, ROUTING_BACKEND) != 0)
            status = -errno;
    }
    if (actor_ready(pipe, status) != 0 || status != 0)
        goto done;
    zmq_pollitem_t items[2] = {{pipe, 0, ZMQ_POLLIN, 0}, {rep, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break; /* context terminated */
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_serve_request(w, rep, proto);
        if ((items[0].revents & ZMQ_POLLIN) && !s_worker_command(w, pipe, proto))
            break;
    }
done:
    if (rep)
        zmq_close(rep);
    protocol_destroy(&proto);
}

/* ------------------------------------------------------------------------ */
/* The main thread's side                                                   */

/* Starts worker `index`, or the proxy (index nworkers). */
static int s_start(server_t *self, s_thread_t *t, unsigned index)
{
    int status;
    t->server = self;
    t->index = index;
    if (index == self->nworkers) {
        t->actor = actor_new(self->ctx, "proxy", routing_proxy, &self->fronts, &status);
    } else {
        char name[32];
        t->hang_name = testhook_text("DNSORACLE_TEST_HANG_NAME");
        t->hang_ms = testhook_ms("DNSORACLE_TEST_HANG_MS");
        snprintf(name, sizeof name, "worker %u", index);
        t->actor = actor_new(self->ctx, name, s_worker, t, &status);
    }
    return t->actor ? 0 : status;
}

int server_check(const config_t *cfg, char *err, size_t errcap)
{
    return fronts_check(cfg, err, errcap);
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
    self->domains = deps->domains;
    self->writer = deps->writer;
    strlcpy(self->endpoints, cfg->server.endpoints, sizeof self->endpoints);
    self->ctx = zmq_ctx_new();
    self->workers = calloc(self->nworkers, sizeof *self->workers);
    if (!self->ctx || !self->workers) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    self->proxy.stats = stats_slot(self->stats, self->nworkers);
    self->fronts =
        (routing_fronts_t){self->ctx, NULL, NULL, NULL, self->proxy.stats, cfg->server.max_batch};
    if (fronts_open(&self->fronts, cfg, deps->auth_stats, &self->auth, err, errcap) != 0)
        goto fail;
    if (s_start(self, &self->proxy, self->nworkers) != 0) {
        snprintf(err, errcap, "cannot start the proxy thread");
        goto fail;
    }
    for (unsigned i = 0; i < self->nworkers; i++) {
        s_thread_t *w = &self->workers[i];
        w->engine = engine;
        w->max_batch = cfg->server.max_batch;
        w->stats = stats_slot(self->stats, i);
        if (s_start(self, w, i) != 0) {
            snprintf(err, errcap, "cannot start worker thread %u", i);
            goto fail;
        }
    }
    return self;
fail:
    server_destroy(&self);
    return NULL;
}

/* Frees the replaced engines that no worker has still confirmed. */
static void s_collect(server_t *self)
{
    size_t kept = 0;
    for (size_t r = 0; r < self->nretired; r++) {
        bool used = false;
        for (unsigned i = 0; i < self->nworkers && !used; i++)
            used = self->workers[i].engine == self->retired[r];
        if (used)
            self->retired[kept++] = self->retired[r];
        else
            engine_destroy(&self->retired[r]);
    }
    self->nretired = kept;
}

int server_reload(server_t *self, engine_t *engine, const config_t *cfg)
{
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of engine pointers
    engine_t **retired = realloc(self->retired, (self->nretired + 1) * sizeof *retired);
    if (!retired) {
        engine_destroy(&engine);
        return -ENOMEM;
    }
    self->retired = retired;
    self->retired[self->nretired++] = self->engine;
    self->engine = engine;
    unsigned limits[2] = {cfg->server.max_batch, cfg->server.max_connections};
    int rc = 0;
    if (actor_ask(self->proxy.actor, "limits", limits, sizeof limits, S_REPLY_TIMEOUT) != 0)
        rc = -ETIMEDOUT;
    /* A worker answers once it no longer uses its old engine; one that does
     * not answer in time keeps its old engine alive (its late answer is
     * dropped: only the answer to this command's number confirms it). */
    s_reload_t r = {engine, cfg->server.max_batch};
    for (unsigned i = 0; i < self->nworkers; i++)
        self->workers[i].asked = actor_send(self->workers[i].actor, "reload", &r, sizeof r);
    for (unsigned i = 0; i < self->nworkers; i++) {
        s_thread_t *w = &self->workers[i];
        if (actor_wait(w->actor, w->asked, S_REPLY_TIMEOUT, NULL, 0, NULL) == 0)
            self->workers[i].engine = engine;
        else
            rc = -ETIMEDOUT;
    }
    s_collect(self);
    return rc;
}

int server_alive(server_t *self, int timeout_ms)
{
    if (self->stopped)
        return -ESHUTDOWN;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    /* every thread is asked at once, then the answers are collected
     * against one deadline */
    unsigned n = self->nworkers + 1;
    for (unsigned i = 0; i < n; i++) {
        s_thread_t *th = i < self->nworkers ? &self->workers[i] : &self->proxy;
        th->asked = actor_send(th->actor, "ping", NULL, 0);
    }
    int rc = 0;
    for (unsigned i = 0; i < n; i++) {
        s_thread_t *th = i < self->nworkers ? &self->workers[i] : &self->proxy;
        clock_gettime(CLOCK_MONOTONIC, &t);
        long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
        if (actor_wait(th->actor, th->asked, timeout_ms - (int)spent, NULL, 0, NULL) != 0) {
            log_warning("server", "%s did not answer within %d ms", actor_name(th->actor),
                        timeout_ms);
            rc = -ETIMEDOUT;
        }
    }
    if (rc == 0 && self->auth)
        rc = auth_alive(self->auth, timeout_ms);
    return rc;
}

void server_stop(server_t *self, int drain_ms)
{
    if (self->stopped)
        return;
    self->stopped = true;
    /* The proxy may take the whole drain time before it answers. If it does
     * not answer even then, it still holds the client sockets (the CURVE one
     * too): the context is shut down, which ends its poll, and it is joined
     * before the CURVE handler goes, so that no CURVE handshake can run
     * without its handler (the handler, its poll ended by the shutdown too,
     * keeps its ZAP socket bound until auth_destroy: a handshake then waits
     * for an answer that never comes, auth.c). test_curve.sh makes the proxy
     * miss its deadline. */
    if (self->proxy.actor && actor_stop(self->proxy.actor, drain_ms, S_REPLY_TIMEOUT) != 0) {
        log_error("server", "the proxy thread did not stop within %d ms", drain_ms);
        zmq_ctx_shutdown(self->ctx);
    }
    if (self->proxy.actor)
        actor_join(self->proxy.actor);
    /* the CURVE socket is closed: its handshakes are over */
    auth_destroy(&self->auth);
    for (unsigned i = 0; i < self->nworkers; i++)
        // NOLINTNEXTLINE(clang-analyzer-core.NullDereference): nworkers > 0 means workers is set
        if (self->workers[i].actor && actor_stop(self->workers[i].actor, 0, S_REPLY_TIMEOUT) != 0)
            log_error("server", "worker %u did not stop", i);
    /* Every thread has left its loop (or is stuck in a poll that the
     * context shutdown below ends): join them all. */
    zmq_ctx_shutdown(self->ctx);
    for (unsigned i = 0; i < self->nworkers; i++)
        if (self->workers[i].actor)
            actor_join(self->workers[i].actor);
}

void server_destroy(server_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    server_t *self = *self_p;
    if (self->ctx)
        server_stop(self, 0);
    actor_destroy(&self->proxy.actor);
    for (unsigned i = 0; self->workers && i < self->nworkers; i++)
        actor_destroy(&self->workers[i].actor);
    fronts_close(&self->fronts); /* when the proxy did not start (it closes them) */
    if (self->ctx)
        zmq_ctx_term(self->ctx);
    free(self->workers);
    for (size_t r = 0; r < self->nretired; r++)
        engine_destroy(&self->retired[r]);
    free(self->retired);
    engine_destroy(&self->engine);
    free(self);
    *self_p = NULL;
}

void *server_context(server_t *self) { return self->ctx; }

unsigned server_threads(const server_t *self) { return self->nworkers; }
