/* oracle/daemon/server.c - the ZeroMQ service: a proxy and its worker threads.
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

#include "actor.h"
#include "auth.h"
#include "curve.h"
#include "front.h"
#include "log.h"
#include "protocol.h"
#include "wire_limits.h"
#include "zmtp.h"

#define S_BACKEND "inproc://dnsoracle-workers"
#define S_MAX_IN_FLIGHT 512   /* requests with the workers before clients wait */
#define S_CHUNK_REQUESTS 2048 /* requests one 8 KiB chunk can hold (4 bytes each) */
#define S_BACK_HWM (4 * (S_MAX_IN_FLIGHT + S_CHUNK_REQUESTS)) /* proxy <-> workers */
#define S_REPLY_TIMEOUT ACTOR_TIMEOUT_MS /* ms the main thread waits for a thread's answer */
#define S_GRACE_MS 100                   /* ms requests are still taken after "stop" */
#define S_FLUSH_MS 500                   /* ms replies may take to leave at close */

typedef struct {
    server_t *server;
    unsigned index; /* a worker's, also its reader slot in the listbox */
    actor_t *actor;
    stats_slot_t *stats;
    engine_t *engine; /* the worker's at start; then the last one it confirmed */
    unsigned max_batch;
    uint32_t asked; /* the number of the command the main thread waits for */
} s_thread_t;

/* What "reload" hands a worker. */
typedef struct {
    engine_t *engine;
    unsigned max_batch;
} s_reload_t;

struct server {
    void *ctx;
    /* The ROUTER is made and bound by server_new(), so that a bind error is
     * reported there; from then on only the proxy thread touches it
     * (pthread_create orders the hand-over) and closes it. */
    void *frontend;
    void *curve_front;     /* the CURVE endpoints' ROUTER, or NULL; as frontend */
    front_t *stream_front; /* the plaintext tcp:// endpoints, or NULL; as frontend */
    auth_t *auth;          /* its ZAP handler */
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

/* zmq_msg_send, closing the message when it could not be sent (a failed
 * send leaves it the caller's). Returns 0 or -1. */
static int s_msg_send(zmq_msg_t *m, void *sock, int flags)
{
    if (zmq_msg_send(m, sock, flags) >= 0)
        return 0;
    zmq_msg_close(m);
    return -1;
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

/* Serves one request: the proxy's header frame first (S_HEADER: frames the
 * STREAM front counted past max_batch and did not forward), then every
 * frame through the worker's protocol_t (protocol.h), then its reply frames
 * go back. A reply the socket refuses leaves the REP socket wanting the rest
 * of it, so the remaining frames are still sent (and fail the same way). */
static void s_serve_request(void *rep, protocol_t *proto)
{
    uint32_t overflow = 0;
    int n = zmq_recv(rep, &overflow, sizeof overflow, 0);
    if (n < 0)
        return;
    if (n != (int)sizeof overflow || !s_rcvmore(rep)) {
        /* not from our proxy: it always sends a header and a frame */
        s_drain_parts(rep);
        overflow = 0;
        zmq_send(rep, "", 0, 0);
        return;
    }
    zmq_msg_t frame;
    zmq_msg_init(&frame);
    protocol_begin(proto);
    for (;;) {
        if (zmq_msg_recv(&frame, rep, 0) < 0)
            break;
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
        if (zmq_connect(rep, S_BACKEND) != 0)
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
            s_serve_request(rep, proto);
        if ((items[0].revents & ZMQ_POLLIN) && !s_worker_command(w, pipe, proto))
            break;
    }
done:
    if (rep)
        zmq_close(rep);
    protocol_destroy(&proto);
}

/* ------------------------------------------------------------------------ */
/* The proxy                                                                */

/* Where a request came in, kept in its stamp so the reply goes back there. */
enum { S_VIA_ROUTER, S_VIA_CURVE, S_VIA_STREAM, S_VIAS };

/* The stamp the proxy puts after the id of every request it forwards, and
 * the REP socket hands back with the reply: when it arrived and which socket
 * it came from. */
typedef struct {
    uint64_t t0;
    uint8_t via;
} s_stamp_t;

static int s_send_stamp(void *back, s_stamp_t st)
{
    uint8_t b[9];
    memcpy(b, &st.t0, 8);
    b[8] = st.via;
    return zmq_send(back, b, sizeof b, ZMQ_SNDMORE) < 0 ? -1 : 0;
}

/* The header frame that starts the body of every request the workers get:
 * the frames the STREAM front counted past max_batch and did not forward
 * (0 from a ROUTER, which forwards every frame); protocol.c answers them. */
static int s_send_header(void *back, uint32_t overflow)
{
    return zmq_send(back, &overflow, sizeof overflow, ZMQ_SNDMORE) < 0 ? -1 : 0;
}

/* Moves one request ROUTER -> DEALER as
 * [id][stamp][envelope...][""][header][frames...].
 * The envelope is what a client puts before the empty delimiter: nothing
 * for a plain REQ socket, a request id with ZMQ_REQ_CORRELATE. Returns 1 if
 * a request was forwarded, 0 if it was malformed (no delimiter, or nothing
 * after it) and dropped, -1 when nothing could be read. */
static int s_forward_request(s_thread_t *p, void *front, uint8_t via, void *back)
{
    zmq_msg_t id, env[ZMTP_MAX_ENVELOPE + 1], m;
    int nenv = 0;
    zmq_msg_init(&id);
    if (zmq_msg_recv(&id, front, 0) < 0) {
        zmq_msg_close(&id);
        return -1;
    }
    bool delimited = false;
    while (nenv <= ZMTP_MAX_ENVELOPE && s_rcvmore(front)) {
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
    /* The backend's queue is sized for every request in flight, so a send
     * fails only when the context ends; what is left is then closed. */
    int failed = s_msg_send(&id, back, ZMQ_SNDMORE);
    failed |= s_send_stamp(back, (s_stamp_t){s_now_ns(), via});
    for (int i = 0; i < nenv; i++) /* ends with the delimiter */
        failed |= failed ? (zmq_msg_close(&env[i]), -1) : s_msg_send(&env[i], back, ZMQ_SNDMORE);
    failed |= failed ? -1 : s_send_header(back, 0);
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, front, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        int more = s_rcvmore(front);
        failed |= failed ? (zmq_msg_close(&m), -1) : s_msg_send(&m, back, more ? ZMQ_SNDMORE : 0);
        if (!more)
            break;
    }
    return failed ? 0 : 1;
}

/* The proxy thread's own state. */
typedef struct {
    s_thread_t *thread;
    void *back;
    void *routers[2]; /* S_VIA_ROUTER, S_VIA_CURVE (or NULL) */
    front_t *front;   /* S_VIA_STREAM (or NULL) */
    uint64_t in_flight;
    uint8_t *reply; /* a STREAM reply being framed */
    size_t reply_cap;
} s_proxy_t;

/* A request from the STREAM front (front.h), already parsed and bounded:
 * on to the workers as a ROUTER's would go. */
static void s_front_request(void *arg, const uint8_t *id, const zmtp_request_t *r)
{
    s_proxy_t *px = arg;
    stats_slot_t *stats = px->thread->stats;
    if (r->malformed) {
        stats_add(stats, STAT_MALFORMED, 1);
        return;
    }
    /* the frames past max_batch are counted and answered by the worker */
    if (zmq_send(px->back, id, FRONT_ID, ZMQ_SNDMORE) < 0 ||
        s_send_stamp(px->back, (s_stamp_t){s_now_ns(), S_VIA_STREAM}) != 0)
        return;
    for (unsigned i = 0; i < r->nenvelope; i++)
        if (zmq_send(px->back, r->envelope[i].data, r->envelope[i].len, ZMQ_SNDMORE) < 0)
            return;
    if (zmq_send(px->back, "", 0, ZMQ_SNDMORE) < 0 || s_send_header(px->back, r->overflow) != 0)
        return;
    for (unsigned i = 0; i < r->nframes; i++)
        if (zmq_send(px->back, r->frames[i].data, r->frames[i].len,
                     i + 1 < r->nframes ? ZMQ_SNDMORE : 0) < 0)
            return;
    px->in_flight++; /* (not malformed: at least one frame, as max_batch >= 1) */
}

/* Appends one frame (header and bytes) to the STREAM reply being built. */
static int s_reply_frame(s_proxy_t *px, size_t *len, const void *data, size_t size, bool more)
{
    if (!px->reply || *len + ZMTP_MAX_HEADER + size > px->reply_cap) {
        size_t cap = px->reply_cap ? px->reply_cap : 4096;
        while (cap < *len + ZMTP_MAX_HEADER + size)
            cap *= 2;
        uint8_t *r = realloc(px->reply, cap);
        if (!r)
            return -1;
        px->reply = r;
        px->reply_cap = cap;
    }
    *len += zmtp_header(px->reply + *len, size, more);
    memcpy(px->reply + *len, data, size);
    *len += size;
    return 0;
}

/* Moves one reply DEALER -> the socket its request came from, taking the
 * stamp out; for the STREAM front the frames are written in ZMTP. */
static void s_forward_reply(s_proxy_t *px)
{
    zmq_msg_t id, stamp, m;
    void *back = px->back;
    zmq_msg_init(&id);
    zmq_msg_init(&stamp);
    if (zmq_msg_recv(&id, back, 0) < 0 || zmq_msg_recv(&stamp, back, 0) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&stamp);
        return;
    }
    s_stamp_t st = {0, S_VIA_ROUTER};
    if (zmq_msg_size(&stamp) == 9) {
        const uint8_t *b = zmq_msg_data(&stamp);
        memcpy(&st.t0, b, 8);
        st.via = b[8] < S_VIAS ? b[8] : S_VIA_ROUTER;
    }
    zmq_msg_close(&stamp);
    bool stream = st.via == S_VIA_STREAM && px->front;
    void *to = stream ? NULL : px->routers[st.via == S_VIA_CURVE];
    size_t len = 0;
    bool oom = false;
    /* a ROUTER drops what it cannot route; a send fails only at the end */
    bool failed = !stream && s_msg_send(&id, to, ZMQ_SNDMORE) != 0;
    for (;;) {
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, back, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        int more = s_rcvmore(back);
        if (!stream) {
            if (failed)
                zmq_msg_close(&m);
            else
                failed = s_msg_send(&m, to, more ? ZMQ_SNDMORE : 0) != 0;
        } else {
            if (!oom)
                oom = s_reply_frame(px, &len, zmq_msg_data(&m), zmq_msg_size(&m), more) != 0;
            zmq_msg_close(&m);
        }
        if (!more)
            break;
    }
    if (stream) {
        if (!oom && zmq_msg_size(&id) == FRONT_ID)
            front_send(px->front, zmq_msg_data(&id), px->reply, len);
        zmq_msg_close(&id);
        if (px->reply_cap > (1u << 20)) { /* a big reply: give the memory back */
            free(px->reply);
            px->reply = NULL;
            px->reply_cap = 0;
        }
    }
    stats_add(px->thread->stats, STAT_REQUESTS, 1);
    if (st.t0)
        stats_latency(px->thread->stats, s_now_ns() - st.t0);
}

/* A command from the main thread: "limits" (SIGHUP: max_batch for new
 * connections, and max_connections) is done here; returns the drain time in ms for "stop" (kept
 * in *stop, answered when the proxy is done), -1 after "batch" or a ping,
 * -2 when the pipe failed. */
static int s_proxy_command(s_proxy_t *px, void *pipe, actor_cmd_t *stop)
{
    actor_cmd_t cmd;
    int rc = actor_recv(pipe, &cmd), value = 0;
    if (rc != 0)
        return rc > 0 ? -1 : -2;
    if (cmd.len == sizeof value)
        memcpy(&value, cmd.data, sizeof value);
    if (strcmp(cmd.name, "stop") == 0) {
        *stop = cmd;
        return value < 0 ? 0 : value;
    }
    unsigned limits[2]; /* max_batch, max_connections */
    if (strcmp(cmd.name, "limits") == 0 && cmd.len == sizeof limits) {
        memcpy(limits, cmd.data, sizeof limits);
        if (px->front) {
            front_set_max_batch(px->front, limits[0]);
            front_set_max_connections(px->front, limits[1]);
        }
        actor_reply(pipe, &cmd, 0, NULL, 0);
    } else {
        actor_reply(pipe, &cmd, -EINVAL, NULL, 0);
    }
    return -1;
}

static void s_proxy(void *ctl, void *arg)
{
    s_thread_t *p = arg;
    server_t *server = p->server;
    s_proxy_t px = {p,    NULL, {server->frontend, server->curve_front}, server->stream_front, 0,
                    NULL, 0};
    actor_cmd_t stop = {0};
    px.back = zmq_socket(server->ctx, ZMQ_DEALER);
    if (!px.back) {
        actor_ready(ctl, -ENOMEM);
        return;
    }
    s_set_int(px.back, ZMQ_LINGER, 0);
    /* At most S_MAX_IN_FLIGHT requests are with the workers when the
     * clients' sockets are read, and one read may bring a whole chunk of
     * small requests (S_CHUNK_REQUESTS): the queues to and from the workers
     * must hold all of them, or a REP socket drops a reply. */
    s_set_int(px.back, ZMQ_SNDHWM, S_BACK_HWM);
    s_set_int(px.back, ZMQ_RCVHWM, S_BACK_HWM);
    int status = zmq_bind(px.back, S_BACKEND) == 0 ? 0 : -errno;
    if (actor_ready(ctl, status) != 0 || status != 0)
        goto done;

    /* ctl, back, then the sockets clients reach, with where they are */
    zmq_pollitem_t items[2 + S_VIAS] = {{ctl, 0, ZMQ_POLLIN, 0}, {px.back, 0, ZMQ_POLLIN, 0}};
    uint8_t via[2 + S_VIAS];
    int nitems = 2;
    for (int v = 0; v < 2; v++)
        if (px.routers[v]) {
            via[nitems] = (uint8_t)v;
            items[nitems++] = (zmq_pollitem_t){px.routers[v], 0, ZMQ_POLLIN, 0};
        }
    if (px.front) {
        via[nitems] = S_VIA_STREAM;
        items[nitems++] = (zmq_pollitem_t){front_socket(px.front), 0, ZMQ_POLLIN, 0};
    }

    /* Stopping has two phases. For S_GRACE_MS after "stop" requests are
     * still taken, so that everything a client sent before the signal
     * reached us is in; then reading stops, and the loop goes on until every
     * request taken has been answered or the drain deadline passes. */
    uint64_t stop_reading = 0, deadline = 0;
    bool stopping = false;
    for (;;) {
        uint64_t now = s_now_ns();
        bool reading = !stopping || now < stop_reading;
        /* replies waiting for room in a slow client's queue: retry soon */
        int timeout = px.front && front_pending(px.front) ? 1 : -1;
        if (stopping) {
            if ((!reading && px.in_flight == 0) || now >= deadline)
                break;
            uint64_t until = reading ? stop_reading : deadline;
            int left = (int)((until - now) / 1000000u) + 1;
            if (timeout < 0 || left < timeout)
                timeout = left;
        }
        /* with S_MAX_IN_FLIGHT requests out, only replies are read */
        bool taking = reading && px.in_flight < S_MAX_IN_FLIGHT;
        if (zmq_poll(items, taking ? nitems : 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            s_forward_reply(&px);
            px.in_flight--;
        }
        if (px.front && front_pending(px.front))
            front_flush(px.front);
        for (int i = 2; taking && i < nitems; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            if (via[i] == S_VIA_STREAM)
                front_read(px.front, s_front_request, &px);
            else
                px.in_flight += s_forward_request(p, items[i].socket, via[i], px.back) == 1;
        }
        int drain =
            !stopping && (items[0].revents & ZMQ_POLLIN) ? s_proxy_command(&px, ctl, &stop) : -1;
        if (drain == -2)
            break;
        if (drain >= 0) { /* "stop" */
            stopping = true;
            uint64_t t = s_now_ns();
            stop_reading = t + (uint64_t)(drain < S_GRACE_MS ? drain : S_GRACE_MS) * 1000000u;
            deadline = t + (uint64_t)drain * 1000000u;
        }
    }
    if (px.in_flight)
        log_warning("server", "stopped with %llu requests unanswered (drain deadline)",
                    (unsigned long long)px.in_flight);
    /* The replies just sent may still be in ZeroMQ's queues: give them a
     * bounded time to reach the clients. */
    for (int v = 0; v < 2; v++)
        if (px.routers[v]) {
            s_set_int(px.routers[v], ZMQ_LINGER, S_FLUSH_MS);
            zmq_close(px.routers[v]);
        }
    server->frontend = server->curve_front = NULL;
    front_destroy(&server->stream_front, S_FLUSH_MS);
    if (stopping)
        actor_reply(ctl, &stop, 0, NULL, 0);
done:
    free(px.reply);
    zmq_close(px.back);
}

/* ------------------------------------------------------------------------ */
/* The main thread's side                                                   */

static int s_start(server_t *self, s_thread_t *t, unsigned index, actor_fn *fn)
{
    char name[32];
    int status;
    t->server = self;
    t->index = index;
    snprintf(name, sizeof name, fn == s_proxy ? "proxy" : "worker %u", index);
    t->actor = actor_new(self->ctx, name, fn, t, &status);
    return t->actor ? 0 : status;
}

/* Binds every endpoint of the list `eps` on sock, counting them in *bound. */
static int s_bind_all(void *sock, const char *eps, unsigned *bound, char *err, size_t errcap)
{
    char list[1024], *save = NULL;
    strlcpy(list, eps, sizeof list);
    for (char *e = strtok_r(list, " ,\t", &save); e; e = strtok_r(NULL, " ,\t", &save)) {
        if (zmq_bind(sock, e) != 0) {
            snprintf(err, errcap, "cannot bind %s: %s", e, zmq_strerror(errno));
            return -errno;
        }
        (*bound)++;
    }
    return 0;
}

/* The message for an endpoint other hosts could reach in [server] endpoints. */
static void s_not_local(const char *e, char *err, size_t errcap)
{
    snprintf(err, errcap,
             "%s: not a loopback or ipc endpoint, and [server] endpoints are not "
             "authenticated: list it in curve_endpoints (ZeroMQ CURVE, with curve_secret_key and "
             "curve_clients) so that only resolvers whose key you allowed can ask",
             e);
}

/* The oracle's CURVE key pair into *keys, and its clients directory
 * readable (unreadable later, it would refuse every client). */
static int s_curve_keys(const config_t *cfg, curve_keys_t *keys, char *err, size_t errcap)
{
    char why[512];
    int rc = curve_load(cfg->server.curve_secret_key, true, true, keys, why, sizeof why);
    if (rc != 0) {
        snprintf(err, errcap, "[server] curve_secret_key: %s", why);
        return rc;
    }
    uint8_t none[32] = {0};
    char who[8];
    rc = curve_find_client(cfg->server.curve_clients, none, who, sizeof who);
    if (rc < 0) {
        snprintf(err, errcap, "[server] curve_clients: %s: %s", cfg->server.curve_clients,
                 strerror(-rc));
        explicit_bzero(keys, sizeof *keys);
        return rc;
    }
    return 0;
}

int server_check(const config_t *cfg, char *err, size_t errcap)
{
    char list[sizeof cfg->server.endpoints], *save = NULL;
    strlcpy(list, cfg->server.endpoints, sizeof list);
    for (char *e = strtok_r(list, " ,\t", &save); e; e = strtok_r(NULL, " ,\t", &save))
        if (!s_local_endpoint(e)) {
            s_not_local(e, err, errcap);
            return -EPERM;
        }
    const char *ctl = cfg->server.control_endpoint;
    if (ctl[0] && !s_local_endpoint(ctl)) {
        snprintf(err, errcap,
                 "[server] control_endpoint %s: operator commands must stay on this host: use "
                 "an ipc:// socket (its file mode decides who may send them)",
                 ctl);
        return -EPERM;
    }
    if (cfg->server.curve_endpoints[0]) {
        curve_keys_t keys;
        int rc = s_curve_keys(cfg, &keys, err, errcap);
        explicit_bzero(&keys, sizeof keys);
        return rc;
    }
    return 0;
}

/* Binds the [server] endpoints (loopback and ipc only): tcp:// on the
 * STREAM front (front.h: a bound per connection), ipc:// and inproc:// on
 * a ROUTER (a Unix socket's peers are local users the file mode lets in). */
static int s_bind_plain(server_t *self, const config_t *cfg, unsigned *bound, char *err,
                        size_t errcap)
{
    char list[sizeof cfg->server.endpoints], *save = NULL;
    strlcpy(list, cfg->server.endpoints, sizeof list);
    for (char *e = strtok_r(list, " ,\t", &save); e; e = strtok_r(NULL, " ,\t", &save)) {
        if (!s_local_endpoint(e)) {
            s_not_local(e, err, errcap);
            return -EPERM;
        }
        bool tcp = strncmp(e, "tcp://", 6) == 0;
        if (tcp && !self->stream_front) {
            zmtp_limits_t lim = {WIRE_MAX_FRAME, WIRE_MAX_NAME + 1, cfg->server.max_batch,
                                 WIRE_MAX_FRAMES};
            self->stream_front = front_new(self->ctx, &lim, cfg->server.max_connections,
                                           stats_slot(self->stats, self->nworkers));
            if (!self->stream_front) {
                snprintf(err, errcap, "cannot create the socket: %s", zmq_strerror(errno));
                return -ENOMEM;
            }
        } else if (!tcp && !self->frontend) {
            self->frontend = zmq_socket(self->ctx, ZMQ_ROUTER);
            if (!self->frontend) {
                snprintf(err, errcap, "cannot create the socket: %s", zmq_strerror(errno));
                return -ENOMEM;
            }
            s_set_int(self->frontend, ZMQ_LINGER, 0);
            int64_t maxsize = WIRE_MAX_FRAME;
            zmq_setsockopt(self->frontend, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
        }
        int rc = tcp ? front_bind(self->stream_front, e)
                     : (zmq_bind(self->frontend, e) == 0 ? 0 : -errno);
        if (rc != 0) {
            snprintf(err, errcap, "cannot bind %s: %s", e, zmq_strerror(-rc));
            return rc;
        }
        (*bound)++;
    }
    return 0;
}

/* Makes the CURVE ROUTER with the oracle's key pair and starts its ZAP
 * handler, which must be up before anything binds. */
static int s_curve_front(server_t *self, const config_t *cfg, stats_slot_t *stats, char *err,
                         size_t errcap)
{
    curve_keys_t keys;
    int rc = s_curve_keys(cfg, &keys, err, errcap);
    if (rc != 0)
        return rc;
    self->curve_front = zmq_socket(self->ctx, ZMQ_ROUTER);
    if (!self->curve_front) {
        snprintf(err, errcap, "cannot create the CURVE socket: %s", zmq_strerror(errno));
        explicit_bzero(&keys, sizeof keys);
        return -ENOMEM;
    }
    s_set_int(self->curve_front, ZMQ_LINGER, 0);
    int64_t maxsize = WIRE_MAX_FRAME;
    zmq_setsockopt(self->curve_front, ZMQ_MAXMSGSIZE, &maxsize, sizeof maxsize);
    rc = curve_server(self->curve_front, &keys, err, errcap);
    explicit_bzero(&keys, sizeof keys);
    if (rc != 0)
        return rc;
    self->auth =
        auth_new(self->ctx, self->curve_front, cfg->server.curve_clients, stats, err, errcap);
    return self->auth ? 0 : -EIO;
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
    unsigned bound = 0;
    if (s_bind_plain(self, cfg, &bound, err, errcap) != 0)
        goto fail;
    if (cfg->server.curve_endpoints[0]) {
        if (s_curve_front(self, cfg, deps->auth_stats, err, errcap) != 0 ||
            s_bind_all(self->curve_front, cfg->server.curve_endpoints, &bound, err, errcap) != 0)
            goto fail;
    }
    if (bound == 0) {
        snprintf(err, errcap, "no endpoints configured ([server] endpoints)");
        goto fail;
    }
    self->proxy.stats = stats_slot(self->stats, self->nworkers);
    if (s_start(self, &self->proxy, self->nworkers, s_proxy) != 0) {
        snprintf(err, errcap, "cannot start the proxy thread");
        goto fail;
    }
    for (unsigned i = 0; i < self->nworkers; i++) {
        s_thread_t *w = &self->workers[i];
        w->engine = engine;
        w->max_batch = cfg->server.max_batch;
        w->stats = stats_slot(self->stats, i);
        if (s_start(self, w, i, s_worker) != 0) {
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
    if (self->stream_front &&
        actor_ask(self->proxy.actor, "limits", limits, sizeof limits, S_REPLY_TIMEOUT) != 0)
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
     * without its handler. */
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
    if (self->frontend)
        zmq_close(self->frontend);
    front_destroy(&self->stream_front, 0);
    if (self->curve_front)
        zmq_close(self->curve_front);
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
