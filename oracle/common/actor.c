/* oracle/common/actor.c - one way to run a long-lived thread: start, ready, commands, stop, join.
 */
#include "actor.h"

#include <bsd/string.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

/* One frame each way: seq (4 bytes), status (4), name length (1), name,
 * data. The ready message is seq 0. */
#define S_HEAD 9
#define S_FRAME (S_HEAD + ACTOR_NAME_MAX + ACTOR_DATA_MAX)

struct actor {
    void *pipe; /* the owner's end */
    char endpoint[64];
    char name[32];
    pthread_t thread;
    bool running; /* started and not joined */
    bool stopped; /* "stop" answered */
    uint32_t seq; /* of the last command sent */
    actor_fn *fn;
    void *arg;
    void *ctx;
    void *own_ctx; /* made by actor_new() when given none */
};

static atomic_uint s_pipes; /* makes every pipe endpoint unique */

static int s_encode(uint8_t *buf, uint32_t seq, int32_t status, const char *name, const void *data,
                    size_t len)
{
    size_t nlen = name ? strnlen(name, ACTOR_NAME_MAX + 1) : 0;
    if (nlen > ACTOR_NAME_MAX || len > ACTOR_DATA_MAX)
        return -1;
    memcpy(buf, &seq, 4);
    memcpy(buf + 4, &status, 4);
    buf[8] = (uint8_t)nlen;
    if (nlen)
        memcpy(buf + S_HEAD, name, nlen);
    if (len)
        memcpy(buf + S_HEAD + nlen, data, len);
    return (int)(S_HEAD + nlen + len);
}

/* Decodes a frame of n bytes; -1 when it is not one of ours. */
static int s_decode(const uint8_t *buf, int n, actor_cmd_t *cmd, int32_t *status)
{
    if (n < S_HEAD || n > S_FRAME || S_HEAD + buf[8] > n || buf[8] > ACTOR_NAME_MAX)
        return -1;
    memcpy(&cmd->seq, buf, 4);
    memcpy(status, buf + 4, 4);
    memcpy(cmd->name, buf + S_HEAD, buf[8]);
    cmd->name[buf[8]] = 0;
    cmd->len = (size_t)n - S_HEAD - buf[8];
    memcpy(cmd->data, buf + S_HEAD + buf[8], cmd->len);
    return 0;
}

static int s_send(void *pipe, uint32_t seq, int32_t status, const char *name, const void *data,
                  size_t len)
{
    uint8_t buf[S_FRAME];
    int n = s_encode(buf, seq, status, name, data, len);
    return n >= 0 && zmq_send(pipe, buf, (size_t)n, 0) == n ? 0 : -EIO;
}

/* Receives one frame (flags: 0 or ZMQ_DONTWAIT): 0, -EAGAIN when nothing
 * came (timeout or DONTWAIT), -EIO on a bad frame, -ETERM. */
static int s_recv(void *pipe, int flags, actor_cmd_t *cmd, int32_t *status)
{
    uint8_t buf[S_FRAME + 1];
    int n = zmq_recv(pipe, buf, sizeof buf, flags);
    if (n < 0)
        return errno == EAGAIN ? -EAGAIN : (errno == EINTR ? -EINTR : -ETERM);
    return s_decode(buf, n, cmd, status) == 0 ? 0 : -EIO;
}

static void *s_main(void *arg)
{
    actor_t *self = arg;
    void *pipe = zmq_socket(self->ctx, ZMQ_PAIR);
    int zero = 0;
    if (!pipe)
        return NULL; /* the owner sees the thread end without a ready */
    zmq_setsockopt(pipe, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_connect(pipe, self->endpoint) == 0) {
        self->fn(pipe, self->arg);
        /* a body that never said ready: tell the owner it failed (a second
         * ready after a real one is read as a stale answer and dropped) */
        uint8_t buf[S_FRAME];
        int n = s_encode(buf, 0, -EIO, "", NULL, 0);
        (void)zmq_send(pipe, buf, (size_t)n, ZMQ_DONTWAIT);
    }
    zmq_close(pipe);
    return NULL;
}

int actor_ready(void *pipe, int status) { return s_send(pipe, 0, status, "", NULL, 0); }

static int s_thread_recv(void *pipe, int flags, actor_cmd_t *cmd)
{
    for (;;) {
        int32_t status;
        int rc = s_recv(pipe, flags, cmd, &status);
        if (rc == -EINTR || rc == -EIO)
            continue; /* not ours: read on */
        if (rc == -EAGAIN)
            return 2;
        if (rc != 0)
            return -1;
        if (strcmp(cmd->name, "ping") != 0)
            return 0;
        if (s_send(pipe, cmd->seq, 0, "", NULL, 0) != 0)
            return -1;
        if (flags == 0)
            return 1;
    }
}

int actor_recv(void *pipe, actor_cmd_t *cmd) { return s_thread_recv(pipe, 0, cmd); }

bool actor_stop_asked(void *pipe)
{
    actor_cmd_t cmd;
    int rc = actor_recv(pipe, &cmd);
    if (rc == 0)
        actor_reply(pipe, &cmd, 0, NULL, 0);
    return rc <= 0;
}

int actor_recv_nowait(void *pipe, actor_cmd_t *cmd)
{
    int rc = s_thread_recv(pipe, ZMQ_DONTWAIT, cmd);
    return rc == 1 ? 2 : rc;
}

int actor_reply(void *pipe, const actor_cmd_t *cmd, int status, const void *data, size_t len)
{
    return s_send(pipe, cmd->seq, status, "", data, len);
}

actor_t *actor_new(void *ctx, const char *name, actor_fn *fn, void *arg, int *status)
{
    int rc = -ENOMEM, zero = 0, forever = -1;
    actor_t *self = calloc(1, sizeof *self);
    if (!self)
        goto fail;
    if (!ctx) {
        ctx = self->own_ctx = zmq_ctx_new();
        if (!ctx || zmq_ctx_set(ctx, ZMQ_IO_THREADS, 0) != 0)
            goto fail;
    }
    self->ctx = ctx;
    self->fn = fn;
    self->arg = arg;
    strlcpy(self->name, name, sizeof self->name);
    snprintf(self->endpoint, sizeof self->endpoint, "inproc://dnsoracle-actor-%u",
             atomic_fetch_add(&s_pipes, 1));
    self->pipe = zmq_socket(ctx, ZMQ_PAIR);
    if (!self->pipe)
        goto fail;
    zmq_setsockopt(self->pipe, ZMQ_LINGER, &zero, sizeof zero);
    if (zmq_bind(self->pipe, self->endpoint) != 0)
        goto fail;
    rc = -EAGAIN;
    if (pthread_create(&self->thread, NULL, s_main, self) != 0)
        goto fail;
    self->running = true;
    /* the body's setup is bounded: wait for its word, however long */
    zmq_setsockopt(self->pipe, ZMQ_RCVTIMEO, &forever, sizeof forever);
    actor_cmd_t ready;
    int32_t st = -EIO;
    do
        rc = s_recv(self->pipe, 0, &ready, &st);
    while (rc == -EINTR);
    if (rc != 0 || st != 0 || ready.seq != 0) {
        rc = rc != 0 ? -EIO : (st != 0 ? st : -EIO);
        goto fail;
    }
    if (status)
        *status = 0;
    return self;
fail:
    if (status)
        *status = rc;
    if (self) {
        self->stopped = true; /* the body has returned or is returning */
        actor_destroy(&self);
    }
    return NULL;
}

uint32_t actor_send(actor_t *self, const char *name, const void *data, size_t len)
{
    int timeout = ACTOR_TIMEOUT_MS;
    zmq_setsockopt(self->pipe, ZMQ_SNDTIMEO, &timeout, sizeof timeout);
    uint32_t seq = self->seq + 1 ? self->seq + 1 : 1;
    if (s_send(self->pipe, seq, 0, name, data, len) != 0)
        return 0;
    self->seq = seq;
    return seq;
}

static int64_t s_ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int actor_wait(actor_t *self, uint32_t seq, int timeout_ms, void *data, size_t cap, size_t *len)
{
    int64_t deadline = s_ms_now() + (timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        int64_t left = deadline - s_ms_now();
        if (left < 0 || seq == 0)
            return -ETIMEDOUT;
        int t = (int)left;
        zmq_setsockopt(self->pipe, ZMQ_RCVTIMEO, &t, sizeof t);
        actor_cmd_t reply;
        int32_t status;
        int rc = s_recv(self->pipe, 0, &reply, &status);
        if (rc == -EINTR || rc == -EIO)
            continue;
        if (rc != 0)
            return -ETIMEDOUT;
        if (reply.seq != seq)
            continue; /* the late answer to an older command (or a ready): dropped */
        size_t n = reply.len < cap ? reply.len : cap;
        if (data && n)
            memcpy(data, reply.data, n);
        if (len)
            *len = n;
        return status;
    }
}

int actor_ask(actor_t *self, const char *name, const void *data, size_t len, int timeout_ms)
{
    uint32_t seq = actor_send(self, name, data, len);
    return seq ? actor_wait(self, seq, timeout_ms, NULL, 0, NULL) : -ETIMEDOUT;
}

int actor_stop(actor_t *self, int drain_ms, int timeout_ms)
{
    if (self->stopped)
        return 0;
    int drain = drain_ms < 0 ? 0 : drain_ms;
    int rc = actor_ask(self, "stop", &drain, sizeof drain, drain + timeout_ms);
    if (rc == -ETIMEDOUT)
        return rc;
    self->stopped = true;
    return 0;
}

void actor_join(actor_t *self)
{
    if (!self->running)
        return;
    pthread_join(self->thread, NULL);
    self->running = false;
}

void actor_destroy(actor_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    actor_t *self = *self_p;
    if (self->running && !self->stopped)
        (void)actor_stop(self, 0, ACTOR_TIMEOUT_MS);
    actor_join(self);
    if (self->pipe)
        zmq_close(self->pipe);
    if (self->own_ctx)
        zmq_ctx_term(self->own_ctx);
    free(self);
    *self_p = NULL;
}

const char *actor_name(const actor_t *self) { return self->name; }
