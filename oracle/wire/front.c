/* oracle/wire/front.c - the plaintext TCP endpoints, with a bound per connection. */
#include "front.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "log.h"

#define S_BUCKETS 4096  /* of the connection table */
#define S_RCVHWM 64     /* chunks of at most 8 KiB queued per connection, in */
#define S_SNDHWM 8      /* messages of at most S_CHUNK queued per connection, out */
#define S_CHUNK 65536   /* bytes of one outgoing message, at most */
#define S_BUDGET 262144 /* bytes of replies waiting for a slow reader, at most */
#define S_FORGET 60     /* s a closed connection is remembered (its late bytes ignored) */
#define S_LOG_EVERY 10  /* s between two lines about closed connections */

typedef struct s_conn {
    uint8_t id[FRONT_ID];
    zmtp_t *zmtp; /* NULL once closed */
    time_t closed_at;
    struct s_conn *next;
    /* reply bytes the socket's queue had no room for yet, in order */
    uint8_t *out;
    size_t out_len, out_cap;
    bool close_owed; /* closed, but the close could not be sent yet */
    bool pending;    /* on the pending list (out_len or close_owed) */
    struct s_conn *next_pending;
} s_conn_t;

struct front {
    void *socket;
    zmtp_limits_t limits;
    stats_slot_t *stats;
    s_conn_t *buckets[S_BUCKETS];
    size_t nconns;          /* entries, closed ones included */
    size_t nopen;           /* connections open (with a zmtp state) */
    size_t max_connections; /* open at most; more are closed at once */
    s_conn_t *pending;      /* connections with bytes or a close still to send */
    time_t last_purge;
    log_limit_t log_limit;
};

static time_t s_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return ts.tv_sec;
}

/* STREAM ids are a zero byte and a counter: the counter's low bits hash. */
static s_conn_t **s_slot(front_t *self, const uint8_t *id)
{
    unsigned h = ((unsigned)id[3] << 8 | id[4]) % S_BUCKETS;
    s_conn_t **p = &self->buckets[h];
    while (*p && memcmp((*p)->id, id, FRONT_ID) != 0)
        p = &(*p)->next;
    return p;
}

front_t *front_new(void *ctx, const zmtp_limits_t *limits, unsigned max_connections,
                   stats_slot_t *stats)
{
    front_t *self = calloc(1, sizeof *self);
    if (!self)
        return NULL;
    self->limits = *limits;
    self->max_connections = max_connections;
    self->stats = stats;
    self->socket = zmq_socket(ctx, ZMQ_STREAM);
    if (!self->socket) {
        free(self);
        return NULL;
    }
    int zero = 0, one = 1, rcvhwm = S_RCVHWM, sndhwm = S_SNDHWM;
    zmq_setsockopt(self->socket, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(self->socket, ZMQ_STREAM_NOTIFY, &one, sizeof one);
    zmq_setsockopt(self->socket, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm);
    zmq_setsockopt(self->socket, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm);
    self->last_purge = s_now();
    return self;
}

int front_bind(front_t *self, const char *endpoint)
{
    return zmq_bind(self->socket, endpoint) == 0 ? 0 : -errno;
}

void *front_socket(front_t *self) { return self->socket; }

void front_set_max_batch(front_t *self, unsigned max_batch) { self->limits.max_batch = max_batch; }

void front_set_max_connections(front_t *self, unsigned max_connections)
{
    self->max_connections = max_connections;
}

size_t front_connections(const front_t *self) { return self->nopen; }

/* The open connections changed: the gauge follows. */
static void s_opened(front_t *self, bool open)
{
    if (open)
        self->nopen++;
    else
        self->nopen--;
    stats_set(self->stats, STAT_CONNECTIONS_OPEN, self->nopen);
}

/* Sends [id][bytes]; -1 when the connection's queue is full or it is gone. */
static int s_send(front_t *self, const uint8_t *id, const void *bytes, size_t len)
{
    if (zmq_send(self->socket, id, FRONT_ID, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
        return -1;
    return zmq_send(self->socket, bytes, len, ZMQ_DONTWAIT) < 0 ? -1 : 0;
}

/* Closes a connection: an empty frame tells the STREAM socket to. When its
 * queue is full that cannot be sent now; it is tried again when more bytes
 * come. The entry stays, without its state, so late bytes are ignored. */
static void s_pend(front_t *self, s_conn_t *c)
{
    if (!c->pending) {
        c->pending = true;
        c->next_pending = self->pending;
        self->pending = c;
    }
}

static void s_close(front_t *self, s_conn_t *c)
{
    if (c->zmtp)
        s_opened(self, false);
    zmtp_destroy(&c->zmtp);
    c->closed_at = s_now();
    free(c->out); /* what it did not read is not sent */
    c->out = NULL;
    c->out_len = c->out_cap = 0;
    c->close_owed = s_send(self, c->id, "", 0) != 0;
    if (c->close_owed)
        s_pend(self, c);
}

static void s_free(front_t *self, s_conn_t **p)
{
    s_conn_t *c = *p;
    *p = c->next;
    if (c->pending)
        for (s_conn_t **q = &self->pending; *q; q = &(*q)->next_pending)
            if (*q == c) {
                *q = c->next_pending;
                break;
            }
    if (c->zmtp)
        s_opened(self, false);
    zmtp_destroy(&c->zmtp);
    free(c->out);
    free(c);
    self->nconns--;
}

/* Hands `len` bytes to the socket in messages of at most S_CHUNK, as long
 * as the connection's queue takes them; returns how many it took. */
static size_t s_push(front_t *self, const s_conn_t *c, const uint8_t *bytes, size_t len)
{
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < S_CHUNK ? len - done : S_CHUNK;
        if (s_send(self, c->id, bytes + done, n) != 0)
            break;
        done += n;
    }
    return done;
}

/* Sends bytes to connection c in order: straight to the socket when
 * nothing waits, else after what waits. More than S_BUDGET bytes waiting
 * (a client that does not read) is refused. Returns 0, -1 (over the
 * budget, or out of memory); the caller closes the connection. */
static int s_queue(front_t *self, s_conn_t *c, const uint8_t *b, size_t len)
{
    if (c->out_len == 0) {
        size_t n = s_push(self, c, b, len);
        b += n, len -= n;
        if (len == 0)
            return 0;
    } else if (c->out_len + len > S_BUDGET) {
        return -1;
    }
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len)
            cap *= 2;
        uint8_t *o = realloc(c->out, cap);
        if (!o)
            return -1; /* the byte stream would have a hole */
        c->out = o;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, b, len);
    c->out_len += len;
    s_pend(self, c);
    return 0;
}

/* Forgets the connections closed over S_FORGET seconds ago (the STREAM
 * socket does not always say when a connection it was told to close ends). */
static void s_purge(front_t *self, time_t now)
{
    self->last_purge = now;
    for (size_t b = 0; b < S_BUCKETS; b++)
        for (s_conn_t **p = &self->buckets[b]; *p;)
            if (!(*p)->zmtp && now - (*p)->closed_at > S_FORGET)
                s_free(self, p);
            else
                p = &(*p)->next;
}

typedef struct {
    front_t *front;
    s_conn_t *conn;
    front_request_fn *fn;
    void *arg;
} s_feed_t;

/* READY and PONG: in order with the replies (a PONG must not land in the
 * middle of a reply that waits) and in the same budget (a client that
 * pings and never reads is closed); zmtp_feed() fails the connection on -1. */
static int s_sink_send(void *arg, const void *data, size_t len)
{
    s_feed_t *f = arg;
    return s_queue(f->front, f->conn, data, len);
}

static void s_sink_request(void *arg, const zmtp_request_t *request)
{
    s_feed_t *f = arg;
    f->fn(f->arg, f->conn->id, request);
}

void front_read(front_t *self, front_request_fn *fn, void *arg)
{
    zmq_msg_t id, data;
    zmq_msg_init(&id);
    zmq_msg_init(&data);
    if (zmq_msg_recv(&id, self->socket, ZMQ_DONTWAIT) < 0 ||
        zmq_msg_recv(&data, self->socket, ZMQ_DONTWAIT) < 0 || zmq_msg_size(&id) != FRONT_ID)
        goto done;
    const uint8_t *key = zmq_msg_data(&id);
    size_t len = zmq_msg_size(&data);
    s_conn_t **p = s_slot(self, key);
    s_conn_t *c = *p;
    if (len == 0) {
        if (c) { /* the connection ended */
            s_free(self, p);
        } else if ((c = calloc(1, sizeof *c)) != NULL) { /* a new one: greet it */
            memcpy(c->id, key, FRONT_ID);
            *p = c;
            self->nconns++;
            /* Past max_connections it is closed at once, and remembered
             * closed like any other, so that the end of it that the socket
             * reports is not taken for a new connection. */
            if (self->nopen >= self->max_connections) {
                stats_add(self->stats, STAT_CONNECTIONS_REFUSED, 1);
                log_limited(&self->log_limit, S_LOG_EVERY, LEVEL_WARNING, "server",
                            "refused a connection: %zu open (max_connections)", self->nopen);
                s_close(self, c);
            } else if ((c->zmtp = zmtp_new(&self->limits)) != NULL) {
                s_opened(self, true);
                if (s_send(self, key, zmtp_greeting(), ZMTP_GREETING) != 0)
                    s_close(self, c);
            } else {
                s_close(self, c);
            }
        }
    } else if (c && c->zmtp) {
        s_feed_t f = {self, c, fn, arg};
        zmtp_sink_t sink = {&f, s_sink_send, s_sink_request};
        const char *why = "?";
        if (zmtp_feed(c->zmtp, zmq_msg_data(&data), len, &sink, &why) != 0) {
            stats_add(self->stats, STAT_CONNECTIONS_CLOSED, 1);
            log_limited(&self->log_limit, S_LOG_EVERY, LEVEL_WARNING, "server",
                        "closed a connection: %s", why);
            s_close(self, c);
        }
    } else if (c) { /* bytes after we closed it: ask again */
        (void)s_send(self, key, "", 0);
    }
    time_t now = s_now();
    if (now - self->last_purge > S_FORGET)
        s_purge(self, now);
done:
    zmq_msg_close(&id);
    zmq_msg_close(&data);
}

void front_send(front_t *self, const uint8_t *id, const void *bytes, size_t len)
{
    s_conn_t *c = *s_slot(self, id);
    if (!c || !c->zmtp) { /* gone, or closed */
        stats_add(self->stats, STAT_REPLIES_DROPPED, 1);
        return;
    }
    if (s_queue(self, c, bytes, len) != 0) {
        /* A client that does not read its replies: S_SNDHWM messages in the
         * socket's queue and S_BUDGET bytes here are all it may cost. */
        stats_add(self->stats, STAT_REPLIES_DROPPED, 1);
        stats_add(self->stats, STAT_CONNECTIONS_CLOSED, 1);
        log_limited(&self->log_limit, S_LOG_EVERY, LEVEL_WARNING, "server",
                    "closed a connection: it does not read its replies");
        s_close(self, c);
    }
}

bool front_pending(const front_t *self) { return self->pending != NULL; }

void front_flush(front_t *self)
{
    for (s_conn_t **p = &self->pending; *p;) {
        s_conn_t *c = *p;
        if (c->close_owed) {
            c->close_owed = s_send(self, c->id, "", 0) != 0;
        } else if (c->out_len) {
            size_t n = s_push(self, c, c->out, c->out_len);
            memmove(c->out, c->out + n, c->out_len - n);
            c->out_len -= n;
            if (c->out_len == 0 && c->out_cap > S_CHUNK) { /* a burst: give it back */
                free(c->out);
                c->out = NULL;
                c->out_cap = 0;
            }
        }
        if (!c->close_owed && c->out_len == 0) {
            c->pending = false;
            *p = c->next_pending;
        } else {
            p = &c->next_pending;
        }
    }
}

void front_destroy(front_t **self_p, int linger_ms)
{
    if (!self_p || !*self_p)
        return;
    front_t *self = *self_p;
    if (self->socket) {
        zmq_setsockopt(self->socket, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
        zmq_close(self->socket);
    }
    for (size_t b = 0; b < S_BUCKETS; b++)
        while (self->buckets[b])
            s_free(self, &self->buckets[b]);
    free(self);
    *self_p = NULL;
}
