/* oracle/daemon/routing.c - the proxy: requests to the workers, replies back to their socket. */
#include "routing.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "actor.h"
#include "log.h"
#include "testhook.h"

#define S_MAX_ENVELOPE 255    /* bytes of an envelope frame (zmtp.c: the same) */
#define S_MAX_IN_FLIGHT 512   /* requests with the workers before clients wait */
#define S_CHUNK_REQUESTS 2048 /* requests one 8 KiB chunk can hold (4 bytes each) */
#define S_BACK_HWM (4 * (S_MAX_IN_FLIGHT + S_CHUNK_REQUESTS)) /* proxy <-> workers */
#define S_GRACE_MS 100         /* ms requests are still taken after "stop" */
#define S_FLUSH_MS 500         /* ms replies may take to leave at close */
#define S_BIG_REPLY (1u << 20) /* a STREAM reply buffer larger than this is given back */

/* ------------------------------------------------------------------------ */
/* The frames between the proxy and the workers                              */

void routing_stamp_encode(routing_stamp_t stamp, uint8_t out[ROUTING_STAMP_SIZE])
{
    memcpy(out, &stamp.t0, sizeof stamp.t0);
    out[8] = (uint8_t)stamp.via;
}

int routing_stamp_decode(const void *data, size_t len, routing_stamp_t *stamp)
{
    const uint8_t *b = data;
    *stamp = (routing_stamp_t){0, ROUTING_VIA_ROUTER};
    if (len != ROUTING_STAMP_SIZE || b[8] >= ROUTING_VIAS)
        return -1;
    memcpy(&stamp->t0, b, sizeof stamp->t0);
    stamp->via = (routing_via_t)b[8];
    return 0;
}

void routing_header_encode(uint32_t overflow, uint8_t out[ROUTING_HEADER_SIZE])
{
    memcpy(out, &overflow, sizeof overflow);
}

int routing_header_decode(const void *data, size_t len, uint32_t *overflow)
{
    *overflow = 0;
    if (len != ROUTING_HEADER_SIZE)
        return -1;
    memcpy(overflow, data, sizeof *overflow);
    return 0;
}

zmtp_limits_t routing_limits(unsigned max_batch)
{
    return (zmtp_limits_t){ROUTING_MAX_FRAME, WIRE_MAX_NAME + 1, max_batch + 1, WIRE_MAX_FRAMES};
}

/* ------------------------------------------------------------------------ */
/* The proxy's state                                                         */

typedef struct {
    routing_fronts_t *fronts;
    void *back; /* the DEALER, ROUTING_BACKEND */
    zmtp_limits_t limits;
    uint64_t in_flight;
    /* A ROUTER request as it is read: its id, then envelope and name frames
     * in msg[] (nmsg of them), described in frame[] as zmtp.c describes a
     * STREAM request. */
    zmq_msg_t id;
    zmq_msg_t *msg;
    zmtp_frame_t *frame;
    size_t nmsg, cap;
    uint8_t *reply; /* a STREAM reply being framed */
    size_t reply_cap;
    /* stopping: taking requests until stop_reading, answering until deadline */
    bool stopping;
    uint64_t stop_reading, deadline;
    actor_cmd_t stop;
} s_proxy_t;

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

static int s_rcvmore(void *sock)
{
    int more = 0;
    size_t len = sizeof more;
    zmq_getsockopt(sock, ZMQ_RCVMORE, &more, &len);
    return more;
}

/* Room for the frames of one ROUTER request under px->limits. */
static int s_reserve(s_proxy_t *px)
{
    size_t need = ZMTP_MAX_ENVELOPE + px->limits.max_batch;
    if (px->cap >= need)
        return 0;
    zmq_msg_t *m = realloc(px->msg, need * sizeof *m);
    if (m)
        px->msg = m;
    zmtp_frame_t *f = realloc(px->frame, need * sizeof *f);
    if (f)
        px->frame = f;
    if (!m || !f)
        return -ENOMEM;
    px->cap = need;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */

/* Sends one frame of a request: moved without a copy when it is the whole
 * of a message received (`part`, a ROUTER's), else copied. */
static int s_send_frame(void *back, const zmtp_frame_t *f, zmq_msg_t *part, int flags)
{
    if (part && f->len == f->size)
        return zmq_msg_send(part, back, flags) < 0 ? -1 : 0;
    return zmq_send(back, f->data, f->len, flags) < 0 ? -1 : 0;
}

/* The one way a request goes to the workers, from whatever front:
 * [id][stamp][envelope...][""][header][frames...]. A malformed request is
 * counted and dropped, as a ROUTER drops what it cannot route. `parts`
 * (NULL for the STREAM front) are the messages the envelope and frames are
 * in, in order: they are moved, not copied (the caller still closes them).
 * The backend's queue holds every request in flight, so a send fails only
 * when the context ends. */
static void s_forward(s_proxy_t *px, routing_via_t via, const void *id, size_t idlen,
                      const zmtp_request_t *r, zmq_msg_t *parts)
{
    if (r->malformed) {
        stats_add(px->fronts->stats, STAT_MALFORMED, 1);
        return;
    }
    uint8_t stamp[ROUTING_STAMP_SIZE], header[ROUTING_HEADER_SIZE];
    routing_stamp_encode((routing_stamp_t){s_now_ns(), via}, stamp);
    routing_header_encode(r->overflow, header);
    void *back = px->back;
    if (zmq_send(back, id, idlen, ZMQ_SNDMORE) < 0 ||
        zmq_send(back, stamp, sizeof stamp, ZMQ_SNDMORE) < 0)
        return;
    for (unsigned i = 0; i < r->nenvelope; i++)
        if (s_send_frame(back, &r->envelope[i], parts ? &parts[i] : NULL, ZMQ_SNDMORE) != 0)
            return;
    if (zmq_send(back, "", 0, ZMQ_SNDMORE) < 0 ||
        zmq_send(back, header, sizeof header, ZMQ_SNDMORE) < 0)
        return;
    for (unsigned i = 0; i < r->nframes; i++)
        if (s_send_frame(back, &r->frames[i], parts ? &parts[r->nenvelope + i] : NULL,
                         i + 1 < r->nframes ? ZMQ_SNDMORE : 0) != 0)
            return;
    px->in_flight++; /* (not malformed: at least one frame) */
}

/* A request from the STREAM front (front.h), already parsed and bounded. */
static void s_stream_request(void *arg, const uint8_t *id, const zmtp_request_t *r)
{
    s_proxy_t *px = arg;
    s_forward(px, ROUTING_VIA_STREAM, id, FRONT_ID, r, NULL);
}

/* Receives the next part of a ROUTER request into px->msg[px->nmsg] (kept)
 * or, with keep false, reads and drops it. Returns its size, or -1. */
static int s_part(s_proxy_t *px, void *sock, bool keep)
{
    zmq_msg_t *m = &px->msg[px->nmsg], scratch;
    if (!keep)
        m = &scratch;
    zmq_msg_init(m);
    if (zmq_msg_recv(m, sock, 0) < 0) {
        zmq_msg_close(m);
        return -1;
    }
    size_t size = zmq_msg_size(m);
    if (!keep) {
        zmq_msg_close(m);
        return (int)size;
    }
    size_t len = size < px->limits.max_name ? size : px->limits.max_name;
    px->frame[px->nmsg++] = (zmtp_frame_t){zmq_msg_data(m), len, size};
    return (int)size;
}

/* Reads one ROUTER request, as zmtp.c reads a STREAM one: its id into
 * px->id, the envelope (before the empty delimiter) and up to max_batch + 1
 * name frames into px->msg, the frames past that counted. Returns 0 with *r
 * set (maybe malformed), -1 when nothing could be read. */
static int s_read_router(s_proxy_t *px, void *sock, zmtp_request_t *r)
{
    zmq_msg_init(&px->id);
    if (zmq_msg_recv(&px->id, sock, 0) < 0) {
        zmq_msg_close(&px->id);
        return -1;
    }
    *r = (zmtp_request_t){0};
    bool delimited = false;
    while (s_rcvmore(sock)) {
        bool keep = delimited ? r->nframes < px->limits.max_batch
                              : r->nenvelope < ZMTP_MAX_ENVELOPE && !r->malformed;
        int size = s_part(px, sock, keep);
        if (size < 0)
            break;
        if (delimited) {
            r->nframes += keep;
            r->overflow += !keep;
            continue;
        }
        if (size == 0) { /* the delimiter: not kept */
            delimited = true;
            if (keep)
                zmq_msg_close(&px->msg[--px->nmsg]);
        } else if (keep && size <= S_MAX_ENVELOPE) {
            r->nenvelope++;
        } else {
            r->malformed = true;
        }
    }
    r->envelope = px->frame;
    r->frames = px->frame + r->nenvelope;
    r->malformed |= !delimited || r->nframes + r->overflow == 0;
    return 0;
}

/* Closes what s_read_router kept. */
static void s_release(s_proxy_t *px)
{
    for (size_t i = 0; i < px->nmsg; i++)
        zmq_msg_close(&px->msg[i]);
    px->nmsg = 0;
    zmq_msg_close(&px->id);
}

static void s_router_request(s_proxy_t *px, void *sock, routing_via_t via)
{
    zmtp_request_t r;
    if (s_read_router(px, sock, &r) != 0)
        return;
    s_forward(px, via, zmq_msg_data(&px->id), zmq_msg_size(&px->id), &r, px->msg);
    s_release(px);
}

/* ------------------------------------------------------------------------ */
/* Replies                                                                   */

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

/* The reply frames after the stamp, to a ROUTER: [id][frames...]. A ROUTER
 * drops what it cannot route; a send fails only at the end, and then what is
 * left is read and closed. */
static void s_reply_router(s_proxy_t *px, zmq_msg_t *id, void *to)
{
    bool failed = zmq_msg_send(id, to, ZMQ_SNDMORE) < 0;
    if (failed)
        zmq_msg_close(id);
    for (int more = 1; more;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, px->back, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = s_rcvmore(px->back);
        if (failed || zmq_msg_send(&m, to, more ? ZMQ_SNDMORE : 0) < 0) {
            failed = true;
            zmq_msg_close(&m);
        }
    }
}

/* The reply frames after the stamp, to the STREAM front: written in ZMTP,
 * handed over in one piece. */
static void s_reply_stream(s_proxy_t *px, zmq_msg_t *id)
{
    size_t len = 0;
    bool oom = false;
    for (int more = 1; more;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, px->back, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        more = s_rcvmore(px->back);
        if (!oom)
            oom = s_reply_frame(px, &len, zmq_msg_data(&m), zmq_msg_size(&m), more) != 0;
        zmq_msg_close(&m);
    }
    if (!oom && zmq_msg_size(id) == FRONT_ID)
        front_send(px->fronts->stream, zmq_msg_data(id), px->reply, len);
    zmq_msg_close(id);
    if (px->reply_cap > S_BIG_REPLY) { /* a big reply: give the memory back */
        free(px->reply);
        px->reply = NULL;
        px->reply_cap = 0;
    }
}

/* Moves one reply from the workers to the socket its request came from
 * (its stamp says which), and counts it with its latency. */
static void s_forward_reply(s_proxy_t *px)
{
    zmq_msg_t id, stamp;
    zmq_msg_init(&id);
    zmq_msg_init(&stamp);
    if (zmq_msg_recv(&id, px->back, 0) < 0 || zmq_msg_recv(&stamp, px->back, 0) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&stamp);
        return;
    }
    routing_stamp_t st;
    routing_stamp_decode(zmq_msg_data(&stamp), zmq_msg_size(&stamp), &st);
    zmq_msg_close(&stamp);
    routing_fronts_t *f = px->fronts;
    if (st.via == ROUTING_VIA_STREAM && f->stream)
        s_reply_stream(px, &id);
    else
        s_reply_router(px, &id, st.via == ROUTING_VIA_CURVE && f->curve ? f->curve : f->router);
    px->in_flight--;
    stats_add(f->stats, STAT_REQUESTS, 1);
    if (st.t0)
        stats_latency(f->stats, s_now_ns() - st.t0);
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */

/* A command from the main thread: "limits" is done here, "stop" starts the
 * drain (answered when the proxy is done). Returns -1 when the pipe failed. */
static int s_command(s_proxy_t *px, void *pipe)
{
    actor_cmd_t cmd;
    int rc = actor_recv(pipe, &cmd);
    if (rc != 0)
        return rc > 0 ? 0 : -1;
    unsigned limits[2]; /* max_batch, max_connections */
    if (strcmp(cmd.name, "stop") == 0) {
        int drain = 0;
        if (cmd.len == sizeof drain)
            memcpy(&drain, cmd.data, sizeof drain);
        drain = drain < 0 ? 0 : drain;
        testhook_stall(
            "DNSORACLE_TEST_PROXY_STOP_MS"); /* tests: a proxy that misses its deadline */
        uint64_t t = s_now_ns();
        px->stopping = true;
        px->stop = cmd;
        px->stop_reading = t + (uint64_t)(drain < S_GRACE_MS ? drain : S_GRACE_MS) * 1000000u;
        px->deadline = t + (uint64_t)drain * 1000000u;
    } else if (strcmp(cmd.name, "limits") == 0 && cmd.len == sizeof limits) {
        memcpy(limits, cmd.data, sizeof limits);
        zmtp_limits_t old = px->limits;
        px->limits = routing_limits(limits[0]);
        int status = s_reserve(px); /* out of memory: the old limits stay */
        if (status != 0)
            px->limits = old;
        if (px->fronts->stream) {
            front_set_max_batch(px->fronts->stream, px->limits.max_batch);
            front_set_max_connections(px->fronts->stream, limits[1]);
        }
        actor_reply(pipe, &cmd, status, NULL, 0);
    } else {
        actor_reply(pipe, &cmd, -EINVAL, NULL, 0);
    }
    return 0;
}

/* The poll timeout: replies waiting for room in a slow client's queue are
 * retried soon; while stopping, the next phase's time. Returns -2 when the
 * loop is over (stopping, and everything answered or the deadline past). */
static int s_timeout(const s_proxy_t *px, bool *reading)
{
    front_t *front = px->fronts->stream;
    int timeout = front && front_pending(front) ? 1 : -1;
    *reading = true;
    if (!px->stopping)
        return timeout;
    uint64_t now = s_now_ns();
    *reading = now < px->stop_reading;
    if ((!*reading && px->in_flight == 0) || now >= px->deadline)
        return -2;
    uint64_t until = *reading ? px->stop_reading : px->deadline;
    int left = (int)((until - now) / 1000000u) + 1;
    return timeout < 0 || left < timeout ? left : timeout;
}

/* Stopping has two phases. For S_GRACE_MS after "stop" requests are still
 * taken, so that everything a client sent before the signal reached us is
 * in; then reading stops, and the loop goes on until every request taken
 * has been answered or the drain deadline passes. With S_MAX_IN_FLIGHT
 * requests out, only replies are read. */
static void s_loop(s_proxy_t *px, void *pipe)
{
    routing_fronts_t *f = px->fronts;
    /* pipe, back, then the sockets clients reach, with where they are */
    zmq_pollitem_t items[2 + ROUTING_VIAS] = {{pipe, 0, ZMQ_POLLIN, 0},
                                              {px->back, 0, ZMQ_POLLIN, 0}};
    routing_via_t via[2 + ROUTING_VIAS];
    int nitems = 2;
    void *sockets[ROUTING_VIAS] = {f->router, f->curve, f->stream ? front_socket(f->stream) : NULL};
    for (int v = 0; v < ROUTING_VIAS; v++)
        if (sockets[v]) {
            via[nitems] = (routing_via_t)v;
            items[nitems++] = (zmq_pollitem_t){sockets[v], 0, ZMQ_POLLIN, 0};
        }
    for (;;) {
        bool reading;
        int timeout = s_timeout(px, &reading);
        if (timeout == -2)
            break;
        bool taking = reading && px->in_flight < S_MAX_IN_FLIGHT;
        if (zmq_poll(items, taking ? nitems : 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            break; /* the context is shutting down */
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_forward_reply(px);
        if (f->stream && front_pending(f->stream))
            front_flush(f->stream);
        for (int i = 2; taking && i < nitems; i++) {
            if (!(items[i].revents & ZMQ_POLLIN))
                continue;
            if (via[i] == ROUTING_VIA_STREAM)
                front_read(f->stream, s_stream_request, px);
            else
                s_router_request(px, items[i].socket, via[i]);
        }
        if (!px->stopping && (items[0].revents & ZMQ_POLLIN) && s_command(px, pipe) != 0)
            break;
    }
}

/* The replies just sent may still be in ZeroMQ's queues: they get a bounded
 * time to reach the clients as the sockets close. */
static void s_close_router(void **sock)
{
    if (!*sock)
        return;
    s_set_int(*sock, ZMQ_LINGER, S_FLUSH_MS);
    zmq_close(*sock);
    *sock = NULL;
}

static void s_close_fronts(routing_fronts_t *f)
{
    s_close_router(&f->router);
    s_close_router(&f->curve);
    front_destroy(&f->stream, S_FLUSH_MS);
}

/* The DEALER the workers connect to. At most S_MAX_IN_FLIGHT requests are
 * with the workers when the clients' sockets are read, and one read may
 * bring a whole chunk of small requests (S_CHUNK_REQUESTS): the queues to
 * and from the workers must hold all of them, or a REP socket drops a
 * reply. */
static int s_backend(s_proxy_t *px)
{
    px->back = zmq_socket(px->fronts->ctx, ZMQ_DEALER);
    if (!px->back)
        return -ENOMEM;
    s_set_int(px->back, ZMQ_LINGER, 0);
    s_set_int(px->back, ZMQ_SNDHWM, S_BACK_HWM);
    s_set_int(px->back, ZMQ_RCVHWM, S_BACK_HWM);
    return zmq_bind(px->back, ROUTING_BACKEND) == 0 ? 0 : -errno;
}

void routing_proxy(void *pipe, void *arg)
{
    s_proxy_t px = {.fronts = arg};
    px.limits = routing_limits(px.fronts->max_batch);
    int status = s_reserve(&px);
    if (status == 0)
        status = s_backend(&px);
    if (actor_ready(pipe, status) != 0 || status != 0)
        goto done;
    s_loop(&px, pipe);
    if (px.in_flight)
        log_warning("server", "stopped with %llu requests unanswered (drain deadline)",
                    (unsigned long long)px.in_flight);
    s_close_fronts(px.fronts);
    if (px.stopping)
        actor_reply(pipe, &px.stop, 0, NULL, 0);
done:
    free(px.reply);
    free(px.msg);
    free(px.frame);
    if (px.back)
        zmq_close(px.back);
}
