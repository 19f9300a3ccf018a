/* oracle/wire/auth.c - who may use the CURVE endpoints: the ZAP handler thread. */
#include "auth.h"

#include <bsd/string.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "actor.h"
#include "curve.h"
#include "log.h"

#define S_ZAP "inproc://zeromq.zap.01" /* fixed by RFC 27 */
#define S_MONITOR "inproc://dnsoracle-curve-monitor"
#define S_LOG_EVERY 10 /* s between two log lines on refusals of one kind */
#define S_ZAP_FRAMES 7 /* version, id, domain, address, identity, mechanism, key */

enum { K_PLAINTEXT, K_KEY, K_FAILED, K_KINDS };

struct auth {
    void *ctx;
    actor_t *actor;
    char dir[4096];
    stats_slot_t *stats;
    log_limit_t limits[K_KINDS]; /* the thread's own */
    /* The thread's sockets, closed by auth_destroy() once it is joined: a
     * thread that left its poll because the context was shut down keeps
     * the ZAP endpoint bound, so that a CURVE socket still open then (a
     * proxy that missed its stop deadline) finds a handler that never
     * answers, and lets no one in, instead of no handler at all, with
     * which libzmq lets every key in. */
    void *zap, *monitor;
};

/* Copies a frame's bytes into buf as a C string (cut to fit). */
static void s_frame_text(zmq_msg_t *m, char *buf, size_t cap)
{
    size_t n = zmq_msg_size(m) < cap - 1 ? zmq_msg_size(m) : cap - 1;
    memcpy(buf, zmq_msg_data(m), n);
    buf[n] = 0;
}

/* Answers one ZAP request (RFC 27): 200 for a CURVE client whose key is in
 * the clients directory, 400 for anything else. The refusal is counted and
 * logged when the monitor reports the failed handshake. */
static void s_zap(auth_t *self, void *zap)
{
    zmq_msg_t f[S_ZAP_FRAMES];
    int n = 0, more = 1;
    size_t len = sizeof more;
    while (more) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, zap, 0) < 0) {
            zmq_msg_close(&m);
            break;
        }
        if (zmq_getsockopt(zap, ZMQ_RCVMORE, &more, &len) != 0)
            more = 0;
        if (n < S_ZAP_FRAMES)
            f[n++] = m; /* the message moves into f[] */
        else
            zmq_msg_close(&m);
    }
    if (n < 2) { /* not even an id to answer to */
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        return;
    }
    const char *status = "400", *text = "not a CURVE client";
    char who[256] = "", address[64] = "?";
    if (n > 3)
        s_frame_text(&f[3], address, sizeof address);
    if (n == S_ZAP_FRAMES && zmq_msg_size(&f[5]) == 5 &&
        memcmp(zmq_msg_data(&f[5]), "CURVE", 5) == 0 && zmq_msg_size(&f[6]) == 32) {
        int rc = curve_find_client(self->dir, zmq_msg_data(&f[6]), who, sizeof who);
        if (rc == 1) {
            status = "200", text = "OK";
            log_debug("curve", "client %s from %s let in", who, address);
        } else if (rc == 0) {
            char key[CURVE_Z85_LEN + 1], what[4352];
            zmq_z85_encode(key, zmq_msg_data(&f[6]), 32);
            text = "client key not allowed";
            snprintf(what, sizeof what, "refused a client from %s: its key %s is in no file of %s",
                     address, key, self->dir);
            log_limited(&self->limits[K_KEY], S_LOG_EVERY, LEVEL_WARNING, "curve", "%s", what);
        } else {
            text = "clients directory unreadable";
            char what[4352];
            snprintf(what, sizeof what, "refused a client from %s: cannot read %s: %s", address,
                     self->dir, strerror(-rc));
            log_limited(&self->limits[K_KEY], S_LOG_EVERY, LEVEL_WARNING, "curve", "%s", what);
        }
    }
    /* version, request id, status, text, user id (the key's file), metadata */
    zmq_send(zap, "1.0", 3, ZMQ_SNDMORE);
    if (zmq_msg_send(&f[1], zap, ZMQ_SNDMORE) < 0)
        zmq_msg_close(&f[1]); /* a failed send leaves it ours */
    zmq_send(zap, status, strlen(status), ZMQ_SNDMORE);
    zmq_send(zap, text, strlen(text), ZMQ_SNDMORE);
    zmq_send(zap, who, strlen(who), ZMQ_SNDMORE);
    zmq_send(zap, "", 0, 0);
    for (int i = 0; i < n; i++)
        if (i != 1)
            zmq_msg_close(&f[i]);
}

/* Reads one monitor event of the CURVE socket and counts it. */
static void s_event(auth_t *self, void *monitor)
{
    uint8_t head[6];
    char endpoint[256] = "", what[384];
    int n = zmq_recv(monitor, head, sizeof head, 0);
    int more = 0;
    size_t len = sizeof more;
    if (zmq_getsockopt(monitor, ZMQ_RCVMORE, &more, &len) == 0 && more) {
        int m = zmq_recv(monitor, endpoint, sizeof endpoint - 1, 0);
        endpoint[m > 0 ? (m < (int)sizeof endpoint ? m : (int)sizeof endpoint - 1) : 0] = 0;
    }
    if (n != (int)sizeof head)
        return;
    uint16_t event;
    uint32_t value;
    memcpy(&event, head, sizeof event);
    memcpy(&value, head + 2, sizeof value);
    switch (event) {
    case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        stats_add(self->stats, STAT_CURVE_ACCEPTED, 1);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
        stats_add(self->stats, STAT_CURVE_REFUSED_KEY, 1);
        break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        if (value != ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
            /* a CURVE client that is not ours: a wrong server key, garbage */
            stats_add(self->stats, STAT_CURVE_FAILED, 1);
            snprintf(what, sizeof what,
                     "a CURVE handshake on %s failed (protocol error 0x%x: a client with "
                     "another server key?)",
                     endpoint, (unsigned)value);
            log_limited(&self->limits[K_FAILED], S_LOG_EVERY, LEVEL_WARNING, "curve", "%s", what);
            break;
        }
        __attribute__((fallthrough));
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        /* A plaintext client: whichever side sees the mechanism mismatch
         * first hangs up, so the oracle sees either the mismatch or the
         * connection closing mid-handshake (as it does for a port scan). */
        stats_add(self->stats, STAT_CURVE_REFUSED_PLAINTEXT, 1);
        snprintf(what, sizeof what, "refused a connection without CURVE on %s", endpoint);
        log_limited(&self->limits[K_PLAINTEXT], S_LOG_EVERY, LEVEL_WARNING, "curve", "%s", what);
        break;
    default:
        break;
    }
}

static void s_run(void *pipe, void *arg)
{
    auth_t *self = arg;
    int zero = 0;
    void *zap = self->zap = zmq_socket(self->ctx, ZMQ_REP);
    void *monitor = self->monitor = zmq_socket(self->ctx, ZMQ_PAIR);
    int status = zap && monitor ? 0 : -ENOMEM;
    if (status == 0) {
        zmq_setsockopt(zap, ZMQ_LINGER, &zero, sizeof zero);
        zmq_setsockopt(monitor, ZMQ_LINGER, &zero, sizeof zero);
        if (zmq_bind(zap, S_ZAP) != 0 || zmq_connect(monitor, S_MONITOR) != 0)
            status = -errno;
    }
    if (actor_ready(pipe, status) != 0 || status != 0)
        return;
    zmq_pollitem_t items[3] = {
        {pipe, 0, ZMQ_POLLIN, 0}, {zap, 0, ZMQ_POLLIN, 0}, {monitor, 0, ZMQ_POLLIN, 0}};
    for (;;) {
        if (zmq_poll(items, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            break; /* the context is shutting down */
        }
        if (items[1].revents & ZMQ_POLLIN)
            s_zap(self, zap);
        if (items[2].revents & ZMQ_POLLIN)
            s_event(self, monitor);
        if ((items[0].revents & ZMQ_POLLIN) && actor_stop_asked(pipe))
            break;
    }
}

auth_t *auth_new(void *ctx, void *curve, const char *clients_dir, stats_slot_t *stats, char *err,
                 size_t errcap)
{
    auth_t *self = calloc(1, sizeof *self);
    if (!self) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    self->ctx = ctx;
    self->stats = stats;
    strlcpy(self->dir, clients_dir, sizeof self->dir);
    int events = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                 ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL;
    if (zmq_socket_monitor(curve, S_MONITOR, events) != 0) {
        snprintf(err, errcap, "the CURVE handler's sockets: %s", zmq_strerror(errno));
        goto fail;
    }
    int status;
    self->actor = actor_new(ctx, "CURVE handler", s_run, self, &status);
    if (!self->actor) {
        snprintf(err, errcap, "the CURVE handler did not start: %s%s", strerror(-status),
                 status == -EADDRINUSE ? " (is another one bound in this process?)" : "");
        goto fail;
    }
    return self;
fail:
    auth_destroy(&self);
    return NULL;
}

int auth_alive(auth_t *self, int timeout_ms)
{
    return actor_ask(self->actor, "ping", NULL, 0, timeout_ms) == 0 ? 0 : -ETIMEDOUT;
}

void auth_destroy(auth_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    auth_t *self = *self_p;
    /* no answer when the context is already shut down: the thread then
     * leaves its poll by itself, and is joined */
    actor_destroy(&self->actor);
    if (self->monitor)
        zmq_close(self->monitor);
    if (self->zap)
        zmq_close(self->zap);
    free(self);
    *self_p = NULL;
}
